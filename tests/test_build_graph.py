"""Graph Laplacians against networkx, scipy.sparse.csgraph and dense numpy."""

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.csgraph as csgraph
from hypothesis import given, settings
from hypothesis import strategies as st

import sparsekit as sk

KINDS = ["combinatorial", "normalized", "random_walk", "signless"]
REAL_GRAPHS = ["karate", "jazz", "Erdos971", "ca-GrQc", "bcspwr10", "fe_4elt2",
               "luxembourg_osm"]


def dense_reference(W, kind):
    """Each kind written out from its definition with dense numpy, D^+ for isolated nodes."""
    W = np.asarray(W, dtype=float)
    d = W.sum(axis=1)
    dplus = np.where(d > 0, 1.0 / np.where(d > 0, d, 1.0), 0.0)
    if kind == "combinatorial":
        return np.diag(d) - W
    if kind == "signless":
        return np.diag(d) + W
    if kind == "normalized":
        s = np.sqrt(dplus)
        return s[:, None] * (np.diag(d) - W) * s[None, :]
    return dplus[:, None] * (np.diag(d) - W)


def random_weighted_graph(n, p, seed, selfloops=False):
    G = nx.gnp_random_graph(n, p, seed=seed)
    rng = np.random.default_rng(seed)
    for u, v in G.edges():
        G[u][v]["weight"] = rng.uniform(0.1, 3.0)
    if selfloops:
        for u in rng.choice(n, 3, replace=False):
            G.add_edge(int(u), int(u), weight=rng.uniform(0.1, 3.0))
    return G


