"""sparsekit.spectral against networkx, scikit-learn, dense scipy.linalg and analytic facts."""

import math

import networkx as nx
import numpy as np
import pytest
import scipy.linalg as la
import scipy.sparse as sp

import sparsekit as sk
from sparsekit import spectral

# ---------------------------------------------------------------- cases and helpers


def _weighted_gnp(n=40, p=0.15, seed=3):
    G = nx.gnp_random_graph(n, p, seed=seed)
    G = G.subgraph(max(nx.connected_components(G), key=len)).copy()
    G = nx.convert_node_labels_to_integers(G)
    rng = np.random.default_rng(seed)
    for u, v in G.edges:
        G[u][v]["weight"] = float(rng.uniform(0.5, 3.0))
    return G


GENERATORS = {
    "path": lambda: nx.path_graph(9),
    "cycle": lambda: nx.cycle_graph(11),
    "complete": lambda: nx.complete_graph(7),
    "star": lambda: nx.star_graph(6),
    "grid": lambda: nx.convert_node_labels_to_integers(nx.grid_2d_graph(4, 6)),
    "petersen": nx.petersen_graph,
    "barbell": lambda: nx.barbell_graph(5, 2),
    "lollipop": lambda: nx.lollipop_graph(6, 4),
    "wheel": lambda: nx.wheel_graph(9),
    "karate_weighted": nx.karate_club_graph,
    "gnp_weighted": _weighted_gnp,
    "sbm_small": lambda: nx.stochastic_block_model([15, 15, 15], [[0.6, 0.05, 0.02],
                                                                  [0.05, 0.6, 0.05],
                                                                  [0.02, 0.05, 0.6]], seed=1),
}
REAL = ["karate", "jazz", "Erdos971"]


def dense_laplacian(G, weight="weight", normalized=False):
    M = nx.normalized_laplacian_matrix if normalized else nx.laplacian_matrix
    return M(G, weight=weight).toarray()


def lambda2_simple(G, weight="weight", normalized=False):
    w = la.eigvalsh(dense_laplacian(G, weight, normalized))
    return w[2] - w[1] > 1e-6 * max(w[-1], 1.0)


def from_real(real, name):
    A = real(name)
    return A, nx.from_scipy_sparse_array(A)


def same_up_to_sign(a, b, atol):
    a, b = np.asarray(a), np.asarray(b)
    return min(np.max(np.abs(a - b)), np.max(np.abs(a + b))) <= atol


def int32(A):
    """scikit-learn's spectral_embedding wants 32-bit sparse indices."""
    A = sp.csr_matrix(A)
    A.indices = A.indices.astype(np.int32)
    A.indptr = A.indptr.astype(np.int32)
    return A


def grid_adjacency(m, shortcuts=0, seed=0):
    P = sp.diags_array([np.ones(m - 1), np.ones(m - 1)], offsets=[-1, 1])
    eye = sp.eye_array(m)
    W = sp.kron(P, eye) + sp.kron(eye, P)
    if shortcuts:
        rng = np.random.default_rng(seed)
        r, c = rng.integers(0, m * m, (2, shortcuts))
        S = sp.coo_array((np.ones(shortcuts), (r, c)), shape=W.shape)
        W = W + S + S.T
        W = sp.csr_array(W)
        W.setdiag(0)
    W = sp.csr_array(W)
    W.eliminate_zeros()
    W.data[:] = 1.0
    return W


def sbm_adjacency(sizes, p_in, p_out, seed):
    """Symmetric SBM adjacency, vectorised: one sparse random block per block pair."""
    rng = np.random.default_rng(seed)
    offs = np.concatenate([[0], np.cumsum(sizes)])
    n = offs[-1]
    rows, cols = [], []
    for a in range(len(sizes)):
        for b in range(a, len(sizes)):
            B = sp.random_array((sizes[a], sizes[b]), density=p_in if a == b else p_out,
                                rng=rng, format="coo")
            r, c = B.row + offs[a], B.col + offs[b]
            keep = r < c if a == b else np.ones(len(r), bool)
            rows.append(r[keep])
            cols.append(c[keep])
    r, c = np.concatenate(rows), np.concatenate(cols)
    W = sp.coo_array((np.ones(len(r)), (r, c)), shape=(n, n))
    W = sp.csr_array(W + W.T)
    W.data[:] = 1.0
    truth = np.repeat(np.arange(len(sizes)), sizes)
    return W, truth


# ---------------------------------------------------------------- Fiedler


@pytest.mark.parametrize("name", sorted(GENERATORS))
@pytest.mark.parametrize("normalized", [False, True])
def test_fiedler_matches_networkx_on_generators(name, normalized):
    G = GENERATORS[name]()
    f = spectral.fiedler(G, normalized)
    ref = nx.algebraic_connectivity(G, normalized=normalized, tol=1e-12, method="tracemin_lu")
    assert f.value == pytest.approx(ref, rel=1e-8, abs=1e-10)
    assert f.converged
    L = dense_laplacian(G, normalized=normalized)
    assert np.linalg.norm(L @ f.vector - f.value * f.vector) < 1e-7 * max(1.0, abs(L).max())
    assert np.linalg.norm(f.vector) == pytest.approx(1.0)
    if lambda2_simple(G, normalized=normalized):
        v = nx.fiedler_vector(G, normalized=normalized, tol=1e-12, method="tracemin_lu")
        v = v / np.linalg.norm(v)
        assert same_up_to_sign(f.vector, v, 1e-5)


