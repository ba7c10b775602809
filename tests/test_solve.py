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
    assert set(METHODS) == {"cg", "minres", "gmres", "bicgstab", "lsqr", "lsmr", "direct",
                            "dense"}
    assert set(PRECONDS) == {"auto", "none", "jacobi", "ilu", "amg"}
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
        sk.solve(A, np.ones(16), method="qmr")
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