def assert_same(A, B, rtol=1e-12):
    A = sp.csr_array(A).toarray() if sp.issparse(A) else np.asarray(A)
    B = sp.csr_array(B).toarray() if sp.issparse(B) else np.asarray(B)
    np.testing.assert_allclose(A, B, rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_networkx_graph_matches_networkx(seed):
    G = random_weighted_graph(40, 0.15, seed, selfloops=True)
    G.add_node(40)  # an isolated node
    assert_same(sk.laplacian(G), nx.laplacian_matrix(G))
    assert_same(sk.laplacian(G, "normalized"), nx.normalized_laplacian_matrix(G))
    assert_same(sk.adjacency(G), nx.to_scipy_sparse_array(G))
    assert_same(sk.laplacian(G, weight=None), nx.laplacian_matrix(G, weight=None))


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_matches_its_dense_definition(kind):
    G = random_weighted_graph(30, 0.2, 7, selfloops=True)
    G.add_nodes_from([30, 31])
    W = nx.to_numpy_array(G)
    assert_same(sk.laplacian(G, kind), dense_reference(W, kind))


def test_nodelist_orders_and_selects_like_networkx():
    G = random_weighted_graph(20, 0.3, 3)
    order = list(np.random.default_rng(0).permutation(20)[:15])
    assert_same(sk.laplacian(G, nodelist=order), nx.laplacian_matrix(G, nodelist=order))
    assert_same(sk.laplacian(G, "normalized", nodelist=order),
                nx.normalized_laplacian_matrix(G, nodelist=order))


def test_edge_arrays_match_networkx_multigraph_with_duplicates_and_selfloops():
    rng = np.random.default_rng(5)
    n, m = 25, 80
    r, c = rng.integers(0, n, m), rng.integers(0, n, m)
    r[:3] = c[:3]  # self-loops
    r[3:6], c[3:6] = r[6:9], c[6:9]  # duplicate edges, summed
    w = rng.uniform(0.5, 2.0, m)
    G = nx.MultiGraph()
    G.add_nodes_from(range(n))
    G.add_weighted_edges_from(zip(r.tolist(), c.tolist(), w.tolist(), strict=True))
    assert_same(sk.adjacency((r, c, w), n=n), nx.to_scipy_sparse_array(G))
    assert_same(sk.laplacian((r, c, w), n=n), nx.laplacian_matrix(G))
    assert_same(sk.laplacian((r, c, w), "normalized", n=n),
                nx.normalized_laplacian_matrix(G))
    # both directions listed doubles the weight
    assert_same(sk.adjacency((np.r_[r, c], np.r_[c, r], np.r_[w, w]), n=n),
                _doubled_reference(r, c, w, n))


def _doubled_reference(r, c, w, n):
    """Plain loop: listing (i, j) and (j, i) gives each edge twice; a self-loop twice."""
    W = np.zeros((n, n))
    for i, j, x in zip(np.r_[r, c], np.r_[c, r], np.r_[w, w], strict=True):
        W[i, j] += x
        if i != j:
            W[j, i] += x
    return W


def test_sparse_adjacency_matches_csgraph_without_selfloops():
    A = sp.random_array((60, 60), density=0.1, rng=np.random.default_rng(2), format="csr")
    A = A + A.T
    A.setdiag(0)
    A.eliminate_zeros()
    assert_same(sk.laplacian(A), csgraph.laplacian(A))
    assert_same(sk.laplacian(A, "normalized"), csgraph.laplacian(A, normed=True))
    assert_same(sk.laplacian(sp.csr_matrix(A)), csgraph.laplacian(A))  # spmatrix input


def test_directed_input_needs_symmetrize():
    A = sp.random_array((30, 30), density=0.2, rng=np.random.default_rng(4), format="csr")
    A.setdiag(0)
    A.eliminate_zeros()
    with pytest.raises(sk.NotSymmetricError, match="symmetrize"):
        sk.laplacian(A)
    assert_same(sk.laplacian(A, symmetrize=True), csgraph.laplacian(A, symmetrized=True))
    Ad = A.toarray()
    assert_same(sk.adjacency(A, symmetrize="max"), np.maximum(Ad, Ad.T))
    assert_same(sk.adjacency(A, symmetrize="mean"), (Ad + Ad.T) / 2)
    D = nx.from_scipy_sparse_array(A, create_using=nx.DiGraph)
    with pytest.raises(sk.NotSymmetricError, match="directed"):
        sk.laplacian(D)
    assert_same(sk.laplacian(D, symmetrize=True), csgraph.laplacian(A, symmetrized=True))


@pytest.mark.parametrize("name", REAL_GRAPHS)
def test_real_graphs_match_csgraph_and_networkx(real, name):
    A = real(name)
    L = sk.laplacian(A)
    A0 = A.copy()
    A0.setdiag(0)  # csgraph ignores self-loops; combinatorial L cancels them anyway
    A0.eliminate_zeros()
    Lc = csgraph.laplacian(A0.astype(float))
    assert abs(L - Lc).max() == 0
    assert abs(L.sum(axis=1)).max() < 1e-12
    N = sk.laplacian(A0, "normalized")
    assert abs(N - csgraph.laplacian(A0.astype(float), normed=True)).max() < 1e-14
    if A.shape[0] <= 6000:
        G = nx.from_scipy_sparse_array(A)
        nodes = range(A.shape[0])
        Ln = nx.normalized_laplacian_matrix(G, nodelist=nodes)
        assert abs(sk.laplacian(A, "normalized") - Ln).max() < 1e-14
        assert abs(sk.laplacian(G, "normalized", nodelist=nodes) - Ln).max() < 1e-14
        assert abs(sk.laplacian(G, nodelist=nodes) - nx.laplacian_matrix(G, nodes)).max() == 0


def test_format_and_dtype():
    r, c = np.array([0, 1, 2]), np.array([1, 2, 0])
    for fmt in ("csr", "csc", "coo"):
        L = sk.laplacian((r, c), n=3, format=fmt, dtype=np.float32)
        assert L.format == fmt and L.dtype == np.float32
        assert isinstance(L, sp.sparray)
        assert_same(L, dense_reference(_doubled_reference(r, c, np.ones(3), 3) / 2,
                                       "combinatorial"))
    assert sk.laplacian((r, c), n=3, dtype=np.int64).dtype == np.int64


def test_isolated_trailing_nodes_need_n():
    L = sk.laplacian((np.array([0]), np.array([1])), "normalized", n=4)
    assert L.shape == (4, 4)
    assert_same(L, dense_reference(np.pad([[0, 1], [1, 0]], (0, 2)), "normalized"))


edges = st.integers(1, 12).flatmap(lambda n: st.tuples(
    st.just(n),
    st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1),
                       st.floats(0.01, 10.0)), max_size=40)))


