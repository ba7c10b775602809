"""The block LOBPCG kernel (issue 19) against references that can disagree.

References: dense ``numpy.linalg.eigh`` / ``scipy.linalg.eigh`` (standard and
generalized) on small and mid-size problems, the closed-form spectra of path
graphs and the Dirichlet Poisson grid, graph Laplacians built by networkx (an
independent builder), real SuiteSparse matrices, SciPy's own
``scipy.sparse.linalg.lobpcg`` on the same problems (eigenvalues, and its
iteration count, counted through its preconditioner calls), and plain numpy for
the row-blocked products.  Every pair is judged by its residual, recomputed here.
"""

import warnings

import networkx as nx
import numpy as np
import pyamg
import pytest
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from threadpoolctl import threadpool_limits

from sparsekit.errors import InputValueError, ShapeError, SparsekitError
from sparsekit.linalg._eigen import _block_lobpcg as kernel
from sparsekit.linalg._eigen._block_lobpcg import block_lobpcg


@pytest.fixture(autouse=True)
def one_blas_thread():
    with threadpool_limits(1, user_api="blas"):
        yield


# --------------------------------------------------------------------------- problems


def path_laplacian(n):
    d = np.r_[1.0, 2 * np.ones(n - 2), 1.0]
    return sp.diags_array([-np.ones(n - 1), d, -np.ones(n - 1)], offsets=[-1, 0, 1]).tocsr()


def poisson2d(nx_, ny_):
    """5-point Dirichlet Laplacian on an nx × ny grid (h = 1)."""
    def tri(k):
        return sp.diags_array([-np.ones(k - 1), 2 * np.ones(k), -np.ones(k - 1)],
                              offsets=[-1, 0, 1])
    return sp.csr_array(sp.kron(tri(nx_), sp.eye_array(ny_))
                        + sp.kron(sp.eye_array(nx_), tri(ny_)))


def poisson2d_spectrum(nx_, ny_):
    i, j = np.arange(1, nx_ + 1), np.arange(1, ny_ + 1)
    return np.sort((4 - 2 * np.cos(np.pi * i / (nx_ + 1)))[:, None]
                   - 2 * np.cos(np.pi * j / (ny_ + 1))[None, :], axis=None)


def nx_laplacian(G):
    return sp.csr_array(nx.laplacian_matrix(G, nodelist=sorted(G)).astype(float))


def magnetic_laplacian(nx_, ny_, flux):
    """A grid's magnetic Laplacian D − W, W with phases e^{iθ} (Landau gauge): Hermitian."""
    idx = np.arange(nx_ * ny_).reshape(nx_, ny_)
    r = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    c = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    theta = np.r_[np.zeros(nx_ * (ny_ - 1)), flux * np.repeat(np.arange(nx_ - 1), ny_)]
    W = sp.coo_array((np.exp(1j * theta), (r, c)), shape=(nx_ * ny_,) * 2)
    W = (W + W.conj().T).tocsr()
    return sp.csr_array(sp.diags_array(np.asarray(abs(W).sum(axis=1)).ravel()) - W)


def start(n, m, seed=0, complex_=False):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, m))
    return X + 1j * rng.standard_normal((n, m)) if complex_ else X


def residuals(A, B, w, X):
    BX = X if B is None else B @ X
    return np.linalg.norm(A @ X - BX * w, axis=0)


def max_angle(U, V):
    return float(np.max(sla.subspace_angles(U, V)))


class Counting(spla.LinearOperator):
    """An operator that counts its block applications (SciPy's LOBPCG: one per iteration)."""

    def __init__(self, op):
        super().__init__(dtype=np.float64, shape=op.shape)
        self.op, self.calls = op, 0

    def _matmat(self, V):
        self.calls += 1
        return self.op @ V

    def _matvec(self, v):
        return self._matmat(v.reshape(-1, 1)).ravel()