def _spy_schur(monkeypatch):
    import importlib

    mod = importlib.import_module("sparsekit._spectral._resistance")
    calls = []
    real_fn = mod._schur_resistances

    def spy(*args):
        out = real_fn(*args)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(mod, "_schur_resistances", spy)
    return mod, calls


def test_schur_path_matches_networkx_on_two_weighted_components(monkeypatch):
    pytest.importorskip("pymetis")
    mod, calls = _spy_schur(monkeypatch)
    G = nx.connected_watts_strogatz_graph(300, 4, 0.2, seed=1)
    rng = np.random.default_rng(0)
    for (a, b), w in zip(G.edges, rng.uniform(0.5, 2.0, G.number_of_edges()), strict=True):
        G[a][b]["weight"] = w
    G.add_edges_from([(300, 301, {"weight": 2.0}), (301, 302, {"weight": 0.5})])
    # (300, 302): a component whose nodes are all pair nodes but one; (3, 3): zero;
    # (0, 301): across components, infinite
    pairs = [(0, 5), (10, 200), (3, 3), (300, 302), (301, 300), (0, 301), (7, 150), (299, 1)]
    R = spectral.effective_resistance(G, pairs)
    assert calls == [True]
    H = G.subgraph(range(300))
    ref = [nx.resistance_distance(H, a, b, weight="weight", invert_weight=False)
           for a, b in [(0, 5), (10, 200)]]
    ref += [0.0, 2.5, 0.5, np.inf]
    ref += [nx.resistance_distance(H, a, b, weight="weight", invert_weight=False)
            for a, b in [(7, 150), (299, 1)]]
    np.testing.assert_allclose(R, ref, rtol=1e-10)
    monkeypatch.setattr(mod, "SCHUR_MAX_NODES", 0)  # the block solves: the same answer
    np.testing.assert_allclose(spectral.effective_resistance(G, pairs), ref, rtol=1e-10)
    assert calls[-1] is False


def test_schur_path_on_a_real_graph_against_plain_superlu(real, monkeypatch):
    pytest.importorskip("pymetis")
    _, calls = _spy_schur(monkeypatch)
    W = sp.csr_array(real("fe_4elt2"))  # connected 2-D mesh graph, 11,143 nodes
    n = W.shape[0]
    pairs = np.random.default_rng(3).integers(0, n, (400, 2))
    R = spectral.effective_resistance(W, pairs)
    assert calls == [True]
    L = sp.csc_array(sp.diags_array(np.asarray(W.sum(axis=1)).ravel()) - W)
    lu = __import__("scipy.sparse.linalg", fromlist=["splu"]).splu(L[1:, 1:])
    B = np.zeros((n, len(pairs)))
    c = np.arange(len(pairs))
    np.add.at(B, (pairs[:, 0], c), 1.0)
    np.add.at(B, (pairs[:, 1], c), -1.0)
    X = np.vstack([np.zeros((1, len(pairs))), lu.solve(B[1:])])  # node 0 grounded
    np.testing.assert_allclose(R, X[pairs[:, 0], c] - X[pairs[:, 1], c], rtol=1e-9, atol=1e-13)


def test_schur_path_without_pymetis_solves_instead(monkeypatch):
    import sys

    _, calls = _spy_schur(monkeypatch)
    monkeypatch.setitem(sys.modules, "pymetis", None)
    G = nx.grid_2d_graph(12, 12)
    nodes = list(G)
    pairs = [(nodes[0], nodes[-1]), (nodes[5], nodes[77])]
    R = spectral.effective_resistance(G, pairs)
    assert calls == [False]
    ref = [nx.resistance_distance(G, a, b) for a, b in pairs]
    np.testing.assert_allclose(R, ref, rtol=1e-10)


@pytest.mark.parametrize("name", ["karate", "jazz"])
def test_fiedler_real_graphs_against_networkx(real, name):
    _, G = from_real(real, name)
    f = spectral.fiedler(G)
    assert f.value == pytest.approx(
        nx.algebraic_connectivity(G, tol=1e-12, method="tracemin_lu"), rel=1e-8)
    v = nx.fiedler_vector(G, tol=1e-12, method="tracemin_lu")
    assert same_up_to_sign(f.vector, v / np.linalg.norm(v), 1e-5)
    assert spectral.algebraic_connectivity(G, normalized=True) == pytest.approx(
        nx.algebraic_connectivity(G, normalized=True, tol=1e-12, method="tracemin_lu"),
        rel=1e-8)