@settings(max_examples=40, deadline=None)
@given(edges)
def test_properties_of_every_kind(ne):
    n, es = ne
    r = np.array([e[0] for e in es], dtype=np.int64)
    c = np.array([e[1] for e in es], dtype=np.int64)
    w = np.array([e[2] for e in es], dtype=float)
    for kind in KINDS:
        L = sk.laplacian((r, c, w), kind, n=n).toarray()
        if kind != "random_walk":
            np.testing.assert_allclose(L, L.T, atol=1e-12)
        ev = np.linalg.eigvalsh((L + L.T) / 2) if kind != "random_walk" else \
            np.linalg.eigvals(L).real
        scale = max(1.0, np.abs(L).max())
        assert ev.min() >= -1e-9 * scale
        if kind == "combinatorial":
            np.testing.assert_allclose(L.sum(axis=1), 0, atol=1e-10 * scale)
        if kind in ("normalized", "random_walk"):
            assert ev.max() <= 2 + 1e-9


# --- bad input: one test each ------------------------------------------------

def test_negative_node_id():
    with pytest.raises(sk.InputValueError, match=">= 0"):
        sk.laplacian((np.array([0, -1]), np.array([1, 2])), n=3)


def test_node_id_out_of_range():
    with pytest.raises(sk.InputValueError, match="< n=3"):
        sk.laplacian((np.array([0, 1]), np.array([1, 3])), n=3)


def test_mismatched_edge_array_lengths():
    with pytest.raises(sk.ShapeError, match="same length"):
        sk.laplacian((np.array([0, 1]), np.array([1, 2, 0])), n=3)
    with pytest.raises(sk.ShapeError, match="one value per edge"):
        sk.laplacian((np.array([0, 1]), np.array([1, 2]), np.ones(3)), n=3)


def test_nan_weights():
    with pytest.raises(sk.InputValueError, match="NaN"):
        sk.laplacian((np.array([0, 1]), np.array([1, 2]), np.array([1.0, np.nan])), n=3)
    G = nx.path_graph(3)
    G[0][1]["weight"] = np.nan
    with pytest.raises(sk.InputValueError, match="NaN"):
        sk.laplacian(G)


@pytest.mark.parametrize("kind", ["normalized", "random_walk"])
def test_negative_weights_where_the_kind_forbids_them(kind):
    g = (np.array([0, 1]), np.array([1, 2]), np.array([1.0, -2.0]))
    with pytest.raises(sk.InputValueError, match="nonnegative"):
        sk.laplacian(g, kind, n=3)
    # a signed combinatorial Laplacian is allowed
    assert_same(sk.laplacian(g, n=3), [[1, -1, 0], [-1, -1, 2], [0, 2, -2]])


def test_other_bad_inputs():
    with pytest.raises(sk.UnknownMethodError, match="kind"):
        sk.laplacian(nx.path_graph(3), "sym")
    with pytest.raises(sk.NotSquareError):
        sk.laplacian(sp.csr_array(np.ones((2, 3))))
    with pytest.raises(sk.InputValueError, match="dense ndarray"):
        sk.laplacian(np.eye(3))
    with pytest.raises(sk.InputValueError, match="integer node ids"):
        sk.laplacian((np.array([0.5]), np.array([1.0])), n=2)
    with pytest.raises(sk.InputValueError, match="nodelist"):
        sk.laplacian((np.array([0]), np.array([1])), nodelist=[0, 1])
    with pytest.raises(sk.UnknownMethodError, match="format"):
        sk.laplacian(nx.path_graph(3), format="dense")
    with pytest.raises(sk.InputValueError, match="floating dtype"):
        sk.laplacian(nx.path_graph(3), "normalized", dtype=np.int32)
    with pytest.raises(sk.UnknownMethodError, match="backend"):
        sk.laplacian(nx.path_graph(3), backend="gpu")


