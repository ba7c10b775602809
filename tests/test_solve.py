import importlib
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import sparsekit as sk
from sparsekit.datasets import _poisson2d
from sparsekit.linalg.solve import BACKENDS, METHODS, PRECONDS

# every test starts and ends with an empty cache, dense references on one BLAS thread
pytestmark = pytest.mark.usefixtures("fresh_cache")


def _rhs_of(real, name, A):
    rhs = sk.datasets.get(name).rhs
    if rhs:
        return np.asarray(real(rhs)).ravel()
    return A @ np.random.default_rng(0).standard_normal(A.shape[1])


REAL_SQUARE = ["bcsstk09", "bcsstk13", "nos6", "gr_30_30", "494_bus", "1138_bus", "west0479",
               "sherman5", "orsirr_1", "add32", "nnc1374", "bayer10", "sherman1"]


@pytest.mark.parametrize("name", REAL_SQUARE)
def test_auto_on_real_matrices_meets_true_residual(real, name):
    A = real(name)
    b = _rhs_of(real, name, A)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = sk.solve(A, b, rtol=1e-8)
    true = np.linalg.norm(b - A @ r.x) / np.linalg.norm(b)
    assert r.relative_residual == pytest.approx(true, rel=1e-6, abs=1e-18)
    if r.converged:
        assert true <= 1e-8
    else:  # never silently wrong
        assert any(issubclass(w.category, sk.ConvergenceWarning) for w in caught)
    assert r.converged, f"{name}: {r}"
    assert r.plan is not None and r.plan.reasons


def test_least_squares_illc1033_matches_dense_lstsq(real):
    A = real("illc1033")
    b = np.asarray(real("illc1033_rhs1")).ravel()
    r = sk.solve(A, b)
    x_ref = np.linalg.lstsq(A.toarray(), b, rcond=None)[0]
    assert r.converged
    np.testing.assert_allclose(r.x, x_ref, rtol=1e-6, atol=1e-8 * np.abs(x_ref).max())
    assert any("least squares" in n for n in r.notes)


@pytest.mark.parametrize("method", ["lsqr", "lsmr"])
def test_lsqr_lsmr_vs_dense(method):
    rng = np.random.default_rng(3)
    A = sp.random_array((80, 30), density=0.3, rng=rng) + sp.eye_array(80, 30)
    b = rng.standard_normal(80)
    r = sk.solve(A, b, method=method, rtol=1e-10)
    x_ref = np.linalg.lstsq(A.toarray(), b, rcond=None)[0]
    assert r.converged and r.method == method
    np.testing.assert_allclose(r.x, x_ref, rtol=1e-6, atol=1e-8)


def _spd_small():
    return _poisson2d(12) + sp.diags_array(np.linspace(0, 1, 144))


def _nonsym_small():
    rng = np.random.default_rng(1)
    R = sp.random_array((150, 150), density=0.03, rng=rng)
    return sp.csr_array(R + sp.diags_array(3 + rng.random(150)))


@pytest.mark.parametrize("method,precond,make", [
    ("cg", "none", _spd_small), ("cg", "jacobi", _spd_small), ("cg", "amg", _spd_small),
    ("cg", "ilu", _spd_small), ("minres", "none", _spd_small),
    ("gmres", "ilu", _nonsym_small), ("gmres", "none", _nonsym_small),
    ("bicgstab", "jacobi", _nonsym_small), ("gmres", "amg", _nonsym_small),
    ("direct", "none", _spd_small), ("direct", "none", _nonsym_small),
    ("dense", "none", _nonsym_small),
])
def test_explicit_methods_vs_dense(method, precond, make):
    A = make()
    b = np.random.default_rng(5).standard_normal(A.shape[0])
    r = sk.solve(A, b, method=method, precond=precond, rtol=1e-10)
    x_ref = np.linalg.solve(A.toarray(), b)
    assert r.converged and r.method == method
    assert r.precond == (precond if method in ("cg", "minres", "gmres", "bicgstab") else "none")
    np.testing.assert_allclose(r.x, x_ref, rtol=1e-7, atol=1e-8 * np.abs(x_ref).max())
    assert set(r.timings) == {"setup", "solve"}


