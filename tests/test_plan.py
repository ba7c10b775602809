import importlib

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import sparsekit as sk
from sparsekit.datasets import _poisson2d

P = importlib.import_module("sparsekit.linalg._plan_solve")
INSPECT = importlib.import_module("sparsekit.linalg._inspect")


# every test starts and ends with an empty cache, dense references on one BLAS thread
pytestmark = pytest.mark.usefixtures("fresh_cache")


def _poisson3d(n):
    T = sp.diags_array([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)], offsets=[-1, 0, 1])
    eye = sp.eye_array(n)
    return sp.csr_array(sp.kron(sp.kron(T, eye), eye) + sp.kron(sp.kron(eye, T), eye)
                        + sp.kron(sp.kron(eye, eye), T))


def test_mesh_dimension_of_lattices():
    assert INSPECT.mesh_dimension(_poisson2d(60)) == 2
    assert INSPECT.mesh_dimension(_poisson3d(30)) == 3
    path = sp.diags_array([-np.ones(999), 2 * np.ones(1000), -np.ones(999)], offsets=[-1, 0, 1])
    assert INSPECT.mesh_dimension(path) == 1
    assert INSPECT.mesh_dimension(_poisson2d(5)) is None  # too small to tell


def test_small_goes_dense_with_reasons_and_memory():
    p = sk.plan(_poisson2d(10))
    assert (p.method, p.precond, p.backend) == ("dense", "none", "scipy")
    assert any("crossover" in r for r in p.reasons)
    assert p.memory["dense"] == 100 * 100 * 8
    assert p.properties["symmetric"] and p.properties["positive_diagonal"]


def test_cost_model_3d_plain_cg_2d_amg():
    p3 = sk.plan(_poisson3d(64))
    assert (p3.method, p3.precond) == ("cg", "none")
    assert p3.properties["mesh_dimension"] == 3
    assert p3.properties["predicted_cg_iterations"] < P.AMG_CG_EQUIV
    p2 = sk.plan(_poisson2d(400))
    assert (p2.method, p2.precond) == ("cg", "amg")
    assert p2.properties["predicted_cg_iterations"] > P.AMG_CG_EQUIV
    assert any("cost estimate" in r for r in p2.reasons)


def test_mid_2d_spd_and_many_rhs_go_direct():
    A = _poisson2d(100)
    assert sk.plan(A).method == "direct"
    big = _poisson2d(int(np.sqrt(P.DIRECT_MAX_N_2D)) + 20)  # just above the crossover
    assert sk.plan(big).method == "cg"
    assert sk.plan(big, np.ones((big.shape[0], 10))).method == "direct"


def test_cached_factorization_is_reported_and_reused():
    A = _poisson2d(300)
    assert sk.plan(A).properties["cached"]["factorization"] is False
    sk.factorize(A)
    p = sk.plan(A)
    assert p.method == "direct" and p.properties["cached"]["factorization"]
    assert any("cached" in r for r in p.reasons)


def test_nonsymmetric_and_indefinite(real):
    assert sk.plan(real("bayer10")).method == "direct"
    A = -_poisson2d(200)
    assert sk.plan(A).method == "minres"


def test_laplacian_is_recognised():
    G = _poisson2d(200)
    W = sp.diags_array(G.diagonal()) - G  # grid adjacency
    L = sp.csr_array(sp.diags_array(np.asarray(W.sum(axis=1)).ravel()) - W)
    p = sk.plan(L)
    assert p.properties["laplacian"] and p.method == "cg"
    assert any("Laplacian" in r for r in p.reasons)


def test_rectangular_and_operator():
    A = sp.random_array((500, 40), density=0.1, rng=0)
    assert sk.plan(A).method == "dense"
    wide = sp.random_array((6000, 3000), density=0.001, rng=0)
    assert sk.plan(wide).method == "lsmr"
    op = spla.aslinearoperator(_poisson2d(5))
    assert sk.plan(op).method == "gmres"