def scipy_lobpcg(A, X0, **kw):
    kw.setdefault("largest", False)  # SciPy's default is the largest
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        w, X = spla.lobpcg(A, X0, **kw)
    order = np.argsort(w)[::-1] if kw.get("largest") else np.argsort(w)
    return w[order], X[:, order]


# --------------------------------------------------------------------------- standard problems


@pytest.mark.parametrize("m, k", [(3, 3), (6, 4)])
def test_path_laplacian_with_constant_constraint_matches_closed_form(m, k):
    n = 300
    L = path_laplacian(n)
    tol = 1e-9 * 4
    w, X, its, hist = block_lobpcg(L, start(n, m), Y=np.ones((n, 1)), k=k, tol=tol,
                                   maxiter=3000)
    exact = 2 - 2 * np.cos(np.pi * np.arange(1, k + 1) / n)  # above the constant's 0
    np.testing.assert_allclose(w[:k], exact, rtol=0, atol=1e-10)
    assert np.all(residuals(L, None, w[:k], X[:, :k]) <= tol * (1 + 1e-6))
    assert np.all(np.diff(w) >= 0)
    assert len(hist) == its + 1 and np.all(hist[-1][:k] <= tol)


def test_rectangular_poisson_values_vectors_against_dense_eigh():
    A = poisson2d(31, 23)  # no repeated eigenvalue: the vectors are determined
    n, k = A.shape[0], 5
    ref_w, ref_V = np.linalg.eigh(A.toarray())
    tol = 1e-10 * 8
    w, X, its, _ = block_lobpcg(A, start(n, 8), k=k, tol=tol, maxiter=3000)
    np.testing.assert_allclose(w[:k], ref_w[:k], rtol=0, atol=1e-11)
    np.testing.assert_allclose(w[:k], poisson2d_spectrum(31, 23)[:k], rtol=0, atol=1e-11)
    assert np.all(residuals(A, None, w[:k], X[:, :k]) <= tol * (1 + 1e-6))
    gap = ref_w[k] - ref_w[k - 1]
    assert max_angle(X[:, :k], ref_V[:, :k]) <= 10 * tol / gap
    np.testing.assert_allclose(X.T @ X, np.eye(8), atol=1e-10)


def test_networkx_graph_laplacian_against_dense_and_scipy_lobpcg():
    G = nx.connected_watts_strogatz_graph(700, 6, 0.1, seed=3)
    L = nx_laplacian(G)
    n, m, k = L.shape[0], 6, 4
    Y = np.ones((n, 1))
    T = sp.diags_array(1.0 / L.diagonal()).tocsr()
    tol = 1e-9 * 20
    w, X, _, _ = block_lobpcg(L, start(n, m), T=T, Y=Y, k=k, tol=tol, maxiter=3000)
    ref = np.linalg.eigvalsh(L.toarray())[1:k + 1]
    np.testing.assert_allclose(w[:k], ref, rtol=0, atol=1e-9)
    assert np.all(residuals(L, None, w[:k], X[:, :k]) <= tol * (1 + 1e-6))
    ws, _ = scipy_lobpcg(L, start(n, m), M=T, Y=Y, tol=tol, maxiter=3000)
    np.testing.assert_allclose(w[:k], ws[:k], rtol=0, atol=1e-9)


def test_largest_pairs_descending_against_dense():
    A = poisson2d(30, 25)
    n, k = A.shape[0], 4
    tol = 1e-9 * 8
    w, X, _, _ = block_lobpcg(A, start(n, 6, seed=1), k=k, tol=tol, maxiter=3000,
                              largest=True)
    ref = np.linalg.eigvalsh(A.toarray())[::-1][:k]
    np.testing.assert_allclose(w[:k], ref, rtol=0, atol=1e-9)
    assert np.all(np.diff(w) <= 0)
    assert np.all(residuals(A, None, w[:k], X[:, :k]) <= tol * (1 + 1e-6))
    ws, _ = scipy_lobpcg(A, start(n, 6, seed=1), tol=tol, maxiter=3000, largest=True)
    np.testing.assert_allclose(w[:k], ws[:k], rtol=0, atol=1e-9)