def test_minres_symmetric_indefinite_vs_dense():
    A = _poisson2d(10) - 1.5 * sp.eye_array(100)  # indefinite
    b = np.ones(100)
    r = sk.solve(A, b, method="minres", rtol=1e-10)
    np.testing.assert_allclose(r.x, np.linalg.solve(A.toarray(), b), rtol=1e-6)
    with pytest.raises(sk.NotSPDError):
        sk.solve(-_poisson2d(10), b, method="cg")


def test_many_rhs_direct_block_and_iterative():
    A = _poisson2d(20)
    B = np.random.default_rng(2).standard_normal((400, 5))
    X_ref = np.linalg.solve(A.toarray(), B)
    r = sk.solve(A, B, method="direct")
    assert r.x.shape == (400, 5) and r.converged
    np.testing.assert_allclose(r.x, X_ref, rtol=1e-9)
    r2 = sk.solve(A, B, method="cg", precond="amg", rtol=1e-10)
    np.testing.assert_allclose(r2.x, X_ref, rtol=1e-7)


def test_repeated_direct_solves_reuse_the_factorization():
    A = _poisson2d(30)
    sk.solve(A, np.ones(900), method="direct")
    hits = sk.cache_info().hits
    r = sk.solve(A.copy(), np.arange(900.0), method="direct")
    assert sk.cache_info().hits == hits + 1
    assert any("reused from the cache" in n for n in r.notes)
    np.testing.assert_allclose(r.x, np.linalg.solve(A.toarray(), np.arange(900.0)), rtol=1e-9)


def _two_paths():
    # two disconnected weighted path graphs: Laplacian with a 2-D null space
    rows = np.array([0, 1, 2, 4, 5])
    cols = np.array([1, 2, 3, 5, 6])
    w = np.array([1.0, 2.0, 0.5, 3.0, 1.0])
    W = sp.coo_array((w, (rows, cols)), shape=(7, 7))
    W = W + W.T
    return sp.csr_array(sp.diags_array(np.asarray(W.sum(axis=1)).ravel()) - W)


@pytest.mark.parametrize("method", ["auto", "dense", "direct", "cg", "minres"])
def test_singular_laplacian_consistent_gives_min_norm_solution(method):
    L = _two_paths()
    x_true = np.random.default_rng(0).standard_normal(7)
    b = L @ x_true
    r = sk.solve(L, b, method=method, rtol=1e-10)
    x_ref = np.linalg.pinv(L.toarray()) @ b
    assert r.converged
    np.testing.assert_allclose(r.x, x_ref, atol=1e-8)
    assert any("null space" in n for n in r.notes)


def test_singular_laplacian_inconsistent_rhs_is_an_error():
    L = _two_paths()
    with pytest.raises(sk.InconsistentSystemError, match="sum to zero"):
        sk.solve(L, np.ones(7))


def test_nonconvergence_warns_or_raises():
    A = _poisson2d(30)
    b = np.ones(900)
    with pytest.warns(sk.ConvergenceWarning, match="relative residual"):
        r = sk.solve(A, b, method="cg", precond="none", maxiter=3)
    assert not r.converged and r.iterations == 3
    assert r.relative_residual == pytest.approx(np.linalg.norm(b - A @ r.x) / np.linalg.norm(b))
    with pytest.raises(sk.NoConvergence) as info:
        sk.solve(A, b, method="gmres", precond="none", maxiter=3, strict=True)
    assert isinstance(info.value.result, sk.SolveResult) and not info.value.result.converged


def test_auto_falls_back_to_direct_when_iterative_stalls(monkeypatch):
    S = importlib.import_module("sparsekit.linalg.solve")

    A = _poisson2d(50)
    orig = S.plan_solve

    def forced(*a, **k):
        p = orig(*a, **k)
        return sk.Plan("solve", "cg", "none", "scipy", p.reasons, p.properties, p.memory)

    monkeypatch.setattr(S, "plan_solve", forced)
    r = sk.solve(A, np.ones(2500), maxiter=5)
    assert r.converged and r.method == "direct"
    assert any("fell back" in n for n in r.notes)


