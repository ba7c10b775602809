"""PETSc's binary format, read and written with numpy alone (no petsc4py).

The format is PETSc's own (``MatLoad``, ``VecLoad`` and ``PetscBinaryIO.py``
in PETSc's ``lib/petsc/bin``); every number is **big-endian**:

* a sparse matrix: ``[MAT_FILE_CLASSID=1211216, M, N, nz]`` as PETSc
  integers, then ``M`` row lengths (integers), ``nz`` column indices
  (integers, 0-based, row by row) and ``nz`` values (scalars);
* a dense matrix (``MatView`` of a ``MATDENSE``): the same header with
  ``nz = -1``, then the ``M * N`` values row by row;
* a vector: ``[VEC_FILE_CLASSID=1211214, n]`` as integers, then ``n`` scalars.

A PETSc integer is 32-bit unless PETSc was configured ``--with-64-bit-indices``
(then the class id and the sizes are 64-bit too); a scalar is ``float64``, or
``complex128`` (pairs of ``float64``) in a complex build.  The file does not
record either choice: :func:`info` tells the index width from where the class
id sits (the first 4 bytes, or the last 4 of the first 8), and the scalar type
from the file size (a file that holds only the object, or one followed by
another PETSc object); pass ``index_dtype=``/``dtype=`` where it cannot tell.
A file may hold several objects (a matrix and a right-hand side, say): the
readers here read the first.  PETSc writes a ``FILE.info`` beside the file
(options such as ``-matload_block_size 1``); neither PETSc nor these readers
need it, and :func:`write` writes none.

The suffix sparsekit gives such files is ``.petsc`` (PETSc's own tools
take any name).  :func:`read_rows` reads one block of rows, touching only
the bytes of those rows (plus the row lengths before them, summed in
chunks), which is how every MPI rank reads its own rows
(:mod:`sparsekit._rowread`).

Examples
--------
>>> import io, numpy as np, scipy.sparse as sp
>>> from sparsekit import _petscbin
>>> A = sp.csr_array(np.array([[4.0, -1.0], [0.0, 3.0]]))
>>> buf = io.BytesIO()
>>> _petscbin.write(buf, A)
>>> buf.getvalue()[:16].hex()        # class id 1211216, 2 rows, 2 columns, 3 entries
'00127b50000000020000000200000003'
>>> _petscbin.read(io.BytesIO(buf.getvalue())).toarray()
array([[ 4., -1.],
       [ 0.,  3.]])
"""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ._validate import describe
from .errors import DataNotFoundError, InputValueError

__all__ = ["MAT_FILE_CLASSID", "VEC_FILE_CLASSID", "PetscBinaryInfo", "info", "read",
           "row_lengths", "read_rows", "write"]

MAT_FILE_CLASSID = 1211216
VEC_FILE_CLASSID = 1211214
#: Other class ids PETSc writes (named in errors: "this file holds an IS").
_OTHER_CLASSIDS = {1211218: "an index set (IS)", 1211219: "a PetscBag", 1211213: "a PetscReal"}
#: ``nz`` of a matrix stored dense (``MATRIX_BINARY_FORMAT_DENSE``).
_DENSE = -1
_INDEX_DTYPES: dict[np.dtype, np.dtype] = {np.dtype(np.int32): np.dtype(">i4"),
                                         np.dtype(np.int64): np.dtype(">i8")}
_SCALAR_DTYPES: dict[np.dtype, np.dtype] = {
    np.dtype(np.float64): np.dtype(">f8"), np.dtype(np.complex128): np.dtype(">c16"),
    np.dtype(np.float32): np.dtype(">f4"), np.dtype(np.complex64): np.dtype(">c8")}
#: Entries read or written per step: bounds the temporaries of a large file.
_CHUNK = 1 << 22


@dataclass(frozen=True)
class PetscBinaryInfo:
    """The header of a PETSc binary file and where its arrays lie.

    ``kind`` is ``"Mat"`` or ``"Vec"``; ``shape`` is ``(M, N)`` or ``(n,)``;
    ``nnz`` the stored entries (``M * N`` for a dense matrix); ``index_dtype``
    and ``dtype`` the big-endian integer and scalar types of the file;
    ``lengths_at``, ``indices_at``, ``values_at`` and ``end`` byte offsets
    (``lengths_at == indices_at`` for a dense matrix or a vector).
    """

    path: str
    kind: str
    shape: tuple
    nnz: int
    dense: bool
    index_dtype: np.dtype
    dtype: np.dtype
    lengths_at: int
    indices_at: int
    values_at: int
    end: int
    file_size: int

    def __repr__(self) -> str:
        dims = "x".join(str(s) for s in self.shape)
        layout = "dense" if self.dense else "sparse"
        return (f"PetscBinaryInfo({os.path.basename(self.path)}: {layout} {self.kind} {dims}, "
                f"{self.nnz} entries, {self.dtype.newbyteorder('=').name} scalars, "
                f"{8 * self.index_dtype.itemsize}-bit indices)")


