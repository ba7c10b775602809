import sys

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.csgraph  # noqa: F401 (sp.csgraph)
import scipy.sparse.linalg as spla

import sparsekit as sk
from sparsekit.datasets import _poisson2d

# every test starts and ends with an empty cache, dense references on one BLAS thread
pytestmark = pytest.mark.usefixtures("fresh_cache")


def _cg_iters(A, b, M=None):
    it = [0]

    def cb(xk):
        it[0] += 1

    x, info = spla.cg(A, b, rtol=1e-8, M=M, maxiter=2000, callback=cb)
    return x, info, it[0]


def test_amg_sa_matches_pyamg_and_cuts_iterations():
    import pyamg

    A = _poisson2d(40)
    b = np.ones(A.shape[0])
    np.random.seed(0)  # noqa: NPY002 - pyamg draws its spectral-radius start vector here
    P = sk.preconditioner(A, "amg")
    np.random.seed(0)  # noqa: NPY002
    ml = pyamg.smoothed_aggregation_solver(sp.csr_matrix(A))
    assert P.stats["solver"] == "smoothed_aggregation"
    assert P.stats["levels"] == len(ml.levels)
    assert P.stats["operator_complexity"] == pytest.approx(ml.operator_complexity())
    np.testing.assert_allclose(P.solve(b), ml.aspreconditioner() @ b, rtol=1e-10)
    x, info, it_amg = _cg_iters(A, b, P.aslinearoperator())
    _, _, it_plain = _cg_iters(A, b)
    assert info == 0 and it_amg < it_plain / 4
    assert np.linalg.norm(b - A @ x) <= 1e-8 * np.linalg.norm(b)
    r = repr(P)
    for word in ("amg", "levels", "operator_complexity", "setup_time"):
        assert word in r


def test_amg_near_null_space_vectors_are_used():
    import pyamg

    A = _poisson2d(20)
    B = np.ones((A.shape[0], 1))
    np.random.seed(0)  # noqa: NPY002
    P = sk.preconditioner(A, "amg", B=B)
    np.random.seed(0)  # noqa: NPY002
    ml = pyamg.smoothed_aggregation_solver(sp.csr_matrix(A), B=B)
    b = np.arange(A.shape[0], dtype=float)
    np.testing.assert_allclose(P.solve(b), ml.aspreconditioner() @ b, rtol=1e-10)
    # a different B is a different setup (the cache key includes B)
    P2 = sk.preconditioner(A, "amg", B=np.linspace(1, 2, A.shape[0]))
    assert P2 is not P
    with pytest.raises(sk.ShapeError):
        sk.preconditioner(A, "amg", B=np.ones(3))


@pytest.mark.parametrize("name", ["orsirr_1", "sherman5"])
def test_amg_nonsymmetric_with_gmres(real, name):
    A = real(name)
    P = sk.preconditioner(A, "amg")
    assert P.stats["solver"] == "rootnode"
    b = A @ np.ones(A.shape[0])
    x, info = spla.gmres(A, b, M=P.aslinearoperator(), rtol=1e-8, restart=50, maxiter=50)
    assert np.linalg.norm(b - A @ x) <= 1e-6 * np.linalg.norm(b)


@pytest.mark.parametrize("name", ["orsirr_1", "west0479"])
def test_ilu_gmres_real_nonsymmetric(real, name):
    A = real(name)
    P = sk.preconditioner(A, "ilu", drop_tol=1e-5, fill_factor=20)
    ilu = spla.spilu(sp.csc_array(A), drop_tol=1e-5, fill_factor=20)
    b = np.random.default_rng(0).standard_normal(A.shape[0])
    np.testing.assert_allclose(P.solve(b), ilu.solve(b), rtol=1e-12)
    assert P.stats["fill"] == pytest.approx(ilu.nnz / A.nnz)
    assert "fill" in repr(P)


def test_jacobi_is_inverse_diagonal_and_2d():
    A = _poisson2d(6) + sp.diags_array(np.arange(36.0))
    P = sk.preconditioner(A, "jacobi")
    B = np.random.default_rng(1).standard_normal((36, 3))
    np.testing.assert_allclose(P.solve(B), B / A.diagonal()[:, None])
    np.testing.assert_allclose(P.aslinearoperator() @ B[:, 0], B[:, 0] / A.diagonal())