def test_fiedler_per_component_on_erdos971(real):
    A, G = from_real(real, "Erdos971")
    with pytest.raises(sk.DisconnectedGraphError, match="42 connected components") as exc:
        spectral.fiedler(A)
    assert exc.value.n_components == 42
    parts = spectral.fiedler(A, disconnected="components")
    assert len(parts) == 42
    assert sorted(np.concatenate([p.nodes for p in parts]).tolist()) == list(range(A.shape[0]))
    for p in parts:
        if len(p.nodes) == 1:
            assert math.isnan(p.value)
            continue
        H = G.subgraph(p.nodes.tolist())
        ref = (2.0 * H.degree(next(iter(H)), weight="weight") if len(H) == 2 else
               nx.algebraic_connectivity(H, tol=1e-12, method="tracemin_lu"))
        assert p.value == pytest.approx(ref, rel=1e-8)
    assert spectral.algebraic_connectivity(A) == nx.algebraic_connectivity(G) == 0.0


def test_fiedler_same_answer_from_every_input_form(real):
    A = real("karate")
    ref = spectral.fiedler(A)
    G = nx.from_scipy_sparse_array(A)
    C = sp.triu(A).tocoo()
    for graph, kw in [(G, {}), ((C.row, C.col), {"n": 34}),
                      ((C.row, C.col, C.data), {"n": 34}),
                      (str(sk.datasets.path("karate")), {})]:
        f = spectral.fiedler(graph, **kw)
        assert f.value == pytest.approx(ref.value, rel=1e-10)
        np.testing.assert_allclose(f.vector, ref.vector, atol=1e-7)  # deterministic sign


def test_fiedler_sign_is_deterministic_and_analytic_on_path():
    n = 10
    f = spectral.fiedler(nx.path_graph(n))
    assert f.value == pytest.approx(2 - 2 * np.cos(np.pi / n), rel=1e-10)
    ref = np.cos(np.pi * (np.arange(n) + 0.5) / n)
    np.testing.assert_allclose(f.vector, ref / np.linalg.norm(ref), atol=1e-8)
    g = spectral.fiedler(nx.relabel_nodes(nx.path_graph(n), lambda i: n - 1 - i),
                         nodelist=list(range(n)))
    np.testing.assert_allclose(g.vector, f.vector, atol=1e-8)
    assert "FiedlerResult" in repr(f)


def test_spectral_ordering_is_monotone_along_networkx_order(real):
    _, G = from_real(real, "karate")
    order = spectral.spectral_ordering(G)
    assert sorted(order.tolist()) == list(range(34))
    v = nx.fiedler_vector(G, tol=1e-12, method="tracemin_lu")
    s = v[order]
    assert np.all(np.diff(s) >= -1e-9) or np.all(np.diff(s) <= 1e-9)
    nx_order = nx.spectral_ordering(G, tol=1e-12, method="tracemin_lu")
    mine = spectral.fiedler(G).vector[np.array(nx_order)]
    assert np.all(np.diff(mine) >= -1e-8) or np.all(np.diff(mine) <= 1e-8)


def test_spectral_ordering_disconnected_components_in_order():
    G = nx.disjoint_union(nx.path_graph(5), nx.path_graph(4))
    G.add_node(9)
    order = spectral.spectral_ordering(G)
    assert sorted(order[:5].tolist()) == list(range(5))
    assert sorted(order[5:9].tolist()) == list(range(5, 9))
    assert order[9] == 9
    assert order[:5].tolist() in ([0, 1, 2, 3, 4], [4, 3, 2, 1, 0])


@pytest.mark.parametrize("G", [nx.barbell_graph(5, 0), nx.karate_club_graph()],
                         ids=["barbell", "karate"])
def test_spectral_bisection_matches_networkx(G):
    a, b = nx.spectral_bisection(G, tol=1e-12, method="tracemin_lu")
    part = spectral.spectral_bisection(G)
    nodes = list(G)
    mine = {frozenset(nodes[i] for i in np.flatnonzero(part == k)) for k in (0, 1)}
    assert mine == {frozenset(a), frozenset(b)}
    half = spectral.spectral_bisection(G, split="median")
    assert half.sum() == len(G) // 2


# ---------------------------------------------------------------- embedding, clustering


@pytest.mark.parametrize("name", ["karate", "jazz"])
@pytest.mark.parametrize("normalized", [True, False])
@pytest.mark.parametrize("drop_first", [True, False])
def test_embedding_matches_scikit_learn(real, name, normalized, drop_first):
    skl = pytest.importorskip("sklearn.manifold")
    A = real(name)
    ref = skl.spectral_embedding(int32(A), n_components=3, norm_laplacian=normalized,
                                 drop_first=drop_first, random_state=0)
    X = spectral.embedding(A, 3, normalized=normalized, drop_first=drop_first)
    assert X.shape == ref.shape
    # same scaling (D^-1/2 u for unit u) and the same sign rule: equal up to solver accuracy
    for j in range(3):
        assert same_up_to_sign(X[:, j], ref[:, j], 1e-6 * np.abs(ref[:, j]).max())