def _name(source) -> str:
    return repr(os.fspath(source)) if isinstance(source, (str, os.PathLike)) else "the stream"


def _bad(source, what: str) -> InputValueError:
    return InputValueError(f"{_name(source)} is not a valid PETSc binary file: {what}")


def _size(fh) -> int:
    pos = fh.tell()
    fh.seek(0, io.SEEK_END)
    size = fh.tell()
    fh.seek(pos)
    return size


def _read_at(fh, offset: int, dtype: np.dtype, count: int, source) -> np.ndarray:
    """``count`` big-endian items at ``offset``, as a native-order array (one buffer)."""
    out = np.empty(count, dtype=dtype)
    fh.seek(offset)
    got = fh.readinto(memoryview(out).cast("B")) if count else 0  # type: ignore[arg-type]
    if got != out.nbytes:
        raise _bad(source, f"truncated: {out.nbytes} bytes expected at byte {offset}, "
                           f"{got} found")
    out.byteswap(inplace=True)
    return out.view(dtype.newbyteorder("="))


def _index_width(head: bytes, source, index_dtype) -> np.dtype:
    """The file's integer type, from where its class id sits (or a clear error)."""
    ids = (MAT_FILE_CLASSID, VEC_FILE_CLASSID)
    found: np.dtype | None = None
    if len(head) >= 4 and int.from_bytes(head[:4], "big") in ids:
        found = np.dtype(">i4")
    elif len(head) >= 8 and int.from_bytes(head[:8], "big") in ids:
        found = np.dtype(">i8")
    if found is None:
        for width in (4, 8):
            if len(head) >= width and int.from_bytes(head[:width], "little") in ids:
                raise _bad(source, "it is byte-swapped (little-endian); PETSc's binary format "
                                   "is big-endian on every machine: rewrite it with PETSc's "
                                   "viewer or sparsekit.io.write")
        for width in (4, 8):
            other = _OTHER_CLASSIDS.get(int.from_bytes(head[:width], "big"))
            if len(head) >= width and other:
                raise _bad(source, f"it holds {other}, not a Mat or a Vec")
        if len(head) < 8:
            raise _bad(source, f"truncated: {len(head)} bytes, shorter than any header")
        raise _bad(source, f"unknown class id (first bytes {head[:8].hex()}); a matrix starts "
                           f"with {MAT_FILE_CLASSID}, a vector with {VEC_FILE_CLASSID}")
    if index_dtype is not None:
        want = _INDEX_DTYPES.get(np.dtype(index_dtype))
        if want is None:
            raise InputValueError(f"index_dtype must be int32 or int64 (got {index_dtype!r})")
        if want != found:
            raise _bad(source, f"index_dtype={np.dtype(index_dtype).name} was asked but the "
                               f"header holds {8 * found.itemsize}-bit integers")
    return found


def _scalar_type(fh, source, size: int, values_at: int, count: int, dtype) -> np.dtype:
    """The scalar type: as asked, else the one whose arrays end the file or meet an object."""
    if dtype is not None:
        want = _SCALAR_DTYPES.get(np.dtype(dtype))
        if want is None:
            raise InputValueError(f"dtype must be one of float64, complex128, float32, "
                                  f"complex64 (got {dtype!r})")
        candidates = [want]
    else:
        candidates = [np.dtype(">f8"), np.dtype(">c16")]
    for cand in candidates:
        end = values_at + count * cand.itemsize
        if end == size:
            return cand
        if end + 4 <= size:
            fh.seek(end)
            head = fh.read(8)
            known = (MAT_FILE_CLASSID, VEC_FILE_CLASSID, *_OTHER_CLASSIDS)
            if (int.from_bytes(head[:4], "big") in known
                    or int.from_bytes(head[:8], "big") in known):
                return cand
    need = values_at + count * candidates[0].itemsize
    if size < need:
        scalar = candidates[0].newbyteorder("=").name
        raise _bad(source, f"the header claims {count} entries, whose values ({scalar}) end "
                           f"at byte {need}, but the file has only {size} bytes (truncated, "
                           "or a header claiming more entries than it has)")
    raise _bad(source, f"{size} bytes fit no scalar type after byte {values_at} "
                       f"({count} values); pass dtype= (float64, complex128, ...) if the "
                       "file was written so")


