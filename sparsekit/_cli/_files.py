"""Inputs and outputs of the command line.

An input is a file path or, when no such file exists, the name of a dataset in
:mod:`sparsekit.datasets` (``sparsekit info poisson2d_64``).  Graph commands
also read edge lists (CSV/TSV/whitespace, two or three columns: source,
target, optional weight), told apart by their suffix and parsed by
:func:`sparsekit.io.read_edges`; token files are parsed by
:func:`sparsekit.io.read_tokens`.

Outputs are checked before any work starts (known suffix, existing writable
folder, not one of the inputs unless ``--force``), and written atomically:
``sk.io.write`` for matrices, :func:`atomic_path` (a temporary file in the
same folder, renamed into place) for CSV, text and images.  An interrupted
command therefore leaves either the old file or the new one, never a part.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import datasets, io
from ..errors import DataNotFoundError, InputValueError, NotSymmetricError

__all__ = ["Source", "FileGraph", "resolve", "companion_rhs", "read_matrix", "read_graph",
           "check_output", "atomic_path", "write_matrix", "write_csv", "EDGE_SUFFIXES",
           "MATRIX_SUFFIXES"]

MATRIX_SUFFIXES = (".mtx", ".mtx.gz", ".npz", ".petsc")
EDGE_SUFFIXES = (".csv", ".tsv", ".txt", ".edges", ".edgelist", ".el")


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
    """Find ``spec``: an existing file, else a dataset name (``nos6``, ``HB/nos6``).

    A missing file whose name is a dataset's plus a matrix suffix
    (``nos6.mtx``) is answered with that dataset's name, and how to fetch it.

    Raises
    ------
    DataNotFoundError
        Neither a file nor a dataset name; or a dataset whose file is absent.
    """
    from ..errors import UnknownMethodError

    p = Path(spec).expanduser()
    if p.is_file():
        return Source(spec, p, None)
    if p.is_dir():
        raise InputValueError(f"{spec!r} is a folder; expected a matrix file")
    try:
        entry = datasets.get(spec)
    except UnknownMethodError:
        entry = None
    if entry is not None:
        try:
            found = datasets.path(spec)
        except DataNotFoundError:
            if datasets.available(spec):  # built on demand: no file behind it
                return Source(spec, None, entry.name)
            raise
        return Source(spec, Path(found), entry.name)
    stem = p.name
    for suffix in MATRIX_SUFFIXES:
        if stem.lower().endswith(suffix) and len(stem) > len(suffix):
            stem = stem[: -len(suffix)]
            break
    try:
        known = datasets.get(stem) if stem != p.name else None
    except UnknownMethodError:
        known = None
    if known is not None:
        fetch = (f" (sparsekit datasets fetch {known.name} if it is not here yet)"
                 if known.source == "suitesparse" else "")
        raise DataNotFoundError(
            f"no such file {spec!r}; did you mean the dataset {known.name!r}?{fetch}")
    raise DataNotFoundError(
        f"no such file: {spec!r} (nor a dataset name; `sparsekit datasets list` shows them)"
    )


def _dataset_of(src: Source) -> str | None:
    """The dataset a source is, by name or by being the registry's file."""
    if src.dataset is not None or src.path is None:
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
        assert src.dataset is not None  # resolve() gives a path, a dataset or both
        return datasets.load(src.dataset)
    return io.read(src.path)


def _is_edge_list(path: Path) -> bool:
    return path.name.lower().endswith(EDGE_SUFFIXES)


@dataclass(frozen=True)
class FileGraph:
    """A graph read from a file: its adjacency and optional node labels.

    (Not :class:`sparsekit._spectral._graph.Graph`, the spectral methods'
    validated graph: this one only carries what the command line read.)
    """

    adjacency: Any  # a sparse array or an ndarray
    labels: np.ndarray | None
    source: Source

    @property
    def n(self) -> int:
        """Number of nodes."""
        return self.adjacency.shape[0]


def read_graph(src: Source, *, header: bool | None = None,
               symmetrize: bool = False) -> FileGraph:
    """Read a graph through ``sk.adjacency``: an adjacency matrix file or an edge list.

    An edge list names each undirected edge once (listing both directions
    doubles its weight, as ``sk.adjacency`` documents).  ``symmetrize`` makes
    a nonsymmetric (directed) adjacency matrix undirected: ``W + Wᵀ``.
    """
    from .. import adjacency

    if src.path is not None and _is_edge_list(src.path):
        rows, cols, weights, labels = io.read_edges(src.path, header=header)
        n = len(labels) if labels is not None else int(max(rows.max(), cols.max())) + 1
        edges = (rows, cols) if weights is None else (rows, cols, weights)
        return FileGraph(adjacency(edges, n=n), labels, src)
    A = read_matrix(src)
    try:
        W = adjacency(A, symmetrize=symmetrize)
    except NotSymmetricError as exc:
        raise NotSymmetricError(f"{src.label}: {exc} (on the command line: --symmetrize)"
                                ) from None
    return FileGraph(W, None, src)


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


def atomic_path(path: Path):
    """A temporary path beside ``path``, fsync'd and renamed into place on success.

    ``sparsekit.io.atomic_path``: on any exception, Ctrl-C and SIGTERM
    included, the temporary file is removed and ``path`` is left as it was.
    """
    return io.atomic_path(path)


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