@pytest.mark.parametrize("mirror", [False, True])
@pytest.mark.parametrize("with_diag", [False, True])
def test_counting_sort_assembly_matches_scipy_coo(mirror, with_diag):
    """The private counting-sort COO -> CSR assembly against SciPy's tocsr."""
    from sparsekit.builders._assemble import assemble

    rng = np.random.default_rng(11)
    n, m = 3000, 200_000  # many duplicates and self-loops
    r, c = rng.integers(0, n, m), rng.integers(0, n, m)
    r[:500] = c[:500]
    w = rng.standard_normal(m)
    diag = rng.standard_normal(n) if with_diag else None
    A = assemble(r, c, w, (n, n), mirror=mirror, diag=diag)
    rr, cc, ww = (np.r_[r, c[r != c]], np.r_[c, r[r != c]], np.r_[w, w[r != c]]) if mirror \
        else (r, c, w)
    B = sp.coo_array((ww, (rr, cc)), shape=(n, n)).tocsr()
    if with_diag:
        B = B + sp.diags_array(diag)
    B.sum_duplicates()
    np.testing.assert_array_equal(A.indptr, B.indptr)
    np.testing.assert_array_equal(A.indices, B.indices)  # sorted, duplicates merged
    np.testing.assert_allclose(A.data, B.data, rtol=1e-12, atol=1e-12)
    if mirror:  # the symmetric assembly: the upper half sorted, the lower its transpose
        from sparsekit.builders._assemble import assemble_symmetric

        S = assemble_symmetric(r, c, w, n, diag=diag)
        np.testing.assert_array_equal(S.indptr, B.indptr)
        np.testing.assert_array_equal(S.indices, B.indices)
        np.testing.assert_allclose(S.data, B.data, rtol=1e-12, atol=1e-12)
        assert (S != S.T).nnz == 0  # both copies of an entry come from one sum


@pytest.mark.parametrize("m", [0, 1, 500, 200_000])
def test_symmetric_assembly_row_sum_diagonal(m):
    """row_sum_diag=-1 (the zero-row-sum diagonal, no degree pass) against its definition."""
    from sparsekit.builders._assemble import assemble_symmetric

    rng = np.random.default_rng(5)
    n = 3000
    r, c = rng.integers(0, n, m), rng.integers(0, n, m)
    r[:50] = c[:50]  # self-loops sit on the diagonal, outside the row sums
    w = rng.standard_normal(m)
    extra = rng.standard_normal(n)
    S = assemble_symmetric(r, c, w, n, diag=extra, row_sum_diag=-1.0)
    off = r != c
    W = sp.coo_array((np.r_[w[off], w[off]], (np.r_[r[off], c[off]], np.r_[c[off], r[off]])),
                     shape=(n, n)).toarray()
    loops = np.bincount(r[~off], w[~off], minlength=n)
    expect = W + np.diag(extra + loops - W.sum(axis=1))
    np.testing.assert_allclose(S.toarray(), expect, rtol=1e-12, atol=1e-12)
    assert S.has_canonical_format
    assert S.nnz == np.count_nonzero(W + np.eye(n))  # the whole diagonal stored, once