def test_history_callback_x0_and_linear_operator():
    A = _poisson2d(15)
    b = np.ones(225)
    seen = []
    r = sk.solve(A, b, method="cg", precond="none", callback=seen.append, history=True)
    assert len(seen) == r.iterations == len(r.residuals)
    assert r.residuals[-1] <= 1e-8 * np.linalg.norm(b) * 1.01
    r0 = sk.solve(A, b, method="cg", precond="none", x0=r.x)
    assert r0.iterations <= 1
    op = spla.aslinearoperator(A)
    r2 = sk.solve(op, b, method="cg")
    np.testing.assert_allclose(r2.x, r.x, rtol=1e-6)
    r3 = sk.solve(op, b)  # auto on an operator: GMRES
    assert r3.method == "gmres" and r3.converged


def test_user_preconditioner():
    A = _poisson2d(20)
    P = sk.preconditioner(A, "amg")
    r = sk.solve(A, np.ones(400), method="cg", M=P)
    assert r.precond == "user" and r.converged and r.iterations < 20


def test_registries():
    assert set(METHODS) == {"cg", "minres", "gmres", "bicgstab", "bicg", "cgs", "gcrotmk",
                            "lgmres", "qmr", "tfqmr", "lsqr", "lsmr", "direct", "dense"}
    assert set(PRECONDS) == {"auto", "none", "jacobi", "ilu", "amg", "approx_chol"}
    assert {"scipy", "cupy", "petsc", "auto"} <= set(BACKENDS)


# ---- bad input, one test each ----------------------------------------------------------

def test_bad_shape_mismatch():
    with pytest.raises(sk.ShapeError, match=r"\(25,\)"):
        sk.solve(_poisson2d(5), np.ones(24))


def test_bad_non_square_for_square_only_method():
    A = sp.random_array((6, 4), density=0.5, rng=0)
    for method in ("cg", "gmres", "direct"):
        with pytest.raises(sk.NotSquareError, match="lsqr"):
            sk.solve(A, np.ones(6), method=method)


def test_bad_nan_in_a():
    A = _poisson2d(5).copy()
    A.data[2] = np.nan
    with pytest.raises(sk.InputValueError, match="NaN"):
        sk.solve(A, np.ones(25))


def test_bad_inf_in_b():
    b = np.ones(25)
    b[3] = np.inf
    with pytest.raises(sk.InputValueError, match="b contains"):
        sk.solve(_poisson2d(5), b)


def test_bad_cg_on_nonsymmetric():
    A = _nonsym_small()
    b = np.ones(150)
    with pytest.raises(sk.NotSymmetricError, match="gmres"):
        sk.solve(A, b, method="cg")
    with pytest.raises(sk.NotSymmetricError):
        sk.solve(A, b, method="minres")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sk.ConvergenceWarning)
        r = sk.solve(A, b, method="cg", check=False, maxiter=50)
    assert r.method == "cg"


def test_bad_jacobi_zero_diagonal():
    A = sp.csr_array(np.array([[0.0, 1.0], [1.0, 2.0]]))
    with pytest.raises(sk.InputValueError, match="zero diagonal"):
        sk.solve(A, np.ones(2), method="gmres", precond="jacobi")


def test_bad_unknown_names_list_valid_ones():
    A = _poisson2d(4)
    with pytest.raises(sk.UnknownMethodError, match="bicgstab.*cg.*dense"):
        sk.solve(A, np.ones(16), method="idrs")
    with pytest.raises(sk.UnknownMethodError, match="amg"):
        sk.solve(A, np.ones(16), precond="ssor")
    with pytest.raises(sk.UnknownMethodError, match="petsc"):
        sk.solve(A, np.ones(16), backend="tpu")


def test_bad_optional_dependency_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyamg", None)
    with pytest.raises(sk.MissingDependencyError, match="pyamg"):
        sk.solve(_poisson2d(10), np.ones(100), method="cg", precond="amg")


def test_bad_backend_unavailable(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)
    monkeypatch.setitem(sys.modules, "sparsekit.backends.cupy_", None)
    with pytest.raises((sk.MissingDependencyError, sk.BackendError)):
        sk.solve(_poisson2d(4), np.ones(16), backend="cupy")


