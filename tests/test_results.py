import dataclasses

import numpy as np
import pytest

import sparsekit as sk


def test_results_are_frozen_and_readable():
    r = sk.SolveResult(x=np.zeros(3), converged=False, iterations=7,
                       residuals=np.array([1.0, 0.1]), relative_residual=0.1,
                       method="cg", precond="amg", timings={"setup": 0.1, "solve": 0.2},
                       notes=("fell back",))
    text = repr(r)
    assert "NOT converged" in text and "'cg'" in text and "1.000e-01" in text
    assert "fell back" in text and len(text.splitlines()) < 20
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.converged = True


def test_eigen_result_repr_and_all_converged():
    e = sk.EigenResult(values=np.arange(10.0), vectors=np.zeros((5, 10)),
                       residuals=np.full(10, 1e-9), converged=np.ones(10, bool),
                       method="lobpcg", tol=1e-6)
    assert e.all_converged
    assert "10/10 converged" in repr(e) and "..." in repr(e)


def test_plan_repr_lists_reasons_and_memory():
    p = sk.Plan("solve", "cg", "amg", "scipy", reasons=("SPD", "large"),
                memory={"dense": 2**30})
    assert "- SPD" in repr(p) and "1.0 GiB" in repr(p)


# ---------------------------------------------------------------- SciPy-style unpacking (issue 23)


def test_eigen_result_unpacks_like_scipy_eigsh():
    # against numpy's eigh of the same matrix: w, v = eigsh(...) as in SciPy
    from sparsekit.linalg._eigen import eigs

    A = np.diag([4.0, 1.0, 3.0, 2.0, 6.0, 5.0])
    w, v = sk.eigsh(A, k=2)
    np.testing.assert_allclose(w, np.linalg.eigvalsh(A)[:2])
    np.testing.assert_allclose(np.abs(v.T @ A @ v), np.diag(w), atol=1e-12)
    r = sk.eigsh(A, k=2)
    assert isinstance(r, sk.EigenResult) and "converged" in repr(r)  # still the rich object
    w, v = eigs(A + np.triu(np.ones((6, 6)), 1), k=2, which="LM")
    np.testing.assert_allclose(np.sort(w.real), [5.0, 6.0])


def test_svds_result_unpacks_like_scipy_svds():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((30, 20))
    u, s, vh = sk.svds(A, k=3)
    s_ref = np.linalg.svd(A, compute_uv=False)
    np.testing.assert_allclose(s, s_ref[:3])
    np.testing.assert_allclose(A @ vh.T, u * s, atol=1e-10)


def test_solve_result_unpacks_to_x_and_scipys_info():
    e = sk.SolveResult(x=np.ones(3), converged=True, iterations=7,
                       residuals=np.array([1.0, 1e-9]), relative_residual=1e-9, method="cg")
    x, info = e
    assert info == 0 and x is e.x
    # not converged: SciPy's info > 0 is the number of iterations done
    e = sk.SolveResult(x=np.ones(3), converged=False, iterations=7, residuals=np.ones(1),
                       relative_residual=0.1, method="cg")
    assert tuple(e)[1] == 7 == e.info
    # a direct solve whose true residual misses the tolerance did 0 iterations: it reads 1
    e = sk.SolveResult(x=np.ones(3), converged=False, iterations=0, residuals=np.ones(1),
                       relative_residual=0.1, method="direct")
    assert e.info == 1
    e = sk.SolveResult(x=np.ones(3), converged=False, iterations=4, residuals=np.ones(1),
                       relative_residual=0.1, method="bicgstab", breakdown=True)
    assert e.info == -1 and "NOT converged" in repr(e)
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.breakdown = False


def test_solve_unpacks_like_scipy_cg():
    import scipy.sparse.linalg as spla

    A = sk.poisson((30,))
    b = np.ones(30)
    x, info = sk.solve(A, b, method="cg", rtol=1e-10)
    x_ref, info_ref = spla.cg(A, b, rtol=1e-10)
    assert info == info_ref == 0
    np.testing.assert_allclose(x, x_ref, rtol=1e-8)
    with pytest.warns(sk.ConvergenceWarning):
        x, info = sk.solve(A, b, method="cg", precond="none", rtol=1e-14, maxiter=2)
    assert info == 2  # SciPy's convention: the iterations done without converging