def _info(fh, source, index_dtype=None, dtype=None) -> PetscBinaryInfo:
    size = _size(fh)
    fh.seek(0)
    head = fh.read(8)
    itype = _index_width(head, source, index_dtype)
    w = itype.itemsize
    classid = int.from_bytes(head[:w], "big")
    nhead = 4 if classid == MAT_FILE_CLASSID else 2
    if size < nhead * w:
        raise _bad(source, f"truncated: {size} bytes, the header needs {nhead * w}")
    header = [int(v) for v in _read_at(fh, 0, itype, nhead, source)]
    path = os.fspath(source) if isinstance(source, (str, os.PathLike)) else "<stream>"
    if classid == VEC_FILE_CLASSID:
        n = header[1]
        if n < 0:
            raise _bad(source, f"the vector's length is negative ({n})")
        stype = _scalar_type(fh, source, size, 2 * w, n, dtype)
        return PetscBinaryInfo(path, "Vec", (n,), n, True, itype, stype, 2 * w, 2 * w, 2 * w,
                               2 * w + n * stype.itemsize, size)
    M, N, nz = header[1:]
    if M < 0 or N < 0 or nz < _DENSE:
        raise _bad(source, f"negative sizes in the header (M={M}, N={N}, nz={nz})")
    if nz == _DENSE:
        stype = _scalar_type(fh, source, size, 4 * w, M * N, dtype)
        return PetscBinaryInfo(path, "Mat", (M, N), M * N, True, itype, stype, 4 * w, 4 * w,
                               4 * w, 4 * w + M * N * stype.itemsize, size)
    lengths_at = 4 * w
    indices_at = lengths_at + M * w
    values_at = indices_at + nz * w
    if size < values_at:
        raise _bad(source, f"the header claims {M} rows and {nz} entries, whose row lengths "
                           f"and column indices end at byte {values_at}, but the file has "
                           f"only {size} bytes (truncated, or a header claiming more entries "
                           "than it has)")
    stype = _scalar_type(fh, source, size, values_at, nz, dtype)
    return PetscBinaryInfo(path, "Mat", (M, N), nz, False, itype, stype, lengths_at, indices_at,
                           values_at, values_at + nz * stype.itemsize, size)


def _open(source):
    """A path opened for reading, or the caller's stream (left open)."""
    if isinstance(source, (str, os.PathLike)):
        try:
            return open(os.fspath(source), "rb")
        except FileNotFoundError:
            raise DataNotFoundError(f"no such file: {os.fspath(source)!r}") from None
        except IsADirectoryError:
            raise InputValueError(f"{os.fspath(source)!r} is a folder, not a file") from None
    return contextlib.nullcontext(source)


def info(source, *, index_dtype=None, dtype=None, sparse: bool = False) -> PetscBinaryInfo:
    """Read and check the header of a PETSc binary file (its first object).

    Parameters
    ----------
    source : str, path-like or binary file object
        The file.
    index_dtype : {None, int32, int64}, default=None
        PETSc's integer width; ``None`` tells it from the header.
    dtype : {None, float64, complex128, float32, complex64}, default=None
        The scalar type; ``None`` tells ``float64`` from ``complex128`` by the size.
    sparse : bool, default=False
        Refuse anything but a sparse matrix (what reading by rows needs).

    Returns
    -------
    PetscBinaryInfo

    Raises
    ------
    InputValueError
        A byte-swapped, truncated or unknown file, or sizes that cannot hold.
    """
    with _open(source) as fh:
        meta = _info(fh, source, index_dtype, dtype)
    if sparse and (meta.kind != "Mat" or meta.dense):
        raise InputValueError(f"{_name(source)} holds a dense {meta.kind}; reading by rows "
                              "needs a sparse matrix (read it whole with read())")
    return meta


def _check_columns(cols: np.ndarray, N: int, source) -> None:
    if cols.size and (cols.min() < 0 or cols.max() >= N):
        bad = int(cols.min() if cols.min() < 0 else cols.max())
        raise _bad(source, f"column index {bad} outside 0..{N - 1}")


def _checked_lengths(lengths: np.ndarray, source) -> None:
    if lengths.size and lengths.min() < 0:
        raise _bad(source, f"negative row length {int(lengths.min())}")


