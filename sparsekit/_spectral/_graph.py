"""Turn what a user holds into the matrices the spectral methods need.

A graph is anything :func:`sparsekit.laplacian` accepts (a networkx graph, a
scipy sparse adjacency, edge arrays ``(rows, cols[, weights])`` with ``n=``)
or a Matrix Market path.  It is read once into a symmetric, nonnegative
adjacency ``W`` by :func:`sparsekit.adjacency` (which rejects directed input
without ``symmetrize=True``), and the Laplacians come from
:func:`sparsekit.laplacian` on that adjacency.

Self-loops: the Laplacians ignore them (as networkx's spectral functions and
scikit-learn do); the random-walk quantities (Kemeny's constant, PageRank,
commute times) keep them in the degree, since a self-loop is a step of the walk.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from .. import builders, io
from .._components import component_labels
from .._validate import check_choice, check_finite, describe, is_networkx
from ..errors import DisconnectedGraphError, InputValueError, NotSquareError

__all__ = ["Graph", "as_graph", "node_pairs", "node_vector", "check_disconnected", "DISCONNECTED"]

#: What to do with a disconnected graph where a method is defined per component.
DISCONNECTED = {
    "raise": "raise DisconnectedGraphError naming the number of components",
    "components": "one answer per connected component",
}


#: Most components whose null vectors are carried explicitly (n x MAX_NULL floats).
MAX_NULL = 64


@dataclass(frozen=True, eq=False)
class Graph:
    """A validated undirected graph.

    Attributes
    ----------
    A : csr_array
        Symmetric nonnegative adjacency as given, self-loops included.
    nodes : list or None
        Node labels (networkx input) in matrix order; None for integer nodes.
    """

    A: sp.csr_array
    nodes: list | None = None
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        """Number of nodes."""
        return self.A.shape[0]

    @cached_property
    def W(self) -> sp.csr_array:  # noqa: N802 - the matrix's name
        """Adjacency without self-loops (what the Laplacians use)."""
        W = sp.csr_array(self.A - sp.diags_array(self.A.diagonal(), format="csr"))
        W.eliminate_zeros()
        return W

    @cached_property
    def degree(self) -> np.ndarray:
        """Weighted degree without self-loops (the Laplacian's diagonal)."""
        return np.asarray(self.W.sum(axis=1)).ravel()

    @cached_property
    def walk_degree(self) -> np.ndarray:
        """Weighted degree with self-loops counted once (the random walk's)."""
        return np.asarray(self.A.sum(axis=1)).ravel()

    @cached_property
    def components(self) -> tuple[int, np.ndarray]:
        """``(n_components, labels)``; labels numbered in order of first node."""
        return component_labels(self.W)

    @property
    def n_components(self) -> int:
        """Number of connected components."""
        return self.components[0]

    def laplacian(self, kind: str = "combinatorial") -> sp.csr_array:
        """``sparsekit.laplacian`` of the loop-free adjacency (cached per kind)."""
        if kind not in self._cache:
            self._cache[kind] = sp.csr_array(builders.laplacian(self.W, kind=kind))
        return self._cache[kind]

    def null_space(self, kind: str, idx: np.ndarray | None = None) -> np.ndarray | None:
        """Orthonormal null vectors of the Laplacian ``kind`` (of the subgraph ``idx``).

        One per component: its indicator (``"combinatorial"``) or ``D^1/2`` times
        it (``"normalized"``; an isolated node's is its unit vector).  ``None``
        when there are more than ``MAX_NULL`` components (too many to carry).
        """
        if idx is None:
            ncomp, labels = self.components
            d = self.degree
        else:
            ncomp, labels, d = 1, np.zeros(len(idx), dtype=np.int64), self.degree[idx]
        if ncomp > MAX_NULL:
            return None
        w = np.ones(len(labels)) if kind == "combinatorial" else np.sqrt(d)
        w[w == 0] = 1.0
        Y = np.zeros((len(labels), ncomp))
        Y[np.arange(len(labels)), labels] = w
        return Y / np.linalg.norm(Y, axis=0)

    def spectral_bound(self, kind: str, idx: np.ndarray | None = None) -> float:
        """An upper bound of the Laplacian's spectrum: 2, or 2 max degree (Gershgorin)."""
        if kind == "normalized":
            return 2.0
        d = self.degree if idx is None else self.degree[idx]
        return 2.0 * float(d.max()) if len(d) else 0.0

    def require_connected(self, what: str, hint: str = "pass its largest component") -> None:
        """Raise :class:`DisconnectedGraphError` unless the graph is connected."""
        ncomp = self.n_components
        if ncomp != 1:
            raise DisconnectedGraphError(
                f"{what} needs a connected graph (got {ncomp} connected components among "
                f"{self.n} nodes); {hint}", n_components=ncomp)

    def component_indices(self) -> list[np.ndarray]:
        """Node indices of each connected component, in label order."""
        ncomp, labels = self.components
        order = np.argsort(labels, kind="stable")
        bounds = np.searchsorted(labels[order], np.arange(ncomp + 1))
        return [order[bounds[c]:bounds[c + 1]] for c in range(ncomp)]

    @cached_property
    def _label_array(self) -> np.ndarray | None:
        if self.nodes is None:
            return None
        kinds = set(map(type, self.nodes))
        if len(kinds) == 1 and kinds <= {int, str}:
            return np.asarray(self.nodes)
        return np.fromiter(self.nodes, dtype=object, count=len(self.nodes))

    def labels(self, idx: np.ndarray | None = None) -> np.ndarray:
        """Node labels (networkx input) or positions (otherwise) of the nodes ``idx`` (all).

        Labels that are all ``int`` or all ``str`` come back as such an array;
        any others (tuples of a grid graph, mixed types) as an object array.
        """
        if self._label_array is None:
            return np.arange(self.n) if idx is None else np.array(idx, copy=True)
        return self._label_array.copy() if idx is None else self._label_array[idx]

    def require_nodes(self, what: str, minimum: int = 1) -> None:
        """Raise :class:`InputValueError` for a graph with fewer than ``minimum`` nodes."""
        if self.n < minimum:
            got = "an empty graph" if self.n == 0 else f"{self.n} node{'s' if self.n > 1 else ''}"
            raise InputValueError(
                f"{what} needs a graph with at least {minimum} node{'s' if minimum > 1 else ''} "
                f"(got {got})"
            )


def as_graph(graph, *, weight="weight", nodelist=None, n=None, symmetrize=False) -> Graph:
    """Read ``graph`` into a :class:`Graph` through :func:`sparsekit.adjacency`.

    Parameters
    ----------
    graph : networkx graph, sparse adjacency, edge arrays, str or PathLike
        The graph; a path is read with :func:`sparsekit.io.read`.
    weight : str or None, default="weight"
        Edge attribute holding the conductance (networkx input only).
    nodelist : sequence, optional
        Node order (networkx input only).
    n : int, optional
        Number of nodes (edge-array input).
    symmetrize : bool, default=False
        Symmetrise directed input instead of rejecting it.
    """
    if isinstance(graph, Graph):
        return graph
    if isinstance(graph, (str, os.PathLike)):
        graph = io.read(graph)
    nodes = None
    kwargs = {}
    if is_networkx(graph):
        nodes = list(graph) if nodelist is None else list(nodelist)
        if not nodes:
            raise InputValueError("graph is empty (a networkx graph with no nodes); spectral "
                                  "methods need at least one node")
        kwargs["weight"] = weight
    if nodelist is not None:
        kwargs["nodelist"] = nodelist
    if n is not None:
        kwargs["n"] = n
    if symmetrize:
        kwargs["symmetrize"] = symmetrize
    A = builders.adjacency(graph, **kwargs)
    if not sp.issparse(A):
        A = sp.csr_array(np.asarray(A))
    A = sp.csr_array(A, dtype=np.float64)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise NotSquareError(f"an adjacency matrix must be square (got {describe(A)})")
    check_finite(A, "graph weights")
    A.sum_duplicates()
    A.eliminate_zeros()
    if A.nnz and A.data.min() < 0:
        bad = int(np.count_nonzero(A.data < 0))
        raise InputValueError(
            f"graph has {bad} negative edge weight{'s' if bad > 1 else ''} (smallest "
            f"{A.data.min():g}); spectral methods read weights as conductances, which "
            "must be >= 0"
        )
    return Graph(A, nodes)


def node_pairs(g: Graph, pairs, name: str = "pairs") -> np.ndarray:
    """Map ``pairs`` (node labels or integer ids) to an ``(p, 2)`` int array of indices."""
    if g.nodes is not None:
        index = {v: i for i, v in enumerate(g.nodes)}
        try:
            plist = [tuple(p) for p in pairs]
        except TypeError:
            raise InputValueError(f"{name} must be a sequence of (u, v) node pairs "
                                  f"(got {type(pairs).__name__})") from None
        if any(len(p) != 2 for p in plist):
            raise InputValueError(f"{name} must hold (u, v) pairs of two nodes each")
        missing = sorted({repr(u) for p in plist for u in p if u not in index})
        if missing:
            raise InputValueError(
                f"{name} names {len(missing)} node{'s' if len(missing) > 1 else ''} not in "
                f"the graph: {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}"
            )
        out = np.array([[index[u], index[v]] for u, v in plist], dtype=np.int64)
        return out.reshape(-1, 2)
    arr = np.asarray(pairs)
    if arr.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    if arr.ndim == 1 and arr.shape[0] == 2:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.dtype.kind not in "iu":
        raise InputValueError(
            f"{name} must be an integer array of shape (p, 2) (got {describe(arr)})"
        )
    bad = (arr < 0) | (arr >= g.n)
    if bad.any():
        ids = np.unique(arr[bad])
        raise InputValueError(
            f"{name} names {ids.size} node{'s' if ids.size > 1 else ''} not in the "
            f"graph of {g.n} nodes (valid ids 0..{g.n - 1}): "
            f"{', '.join(map(str, ids[:5]))}{' ...' if ids.size > 5 else ''}"
        )
    return arr.astype(np.int64)


def node_vector(g: Graph, values, name: str) -> np.ndarray:
    """A length-n float vector from an array or (networkx input) a ``{node: value}`` dict."""
    if isinstance(values, dict):
        if g.nodes is None:
            raise InputValueError(f"{name} as a dict needs a networkx graph; pass an array")
        missing = [repr(k) for k in values if k not in set(g.nodes)]
        if missing:
            raise InputValueError(f"{name} names nodes not in the graph: "
                                  f"{', '.join(missing[:5])}")
        return np.array([float(values.get(v, 0.0)) for v in g.nodes])
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != (g.n,):
        raise InputValueError(f"{name} must have shape ({g.n},) (got shape {arr.shape})")
    check_finite(arr, name)
    return arr


def check_disconnected(value: str) -> str:
    """Validate the ``disconnected=`` argument."""
    return check_choice(value, DISCONNECTED, "disconnected")