def test_large_graph_path_lobpcg_amg_matches_dense(monkeypatch):
    # graphs above _eigen._plan.FACTOR_MAX_N go to LOBPCG + AMG, the normalized embedding as the
    # pencil L u = λ D u; lower the threshold so that a small graph takes that path
    monkeypatch.setattr(sk.linalg._eigen._plan, "FACTOR_MAX_N", 300)
    G = nx.grid_2d_graph(17, 29)  # 493 nodes, a simple low spectrum
    W = nx.to_scipy_sparse_array(G, format="csr")
    d = np.asarray(W.sum(axis=1)).ravel()
    Lsym = np.eye(len(d)) - W.toarray() / np.sqrt(np.outer(d, d))
    lam, V = la.eigh(Lsym, subset_by_index=[0, 3])
    X = spectral.embedding(W, 3)
    for j in range(3):
        ref = V[:, j + 1] / np.sqrt(d)
        assert same_up_to_sign(X[:, j], ref, 1e-6 * np.abs(ref).max())
    f = spectral.fiedler(W)
    assert f.method == "lobpcg"
    Lc = np.diag(d) - W.toarray()
    mu, U = la.eigh(Lc, subset_by_index=[0, 1])
    assert abs(f.value - mu[1]) <= 1e-8 * mu[1]
    assert same_up_to_sign(f.vector, U[:, 1], 1e-6)


def test_embedding_cycle_is_a_circle():
    X = spectral.embedding(nx.cycle_graph(16), 2)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r, r[0], rtol=1e-8)


def test_clustering_recovers_planted_partition():
    from sklearn.metrics import adjusted_rand_score

    W, truth = sbm_adjacency([2500] * 4, 0.02, 0.001, seed=7)
    for assign in ("kmeans", "cluster_qr"):
        labels = spectral.clustering(W, 4, assign=assign, random_state=0)
        assert adjusted_rand_score(truth, labels) >= 0.95, assign


def test_cluster_qr_agrees_with_scikit_learn():
    from sklearn.cluster._spectral import cluster_qr as sk_cluster_qr
    from sklearn.metrics import adjusted_rand_score

    W, truth = sbm_adjacency([60, 80, 50], 0.3, 0.02, seed=2)
    X = spectral.embedding(W, 3, drop_first=False, disconnected="allow")
    assert adjusted_rand_score(spectral.cluster_qr(X), sk_cluster_qr(X)) == 1.0
    rng = np.random.default_rng(0)
    V = np.linalg.qr(rng.standard_normal((50, 4)))[0]
    assert adjusted_rand_score(spectral.cluster_qr(V), sk_cluster_qr(V)) == 1.0


def test_spectral_clustering_estimator():
    from sklearn.base import clone
    from sklearn.cluster import SpectralClustering as SkSC
    from sklearn.metrics import adjusted_rand_score

    W, truth = sbm_adjacency([100, 120, 90], 0.2, 0.01, seed=5)
    est = spectral.SpectralClustering(3, assign_labels="cluster_qr")
    labels = est.fit_predict(W)
    np.testing.assert_array_equal(labels, spectral.clustering(W, 3, assign="cluster_qr"))
    np.testing.assert_array_equal(est.labels_, labels)
    twin = clone(est)
    assert twin.get_params() == est.get_params()
    ref = SkSC(3, affinity="precomputed", assign_labels="cluster_qr",
               random_state=0).fit_predict(int32(W))
    assert adjusted_rand_score(ref, labels) >= 0.95
    assert adjusted_rand_score(truth, labels) >= 0.95
    with pytest.raises(sk.UnknownMethodError, match="affinity"):
        spectral.SpectralClustering(3, affinity="rbf").fit(W)


def test_diffusion_map_against_dense_eigendecomposition():
    G = _weighted_gnp(30, 0.3, seed=4)
    A = nx.to_numpy_array(G)
    d = A.sum(axis=1)
    P = A / d[:, None]
    t = 3
    Y = spectral.diffusion_map(G, 3, t=t)
    mu, V = la.eig(P)  # dense, nonsymmetric: an independent route
    o = np.argsort(-mu.real)
    mu, V = mu.real[o], V.real[:, o]
    for j in range(3):
        psi = V[:, j + 1] / np.sqrt(V[:, j + 1] @ (d * V[:, j + 1]))
        assert same_up_to_sign(Y[:, j], mu[j + 1] ** t * psi, 1e-7)


# ---------------------------------------------------------------- resistance


def _nx_resistance_all(G):
    return nx.resistance_distance(G, weight="weight", invert_weight=False)


