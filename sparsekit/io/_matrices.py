"""Matrices in files: Matrix Market (``.mtx``, ``.mtx.gz``), ``.npz`` and PETSc binary (``.petsc``).

The guards every file passes are in :mod:`sparsekit._guards` (Matrix Market,
safe writes, memory) and :mod:`sparsekit._validate` (the structure of the
index arrays); PETSc's binary format is :mod:`sparsekit._petscbin`, reading
a range of rows :mod:`sparsekit._rowread`.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import mmap
import os
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import fast_matrix_market as fmm
import numpy as np
import scipy.io
import scipy.sparse as sp
from scipy.sparse import _sparsetools as _kernels  # the kernels behind tocsr and tocsc

from .. import _petscbin, _progress, _rowread
from .._guards import Checked, atomic_file, atomic_path, check_memory, comment, read_head, read_mm
from .._validate import check_compressed, check_coords, checked_sparse, describe
from ..errors import DataNotFoundError, InputValueError, ShapeError, SparsekitError

if TYPE_CHECKING:
    from .._rowread import RowBlock
    from .._typing import MatrixLike, PathLike

__all__ = ["read", "read_coo", "write", "info", "MatrixInfo"]

_SYMMETRIES = ("general", "symmetric", "skew-symmetric", "hermitian")
_FIELDS = ("real", "integer", "complex", "pattern")

@dataclass(frozen=True)
class MatrixInfo:
    """The header of a Matrix Market file (read without reading the entries)."""

    path: str
    shape: tuple[int, int]
    nnz: int
    format: str
    field: str
    symmetry: str
    comment: str

    def __repr__(self) -> str:
        return (
            f"MatrixInfo({Path(self.path).name}: {self.shape[0]}x{self.shape[1]}, "
            f"{self.nnz} entries, {self.format} {self.field} {self.symmetry})"
        )


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suf in (".mtx.gz", ".mtx", ".npz", ".petsc"):
        if name.endswith(suf):
            return suf
    raise InputValueError(
        f"cannot tell the file format of {str(path)!r} from its suffix; "
        "expected .mtx, .mtx.gz, .npz or .petsc"
    )


def _existing(path, *, mm: str | None = None) -> Path:
    p = Path(os.fspath(path))
    if not p.is_file():
        raise DataNotFoundError(f"no such file: {str(p)!r}")
    if mm and _suffix(p) in (".npz", ".petsc"):
        raise InputValueError(f"{mm}() reads Matrix Market files; {str(p)!r} is "
                              f"{_suffix(p)}")
    return p


def info(path: PathLike) -> MatrixInfo | _petscbin.PetscBinaryInfo:
    """Read only the header of a Matrix Market (or PETSc binary) file.

    Parameters
    ----------
    path : str or path-like
        A ``.mtx``, ``.mtx.gz`` or ``.petsc`` file.

    Returns
    -------
    MatrixInfo or PetscBinaryInfo
        Shape, number of stored entries, format, field, symmetry and comment;
        for ``.petsc``, what PETSc's header holds (kind, shape, entries, index
        and scalar types).

    Raises
    ------
    MatrixMarketError
        A malformed header; the message names the file and the line.

    Examples
    --------
    >>> import sparsekit as sk, scipy.sparse as sp, tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> sk.io.write(os.path.join(d, "I.mtx"), sp.eye_array(3))
    >>> sk.io.info(os.path.join(d, "I.mtx")).symmetry
    'symmetric'
    """
    if Path(os.fspath(path)).name.lower().endswith(".petsc"):
        return _petscbin.info(_existing(path))
    p = _existing(path, mm="info")
    head = read_head(p)
    h = head.header
    return MatrixInfo(str(p), tuple(h.shape), int(h.nnz), h.format, h.field, h.symmetry,
                      comment(p, head))


def read_coo(path: PathLike) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]:
    """Read a coordinate Matrix Market file as triplets, through the front guard.

    Symmetric, skew-symmetric and Hermitian files are expanded to both
    triangles; pattern files give ones.

    Returns
    -------
    rows, cols : ndarray of int
    data : ndarray
    shape : tuple of int
    """
    p = _existing(path, mm="read_coo")
    got = read_mm(p, "coo")
    if isinstance(got, np.ndarray):
        raise InputValueError(f"{str(p)!r} is a dense (array) Matrix Market file; read it "
                              "with sparsekit.io.read")
    return got


def read(path: PathLike, *, format: str = "csr",
         comm: Any = None) -> sp.sparray | np.ndarray | RowBlock:
    """Read a matrix from ``.mtx``, ``.mtx.gz``, ``.npz`` or ``.petsc``.

    Parameters
    ----------
    path : str or path-like
        The file; the format is taken from the suffix.
    format : {"csr", "csc", "coo"}, default="csr"
        Sparse format of the result (coordinate files, sparse ``.npz``, PETSc AIJ).
    comm : MPI communicator, optional
        Collective read by rows: every rank of ``comm`` (an mpi4py
        communicator) calls ``read`` and gets only the rows it owns, in PETSc's
        split (:class:`RowBlock`: the local CSR block, its first and last row,
        the global shape).  Every rank raises the same error on a bad file.

    Returns
    -------
    sparse array, ndarray or RowBlock
        A scipy sparse array for coordinate files and PETSc matrices, an
        ndarray for Matrix Market ``array`` files and PETSc vectors and dense
        matrices; a :class:`RowBlock` with ``comm``.

    Raises
    ------
    MatrixMarketError
        The file is malformed; the message names the file and the line.
    InputValueError
        A malformed ``.npz`` (not a zip, Python objects, an index outside the
        shape, ...).
    InsufficientMemoryError
        The header (or an ``.npz`` member) claims more than memory holds.

    See Also
    --------
    scipy.io.mmread

    Examples
    --------
    >>> import sparsekit as sk, scipy.sparse as sp, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "A.mtx.gz")
    >>> sk.io.write(p, sp.diags_array([1.0, 2.0, 3.0]))
    >>> sk.io.read(p).toarray().diagonal()
    array([1., 2., 3.])
    """
    if comm is not None:
        return _rowread.read_local(path, comm)
    p = _existing(path)
    _progress.report("read", path=str(p), size=p.stat().st_size)
    if format not in ("csr", "csc", "coo"):
        raise InputValueError(f"format must be 'csr', 'csc' or 'coo' (got {format!r})")
    if _suffix(p) == ".npz":
        return _read_npz(p, format)
    if _suffix(p) == ".petsc":
        A = _petscbin.read(p)
        return A.asformat(format) if sp.issparse(A) else A
    got = read_mm(p, format)
    if isinstance(got, np.ndarray):
        return got
    rows, cols, data, shape = got
    if format == "coo":
        return sp.coo_array((data, (rows, cols)), shape=shape)
    return _compressed(rows, cols, data, shape, format)


def _compressed(rows, cols, data, shape, format):
    """Checked triplets -> canonical CSR/CSC with 32-bit indices where they fit.

    What ``coo_array(...).tocsr()`` does (a counting sort by row, each row's
    columns sorted, duplicates summed), minus its copies: triplets already in
    row order are used as they are, and 64-bit triplets get 32-bit indices
    (SciPy keeps 64-bit indices for them, so its counting pass moved twice the
    index bytes: 10 million entries, 0.45 s against 0.2 s).  The triplets are
    the caller's to give away (fmm's fresh arrays): they may become the result.
    """
    if format == "csc":
        rows, cols, shape = cols, rows, shape[::-1]
    n_row, n_col = shape
    idx = np.int32 if max(rows.size, n_row, n_col) < 2**31 - 1 else np.int64
    major, minor = rows.astype(idx, copy=False), cols.astype(idx, copy=False)
    indptr = np.empty(n_row + 1, dtype=idx)
    if _kernels.csr_has_sorted_indices(1, np.array([0, major.size], dtype=idx), major):
        # a file written row by row (most are; by columns for format="csc"): the triplets
        # are the compressed arrays already, and only the row pointers are missing.  No
        # counting sort and no second copy of the entries (10 million: 0.06-0.3 s -> 0.03 s;
        # the counting sort's time was mostly first touches of its 120 MB of new arrays)
        indptr[0] = 0
        np.cumsum(np.bincount(major, minlength=n_row), out=indptr[1:])
        indices, vals = minor, data  # fmm's arrays: nobody else holds them
    else:
        indices = np.empty(rows.size, dtype=idx)
        vals = np.empty(rows.size, dtype=data.dtype)
        _kernels.coo_tocsr(n_row, n_col, rows.size, major, minor, data, indptr, indices, vals)
    del major, minor
    # a file written in order (most are) is canonical already: one check instead of the
    # sort and the duplicate pass (10 million entries: 0.14 s -> 0.08 s)
    if not _kernels.csr_has_canonical_format(n_row, indptr, indices):
        _kernels.csr_sort_indices(n_row, indptr, indices, vals)
        _kernels.csr_sum_duplicates(n_row, n_col, indptr, indices, vals)
    k = int(indptr[-1])
    cls = sp.csr_array if format == "csr" else sp.csc_array
    A = cls((vals[:k], indices[:k]) + (indptr,), shape=shape[::-1] if format == "csc" else shape)
    A.has_sorted_indices = True
    A.has_canonical_format = True
    return A


# --------------------------------------------------------------------------
# .npz
# --------------------------------------------------------------------------

_NPY_HEADERS = {(1, 0): np.lib.format.read_array_header_1_0,
                (2, 0): np.lib.format.read_array_header_2_0}


def _npz_members(p: Path) -> dict[str, float]:
    """Each ``.npy`` member's bytes, from its header, checked before any data is read."""
    members = {}
    with zipfile.ZipFile(p) as zf:
        for zi in zf.infolist():
            if not zi.filename.endswith(".npy"):
                continue
            with zf.open(zi) as fh:
                version = np.lib.format.read_magic(fh)
                if version not in _NPY_HEADERS:
                    raise InputValueError(f"{str(p)!r}: member {zi.filename!r} is .npy "
                                          f"version {version}, which sparsekit does not read")
                shape, _, dtype = _NPY_HEADERS[version](fh)
            if dtype.hasobject or dtype.kind not in "biufcSU":
                raise InputValueError(
                    f"{str(p)!r}: member {zi.filename!r} holds {dtype} values; a matrix file "
                    "holds numbers (objects would need pickle, which sparsekit never loads)")
            nbytes = float(np.prod(shape, dtype=float)) * dtype.itemsize
            if nbytes > zi.file_size:
                raise InputValueError(f"{str(p)!r}: member {zi.filename!r} claims {shape} "
                                      f"{dtype} but holds only {zi.file_size:,} bytes")
            members[zi.filename[:-4]] = nbytes
    return members


