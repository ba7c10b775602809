"""Effective resistance, commute times, the Kirchhoff index and Kemeny's constant.

All of them are quadratic forms of a pseudo-inverse ``L⁺``.  None forms it:
the Laplacian is *grounded* (one node per connected component removed), which
leaves a nonsingular matrix ``L_g``; with ``G`` the inverse of ``L_g`` padded
with zeros at the grounded nodes,

* ``R(u, v) = (e_u − e_v)ᵀ G (e_u − e_v)`` for u, v in one component (``G`` is a
  generalized inverse of ``L``, and ``e_u − e_v`` is orthogonal to its null space);
* ``tr(L⁺) = tr(G) − uᵀ G u`` for a connected graph with unit null vector ``u``
  (``L⁺ = P G P`` with ``P = I − u uᵀ``).

``L_g`` is factorized once (:func:`sparsekit.factorize`, cached) or given one
AMG hierarchy (:func:`sparsekit.preconditioner`), and every right-hand side
reuses it, in blocks whose size bounds the memory.

Exact resistances between a few thousand distinct nodes ``S`` need no solve at
all (:func:`_schur_resistances`): ordered last, after a nested-dissection
ordering (METIS, through ``pymetis``) of the other nodes, ``S`` is eliminated
last, and the trailing block of the factor ``L_g = L D Lᵀ`` is the Cholesky
factor of the Schur complement ``Σ`` of ``L_g`` onto ``S``, whose inverse is
``G[S, S]``; so ``R(u, v) = ‖D_S^-1/2 L_S^-1 (e_u − e_v)‖²`` with a dense
``|S| x |S|`` triangle.  Measured (docs/performance.md): 1,000 pairs on
grid_shortcuts_300 (9·10⁴ nodes) 3.4x faster than SuperLU and block solves,
on grid_shortcuts_1000 (10⁶ nodes) where the block solves take minutes.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp

from .. import _progress, linalg
from .._validate import check_choice, positive_int
from ..errors import DenseTooLargeError, InputValueError
from ._graph import Graph, as_graph, node_pairs

if TYPE_CHECKING:
    from collections.abc import Hashable, Iterable, Sequence

    import numpy.typing as npt

    from .._typing import GraphLike, Seed

__all__ = ["effective_resistance", "commute_time", "kirchhoff_index", "kemeny_constant",
           "RESISTANCE_METHODS", "SOLVERS", "TRACE_METHODS"]

logger = logging.getLogger("sparsekit.spectral")

RESISTANCE_METHODS = {
    "exact": "Laplacian solves on one factorization or AMG hierarchy",
    "sketch": "Spielman-Srivastava: Johnson-Lindenstrauss projection of k solves",
}
SOLVERS = {
    "direct": "sparse factorization of the grounded Laplacian (sparsekit.factorize)",
    "amg": "CG with one AMG hierarchy (sparsekit.preconditioner) for every right-hand side",
}
TRACE_METHODS = {
    "auto": "dense eigenvalues up to DENSE_TRACE_MAX nodes, else exact",
    "dense": "scipy.linalg.eigvalsh of the dense matrix (size-guarded)",
    "exact": "diagonal of the grounded inverse by block solves on one factorization",
    "hutchinson": "stochastic trace estimate with Rademacher probes (an approximation)",
}
#: ``auto`` uses the dense eigenvalues up to this many nodes (a 2,000 x 2,000 matrix: 32 MB).
DENSE_TRACE_MAX = 2000
#: Bytes of the dense right-hand-side blocks solved at once.
BLOCK_BYTES = 128 * 1024**2
#: The Schur-complement path (:func:`_schur_resistances`) serves up to this many distinct
#: pair nodes (its dense triangle holds ``8 |S|²`` bytes and costs ``|S|³/3`` flops in the
#: factorization: 3,000 nodes, 72 MB and ~9 Gflop) and graphs of at least
#: ``SCHUR_MIN_RATIO`` times as many nodes.
SCHUR_MAX_NODES = 3000
SCHUR_MIN_RATIO = 4


def _block(n: int, cap: int = 256) -> int:
    return int(max(1, min(cap, BLOCK_BYTES // (8 * max(n, 1)))))


class _Grounded:
    """Solves ``L x = b`` (b orthogonal to the null space) with one node per component grounded."""

    def __init__(self, A, labels: np.ndarray, ncomp: int, solver: str = "direct",
                 rtol: float = 1e-10):
        n = A.shape[0]
        d = A.diagonal()
        # ground the largest-degree node of each component
        order = np.lexsort((-d, labels))
        ground = order[np.searchsorted(labels[order], np.arange(ncomp))]
        keep = np.ones(n, dtype=bool)
        keep[ground] = False
        self.keep = keep
        self.solver = solver
        self.rtol = rtol
        self.Ag = sp.csr_array(A)[keep][:, keep]
        self.m = int(keep.sum())
        if self.m == 0:
            return
        if solver == "direct":
            self.F = linalg.factorize(sp.csc_array(self.Ag))
        else:
            self.P = linalg.preconditioner(self.Ag, "amg")
            self.M = self.P.aslinearoperator()

    def solve_reduced(self, B: np.ndarray) -> np.ndarray:
        """``L_g^-1 B`` for B on the kept nodes, shape (m,) or (m, c)."""
        if self.solver == "direct":
            return np.asarray(self.F.solve(B))
        B2 = B[:, None] if B.ndim == 1 else B
        X = np.empty_like(B2)
        for j in range(B2.shape[1]):  # one hierarchy, one CG per right-hand side
            X[:, j] = linalg.solve(self.Ag, B2[:, j], method="cg", M=self.M,
                                   rtol=self.rtol).x
        return X[:, 0] if B.ndim == 1 else X

    def solve(self, B: np.ndarray) -> np.ndarray:
        """``G B`` (zeros at the grounded nodes), B of shape (n, c)."""
        X = np.zeros_like(B, dtype=np.float64)
        if self.m:
            X[self.keep] = self.solve_reduced(np.ascontiguousarray(B[self.keep]))
        return X


def _edges(g: Graph):
    U = sp.triu(g.W, k=1).tocoo()
    return U.row.astype(np.int64), U.col.astype(np.int64), U.data


def _exact(g: Graph, grounded: _Grounded, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    R = np.zeros(len(u))
    idx = np.flatnonzero(u != v)
    c = _block(g.n)
    for s in range(0, len(idx), c):
        j = idx[s:s + c]
        cols = np.arange(len(j))
        B = np.zeros((g.n, len(j)))
        B[u[j], cols] = 1.0
        B[v[j], cols] -= 1.0
        X = grounded.solve(B)
        R[j] = X[u[j], cols] - X[v[j], cols]
    return R


def _nested_dissection(A) -> np.ndarray | None:
    """METIS nested-dissection ordering of the pattern of ``A`` (None without ``pymetis``)."""
    try:
        import pymetis
    except ImportError:
        return None
    C = sp.csr_array(A, copy=True)
    C.setdiag(0)
    C.eliminate_zeros()
    if C.nnz == 0:
        return np.arange(C.shape[0])
    perm, _ = pymetis.nested_dissection(pymetis.CSRAdjacency(C.indptr, C.indices))
    return np.asarray(perm, dtype=np.int64)


def _schur_resistances(L, labels: np.ndarray, ncomp: int, u: np.ndarray,
                       v: np.ndarray) -> np.ndarray | None:
    """``R(u[i], v[i])`` (u, v in one component) from the Schur complement onto the pair nodes.

    None where it does not apply (too many distinct nodes for the dense
    triangle, no ``pymetis``, or SuperLU did not keep the order): the caller
    then solves.
    """
    n = L.shape[0]
    nodes = np.unique(np.concatenate([u, v]))
    if nodes.size > SCHUR_MAX_NODES or n < SCHUR_MIN_RATIO * nodes.size:
        return None
    in_s = np.zeros(n, dtype=bool)
    in_s[nodes] = True
    # ground one node per component, outside S where the component allows it
    d = L.diagonal()
    order = np.lexsort((-d, in_s, labels))
    ground = order[np.searchsorted(labels[order], np.arange(ncomp))]
    in_s[ground] = False
    rest = np.ones(n, dtype=bool)
    rest[ground] = False
    rest &= ~in_s
    T, S = np.flatnonzero(rest), np.flatnonzero(in_s)
    k = S.size
    C = sp.csr_array(L)
    perm = _nested_dissection(C[T][:, T])
    if perm is None:
        return None
    order = np.concatenate([T[perm], S])
    B = sp.csc_array(C[order][:, order])
    F = linalg.factorize(B, kind="cholesky", ordering="NATURAL", cache=False).factors()
    pc = F.get("perm_c")
    m = B.shape[0]
    # SuperLU's Cholesky (no row interchange: perm_r == perm_c, U = D Lᵀ) may postorder
    # the elimination tree; S stays the trailing block when its columns stay last
    if pc is None or not np.array_equal(pc[m - k:], np.arange(m - k, m)):
        logger.debug("Schur path: the factorization reordered S; solving instead")
        return None
    Ls = sp.csc_array(F["L"])[m - k:, m - k:].toarray()
    ds = sp.csc_array(F["U"]).diagonal()[m - k:]
    pos = np.full(n, -1)
    pos[S] = np.arange(k)
    R = np.zeros(len(u))
    c = _block(k, cap=1024)
    for s0 in range(0, len(u), c):
        j = np.arange(s0, min(s0 + c, len(u)))
        E = np.zeros((k, len(j)))
        for w, sign in ((u[j], 1.0), (v[j], -1.0)):
            at = pos[w] >= 0  # a grounded node has no row: G is zero there
            E[pos[w[at]], np.flatnonzero(at)] += sign
        Y = la.solve_triangular(Ls, E, lower=True, unit_diagonal=True, check_finite=False)
        R[j] = np.einsum("ij,ij->j", Y, Y / ds[:, None])
    R[u == v] = 0.0
    return R


def _sketch(g: Graph, grounded: _Grounded, u, v, k: int, rng) -> np.ndarray:
    er, ec, ew = _edges(g)
    m = len(ew)
    e = np.arange(m)
    sw = np.sqrt(ew)
    # Bt = (W^1/2 B)ᵀ, n x m: +sqrt(w) at the edge's first node, -sqrt(w) at its second
    Bt = sp.csr_array((np.concatenate([sw, -sw]), (np.concatenate([er, ec]),
                                                  np.concatenate([e, e]))), shape=(g.n, m))
    acc = np.zeros(len(u))
    c = _block(max(g.n, m), cap=64)
    for s in range(0, k, c):
        cc = min(c, k - s)
        Q = rng.integers(0, 2, size=(m, cc)).astype(np.float64) * 2.0 - 1.0
        Z = grounded.solve(Bt @ Q)
        acc += np.sum((Z[u] - Z[v]) ** 2, axis=1)
    return acc / k


def _resistances(g: Graph, u, v, method="exact", eps=0.3, n_projections=None, rng=None,
                 solver="direct", rtol=1e-10) -> np.ndarray:
    """Resistances between index pairs (u[i], v[i]); ``inf`` across components."""
    if method == "sketch":
        eps = float(eps)
        if not 0 < eps < 1:
            raise InputValueError(f"eps must be in (0, 1) (got {eps!r})")
        m = int(sp.triu(g.W, k=1).nnz)
        if n_projections is None:
            k = math.ceil(4 * math.log(max(m, 2)) / eps**2)
        else:
            k = positive_int(n_projections, "n_projections")
        logger.info("effective_resistance sketch: %d projections for %d edges", k, m)
    ncomp, labels = g.components
    same = labels[u] == labels[v]
    _progress.report("solve", what=f"effective resistance ({method}, {len(u):,} pairs)", n=g.n)
    L = g.laplacian("combinatorial")
    R = np.full(len(u), np.inf)
    if method == "exact" and solver == "direct":
        Rs = _schur_resistances(L, labels, ncomp, u[same], v[same])
        if Rs is not None:
            R[same] = Rs
            return R
    grounded = _Grounded(L, labels, ncomp, solver, rtol)
    if method == "exact":
        R[same] = _exact(g, grounded, u[same], v[same])
    else:
        R[same] = _sketch(g, grounded, u[same], v[same], k, rng)
        R[same & (u == v)] = 0.0
    return R


def effective_resistance(graph: GraphLike,
                         pairs: npt.ArrayLike | Iterable[tuple[Hashable, Hashable]] | None = None,
                         *, method: str = "exact", eps: float = 0.3,
                         n_projections: int | None = None, random_state: Seed = None,
                         solver: str = "direct", rtol: float = 1e-10,
                         weight: str | None = "weight", nodelist: Sequence[Hashable] | None = None,
                         n: int | None = None,
                         symmetrize: bool | str = False) -> np.ndarray | sp.csr_array:
    """Effective (electrical) resistance between nodes, with weights as conductances.

    ``R(u, v) = (e_u − e_v)ᵀ L⁺ (e_u − e_v)``: the voltage between u and v when a
    unit current enters at u and leaves at v, every edge being a resistor of
    resistance ``1/weight``.  Nodes in different components are at infinite
    resistance.

    Parameters
    ----------
    graph : networkx graph, sparse adjacency, edge arrays or path
        The graph; weights are conductances.  networkx's ``resistance_distance``
        reads weights as resistances by default (``invert_weight=True``):
        to compare, pass ``invert_weight=False`` there.
    pairs : array_like of shape (p, 2), optional
        Node pairs (labels for networkx input, else integer ids).  Default: every
        edge.
    method : {"exact", "sketch"}, default="exact"
        ``"exact"``: one Laplacian solve per pair, all on one factorization (or
        AMG hierarchy) of the grounded Laplacian.  ``"sketch"``: Spielman and
        Srivastava's estimate ``‖Z(e_u − e_v)‖²`` with ``Z = Q W^1/2 B L⁺`` and a
        random ±1/√k matrix ``Q``: k solves in all, however many pairs.
    eps : float, default=0.3
        Target relative error of the sketch, in (0, 1); sets
        ``k = ceil(4 ln(m) / eps²)`` projections for m edges (per pair, the
        estimate is ``R·χ²_k/k``, within ``eps`` of R with probability at least
        ``1 − 2 m^-1/2``; Spielman and Srivastava's ``24 ln(n)/eps²`` bounds all
        edges at once).
    n_projections : int, optional
        The number k of projections, overriding ``eps``.
    random_state : int or numpy.random.Generator, optional
        Seed of the sketch.
    solver : {"direct", "amg"}, default="direct"
        How the grounded Laplacian is solved: one factorization
        (:func:`sparsekit.factorize`) or one AMG hierarchy with CG to ``rtol``.
    rtol : float, default=1e-10
        Relative tolerance of the AMG-CG solves.
    weight, nodelist, n, symmetrize
        As in :func:`fiedler`.

    Returns
    -------
    ndarray or csr_array
        With ``pairs``: shape ``(p,)``.  Without: a symmetric sparse matrix with
        the graph's (loop-free) pattern holding each edge's resistance.

    See Also
    --------
    networkx.resistance_distance, commute_time, kirchhoff_index

    Examples
    --------
    >>> import networkx as nx
    >>> import sparsekit as sk
    >>> sk.spectral.effective_resistance(nx.path_graph(4), [(0, 3), (1, 2)])
    array([3., 1.])
    >>> R = sk.spectral.effective_resistance(nx.cycle_graph(4))
    >>> float(R[0, 1])  # 1 ohm in parallel with 3 ohms
    0.75
    """
    check_choice(method, RESISTANCE_METHODS, "method")
    check_choice(solver, SOLVERS, "solver")
    g = as_graph(graph, weight=weight, nodelist=nodelist, n=n, symmetrize=symmetrize)
    g.require_nodes("effective_resistance", 1)
    if pairs is None:
        u, v, _ = _edges(g)
    else:
        P = node_pairs(g, pairs)
        u, v = P[:, 0], P[:, 1]
    rng = np.random.default_rng(random_state)
    R = _resistances(g, u, v, method, eps, n_projections, rng, solver, rtol)
    if pairs is not None:
        return R
    out = sp.coo_array((R, (u, v)), shape=(g.n, g.n))
    return sp.csr_array(out + out.T)


def commute_time(graph: GraphLike, pairs: npt.ArrayLike | Iterable[tuple[Hashable, Hashable]],
                 *, solver: str = "direct", rtol: float = 1e-10, weight: str | None = "weight",
                 nodelist: Sequence[Hashable] | None = None, n: int | None = None,
                 symmetrize: bool | str = False) -> np.ndarray:
    """Expected commute time of the random walk: ``vol(C) · R(u, v)``.

    The walk steps from a node to a neighbour with probability proportional to
    the edge weight (a self-loop is a step that stays).  ``vol(C)`` is the sum of
    the weighted degrees (self-loops counted once) of the component holding u
    and v (Chandra et al. 1989); nodes in different components never meet: ``inf``.

    Parameters are those of :func:`effective_resistance` (``method="exact"``).

    Returns
    -------
    ndarray of shape (p,)

    Examples
    --------
    >>> import networkx as nx
    >>> import sparsekit as sk
    >>> sk.spectral.commute_time(nx.path_graph(3), [(0, 2)])  # vol 4 x R 2
    array([8.])
    """
    g = as_graph(graph, weight=weight, nodelist=nodelist, n=n, symmetrize=symmetrize)
    g.require_nodes("commute_time", 1)
    P = node_pairs(g, pairs)
    check_choice(solver, SOLVERS, "solver")
    R = _resistances(g, P[:, 0], P[:, 1], solver=solver, rtol=rtol)
    _, labels = g.components
    vol = np.bincount(labels, weights=g.walk_degree)
    return vol[labels[P[:, 0]]] * R


def _trace_pinv(A, u: np.ndarray, method: str, n_probes: int, rng) -> float:
    """``tr(A⁺)`` for a connected graph matrix ``A`` with unit null vector ``u``."""
    n = A.shape[0]
    if n == 1:
        return 0.0
    if method == "auto":
        method = "dense" if n <= DENSE_TRACE_MAX else "exact"
    if method == "dense":
        if n > DENSE_TRACE_MAX:
            raise DenseTooLargeError(
                f"method='dense' would form a {n} x {n} matrix ({8 * n * n / 1024**2:.0f} MiB); "
                f"the limit is {DENSE_TRACE_MAX} nodes: use method='exact' or 'hutchinson'")
        lam = la.eigvalsh(sp.csr_array(A).toarray())
        return float(np.sum(1.0 / lam[1:]))
    grounded = _Grounded(A, np.zeros(n, dtype=np.int64), 1)
    if method == "hutchinson":
        total = 0.0
        c = _block(n)
        for s in range(0, n_probes, c):
            Z = rng.integers(0, 2, size=(n, min(c, n_probes - s))).astype(np.float64) * 2 - 1
            Z -= np.outer(u, u @ Z)
            total += float(np.sum(Z * grounded.solve(Z)))
        return total / n_probes
    # exact: diag(G) by block solves with identity columns, then tr(G) - uᵀGu
    kept = np.flatnonzero(grounded.keep)
    m = len(kept)
    c = _block(m)
    trace = 0.0
    for s in range(0, m, c):
        cols = np.arange(s, min(s + c, m))
        E = np.zeros((m, len(cols)))
        E[cols, np.arange(len(cols))] = 1.0
        X = grounded.solve_reduced(E)
        trace += float(np.sum(X[cols, np.arange(len(cols))]))
    uk = u[kept]
    return trace - float(uk @ grounded.solve_reduced(uk))


def kirchhoff_index(graph: GraphLike, *, method: str = "auto", n_probes: int = 200,
                    random_state: Seed = None, weight: str | None = "weight",
                    nodelist: Sequence[Hashable] | None = None, n: int | None = None,
                    symmetrize: bool | str = False) -> float:
    """Kirchhoff index (effective graph resistance): ``Σ_{u<v} R(u, v) = n · tr(L⁺)``.

    ``inf`` for a disconnected graph (as networkx).  No dense pseudo-inverse:
    ``method="auto"`` takes the dense eigenvalues up to ``DENSE_TRACE_MAX``
    nodes and otherwise the exact trace ``tr(G) − 1ᵀG1/n`` of the grounded
    inverse, by block solves on one factorization (n solves).
    ``"hutchinson"`` estimates it from ``n_probes`` solves (an approximation
    with relative standard error about ``sqrt(2/n_probes)`` or better).

    Parameters
    ----------
    graph : networkx graph, sparse adjacency, edge arrays or path
        The graph.  Weights are conductances; networkx's
        ``effective_graph_resistance`` inverts them by default
        (``invert_weight=True``).
    method : {"auto", "dense", "exact", "hutchinson"}, default="auto"
        How ``tr(L⁺)`` is computed.
    n_probes : int, default=200
        Probes of the Hutchinson estimate.
    random_state : int or numpy.random.Generator, optional
        Seed of the Hutchinson estimate.
    weight, nodelist, n, symmetrize
        As in :func:`fiedler`.

    See Also
    --------
    networkx.effective_graph_resistance

    Examples
    --------
    >>> import networkx as nx
    >>> import sparsekit as sk
    >>> round(sk.spectral.kirchhoff_index(nx.complete_graph(5)), 10)  # n - 1
    4.0
    """
    check_choice(method, TRACE_METHODS, "method")
    n_probes = positive_int(n_probes, "n_probes")
    g = as_graph(graph, weight=weight, nodelist=nodelist, n=n, symmetrize=symmetrize)
    g.require_nodes("kirchhoff_index", 1)
    if g.n_components > 1:
        return float("inf")
    u = np.full(g.n, 1.0 / math.sqrt(g.n))
    tr = _trace_pinv(g.laplacian("combinatorial"), u, method, n_probes,
                     np.random.default_rng(random_state))
    return g.n * tr


def kemeny_constant(graph: GraphLike, *, method: str = "auto", n_probes: int = 200,
                    random_state: Seed = None, weight: str | None = "weight",
                    nodelist: Sequence[Hashable] | None = None, n: int | None = None,
                    symmetrize: bool | str = False) -> float:
    """Kemeny's constant of the random walk: ``Σ_{i>=2} 1 / (1 − μ_i)``.

    ``μ_i`` are the eigenvalues of the transition matrix ``P = D^-1 W`` (self-loops
    are steps of the walk, counted once in ``D``, as networkx does), so the sum is
    ``tr(S⁺)`` for ``S = D^-1/2 (D − W) D^-1/2``, computed as in
    :func:`kirchhoff_index` (no dense pseudo-inverse above ``DENSE_TRACE_MAX``).

    Parameters are those of :func:`kirchhoff_index`; the graph must be connected.

    See Also
    --------
    networkx.kemeny_constant

    Examples
    --------
    >>> import networkx as nx
    >>> import sparsekit as sk
    >>> round(sk.spectral.kemeny_constant(nx.complete_graph(5)), 10)  # (n-1)^2 / n
    3.2
    """
    check_choice(method, TRACE_METHODS, "method")
    n_probes = positive_int(n_probes, "n_probes")
    g = as_graph(graph, weight=weight, nodelist=nodelist, n=n, symmetrize=symmetrize)
    g.require_nodes("kemeny_constant", 1)
    g.require_connected("kemeny_constant")
    if g.n == 1:
        return 0.0
    s = 1.0 / np.sqrt(g.walk_degree)
    S = sp.diags_array(s) @ g.laplacian("combinatorial") @ sp.diags_array(s)
    u = np.sqrt(g.walk_degree)
    u /= np.linalg.norm(u)
    return _trace_pinv(sp.csr_array(S), u, method, n_probes, np.random.default_rng(random_state))