@pytest.mark.parametrize("name", ["karate_weighted", "gnp_weighted", "grid", "barbell"])
def test_effective_resistance_matches_networkx(name):
    G = GENERATORS[name]()
    ref = _nx_resistance_all(G)
    nodes = list(G)
    pairs = [(u, v) for i, u in enumerate(nodes) for v in nodes[i:]]
    R = spectral.effective_resistance(G, pairs)
    np.testing.assert_allclose(R, [ref[u][v] for u, v in pairs], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", ["karate", "jazz"])
def test_resistance_kirchhoff_kemeny_on_real_graphs(real, name):
    _, G = from_real(real, name)
    ref = _nx_resistance_all(G)
    rng = np.random.default_rng(0)
    pairs = rng.integers(0, len(G), (50, 2))
    R = spectral.effective_resistance(G, pairs)
    np.testing.assert_allclose(R, [ref[u][v] for u, v in pairs], rtol=1e-9, atol=1e-12)
    kf = nx.effective_graph_resistance(G, weight="weight", invert_weight=False)
    for method in ("dense", "exact"):
        assert spectral.kirchhoff_index(G, method=method) == pytest.approx(kf, rel=1e-9)
    assert spectral.kirchhoff_index(G, method="hutchinson", n_probes=400,
                                    random_state=0) == pytest.approx(kf, rel=0.15)
    km = nx.kemeny_constant(G, weight="weight")
    for method in ("dense", "exact"):
        assert spectral.kemeny_constant(G, method=method) == pytest.approx(km, rel=1e-9)


def test_resistance_on_disconnected_erdos971(real):
    A, G = from_real(real, "Erdos971")
    ncomp, labels = sp.csgraph.connected_components(A)
    big = np.flatnonzero(labels == np.bincount(labels).argmax())
    H = G.subgraph(big.tolist())
    rng = np.random.default_rng(1)
    pairs = big[rng.integers(0, len(big), (2, 2))]  # networkx: 0.7 s per pair
    ref = [nx.resistance_distance(H, u, v, weight="weight", invert_weight=False)
           if u != v else 0.0 for u, v in pairs]
    np.testing.assert_allclose(spectral.effective_resistance(A, pairs), ref, rtol=1e-9,
                               atol=1e-12)
    other = np.flatnonzero(labels != labels[big[0]])[0]
    assert spectral.effective_resistance(A, [(big[0], other)])[0] == np.inf
    # Foster's theorem: sum over edges of w R = n - (number of components)
    Re = spectral.effective_resistance(A)
    assert (Re.multiply(A)).sum() / 2 == pytest.approx(A.shape[0] - ncomp, rel=1e-9)
    assert spectral.kirchhoff_index(A) == nx.effective_graph_resistance(G) == np.inf
    with pytest.raises(sk.DisconnectedGraphError, match="42") as exc:
        spectral.kemeny_constant(A)
    assert exc.value.n_components == 42


def test_effective_resistance_all_edges_fosters_theorem_and_amg():
    G = _weighted_gnp(60, 0.1, seed=11)
    Re = spectral.effective_resistance(G)
    W = nx.to_scipy_sparse_array(G)
    assert (Re != 0).toarray().tolist() == (W != 0).toarray().tolist()
    assert Re.multiply(W).sum() / 2 == pytest.approx(len(G) - 1, rel=1e-10)
    pairs = [(0, 5), (3, 17), (8, 8)]
    exact = spectral.effective_resistance(G, pairs)
    amg = spectral.effective_resistance(G, pairs, solver="amg", rtol=1e-12)
    np.testing.assert_allclose(amg, exact, rtol=1e-8)
    assert exact[2] == 0.0


def test_sketch_within_eps_on_10k_nodes():
    W = grid_adjacency(100, shortcuts=40, seed=3)
    rng = np.random.default_rng(0)
    W.data[:] = rng.uniform(0.5, 2.0, W.nnz)
    W = sp.csr_array(sp.triu(W, 1) + sp.triu(W, 1).T)
    assert W.shape == (10_000, 10_000)
    eps = 0.3
    sketch = spectral.effective_resistance(W, method="sketch", eps=eps, random_state=0)
    U = sp.triu(W, 1).tocoo()
    est = sketch[U.row, U.col]
    assert np.all(est > 0)
    # every edge at once: Foster's theorem, sum of w R over edges = n - 1
    assert (U.data * est).sum() == pytest.approx(W.shape[0] - 1, rel=eps / 10)
    # edge by edge, against exact solves on a uniform sample of 600 of the 20,000 edges
    sample = rng.choice(len(est), 600, replace=False)
    exact = spectral.effective_resistance(W, np.c_[U.row[sample], U.col[sample]])
    within = np.abs(est[sample] - exact) <= eps * exact
    assert within.mean() >= 0.95
    # an honest check: a sketch with far too few projections misses the bound
    crude = spectral.effective_resistance(W, np.c_[U.row[sample], U.col[sample]],
                                          method="sketch", n_projections=4, random_state=0)
    assert (np.abs(crude - exact) <= eps * exact).mean() < 0.95


def test_commute_time_equals_hitting_times():
    G = _weighted_gnp(25, 0.25, seed=8)
    G.add_edge(3, 3, weight=2.0)  # a self-loop: a step of the walk that stays
    A = nx.to_numpy_array(G)
    P = A / A.sum(axis=1, keepdims=True)
    n = len(G)

    def hit(target):  # expected steps to reach target from every node
        keep = np.arange(n) != target
        h = np.zeros(n)
        h[keep] = np.linalg.solve(np.eye(n - 1) - P[np.ix_(keep, keep)], np.ones(n - 1))
        return h

    pairs = [(0, 7), (3, 12), (5, 3)]
    ref = [hit(v)[u] + hit(u)[v] for u, v in pairs]
    np.testing.assert_allclose(spectral.commute_time(G, pairs), ref, rtol=1e-9)


def test_kemeny_with_self_loops_and_weights_matches_networkx():
    G = _weighted_gnp(30, 0.2, seed=9)
    G.add_edge(2, 2, weight=1.5)
    ref = nx.kemeny_constant(G, weight="weight")
    assert spectral.kemeny_constant(G) == pytest.approx(ref, rel=1e-9)
    assert spectral.kemeny_constant(G, method="exact") == pytest.approx(ref, rel=1e-9)


# ---------------------------------------------------------------- diffusion


@pytest.mark.parametrize("normalized", [False, True])
def test_heat_matches_dense_expm(normalized):
    G = _weighted_gnp(30, 0.2, seed=6)
    L = dense_laplacian(G, normalized=normalized)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 3))
    times = [0.7, 0.0, 2.5]
    Y = spectral.heat(G, times, X, normalized=normalized)
    assert Y.shape == (3, 30, 3)
    for i, t in enumerate(times):
        np.testing.assert_allclose(Y[i], la.expm(-t * L) @ X, rtol=1e-9, atol=1e-11)
    y = spectral.heat(G, 1.3, X[:, 0], normalized=normalized)
    np.testing.assert_allclose(y, la.expm(-1.3 * L) @ X[:, 0], rtol=1e-9, atol=1e-11)


