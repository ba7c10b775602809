"""Fiedler pairs: algebraic connectivity, spectral ordering and bisection."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .._validate import check_choice
from ._eig import eigen_method, flip_first, smallest
from ._graph import Graph, as_graph, check_disconnected

if TYPE_CHECKING:
    from collections.abc import Hashable, Iterator, Sequence

    from .._typing import GraphLike, Seed

__all__ = [
    "FiedlerResult",
    "fiedler",
    "algebraic_connectivity",
    "spectral_ordering",
    "spectral_bisection",
]

SPLITS = {"sign": "entries >= 0 against entries < 0 (networkx)",
          "median": "at the median entry: two halves of equal size (+-1)"}


@dataclass(frozen=True, repr=False, eq=False)
class FiedlerResult:
    """The Fiedler pair of a graph: of a connected one, or of each component.

    One result in every mode.  With ``disconnected="components"`` on a
    disconnected graph, ``components`` holds one result per connected
    component (in the order of each component's first node) and the result
    itself covers the whole graph: ``value`` is the graph's algebraic
    connectivity (0.0, as networkx) and ``vector`` holds each component's
    Fiedler vector on its nodes.  Iterating over a result gives the
    per-component results (the result itself for a connected graph): the
    tuple the components mode used to return.

    Attributes
    ----------
    value : float
        The second smallest eigenvalue of the Laplacian (algebraic connectivity).
        ``nan`` for a component of a single node, which has none.
    vector : ndarray
        Its unit-norm eigenvector on ``nodes``, with a deterministic sign: the
        first entry that is clearly nonzero (above 1e-6 of the largest) is positive.
    residual : float
        ``‖L v − λ v‖``, recomputed (the largest of the components').
    converged : bool
        Whether the eigensolver met its tolerance (on every component).
    nodes : ndarray
        The node labels (networkx input; ``list(G)`` or ``nodelist`` order) or
        positions (other input) the vector is defined on, in the vector's order.
    method : str
        What computed it (the method :func:`sparsekit.eigsh` used, or ``"dense"``).
    positions : ndarray of int
        The nodes' positions in the graph's node order (``vector[i]`` belongs to
        node position ``positions[i]``).
    components : tuple of FiedlerResult
        One result per connected component (components mode on a disconnected
        graph); empty otherwise.
    """

    value: float
    vector: np.ndarray
    residual: float
    converged: bool
    nodes: np.ndarray
    method: str
    positions: np.ndarray | None = None
    components: tuple = ()

    @property
    def parts(self) -> tuple:
        """The per-component results: ``components``, or ``(self,)`` for one component."""
        return self.components or (self,)

    @property
    def values(self) -> np.ndarray:
        """The Fiedler value of every component (``nan`` for single nodes)."""
        return np.array([p.value for p in self.parts])

    def to_dict(self) -> dict:
        """``{node label: vector entry}``, as networkx's node-keyed results.

        Examples
        --------
        >>> import networkx as nx
        >>> import sparsekit as sk
        >>> G = nx.relabel_nodes(nx.path_graph(3), {0: "a", 1: "b", 2: "c"})
        >>> {k: round(v, 4) for k, v in sk.spectral.fiedler(G).to_dict().items()}
        {'a': 0.7071, 'b': 0.0, 'c': -0.7071}
        """
        return dict(zip(self.nodes.tolist(), self.vector.tolist(), strict=True))

    def __len__(self) -> int:
        return len(self.parts)

    def __iter__(self) -> Iterator[FiedlerResult]:
        return iter(self.parts)

    def __getitem__(self, i: int) -> FiedlerResult:
        return self.parts[i]

    def __repr__(self) -> str:
        status = "converged" if self.converged else "NOT converged"
        parts = f", {len(self.components)} components" if self.components else ""
        return (f"FiedlerResult({status}: value={self.value:.10g}, {len(self.nodes)} nodes"
                f"{parts}, residual={self.residual:.2e}, method={self.method!r})")


def _pair(g: Graph, idx: np.ndarray | None, normalized: bool, tol, method) -> FiedlerResult:
    kind = "normalized" if normalized else "combinatorial"
    L = g.laplacian(kind)
    positions = np.arange(g.n) if idx is None else idx
    if idx is not None:
        L = L[idx][:, idx]
    if len(positions) == 1:
        return FiedlerResult(float("nan"), np.ones(1), 0.0, True, g.labels(positions),
                             "trivial", positions)
    p = smallest(L, 2, tol=tol, method=method, null=g.null_space(kind, idx),
                 bound=g.spectral_bound(kind, idx))
    v = flip_first(p.vectors[:, 1])
    v /= np.linalg.norm(v)
    return FiedlerResult(float(p.values[1]), v, float(p.residuals[1]),
                         bool(p.converged[1]), g.labels(positions), p.method, positions)


def _joined(g: Graph, parts: list) -> FiedlerResult:
    """The whole graph's result over its components' (components mode)."""
    if len(parts) == 1:
        return parts[0]
    vector = np.empty(g.n)
    for part in parts:  # one assignment per component
        vector[part.positions] = part.vector
    methods = sorted({p.method for p in parts})
    return FiedlerResult(0.0, vector, max(p.residual for p in parts),
                         all(p.converged for p in parts), g.labels(), ", ".join(methods),
                         np.arange(g.n), tuple(parts))


def fiedler(graph: GraphLike, normalized: bool = False, *, disconnected: str = "raise",
            weight: str | None = "weight", nodelist: Sequence[Hashable] | None = None,
            n: int | None = None, symmetrize: bool | str = False, tol: float | None = None,
            method: str = "auto", seed: Seed = None) -> FiedlerResult:
    """The Fiedler pair: second smallest Laplacian eigenvalue and its eigenvector.

    Parameters
    ----------
    graph : networkx graph, sparse adjacency, edge arrays or path
        Anything :func:`sparsekit.laplacian` accepts, or a Matrix Market file.
        Weights are conductances; self-loops are ignored.
    normalized : bool, default=False
        Use the normalized Laplacian ``I − D^-1/2 W D^-1/2`` (the vector is its
        eigenvector, as networkx returns it) instead of ``L = D − W``.
    disconnected : {"raise", "components"}, default="raise"
        For a disconnected graph: raise :class:`~sparsekit.DisconnectedGraphError`
        (it names the number of components), or compute the Fiedler pair of
        every component (:attr:`FiedlerResult.components`).
    weight : str or None, default="weight"
        Edge attribute of networkx graphs holding the weight.
    nodelist : sequence, optional
        Node order of networkx graphs (default: ``list(G)``).
    n : int, optional
        Number of nodes for edge-array input.
    symmetrize : bool, default=False
        Accept directed input by symmetrising it (as :func:`sparsekit.laplacian`).
    tol : float, optional
        Eigensolver tolerance, passed to :func:`sparsekit.eigsh`.
    method : str, default="auto"
        Eigensolver method, passed to :func:`sparsekit.eigsh`; networkx's names
        are accepted (``"tracemin_pcg"``, ``"tracemin_lu"``: sparsekit's
        ``"auto"``; ``"lanczos"``: ``"arpack"``; ``"lobpcg"``).
    seed : optional
        Accepted for networkx's signature; the answer does not depend on it.

    Returns
    -------
    FiedlerResult
        One result in every mode; its ``nodes`` are the graph's labels and
        :meth:`FiedlerResult.to_dict` maps them to the vector's entries.

    Raises
    ------
    DisconnectedGraphError
        The graph is disconnected and ``disconnected="raise"``.
    InputValueError
        Fewer than two nodes, negative weights.
    UnknownMethodError
        An unknown ``method`` (on every graph, however small).

    See Also
    --------
    networkx.fiedler_vector, networkx.algebraic_connectivity

    Examples
    --------
    >>> import networkx as nx
    >>> import sparsekit as sk
    >>> f = sk.spectral.fiedler(nx.path_graph(4))
    >>> round(f.value, 6)  # 2 - 2 cos(pi/4)
    0.585786
    >>> f.vector.round(3)
    array([ 0.653,  0.271, -0.271, -0.653])
    >>> parts = sk.spectral.fiedler(nx.Graph([(0, 1), (2, 3), (3, 4)]), disconnected="components")
    >>> parts.value, len(parts.components), parts.values.round(6)
    (0.0, 2, array([2., 1.]))
    """
    check_disconnected(disconnected)
    method = eigen_method(method)
    g = as_graph(graph, weight=weight, nodelist=nodelist, n=n, symmetrize=symmetrize)
    if disconnected == "components":
        g.require_nodes("fiedler", 1)
        return _joined(g, [_pair(g, idx, normalized, tol, method)
                           for idx in g.component_indices()])
    g.require_nodes("fiedler", 2)
    g.require_connected("fiedler", "pass disconnected='components' for one Fiedler pair "
                                   "per component")
    return _pair(g, None, normalized, tol, method)


def algebraic_connectivity(graph: GraphLike, normalized: bool = False, *,
                           weight: str | None = "weight",
                           nodelist: Sequence[Hashable] | None = None, n: int | None = None,
                           symmetrize: bool | str = False, tol: float | None = None,
                           method: str = "auto", seed: Seed = None) -> float:
    """Second smallest Laplacian eigenvalue; 0.0 for a disconnected graph (as networkx).

    Parameters are those of :func:`fiedler` (``seed`` is accepted and unused).

    See Also
    --------
    networkx.algebraic_connectivity

    Examples
    --------
    >>> import networkx as nx
    >>> import sparsekit as sk
    >>> round(sk.spectral.algebraic_connectivity(nx.complete_graph(5)), 8)
    5.0
    """
    method = eigen_method(method)
    g = as_graph(graph, weight=weight, nodelist=nodelist, n=n, symmetrize=symmetrize)
    g.require_nodes("algebraic_connectivity", 2)
    if g.n_components > 1:
        return 0.0
    return _pair(g, None, normalized, tol, method).value


def spectral_ordering(graph: GraphLike, normalized: bool = False, *,
                      weight: str | None = "weight", nodelist: Sequence[Hashable] | None = None,
                      n: int | None = None, symmetrize: bool | str = False,
                      tol: float | None = None, method: str = "auto",
                      seed: Seed = None) -> np.ndarray:
    """Node order along the Fiedler vector, component by component (as networkx).

    Each connected component (in the order of its first node) contributes its
    nodes sorted by their Fiedler-vector entries (ties by node order);
    components of one or two nodes keep node order.  Parameters are those of
    :func:`fiedler` (``seed`` is accepted and unused).

    Returns
    -------
    ndarray of int
        A permutation of ``0..n-1`` (node positions; for networkx input
        ``[nodes[i] for i in order]`` gives labels).

    See Also
    --------
    networkx.spectral_ordering : returns labels; its Fiedler sign is arbitrary,
        so its order may be this one reversed within a component.

    Examples
    --------
    >>> import networkx as nx
    >>> import sparsekit as sk
    >>> G = nx.Graph()
    >>> G.add_nodes_from([3, 0, 4, 1, 2])  # a path 0-1-2-3-4, nodes inserted shuffled
    >>> G.add_edges_from(nx.path_graph(5).edges)
    >>> [list(G)[i] for i in sk.spectral.spectral_ordering(G)]
    [0, 1, 2, 3, 4]
    """
    method = eigen_method(method)
    g = as_graph(graph, weight=weight, nodelist=nodelist, n=n, symmetrize=symmetrize)
    g.require_nodes("spectral_ordering", 1)
    out = []
    for idx in g.component_indices():
        if len(idx) <= 2:
            out.append(idx)
            continue
        v = _pair(g, idx, normalized, tol, method).vector
        out.append(idx[np.argsort(v, kind="stable")])
    return np.concatenate(out)


def spectral_bisection(graph: GraphLike, normalized: bool = False, *, split: str = "sign",
                       weight: str | None = "weight", nodelist: Sequence[Hashable] | None = None,
                       n: int | None = None, symmetrize: bool | str = False,
                       tol: float | None = None, method: str = "auto") -> np.ndarray:
    """Split a connected graph in two along its Fiedler vector.

    Parameters
    ----------
    graph : networkx graph, sparse adjacency, edge arrays or path
        The graph (must be connected).
    normalized : bool, default=False
        Use the normalized Laplacian.
    split : {"sign", "median"}, default="sign"
        ``"sign"``: part 1 holds the nodes with Fiedler entry >= 0 (networkx's
        rule); ``"median"``: part 1 holds the ``n // 2`` nodes with the largest
        entries (balanced halves).
    weight, nodelist, n, symmetrize, tol, method
        As in :func:`fiedler`.

    Returns
    -------
    ndarray of int
        ``0`` or ``1`` per node; by the sign convention of :class:`FiedlerResult`
        the first node is in part 1 unless its entry is negligible.

    See Also
    --------
    networkx.spectral_bisection : returns two sets of labels.

    Examples
    --------
    >>> import networkx as nx
    >>> import sparsekit as sk
    >>> G = nx.barbell_graph(4, 0)
    >>> sk.spectral.spectral_bisection(G)
    array([1, 1, 1, 1, 0, 0, 0, 0])
    """
    check_choice(split, SPLITS, "split")
    f = fiedler(graph, normalized, weight=weight, nodelist=nodelist, n=n,
                symmetrize=symmetrize, tol=tol, method=method)
    v = f.vector
    if split == "sign":
        return (v >= 0).astype(np.int64)
    part = np.zeros(len(v), dtype=np.int64)
    part[np.argsort(v, kind="stable")[len(v) - len(v) // 2:]] = 1
    return part