def _prefix_sum(fh, meta: PetscBinaryInfo, lo: int, hi: int, source) -> int:
    """Sum of the row lengths of rows ``lo:hi``, read in chunks."""
    total = 0
    w = meta.index_dtype.itemsize
    for a in range(lo, hi, _CHUNK):
        part = _read_at(fh, meta.lengths_at + a * w, meta.index_dtype, min(_CHUNK, hi - a),
                        source)
        _checked_lengths(part, source)
        total += int(part.sum(dtype=np.int64))
    return total


def read(source, *, index_dtype=None, dtype=None):
    """Read the first object of a PETSc binary file.

    Parameters
    ----------
    source : str, path-like or binary file object
        The file (PETSc's viewers write big-endian; see the module's notes).
    index_dtype, dtype : optional
        As for :func:`info`.

    Returns
    -------
    scipy.sparse.csr_array or ndarray
        A sparse matrix as ``csr_array`` (native integers and scalars), a
        dense matrix as a 2-D ndarray, a vector as a 1-D ndarray.

    Raises
    ------
    InputValueError
        A malformed file: byte-swapped, truncated, row lengths that do not
        sum to the header's ``nz``, a column index out of range.

    See Also
    --------
    petsc4py.PETSc.Mat.load, PetscBinaryIO.py (in PETSc's ``lib/petsc/bin``)
    """
    with _open(source) as fh:
        meta = _info(fh, source, index_dtype, dtype)
        if meta.dense:
            values = _read_at(fh, meta.values_at, meta.dtype, meta.nnz, source)
            return values if meta.kind == "Vec" else values.reshape(meta.shape)
        M, N = meta.shape
        lengths = _read_at(fh, meta.lengths_at, meta.index_dtype, M, source)
        _checked_lengths(lengths, source)
        indptr = np.zeros(M + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        if indptr[-1] != meta.nnz:
            raise _bad(source, f"the row lengths sum to {int(indptr[-1])} but the header "
                               f"claims nz={meta.nnz}")
        cols = _read_at(fh, meta.indices_at, meta.index_dtype, meta.nnz, source)
        _check_columns(cols, N, source)
        values = _read_at(fh, meta.values_at, meta.dtype, meta.nnz, source)
    return _csr(values, cols, indptr, (M, N))


def _csr(values, cols, indptr, shape) -> sp.csr_array:
    if shape[0] < np.iinfo(np.int32).max and shape[1] < np.iinfo(np.int32).max \
            and indptr[-1] < np.iinfo(np.int32).max:
        indptr = indptr.astype(np.int32)
        cols = cols.astype(np.int32, copy=False)
    A = sp.csr_array((values, cols, indptr), shape=shape)
    A.sum_duplicates()  # sorts the columns of each row; PETSc writes them sorted
    return A


def row_lengths(source, start: int, stop: int, *, index_dtype=None, dtype=None) -> np.ndarray:
    """The lengths of rows ``start:stop`` of a sparse matrix (checked to be >= 0).

    Under MPI each rank reads its own and the ranks sum them in rank order,
    as PETSc's ``MatLoad`` does, so that no rank reads every row length
    (:func:`sparsekit._rowread.read_local`).
    """
    meta = info(source, index_dtype=index_dtype, dtype=dtype, sparse=True)
    M = meta.shape[0]
    if not 0 <= start <= stop <= M:
        raise InputValueError(f"rows must satisfy 0 <= start <= stop <= {M} "
                              f"(got start={start}, stop={stop})")
    with _open(source) as fh:
        lengths = _read_at(fh, meta.lengths_at + start * meta.index_dtype.itemsize,
                           meta.index_dtype, stop - start, source)
    _checked_lengths(lengths, source)
    return lengths


def read_rows(source, start: int, stop: int, *, before: int | None = None, index_dtype=None,
              dtype=None) -> sp.csr_array:
    """Rows ``start:stop`` of a sparse matrix in a PETSc binary file, reading only their bytes.

    Those rows' lengths, column indices and values are read; to find where
    they start, the lengths of the rows before them are summed in chunks,
    and those after them too, to check that all sum to the header's ``nz``
    (memory ``O(stop - start + their entries)``).  ``before``, the number of
    entries in rows ``0:start``, skips both scans: the caller has summed the
    row lengths and checked the total (every MPI rank its own rows).

    Returns
    -------
    scipy.sparse.csr_array
        Shape ``(stop - start, N)``, global column indices.
    """
    lengths = row_lengths(source, start, stop, index_dtype=index_dtype, dtype=dtype)
    meta = info(source, index_dtype=index_dtype, dtype=dtype)
    indptr = np.zeros(stop - start + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    with _open(source) as fh:
        if before is None:
            before = _prefix_sum(fh, meta, 0, start, source)
            total = before + int(indptr[-1]) + _prefix_sum(fh, meta, stop, meta.shape[0], source)
            if total != meta.nnz:
                raise _bad(source, f"the row lengths sum to {total} but the header claims "
                                   f"nz={meta.nnz}")
        w = meta.index_dtype.itemsize
        cols = _read_at(fh, meta.indices_at + before * w, meta.index_dtype, int(indptr[-1]),
                        source)
        _check_columns(cols, meta.shape[1], source)
        values = _read_at(fh, meta.values_at + before * meta.dtype.itemsize, meta.dtype,
                          int(indptr[-1]), source)
    return _csr(values, cols, indptr, (stop - start, meta.shape[1]))


def _write_array(fh, arr: np.ndarray, dtype: np.dtype) -> None:
    for a in range(0, arr.shape[0], _CHUNK):
        fh.write(np.ascontiguousarray(arr[a:a + _CHUNK], dtype=dtype).tobytes())


def _scalar_for(A) -> np.dtype:
    kind = np.dtype(A.dtype).kind
    if kind in "biuf":
        return np.dtype(">f8")
    if kind == "c":
        return np.dtype(">c16")
    raise InputValueError(f"A must hold numbers to write a PETSc binary file (got {describe(A)})")


def write(target, A, *, index_dtype=np.int32) -> None:
    """Write a matrix or a vector in PETSc's binary format (big-endian).

    A sparse matrix is written as PETSc's AIJ format (each row's columns
    sorted, duplicates summed), a 1-D array (or an ``(n, 1)`` array) as a
    Vec, any other 2-D ndarray as PETSc's dense matrix format.  Real values
    are written as ``float64``, complex ones as ``complex128`` (a PETSc
    configured ``--with-scalar-type=complex`` reads those).

    Parameters
    ----------
    target : str, path-like or binary file object
        Where to write (a path is opened with ``"wb"``; ``sparsekit.io.write``
        writes through a temporary file and renames it, atomically).
    A : sparse matrix or array, or ndarray
        What to write.
    index_dtype : {int32, int64}, default=int32
        PETSc's integer width (``int64`` for a PETSc configured
        ``--with-64-bit-indices``).

    Raises
    ------
    InputValueError
        ``index_dtype`` is not int32/int64, the sizes do not fit 32-bit
        integers, or ``A`` holds no numbers.
    """
    itype = _INDEX_DTYPES.get(np.dtype(index_dtype)) if index_dtype is not None else None
    if itype is None:
        raise InputValueError(f"index_dtype must be int32 or int64 (got {index_dtype!r})")
    if sp.issparse(A):
        A = sp.csr_array(A)
        A.sum_duplicates()
        kind, header = "Mat", [MAT_FILE_CLASSID, *A.shape, A.nnz]
    elif isinstance(A, np.ndarray) and (A.ndim == 1 or (A.ndim == 2 and A.shape[1] == 1)):
        A = A.reshape(-1)
        kind, header = "Vec", [VEC_FILE_CLASSID, A.shape[0]]
    elif isinstance(A, np.ndarray) and A.ndim == 2:
        kind, header = "dense", [MAT_FILE_CLASSID, *A.shape, _DENSE]
    else:
        raise InputValueError(f"A must be a sparse matrix or a 1-D/2-D ndarray "
                              f"(got {describe(A)})")
    stype = _scalar_for(A)
    if itype == np.dtype(">i4") and max(header[1:]) > np.iinfo(np.int32).max:
        raise InputValueError(f"sizes {header[1:]} do not fit 32-bit indices: pass "
                              "index_dtype=np.int64 (read by a PETSc configured "
                              "--with-64-bit-indices)")
    if isinstance(target, (str, os.PathLike)):
        with open(os.fspath(target), "wb") as fh:
            _write_to(fh, A, kind, header, itype, stype)
    else:
        _write_to(target, A, kind, header, itype, stype)


def _write_to(fh, A, kind, header, itype, stype) -> None:
    fh.write(np.asarray(header, dtype=itype).tobytes())
    if kind == "Mat":
        _write_array(fh, np.diff(A.indptr), itype)
        _write_array(fh, A.indices, itype)
        _write_array(fh, A.data, stype)
    else:
        _write_array(fh, A.reshape(-1), stype)