def test_complex_hermitian_magnetic_laplacian():
    A = magnetic_laplacian(24, 20, flux=0.35)
    Ad = A.toarray()
    assert np.allclose(Ad, Ad.conj().T) and not np.allclose(Ad.imag, 0)
    n, k = A.shape[0], 4
    tol = 1e-9 * 8
    w, X, _, _ = block_lobpcg(A, start(n, 6, seed=2, complex_=True), k=k, tol=tol,
                              maxiter=3000)
    ref_w, ref_V = np.linalg.eigh(Ad)
    assert X.dtype == np.complex128 and w.dtype == np.float64
    np.testing.assert_allclose(w[:k], ref_w[:k], rtol=0, atol=1e-9)
    assert np.all(residuals(A, None, w[:k], X[:, :k]) <= tol * (1 + 1e-6))
    np.testing.assert_allclose(X.conj().T @ X, np.eye(6), atol=1e-10)
    gap = ref_w[k] - ref_w[k - 1]
    assert max_angle(X[:, :k], ref_V[:, :k]) <= 100 * tol / gap
    ws, _ = scipy_lobpcg(A, start(n, 6, seed=2, complex_=True), tol=tol, maxiter=3000)
    np.testing.assert_allclose(w[:k], ws[:k], rtol=0, atol=1e-9)


def test_complex_matrix_with_real_start_block_is_promoted():
    A = magnetic_laplacian(15, 14, flux=0.5)
    w, X, _, _ = block_lobpcg(A, start(A.shape[0], 3), tol=1e-8, maxiter=2000)
    assert X.dtype == np.complex128
    np.testing.assert_allclose(w, np.linalg.eigvalsh(A.toarray())[:3], atol=1e-8)


# --------------------------------------------------------------------------- pencils, constraints


def test_generalized_pencil_with_degree_diagonal_against_scipy_eigh():
    G = nx.connected_watts_strogatz_graph(600, 4, 0.2, seed=7)
    L = nx_laplacian(G)
    D = sp.diags_array(L.diagonal()).tocsr()
    n, m, k = L.shape[0], 6, 4
    Y = np.ones((n, 1))
    tol = 1e-10 * 10
    w, X, _, _ = block_lobpcg(L, start(n, m, seed=4), B=D, Y=Y, k=k, tol=tol, maxiter=4000)
    ref_w, ref_V = sla.eigh(L.toarray(), D.toarray())
    np.testing.assert_allclose(w[:k], ref_w[1:k + 1], rtol=0, atol=1e-10)
    assert np.all(residuals(L, D, w[:k], X[:, :k]) <= tol * (1 + 1e-6))
    np.testing.assert_allclose(X.T @ (D @ X), np.eye(m), atol=1e-10)  # B-orthonormal
    assert np.max(np.abs(Y.T @ (D @ X))) <= 1e-10 * np.sqrt(n)  # B-orthogonal to Y
    gap = ref_w[k + 1] - ref_w[k]
    assert max_angle(X[:, :k], ref_V[:, 1:k + 1]) <= 100 * tol / gap
    ws, _ = scipy_lobpcg(L, start(n, m, seed=4), B=D, Y=Y, tol=tol, maxiter=4000)
    np.testing.assert_allclose(w[:k], ws[:k], rtol=0, atol=1e-10)