def _npz_sparse(z, p: Path, format: str):
    """The arrays of a ``scipy.sparse.save_npz`` file through the input gate, then the matrix."""
    fmt = z["format"].item()
    fmt = fmt.decode("ascii", "replace") if isinstance(fmt, bytes) else str(fmt)
    if fmt not in ("csr", "csc", "coo"):
        raise InputValueError(f"{str(p)!r} holds a {fmt!r} matrix; sparsekit reads csr, csc "
                              "and coo (convert it with scipy.sparse first)")
    sizes = np.asarray(z["shape"])
    if sizes.dtype.kind not in "iu" or sizes.shape != (2,) or (sizes < 0).any():
        raise ShapeError(f"{str(p)!r}: shape must be two sizes >= 0 (got {sizes.tolist()!r})")
    shape = (int(sizes[0]), int(sizes[1]))
    data, where = z["data"], f"{str(p)!r} ({fmt}, shape {shape})"
    if data.dtype.kind not in "biufc" or data.ndim != 1:
        raise InputValueError(f"{where}: data must be 1-D numbers (got {describe(data)})")
    data = data.astype(np.float32) if data.dtype == np.float16 else data  # SciPy has no half
    if fmt == "coo":
        coords = tuple(z["coords"]) if "coords" in z.files else (z["row"], z["col"])
        check_coords(coords, shape, data.size, where)
        return sp.coo_array((data, coords), shape=shape).asformat(format)
    indptr, indices = z["indptr"], z["indices"]
    major, minor = shape if fmt == "csr" else shape[::-1]
    check_compressed(indptr, indices, major, minor, data.size, where,
                     "row" if fmt == "csr" else "column")
    cls = sp.csr_array if fmt == "csr" else sp.csc_array
    return cls((data, indices, indptr), shape=shape).asformat(format)