def test_jacobi_zero_diagonal_is_an_error():
    A = sp.csr_array(np.array([[0.0, 1.0], [1.0, 2.0]]))
    with pytest.raises(sk.InputValueError, match="zero diagonal"):
        sk.preconditioner(A, "jacobi")


def test_cached_by_fingerprint_and_options():
    A = _poisson2d(15)
    P = sk.preconditioner(A, "amg")
    assert sk.preconditioner(A.tocsc(), "amg") is P
    assert sk.preconditioner(A, "amg", max_coarse=50) is not P
    assert sk.preconditioner(A, "amg", cache=False) is not P


def test_bad_inputs(monkeypatch):
    A = _poisson2d(5)
    with pytest.raises(sk.UnknownMethodError, match="jacobi"):
        sk.preconditioner(A, "ssor")
    with pytest.raises(sk.UnknownMethodError, match="rootnode"):
        sk.preconditioner(A, "amg", solver="classical")
    with pytest.raises(sk.InputValueError):
        sk.preconditioner(A, "jacobi", omega=0.5)
    with pytest.raises(sk.NotSquareError):
        sk.preconditioner(sp.random_array((4, 5), density=0.5), "jacobi")
    with pytest.raises(sk.ShapeError):
        sk.preconditioner(A, "jacobi").solve(np.ones(3))
    monkeypatch.setitem(sys.modules, "pyamg", None)
    with pytest.raises(sk.MissingDependencyError, match="pyamg"):
        sk.preconditioner(A, "amg", cache=False)


def test_amg_gershgorin_weight_only_on_diagonally_dominant_matrices():
    # PyAMG divides the prolongation smoother's 4/3 by rho(D^-1 A) from Arnoldi; on a
    # diagonally dominant matrix sparsekit uses the row-wise Gershgorin bound instead:
    # the same prolongator up to Arnoldi's 1% estimate, and the same AMG-CG iterations
    import pyamg

    A = _poisson2d(110)  # 12,100 unknowns: above the size where the estimate is skipped
    b = np.random.default_rng(1).standard_normal(A.shape[0])
    np.random.seed(0)  # noqa: NPY002 - pyamg's Arnoldi start vector
    ml = pyamg.smoothed_aggregation_solver(sp.csr_matrix(A))
    P = sk.preconditioner(A, "amg")
    assert P.stats["fine_weight"] == "gershgorin"
    P0, Q0 = sp.csr_array(P.hierarchy.levels[0].P), sp.csr_array(ml.levels[0].P)
    assert P0.shape == Q0.shape
    assert sp.linalg.norm(P0 - Q0) <= 0.02 * sp.linalg.norm(Q0)
    _, info, it_mine = _cg_iters(A, b, P.aslinearoperator())
    _, _, it_pyamg = _cg_iters(A, b, ml.aspreconditioner())
    assert info == 0 and abs(it_mine - it_pyamg) <= 1
    # not diagonally dominant (off-diagonals scaled by 1.1): PyAMG's own estimate, exactly
    B = sp.csr_array(A * 1.1 - sp.diags_array(0.1 * A.diagonal()))
    np.random.seed(0)  # noqa: NPY002
    ml = pyamg.smoothed_aggregation_solver(sp.csr_matrix(B))
    np.random.seed(0)  # noqa: NPY002
    P = sk.preconditioner(B, "amg", symmetric=True)
    assert P.stats["fine_weight"] == "estimate"
    P0, Q0 = sp.csr_array(P.hierarchy.levels[0].P), sp.csr_array(ml.levels[0].P)
    assert P0.shape == Q0.shape
    assert sp.linalg.norm(P0 - Q0) <= 1e-12 * sp.linalg.norm(Q0)


# ---- issue 18: options refused by name and type before any setup; issue 23: adjoints ----