def test_constraints_need_not_be_orthonormal_and_give_the_next_eigenvalues():
    # two components: the constraints are the two (unnormalized, scaled) indicator vectors
    G = nx.disjoint_union(nx.cycle_graph(200), nx.grid_2d_graph(12, 15))
    L = nx_laplacian(nx.convert_node_labels_to_integers(G))
    n = L.shape[0]
    Y = np.zeros((n, 2))
    Y[:200, 0] = 3.0
    Y[200:, 1] = -0.5
    Y[:, 1] += 0.25 * Y[:, 0]  # not orthogonal either
    tol = 1e-9 * 8
    w, X, _, _ = block_lobpcg(L, start(n, 5), Y=Y, k=4, tol=tol, maxiter=4000)
    ref = np.linalg.eigvalsh(L.toarray())
    assert np.allclose(ref[:2], 0, atol=1e-10)
    np.testing.assert_allclose(w[:4], ref[2:6], rtol=0, atol=1e-9)
    assert np.max(np.abs(Y.T @ X)) <= 1e-10
    assert np.all(residuals(L, None, w[:4], X[:, :4]) <= tol * (1 + 1e-6))


def test_dependent_constraint_columns_are_dropped():
    n = 200
    L = path_laplacian(n)
    Y = np.ones((n, 3))  # three copies of the constant vector
    w, X, _, _ = block_lobpcg(L, start(n, 3), Y=Y, tol=1e-9, maxiter=3000)
    exact = 2 - 2 * np.cos(np.pi * np.arange(1, 4) / n)
    np.testing.assert_allclose(w, exact, atol=1e-9)


def test_many_component_real_graph_with_indicator_constraints(real):
    W = sp.csr_array(real("Erdos971"))
    L = sp.csr_array(sp.diags_array(np.asarray(W.sum(axis=1)).ravel()) - W)
    n = L.shape[0]
    ncomp, labels = sp.csgraph.connected_components(W)
    Y = (labels[:, None] == np.arange(ncomp)[None, :]).astype(float)
    assert ncomp == nx.number_connected_components(nx.from_scipy_sparse_array(W))
    tol = 1e-9 * 10
    w, X, _, _ = block_lobpcg(L, start(n, 6), Y=Y, k=3, tol=tol, maxiter=5000)
    ref = np.linalg.eigvalsh(L.toarray())
    assert np.allclose(ref[:ncomp], 0, atol=1e-9) and ref[ncomp] > 1e-6
    np.testing.assert_allclose(w[:3], ref[ncomp:ncomp + 3], rtol=0, atol=1e-9)
    assert np.all(residuals(L, None, w[:3], X[:, :3]) <= tol * (1 + 1e-6))


# --------------------------------------------------------------------------- real matrices


@pytest.mark.parametrize("name, k", [("gr_30_30", 4), ("494_bus", 3)])
def test_real_spd_matrices_with_amg_against_dense(real, name, k):
    A = sp.csr_array(real(name))
    n = A.shape[0]
    scale = float(abs(A).sum(axis=0).max())
    tol = 1e-9 * scale
    T = pyamg.smoothed_aggregation_solver(A).aspreconditioner()
    w, X, _, _ = block_lobpcg(A, start(n, k + 2), T=T, k=k, tol=tol, maxiter=3000)
    ref = sla.eigh(A.toarray(), eigvals_only=True, subset_by_index=[0, k])
    np.testing.assert_allclose(w[:k], ref[:k], rtol=0, atol=1e-8 * scale)
    assert np.all(residuals(A, None, w[:k], X[:, :k]) <= tol * (1 + 1e-6))
    ws, _ = scipy_lobpcg(A, start(n, k + 2), M=T, tol=tol, maxiter=3000)
    np.testing.assert_allclose(w[:k], ws[:k], rtol=0, atol=1e-8 * scale)