def _read_npz(p: Path, format: str):
    if not zipfile.is_zipfile(p):
        raise InputValueError(f"{str(p)!r} is not a zip archive, so not an .npz file "
                              "(numpy.savez and scipy.sparse.save_npz write those)")
    try:
        members = _npz_members(p)
        check_memory(2 * sum(members.values()), f"reading {p.name}")
        with np.load(p, allow_pickle=False) as z:
            if "dense" in members:
                X = z["dense"]
                if X.dtype.kind not in "biufc" or X.ndim not in (1, 2):
                    raise ShapeError(f"{str(p)!r} holds a {X.ndim}-D {X.dtype} array; a "
                                     "matrix file holds a 1-D or 2-D numeric one")
                return X
            if "format" not in members:
                raise InputValueError(f"{str(p)!r} holds neither 'dense' (sparsekit) nor "
                                      f"'format' (scipy.sparse.save_npz): {sorted(members)}")
            return _npz_sparse(z, p, format)
    except (zipfile.BadZipFile, ValueError, OSError, KeyError, EOFError, zlib.error,
            NotImplementedError, RuntimeError, TypeError, OverflowError) as exc:
        if isinstance(exc, SparsekitError):
            raise
        raise InputValueError(f"{str(p)!r} is not a readable .npz matrix "
                              f"({type(exc).__name__}: {exc})") from None