def test_eigsh_task_delegates(monkeypatch):
    from sparsekit.linalg import _eigen as eigen

    calls = {}

    def fake(A, **kw):
        calls.update(kw)
        return sk.Plan("eigsh", "lobpcg", "amg", "scipy")

    monkeypatch.setattr(eigen, "plan_eigsh", fake, raising=False)
    p = sk.plan(_poisson2d(5), task="eigsh", k=3, sigma=0.5)
    assert p.method == "lobpcg" and calls == {"k": 3, "which": None, "sigma": 0.5,
                                              "M": None}
    with pytest.raises(sk.UnknownMethodError, match="solve"):
        sk.plan(_poisson2d(5), task="svd")


def test_plan_checks_b_as_solve_does():
    A = sk.poisson((6, 6))
    with pytest.raises(sk.ShapeError, match=r"\(36,\)"):
        sk.plan(A, np.ones(35))
    with pytest.raises(sk.InputValueError, match="NaN"):
        sk.plan(A, np.full(36, np.nan))
    assert sk.plan(A, np.ones((36, 4))).properties["nrhs"] == 4


def test_plan_of_an_empty_and_a_half_precision_matrix():
    p = sk.plan(sp.csr_array((0, 0)), np.zeros(0))
    assert p.method == sk.solve(sp.csr_array((0, 0)), np.zeros(0)).method == "dense"
    A16 = (sk.poisson((5, 5)).toarray() + np.eye(25)).astype(np.float16)
    assert sk.plan(A16).method == sk.solve(A16, np.ones(25)).method


def _grid_laplacian(m):
    G = _poisson2d(m)
    W = sp.diags_array(G.diagonal()) - G  # grid adjacency
    return sp.csr_array(sp.diags_array(np.asarray(W.sum(axis=1)).ravel()) - W)


def test_large_laplacian_goes_to_approx_chol(monkeypatch):
    L = _grid_laplacian(60)  # 3,600 nodes; the threshold lowered to it
    assert sk.plan(L).precond != "approx_chol"  # below AC_MIN_N
    monkeypatch.setattr(P, "AC_MIN_N", 3000)
    p = sk.plan(L)
    assert (p.method, p.precond) == ("cg", "approx_chol")
    assert any("approximate Cholesky" in r and "3000" in r for r in p.reasons)
    b = np.random.default_rng(0).standard_normal(L.shape[0])
    b -= b.mean()
    r = sk.solve(L, b, rtol=1e-10)
    assert (r.method, r.precond) == ("cg", "approx_chol") and r.converged
    x = np.zeros(L.shape[0])
    x[1:] = spla.spsolve(sp.csc_array(L[1:, 1:]), b[1:])  # grounded direct reference
    np.testing.assert_allclose(r.x - r.x.mean(), x - x.mean(), rtol=1e-6, atol=1e-7)


def test_approx_chol_rule_does_not_fire_on_poisson(monkeypatch):
    monkeypatch.setattr(P, "AC_MIN_N", 1000)
    for A in (_poisson2d(400), _poisson3d(40)):  # SDDM, but not Laplacians: AMG or plain CG
        p = sk.plan(A)
        assert p.precond != "approx_chol" and not p.properties["laplacian"]
    f = P._facts(_poisson3d(40), INSPECT.inspect_matrix(_poisson3d(40), components=False), 1,
                 1e-8, None, {"laplacian": False, "n_components": 1}, {"dense": 0.0})
    assert P._rule_laplacian(f) is None


def test_approx_chol_unavailable_falls_back_to_amg(monkeypatch):
    import sys

    monkeypatch.setattr(P, "AC_MIN_N", 3000)
    monkeypatch.setitem(sys.modules, "approx_chol", None)
    L = _grid_laplacian(60)
    p = sk.plan(L)
    assert p.precond in ("amg", "none", "jacobi") and p.method == "cg"
    assert any("approx-chol is not importable" in r for r in p.reasons)
    b = np.random.default_rng(0).standard_normal(L.shape[0])
    r = sk.solve(L, b - b.mean())
    assert r.converged and r.precond != "approx_chol"