def test_real_graph_pencil_normalized_laplacian_embedding(real):
    # the pattern of 1138_bus as a graph: L u = λ D u, the first nontrivial pairs
    P = sp.csr_array(real("1138_bus"))
    W = sp.csr_array((P != 0).astype(float))
    W.setdiag(0)
    W.eliminate_zeros()
    L = sp.csr_array(sp.diags_array(np.asarray(W.sum(axis=1)).ravel()) - W)
    D = sp.diags_array(L.diagonal()).tocsr()
    n, k = L.shape[0], 3
    Y = np.ones((n, 1))
    tol = 1e-9 * 10
    T = pyamg.smoothed_aggregation_solver(sp.csr_array(L + 1e-8 * sp.eye_array(n)))
    w, X, _, _ = block_lobpcg(L, start(n, 6), B=D, T=T.aspreconditioner(), Y=Y, k=k,
                              tol=tol, maxiter=3000)
    ref = sla.eigh(L.toarray(), D.toarray(), eigvals_only=True, subset_by_index=[0, k])
    np.testing.assert_allclose(w[:k], ref[1:k + 1], rtol=0, atol=1e-9)
    assert np.all(residuals(L, D, w[:k], X[:, :k]) <= tol * (1 + 1e-6))


# --------------------------------------------------------------------------- stopping, budget


def test_stops_when_the_k_wanted_converge_before_scipy_converges_the_block():
    G = nx.connected_watts_strogatz_graph(800, 6, 0.05, seed=11)
    L = nx_laplacian(G)
    n, m, k = L.shape[0], 6, 2
    Y = np.ones((n, 1))
    Tj = sp.diags_array(1.0 / L.diagonal()).tocsr()
    tol = 1e-8 * 20
    T = Counting(Tj)
    w, X, its, hist = block_lobpcg(L, start(n, m), T=T, Y=Y, k=k, tol=tol, maxiter=5000)
    assert T.calls == its  # one preconditioner application per iteration
    assert np.all(residuals(L, None, w[:k], X[:, :k]) <= tol * (1 + 1e-6))
    np.testing.assert_allclose(w[:k], np.linalg.eigvalsh(L.toarray())[1:k + 1], atol=1e-8)
    Ts = Counting(Tj)
    ws, Xs = scipy_lobpcg(L, start(n, m), M=Ts, Y=Y, tol=tol, maxiter=5000)
    assert np.all(residuals(L, None, ws, Xs) <= 2 * tol)  # SciPy did converge the block
    assert its <= Ts.calls
    assert len(hist) == its + 1