# --------------------------------------------------------------------------
# edge lists and token files
# --------------------------------------------------------------------------

def _has_symmetry(A, kind: str, *, transpose=None) -> bool:
    """Whether ``A`` (canonical CSR or ndarray) equals its transpose in the sense of ``kind``.

    Sparse: O(nnz) and exact, with no sparse arithmetic (``A - A^T`` took 3.6 s
    of a 5.9 s write of 10 million entries).  A cheap refusal first (every row
    as long as its column), then the transpose (one counting pass,
    ``csr_tocsc``; ``transpose`` passes one already made) compared array to
    array: the canonical CSR of ``A^T`` holds the same column indices, and the
    same values up to the sign or conjugate ``kind`` asks for, exactly when
    ``A`` has the symmetry.  A stored zero pairs only with a stored zero.
    """
    if not sp.issparse(A):
        T = -A.T if kind == "skew-symmetric" else A.conj().T if kind == "hermitian" else A.T
        return bool(np.array_equal(A, T))
    if transpose is None:
        if A.shape[0] != A.shape[1] or not _same_pattern_counts(A):
            return False
        transpose = _transpose(A)
    Ti, Tx = transpose
    if not np.array_equal(Ti, A.indices):
        return False
    if kind == "skew-symmetric":
        return bool(np.array_equal(-Tx, A.data))
    if kind == "hermitian":
        return bool(np.array_equal(np.conjugate(Tx), A.data))
    return bool(np.array_equal(Tx, A.data))


def _transpose(A):
    """The column indices and values of the canonical CSR of ``A^T`` (square ``A``)."""
    n = A.shape[0]
    Tp = np.empty_like(A.indptr)
    Ti = np.empty_like(A.indices)
    Tx = np.empty_like(A.data)
    _kernels.csr_tocsc(n, n, A.indptr, A.indices, A.data, Tp, Ti, Tx)
    return Ti, Tx


