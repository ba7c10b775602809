r"""Reading one block of rows of a matrix file, and every MPI rank only its own rows.

:func:`read_rows` (serial) returns rows ``start:stop`` of a file;
:func:`read_local` (collective) gives every rank of a communicator the rows
of PETSc's default split (:func:`row_split`) as a :class:`RowBlock`; no rank
ever holds the whole matrix.  What each format allows (measured in ``docs/mpi.md``):

* **PETSc binary** (``.petsc``): a block's rows are contiguous, so a rank
  reads only their indices and values (and the row lengths, in chunks).
* **``.npz``** (``save_npz``): a CSR member set is sliced, ``indptr[start:stop
  + 1]`` and the entries between.  ``np.load(mmap_mode=...)`` maps no zip
  member, so a stored member is read at its offset in the zip and a
  compressed one (``save_npz``'s default) is decompressed as a stream up to
  the slice: memory ``O(slice)``, time ``O(offset)``.  CSC and COO are
  streamed in chunks, keeping the block's rows.
* **Matrix Market** (``.mtx``): entries may come in any order (SuiteSparse
  writes them column by column), so no byte range holds a block of rows.
  Each rank parses its ``1/P`` of the entry lines (cut at line ends) once,
  in chunks of ``chunk_bytes``; after each chunk the ranks send every entry,
  and the mirror of a symmetric one, to the rank owning its row
  (``Alltoallv``).  One pass, no counting pass; then the ranks check together
  that the file held the entries its header claims.  ``.mtx.gz``: a gzip
  stream has no middle to start from, so every rank decompresses all of it
  and parses every ``P``-th chunk.

Every step that can fail on one rank is agreed on before the next collective
call (:func:`agree`): every rank raises the same sparsekit error, none is
left waiting.  Ranks holding different files (size, first and last 64 KiB)
are refused on every rank.  The communicator is an mpi4py ``Comm`` (a
petsc4py one is converted); only ``Get_rank``, ``Get_size``, ``allgather``
and ``Alltoallv`` are called, so no MPI is imported here.

Examples
--------
>>> import os, tempfile, scipy.sparse as sp
>>> from sparsekit import _rowread
>>> p = os.path.join(tempfile.mkdtemp(), "A.mtx")
>>> with open(p, "w") as fh:
...     _ = fh.write("%%MatrixMarket matrix coordinate real symmetric\n3 3 3\n"
...                  "3 1 -1\n1 1 4\n2 2 5\n")
>>> _rowread.read_rows(p, 2, 3).toarray()          # row 2, the mirror of (3, 1) included
array([[-1.,  0.,  0.]])
>>> _rowread.read_local(p)                          # one rank: every row
RowBlock(A.mtx: rows 0:3 of 3x3, 4 local entries)
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import re
import zipfile
import zlib
from dataclasses import dataclass

import numpy as np
import scipy.io
import scipy.sparse as sp

from . import _petscbin
from . import errors as _errors
from ._validate import check_row_range, positive_int
from .errors import DataNotFoundError, InputValueError, MatrixMarketError, SparsekitError

__all__ = ["CHUNK_BYTES", "RowBlock", "MtxLayout", "row_split", "mtx_layout", "agree",
           "read_rows", "read_local"]

#: Bytes of Matrix Market text parsed per step (per rank): bounds the parser's temporaries
#: (some 8 times this, measured); 1-16 MiB read at the same speed (docs/mpi.md).
CHUNK_BYTES = 4 << 20
_BANNER = re.compile(
    rb"%%matrixmarket\s+matrix\s+(coordinate|array)\s+(real|double|integer|complex|pattern)"
    rb"\s+(general|symmetric|skew-symmetric|hermitian)", re.IGNORECASE)
_LINE = re.compile(r"^Line (\d+):\s*(.*)$", re.S)
_VALUE_DTYPES = {"real": np.float64, "double": np.float64, "pattern": np.float64,
                 "integer": np.int64, "complex": np.complex128}
#: Entries placed into the CSR arrays per step (bounds the sort's temporaries).
_FILL = 1 << 18
#: Bytes at each end of a file compared between ranks (with its size).
_PRINT = 1 << 16


def row_split(n: int, rank: int, size: int) -> tuple[int, int]:
    """PETSc's default split of ``n`` rows (``PetscSplitOwnership``): ranks 0.. get one more.

    Examples
    --------
    >>> [row_split(10, r, 3) for r in range(3)]
    [(0, 4), (4, 7), (7, 10)]
    """
    q, r = divmod(n, size)
    start = rank * q + min(rank, r)
    return start, start + q + (1 if rank < r else 0)


@dataclass(frozen=True)
class RowBlock:
    """Rows ``start:stop`` of a ``shape`` matrix read from ``path``: one rank's block.

    ``local`` is a ``csr_array`` of shape ``(stop - start, shape[1])`` with
    global column indices (duplicates summed, columns sorted).
    """

    local: sp.csr_array
    start: int
    stop: int
    shape: tuple
    path: str

    def __repr__(self) -> str:
        return (f"RowBlock({os.path.basename(self.path)}: rows {self.start}:{self.stop} of "
                f"{self.shape[0]}x{self.shape[1]}, {self.local.nnz} local entries)")


# ---- the communicator, and agreeing on failure ----------


class _SerialComm:
    """One rank, without MPI (one rank exchanges nothing)."""

    def Get_rank(self) -> int:  # noqa: N802 - mpi4py's names
        return 0

    def Get_size(self) -> int:  # noqa: N802
        return 1

    def allgather(self, obj):
        return [obj]


def _as_comm(comm):
    if comm is None or isinstance(comm, _SerialComm):
        return comm or _SerialComm()
    if hasattr(comm, "tompi4py"):  # a petsc4py communicator
        return comm.tompi4py()
    for name in ("Get_rank", "Get_size", "allgather", "Alltoallv"):
        if not callable(getattr(comm, name, None)):
            raise InputValueError(f"comm must be an mpi4py communicator (got {type(comm)!r}, "
                                  f"which has no {name}())")
    return comm


def _error_name(exc: BaseException) -> str:
    """The sparsekit error class every rank raises for ``exc``."""
    if isinstance(exc, SparsekitError):
        return next(c.__name__ for c in type(exc).__mro__ if getattr(_errors, c.__name__, 0) is c)
    if isinstance(exc, FileNotFoundError):
        return "DataNotFoundError"
    if isinstance(exc, (OSError, ValueError, EOFError, zlib.error)):
        return "InputValueError"
    return "SparsekitError"


def _agreed_error(failed: list, size: int) -> SparsekitError:
    name = failed[0][1]
    messages = {msg for _, _, msg in failed}
    if len(failed) == size and len(messages) == 1:
        text = failed[0][2]  # every rank saw the same (one rank: the plain message)
    else:
        text = "; ".join(f"rank {r} of {size}: {msg}" for r, _, msg in failed)
    try:
        return getattr(_errors, name, SparsekitError)(text)
    except TypeError:  # an error class whose constructor wants more than a message
        return InputValueError(text)


def agree(comm, fn, summary=None):
    """Run ``fn()`` on every rank of ``comm``: every rank returns, or every rank raises.

    Each rank runs ``fn``; the ranks then exchange (one ``allgather``)
    whether it failed, and with what.  If any rank failed, every rank raises
    the same sparsekit error naming the ranks and their messages (the rank
    that failed chains its own exception), so that no rank goes on to a
    collective call the others will never make.

    Returns
    -------
    value, list
        ``fn()``'s value on this rank, and ``summary(value)`` of every rank.
    """
    comm = _as_comm(comm)
    try:
        value = fn()
        report = (None, None, summary(value) if summary is not None else None)
    except Exception as exc:  # noqa: BLE001 - raised on every rank below, once all know
        value, report = exc, (_error_name(exc), str(exc), None)
    reports = comm.allgather(report)
    failed = [(r, name, msg) for r, (name, msg, _) in enumerate(reports) if name is not None]
    if failed:
        err = _agreed_error(failed, comm.Get_size())
        if isinstance(value, BaseException):
            raise err from value
        raise err
    return value, [s for _, _, s in reports]


# ---- Matrix Market: the header and the chunks of entry lines ----------


@dataclass(frozen=True)
class MtxLayout:
    """A Matrix Market header and where the entries start (``data_at``, in the text)."""

    path: str
    shape: tuple
    nnz: int
    format: str
    field: str
    symmetry: str
    data_at: int
    first_line: int
    gz: bool
    file_size: int


def _index_dtype(layout: MtxLayout) -> np.dtype:
    """int32 indices where the sizes allow (16 bytes an entry with float64 values, not 24)."""
    return np.dtype(np.int32 if max(layout.shape) < np.iinfo(np.int32).max else np.int64)


def _existing(path) -> str:
    p = os.fspath(path)
    if not os.path.isfile(p):
        raise DataNotFoundError(f"no such file: {p!r}")
    return p


def _kind(path: str) -> str:
    for suffix, kind in ((".mtx.gz", "gz"), (".mtx", "mtx"), (".npz", "npz"), (".petsc", "petsc")):
        if path.lower().endswith(suffix):
            return kind
    raise InputValueError(f"cannot tell the file format of {path!r} from its suffix; "
                          "expected .mtx, .mtx.gz, .npz or .petsc")


def mtx_layout(path) -> MtxLayout:
    """A Matrix Market header, and where the entries start (``MatrixMarketError`` if malformed)."""
    p = _existing(path)
    gz = p.lower().endswith(".gz")
    try:
        with (gzip.open(p, "rb") if gz else open(p, "rb")) as fh:
            first = fh.readline(1 << 16)
            m = _BANNER.match(first.strip())
            if not m:
                raise MatrixMarketError("not a Matrix Market file: the first line should read "
                                        "'%%MatrixMarket matrix coordinate real general' (or "
                                        f"another field/symmetry), got {first[:80]!r}", p, 1)
            pos, line = len(first), 1
            while True:
                raw = fh.readline(1 << 16)
                if not raw:
                    raise MatrixMarketError("the file ends before its size line", p, line + 1)
                pos, line = pos + len(raw), line + 1
                text = raw.strip()
                if text and not text.startswith(b"%"):
                    break
    except (OSError, EOFError, zlib.error) as exc:
        raise MatrixMarketError(f"cannot read the header ({exc})", p) from None
    fmt, field, symmetry = (g.decode().lower() for g in m.groups())
    want = 3 if fmt == "coordinate" else 2
    try:
        sizes = [int(t) for t in text.split()]
    except ValueError:
        sizes = []
    if len(sizes) != want or min(sizes) < 0:
        raise MatrixMarketError(f"the size line should hold {want} integers >= 0, got "
                                f"{text[:80].decode(errors='replace')!r}", p, line)
    nnz = sizes[2] if fmt == "coordinate" else sizes[0] * sizes[1]
    return MtxLayout(p, (sizes[0], sizes[1]), nnz, fmt, field, symmetry, pos, line + 1, gz,
                     os.path.getsize(p))


def _count_lines(buf) -> int:
    """Lines holding anything but white space (the parser skips blank ones)."""
    a = np.frombuffer(buf, dtype=np.uint8)
    if a.size == 0:
        return 0
    ends = np.flatnonzero(a == 10) + 1
    if ends.size and ends[-1] == a.size:
        ends = ends[:-1]
    starts = np.concatenate(([0], ends))
    return int(np.count_nonzero(np.logical_or.reduceat(a > 32, starts)))


def _line_start(fh, layout: MtxLayout, pos: int) -> int:
    """The first line start at or after byte ``pos`` of the entries (a plain file)."""
    if pos <= layout.data_at:
        return layout.data_at
    if pos >= layout.file_size:
        return layout.file_size
    fh.seek(pos - 1)
    if fh.read(1) == b"\n":
        return pos
    while True:
        block = fh.read(1 << 16)
        if not block:
            return layout.file_size
        k = block.find(b"\n")
        if k >= 0:
            return pos + k + 1
        pos += len(block)


def _plain_chunks(layout: MtxLayout, part: int, nparts: int, chunk_bytes: int):
    """One part's byte range of the entries, in chunks cut at line ends: (text, offset)."""
    with open(layout.path, "rb") as fh:
        span = layout.file_size - layout.data_at
        at = _line_start(fh, layout, layout.data_at + span * part // nparts)
        hi = _line_start(fh, layout, layout.data_at + span * (part + 1) // nparts)
        while at < hi:
            fh.seek(at)
            buf = bytearray(min(chunk_bytes, hi - at))
            got = fh.readinto(buf)
            del buf[got:]
            if not got:
                return  # the file shrank under us: the entry count check says so
            if at + got < hi:
                cut = buf.rfind(b"\n") + 1
                if cut == 0:  # one line longer than a chunk: take it whole
                    buf += fh.readline()
                else:
                    del buf[cut:]
            yield buf, at, None
            at += len(buf)


def _gz_chunks(layout: MtxLayout, part: int, nparts: int, chunk_bytes: int):
    """Every ``nparts``-th chunk of the decompressed entries, from chunk ``part``."""
    with gzip.open(layout.path, "rb") as fh:
        fh.seek(layout.data_at)
        line, k, carry = layout.first_line, 0, b""
        while True:
            block = fh.read(chunk_bytes)
            buf = carry + block
            if not buf:
                return
            cut = buf.rfind(b"\n") + 1 if block else len(buf)
            if cut == 0:
                carry = buf
                continue
            buf, carry = buf[:cut], buf[cut:]
            if k % nparts == part:
                yield buf, None, line
            line += buf.count(b"\n")
            k += 1


def _line_of(layout: MtxLayout, offset: int) -> int:
    """The line number of byte ``offset`` of a plain file (read only when reporting an error)."""
    with open(layout.path, "rb") as fh:
        return 1 + sum(fh.read(min(1 << 20, offset - a)).count(b"\n")
                       for a in range(0, offset, 1 << 20))


def _parse(buf, layout: MtxLayout, offset, line0):
    """The entries of a chunk of lines, symmetric ones mirrored: (rows, cols, values, lines)."""
    count = _count_lines(buf)
    head = (f"%%MatrixMarket matrix coordinate {layout.field} {layout.symmetry}\n"
            f"{layout.shape[0]} {layout.shape[1]} {count}\n").encode()
    body = bytes(buf) + (b"" if buf[-1:] in (b"", b"\n") else b"\n")  # fmm reads past a
    if (nul := body.find(b"\0")) >= 0:  # NUL or an unterminated last line (refusals.md)
        first = line0 if line0 is not None else _line_of(layout, offset)
        raise MatrixMarketError("a NUL byte, and Matrix Market files are text (a binary or "
                                "damaged file?)", layout.path, first + body.count(b"\n", 0, nul))
    try:
        A = scipy.io.mmread(io.BytesIO(head + body), spmatrix=False)
    except (ValueError, OverflowError, RuntimeError, UnicodeDecodeError) as exc:
        msg = str(exc) or type(exc).__name__
        m = _LINE.match(msg)
        if not m:
            raise MatrixMarketError(msg, layout.path) from None
        first = line0 if line0 is not None else _line_of(layout, offset)
        raise MatrixMarketError(m.group(2), layout.path, first + int(m.group(1)) - 3) from None
    idx = _index_dtype(layout)
    return (A.row.astype(idx, copy=False), A.col.astype(idx, copy=False),
            A.data.astype(_VALUE_DTYPES[layout.field], copy=False), count)


def _mtx_pieces(layout: MtxLayout, part: int, nparts: int, chunk_bytes: int):
    if layout.format != "coordinate":
        raise InputValueError(f"{layout.path!r} is a Matrix Market array (dense) file; reading "
                              "by rows needs a coordinate (sparse) file: read it whole with "
                              "sparsekit.io.read")
    chunks = (_gz_chunks if layout.gz else _plain_chunks)(layout, part, nparts, chunk_bytes)
    for buf, offset, line0 in chunks:
        yield _parse(buf, layout, offset, line0)


def _check_count(layout: MtxLayout, found: int) -> None:
    if found != layout.nnz:
        what = "fewer" if found < layout.nnz else "more"
        raise MatrixMarketError(
            f"the header (line {layout.first_line - 1}) claims {layout.nnz} entries but the "
            f"file holds {found} entry lines ({what}; truncated or a wrong header?)",
            layout.path)


# ---- .npz: slices of the stored arrays ----------


class _Member:
    """One ``.npy`` member of an ``.npz``, read by slices without loading it."""

    def __init__(self, zf: zipfile.ZipFile, path: str, name: str, stack):
        try:
            zinfo = zf.getinfo(name + ".npy")
        except KeyError:
            raise InputValueError(f"{path!r} is not a scipy sparse .npz: it has no "
                                  f"{name!r} array") from None
        if zinfo.compress_type == zipfile.ZIP_STORED:  # read at its offset in the zip
            fh = stack.enter_context(open(path, "rb"))
            fh.seek(zinfo.header_offset)
            local = fh.read(30)
            fh.seek(zinfo.header_offset + 30 + int.from_bytes(local[26:28], "little")
                    + int.from_bytes(local[28:30], "little"))
        else:  # decompressed as a stream
            fh = stack.enter_context(zf.open(zinfo))
        version = np.lib.format.read_magic(fh)
        read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                       else np.lib.format.read_array_header_2_0)
        self.shape, fortran, self.dtype = read_header(fh)
        if self.dtype.hasobject or (fortran and len(self.shape) > 1):
            raise InputValueError(f"{path!r}: the {name!r} array cannot be read by slices")
        self.fh, self.base, self.path, self.name = fh, fh.tell(), path, name

    def read(self, lo: int, hi: int) -> np.ndarray:
        size = self.dtype.itemsize
        self.fh.seek(self.base + lo * size)
        raw = self.fh.read((hi - lo) * size)
        if len(raw) != (hi - lo) * size:
            raise InputValueError(f"{self.path!r}: the {self.name!r} array is truncated")
        return np.frombuffer(raw, dtype=self.dtype).astype(self.dtype.newbyteorder("="))


def _npz_header(path: str) -> tuple[str, tuple]:
    try:
        with np.load(path, allow_pickle=False) as z:
            files = z.files
            fmt = z["format"].item() if "format" in files else "dense"
            shape = tuple(int(s) for s in z["shape"]) if "shape" in files else ()
    except (ValueError, OSError, zlib.error, zipfile.BadZipFile) as exc:
        raise InputValueError(f"{path!r} is not a scipy sparse .npz ({exc})") from None
    fmt = fmt.decode() if isinstance(fmt, bytes) else str(fmt)
    if fmt not in ("csr", "csc", "coo") or len(shape) != 2:
        raise InputValueError(f"{path!r} holds a {fmt!r} matrix {shape}; reading by rows "
                              "handles 2-D CSR, CSC and COO (save it as CSR; read a dense "
                              "array whole with sparsekit.io.read)")
    return fmt, shape


def _check_columns(path: str, cols: np.ndarray, n: int) -> None:
    if cols.size and (cols.min() < 0 or cols.max() >= n):
        raise InputValueError(f"{path!r}: a column index lies outside 0..{n - 1}")


def _npz_csr(zf, path: str, shape, start: int, stop: int, stack) -> sp.csr_array:
    """Rows of a CSR member set: ``indptr[start:stop + 1]`` and the entries between."""
    indptr = _Member(zf, path, "indptr", stack).read(start, stop + 1).astype(np.int64)
    if np.any(np.diff(indptr) < 0):
        raise InputValueError(f"{path!r}: indptr decreases")
    lo, hi = int(indptr[0]), int(indptr[-1])
    cols = _Member(zf, path, "indices", stack).read(lo, hi)
    vals = _Member(zf, path, "data", stack).read(lo, hi)
    _check_columns(path, cols, shape[1])
    A = sp.csr_array((vals, cols, indptr - lo), shape=(stop - start, shape[1]))
    A.sum_duplicates()
    return A


def _npz_streamed(zf, path: str, fmt: str, shape, start: int, stop: int, stack):
    """Rows of a CSC or COO member set, streamed in chunks keeping the rows asked for."""
    names = ("indices", "data") if fmt == "csc" else ("row", "col", "data")
    members = [_Member(zf, path, n, stack) for n in names]
    if fmt == "csc":
        ptr = _Member(zf, path, "indptr", stack).read(0, shape[1] + 1)
    total, step = members[-1].shape[0], 1 << 22
    parts = []
    for a in range(0, total, step):
        b = min(total, a + step)
        got = [m.read(a, b) for m in members]
        if fmt == "csc":  # the column of entry k: the last column whose indptr is <= k
            got = [got[0], np.searchsorted(ptr, np.arange(a, b), "right") - 1, got[1]]
        keep = (got[0] >= start) & (got[0] < stop)
        parts.append([g[keep] for g in got])
    rows, cols, vals = (np.concatenate([p[i] for p in parts]) if parts
                        else np.zeros(0, members[-1].dtype if i == 2 else np.int64)
                        for i in range(3))
    _check_columns(path, cols, shape[1])
    return sp.coo_array((vals, (rows - start, cols)), shape=(stop - start, shape[1])).tocsr()


def _npz_rows(path: str, start: int, stop: int) -> sp.csr_array:
    fmt, shape = _npz_header(path)
    start, stop = check_row_range((start, stop), shape[0])
    try:
        with zipfile.ZipFile(path) as zf, contextlib.ExitStack() as stack:
            if fmt == "csr":
                return _npz_csr(zf, path, shape, start, stop, stack)
            return _npz_streamed(zf, path, fmt, shape, start, stop, stack)
    except (OSError, zlib.error, zipfile.BadZipFile, EOFError) as exc:
        raise InputValueError(f"{path!r} is not a readable .npz ({exc})") from None


# ---- the readers ----------


def _describe(path: str):
    """(kind, shape, Matrix Market layout or PETSc header or None, fingerprint), checked."""
    p = _existing(path)
    kind = _kind(p)
    # the PETSc header, nothing (.npz), or the Matrix Market layout
    layout = (_petscbin.info(p, sparse=True) if kind == "petsc"
              else None if kind == "npz" else mtx_layout(p))
    shape = _npz_header(p)[1] if layout is None else layout.shape
    size = os.path.getsize(p)
    with open(p, "rb") as fh:
        head = fh.read(_PRINT)
        fh.seek(max(0, size - _PRINT))
        tail = fh.read(_PRINT)
    return kind, shape, layout, (size, zlib.crc32(head), zlib.crc32(tail))


def read_rows(path, start: int, stop: int, *, chunk_bytes: int = CHUNK_BYTES) -> sp.csr_array:
    """Rows ``start:stop`` of the matrix in a file, reading no more than the format needs.

    Parameters
    ----------
    path : str or path-like
        ``.mtx``, ``.mtx.gz``, ``.npz`` or ``.petsc`` (PETSc binary).
    start, stop : int
        The rows, ``0 <= start <= stop <= n_rows``.
    chunk_bytes : int, default=4 MiB
        Matrix Market text parsed per step.

    Returns
    -------
    scipy.sparse.csr_array
        Shape ``(stop - start, n_cols)``, global column indices, duplicates
        summed; symmetric Matrix Market files give both triangles (as
        ``sparsekit.io.read``).  A Matrix Market file is scanned whole (its
        entries may come in any order), in chunks: memory ``O(chunk + rows kept)``.
    """
    p = _existing(path)
    kind = _kind(p)
    if kind == "petsc":
        return _petscbin.read_rows(p, start, stop)
    if kind == "npz":
        return _npz_rows(p, start, stop)
    layout = mtx_layout(p)
    start, stop = check_row_range((start, stop), layout.shape[0])
    chunk_bytes = positive_int(chunk_bytes, "chunk_bytes")
    parts, found = [], 0
    for rows, cols, vals, lines in _mtx_pieces(layout, 0, 1, chunk_bytes):
        keep = (rows >= start) & (rows < stop)
        parts.append((rows[keep] - start, cols[keep], vals[keep]))
        found += lines
    _check_count(layout, found)
    return _assemble(parts, stop - start, layout)


def _assemble(parts: list, m: int, layout: MtxLayout) -> sp.csr_array:
    """CSR of the parts ``(local rows, cols, values)``, each released once copied in.

    Peak: the parts and the CSR arrays (28 bytes an entry with int32 indices
    and float64 values), with no concatenated COO and its conversion besides.
    """
    idx = _index_dtype(layout)
    counts = np.zeros(m, dtype=np.int64)
    for rows, _, _ in parts:
        counts += np.bincount(rows, minlength=m)
    indptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    indices = np.empty(int(indptr[-1]), dtype=idx)
    data = np.empty(int(indptr[-1]), dtype=_VALUE_DTYPES[layout.field])
    cursor = indptr[:-1].copy()
    while parts:
        part = parts.pop(0)
        for a in range(0, part[0].size, _FILL):  # slices bound the sort's temporaries
            rows, cols, vals = (x[a:a + _FILL] for x in part)
            order = np.argsort(rows, kind="stable")
            r = rows[order]
            run_start = np.flatnonzero(np.r_[True, r[1:] != r[:-1]])
            within = np.arange(r.size) - np.repeat(run_start, np.diff(np.r_[run_start, r.size]))
            at = cursor[r] + within  # the next free slots of each row, in order
            indices[at] = cols[order]
            data[at] = vals[order]
            cursor += np.bincount(rows, minlength=m)
    if indptr[-1] < np.iinfo(np.int32).max and idx == np.int32:
        indptr = indptr.astype(np.int32)
    A = sp.csr_array((data, indices, indptr), shape=(m, layout.shape[1]))
    A.sum_duplicates()  # sorts each row's columns in place, then sums repeated ones
    return A


def _by_owner(piece, firsts: np.ndarray, size: int):
    """A parsed chunk ordered by the rank owning each row: (rows and cols, values, counts)."""
    rows, cols, vals, lines = piece
    dest = np.searchsorted(firsts, rows, side="right") - 1
    order = np.argsort(dest, kind="stable")
    pairs = np.column_stack([rows[order], cols[order]])  # one message for both indices
    return pairs, vals[order], np.bincount(dest, minlength=size), lines


def _exchange(comm, arr: np.ndarray, counts, rcounts, width: int = 1) -> np.ndarray:
    """``Alltoallv`` of the rows of ``arr`` (``counts[r]`` of them to rank ``r``)."""
    send_c, recv_c = [width * c for c in counts], [width * c for c in rcounts]
    displ = [np.concatenate(([0], np.cumsum(c)[:-1])).tolist() for c in (send_c, recv_c)]
    recv = np.empty((sum(rcounts),) + arr.shape[1:], dtype=arr.dtype)
    comm.Alltoallv([np.ascontiguousarray(arr), (send_c, displ[0])], [recv, (recv_c, displ[1])])
    return recv


def _mtx_local(comm, layout: MtxLayout, start: int, stop: int, chunk_bytes: int):
    rank, size = comm.Get_rank(), comm.Get_size()
    firsts = np.array([row_split(layout.shape[0], r, size)[0] for r in range(size)])
    pieces = _mtx_pieces(layout, rank, size, chunk_bytes)
    parts, found = [], 0
    idx = _index_dtype(layout)
    none = (np.zeros((0, 2), idx), np.zeros(0, _VALUE_DTYPES[layout.field]), [0] * size, 0)

    def step():
        piece = next(pieces, None)
        return piece if piece is None or size == 1 else _by_owner(piece, firsts, size)

    def summary(v):  # None: no chunk left; else how many entries go to each rank
        return None if v is None else v[2].tolist() if size > 1 else []

    with contextlib.closing(pieces):
        while True:
            # a round: each rank parses a chunk, all learn who sends what, then exchange
            got, counts = agree(comm, step, summary=summary)
            if all(c is None for c in counts):
                break
            if size == 1:
                rows, cols, vals, lines = got
            else:
                pairs, vals, _, lines = none if got is None else got
                rcounts = [0 if c is None else c[rank] for c in counts]
                sent = [0] * size if got is None else counts[rank]
                pairs = _exchange(comm, pairs, sent, rcounts, width=2)
                vals = _exchange(comm, vals, sent, rcounts)
                rows, cols = pairs[:, 0], pairs[:, 1]
            found += lines
            parts.append((rows - start if start else rows, cols, vals))
    _check_count(layout, sum(comm.allgather(found)))
    return agree(comm, lambda: _assemble(parts, stop - start, layout))[0]  # e.g. out of memory


def read_local(path, comm=None, *, chunk_bytes: int = CHUNK_BYTES) -> RowBlock:
    """Collective: rank ``r`` of ``P`` reads rows ``row_split(n, r, P)`` of the matrix in ``path``.

    Parameters
    ----------
    path : str or path-like
        The same file on every rank: ``.mtx``, ``.mtx.gz``, ``.npz`` or ``.petsc``.
    comm : mpi4py communicator, optional
        A petsc4py one is converted (``tompi4py``); ``None`` reads as one rank.
    chunk_bytes : int, default=4 MiB
        Matrix Market text each rank parses per round.

    Returns
    -------
    RowBlock
        This rank's rows (``local``), ``start``, ``stop`` and the global ``shape``.

    Raises
    ------
    SparsekitError
        The same on every rank: a missing or malformed file on any rank, or different files.
    """
    comm = _as_comm(comm)
    rank, size = comm.Get_rank(), comm.Get_size()
    p = os.fspath(path)

    def describe():
        positive_int(chunk_bytes, "chunk_bytes")
        return _describe(p)

    (kind, shape, layout, _), prints = agree(comm, describe, summary=lambda v: (p, v[3]))
    if len({fp for _, fp in prints}) > 1:
        listing = ", ".join(f"rank {r}: {q!r} ({fp[0]} bytes)" for r, (q, fp) in enumerate(prints))
        raise InputValueError(f"the ranks hold different files ({listing}); every rank must "
                              "read the same file (a shared file system, or identical copies)")
    start, stop = row_split(shape[0], rank, size)
    if kind == "petsc":  # each rank sums its row lengths; the ranks add them up in order
        sums = agree(comm, lambda: int(_petscbin.row_lengths(p, start, stop).sum()),
                     summary=lambda v: v)[1]
        if sum(sums) != layout.nnz:
            raise InputValueError(f"{p!r} is not a valid PETSc binary file: the row lengths "
                                  f"sum to {sum(sums)} but the header claims nz={layout.nnz}")
        before = sum(sums[:rank])
        local, _ = agree(comm, lambda: _petscbin.read_rows(p, start, stop, before=before))
    elif kind == "npz":
        local, _ = agree(comm, lambda: read_rows(p, start, stop))
    else:
        local = _mtx_local(comm, layout, start, stop, chunk_bytes)
    return RowBlock(local, start, stop, tuple(shape), p)