def test_pagerank_matches_networkx_with_personalization_and_isolated_nodes():
    G = _weighted_gnp(40, 0.15, seed=2)
    G.add_node(100)  # isolated: dangling mass returns to the personalization
    G.add_edge(4, 4, weight=1.0)
    pers = {0: 1.0, 5: 2.0, 100: 0.5}
    ref = nx.pagerank(G, alpha=0.85, personalization=pers, tol=1e-13, max_iter=10_000)
    x = spectral.pagerank(G, pers, alpha=0.85)
    np.testing.assert_allclose(x, [ref[v] for v in G], rtol=1e-7, atol=1e-12)
    ref = nx.pagerank(G, alpha=0.6, tol=1e-13, max_iter=10_000)
    np.testing.assert_allclose(spectral.pagerank(G, alpha=0.6), [ref[v] for v in G],
                               rtol=1e-7)


# ---------------------------------------------------------------- bad input


def test_directed_graph_without_symmetrize_is_refused():
    D = nx.DiGraph([(0, 1), (1, 2), (2, 0), (2, 3)])
    with pytest.raises(sk.SparsekitError, match="symmetri"):
        spectral.fiedler(D)
    f = spectral.fiedler(D, symmetrize=True)
    assert f.value > 0


def test_negative_weights_are_refused():
    G = nx.path_graph(4)
    G[1][2]["weight"] = -1.0
    with pytest.raises(sk.InputValueError, match="negative"):
        spectral.fiedler(G)
    W = sp.csr_array(np.array([[0, -1.0], [-1.0, 0]]))
    with pytest.raises(sk.InputValueError, match="negative"):
        spectral.effective_resistance(W, [(0, 1)])


def test_nan_weights_are_refused():
    W = sp.csr_array(np.array([[0, np.nan], [np.nan, 0]]))
    with pytest.raises(sk.InputValueError, match="NaN"):
        spectral.heat(W, 1.0, np.ones(2))


@pytest.mark.parametrize("call", [
    lambda G: spectral.embedding(G, n_components=10),
    lambda G: spectral.embedding(G, n_components=10, drop_first=False),
    lambda G: spectral.clustering(G, 10),
    lambda G: spectral.diffusion_map(G, 10),
], ids=["embedding", "embedding_keep_first", "clustering", "diffusion_map"])
def test_n_components_at_least_n_is_refused(call):
    with pytest.raises(sk.InputValueError, match=r"n_components must be < n .*n=10"):
        call(nx.cycle_graph(10))


@pytest.mark.parametrize("call", [
    lambda G: spectral.fiedler(G),
    lambda G: spectral.spectral_bisection(G),
    lambda G: spectral.embedding(G),
    lambda G: spectral.diffusion_map(G),
    lambda G: spectral.kemeny_constant(G),
], ids=["fiedler", "bisection", "embedding", "diffusion_map", "kemeny"])
def test_disconnected_graph_error_names_the_components(call):
    G = nx.disjoint_union_all([nx.path_graph(4), nx.cycle_graph(5), nx.path_graph(3)])
    with pytest.raises(sk.DisconnectedGraphError, match="3 connected components") as exc:
        call(G)
    assert exc.value.n_components == 3


@pytest.mark.parametrize("call", [
    spectral.fiedler, spectral.algebraic_connectivity, spectral.spectral_ordering,
    spectral.embedding, spectral.kirchhoff_index, spectral.kemeny_constant,
    lambda G: spectral.effective_resistance(G, []),
    lambda G: spectral.heat(G, 1.0, np.ones(0)),
    lambda G: spectral.clustering(G, 2),
], ids=["fiedler", "algebraic_connectivity", "ordering", "embedding", "kirchhoff", "kemeny",
        "resistance", "heat", "clustering"])