def _detect_symmetry(A) -> str:
    if A.shape[0] != A.shape[1]:
        return "general"
    T = None
    if sp.issparse(A):
        if not _same_pattern_counts(A):
            return "general"  # one O(nnz) refusal for every kind: most general matrices stop here
        T = _transpose(A)
        if not np.array_equal(T[0], A.indices):
            return "general"
    kinds = ("symmetric", "hermitian", "skew-symmetric")
    return next((kind for kind in kinds if (kind != "hermitian" or np.iscomplexobj(A))
                 and _has_symmetry(A, kind, transpose=T)), "general")


def _same_pattern_counts(A) -> bool:
    """Every row of the canonical CSR ``A`` as long as the column of the same index."""
    return bool(np.array_equal(np.bincount(A.indices, minlength=A.shape[0]), np.diff(A.indptr)))


def _writable(A):
    """(canonical CSR -- a copy when it was not -- or 2-D ndarray, what ``.npz`` keeps)."""
    if sp.issparse(A):
        if A.ndim not in (1, 2):
            raise ShapeError(f"A must be 1-D or 2-D (got {describe(A)})")
        A = checked_sparse(A, "A")  # the input gate: a bad index would crash the writers
        if A.ndim == 1:
            A = sp.coo_array(A).reshape((A.shape[0], 1))
        M = sp.csr_array(A)
        if M.dtype.kind not in "biufc":
            raise InputValueError(f"A must hold numbers (got {describe(A)})")
        if M.dtype.kind == "b":  # Matrix Market has no booleans (and SciPy cannot negate them)
            M = M.astype(np.int64)
        if not M.has_canonical_format:
            M = M.copy()  # never sum the caller's duplicates in place
            M.sum_duplicates()
        return M, A
    if not isinstance(A, np.ndarray):
        raise InputValueError(f"A must be a sparse matrix or an ndarray (got {describe(A)})")
    if A.dtype.kind not in "biufc":
        raise InputValueError(f"A must hold numbers (got {describe(A)}); Matrix Market and "
                              ".npz files hold numeric matrices")
    if A.ndim not in (1, 2):
        raise ShapeError(f"A must be 1-D or 2-D (got {describe(A)})")
    return (A[:, None],) * 2 if A.ndim == 1 else (A, A)


def _mm_options(M, symmetry: str, field, comment, precision) -> dict:
    """The Matrix Market options checked against ``M``, as fmm's keyword arguments."""
    if symmetry != "auto" and symmetry not in _SYMMETRIES:
        raise InputValueError(
            f"symmetry must be 'auto' or one of {list(_SYMMETRIES)} (got {symmetry!r})")
    if field is not None and field not in _FIELDS:
        raise InputValueError(f"field must be one of {list(_FIELDS)} (got {field!r})")
    if not isinstance(comment, str) or "\0" in comment:
        raise InputValueError(f"comment must be text without NUL characters (got {comment!r})")
    if precision is not None and (isinstance(precision, bool) or not isinstance(
            precision, (int, np.integer)) or not 1 <= precision <= 64):
        raise InputValueError("precision must be an integer from 1 to 64 significant digits "
                              f"(got {precision!r})")
    values = M.data if sp.issparse(M) else M
    if field == "pattern" and not sp.issparse(M):
        raise InputValueError("field='pattern' needs a sparse matrix (a dense array has no "
                              "pattern to keep)")
    if field in ("integer", "real") and np.iscomplexobj(values) and np.any(values.imag):
        raise InputValueError(f"field={field!r} would drop the imaginary parts; use "
                              "field='complex'")
    if field == "integer" and values.dtype.kind in "fc":
        v = values.real
        if not (np.isfinite(v).all() and np.array_equal(v, np.trunc(v))
                and (np.abs(v) < 2**63).all()):
            raise InputValueError("field='integer' would change non-integer values (1.5 would "
                                  "be written 1); use field='real'")
    if symmetry == "auto":
        symmetry = _detect_symmetry(M)
    elif symmetry != "general" and (M.shape[0] != M.shape[1] or not _has_symmetry(M, symmetry)):
        raise InputValueError(
            f"A (shape {M.shape}) is not {symmetry}: the file would keep one triangle and "
            "drop the other's entries; use symmetry='auto' (checks) or 'general'")
    kwargs: dict[str, Any] = {"symmetry": symmetry, "comment": comment}
    if field is not None or values.dtype.kind == "b":
        kwargs["field"] = field or "integer"
    if precision is not None:
        kwargs["precision"] = int(precision)
    return kwargs


