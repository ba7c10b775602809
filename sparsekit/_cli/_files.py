"""Inputs and outputs of the command line.

An input is a file path or, when no such file exists, the name of a dataset in
:mod:`sparsekit.datasets` (``sparsekit info poisson2d_64``).  Graph commands
also read edge lists (CSV/TSV/whitespace, two or three columns: source,
target, optional weight) and token files.

Outputs are checked before any work starts (known suffix, existing writable
folder, not one of the inputs unless ``--force``), and written atomically:
``sk.io.write`` for matrices, :func:`atomic_path` (a temporary file in the
same folder, renamed into place) for CSV, text and images.  An interrupted
command therefore leaves either the old file or the new one, never a part.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import datasets, io
from ..errors import DataNotFoundError, InputValueError, NotSymmetricError

__all__ = ["Source", "Graph", "resolve", "companion_rhs", "read_matrix", "read_edge_list",
           "read_graph", "read_tokens", "check_output", "atomic_path", "write_matrix",
           "write_csv", "EDGE_SUFFIXES", "MATRIX_SUFFIXES"]

MATRIX_SUFFIXES = (".mtx", ".mtx.gz", ".npz")
EDGE_SUFFIXES = (".csv", ".tsv", ".txt", ".edges", ".edgelist", ".el")
_COMMENTS = ("#", "%")


@dataclass(frozen=True)
class Source:
    """Where an input comes from: a file, or a dataset of the registry."""

    spec: str
    path: Path | None
    dataset: str | None

    @property
    def label(self) -> str:
        """How messages name it: as the user did (a path, or a dataset name)."""
        return str(self.path) if self.dataset is None else self.dataset


def resolve(spec: str) -> Source:
    """Find ``spec``: an existing file, else a dataset name.

    Raises
    ------
    DataNotFoundError
        Neither a file nor a dataset name; or a dataset whose file is absent.
    """
    p = Path(spec).expanduser()
    if p.is_file():
        return Source(spec, p, None)
    if p.is_dir():
        raise InputValueError(f"{spec!r} is a folder; expected a matrix file")
    if spec in datasets.names():
        try:
            found = datasets.path(spec)
        except DataNotFoundError:
            if datasets.available(spec):  # built on demand: no file behind it
                return Source(spec, None, spec)
            raise
        return Source(spec, Path(found), spec)
    raise DataNotFoundError(
        f"no such file: {spec!r} (nor a dataset name; `sparsekit datasets list` shows them)"
    )


def _dataset_of(src: Source) -> str | None:
    """The dataset a source is, by name or by being the registry's file."""
    if src.dataset is not None:
        return src.dataset
    name = src.path.name
    for suffix in (".mtx.gz", ".mtx"):
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            if stem in datasets.names():
                with contextlib.suppress(DataNotFoundError):
                    if Path(datasets.path(stem)).resolve() == src.path.resolve():
                        return stem
    return None


def companion_rhs(src: Source) -> str | None:
    """Name of the right-hand side the registry pairs with this matrix, if any."""
    name = _dataset_of(src)
    if name is None:
        return None
    rhs = datasets.get(name).rhs
    return rhs if rhs and datasets.available(rhs) else None


def read_matrix(src: Source):
    """Read a matrix (sparse array or ndarray) from a source."""
    if src.path is None:
        return datasets.load(src.dataset)
    return io.read(src.path)


def _is_edge_list(path: Path) -> bool:
    return path.name.lower().endswith(EDGE_SUFFIXES)


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


