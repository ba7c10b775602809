"""sparsekit's CG kernel (``linalg/_cg.py``) against SciPy's ``cg`` and dense solves."""

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import sparsekit as sk
from sparsekit.linalg import _cg


def _poisson(m, dim):
    T = sp.diags_array([-1.0, 2.0, -1.0], offsets=[-1, 0, 1], shape=(m, m))
    eye = sp.eye_array(m)
    if dim == 2:
        return (sp.kron(T, eye) + sp.kron(eye, T)).tocsr()
    return (sp.kron(sp.kron(T, eye), eye) + sp.kron(sp.kron(eye, T), eye)
            + sp.kron(sp.kron(eye, eye), T)).tocsr()


def _counted(fn, A, b, **kw):
    calls = []
    x, info = fn(A, b, callback=lambda xk: calls.append(1), **kw)
    return x, info, len(calls)


def _jacobi(A):
    d = A.diagonal()
    return spla.LinearOperator(A.shape, matvec=lambda r: r / d, dtype=np.float64)


@pytest.mark.parametrize("case", ["plain", "jacobi", "x0", "maxiter", "atol"])
def test_same_iterates_as_scipy_cg(case):
    A = _poisson(24, 2)
    rng = np.random.default_rng(1)
    b = rng.standard_normal(A.shape[0])
    kw = {"rtol": 1e-9}
    if case == "jacobi":
        A = (A + sp.diags_array(rng.uniform(0, 3, A.shape[0]))).tocsr()
        kw["M"] = _jacobi(A)
    elif case == "x0":
        kw["x0"] = rng.standard_normal(A.shape[0])
    elif case == "maxiter":
        kw["maxiter"] = 7
    elif case == "atol":
        kw.update(rtol=0.0, atol=1e-3)
    ref, info_ref, its_ref = _counted(spla.cg, A, b, **kw)
    x, info, its = _counted(_cg.cg, A, b, **kw)
    assert (info, its) == (info_ref, its_ref)
    assert np.linalg.norm(x - ref) <= 1e-9 * np.linalg.norm(ref)
    if case != "maxiter":
        dense = np.linalg.solve(A.toarray(), b)
        assert np.linalg.norm(b - A @ x) <= max(kw["rtol"] * np.linalg.norm(b), kw.get("atol", 0))
        assert np.linalg.norm(x - dense) <= 1e-3 * np.linalg.norm(dense) or case == "atol"


def test_does_not_touch_x0_and_zero_rhs():
    A = _poisson(10, 2)
    x0 = np.ones(A.shape[0])
    x, info = _cg.cg(A, np.ones(A.shape[0]), x0.copy(), rtol=1e-8)
    assert info == 0 and np.all(x0 == 1)
    x, info = _cg.cg(A, np.zeros(A.shape[0]), x0, rtol=1e-8)
    assert info == 0 and not x.any()  # SciPy's answer to b = 0 as well
    assert np.all(x0 == 1)


def test_breakdown_is_reported():
    A = sp.csr_array((5, 5))  # p^T A p = 0 at once
    x, info = _cg.cg(A, np.ones(5), rtol=1e-8)
    assert info == -1
    with pytest.warns(sk.ConvergenceWarning):
        r = sk.solve(A, np.ones(5), method="cg", precond="none", check=False)
    assert not r.converged


def test_exact_solution_with_zero_tolerance_is_converged():
    # a diagonal system is solved exactly in one step; with rtol = atol = 0 the residual 0
    # must read as converged, not as the breakdown p = 0 that the next step would meet
    A = sp.diags_array(np.full(6, 2.0)).tocsr()
    x, info = _cg.cg(A, np.ones(6), rtol=0.0)
    assert info == 0 and np.array_equal(x, np.full(6, 0.5))


def test_indefinite_preconditioner_breaks_down_instead_of_dividing_by_zero():
    # M = diag(1, -1): r = (1, 1) gives rᵀ M r = 0 at the first step
    A = sp.diags_array([1.0, 3.0]).tocsr()
    M = spla.LinearOperator((2, 2), matvec=lambda r: r * np.array([1.0, -1.0]),
                            dtype=np.float64)
    x, info = _cg.cg(A, np.ones(2), rtol=1e-10, M=M)
    assert info == -1
    assert np.all(np.isfinite(x))


def test_applies_to_real_double_only():
    A = _poisson(4, 2)
    b = np.ones(A.shape[0])
    assert _cg.applies(A, b, None, None)
    assert not _cg.applies(A.astype(np.complex128), b, None, None)
    assert not _cg.applies(A, b.astype(np.float32), None, None)
    assert not _cg.applies(A, b, b + 1j, None)


@pytest.mark.parametrize("dim,m", [(2, 30), (3, 12)])
def test_diagonal_product_matches_csr(dim, m):
    A = _poisson(m, dim)
    A.data = np.random.default_rng(2).standard_normal(A.nnz)  # not a constant stencil
    into = _cg.diagonal_product(A)
    assert into is not None
    p = np.random.default_rng(3).standard_normal(A.shape[0])
    q = np.full(A.shape[0], np.nan)
    into(p, q)
    np.testing.assert_allclose(q, A @ p, rtol=1e-13, atol=1e-13)


def test_diagonal_product_refuses_unstructured_and_padded():
    R = sp.random_array((2000, 2000), density=0.01, random_state=4, format="csr")
    R = (R + sp.eye_array(2000)).tocsr()
    assert _cg.diagonal_product(R) is None  # hundreds of diagonals
    # two diagonals, one of them a single entry: storing both costs ~2x the entries
    corner = sp.csr_array(([1.0] * 1000 + [1.0], (list(range(1000)) + [999],
                                                  list(range(1000)) + [0])), shape=(1000, 1000))
    assert _cg.diagonal_product(corner) is None
    D = _poisson(8, 2)
    D.has_canonical_format = False
    assert _cg.diagonal_product(D) is None


def test_long_run_switches_to_diagonal_storage(monkeypatch):
    A = _poisson(16, 3)  # n = 4096, about 50 iterations to 1e-10
    b = np.random.default_rng(5).standard_normal(A.shape[0])
    built = []

    def spy(M):
        built.append(M.shape)
        return real(M)

    real = _cg.diagonal_product
    monkeypatch.setattr(_cg, "DIA_MIN_N", 1000)
    monkeypatch.setattr(_cg, "diagonal_product", spy)
    ref, info_ref, its_ref = _counted(spla.cg, A, b, rtol=1e-10)
    x, info, its = _counted(_cg.cg, A, b, rtol=1e-10)
    assert built == [A.shape]
    assert (info, its) == (info_ref, its_ref)
    assert np.linalg.norm(x - ref) <= 1e-8 * np.linalg.norm(ref)



def test_long_run_extrapolates_the_residual_reduction():
    # 16 steps took the residual from 1 to 1e-3: about 27 more to 1e-8, 2 more to 1e-4
    assert _cg._long_run(1.0, 1e-3, 1e-8, 16)
    assert not _cg._long_run(1.0, 1e-3, 1e-4, 16)
    assert _cg._long_run(1.0, 1.5, 1e-8, 16)  # no progress: long
    assert not _cg._long_run(1.0, 1e-9, 1e-8, 16)  # done


def test_sk_solve_runs_the_kernel():
    A = _poisson(20, 2)
    b = np.random.default_rng(6).standard_normal(A.shape[0])
    _, _, its_ref = _counted(spla.cg, A, b, rtol=1e-8)
    r = sk.solve(A, b, method="cg", precond="none", rtol=1e-8)
    assert r.converged and r.iterations == its_ref
    assert r.relative_residual <= 1e-8