def test_not_converging_in_maxiter_returns_without_error():
    A = poisson2d(100, 100)
    n = A.shape[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w, X, its, hist = block_lobpcg(A, start(n, 4), tol=1e-10, maxiter=2)
    assert its == 2 and len(hist) == 3
    r = residuals(A, None, w, X)
    assert np.all(r > 1e-10)
    np.testing.assert_allclose(r, hist[-1], rtol=1e-6)  # the history holds true residuals
    exact = poisson2d_spectrum(100, 100)[:4]
    assert np.all(w >= exact - 1e-12)  # Ritz values bound the eigenvalues from above


def test_maxiter_zero_is_the_rayleigh_ritz_of_the_start():
    A = poisson2d(20, 20)
    X0 = start(A.shape[0], 3)
    w, X, its, hist = block_lobpcg(A, X0, tol=1e-12, maxiter=0)
    Q, _ = np.linalg.qr(X0)
    ref = np.linalg.eigvalsh(Q.T @ (A @ Q))
    np.testing.assert_allclose(w, ref, rtol=1e-12)
    assert its == 0 and len(hist) == 1
    assert max_angle(X, X0) < 1e-10


def test_amg_preconditioner_needs_fewer_iterations_on_poisson_100():
    A = poisson2d(100, 100)
    n, m = A.shape[0], 4
    tol = 1e-8 * 8
    exact = poisson2d_spectrum(100, 100)[:m]
    plain = block_lobpcg(A, start(n, m), tol=tol, maxiter=2000)
    T = pyamg.smoothed_aggregation_solver(A).aspreconditioner()
    amg = block_lobpcg(A, start(n, m), T=T, tol=tol, maxiter=2000)
    for w, X, _, _ in (plain, amg):
        np.testing.assert_allclose(w, exact, rtol=0, atol=1e-9)
        assert np.all(residuals(A, None, w, X) <= tol * (1 + 1e-6))
    assert amg[2] < plain[2]


# --------------------------------------------------------------------------- robustness


def test_rank_deficient_start_block_still_converges():
    A = poisson2d(25, 21)
    n = A.shape[0]
    X0 = start(n, 5)
    X0[:, 3] = X0[:, 1]  # two equal columns
    X0[:, 4] = 0.0  # and a zero one
    tol = 1e-9 * 8
    w, X, _, _ = block_lobpcg(A, X0, tol=tol, maxiter=3000)
    np.testing.assert_allclose(w, poisson2d_spectrum(25, 21)[:5], rtol=0, atol=1e-9)
    assert np.linalg.matrix_rank(X) == 5
    assert np.all(residuals(A, None, w, X) <= tol * (1 + 1e-6))


def test_start_column_inside_the_constraints_is_replaced():
    n = 250
    L = path_laplacian(n)
    X0 = start(n, 3)
    X0[:, 0] = 1.0  # the constant vector: nothing left after the projection
    w, X, _, _ = block_lobpcg(L, X0, Y=np.ones((n, 1)), tol=1e-9, maxiter=3000)
    np.testing.assert_allclose(w, 2 - 2 * np.cos(np.pi * np.arange(1, 4) / n), atol=1e-9)
    assert np.max(np.abs(X.sum(axis=0))) <= 1e-10


@pytest.mark.parametrize("largest", [False, True])
def test_nearly_converged_start_does_not_break_down(largest):
    A = poisson2d(26, 19)
    n, m = A.shape[0], 5
    ref_w, ref_V = np.linalg.eigh(A.toarray())
    V = ref_V[:, ::-1][:, :m] if largest else ref_V[:, :m]
    X0 = V + 1e-10 * start(n, m, seed=5)
    tol = 1e-13 * 8  # below the start's residuals: it must iterate on near-dependent blocks
    w, X, its, hist = block_lobpcg(A, X0, tol=tol, maxiter=50, largest=largest)
    assert np.all(np.isfinite(w)) and np.all(np.isfinite(X))
    ref = ref_w[::-1][:m] if largest else ref_w[:m]
    np.testing.assert_allclose(w, ref, rtol=0, atol=1e-12)
    r = residuals(A, None, w, X)
    assert np.all(r <= max(tol, 1e-12) * (1 + 1e-6))
    assert hist[0].max() > tol and its >= 1


def test_indefinite_b_raises_linalg_error():
    n = 100
    L = path_laplacian(n)
    B = sp.diags_array(np.r_[-np.ones(50), np.ones(50)]).tocsr()
    with pytest.raises(np.linalg.LinAlgError):
        block_lobpcg(L, start(n, 2), B=B, tol=1e-8, maxiter=50)


def test_operators_as_linear_operator_and_dense_arrays():
    A = poisson2d(18, 17)
    n = A.shape[0]
    B = sp.diags_array(np.linspace(1.0, 3.0, n)).tocsr()
    ref = sla.eigh(A.toarray(), B.toarray(), eigvals_only=True)[:3]
    Aop = spla.aslinearoperator(A)
    Bop = spla.LinearOperator((n, n), matvec=lambda v: B @ v, matmat=lambda V: B @ V,
                              dtype=float)
    for Ai, Bi in ((Aop, Bop), (A.toarray(), B.toarray()), (sp.csr_matrix(A), B)):
        w, X, _, _ = block_lobpcg(Ai, start(n, 4), B=Bi, k=3, tol=1e-9, maxiter=3000)
        np.testing.assert_allclose(w[:3], ref, rtol=0, atol=1e-9)
        assert np.all(residuals(A, B, w[:3], X[:, :3]) <= 1e-9 * (1 + 1e-6))


def test_callback_sees_every_iteration():
    A = poisson2d(20, 15)
    seen = []
    w, X, its, hist = block_lobpcg(
        A, start(A.shape[0], 3), tol=1e-8, maxiter=500,
        callback=lambda X, w, r: seen.append((X.copy(), w.copy(), r.copy())))
    assert len(seen) == its == len(hist) - 1
    for i, ((Xi, wi, ri), hi) in enumerate(zip(seen, hist[1:], strict=True), start=1):
        if i < its:  # the last entry: recomputed from fresh products on convergence
            np.testing.assert_array_equal(ri, hi)
        np.testing.assert_allclose(np.linalg.norm(A @ Xi - Xi * wi, axis=0), ri,
                                   rtol=1e-6, atol=1e-13)
    np.testing.assert_allclose(seen[-1][1], w)


def test_input_errors_name_what_was_received():
    A = path_laplacian(50)
    X = start(50, 3)
    cases = [
        (dict(X=np.ones(50)), ShapeError, "shape"),
        (dict(X=start(40, 3)), ShapeError, "(40, 40)"),
        (dict(k=4), InputValueError, "k=4"),
        (dict(k=0), InputValueError, "k=0"),
        (dict(tol=-1.0), InputValueError, "tol=-1.0"),
        (dict(maxiter=1.5), InputValueError, "maxiter=1.5"),
        (dict(Y=np.ones((49, 1))), ShapeError, "(49, 1)"),
        (dict(Y=np.ones((50, 48))), ShapeError, "c=48"),
        (dict(callback=3), InputValueError, "callback"),
        (dict(B=sp.eye_array(49)), ShapeError, "B must have shape (50, 50)"),
    ]
    for kw, err, text in cases:
        args = dict(X=X, tol=1e-8, maxiter=10) | kw
        with pytest.raises(err) as info:
            block_lobpcg(A, args.pop("X"), **args)
        assert text in str(info.value) and isinstance(info.value, SparsekitError)
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(InputValueError, match="NaN"):
        block_lobpcg(A, Xn, tol=1e-8, maxiter=10)
    complex_T = spla.LinearOperator((50, 50), matvec=lambda v: 1j * v, dtype=complex)
    with pytest.raises(InputValueError, match="complex128 for a float64 problem"):
        block_lobpcg(A, X, T=complex_T, tol=1e-8, maxiter=10)

    class Dropping:  # an "operator" that loses a row
        shape, dtype = (50, 50), np.float64

        def __matmul__(self, V):
            return V[:-1]

    with pytest.raises(ShapeError, match=r"A @ V must have the shape of V \(50, 3\)"):
        block_lobpcg(Dropping(), X, tol=1e-8, maxiter=10)


# --------------------------------------------------------------------------- row blocks


@pytest.mark.parametrize("n", [7, kernel._ROWS, 3 * kernel._ROWS + 5])
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_row_blocked_products_against_plain_numpy(n, dtype):
    rng = np.random.default_rng(n)

    def rand(*shape):
        Z = rng.standard_normal(shape)
        return Z + 1j * rng.standard_normal(shape) if dtype == np.complex128 else Z

    U, V, S = rand(n, 3), rand(n, 5), rand(3, 5)
    np.testing.assert_allclose(kernel._gram(U, V), U.conj().T @ V, rtol=1e-12, atol=1e-12)
    out = np.empty((n, 5), dtype)
    np.testing.assert_allclose(kernel._times(U, S, out), U @ S, rtol=1e-12, atol=1e-12)
    AX, BX, lam = rand(n, 4), rand(n, 4), rng.standard_normal(4)
    R = np.empty((n, 4), dtype)
    norms = kernel._residual(AX, BX, lam, R)
    ref = AX - BX * lam
    np.testing.assert_allclose(R, ref, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(norms, np.linalg.norm(ref, axis=0), rtol=1e-12)
