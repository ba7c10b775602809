"""A registry of named matrices.

Two kinds of entries:

* **real** matrices from the SuiteSparse Matrix Collection (CC-BY 4.0; cite
  Davis & Hu, ACM TOMS 38(1), 2011), known by their collection name and looked
  up in the local data directory: ``$SPARSEKIT_DATA`` if set, else
  ``~/.cache/sparsekit``.  A file ``NAME.mtx``, ``NAME.mtx.gz`` or
  ``NAME/NAME.mtx`` (the layout of the collection's tarballs) is found there.
  Nothing is downloaded: get the file from https://sparse.tamu.edu and put it in
  that folder.
* **generated** matrices the project makes itself: either shipped with the
  package (small, in ``sparsekit/data``) or built on demand, deterministically.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from . import io
from .errors import DataNotFoundError, UnknownMethodError

__all__ = ["Dataset", "names", "load", "path", "get", "data_dir", "available"]

_PACKAGE_DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Dataset:
    """One registry entry.

    Attributes
    ----------
    name : str
        Registry name (the collection's name for real matrices).
    source : str
        ``"suitesparse"``, ``"shipped"`` or ``"generated"``.
    tags : frozenset of str
        ``spd``, ``graph``, ``nonsymmetric``, ``indefinite``, ``least_squares``,
        ``complex``, ``rhs``, ``pattern``...
    description : str
        One line.
    rhs : str or None
        Name of the entry holding this matrix's right-hand side.
    """

    name: str
    source: str
    tags: frozenset = field(default_factory=frozenset)
    description: str = ""
    rhs: str | None = None
    build: Callable[[], object] | None = field(default=None, repr=False, compare=False)


def _real(name, tags, description, rhs=None):
    return Dataset(name, "suitesparse", frozenset(tags.split()), description, rhs)


_REAL = [
    _real("bcsstk09", "spd", "FEM structural stiffness, square plate (1083)"),
    _real("bcsstk13", "spd", "FEM stiffness, fluid flow; cond ~1e10 (2003)"),
    _real("bcsstk33", "graph pattern", "pattern of a large FEM stiffness (8738, 592k nnz)"),
    _real("nos6", "spd", "Poisson on an L-shaped domain, mixed BC (675)"),
    _real("gr_30_30", "spd", "9-point finite-difference Laplacian, 30x30 grid (900)"),
    _real("LF10", "spd", "FEM 1-D beam, tiny (18)"),
    _real("Trefethen_20b", "spd integer", "Trefethen primes-on-diagonal (19)"),
    _real("494_bus", "spd", "power-network admittance (494)"),
    _real("1138_bus", "spd", "power-network admittance (1138)"),
    _real("karate", "graph pattern", "Zachary karate club (34 nodes)"),
    _real("Erdos971", "graph pattern", "Erdos collaboration network, 42 components (472)"),
    _real("jazz", "graph integer", "jazz musicians, integer weights (198)"),
    _real("ca-GrQc", "graph pattern", "arXiv GR-QC co-authorship, 355 components (5242)"),
    _real("bcspwr10", "graph pattern", "US western power grid (5300)"),
    _real("fe_4elt2", "graph pattern", "2-D finite-element mesh graph (11143)"),
    _real("luxembourg_osm", "graph pattern", "OpenStreetMap road network (114599)"),
    _real("west0479", "nonsymmetric", "chemical process simulation; cond ~3e11 (479)"),
    _real("sherman5", "nonsymmetric", "oil reservoir, 3-D black oil (3312)"),
    _real("orsirr_1", "nonsymmetric", "oil reservoir, irregular grid (1030)"),
    _real("hor_131", "nonsymmetric", "flow network (434)"),
    _real("add32", "nonsymmetric", "circuit simulation, 32-bit adder (4960)"),
    _real("nnc1374", "nonsymmetric", "nuclear reactor core model (1374)"),
    _real("bayer10", "nonsymmetric", "chemical process simulation (13436)"),
    _real("young1c", "nonsymmetric complex", "acoustic scattering, complex (841)"),
    _real("sherman1", "indefinite", "oil reservoir; negative definite (1000)", rhs="sherman1_rhs1"),
    _real("sherman1_rhs1", "rhs", "right-hand side of sherman1"),
    _real("illc1033", "least_squares", "tall ill-conditioned least squares (1033x320)",
          rhs="illc1033_rhs1"),
    _real("illc1033_rhs1", "rhs", "right-hand side of illc1033"),
    _real("ash219", "least_squares pattern", "tall pattern least squares (219x85)"),
    _real("lp_ship04l", "least_squares", "wide LP constraint matrix (402x2166)"),
]


def _poisson2d(n: int):
    """5-point Dirichlet Laplacian on an n x n grid (h = 1), built with kron."""
    T = sp.diags_array([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)], offsets=[-1, 0, 1])
    eye = sp.eye_array(n)
    return sp.csr_array(sp.kron(T, eye) + sp.kron(eye, T))


def _grid_shortcuts(m: int, shortcuts: int, seed: int = 0):
    """Adjacency of an m x m grid graph plus random long-range edges (weights 1)."""
    P = sp.diags_array([np.ones(m - 1), np.ones(m - 1)], offsets=[-1, 1])
    eye = sp.eye_array(m)
    G = sp.kron(P, eye) + sp.kron(eye, P)
    rng = np.random.default_rng(seed)
    n = m * m
    r = rng.integers(0, n, shortcuts)
    c = rng.integers(0, n, shortcuts)
    keep = r != c
    S = sp.coo_array((np.ones(keep.sum()), (r[keep], c[keep])), shape=(n, n))
    W = (G + S + S.T).tocsr()
    W.data[:] = 1.0  # a shortcut that doubles a grid edge stays weight 1
    return W


_GENERATED = [
    Dataset("poisson2d_64", "shipped", frozenset({"spd"}),
            "5-point Dirichlet Poisson on a 64x64 grid (4096); ships with the package"),
    Dataset("grid_shortcuts_300", "generated", frozenset({"graph"}),
            "300x300 grid graph plus 200 random long-range edges (90000 nodes)",
            build=lambda: _grid_shortcuts(300, 200)),
    Dataset("grid_shortcuts_1000", "generated", frozenset({"graph"}),
            "1000x1000 grid graph plus 2000 random long-range edges (1e6 nodes)",
            build=lambda: _grid_shortcuts(1000, 2000)),
    Dataset("poisson2d_256", "generated", frozenset({"spd"}),
            "5-point Dirichlet Poisson on a 256x256 grid (65536)",
            build=lambda: _poisson2d(256)),
]

_REGISTRY = {d.name: d for d in _REAL + _GENERATED}


def data_dir() -> Path:
    """The local data directory: ``$SPARSEKIT_DATA`` or ``~/.cache/sparsekit``."""
    env = os.environ.get("SPARSEKIT_DATA")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "sparsekit"


def get(name: str) -> Dataset:
    """The registry entry for ``name``."""
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise UnknownMethodError(
            f"unknown dataset {name!r}; expected one of {sorted(_REGISTRY)}"
        ) from None


def names(tag: str | None = None, *, source: str | None = None) -> list[str]:
    """Names in the registry, optionally only those with ``tag`` or ``source``.

    Examples
    --------
    >>> import sparsekit as sk
    >>> "karate" in sk.datasets.names("graph")
    True
    """
    return sorted(
        d.name for d in _REGISTRY.values()
        if (tag is None or tag in d.tags) and (source is None or d.source == source)
    )


def _find(d: Dataset) -> Path | None:
    if d.source == "shipped":
        p = _PACKAGE_DATA / f"{d.name}.mtx.gz"
        return p if p.is_file() else None
    if d.source != "suitesparse":
        return None
    root = data_dir()
    for cand in (root / f"{d.name}.mtx", root / f"{d.name}.mtx.gz",
                 root / d.name / f"{d.name}.mtx"):
        if cand.is_file():
            return cand
    return None


def available(name: str) -> bool:
    """Whether ``load(name)`` can succeed without building or downloading."""
    d = get(name)
    return d.build is not None or _find(d) is not None


def path(name: str) -> Path:
    """Path of the file behind ``name``.

    Raises
    ------
    DataNotFoundError
        The file is not in the data directory (the message says where it was
        looked for and how to get it), or the entry is built on demand.
    """
    d = get(name)
    found = _find(d)
    if found is not None:
        return found
    if d.build is not None:
        raise DataNotFoundError(f"dataset {name!r} is generated on demand and has no file; "
                                "use sparsekit.datasets.load()")
    raise DataNotFoundError(
        f"dataset {name!r} not found in {str(data_dir())!r} (looked for {name}.mtx, "
        f"{name}.mtx.gz, {name}/{name}.mtx); download it from the SuiteSparse Matrix "
        "Collection (https://sparse.tamu.edu) into that folder, or set SPARSEKIT_DATA"
    )


def load(name: str, *, format: str = "csr"):
    """Load a named matrix.

    Parameters
    ----------
    name : str
        A name from :func:`names`.
    format : {"csr", "csc", "coo"}, default="csr"
        Sparse format of the result.

    Returns
    -------
    sparse array or ndarray
        Right-hand sides (``*_rhs1``) come back as ndarrays.

    Examples
    --------
    >>> import sparsekit as sk
    >>> sk.datasets.load("poisson2d_64").shape
    (4096, 4096)
    """
    d = get(name)
    if d.build is not None:
        return sp.csr_array(d.build()).asformat(format)
    return io.read(path(name), format=format)