@pytest.mark.parametrize("empty", ["networkx", "sparse"])
def test_empty_graph_is_refused(call, empty):
    G = nx.Graph() if empty == "networkx" else sp.csr_array((0, 0))
    with pytest.raises(sk.InputValueError, match="empty"):
        call(G)


def test_pairs_naming_missing_nodes_are_refused():
    G = nx.relabel_nodes(nx.path_graph(4), dict(enumerate("abcd")))
    assert spectral.effective_resistance(G, [("a", "d")])[0] == pytest.approx(3.0)
    with pytest.raises(sk.InputValueError, match=r"not in the graph: 'z'"):
        spectral.effective_resistance(G, [("a", "z")])
    with pytest.raises(sk.InputValueError, match="not in the graph"):
        spectral.commute_time(G, [("q", "a")])
    W = nx.to_scipy_sparse_array(nx.path_graph(4))
    with pytest.raises(sk.InputValueError, match=r"graph of 4 nodes .*: 4, 7"):
        spectral.effective_resistance(W, [(0, 4), (7, 1)])
    with pytest.raises(sk.InputValueError, match="not in the graph"):
        spectral.effective_resistance(W, [(-1, 2)])
    with pytest.raises(sk.InputValueError, match=r"shape \(p, 2\)"):
        spectral.effective_resistance(W, [(0, 1, 2)])


def test_other_bad_arguments():
    G = nx.path_graph(5)
    with pytest.raises(sk.UnknownMethodError, match="cluster_qr"):
        spectral.clustering(G, 2, assign="discretize")
    with pytest.raises(sk.UnknownMethodError, match="sketch"):
        spectral.effective_resistance(G, method="approx")
    with pytest.raises(sk.UnknownMethodError, match="components"):
        spectral.fiedler(G, disconnected="ignore")
    with pytest.raises(sk.InputValueError, match="eps"):
        spectral.effective_resistance(G, method="sketch", eps=1.5)
    with pytest.raises(sk.InputValueError, match="t must"):
        spectral.heat(G, -1.0, np.ones(5))
    with pytest.raises(sk.ShapeError):
        spectral.heat(G, 1.0, np.ones(4))
    with pytest.raises(sk.InputValueError, match="alpha"):
        spectral.pagerank(G, alpha=1.0)
    with pytest.raises(sk.InputValueError, match="personalization"):
        spectral.pagerank(G, personalization=-np.ones(5))
    with pytest.raises(sk.InputValueError, match="at least 2 nodes"):
        spectral.fiedler(nx.empty_graph(1))
    with pytest.raises(sk.DenseTooLargeError, match="MiB"):
        spectral.kirchhoff_index(nx.path_graph(2001), method="dense")


def test_public_names_are_pinned():
    assert set(spectral.__all__) == {
        "FiedlerResult", "fiedler", "algebraic_connectivity", "spectral_ordering",
        "spectral_bisection", "embedding", "diffusion_map", "clustering", "cluster_qr",
        "SpectralClustering", "effective_resistance", "commute_time", "kirchhoff_index",
        "kemeny_constant", "heat", "pagerank"}
    assert all(hasattr(spectral, name) for name in spectral.__all__)


# ---------------------------------------------------------------- networkx labels (issue 23)


def test_fiedler_carries_node_labels_and_their_dict():
    G = nx.relabel_nodes(nx.karate_club_graph(), {i: f"member{i}" for i in range(34)})
    f = spectral.fiedler(G)
    assert list(f.nodes) == list(G) and f.nodes.dtype.kind == "U"
    np.testing.assert_array_equal(f.positions, np.arange(34))
    ref = nx.fiedler_vector(G, tol=1e-12, method="tracemin_lu")  # in list(G) order
    d = f.to_dict()
    assert list(d) == list(G)
    mine = np.array([d[v] for v in G])
    assert same_up_to_sign(mine, ref / np.linalg.norm(ref), 1e-6)
    # tuple labels (a grid) stay whole, one label per node
    H = nx.grid_2d_graph(3, 4)
    h = spectral.fiedler(H)
    assert h.nodes.dtype == object and h.nodes[5] == list(H)[5] == (1, 1)
    assert set(h.to_dict()) == set(H)
    # nodelist picks the order, and the labels follow it
    order = list(reversed(list(H)))
    assert list(spectral.fiedler(H, nodelist=order).nodes) == order