def test_options_checked_before_setup(monkeypatch):
    A = _poisson2d(8)
    from sparsekit.linalg import precond as precond_mod

    def no_setup(*args, **kwargs):
        raise AssertionError("a setup ran before the options were checked")

    monkeypatch.setitem(precond_mod.PRECONDITIONERS, "amg", no_setup)
    monkeypatch.setitem(precond_mod.PRECONDITIONERS, "ilu", no_setup)
    for kind, kw, match in [("amg", {"cycle": "Q"}, "cycle"),
                            ("amg", {"symmetric": "yes"}, "symmetric"),
                            ("amg", {"foo": 1}, "unknown option 'foo'"),
                            ("ilu", {"drop_tol": "x"}, "drop_tol"),
                            ("ilu", {"drop_tol": -1.0}, "drop_tol"),
                            ("ilu", {"fill_factor": 0.5}, "fill_factor"),
                            ("ilu", {"permc_spec": "METIS"}, "permc_spec"),
                            ("ilu", {"panel_size": 0}, "panel_size"),
                            ("ilu", {"max_levels": 3}, "unknown option 'max_levels'"),
                            ("jacobi", {"omega": 0.5}, "no options")]:
        with pytest.raises(sk.InputValueError, match=match):
            sk.preconditioner(A, kind, cache=False, **kw)


def test_pyamg_keywords_pass_through_and_its_refusals_are_sparsekit_errors():
    A = _poisson2d(12)
    P = sk.preconditioner(A, "amg", max_coarse=20, strength="symmetric", cache=False)
    assert P.stats["levels"] >= 2
    with pytest.raises(sk.InputValueError, match="PyAMG"):
        sk.preconditioner(A, "amg", strength="bogus", cache=False)


def _adjoint_gap(op, n, dtype=float, seed=0):
    """``|<M x, y> − <x, Mᴴ y>|`` relative to ``‖M x‖ ‖y‖``: zero for a true adjoint."""
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal(n).astype(dtype), rng.standard_normal(n).astype(dtype)
    if np.dtype(dtype).kind == "c":
        x, y = x + 1j * rng.standard_normal(n), y + 1j * rng.standard_normal(n)
    Mx, MHy = op.matvec(x), op.rmatvec(y)
    return abs(np.vdot(Mx, y) - np.vdot(x, MHy)) / (np.linalg.norm(Mx) * np.linalg.norm(y))


def test_adjoints_are_adjoints():
    A = _poisson2d(15)
    rng = np.random.default_rng(1)
    N = sp.csr_array(A + sp.random_array(A.shape, density=0.01, rng=rng))
    cases = [(sk.preconditioner(A, "jacobi", cache=False), float),
             (sk.preconditioner(N, "ilu", cache=False), float),
             (sk.preconditioner(sp.csr_array(N * (1 + 0.5j)), "ilu", cache=False), complex),
             (sk.preconditioner(A, "amg", cache=False), float)]  # symmetric V-cycle
    for P, dtype in cases:
        assert P.has_adjoint
        assert _adjoint_gap(P.aslinearoperator(), A.shape[0], dtype) < 1e-12, P.kind
    nonsym_amg = sk.preconditioner(N, "amg", cache=False)
    assert not nonsym_amg.has_adjoint
    assert not sk.preconditioner(A, "amg", cycle="F", cache=False).has_adjoint


def test_real_ilu_takes_a_complex_vector():
    A = sp.csr_array(_poisson2d(10) + sp.eye_array(100, k=1))
    P = sk.preconditioner(A, "ilu", cache=False)
    b = np.arange(100.0) + 1j * np.ones(100)
    np.testing.assert_allclose(P.solve(b), P.solve(b.real) + 1j * P.solve(b.imag))


def test_float16_preconditioner():
    A16 = (_poisson2d(6).toarray() + np.eye(36)).astype(np.float16)
    P = sk.preconditioner(A16, "ilu", cache=False)
    assert P.dtype == np.float64
    np.testing.assert_allclose(A16.astype(float) @ P.solve(np.ones(36)), 1.0, atol=1e-3)


def test_amg_of_a_zero_matrix_is_singular():
    # PyAMG divided by zero here (the fuzz suite's reproducer)
    with pytest.raises(sk.SingularMatrixError, match="zero"):
        sk.preconditioner(sp.csr_array((3, 3)), "amg", cache=False)
    with pytest.raises(sk.SingularMatrixError):
        sk.solve(sp.csr_array((2, 2)), np.ones(2), method="gmres", precond="amg")