def read_edge_list(path: Path, *, header: bool | None = None):
    """Read an edge list: ``(rows, cols, weights or None, labels or None)``.

    Lines starting with ``#`` or ``%`` are comments.  Node ids that are all
    non-negative integers are used as they are (``n = max id + 1``); anything
    else is treated as labels and numbered in sorted order, returned in
    ``labels``.  A first line whose weight (or both ids) is not numeric while
    the next line's are is taken as a header; ``header=True/False`` overrides.
    Parsing is numpy's (``loadtxt``), not a Python loop over the edges.
    """
    head = _sniff(path)
    if not head:
        raise InputValueError(f"{str(path)!r} holds no edges")
    delim = _delimiter(path, head[0][1])
    fields = [_split(line, delim) for _, line in head]
    if header is None:
        header = _looks_like_header(fields)
    skip = head[0][0] if header else 0
    if header and len(head) < 2:
        raise InputValueError(f"{str(path)!r} holds a header and no edges")
    kwargs = {"delimiter": delim, "comments": list(_COMMENTS), "skiprows": skip, "ndmin": 2}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # numpy's note on blank lines
            try:
                table = np.loadtxt(path, dtype=np.float64, **kwargs)
            except ValueError:
                table = np.loadtxt(path, dtype=str, **kwargs)
    except ValueError as exc:
        raise InputValueError(f"{str(path)!r}: not an edge list ({exc})") from None
    if table.shape[0] == 0:
        raise InputValueError(f"{str(path)!r} holds no edges")
    if table.shape[1] not in (2, 3):
        raise InputValueError(
            f"{str(path)!r}: expected 2 or 3 columns (source, target, optional weight), "
            f"got {table.shape[1]}")
    weights = None
    if table.shape[1] == 3:
        try:
            weights = table[:, 2].astype(np.float64)
        except ValueError:
            bad = _first_non_numeric(table[:, 2])
            raise InputValueError(
                f"{str(path)!r}, edge {bad + 1}: weight {str(table[bad, 2])!r} is not a "
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


@dataclass(frozen=True)
class Graph:
    """A graph read from a file: its adjacency and optional node labels."""

    adjacency: object
    labels: np.ndarray | None
    source: Source

    @property
    def n(self) -> int:
        """Number of nodes."""
        return self.adjacency.shape[0]


def read_graph(src: Source, *, header: bool | None = None, symmetrize: bool = False) -> Graph:
    """Read a graph through ``sk.adjacency``: an adjacency matrix file or an edge list.

    An edge list names each undirected edge once (listing both directions
    doubles its weight, as ``sk.adjacency`` documents).  ``symmetrize`` makes
    a nonsymmetric (directed) adjacency matrix undirected: ``W + Wᵀ``.
    """
    from .. import adjacency

    if src.path is not None and _is_edge_list(src.path):
        rows, cols, weights, labels = read_edge_list(src.path, header=header)
        n = len(labels) if labels is not None else int(max(rows.max(), cols.max())) + 1
        edges = (rows, cols) if weights is None else (rows, cols, weights)
        return Graph(adjacency(edges, n=n), labels, src)
    A = read_matrix(src)
    try:
        W = adjacency(A, symmetrize=symmetrize)
    except NotSymmetricError as exc:
        raise NotSymmetricError(f"{src.label}: {exc} (on the command line: --symmetrize)"
                                ) from None
    return Graph(W, None, src)


def read_tokens(path: Path):
    """Read a token file: ``(ids, vocabulary or None)``.

    Whitespace-separated tokens.  When every token is a non-negative integer,
    they are the ids; otherwise the words are numbered in sorted order and the
    vocabulary is returned.  Blank lines separate documents: the ids are then a
    list of arrays, one per document (windows do not cross documents).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputValueError(f"{str(path)!r} is not a text token file") from None
    docs = [d.split() for d in re.split(r"\n[ \t\r]*\n", text)]
    lengths = np.array([len(d) for d in docs], dtype=np.int64)
    words = np.array(text.split(), dtype=str)
    if words.size == 0:
        raise InputValueError(f"{str(path)!r} holds no tokens")
    if np.char.isdigit(words).all():
        ids, vocab = words.astype(np.int64), None
    else:
        vocab, ids = np.unique(words, return_inverse=True)
    lengths = lengths[lengths > 0]
    if lengths.size == 1:
        return ids, vocab
    return np.split(ids, np.cumsum(lengths)[:-1]), vocab


def check_output(path: str | os.PathLike, inputs=(), *, force: bool = False,
                 suffixes: tuple[str, ...] | None = None, what: str = "output") -> Path:
    """Check an output path before any work is done.

    Refuses an unknown suffix, a folder that is missing or not writable, a path
    that is a folder, and (unless ``force``) a path that is one of ``inputs``.
    """
    p = Path(path).expanduser()
    name = p.name.lower()
    if suffixes is not None and not name.endswith(suffixes):
        raise InputValueError(
            f"cannot write {what} {str(p)!r}: expected a file ending in {', '.join(suffixes)}")
    if p.is_dir():
        raise InputValueError(f"cannot write {what} {str(p)!r}: it is a folder")
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise DataNotFoundError(
            f"cannot write {what} {str(p)!r}: folder {str(folder)!r} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise InputValueError(f"cannot write {what} {str(p)!r}: permission denied")
    for src in inputs:
        ipath = src.path if isinstance(src, Source) else Path(src)
        if ipath is None or force:
            continue
        same = p.resolve() == ipath.resolve() or (
            p.exists() and ipath.exists() and os.path.samefile(p, ipath))
        if same:
            raise InputValueError(
                f"refusing to overwrite the input {str(ipath)!r} with {what} {str(p)!r}; "
                "choose another path or pass --force")
    return p


@contextlib.contextmanager
def atomic_path(path: Path):
    """Yield a temporary path beside ``path``; rename it into place on success.

    On any exception, Ctrl-C included, the temporary file is removed and
    ``path`` is left as it was.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    suffix = "".join(path.suffixes[-2:]) if path.name.lower().endswith(".gz") else path.suffix
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + suffix, dir=folder)
    os.close(fd)
    try:
        os.chmod(tmp, io.new_file_mode(path))
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_matrix(path: Path, A, **kwargs) -> None:
    """Write a matrix or array through ``sk.io.write`` (atomic)."""
    io.write(path, A, **kwargs)


def write_csv(path: Path, columns: dict, *, fmt: dict | None = None) -> None:
    """Write named columns as CSV, atomically (one vectorised ``savetxt``)."""
    names = list(columns)
    arrays = [np.asarray(columns[k]) for k in names]
    n = len(arrays[0])
    fmt = fmt or {}
    table = np.empty((n, len(names)), dtype=object)
    formats = []
    for j, (k, a) in enumerate(zip(names, arrays, strict=True)):
        table[:, j] = a
        if k in fmt:
            formats.append(fmt[k])
        elif a.dtype.kind in "iub":
            formats.append("%d")
        elif a.dtype.kind == "f":
            formats.append("%.17g")
        else:
            formats.append("%s")
    with atomic_path(path) as tmp:
        np.savetxt(tmp, table, fmt=formats, delimiter=",", header=",".join(names), comments="")
