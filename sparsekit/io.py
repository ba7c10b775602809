"""Reading and writing matrices (Matrix Market, ``.npz``), and reading edge lists and tokens.

* :func:`read`, :func:`read_coo`, :func:`info` and :func:`write`: Matrix
  Market files (``.mtx``, ``.mtx.gz``) and ``.npz``.
* :func:`read_edges`: an edge list (CSV/TSV/whitespace; source, target,
  optional weight) as arrays :func:`sparsekit.adjacency` takes.
* :func:`read_tokens`: a text file of tokens as the ids
  :func:`sparsekit.cooccurrence` takes.

Parsing is done by fast_matrix_market, called directly rather than through
``scipy.io.mmread`` (which wraps the same parser).  Measured here (median of 7,
2-core machine): bcsstk33 (300k entries) 16 ms against 25 ms; bcsstk13 6.5 ms
both; luxembourg_osm (pattern) 9.6 ms against 8.0 ms.  So: no slower where it
matters, and calling fmm directly gives its header-only reader and its
line-numbered errors.

Every error from a malformed Matrix Market file becomes
:class:`~sparsekit.MatrixMarketError` naming the file and, where fmm reports
it, the line; a malformed edge list or token file is an
:class:`~sparsekit.InputValueError` naming the file.  Writes go to a temporary
file in the destination folder and are renamed into place, so a file is never
half-written.
"""

from __future__ import annotations

import gzip
import os
import re
import stat
import tempfile
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path

import fast_matrix_market as fmm
import numpy as np
import scipy.sparse as sp

from ._validate import describe
from .errors import DataNotFoundError, InputValueError, MatrixMarketError

__all__ = ["read", "read_coo", "write", "info", "MatrixInfo", "read_edges", "read_tokens"]

_SYMMETRIES = ("general", "symmetric", "skew-symmetric", "hermitian")
_FIELDS = ("real", "integer", "complex", "pattern")
_LINE = re.compile(r"^Line (\d+):\s*(.*)$", re.S)
#: Lines of an edge list that start with one of these are comments.
_COMMENTS = ("#", "%")


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
    for suf in (".mtx.gz", ".mtx", ".npz"):
        if name.endswith(suf):
            return suf
    raise InputValueError(
        f"cannot tell the file format of {str(path)!r} from its suffix; "
        "expected .mtx, .mtx.gz or .npz"
    )


def _existing(path) -> Path:
    p = Path(os.fspath(path))
    if not p.is_file():
        raise DataNotFoundError(f"no such file: {str(p)!r}")
    return p


def _mm_error(path: Path, exc: BaseException) -> MatrixMarketError:
    msg = str(exc) or type(exc).__name__
    m = _LINE.match(msg)
    if m:
        return MatrixMarketError(m.group(2), path=str(path), line=int(m.group(1)))
    if isinstance(exc, (gzip.BadGzipFile, EOFError, zlib.error)):
        msg = f"not a valid gzip file ({msg})"
    return MatrixMarketError(msg, path=str(path))


