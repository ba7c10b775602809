"""The guards between untrusted input and the process: files, writes, memory.

:mod:`sparsekit.io` reads and writes through this module, and the builders,
readers and command line ask it before allocating (``docs/refusals.md`` lists
every guard; the input gate on sparse index arrays is in ``_validate``):

* **the Matrix Market front guard** (:func:`read_mm`).  fast_matrix_market
  ends each line with ``strchr``, which stops at a NUL byte or at the end of
  its buffer: a NUL after a value, or a last line without its newline that
  holds more than the parser reads, sends it past its buffer (a segfault); an
  ``array`` header with 0 rows and values below it divides by zero; a
  symmetric header on a rectangular shape writes outside the result.  So the
  header is read and checked first (square when symmetric, no more entries
  than the file's bytes can hold, the memory preflight); a plain file is
  scanned for NUL bytes in the same pass (block reads and ``memchr``: about
  0.1 ms per MB, against fmm's 1.5 ms per MB of parsing), which also reads a
  canonical header (any other is fmm's to read); a file without its final
  newline, and every ``.mtx.gz``, reaches fmm through :class:`_Guarded`, a
  stream that refuses NUL bytes and adds the newline.  A file under 512 KiB is
  parsed on one thread (fmm's thread pool costs more than it saves there).
  Every rejection is a :class:`~sparsekit.MatrixMarketError` naming the file
  and the line.
* **writes that cannot lose data** (:func:`atomic_file`, :func:`atomic_path`,
  :class:`Checked`): a temporary file beside the destination, named before it
  exists (an interruption at any point leaves nothing behind), written through
  a checked file object (fmm ignores its own write errors: a full disk left a
  truncated file), flushed and ``fsync``'d, and only then renamed over the
  destination.
* **the memory preflight** (:func:`check_memory`): a size is estimated before
  allocating, and refused with :class:`~sparsekit.InsufficientMemoryError`
  ("would need X GiB, Y GiB available") when it cannot fit.

This is floor 1 (beside ``io``); it imports only ``_validate`` and ``errors``.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import io as _pyio
import math
import os
import re
import secrets
import stat
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fast_matrix_market as fmm
import numpy as np

from ._validate import check_coords
from .errors import (
    DataNotFoundError,
    InputValueError,
    InsufficientMemoryError,
    MatrixMarketError,
    SparsekitError,
)

__all__ = ["read_mm", "read_head", "comment", "atomic_path", "atomic_file", "Checked",
           "new_file_mode", "available_memory", "check_memory", "gib"]

_LINE = re.compile(r"^Line (\d+):\s*(.*)$", re.S)
_BLOCK = 1 << 20
#: below this many bytes a file is parsed on one thread
_SMALL_FILE = 1 << 19
#: what fmm raises on a bad file, and gzip on a bad .gz
_READ_ERRORS = (ValueError, OverflowError, RuntimeError, UnicodeDecodeError, EOFError, OSError,
                zlib.error, IndexError, MemoryError)


class _NulByte(Exception):
    """A NUL byte at ``offset`` of the (decompressed) text."""


def _open_bytes(p: Path):
    return gzip.open(p, "rb") if p.name.lower().endswith(".gz") else open(p, "rb")


def _line_at(p: Path, offset: int = 1 << 62) -> int:
    """1-based line of byte ``offset`` (default: the line after the last); error path only."""
    line, seen = 1, 0
    with contextlib.suppress(OSError, EOFError, zlib.error), _open_bytes(p) as fh:
        while seen < offset and (block := fh.read(min(_BLOCK, offset - seen))):
            line += block.count(b"\n")
            seen += len(block)
    return line


def _mm_error(p: Path, exc: BaseException, line: int | None = None) -> SparsekitError:
    if isinstance(exc, SparsekitError):
        return exc
    if isinstance(exc, FileNotFoundError):
        return DataNotFoundError(f"no such file: {str(p)!r}")
    if isinstance(exc, OSError) and exc.errno is not None:  # permissions, I/O: not the text
        return InputValueError(f"cannot read {str(p)!r}: {exc.strerror or exc}")
    if isinstance(exc, MemoryError):  # past the preflight
        return InsufficientMemoryError(f"reading {str(p)!r}: {exc or 'out of memory'}")
    if isinstance(exc, _NulByte):
        return MatrixMarketError("a NUL byte, and Matrix Market files are text (a binary or "
                                 "corrupted file?)", str(p), _line_at(p, exc.args[0]))
    msg = str(exc) or type(exc).__name__
    m = _LINE.match(msg)
    if m:
        return MatrixMarketError(m.group(2), path=str(p), line=int(m.group(1)))
    if isinstance(exc, (gzip.BadGzipFile, EOFError, zlib.error)):
        msg = f"not a valid gzip file ({msg})"
    return MatrixMarketError(msg, path=str(p), line=_line_at(p) if line is None else line)


def _call_fmm(p: Path, fn, line: int | None = None):
    try:
        return fn(str(p))
    except _READ_ERRORS as exc:
        raise _mm_error(p, exc, line) from None


class _Guarded(_pyio.RawIOBase):
    """A Matrix Market text as fmm may parse it: no NUL byte, a final newline.

    fmm reads it from C++, so nothing raises across the parser: a NUL byte, a
    gzip error or Ctrl-C is kept in ``error`` and ends the stream; the reader
    raises it once fmm has returned.
    """

    def __init__(self, src):
        self._src, self._offset, self._last, self._done = src, 0, 10, False
        self.error: BaseException | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        if self._done:
            return 0
        try:
            data = self._src.read(len(b))
            if data.find(b"\0") >= 0:
                raise _NulByte(self._offset + data.find(b"\0"))
        except BaseException as exc:  # noqa: BLE001 - raised after fmm returns
            self.error, self._done = exc, True
            return 0
        if not data:
            self._done = True
            if self._last == 10:
                return 0
            data = b"\n"  # the missing final newline
        b[:len(data)] = data
        self._offset += len(data)
        self._last = data[-1]
        return len(data)


@dataclass(frozen=True)
class _Head:
    header: Any  # fast_matrix_market.header
    size_line: int  # 1-based
    body_offset: int  # bytes before the body
    size: int  # bytes of the file (compressed, for .gz)
    clean: bool = False  # scanned whole: no NUL byte, a final newline


#: the start of the size line: a line after the first that is neither a comment nor blank
_SIZE_LINE = re.compile(rb"\n(?!%)[ \t\r\f\v]*[^\s]")
#: a canonical banner and size line, which fmm reads the same way (else fmm is asked)
_BANNER = re.compile(rb"%%MatrixMarket matrix (coordinate|array) (real|double|integer|complex|"
                     rb"pattern) (general|symmetric|skew-symmetric|hermitian)[ \t\r]*\n")
_SIZES = re.compile(rb"[ \t]*(\d{1,18})[ \t]+(\d{1,18})(?:[ \t]+(\d{1,18}))?[ \t\r]*(?:\n|$)")


@dataclass(frozen=True)
class _Header:
    """The fields of ``fast_matrix_market.header`` the guard reads."""

    shape: tuple
    nnz: int
    object: str
    format: str
    field: str
    symmetry: str


def _quick_header(block: bytes, size_start: int) -> _Header | None:
    banner, sizes = _BANNER.match(block), _SIZES.match(block, size_start)
    if not banner or not sizes or (banner[1] == b"coordinate") != (sizes[3] is not None):
        return None
    nrows, ncols = int(sizes[1]), int(sizes[2])
    return _Header((nrows, ncols), int(sizes[3] or nrows * ncols), "matrix",
                   *(g.decode() for g in banner.groups()))


def _scan_plain(p: Path):
    """One pass: (size line, body offset, header) if the first block holds them; clean or not.

    A NUL byte is refused; clean means the file ends with a newline.
    """
    with open(p, "rb", buffering=0) as fh:
        size = os.fstat(fh.fileno()).st_size
        block, head = fh.read(min(_BLOCK, size + 1)), None
        if (k := block.find(b"\0")) >= 0:
            raise _NulByte(k)
        if m := _SIZE_LINE.search(block):
            end = block.find(b"\n", m.end())
            if end >= 0 or len(block) < _BLOCK:
                head = (block.count(b"\n", 0, m.start()) + 2,
                        end + 1 if end >= 0 else len(block), _quick_header(block, m.start() + 1))
        last, pos = block[-1:] or b"\n", len(block)
        if len(block) == _BLOCK:  # the rest through one reused buffer
            buf = bytearray(_BLOCK)
            view = memoryview(buf)
            while n := fh.readinto(view):
                if (k := buf.find(b"\0", 0, n)) >= 0:
                    raise _NulByte(pos + k)
                last, pos = buf[n - 1:n], pos + n
    return head, last == b"\n", size


def read_head(p: Path, *, scan: bool = False) -> _Head:
    """The header as fmm reads it, with its size line and where the body starts.

    ``scan`` (a plain file): the whole file in the same pass, a NUL byte
    refused, and a canonical header read without asking fmm.
    """
    number = offset = size = 0
    clean, header = False, None
    try:
        found = None
        if scan and not p.name.lower().endswith(".gz"):
            found, clean, size = _scan_plain(p)
        else:
            size = os.path.getsize(p)
        if found is not None:
            number, offset, header = found
        else:
            with _open_bytes(p) as fh:
                while True:
                    line = fh.readline(1 << 24)
                    number, offset = number + 1, offset + len(line)
                    if b"\0" in line:
                        raise _NulByte(offset - len(line) + line.index(b"\0"))
                    if len(line) == 1 << 24:
                        raise MatrixMarketError("a header line longer than 16 MiB", str(p),
                                                number)
                    if not line or (number > 1 and line.strip() and not line.startswith(b"%")):
                        break
    except _READ_ERRORS + (_NulByte,) as exc:
        raise _mm_error(p, exc, number or 1) from None
    header = header or _call_fmm(p, fmm.read_header, line=number)
    return _Head(header, number, offset, size, clean)


def comment(p: Path, head: _Head) -> str:
    """The header's comment, undecodable bytes replaced (fmm's own decoding raises)."""
    try:
        return head.header.comment
    except UnicodeDecodeError:
        with _open_bytes(p) as fh:
            lines = [fh.readline() for _ in range(head.size_line - 1)][1:]
        return "\n".join(ln.rstrip(b"\r\n")[1:].decode("utf-8", "replace")
                         for ln in lines if ln.startswith(b"%"))


def _check_head(p: Path, head: _Head, format: str) -> None:
    """What fmm would crash on, or allocate without bound, refused at the size line."""
    h, line = head.header, head.size_line
    (nrows, ncols), sym = h.shape, h.symmetry != "general"
    if sym and nrows != ncols:
        raise MatrixMarketError(f"a {h.symmetry} matrix must be square (the header says "
                                f"{nrows} x {ncols})", str(p), line)
    size = 16 if h.field == "complex" else 8
    if h.format == "array":
        what, tokens = "values", 2 if h.field == "complex" else 1
        count = nrows * ncols if not sym else nrows * (nrows + 1) // 2 - (
            nrows if h.symmetry == "skew-symmetric" else 0)
        need = float(nrows) * ncols * size
    else:
        what, count = "entries", int(h.nnz)
        tokens = (1 if h.object == "vector" else 2) + {"pattern": 0, "complex": 2}.get(h.field, 1)
        isz = 8 if max(nrows, ncols, count) >= 2**31 else 4
        # fmm's triplets (a mirrored file: about three times), then the CSR/CSC and its indptr
        need = count * (2 * isz + size) * (3.0 if sym else 1.0) + count * (1 + sym) * (isz + size)
        need += 0.0 if format == "coo" else 8.0 * ((nrows if format == "csr" else ncols) + 1)
    if not p.name.lower().endswith(".gz"):  # each number takes a byte and a separator
        body = head.size - head.body_offset
        if count and 2 * tokens * count - 1 > body:
            raise MatrixMarketError(
                f"the header claims {count:,} {what}, but the {body:,} bytes after it hold at "
                f"most {(body + 1) // (2 * tokens):,}: the file is truncated or its header is "
                "wrong", str(p), line)
    check_memory(need, lambda: f"reading {p.name} ({nrows:,} x {ncols:,}, {count:,} {what} "
                 "listed)")


def _read_body(p: Path, head: _Head, fn):
    """``fn`` (fmm's read_coo or read_array); through :class:`_Guarded` unless scanned clean.

    A file of one fmm chunk or less is parsed on one thread: starting fmm's thread pool
    costs more than it saves there (measured: jazz 0.25 ms on 2 threads, 0.13 on one;
    bcsstk09 0.72 and 0.46).
    """
    small = head.size < (_SMALL_FILE >> 2 if p.name.lower().endswith(".gz") else _SMALL_FILE)
    fn = functools.partial(fn, parallelism=1) if small else fn
    if head.clean:
        return _call_fmm(p, fn)
    failed = result = None
    with _open_bytes(p) as src:
        guarded = _Guarded(src)
        try:
            result = fn(_pyio.BufferedReader(guarded, 1 << 16))  # 1 MiB: +1 ms on small files
        except _READ_ERRORS as exc:
            failed = exc
    problem = guarded.error or failed
    if problem is not None and not isinstance(problem, Exception):
        raise problem  # Ctrl-C, SIGTERM: as they came
    if problem is not None:
        raise _mm_error(p, problem) from None
    return result


def read_mm(p: Path, format: str):
    """A Matrix Market file through the front guard: ndarray, or (rows, cols, data, shape)."""
    head = read_head(p, scan=True)
    h = head.header
    _check_head(p, head, format)
    if h.format == "coordinate":
        (data, (rows, cols)), shape = _read_body(p, head, fmm.read_coo)
        shape = (int(shape[0]), int(shape[1]))
        check_coords((rows, cols), shape, data.size, str(p))  # the gate (fmm checks too)
        return rows, cols, data, shape
    if 0 not in h.shape:
        return np.asarray(_read_body(p, head, fmm.read_array))
    # 0 rows or columns: fmm would divide by zero on any value below the header
    pos, first = head.body_offset, None
    with _open_bytes(p) as fh:
        fh.seek(pos)
        while first is None and (rest := fh.read(_BLOCK)):
            first = pos + len(rest) - len(rest.lstrip()) if rest.strip() else None
            pos += len(rest)
    if first is not None:
        raise MatrixMarketError(f"the header says {h.shape[0]} x {h.shape[1]}, so no value "
                                "may follow; this line holds one", str(p), _line_at(p, first))
    return np.zeros(h.shape, {"complex": np.complex128, "integer": np.int64}.get(h.field, float))




# --------------------------------------------------------------------------
# writes that cannot lose data
# --------------------------------------------------------------------------

def new_file_mode(path: Path) -> int:
    """Permissions for a file replacing ``path``: its own, else ``0o666 & ~umask``.

    Atomic writes create a private temporary file (``0o600``); the renamed
    result should look like a file that ``open(path, "w")`` made.
    """
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mask = os.umask(0)  # the only way to read the umask; restored at once
        os.umask(mask)
        return 0o666 & ~mask


@contextlib.contextmanager
def _temporary(path: Path):
    """A name ``.NAME.xxxxxxxx.tmp.SUFFIX`` beside ``path``, removed on exit unless renamed."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise DataNotFoundError(f"cannot write {str(path)!r}: folder {str(folder)!r} does "
                                "not exist")
    suffix = ".mtx.gz" if path.name.lower().endswith(".mtx.gz") else path.suffix
    tmp = folder / f".{path.name}.{secrets.token_hex(4)}.tmp{suffix}"
    try:
        yield tmp
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _create(tmp: Path) -> int:
    return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)