@pytest.mark.parametrize("loops", [0, 7])
def test_symmetric_assembly_without_diagonal_slots(loops):
    """Adjacency-style (no stored diagonal unless a self-loop puts one there), complex values."""
    from sparsekit.builders._assemble import assemble_symmetric, mirror_upper

    rng = np.random.default_rng(8)
    n, m = 400, 5000
    r, c = rng.integers(0, n, m), rng.integers(0, n, m)
    c[r == c] = (r[r == c] + 1) % n
    r[:loops] = c[:loops]
    w = rng.standard_normal(m) + 1j * rng.standard_normal(m)
    S = assemble_symmetric(r, c, w, n)
    ref = np.zeros((n, n), dtype=complex)
    np.add.at(ref, (r, c), w)
    np.add.at(ref, (c[r != c], r[r != c]), w[r != c])
    np.testing.assert_allclose(S.toarray(), ref, rtol=1e-12, atol=1e-12)
    assert S.nnz == np.count_nonzero(ref) and S.has_canonical_format
    assert np.count_nonzero(S.diagonal()) == len(set(r[:loops].tolist()))
    U = sp.csr_array(np.triu(ref))
    np.testing.assert_allclose(mirror_upper(U).toarray(), ref, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------
# issue 18: what the graph builders refuse, and the memory preflight
# ---------------------------------------------------------------------------

def test_empty_and_edgeless_networkx_graphs():
    # networkx refuses the empty graph; sparsekit gives what edge arrays with n=0 give
    assert sk.laplacian(nx.Graph()).shape == sk.laplacian(
        (np.array([], int), np.array([], int)), n=0).shape == (0, 0)
    G = nx.empty_graph(3)  # nodes, no edges: networkx's Laplacian is the zero matrix
    np.testing.assert_array_equal(sk.laplacian(G, "normalized").toarray(),
                                  nx.normalized_laplacian_matrix(G).toarray())


@pytest.mark.parametrize("weight", ["heavy", [1, 2], 1 + 2j])
def test_non_numeric_networkx_weights_are_refused(weight):
    G = nx.Graph()
    G.add_edge(0, 1, weight=weight)
    with pytest.raises(sk.InputValueError, match="edge weights .* must be real numbers"):
        sk.laplacian(G)


@pytest.mark.parametrize("dtype", ["foo", object, np.float16, "U2"])
def test_graph_builders_refuse_non_numeric_dtypes(dtype):
    edges = (np.array([0, 1]), np.array([1, 2]))
    for build in (sk.laplacian, sk.adjacency):
        with pytest.raises(sk.InputValueError, match="dtype"):
            build(edges, dtype=dtype)


def test_a_malformed_sparse_adjacency_is_refused_by_the_gate():
    W = sp.csr_array(nx.to_scipy_sparse_array(nx.path_graph(4)))
    W.indices[0] = 10**9  # SciPy's conversions would write outside an array
    with pytest.raises(sk.InputValueError, match="column index 1000000000"):
        sk.laplacian(W)
    L = sp.lil_array(nx.to_scipy_sparse_array(nx.path_graph(4)))
    np.testing.assert_array_equal(sk.laplacian(L).toarray(),
                                  nx.laplacian_matrix(nx.path_graph(4)).toarray())


def test_huge_graphs_meet_the_memory_preflight():
    one = (np.array([0]), np.array([1]))
    for build in (sk.laplacian, sk.adjacency):
        with pytest.raises(sk.errors.InsufficientMemoryError,
                           match=r"10\^12|1,000,000,000,000 nodes.*would need .* available"):
            build(one, n=10**12)


def test_the_preflight_estimate_bounds_the_measured_peak(monkeypatch):
    import tracemalloc

    from sparsekit.builders import graph

    asked = []
    real = graph.check_memory
    monkeypatch.setattr(graph, "check_memory", lambda n, what: (asked.append(n), real(n, what)))
    rng = np.random.default_rng(0)
    n, m = 50_000, 400_000
    r, c = rng.integers(0, n, m), rng.integers(0, n, m)
    tracemalloc.start()
    sk.laplacian((r, c), n=n)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak <= asked[0] <= 3 * peak  # an upper bound, and not a wild one
