"""Laplacian eigenmaps, diffusion maps and spectral clustering."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp

from .. import _progress, linalg
from .._validate import check_choice, check_finite, nonnegative_float, positive_int
from ..errors import InputValueError
from ._eig import flip_max, smallest
from ._graph import Graph, as_graph

if TYPE_CHECKING:
    from collections.abc import Hashable, Sequence

    import numpy.typing as npt

    from .._typing import GraphLike, Seed

__all__ = ["embedding", "diffusion_map", "clustering", "cluster_qr", "SpectralClustering",
           "ASSIGN"]

ASSIGN = {
    "kmeans": "k-means (scipy.cluster.vq.kmeans2, k-means++ init, n_init restarts, seeded)",
    "cluster_qr": "column-pivoted QR of the embedding (Damle, Minden, Ying 2019): "
                  "deterministic, no restarts",
}
_EMBED_DISCONNECTED = {"raise": "raise DisconnectedGraphError",
                       "allow": "embed anyway (the null space mixes the components)"}


def _check_components(g: Graph, n_components: int, extra: int) -> int:
    n_components = positive_int(n_components, "n_components")
    if n_components + extra > g.n or n_components >= g.n:
        raise InputValueError(
            f"n_components must be < n (got n_components={n_components}, n={g.n}"
            f"{', and drop_first adds one' if extra else ''})"
        )
    return n_components


def _eigenmap(g: Graph, k: int, normalized: bool, tol, method):
    """The k smallest eigenpairs, mapped back to the random-walk scaling when normalized.

    On graphs too large for a factorization (where :func:`sparsekit.eigsh` runs
    LOBPCG with AMG) and without isolated nodes, the normalized problem is
    solved as the equivalent pencil ``L u = λ D u``: its eigenvectors are the
    random-walk-scaled ones directly (``u = D^-1/2 v``, D-orthonormal), the
    AMG hierarchy is built on the combinatorial Laplacian (an M-matrix, with
    the constant near-null vector smoothed aggregation assumes), and
    ``sk.eigsh`` deflates the exact null space (constants per component).
    """
    if (normalized and method == "auto" and g.n > linalg._eigen._plan.FACTOR_MAX_N
            and np.all(g.degree > 0)):
        D = sp.diags_array(g.degree, format="csr")
        p = smallest(g.laplacian("combinatorial"), k, M=D, tol=tol, method=method)
        return p.values, p.vectors
    kind = "normalized" if normalized else "combinatorial"
    p = smallest(g.laplacian(kind), k, tol=tol, method=method, null=g.null_space(kind),
                 bound=g.spectral_bound(kind))
    if normalized:
        d = g.degree
        return p.values, p.vectors / np.sqrt(np.where(d > 0, d, 1.0))[:, None]
    return p.values, p.vectors


def embedding(graph: GraphLike, n_components: int = 2, normalized: bool = True,
              drop_first: bool = True, *, disconnected: str = "raise",
              weight: str | None = "weight", nodelist: Sequence[Hashable] | None = None,
              n: int | None = None, symmetrize: bool | str = False, tol: float | None = None,
              method: str = "auto") -> np.ndarray:
    """Laplacian eigenmap: the smallest nontrivial eigenvectors as node coordinates.

    Follows scikit-learn's ``spectral_embedding``: with ``normalized=True`` the
    columns are ``D^-1/2 u`` for the unit-norm eigenvectors ``u`` of the
    normalized Laplacian (eigenvectors of the random-walk Laplacian, so the
    trivial one is constant); with ``normalized=False`` they are the unit-norm
    eigenvectors of ``L = D − W``.  Each column's sign is flipped so that its
    entry of largest magnitude is positive (scikit-learn's rule).  Differences:
    a disconnected graph is an error unless ``disconnected="allow"`` (scikit-learn
    only warns), self-loops are ignored, and the default is 2 components (8 there).

    Parameters
    ----------
    graph : networkx graph, sparse adjacency, edge arrays or path
        The graph (weights are affinities).
    n_components : int, default=2
        Number of coordinates; must be < n.
    normalized : bool, default=True
        Use the normalized Laplacian (scikit-learn's ``norm_laplacian``).
    drop_first : bool, default=True
        Drop the first (trivial) eigenvector.
    disconnected : {"raise", "allow"}, default="raise"
        What to do with a disconnected graph.
    weight, nodelist, n, symmetrize, tol, method
        As in :func:`fiedler`.

    Returns
    -------
    ndarray, shape (n, n_components)

    See Also
    --------
    sklearn.manifold.spectral_embedding

    Examples
    --------
    >>> import networkx as nx
    >>> import numpy as np
    >>> import sparsekit as sk
    >>> X = sk.spectral.embedding(nx.cycle_graph(12), n_components=2)
    >>> X.shape
    (12, 2)
    >>> bool(np.allclose(np.hypot(X[:, 0], X[:, 1]), np.hypot(X[0, 0], X[0, 1])))
    True
    """
    check_choice(disconnected, _EMBED_DISCONNECTED, "disconnected")
    g = as_graph(graph, weight=weight, nodelist=nodelist, n=n, symmetrize=symmetrize)
    g.require_nodes("embedding", 2)
    extra = int(bool(drop_first))
    n_components = _check_components(g, n_components, extra)
    if disconnected == "raise":
        g.require_connected("embedding", "pass disconnected='allow' to embed it anyway")
    _, V = _eigenmap(g, n_components + extra, normalized, tol, method)
    V = flip_max(V)
    return V[:, extra:]


def diffusion_map(graph: GraphLike, n_components: int = 2, t: float = 1.0, *,
                  alpha: float = 0.0, weight: str | None = "weight",
                  nodelist: Sequence[Hashable] | None = None, n: int | None = None,
                  symmetrize: bool | str = False, tol: float | None = None,
                  method: str = "auto") -> np.ndarray:
    """Diffusion-map coordinates (Coifman and Lafon) ``μ_i^t ψ_i``, i = 1..n_components.

    ``P = D_α^-1 W_α`` is the random walk on ``W_α = D^-α W D^-α`` (``alpha=0``:
    the graph's own walk; ``alpha=1``: the Laplace–Beltrami normalization);
    ``ψ_i`` are its right eigenvectors (``P ψ = μ ψ``), normalised so that
    ``ψ_iᵀ D_α ψ_j = δ_ij``, for the eigenvalues ``μ_1 >= μ_2 >= ...`` after
    the trivial ``μ_0 = 1``.  They come from the smallest eigenpairs of the
    normalized Laplacian of ``W_α`` (``μ = 1 − λ``).  Signs as in :func:`embedding`.

    Parameters
    ----------
    graph : networkx graph, sparse adjacency, edge arrays or path
        The graph (weights are affinities).
    n_components : int, default=2
        Number of coordinates (< n).
    t : float, default=1.0
        Diffusion time (>= 0); ``μ^t`` keeps the sign of ``μ``.
    alpha : float, default=0.0
        Density normalization exponent in [0, 1].
    weight, nodelist, n, symmetrize, tol, method
        As in :func:`fiedler`.  The graph must be connected.

    Returns
    -------
    ndarray, shape (n, n_components)

    Examples
    --------
    >>> import networkx as nx
    >>> import sparsekit as sk
    >>> sk.spectral.diffusion_map(nx.karate_club_graph(), 3, t=2).shape
    (34, 3)
    """
    t = nonnegative_float(t, "t")
    alpha = nonnegative_float(alpha, "alpha")
    if alpha > 1:
        raise InputValueError(f"alpha must be in [0, 1] (got {alpha})")
    g = as_graph(graph, weight=weight, nodelist=nodelist, n=n, symmetrize=symmetrize)
    g.require_nodes("diffusion_map", 2)
    n_components = _check_components(g, n_components, 1)
    g.require_connected("diffusion_map")
    if alpha:
        s = sp.diags_array(g.degree ** -alpha)
        g = Graph(sp.csr_array(s @ g.W @ s), g.nodes)
    lam, Psi = _eigenmap(g, n_components + 1, True, tol, method)
    mu = 1.0 - lam[1:]
    coords = flip_max(Psi[:, 1:]) * (np.sign(mu) * np.abs(mu) ** t)
    return coords


def cluster_qr(vectors: npt.ArrayLike) -> np.ndarray:
    """Labels from an embedding by column-pivoted QR (Damle, Minden and Ying, 2019).

    Pivoted QR of ``Vᵀ`` picks ``k`` representative nodes; the orthogonal
    polar factor of ``V`` restricted to them rotates the embedding so that each
    node's largest coordinate (in magnitude) names its cluster.  Deterministic.

    Parameters
    ----------
    vectors : ndarray, shape (n, k)
        An embedding (for instance the k smallest Laplacian eigenvectors).

    Returns
    -------
    ndarray of int, shape (n,)

    See Also
    --------
    sklearn.cluster.spectral_clustering : ``assign_labels="cluster_qr"``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.spectral import cluster_qr
    >>> V = np.kron(np.eye(2), np.ones((3, 1))) / np.sqrt(3)
    >>> cluster_qr(V)
    array([0, 0, 0, 1, 1, 1])
    """
    try:
        if np.iscomplexobj(vectors):
            raise TypeError("complex")
        V = np.asarray(vectors, dtype=float)
    except (TypeError, ValueError):
        raise InputValueError(f"vectors must be a real array of shape (n, k) (got "
                              f"{type(vectors).__name__})") from None
    if V.ndim != 2 or V.shape[1] < 1 or V.shape[0] < V.shape[1]:
        raise InputValueError(f"vectors must have shape (n, k) with n >= k >= 1 "
                              f"(got shape {V.shape})")
    check_finite(V, "vectors")
    k = V.shape[1]
    _, _, piv = la.qr(V.T, pivoting=True, mode="economic")
    U, _, Vt = la.svd(V[piv[:k]].T, full_matrices=False)
    return np.argmax(np.abs(V @ (U @ Vt)), axis=1).astype(np.int64)


def _kmeans(X: np.ndarray, k: int, n_init: int, rng) -> np.ndarray:
    from scipy.cluster.vq import kmeans2

    best, best_inertia = None, np.inf
    for _ in range(n_init):
        centroids, labels = kmeans2(X, k, minit="++", seed=rng)
        inertia = float(np.sum((X - centroids[labels]) ** 2))
        if inertia < best_inertia:
            best, best_inertia = labels, inertia
    assert best is not None  # n_init >= 1 runs
    return best.astype(np.int64)


def _canonical(labels: np.ndarray) -> np.ndarray:
    """Renumber labels in order of first appearance (so equal partitions get equal labels)."""
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first)] = np.arange(len(first))
    return rank[inverse]


def clustering(graph: GraphLike, n_clusters: int, *, assign: str = "kmeans",
               random_state: Seed = None, n_init: int = 10, normalized: bool = True,
               weight: str | None = "weight", nodelist: Sequence[Hashable] | None = None,
               n: int | None = None, symmetrize: bool | str = False, tol: float | None = None,
               method: str = "auto") -> np.ndarray:
    """Spectral clustering: k-means or cluster-QR on the Laplacian eigenmap.

    The embedding is :func:`embedding` with ``n_components=n_clusters`` and
    ``drop_first=False`` (scikit-learn's ``spectral_clustering``); disconnected
    graphs are accepted (components separate in the embedding).

    Parameters
    ----------
    graph : networkx graph, sparse adjacency, edge arrays or path
        The affinity graph.
    n_clusters : int
        Number of clusters (< n).
    assign : {"kmeans", "cluster_qr"}, default="kmeans"
        How labels are read off the embedding.
    random_state : int or numpy.random.Generator, optional
        Seed of k-means (unused by ``cluster_qr``).
    n_init : int, default=10
        k-means restarts; the lowest inertia wins.
    normalized : bool, default=True
        Use the normalized Laplacian.
    weight, nodelist, n, symmetrize, tol, method
        As in :func:`fiedler`.

    Returns
    -------
    ndarray of int, shape (n,)
        Labels ``0..n_clusters-1``, numbered in order of first appearance.

    See Also
    --------
    sklearn.cluster.spectral_clustering

    Examples
    --------
    >>> import networkx as nx
    >>> import sparsekit as sk
    >>> G = nx.disjoint_union(nx.complete_graph(4), nx.complete_graph(3))
    >>> sk.spectral.clustering(G, 2, assign="cluster_qr")
    array([0, 0, 0, 0, 1, 1, 1])
    """
    check_choice(assign, ASSIGN, "assign")
    n_init = positive_int(n_init, "n_init")
    g = as_graph(graph, weight=weight, nodelist=nodelist, n=n, symmetrize=symmetrize)
    g.require_nodes("clustering", 2)
    n_clusters = _check_components(g, n_clusters, 0)
    _, V = _eigenmap(g, n_clusters, normalized, tol, method)
    V = flip_max(V)
    _progress.report("cluster", method=assign, k=n_clusters)
    if assign == "cluster_qr":
        labels = cluster_qr(V)
    else:
        labels = _kmeans(V, n_clusters, n_init, np.random.default_rng(random_state))
    return _canonical(labels)


class SpectralClustering:
    """A scikit-learn-compatible estimator around :func:`clustering`.

    Only ``affinity="precomputed"``: ``X`` is the affinity graph (a sparse or
    dense adjacency, a networkx graph, edge arrays are not accepted here).
    ``get_params``/``set_params`` follow scikit-learn's conventions, so
    ``sklearn.base.clone`` and pipelines work without scikit-learn being a
    dependency.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    affinity : {"precomputed"}, default="precomputed"
        ``X`` is the affinity matrix.
    assign_labels : {"kmeans", "cluster_qr"}, default="kmeans"
        As ``assign`` in :func:`clustering`.
    random_state : int, optional
        k-means seed.
    n_init : int, default=10
        k-means restarts.
    normalized : bool, default=True
        Use the normalized Laplacian.

    Attributes
    ----------
    labels_ : ndarray of int
        Labels of the last ``fit``.

    Examples
    --------
    >>> import networkx as nx
    >>> from sparsekit.spectral import SpectralClustering
    >>> A = nx.to_scipy_sparse_array(nx.disjoint_union(nx.cycle_graph(5), nx.cycle_graph(4)))
    >>> SpectralClustering(2, assign_labels="cluster_qr").fit_predict(A)
    array([0, 0, 0, 0, 0, 1, 1, 1, 1])
    """

    _AFFINITY = {"precomputed": "X is the affinity (adjacency) matrix"}
    _PARAMS = ("n_clusters", "affinity", "assign_labels", "random_state", "n_init", "normalized")

    def __init__(self, n_clusters: int = 8, *, affinity: str = "precomputed",
                 assign_labels: str = "kmeans", random_state: Seed = None, n_init: int = 10,
                 normalized: bool = True) -> None:
        self.n_clusters = n_clusters
        self.affinity = affinity
        self.assign_labels = assign_labels
        self.random_state = random_state
        self.n_init = n_init
        self.normalized = normalized

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Parameters of this estimator (scikit-learn convention)."""
        return {p: getattr(self, p) for p in self._PARAMS}

    def set_params(self, **params: Any) -> SpectralClustering:
        """Set parameters (scikit-learn convention); returns self."""
        for key, value in params.items():
            if key not in self._PARAMS:
                raise InputValueError(f"invalid parameter {key!r} for SpectralClustering; "
                                      f"expected one of {sorted(self._PARAMS)}")
            setattr(self, key, value)
        return self

    def fit(self, X: GraphLike, y: object = None) -> SpectralClustering:
        """Cluster the affinity graph ``X``; sets ``labels_``; returns self."""
        check_choice(self.affinity, self._AFFINITY, "affinity")
        self.labels_ = clustering(X, self.n_clusters, assign=self.assign_labels,
                                  random_state=self.random_state, n_init=self.n_init,
                                  normalized=self.normalized)
        return self

    def fit_predict(self, X: GraphLike, y: object = None) -> np.ndarray:
        """``fit(X).labels_``."""
        return self.fit(X).labels_

    def __repr__(self) -> str:
        args = ", ".join(f"{p}={getattr(self, p)!r}" for p in self._PARAMS)
        return f"SpectralClustering({args})"