def test_fiedler_components_is_one_result():
    G = nx.disjoint_union_all([nx.path_graph(5), nx.cycle_graph(6), nx.empty_graph(1)])
    G = nx.relabel_nodes(G, {i: chr(ord("a") + i) for i in range(12)})
    f = spectral.fiedler(G, disconnected="components")
    assert isinstance(f, spectral.FiedlerResult) and len(f.components) == 3
    assert f.value == 0.0 == nx.algebraic_connectivity(G)
    assert f.values[:2] == pytest.approx([2 - 2 * np.cos(np.pi / 5), 2 - 2 * np.cos(np.pi / 3)])
    assert math.isnan(f.values[2])
    assert list(f.nodes) == list(G) and len(f.vector) == 12
    for part in f.components:  # each component's own pair, placed at its nodes
        np.testing.assert_array_equal(f.vector[part.positions], part.vector)
        assert list(part.nodes) == [list(G)[i] for i in part.positions]
    assert f.to_dict()["a"] == f.vector[0]
    # the old tuple's use still works: len, iteration, indexing
    assert len(f) == 3 and [p.value for p in f][:2] == list(f.values[:2])
    assert f[1] is f.components[1]
    # a connected graph in that mode is its one result
    one = spectral.fiedler(nx.path_graph(4), disconnected="components")
    assert one.components == () and len(one) == 1 and list(one) == [one]
    assert "3 components" in repr(f)


def test_pagerank_dict_form_matches_networkx():
    G = nx.relabel_nodes(_weighted_gnp(30, 0.2, seed=4), lambda i: f"n{i}")
    ref = nx.pagerank(G, alpha=0.85, tol=1e-13, max_iter=10_000)
    d = spectral.pagerank(G, as_dict=True)
    assert list(d) == list(ref)
    np.testing.assert_allclose([d[v] for v in G], [ref[v] for v in G], rtol=1e-7)
    A = nx.to_scipy_sparse_array(G)  # no labels: positions
    assert list(spectral.pagerank(A, as_dict=True)) == list(range(30))


@pytest.mark.parametrize("method", ["unknown", "tracemin_chol", 3])
@pytest.mark.parametrize("graph", [nx.path_graph(4), nx.path_graph(200)], ids=["n4", "n200"])
def test_unknown_eigen_method_refused_on_every_graph_size(method, graph):
    for call in (spectral.fiedler, spectral.algebraic_connectivity,
                 spectral.spectral_ordering, spectral.spectral_bisection):
        with pytest.raises(sk.UnknownMethodError, match="method"):
            call(graph, method=method)
    with pytest.raises(sk.UnknownMethodError):
        spectral.embedding(graph, method=method)


@pytest.mark.parametrize("method", ["tracemin_pcg", "tracemin_lu", "lanczos", "lobpcg"])
def test_networkx_method_names_run(method):
    G = nx.path_graph(100)  # past the dense size: the eigensolver runs
    f = spectral.fiedler(G, method=method, tol=1e-10)
    assert f.value == pytest.approx(2 - 2 * np.cos(np.pi / 100), rel=1e-7)
    # TraceMIN is not implemented: sparsekit's own choice runs (reported); Lanczos is ARPACK
    ran = {"lanczos": "arpack", "lobpcg": "lobpcg"}.get(method)
    assert ran is None or ran in f.method


def test_cluster_qr_refuses_nan_and_complex():
    with pytest.raises(sk.InputValueError, match="NaN"):
        spectral.cluster_qr(np.full((5, 2), np.nan))
    with pytest.raises(sk.InputValueError, match="real"):
        spectral.cluster_qr(np.ones((5, 2)) * 1j)


# ---------------------------------------------------------------- heat at any t (issue 18)


def _null_projection(G, X, normalized):
    """The t -> inf limit of the heat: per component, the projection on its null vector."""
    out = np.zeros_like(X)
    nodes = list(G)
    for comp in nx.connected_components(G):
        idx = [nodes.index(v) for v in comp]
        w = np.array([max(G.degree(v, weight="weight"), 0) for v in comp], dtype=float)
        w = np.sqrt(w) if normalized else np.ones(len(idx))
        w[w == 0] = 1.0
        w /= np.linalg.norm(w)
        out[idx] = np.outer(w, w @ X[idx])
    return out


@pytest.mark.parametrize("normalized", [False, True])
def test_heat_at_huge_times_is_the_null_space_limit(normalized):
    G = nx.disjoint_union(nx.path_graph(5), nx.cycle_graph(4))
    G.add_node(9)  # isolated
    X = np.random.default_rng(0).standard_normal((10, 2))
    L = dense_laplacian(G, normalized=normalized)
    # moderate huge time: scipy.linalg.expm is still accurate
    np.testing.assert_allclose(spectral.heat(G, 1e6, X, normalized=normalized),
                               la.expm(-1e6 * L) @ X, atol=1e-9)
    # far beyond: expm's squarings lose digits; the exact answer is the projection
    Y = spectral.heat(G, [1e12, 0.5, 1e300], X, normalized=normalized)
    limit = _null_projection(G, X, normalized)
    np.testing.assert_allclose(Y[0], limit, atol=1e-13)
    np.testing.assert_allclose(Y[2], limit, atol=1e-13)
    np.testing.assert_allclose(Y[1], la.expm(-0.5 * L) @ X, rtol=1e-9, atol=1e-11)


def test_heat_on_a_five_node_path_at_t_one_million():
    # issue 18's case (over 40 s before): the answer is the mean, to rounding
    x = spectral.heat(nx.path_graph(5), 1e6, np.array([1.0, 0, 0, 0, 0]))
    np.testing.assert_allclose(x, 0.2, atol=1e-15)