def _writer():
    """The Matrix Market writer: SciPy's own build of fmm where SciPy has one (>= 1.12).

    Same code, same arguments, another compiler's output: SciPy 1.17's build wrote 5
    million random entries in 2.1 s where fast_matrix_market 1.7.6's wheel took 3.1 s
    (medians of 3, interleaved, AMD EPYC, 2 cores), and ``scipy.io.mmwrite`` is the
    anchor users compare against.
    """
    if scipy.io.mmwrite.__module__.startswith("scipy.io._fast_matrix_market"):
        return scipy.io.mmwrite
    return fmm.mmwrite  # pragma: no cover - SciPy 1.11


def _write_mm(fh, M, kwargs: dict, gz: bool, name: str) -> None:
    """Write with fmm through :class:`~sparsekit._guards.Checked` (and gzip).

    A sparse matrix goes as canonical CSR (for a symmetric file the writer
    keeps the lower triangle itself), one with no entries as COO.
    """
    target = gzip.GzipFile(filename=name, mode="wb", fileobj=fh) if gz else fh
    checked = Checked(target)
    if sp.issparse(M) and M.nnz == 0:
        M = sp.coo_array(M)  # fmm 1.7's CSR writer never returns on most CSRs with no entries
    ok = False
    try:
        _writer()(checked, M.astype(np.int64) if M.dtype.kind == "b" else M, **kwargs)
        ok = checked.error is None
    except (ValueError, TypeError, OverflowError) as exc:
        raise InputValueError(f"cannot write {name!r} as Matrix Market: {exc}") from None
    finally:
        if gz and not ok:
            with contextlib.suppress(Exception):
                target.close()
    if checked.error is not None:
        raise checked.error
    if gz:
        target.close()


#: from this many stored entries on, fmm writes a plain ``.mtx`` to the temporary path
#: itself, and the file's lines are counted afterwards (:func:`_write_mm_direct`)
_DIRECT_WRITE = 1 << 20


def _write_mm_direct(tmp: Path, M, kwargs: dict, name: str) -> None:
    """Let fmm write ``tmp`` itself (C++, off the GIL); then check every entry line is there.

    Handed a Python file object, fmm calls its ``write`` for every 512 bytes
    under the GIL: the write of 10 million entries took 25-40% longer than
    fmm writing the file itself, as ``scipy.io.mmwrite`` has it do.  fmm
    ignores its own write errors, so a full disk would leave a short file:
    the lines after the header are counted (a memory-mapped pass, 0.05 s for
    350 MB) and must be one per entry written, and the file must end with a
    newline; an I/O error the disk reports later is raised by the ``fsync``
    of :func:`~sparsekit._guards.atomic_path`.
    """
    lower = kwargs["symmetry"] != "general"  # fmm keeps the entries with row >= column
    if lower:
        rows = np.repeat(np.arange(M.shape[0], dtype=M.indices.dtype), np.diff(M.indptr))
        expected = int(np.count_nonzero(M.indices <= rows))
        del rows
    else:
        expected = M.nnz
    try:
        _writer()(str(tmp), M.astype(np.int64) if M.dtype.kind == "b" else M, **kwargs)
    except (ValueError, TypeError, OverflowError) as exc:
        raise InputValueError(f"cannot write {name!r} as Matrix Market: {exc}") from None
    got, complete = _entry_lines(tmp)
    if got != expected or not complete:
        fs = os.statvfs(tmp.parent)
        full = fs.f_bavail * fs.f_frsize < (1 << 20)
        raise OSError(errno.ENOSPC if full else errno.EIO,
                      f"the write of {name!r} stopped early: {max(got, 0):,} of {expected:,} "
                      f"entry lines reached the file{' (the disk is full)' if full else ''}; "
                      "the old file, if any, is left as it was")