def _commit(tmp: Path, path: Path) -> None:
    """Rename the finished temporary file over ``path`` and make the rename durable."""
    os.chmod(tmp, new_file_mode(path))
    os.replace(tmp, path)
    with contextlib.suppress(OSError, AttributeError):  # not every platform syncs folders
        fd = os.open(tmp.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; ``fsync`` and rename it into place on success.

    What the block writes to the temporary path replaces ``path`` only if the
    block finishes; on any exception (Ctrl-C, and SIGTERM on the command line)
    the temporary file is removed and ``path`` is left as it was.

    Examples
    --------
    >>> import os, tempfile
    >>> import sparsekit as sk
    >>> p = os.path.join(tempfile.mkdtemp(), "notes.txt")
    >>> with sk.io.atomic_path(p) as tmp:
    ...     _ = tmp.write_text("done")
    >>> open(p).read(), sorted(os.listdir(os.path.dirname(p)))
    ('done', ['notes.txt'])
    """
    path = Path(os.fspath(path))
    with _temporary(path) as tmp:
        os.close(_create(tmp))
        yield tmp
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        _commit(tmp, path)


@contextlib.contextmanager
def atomic_file(path: Path):
    """:func:`atomic_path` as an open binary file, flushed and fsync'd before the rename."""
    with _temporary(Path(path)) as tmp:
        fh = open(_create(tmp), "wb", buffering=_BLOCK)
        try:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        except BaseException:
            with contextlib.suppress(Exception):  # the first error is the one to report
                fh.close()
            raise
        fh.close()
        _commit(tmp, Path(path))


class Checked:
    """A file object for fmm's writer that keeps the first error instead of raising it.

    fmm ignores its own write errors, and flushes its last buffer from a C++
    destructor, where a Python exception would abort the process: so
    ``write`` never raises; it keeps the first error (a full disk, an I/O
    error, Ctrl-C) in ``error`` and drops what follows, for the caller to
    raise once fmm has returned.
    """

    def __init__(self, fh):
        self._write = fh.write
        self.error: BaseException | None = None

    def write(self, b) -> int:
        """Write ``b``, or keep the error it raised."""
        if self.error is None:
            try:
                self._write(b)
            except BaseException as exc:  # noqa: BLE001 - raised by the caller
                self.error = exc
        return len(b)


# --------------------------------------------------------------------------
# the memory preflight
# --------------------------------------------------------------------------

#: below this many bytes an allocation is not checked
_SMALL = 1 << 26
_CGROUP = (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
           ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.usage_in_bytes"))


def _number(path: str, key: str | None = None) -> int | None:
    """An integer file (cgroup), or one ``key: N kB`` line of /proc/meminfo, in bytes."""
    try:
        with open(path) as f:
            if key is None:
                text = f.read().strip()
                return int(text) if text.isdigit() else None
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def available_memory() -> int | None:
    """Bytes this process can still allocate, or None where the platform does not say.

    Linux: ``MemAvailable`` plus ``SwapFree`` (``/proc/meminfo``), capped by a
    cgroup memory limit minus its usage (v2, then v1): a container's limit is
    what its OOM killer enforces.  Elsewhere: the free (else all) physical
    pages from ``os.sysconf``.
    """
    avail = _number("/proc/meminfo", "MemAvailable")
    if avail is not None:
        avail += _number("/proc/meminfo", "SwapFree") or 0
    elif hasattr(os, "sysconf"):
        for pages in ("SC_AVPHYS_PAGES", "SC_PHYS_PAGES"):
            with contextlib.suppress(ValueError, OSError):
                avail = os.sysconf(pages) * os.sysconf("SC_PAGE_SIZE")
                break
    for limit_path, usage_path in _CGROUP:
        limit, usage = _number(limit_path), _number(usage_path)
        if limit is not None and usage is not None and limit < 2**60:
            avail = max(limit - usage, 0) if avail is None else min(avail, max(limit - usage, 0))
            break
    return avail


def gib(nbytes: float) -> str:
    """Bytes as GiB for messages: ``'1.5 GiB'``."""
    return f"{nbytes / 2**30:,.1f} GiB"


def check_memory(nbytes: float, what: str | Callable[[], str]) -> None:
    """The memory preflight: raise, before allocating, when ``nbytes`` cannot fit.

    ``nbytes`` is the estimated peak (a float: the sizes of absurd headers
    overflow int64); ``what`` names the allocation in the message (a
    callable returning it is called only then).

    Raises
    ------
    InsufficientMemoryError
        "``what`` would need X GiB, Y GiB available".

    Examples
    --------
    >>> from sparsekit._guards import check_memory
    >>> check_memory(1024, "a small array")
    >>> check_memory(2.0**70, "a 10^12 x 10^12 grid")
    Traceback (most recent call last):
    ...
    sparsekit.errors.InsufficientMemoryError: a 10^12 x 10^12 grid would need 1,099,511,627,776.0...
    """
    nbytes = float(nbytes)
    if 0 <= nbytes <= _SMALL:  # reading /proc/meminfo costs 0.2 ms: not for small sizes
        return
    avail = available_memory()
    if math.isfinite(nbytes) and (avail is None or nbytes <= avail):
        return
    have = gib(avail) if avail is not None else "an unknown amount"
    what = what() if callable(what) else what
    raise InsufficientMemoryError(
        f"{what} would need {gib(nbytes)}, {have} available; use a smaller size or a machine "
        "with more memory", needed=int(min(nbytes, 2**63 - 1)), available=avail)