def _call_fmm(path: Path, fn):
    try:
        return fn(str(path))
    except (ValueError, OverflowError, RuntimeError, UnicodeDecodeError, EOFError,
            OSError, zlib.error, IndexError, MemoryError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise DataNotFoundError(f"no such file: {str(path)!r}") from None
        raise _mm_error(path, exc) from None


def info(path) -> MatrixInfo:
    """Read only the header of a Matrix Market file.

    Parameters
    ----------
    path : str or path-like
        A ``.mtx`` or ``.mtx.gz`` file.

    Returns
    -------
    MatrixInfo
        Shape, number of stored entries, format, field, symmetry and comment.

    Examples
    --------
    >>> import sparsekit as sk, scipy.sparse as sp, tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> sk.io.write(os.path.join(d, "I.mtx"), sp.eye_array(3))
    >>> sk.io.info(os.path.join(d, "I.mtx")).symmetry
    'symmetric'
    """
    p = _existing(path)
    if _suffix(p) == ".npz":
        raise InputValueError(f"info() reads Matrix Market headers; {str(p)!r} is .npz")
    h = _call_fmm(p, fmm.read_header)
    return MatrixInfo(str(p), tuple(h.shape), int(h.nnz), h.format, h.field,
                      h.symmetry, h.comment)


def read_coo(path):
    """Read a coordinate Matrix Market file as triplets.

    Symmetric, skew-symmetric and Hermitian files are expanded to both
    triangles; pattern files give ones.

    Returns
    -------
    rows, cols : ndarray of int64
    data : ndarray
    shape : tuple of int
    """
    p = _existing(path)
    (data, (rows, cols)), shape = _call_fmm(p, fmm.read_coo)
    return rows, cols, data, tuple(shape)


def read(path, *, format: str = "csr"):
    """Read a matrix from ``.mtx``, ``.mtx.gz`` or ``.npz``.

    Parameters
    ----------
    path : str or path-like
        The file; the format is taken from the suffix.
    format : {"csr", "csc", "coo"}, default="csr"
        Sparse format of the result (coordinate files and sparse ``.npz``).

    Returns
    -------
    sparse array or ndarray
        A scipy sparse array for coordinate files, an ndarray for Matrix Market
        ``array`` files (dense vectors and matrices).

    Raises
    ------
    MatrixMarketError
        The file is malformed; the message names the file and the line.

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
    p = _existing(path)
    if format not in ("csr", "csc", "coo"):
        raise InputValueError(f"format must be 'csr', 'csc' or 'coo' (got {format!r})")
    if _suffix(p) == ".npz":
        return _read_npz(p, format)
    header = _call_fmm(p, fmm.read_header)
    if header.format == "array":
        return np.asarray(_call_fmm(p, fmm.read_array))
    rows, cols, data, shape = read_coo(p)
    return sp.coo_array((data, (rows, cols)), shape=shape).asformat(format)


def _read_npz(p: Path, format: str):
    try:
        with np.load(p, allow_pickle=False) as z:
            if "dense" in z.files:
                return np.asarray(z["dense"])
        return sp.load_npz(p).asformat(format)
    except (ValueError, OSError, KeyError, zlib.error) as exc:
        raise InputValueError(f"{str(p)!r} is not a sparsekit/scipy .npz matrix ({exc})") from None


# --------------------------------------------------------------------------
# edge lists and token files
# --------------------------------------------------------------------------

def _delimiter(path: Path, first: str) -> str | None:
    name = path.name.lower()
    if name.endswith(".csv") or ("," in first and "\t" not in first):
        return ","
    if name.endswith(".tsv") or "\t" in first:
        return "\t"
    return None  # any whitespace


def _sniff(path: Path, count: int = 2):
    """The first ``count`` data lines (1-based line number, text), skipping comments."""
    found = []
    try:
        with open(path, encoding="utf-8") as fh:
            for number, line in enumerate(fh, start=1):
                if line.strip() and not line.lstrip().startswith(_COMMENTS):
                    found.append((number, line.rstrip("\n")))
                    if len(found) == count:
                        break
    except UnicodeDecodeError:
        raise InputValueError(f"{str(path)!r} is not a text edge list") from None
    return found


def _split(line: str, delim: str | None) -> list[str]:
    return [f.strip() for f in (line.split(delim) if delim else line.split())]


def _first_non_numeric(col: np.ndarray) -> int:
    """Index of the first string that is not a number (error path only)."""
    for i, v in enumerate(col.tolist()):
        try:
            float(v)
        except ValueError:
            return i
    return 0  # pragma: no cover


def _looks_like_header(rows) -> bool:
    if len(rows) < 2:
        return False

    def numeric(s):
        try:
            float(s)
            return True
        except ValueError:
            return False

    first, second = rows[0], rows[1]
    if len(first) == 3 and len(second) == 3 and not numeric(first[2]) and numeric(second[2]):
        return True
    return (not numeric(first[0]) and not numeric(first[1])
            and numeric(second[0]) and numeric(second[1]))


def _edge_table(p: Path, header: bool | None) -> np.ndarray:
    """The edge list's columns, float if they all parse as numbers, else strings."""
    head = _sniff(p)
    if not head:
        raise InputValueError(f"{str(p)!r} holds no edges")
    delim = _delimiter(p, head[0][1])
    fields = [_split(line, delim) for _, line in head]
    if header is None:
        header = _looks_like_header(fields)
    skip = head[0][0] if header else 0
    if header and len(head) < 2:
        raise InputValueError(f"{str(p)!r} holds a header and no edges")
    kwargs = {"delimiter": delim, "comments": list(_COMMENTS), "skiprows": skip, "ndmin": 2}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # numpy's note on blank lines
            try:
                table = np.loadtxt(p, dtype=np.float64, **kwargs)
            except ValueError:
                table = np.loadtxt(p, dtype=str, **kwargs)
    except ValueError as exc:
        raise InputValueError(f"{str(p)!r}: not an edge list ({exc})") from None
    if table.shape[0] == 0:
        raise InputValueError(f"{str(p)!r} holds no edges")
    if table.shape[1] not in (2, 3):
        raise InputValueError(
            f"{str(p)!r}: expected 2 or 3 columns (source, target, optional weight), "
            f"got {table.shape[1]}")
    return table


def read_edges(path, *, header: bool | None = None):
    r"""Read an edge list: one edge per line, ``source, target[, weight]``.

    Fields are separated by commas (``.csv``, or a first line with commas),
    tabs (``.tsv``, or a first line with tabs) or any whitespace.  Lines
    starting with ``#`` or ``%`` are comments.  Parsing is numpy's
    (``loadtxt``), not a Python loop over the edges.

    Parameters
    ----------
    path : str or path-like
        The text file.
    header : bool, optional
        Whether the first data line is a header.  Default: guessed -- a first
        line whose weight (or both ends) is not numeric while the next line's
        are is taken as a header.

    Returns
    -------
    rows, cols : ndarray of int
        The two ends of each edge.  Node ids that are all non-negative
        integers are used as they are (``n = max id + 1``); any other names
        are numbered in sorted order.
    weights : ndarray of float64 or None
        The third column, if there is one.
    labels : ndarray of str or None
        The node names in sorted order (node ``i`` is ``labels[i]``) when the
        ids are not integers, else None.

    Raises
    ------
    DataNotFoundError
        No such file.
    InputValueError
        Not a text file, no edges, not 2 or 3 columns, or a weight that is
        not a number; the message names the file (and the edge).

    See Also
    --------
    sparsekit.adjacency : takes ``(rows, cols[, weights])`` with ``n=``.
    networkx.read_edgelist

    Examples
    --------
    >>> import os, tempfile
    >>> import sparsekit as sk
    >>> p = os.path.join(tempfile.mkdtemp(), "edges.csv")
    >>> with open(p, "w") as f:
    ...     _ = f.write("source,target,weight\nann,bob,2.0\nbob,cy,0.5\n")
    >>> rows, cols, weights, labels = sk.io.read_edges(p)
    >>> rows.tolist(), cols.tolist(), weights.tolist(), labels.tolist()
    ([0, 1], [1, 2], [2.0, 0.5], ['ann', 'bob', 'cy'])
    >>> sk.adjacency((rows, cols, weights), n=len(labels)).toarray()
    array([[0. , 2. , 0. ],
           [2. , 0. , 0.5],
           [0. , 0.5, 0. ]])
    """
    p = _existing(path)
    table = _edge_table(p, header)
    weights = None
    if table.shape[1] == 3:
        try:
            weights = table[:, 2].astype(np.float64)
        except ValueError:
            bad = _first_non_numeric(table[:, 2])
            raise InputValueError(
                f"{str(p)!r}, edge {bad + 1}: weight {str(table[bad, 2])!r} is not a "
                "number") from None
    ends = table[:, :2]
    labels = None
    if ends.dtype.kind == "f":
        integral = np.all(ends == np.round(ends)) and np.all(ends >= 0)
    else:
        integral = bool(np.char.isdigit(ends).all())
    if integral:
        ids = ends.astype(np.int64)
        rows, cols = ids[:, 0], ids[:, 1]
    else:
        labels, inverse = np.unique(ends.astype(str).ravel(), return_inverse=True)
        inverse = inverse.reshape(-1, 2)
        rows, cols = inverse[:, 0], inverse[:, 1]
    return rows, cols, weights, labels


def read_tokens(path):
    r"""Read a token file: whitespace-separated tokens, blank lines between documents.

    Parameters
    ----------
    path : str or path-like
        The text file.

    Returns
    -------
    ids : ndarray of int64, or list of them
        When every token is a non-negative integer, the tokens themselves;
        otherwise the words numbered in sorted order.  With more than one
        document (blank lines separate them), a list of arrays, one per
        document, so that co-occurrence windows do not cross documents.
    vocabulary : ndarray of str or None
        The words in sorted order (id ``i`` is ``vocabulary[i]``), or None for
        integer tokens.

    Raises
    ------
    DataNotFoundError
        No such file.
    InputValueError
        Not a UTF-8 text file, or no tokens.

    See Also
    --------
    sparsekit.cooccurrence : takes ``ids`` (with ``vocab_size=len(vocabulary)``).

    Examples
    --------
    >>> import os, tempfile
    >>> import sparsekit as sk
    >>> p = os.path.join(tempfile.mkdtemp(), "corpus.txt")
    >>> with open(p, "w") as f:
    ...     _ = f.write("the cat sat\n\nthe dog")
    >>> ids, vocab = sk.io.read_tokens(p)
    >>> [d.tolist() for d in ids], vocab.tolist()
    ([[3, 0, 2], [3, 1]], ['cat', 'dog', 'sat', 'the'])
    >>> sk.cooccurrence(ids, window=1, vocab_size=len(vocab)).nnz
    6
    """
    p = _existing(path)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputValueError(f"{str(p)!r} is not a text token file") from None
    docs = [d.split() for d in re.split(r"\n[ \t\r]*\n", text)]
    lengths = np.array([len(d) for d in docs], dtype=np.int64)
    words = np.array(text.split(), dtype=str)
    if words.size == 0:
        raise InputValueError(f"{str(p)!r} holds no tokens")
    if np.char.isdigit(words).all():
        ids, vocab = words.astype(np.int64), None
    else:
        vocab, ids = np.unique(words, return_inverse=True)
    lengths = lengths[lengths > 0]
    if lengths.size == 1:
        return ids, vocab
    return np.split(ids, np.cumsum(lengths)[:-1]), vocab


def new_file_mode(path: Path) -> int:
    """Permissions for a file replacing ``path``: its own, else ``0o666 & ~umask``.

    Atomic writes create a temporary file with :func:`tempfile.mkstemp`, which
    is private (``0o600``); the renamed result should look like a file that
    ``open(path, "w")`` made.
    """
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mask = os.umask(0)  # the only way to read the umask; restored at once
        os.umask(mask)
        return 0o666 & ~mask


def _detect_symmetry(A) -> str:
    if A.shape[0] != A.shape[1]:
        return "general"
    if sp.issparse(A):
        A = sp.csr_array(A)
        A.sum_duplicates()

        def same(B):
            D = (A - B).tocsr()
            D.eliminate_zeros()
            return D.nnz == 0
    else:
        def same(B):
            return bool(np.array_equal(A, B))
    if same(A.T):
        return "symmetric"
    if np.iscomplexobj(A) and same(A.conj().T):
        return "hermitian"
    if same(-A.T):
        return "skew-symmetric"
    return "general"


def write(path, A, *, symmetry: str = "auto", field: str | None = None,
          comment: str = "", precision: int | None = None) -> None:
    """Write a matrix to ``.mtx``, ``.mtx.gz`` or ``.npz``, atomically.

    Parameters
    ----------
    path : str or path-like
        Destination; the format comes from the suffix.
    A : sparse matrix or array, or ndarray
        What to write.  Dense arrays are written in Matrix Market ``array`` format.
    symmetry : {"auto", "general", "symmetric", "skew-symmetric", "hermitian"}, default="auto"
        Matrix Market symmetry header.  ``"auto"`` checks ``A`` exactly (O(nnz))
        and stores one triangle when it can.
    field : {"real", "integer", "complex", "pattern"}, optional
        Defaults to what ``A.dtype`` implies.
    comment : str, default=""
        Comment lines for the header.
    precision : int, optional
        Significant digits (default: shortest round-trip representation).

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
    if not (sp.issparse(A) or isinstance(A, np.ndarray)):
        raise InputValueError(f"A must be a sparse matrix or an ndarray (got {describe(A)})")
    if symmetry != "auto" and symmetry not in _SYMMETRIES:
        raise InputValueError(
            f"symmetry must be 'auto' or one of {list(_SYMMETRIES)} (got {symmetry!r})"
        )
    if field is not None and field not in _FIELDS:
        raise InputValueError(f"field must be one of {list(_FIELDS)} (got {field!r})")
    if isinstance(A, np.ndarray) and A.ndim == 1:
        A = A[:, None]
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise DataNotFoundError(f"cannot write {str(p)!r}: folder {str(folder)!r} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp" + suffix, dir=folder)
    os.close(fd)
    os.chmod(tmp, new_file_mode(p))  # mkstemp makes 0o600; give what open() would
    try:
        if suffix == ".npz":
            if sp.issparse(A):
                sp.save_npz(tmp, sp.csr_array(A) if A.format not in ("csr", "csc", "coo") else A)
            else:
                np.savez_compressed(tmp, dense=A)
        else:
            sym = _detect_symmetry(A) if symmetry == "auto" else symmetry
            kwargs = {"symmetry": sym, "comment": comment}
            if field is not None:
                kwargs["field"] = field
            if precision is not None:
                kwargs["precision"] = precision
            M = sp.coo_array(A) if sp.issparse(A) else A
            if suffix == ".mtx.gz":
                # fmm writes plain text whatever the name; compress ourselves.
                with gzip.open(tmp, "wb") as fh:
                    fmm.mmwrite(fh, M, **kwargs)
            else:
                fmm.mmwrite(tmp, M, **kwargs)
        os.replace(tmp, p)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