def _entry_lines(path: Path) -> tuple[int, bool]:
    """Newlines after the Matrix Market header, and whether the file ends with one."""
    try:
        offset = read_head(path).body_offset
    except SparsekitError:
        return -1, False
    size = path.stat().st_size
    if size <= offset:
        return 0, size > 0
    count = 0
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        body = np.frombuffer(mm, dtype=np.uint8)
        for s in range(offset, size, 1 << 24):  # 16 MiB at a time: a small boolean temporary
            count += int(np.count_nonzero(body[s:min(s + (1 << 24), size)] == 10))
        last = body[-1] == 10
        del body
    return count, bool(last)


def write(path: PathLike, A: MatrixLike, *, symmetry: str = "auto", field: str | None = None,
          comment: str = "", precision: int | None = None) -> None:
    """Write a matrix to ``.mtx``, ``.mtx.gz``, ``.npz`` or ``.petsc``, atomically.

    Everything is checked before the first byte is written; the file is then
    written beside ``path`` through a checked file object, flushed and
    ``fsync``'d, and renamed over it.  A failed write (a full disk, an I/O
    error, Ctrl-C) raises and leaves the old file intact, with no temporary
    file behind.  ``A`` is never modified (duplicates are summed in a copy).

    Parameters
    ----------
    path : str or path-like
        Destination; the format comes from the suffix.
    A : sparse matrix or array, or ndarray
        What to write: numbers, 1-D or 2-D.  Dense arrays are written in
        Matrix Market ``array`` format.
    symmetry : {"auto", "general", "symmetric", "skew-symmetric", "hermitian"}, default="auto"
        Matrix Market symmetry header.  ``"auto"`` checks ``A`` exactly (O(nnz))
        and stores one triangle when it can; a symmetry ``A`` does not have is
        refused (a triangle would be lost).
    field : {"real", "integer", "complex", "pattern"}, optional
        Defaults to what ``A.dtype`` implies; a field that would change values
        (``"integer"`` for 1.5, ``"real"`` for complex entries) is refused.
    comment : str, default=""
        Comment lines for the header.
    precision : int, optional
        Significant digits, 1 to 64 (default: shortest round-trip representation).

    Raises
    ------
    InputValueError
        Objects or strings, a malformed sparse structure, or options ``A``
        does not fit.
    ShapeError
        ``A`` has more than 2 dimensions.
    OSError
        The write failed; the old file is intact.

    Examples
    --------
    >>> import sparsekit as sk, numpy as np, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "x.mtx")
    >>> sk.io.write(p, np.array([[1.0], [2.0]]))
    >>> sk.io.read(p).ravel()
    array([1., 2.])
    """
    p = Path(os.fspath(path))
    suffix = _suffix(p)
    M, A = _writable(A)
    if suffix == ".petsc":
        given = {k: v for k, v in dict(symmetry=symmetry != "auto", field=field is not None,
                                       comment=bool(comment), precision=precision is not None
                                       ).items() if v}
        if given:
            raise InputValueError(f"{sorted(given)} are Matrix Market options; PETSc's binary "
                                  "format stores the whole matrix in binary (drop them)")
    kwargs = ({} if suffix in (".npz", ".petsc")
              else _mm_options(M, symmetry, field, comment, precision))
    _progress.report("write", path=str(p), nnz=getattr(M, "nnz", None))
    if suffix == ".mtx" and sp.issparse(M) and M.nnz >= _DIRECT_WRITE:
        with atomic_path(p) as tmp:
            _write_mm_direct(tmp, M, kwargs, p.name)
        return
    with atomic_file(p) as fh:
        if suffix == ".petsc":
            _petscbin.write(fh, M if sp.issparse(A) else A)
        elif suffix != ".npz":
            _write_mm(fh, M, kwargs, suffix == ".mtx.gz", p.name)
        elif sp.issparse(A):
            sp.save_npz(fh, A if A.format in ("csr", "csc", "coo") else M)
        else:
            np.savez_compressed(fh, dense=A)
