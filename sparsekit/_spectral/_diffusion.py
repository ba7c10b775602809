"""Heat kernels and personalised PageRank: diffusions applied without forming their matrices."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .. import linalg
from .._validate import as_rhs
from ..errors import InputValueError
from ._graph import as_graph, node_vector

if TYPE_CHECKING:
    from collections.abc import Hashable, Mapping, Sequence

    import numpy.typing as npt

    from .._typing import GraphLike

__all__ = ["heat", "pagerank"]


def _times(t) -> tuple[np.ndarray, bool]:
    arr = np.asarray(t, dtype=np.float64)
    if arr.ndim > 1 or arr.size == 0:
        raise InputValueError(f"t must be a number or a 1-D array of times (got shape "
                              f"{arr.shape})")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise InputValueError(f"t must hold finite times >= 0 (got {t!r})")
    return np.atleast_1d(arr), arr.ndim == 0


#: The decaying part of the heat, once below this fraction of ``‖X‖``, is dropped: the
#: answer is then the null-space projection to the rounding of ``X`` itself.
DECAYED = np.finfo(np.float64).eps
#: One ``expm_multiply`` call advances the heat by at most this much ``t·‖L‖₁`` (its cost
#: grows with it: about ``t·‖L‖₁/θ`` scaling steps of up to 55 mat-vecs each).
STEP_NORM = 64.0


def _null_projector(g, kind: str):
    """``v -> P₀ v``, the orthogonal projection on the Laplacian's null space (per component).

    The null vectors are each component's indicator (``"combinatorial"``) or
    ``D^1/2`` times it (``"normalized"``; an isolated node's row of that
    Laplacian is zero, so its unit vector).  ``P₀`` commutes with ``exp(−tL)``.
    """
    ncomp, labels = g.components
    w = np.ones(g.n) if kind == "combinatorial" else np.sqrt(g.degree)
    w[w == 0] = 1.0
    S = sp.csr_array((w, (np.arange(g.n), labels)), shape=(g.n, ncomp))
    norms2 = np.bincount(labels, weights=w * w, minlength=ncomp)

    def project(V):
        C = S.T @ V
        return S @ (C / (norms2 if V.ndim == 1 else norms2[:, None]))

    return project


def heat(graph: GraphLike, t: npt.ArrayLike, X: npt.ArrayLike, *, normalized: bool = False,
         weight: str | None = "weight", nodelist: Sequence[Hashable] | None = None,
         n: int | None = None, symmetrize: bool | str = False) -> np.ndarray:
    """The heat kernel applied to ``X``: ``exp(−t L) X``, never forming ``exp(−t L)``.

    ``X`` splits into its null-space part ``P₀ X`` (constant per component for
    ``L = D − W``), which the heat leaves as it is, and the rest ``R``, which
    decays at least like ``exp(−λ₂ t)``.  ``R`` is advanced with
    :func:`scipy.sparse.linalg.expm_multiply` (Al-Mohy and Higham) in steps of
    at most ``STEP_NORM / ‖L‖₁`` time, re-projected after each step (rounding
    would otherwise leave a part along the null space that never decays), and
    dropped once ``‖R‖ <= DECAYED·‖X‖``: from then on the answer is ``P₀ X``
    to rounding.  So the work is bounded for any ``t``, by about
    ``ln(1/DECAYED)·‖L‖₁/λ₂`` (5-node path: 36 · 4 / 0.38 ≈ 380 units of
    ``t·‖L‖₁``, a few milliseconds at ``t = 10⁶`` where one ``expm_multiply``
    call took over 40 s).  For several times, they are visited in increasing
    order and each step starts from the previous one.

    Parameters
    ----------
    graph : networkx graph, sparse adjacency, edge arrays or path
        The graph (weights are conductances; self-loops are ignored).
    t : float or 1-D array_like
        Time(s), >= 0.
    X : array_like, shape (n,) or (n, k)
        Initial heat distribution(s).
    normalized : bool, default=False
        Diffuse with the normalized Laplacian instead of ``L = D − W``.
    weight, nodelist, n, symmetrize
        As in :func:`fiedler`.

    Returns
    -------
    ndarray
        ``exp(−t L) X``, shaped like ``X`` for a scalar ``t``; with an array of
        times, shape ``(len(t),) + X.shape`` in the order given.

    See Also
    --------
    scipy.sparse.linalg.expm_multiply, scipy.linalg.expm

    Examples
    --------
    >>> import networkx as nx
    >>> import numpy as np
    >>> import sparsekit as sk
    >>> x = sk.spectral.heat(nx.path_graph(3), 1.0, np.array([1.0, 0.0, 0.0]))
    >>> float(x.sum())  # heat is conserved
    1.0
    >>> sk.spectral.heat(nx.path_graph(5), 1e6, np.eye(5)[0]).round(12)  # the mean, at once
    array([0.2, 0.2, 0.2, 0.2, 0.2])
    """
    times, scalar = _times(t)
    g = as_graph(graph, weight=weight, nodelist=nodelist, n=n, symmetrize=symmetrize)
    g.require_nodes("heat", 1)
    Xw = as_rhs(X, g.n, "X").astype(np.float64)
    kind = "normalized" if normalized else "combinatorial"
    negL = -g.laplacian(kind).tocsr()
    project = _null_projector(g, kind)
    X0 = project(Xw)
    R = Xw - X0
    floor = DECAYED * float(np.linalg.norm(Xw))
    norm1 = float(abs(negL).sum(axis=0).max()) if negL.nnz else 0.0
    step = STEP_NORM / norm1 if norm1 > 0 else np.inf
    out = np.empty((len(times),) + Xw.shape)
    prev = 0.0
    for i in np.argsort(times, kind="stable"):
        dt = times[i] - prev
        while dt > 0 and np.linalg.norm(R) > floor:  # bounded: R decays, see above
            h = min(dt, step)
            R = spla.expm_multiply(negL * h, R)
            R = R - project(R)
            dt -= h
        if np.linalg.norm(R) <= floor:
            R = np.zeros_like(R)
        out[i] = X0 + R
        prev = times[i]
    return out[0] if scalar else out


def pagerank(graph: GraphLike,
             personalization: npt.ArrayLike | Mapping[Hashable, float] | None = None,
             alpha: float = 0.85, *, rtol: float = 1e-10, weight: str | None = "weight",
             nodelist: Sequence[Hashable] | None = None, n: int | None = None,
             symmetrize: bool | str = False,
             as_dict: bool = False) -> np.ndarray | dict[Hashable, float]:
    """Personalised PageRank of an undirected graph, by one symmetric positive definite solve.

    The PageRank vector solves ``x = α Pᵀ x + (1 − α) p`` with ``P = D^-1 W``
    (dangling mass, from isolated nodes, goes back to ``p``, as networkx's
    default).  For undirected graphs ``x ∝ D^1/2 (I − α N)^-1 D^-1/2 p`` with
    ``N = D^-1/2 W D^-1/2`` symmetric, and ``I − α N`` is SPD with condition
    number at most ``(1 + α)/(1 − α)``, so :func:`sparsekit.solve` with CG
    converges in a few dozen iterations.  Self-loops are steps of the walk.

    Parameters
    ----------
    graph : networkx graph, sparse adjacency, edge arrays or path
        The graph (weights are affinities).
    personalization : array_like of shape (n,) or dict, optional
        Restart distribution (nonnegative; normalised to sum 1); default uniform.
        A dict maps networkx nodes to weights (missing nodes: 0).
    alpha : float, default=0.85
        Damping factor in [0, 1).
    rtol : float, default=1e-10
        Relative tolerance of the CG solve.
    weight, nodelist, n, symmetrize
        As in :func:`fiedler`.
    as_dict : bool, default=False
        Return networkx's form, ``{node label: score}`` (node positions for
        input other than a networkx graph), instead of an array.

    Returns
    -------
    ndarray of shape (n,) or dict
        Nonnegative, summing to 1; in node order (``list(G)`` or ``nodelist``).

    See Also
    --------
    networkx.pagerank

    Examples
    --------
    >>> import networkx as nx
    >>> import sparsekit as sk
    >>> x = sk.spectral.pagerank(nx.star_graph(3))
    >>> x.round(4)
    array([0.4797, 0.1734, 0.1734, 0.1734])
    >>> r = sk.spectral.pagerank(nx.Graph([("hub", "a"), ("hub", "b")]), as_dict=True)
    >>> {k: round(v, 4) for k, v in r.items()}
    {'hub': 0.4865, 'a': 0.2568, 'b': 0.2568}
    """
    alpha = float(alpha)
    if not 0 <= alpha < 1:
        raise InputValueError(f"alpha must be in [0, 1) (got {alpha!r})")
    g = as_graph(graph, weight=weight, nodelist=nodelist, n=n, symmetrize=symmetrize)
    g.require_nodes("pagerank", 1)
    if personalization is None:
        p = np.full(g.n, 1.0 / g.n)
    else:
        p = node_vector(g, personalization, "personalization")
        if np.any(p < 0) or p.sum() <= 0:
            raise InputValueError("personalization must be nonnegative with a positive sum "
                                  f"(got sum {p.sum():g}, min {p.min():g})")
        p = p / p.sum()
    d = g.walk_degree
    live = d > 0
    y = p.copy()
    if live.any():
        s = 1.0 / np.sqrt(d[live])
        Wl = g.A[live][:, live]
        S = sp.diags_array(s)
        A = sp.csr_array(sp.eye_array(int(live.sum())) - alpha * (S @ Wl @ S))
        z = linalg.solve(A, s * p[live], method="cg", rtol=rtol).x
        y[live] = z / s
    y = y / y.sum()
    if as_dict:
        return dict(zip(g.labels().tolist(), y.tolist(), strict=True))
    return y
