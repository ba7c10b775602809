import warnings

import numpy as np
import pytest
import scipy.linalg as sla
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

import sparsekit as sk
from sparsekit.linalg import _dense_eigh, dense


@pytest.fixture(autouse=True)
def _one_blas_thread():
    with threadpool_limits(1, user_api="blas"):  # dense references: no thread contention
        yield


def _spd(n, seed=0):
    R = np.random.default_rng(seed).standard_normal((n, n))
    return R @ R.T + n * np.eye(n)


def test_solve_general_and_spd_vs_numpy():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((50, 50)) + 10 * np.eye(50)
    b = rng.standard_normal(50)
    r = sk.dense.solve(A, b)
    np.testing.assert_allclose(r.x, np.linalg.solve(A, b), rtol=1e-10)
    assert r.converged and r.method == "dense" and "LU" in r.notes[0]
    S = _spd(40)
    B = rng.standard_normal((40, 3))
    r2 = sk.dense.solve(S, B)
    assert "Cholesky" in r2.notes[0]
    np.testing.assert_allclose(r2.x, np.linalg.solve(S, B), rtol=1e-10)
    r3 = sk.dense.solve(sp.csr_array(S), B, assume_a="gen")
    np.testing.assert_allclose(r3.x, r2.x, rtol=1e-10)


def test_batched_channels_without_loop_vs_numpy():
    rng = np.random.default_rng(1)
    H = rng.standard_normal((10000, 8, 8)) + 8 * np.eye(8)
    y = rng.standard_normal((10000, 8))
    r = sk.dense.solve(H, y)
    np.testing.assert_allclose(r.x, np.linalg.solve(H, y[..., None])[..., 0], rtol=1e-9)
    assert r.x.shape == (10000, 8) and r.converged
    Y = rng.standard_normal((10000, 8, 2))
    np.testing.assert_allclose(sk.dense.solve(H, Y).x, np.linalg.solve(H, Y), rtol=1e-9)
    S = np.stack([_spd(6, s) for s in range(20)])
    np.testing.assert_allclose(sk.dense.solve(S, np.ones((20, 6))).x,
                               np.linalg.solve(S, np.ones((20, 6, 1)))[..., 0], rtol=1e-10)


def test_ill_conditioned_warns_well_conditioned_does_not():
    H = sla.hilbert(14)  # cond ~ 1e17
    with pytest.warns(sk.IllConditionedWarning, match="condition number"):
        sk.dense.solve(H, np.ones(14))
    stack = np.stack([np.eye(4), sla.hilbert(4) * 0 + np.diag([1, 1, 1, 1e-15])])
    with pytest.warns(sk.IllConditionedWarning, match="1 of 2"):
        sk.dense.solve(stack, np.ones((2, 4)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sk.dense.solve(_spd(30), np.ones(30))


def test_singular_is_an_error():
    A = np.array([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(sk.SingularMatrixError, match="lstsq"):
        sk.dense.solve(A, np.ones(2), assume_a="gen")
    with pytest.raises(sk.SingularMatrixError):
        sk.dense.solve(np.stack([np.eye(2), np.zeros((2, 2))]), np.ones((2, 2)))


def test_memory_guard_says_how_much():
    A = sp.eye_array(50_000, format="csr")
    with pytest.raises(sk.DenseTooLargeError, match=r"18\.6 GiB"):
        sk.dense.solve(A, np.ones(50_000))
    with pytest.raises(sk.DenseTooLargeError, match="max_bytes"):
        sk.dense.solve(np.eye(10), np.ones(10), max_bytes=100)
    r = sk.dense.solve(np.eye(10), np.ones(10), max_bytes=1000)
    np.testing.assert_allclose(r.x, np.ones(10))


def test_lstsq_vs_numpy_and_batched():
    rng = np.random.default_rng(2)
    A = rng.standard_normal((30, 5))
    b = rng.standard_normal(30)
    r = sk.dense.lstsq(A, b)
    np.testing.assert_allclose(r.x, np.linalg.lstsq(A, b, rcond=None)[0], rtol=1e-10)
    assert r.converged and "rank 5" in r.notes[0]
    As = rng.standard_normal((7, 12, 4))
    bs = rng.standard_normal((7, 12))
    ref = np.stack([np.linalg.lstsq(As[i], bs[i], rcond=None)[0] for i in range(7)])
    np.testing.assert_allclose(sk.dense.lstsq(As, bs).x, ref, rtol=1e-9)


def test_cholesky_vs_numpy():
    S = np.stack([_spd(5, s) for s in range(4)])
    C = sk.dense.cholesky(S)
    np.testing.assert_allclose(C.factor, np.linalg.cholesky(S), rtol=1e-12)
    np.testing.assert_allclose(C.logdet, np.linalg.slogdet(S)[1], rtol=1e-12)
    b = np.ones((4, 5))
    np.testing.assert_allclose(C.solve(b), np.linalg.solve(S, b[..., None])[..., 0], rtol=1e-10)
    U = sk.dense.cholesky(S[0], lower=False)
    np.testing.assert_allclose(U.factor.T @ U.factor, S[0], rtol=1e-12)
    np.testing.assert_allclose(U.solve(np.ones(5)), np.linalg.solve(S[0], np.ones(5)))
    with pytest.raises(sk.NotSPDError):
        sk.dense.cholesky(-S[0])
    with pytest.raises(sk.NotSymmetricError):
        sk.dense.cholesky(np.triu(S[0]))


def test_svd_vs_numpy():
    A = np.random.default_rng(3).standard_normal((6, 9, 4))
    s = sk.dense.svd(A)
    np.testing.assert_allclose(s.s, np.linalg.svd(A, compute_uv=False), rtol=1e-12)
    np.testing.assert_allclose((s.U * s.s[..., None, :]) @ s.Vh, A, atol=1e-12)
    assert sk.dense.svd(A[0], compute_uv=False).U is None


def test_eigh_is_the_shared_dense_eigensolver():
    assert dense.eigh is _dense_eigh.eigh
    w = sk.dense.eigh(np.diag([3.0, 1.0, 2.0]), k=2).values
    np.testing.assert_allclose(w, [1.0, 2.0])


def test_bad_inputs():
    with pytest.raises(sk.NotSquareError):
        sk.dense.solve(np.ones((3, 4)), np.ones(3))
    with pytest.raises(sk.ShapeError):
        sk.dense.solve(np.eye(3), np.ones(4))
    with pytest.raises(sk.InputValueError, match="NaN"):
        sk.dense.solve(np.array([[1.0, np.nan], [0.0, 1.0]]), np.ones(2))
    with pytest.raises(sk.InputValueError):
        sk.dense.solve(np.eye(2), np.ones(2), assume_a="tri")
    with pytest.raises(sk.NotSPDError):
        sk.dense.solve(-np.eye(3), np.ones(3), assume_a="pos")