def test_ilu_of_single_precision_takes_double_vectors():
    A = sp.csr_array(np.array([[4.0, 1, 0, 0], [0, 4, 1, 0], [2, 0, 4, 1], [0, 0, 1, 4]]))
    for dtype in (np.complex64, np.float32):
        P = sk.preconditioner(A.astype(dtype), "ilu", cache=False)
        b = np.arange(4.0) + 1j
        np.testing.assert_allclose(A @ P.solve(b), b, rtol=1e-5, atol=1e-5)
        r = sk.solve(A.astype(dtype), np.ones(4), method="gmres", precond="ilu", rtol=1e-6)
        assert r.converged


# ---- approx_chol: randomized approximate Cholesky (approx-chol) --------------------------


def _grounded_reference(L, b):
    """x with L x = b (b orthogonal to the constants), by SuperLU on the grounded Laplacian."""
    x = np.zeros(L.shape[0])
    x[1:] = spla.splu(sp.csc_array(L[1:, 1:])).solve(b[1:])
    return x - x.mean()


@pytest.mark.parametrize("name", ["bcspwr10", "fe_4elt2", "luxembourg_osm"])
def test_approx_chol_pcg_on_real_laplacians_matches_a_direct_solve(real, name):
    W = sp.csr_array(real(name))
    _, labels = sp.csgraph.connected_components(W, directed=False)
    big = np.flatnonzero(labels == np.argmax(np.bincount(labels)))  # the largest component
    L = sp.csr_array(sk.laplacian(W[big][:, big]))
    b = np.random.default_rng(0).standard_normal(L.shape[0])
    b -= b.mean()
    r = sk.solve(L, b, method="cg", precond="approx_chol", rtol=1e-10)
    assert r.converged and r.precond == "approx_chol"
    ref = _grounded_reference(L, b)
    assert np.linalg.norm(b - L @ r.x) <= 1e-10 * np.linalg.norm(b) * 1.0001
    x = r.x - r.x.mean()
    assert np.linalg.norm(x - ref) <= 1e-6 * np.linalg.norm(ref)
    # the preconditioner is a good one: far fewer iterations than plain CG
    plain = sk.solve(L, b, method="cg", precond="none", rtol=1e-10, maxiter=20000)
    assert r.iterations < plain.iterations / 3


def test_approx_chol_on_an_sddm_matrix_and_its_stats():
    A = _poisson2d(40)  # Dirichlet Poisson: SDDM (strictly dominant at the boundary)
    P = sk.preconditioner(A, "approx_chol", seed=3)
    assert P.stats["seed"] == 3 and P.stats["fallbacks"] == 0
    b = np.random.default_rng(1).standard_normal(A.shape[0])
    x, info, its = _cg_iters(A, b, M=P.aslinearoperator())
    assert info == 0
    np.testing.assert_allclose(x, spla.spsolve(sp.csc_array(A), b), rtol=1e-6, atol=1e-8)
    _, _, plain = _cg_iters(A, b)
    assert its < plain / 2


def test_approx_chol_refuses_what_it_cannot_factor():
    A = _poisson2d(10).tolil()
    A[0, 1] = A[1, 0] = 0.5  # a positive off-diagonal: not SDDM
    with pytest.raises(sk.InputValueError, match="approx_chol.*SDDM.*precond='amg'"):
        sk.preconditioner(sp.csr_array(A), "approx_chol", cache=False)
    weak = sp.csr_array(_poisson2d(10) - 1.5 * sp.eye_array(100))  # not diagonally dominant
    with pytest.raises(sk.InputValueError, match="diagonally dominant"):
        sk.solve(weak, np.ones(100), method="cg", precond="approx_chol")
    Z = sp.csr_array(_poisson2d(10), dtype=np.complex128)
    with pytest.raises(sk.InputValueError, match="real matrices.*complex"):
        sk.preconditioner(Z, "approx_chol", cache=False)


def test_approx_chol_missing_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "approx_chol", None)
    with pytest.raises(sk.MissingDependencyError, match="approx_chol.*precond='amg'"):
        sk.preconditioner(_poisson2d(10), "approx_chol", cache=False)