def test_bad_x0_and_tolerances():
    A = _poisson2d(4)
    with pytest.raises(sk.ShapeError, match="x0"):
        sk.solve(A, np.ones(16), method="cg", x0=np.ones(3))
    with pytest.raises(sk.InputValueError, match="rtol"):
        sk.solve(A, np.ones(16), rtol=-1)
    with pytest.raises(sk.InputValueError, match="maxiter"):
        sk.solve(A, np.ones(16), maxiter=0)


# ---- issue 23: every SciPy Krylov method; complex Hermitian MINRES; maxiter is a budget ----

NEW_KRYLOV = ["bicg", "cgs", "gcrotmk", "lgmres", "qmr", "tfqmr"]
ALL_KRYLOV = ["cg", "minres", "gmres", "bicgstab", *NEW_KRYLOV]


@pytest.mark.parametrize("method", NEW_KRYLOV)
@pytest.mark.parametrize("precond", ["none", "jacobi", "ilu"])
def test_new_krylov_methods_vs_dense(method, precond):
    A = _nonsym_small()
    b = np.random.default_rng(5).standard_normal(A.shape[0])
    r = sk.solve(A, b, method=method, precond=precond, rtol=1e-10, history=True)
    x_ref = np.linalg.solve(A.toarray(), b)
    assert r.converged and r.method == method and r.precond == precond
    np.testing.assert_allclose(r.x, x_ref, rtol=1e-7, atol=1e-8 * np.abs(x_ref).max())
    assert r.relative_residual == pytest.approx(
        np.linalg.norm(b - A @ r.x) / np.linalg.norm(b), rel=1e-12)
    assert len(r.residuals) >= r.iterations >= 1  # history: one true residual per iteration


_CONDS = {}


def _cond(name, A):
    if name not in _CONDS:
        _CONDS[name] = float(np.linalg.cond(A.toarray()))
    return _CONDS[name]


@pytest.mark.parametrize("name", ["sherman1", "orsirr_1"])
@pytest.mark.parametrize("method", NEW_KRYLOV)
def test_new_krylov_methods_on_real_matrices(real, name, method):
    A = real(name)
    x_true = np.random.default_rng(0).standard_normal(A.shape[0])
    b = A @ x_true
    r = sk.solve(A, b, method=method, precond="ilu", rtol=1e-8)
    assert r.converged
    assert np.linalg.norm(b - A @ r.x) <= 1e-8 * np.linalg.norm(b)
    # the forward error a relative residual of 1e-8 allows: cond(A) * 1e-8
    x_ref = np.linalg.solve(A.toarray(), b)
    err = np.linalg.norm(r.x - x_ref) / np.linalg.norm(x_ref)
    assert err <= 2 * _cond(name, A) * 1e-8


@pytest.mark.parametrize("method", NEW_KRYLOV + ["gmres", "bicgstab"])
def test_hard_real_matrix_is_never_silently_wrong(real, method):
    # west0479 defeats most Krylov methods with ILU: each must either meet the true residual
    # or say it did not, with the true residual it reached
    A = real("west0479")
    b = A @ np.random.default_rng(0).standard_normal(A.shape[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sk.ConvergenceWarning)
        r = sk.solve(A, b, method=method, precond="ilu", rtol=1e-8, maxiter=300)
    true = np.linalg.norm(b - A @ r.x) / np.linalg.norm(b)
    assert r.relative_residual == pytest.approx(true, rel=1e-9)
    assert r.converged == (true <= 1e-8)
    x, info = r
    assert (info == 0) == r.converged


def test_refinement_catches_scipy_tfqmr_false_convergence():
    # SciPy's tfqmr with a Jacobi preconditioner reports success far from the tolerance here
    rng = np.random.default_rng(0)
    A = sp.csr_array(sp.random_array((200, 200), density=0.02, rng=rng) + 4 * sp.eye_array(200))
    b = rng.standard_normal(200)
    d = A.diagonal()
    x, info = spla.tfqmr(A, b, M=spla.LinearOperator(A.shape, matvec=lambda v: v / d),
                         rtol=1e-10)
    assert info == 0 and np.linalg.norm(A @ x - b) > 1e-6 * np.linalg.norm(b)
    r = sk.solve(A, b, method="tfqmr", precond="jacobi", rtol=1e-10)
    assert r.converged
    assert np.linalg.norm(A @ r.x - b) <= 1e-10 * np.linalg.norm(b)


def _hermitian(n=150, seed=3):
    """A complex Hermitian indefinite matrix: a shifted 2-D Poisson with a skew imaginary part."""
    P = _poisson2d(int(np.sqrt(n)))
    S = sp.triu(P, 1)
    return sp.csr_array(P - 2.5 * sp.eye_array(P.shape[0]) + 0.7j * (S - S.T))


def test_complex_hermitian_minres_vs_dense_and_full_gmres():
    A = _hermitian()
    n = A.shape[0]
    rng = np.random.default_rng(7)
    b = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    r = sk.solve(A, b, method="minres", rtol=1e-10, history=True)
    assert r.converged and np.iscomplexobj(r.x)
    assert any("real symmetric system of order 2n" in note for note in r.notes)
    np.testing.assert_allclose(r.x, np.linalg.solve(A.toarray(), b), rtol=1e-7,
                               atol=1e-8 * np.abs(r.x).max())
    # MINRES and unrestarted GMRES minimise the same residual over the same Krylov space of
    # a Hermitian matrix: the same residuals, iteration by iteration, until MINRES's short
    # recurrence loses orthogonality (here after about 50 of its 105 iterations)
    g = sk.solve(A, b, method="gmres", precond="none", restart=n, rtol=1e-10)
    np.testing.assert_allclose(r.residuals[:40], g.residuals[:40], rtol=1e-8)


def test_complex_hermitian_minres_on_a_real_matrix_and_complex_rhs(real):
    A = real("bcsstk09")  # real symmetric, complex b
    rng = np.random.default_rng(1)
    b = rng.standard_normal(A.shape[0]) + 1j * rng.standard_normal(A.shape[0])
    r = sk.solve(A, b, method="minres", rtol=1e-9, maxiter=5000)
    assert r.converged
    assert np.linalg.norm(b - A @ r.x) <= 1e-9 * np.linalg.norm(b)
    # the real and imaginary parts are the two real solves
    np.testing.assert_allclose(r.x.real, np.linalg.solve(A.toarray(), b.real), rtol=1e-5)


def test_complex_nonhermitian_minres_is_refused():
    A = sp.csr_array(_poisson2d(5) * (1 + 1j))  # complex symmetric, not Hermitian
    with pytest.raises(sk.NotSymmetricError, match="MINRES"):
        sk.solve(A, np.ones(25), method="minres")


def _convection_diffusion(n=20):
    """A nonsymmetric 2-D convection-diffusion matrix: slow for unpreconditioned Krylov."""
    P = _poisson2d(n)
    S = sp.diags_array([np.ones(n * n - 1)], offsets=[1])
    return sp.csr_array(P + 0.4 * (S - S.T))


@pytest.mark.parametrize("method", ALL_KRYLOV)
def test_maxiter_is_a_budget_of_iterations(method):
    A = _poisson2d(20) if method in ("cg", "minres") else _convection_diffusion()
    b = np.random.default_rng(2).standard_normal(A.shape[0])
    for maxiter in (1, 3):
        calls = []
        with pytest.warns(sk.ConvergenceWarning):
            r = sk.solve(A, b, method=method, precond="none", rtol=1e-15, maxiter=maxiter,
                         callback=calls.append)
        assert r.iterations == len(calls) <= maxiter
        assert not r.converged and r.info == max(r.iterations, 1)


def test_gmres_maxiter_not_rounded_to_a_cycle():
    A = _convection_diffusion()
    b = np.random.default_rng(3).standard_normal(A.shape[0])
    with pytest.warns(sk.ConvergenceWarning):
        r = sk.solve(A, b, method="gmres", precond="none", maxiter=1)
    assert r.iterations == 1 and not r.converged
    seen = []
    with pytest.warns(sk.ConvergenceWarning):
        r = sk.solve(A, b, method="gmres", precond="none", restart=20, maxiter=73,
                     rtol=1e-15, callback=seen.append)
    assert r.iterations == len(seen) == 73
    # a budget of 73 is 3 cycles of 20 and one of 13: the same iterate as SciPy's cycles
    x = None
    for length, cycles in ((20, 3), (13, 1)):
        x, _ = spla.gmres(A, b, x0=x, rtol=1e-15, restart=length, maxiter=cycles)
    np.testing.assert_allclose(r.x, x, rtol=1e-10, atol=1e-12)


def test_gmres_callback_type_x():
    A = _nonsym_small()
    b = np.ones(A.shape[0])
    xs = []
    r = sk.solve(A, b, method="gmres", precond="none", restart=10, callback=xs.append,
                 callback_type="x", rtol=1e-10)
    assert r.converged and len(xs) == -(-r.iterations // 10)
    res = [np.linalg.norm(b - A @ x) for x in xs]
    assert all(np.diff(res) <= 1e-12)
    np.testing.assert_array_equal(xs[-1], r.x)


def test_adjoint_methods_and_linear_operators():
    A = _nonsym_small()
    b = np.random.default_rng(4).standard_normal(A.shape[0])
    op = spla.LinearOperator(A.shape, matvec=lambda v: A @ v)
    for method in ("bicg", "qmr", "lsqr"):
        with pytest.raises(sk.InputValueError, match="rmatvec"):
            sk.solve(op, b, method=method)
    op_h = spla.LinearOperator(A.shape, matvec=lambda v: A @ v, rmatvec=lambda v: A.T @ v)
    for method in ("bicg", "qmr"):
        r = sk.solve(op_h, b, method=method, rtol=1e-10)
        assert r.converged
        np.testing.assert_allclose(r.x, np.linalg.solve(A.toarray(), b), rtol=1e-6)
    for method in ("cgs", "tfqmr", "lgmres", "gcrotmk"):  # A @ x only
        assert sk.solve(op, b, method=method, rtol=1e-10).converged
    with pytest.raises(sk.InputValueError, match="conjugate transpose of the preconditioner"):
        sk.solve(A, b, method="bicg", precond="amg")  # AMG of a nonsymmetric matrix
    M = spla.LinearOperator(A.shape, matvec=lambda v: v / A.diagonal())
    with pytest.raises(sk.InputValueError, match="preconditioner"):
        sk.solve(A, b, method="qmr", M=M)


def test_qmr_left_and_right_preconditioners():
    A = _nonsym_small()
    b = np.ones(A.shape[0])
    M1 = spla.LinearOperator(A.shape, matvec=lambda v: v / A.diagonal())  # no rmatvec
    r = sk.solve(A, b, method="qmr", M1=spla.aslinearoperator(np.eye(150)),
                 M2=spla.aslinearoperator(np.eye(150)), rtol=1e-10)
    assert r.converged and r.precond == "user"
    with pytest.raises(sk.InputValueError, match="not both"):
        sk.solve(A, b, method="qmr", M=np.eye(150), M1=np.eye(150))
    with pytest.raises(sk.InputValueError, match="rmatvec"):
        sk.solve(A, b, method="qmr", M1=M1)


@pytest.mark.parametrize("method", sorted(METHODS) + ["auto"])
def test_empty_system_is_solved_by_the_empty_x(method):
    E = sp.csr_array((0, 0))
    x, info = sk.solve(E, np.zeros(0), method=method)
    assert x.shape == (0,) and info == 0
    r = sk.solve(E, np.zeros((0, 3)), method=method)
    assert r.x.shape == (0, 3) and r.converged and r.relative_residual == 0.0
    assert sk.factorize(E).solve(np.zeros(0)).shape == (0,)
    assert sk.plan(E).method == "dense"


def test_no_unknowns_least_squares():
    r = sk.solve(sp.csr_array((3, 0)), np.ones(3), method="lsqr")
    assert r.x.shape == (0,) and r.converged  # the empty x is the least-squares solution


def test_float16_input_is_computed_in_float64():
    A16 = (_poisson2d(6).toarray() + np.eye(36)).astype(np.float16)
    b16 = np.arange(36).astype(np.float16)
    ref = np.linalg.solve(A16.astype(np.float64), b16.astype(np.float64))
    for method in ("auto", "gmres", "cg", "direct"):
        r = sk.solve(A16, b16, method=method, rtol=1e-12)
        assert r.x.dtype == np.float64 and r.converged
        np.testing.assert_allclose(r.x, ref, rtol=1e-9)


def test_option_values_refused_before_any_work(monkeypatch):
    A = _spd_small()
    b = np.ones(A.shape[0])

    def no_work(*args, **kwargs):
        raise AssertionError("the matrix was inspected before the options were checked")

    monkeypatch.setattr(sys.modules["sparsekit.linalg.solve"], "_make_system", no_work)
    for kw, match in [({"precond": "amg", "cycle": "Q"}, "cycle"),
                      ({"precond": "ilu", "drop_tol": "x"}, "drop_tol"),
                      ({"precond": "ilu", "fill_factor": 0.5}, "fill_factor"),
                      ({"precond": "amg", "symmetric": "yes"}, "symmetric"),
                      ({"precond": "amg", "drop_tol": 1e-3}, "drop_tol"),
                      ({"restart": 5}, "restart")]:
        with pytest.raises(sk.InputValueError, match=match):
            sk.solve(A, b, method="cg", **kw)


def test_method_options_checked():
    A = _nonsym_small()
    b = np.ones(A.shape[0])
    for kw, match in [({"method": "gmres", "restart": 0}, "restart"),
                      ({"method": "gmres", "callback_type": "q"}, "callback_type"),
                      ({"method": "gcrotmk", "truncate": "newest"}, "truncate"),
                      ({"method": "lgmres", "inner_m": -1}, "inner_m"),
                      ({"method": "gcrotmk", "CU": "x"}, "CU"),
                      ({"method": "cg", "restart": 5}, "restart"),
                      ({"method": "gmres", "M1": np.eye(150)}, "M1"),
                      ({"method": "ilu", "precond": "amg"}, "method"),
                      ({"method": "gmres", "precond": "amg", "drop_tol": 1e-3}, "drop_tol")]:
        with pytest.raises(sk.SparsekitError, match=match):
            sk.solve(A, b, **kw)
    # a recycled GCROT(m,k) space carries over between calls, as SciPy's CU list
    CU = []
    r1 = sk.solve(A, b, method="gcrotmk", precond="none", CU=CU, k=5, rtol=1e-10)
    assert r1.converged and 1 <= len(CU) <= 5
    r2 = sk.solve(A, 2 * b, method="gcrotmk", precond="none", CU=CU, k=5, rtol=1e-10)
    assert r2.converged and r2.iterations <= r1.iterations


def test_auto_preconditioner_failure_runs_without_one():
    # ILU meets an exact zero pivot: precond="auto" runs GMRES without a preconditioner
    A = sp.csr_array(np.array([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 4.0]]))
    b = np.array([2.0, 0.0, 4.0])  # singular, but b is in the range of A
    r = sk.solve(A, b, method="gmres", rtol=1e-12)
    assert r.converged and r.precond == "none"
    assert any("failed" in note for note in r.notes)
    np.testing.assert_allclose(r.x, [1.0, 0.0, 1.0])
    with pytest.raises(sk.SingularMatrixError):
        sk.solve(A, b, method="gmres", precond="ilu")


def test_minres_with_an_indefinite_preconditioner_is_refused():
    # SciPy raises a raw ValueError ('indefinite preconditioner'); MINRES needs an SPD M
    rng = np.random.default_rng(1)
    X = rng.standard_normal((4, 4)) * (rng.random((4, 4)) < 0.7)
    A = sp.csr_array(X + X.T)
    with pytest.raises(sk.NotSPDError, match="positive definite preconditioner"):
        sk.solve(A, np.ones(4), method="minres", precond="ilu")
    r = sk.solve(A, np.ones(4), method="minres", precond="none", rtol=1e-10)
    np.testing.assert_allclose(A @ r.x, np.ones(4), atol=1e-8)


# ---------------------------------------------------------------------------
# issue 21: a solve that did not converge says why and what to try; rtol follows the dtype
# ---------------------------------------------------------------------------

def _warned(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = fn()
    messages = [str(w.message) for w in caught if issubclass(w.category, sk.ConvergenceWarning)]
    assert len(messages) == 1
    return r, messages[0]


def _tries(r) -> str:
    (line,) = [n for n in r.notes if n.startswith("to try: ")]
    return line


def test_default_rtol_follows_the_dtype(real):
    # float32 certifies about 7 digits: rounding alone leaves eps32 ‖|A||x|‖/‖b‖ (computed
    # here), far above 1e-8, so the double default could never be met
    A = sp.csr_array(real("sherman1")).astype(np.float32)
    b = np.ones(A.shape[0], dtype=np.float32)
    r = sk.solve(A, b)
    floor = np.finfo(np.float32).eps * np.linalg.norm(abs(A) @ abs(r.x)) / np.linalg.norm(b)
    assert floor > 1e-6 and r.converged
    true = np.linalg.norm(b.astype(float) - A.astype(float) @ r.x.astype(float)) / np.sqrt(b.size)
    assert 1e-8 < true <= 1e-4
    assert abs(r.relative_residual - true) <= floor  # float32's own residual: rounded
    # complex64 too, and a float64 b does not make a float32 A exact; a double A gets 1e-8
    assert sk.solve(A.astype(np.complex64), b.astype(np.complex64)).converged
    assert sk.solve(A, b.astype(np.float64)).converged
    r64 = sk.solve(A.astype(np.float64), b)
    assert r64.converged and r64.relative_residual <= 1e-8
    # asking float32 for 1e-8 fails, and the reason is the precision, with the floor
    r, msg = _warned(lambda: sk.solve(A, b, rtol=1e-8))
    assert not r.converged
    assert "below what float32 arithmetic can certify" in msg
    assert "double precision" in _tries(r)


def test_maxiter_failure_explains_itself_once_and_suggests():
    A = _poisson2d(40)
    b = np.ones(A.shape[0])
    r, msg = _warned(lambda: sk.solve(A, b, method="cg", precond="none", maxiter=25))
    assert "maxiter=25 reached" in msg
    assert msg.count("25 iterations") == 1 and msg.count("maxiter=25") == 1  # said once
    tries = _tries(r)
    assert "precond='amg'" in tries and "method='direct'" in tries and "maxiter=50" in tries
    # every suggestion holds: each one, taken, converges
    assert sk.solve(A, b, method="cg", precond="amg").converged
    assert sk.solve(A, b, method="direct").converged
    assert any(n.startswith("κ₁(A) ≈") for n in r.notes)  # the condition estimate joins them


def test_stalled_refinement_is_named_and_a_looser_rtol_offered():
    # SciPy's tfqmr with Jacobi stops by its own test while the true residual stays at 1e-6
    rng = np.random.default_rng(0)
    n = 400
    R = sp.random_array((n, n), density=0.02, rng=rng)
    A = sp.csr_array(R + sp.diags_array(np.asarray(abs(R).sum(axis=1)).ravel() + 1.0))
    b = rng.standard_normal(n)
    r, msg = _warned(lambda: sk.solve(A, b, method="tfqmr", precond="jacobi", rtol=1e-10))
    assert not r.converged and "stalled" in msg and "attainable accuracy" in msg
    looser = float(_tries(r).split("rtol=")[1].split()[0])
    assert r.relative_residual <= looser < 10 * r.relative_residual
    assert sk.solve(A, b, method="tfqmr", precond="jacobi", rtol=looser).converged
    assert "precond='amg'" not in _tries(r)  # not offered for a nonsymmetric matrix


def test_breakdown_is_named():
    A = np.array([[0.0, 1.0], [1.0, 0.0]])  # bicgstab breaks down at its first step
    r, msg = _warned(lambda: sk.solve(A, np.array([1.0, 0.0]), method="bicgstab",
                                      precond="none", check=False))
    assert not r.converged and r.breakdown and "breakdown" in msg
    assert "method='direct'" in _tries(r)
    assert np.allclose(sk.solve(A, np.array([1.0, 0.0]), method="direct").x, [0.0, 1.0])
