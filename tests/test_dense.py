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


# --------------------------------------------------------------------------- issue 25: the
# dense comparison path completed (qr, det, slogdet, pinv, matrix_rank, cond, inv)


def _stack(count=5, m=7, n=7, seed=4):
    return np.random.default_rng(seed).standard_normal((count, m, n))


def test_qr_vs_numpy_all_modes_and_stacks():
    for shape in [(9, 5), (5, 9), (4, 9, 5)]:
        A = np.random.default_rng(5).standard_normal(shape)
        for mode in ("reduced", "complete"):
            Q, R = sk.dense.qr(A, mode=mode)
            Qn, Rn = np.linalg.qr(A, mode=mode)
            np.testing.assert_allclose(np.abs(R), np.abs(Rn), atol=1e-12)
            np.testing.assert_allclose(Q @ R, A, atol=1e-12)
            assert Q.shape == Qn.shape
        r = sk.dense.qr(A, mode="r")
        assert r.Q is None
        np.testing.assert_allclose(np.abs(r.R), np.abs(np.linalg.qr(A, mode="r")), atol=1e-12)
    Q, R = sk.dense.qr(sp.csr_array(np.eye(3)))
    np.testing.assert_allclose(np.abs(Q @ R), np.eye(3))
    with pytest.raises(sk.UnknownMethodError):
        sk.dense.qr(np.eye(3), mode="raw")


def test_det_and_slogdet_vs_numpy(real):
    S = _stack()
    np.testing.assert_allclose(sk.dense.det(S), np.linalg.det(S), rtol=1e-12)
    sign, logdet = sk.dense.slogdet(S)
    ref = np.linalg.slogdet(S)
    np.testing.assert_array_equal(sign, ref.sign)
    np.testing.assert_allclose(logdet, ref.logabsdet, rtol=1e-12)
    A = real("494_bus")  # SPD: logdet also from the Cholesky factor
    r = sk.dense.slogdet(A)
    assert r.sign == 1.0
    assert r.logabsdet == pytest.approx(sk.dense.cholesky(A).logdet, rel=1e-12)
    # slogdet keeps what det loses to underflow
    assert sk.dense.det(0.1 * np.eye(400)) == 0.0
    assert sk.dense.slogdet(0.1 * np.eye(400)).logabsdet == pytest.approx(400 * np.log(0.1))
    singular = np.array([[1.0, 2.0], [2.0, 4.0]])
    assert sk.dense.slogdet(singular).sign == 0 and sk.dense.slogdet(singular).logabsdet == -np.inf
    with pytest.raises(sk.NotSquareError):
        sk.dense.det(np.ones((2, 3)))


def test_pinv_vs_numpy():
    rng = np.random.default_rng(6)
    for shape in [(8, 5), (5, 8), (3, 6, 4)]:
        A = rng.standard_normal(shape)
        np.testing.assert_allclose(sk.dense.pinv(A), np.linalg.pinv(A), atol=1e-12)
    low = rng.standard_normal((8, 2)) @ rng.standard_normal((2, 6))
    np.testing.assert_allclose(sk.dense.pinv(low, rtol=1e-10), np.linalg.pinv(low, rcond=1e-10),
                               atol=1e-12)
    H = low @ low.T
    np.testing.assert_allclose(sk.dense.pinv(H, hermitian=True, rcond=1e-10),
                               np.linalg.pinv(H, rcond=1e-10, hermitian=True), atol=1e-10)
    with pytest.raises(sk.InputValueError, match="not both"):
        sk.dense.pinv(low, rcond=1e-3, rtol=1e-3)
    with pytest.raises(sk.InputValueError, match="rtol"):
        sk.dense.pinv(low, rtol=-1.0)


def test_matrix_rank_vs_numpy(real):
    rng = np.random.default_rng(7)
    stack = np.stack([rng.standard_normal((9, r)) @ rng.standard_normal((r, 7))
                      for r in range(1, 6)])
    np.testing.assert_array_equal(sk.dense.matrix_rank(stack), np.linalg.matrix_rank(stack))
    A = real("illc1033")
    assert sk.dense.matrix_rank(A) == np.linalg.matrix_rank(A.toarray())
    D = np.diag([1.0, 1e-3, 1e-7, 0.0])
    assert sk.dense.matrix_rank(D) == np.linalg.matrix_rank(D) == 3
    assert sk.dense.matrix_rank(D, tol=1e-5) == np.linalg.matrix_rank(D, tol=1e-5) == 2
    assert sk.dense.matrix_rank(D, rtol=1e-2) == 1
    assert sk.dense.matrix_rank(D, hermitian=True) == np.linalg.matrix_rank(D, hermitian=True)
    with pytest.raises(sk.InputValueError, match="Hermitian"):
        sk.dense.matrix_rank(np.triu(np.ones((3, 3))), hermitian=True)
    with pytest.raises(sk.InputValueError, match="tol"):
        sk.dense.matrix_rank(D, tol=np.nan)


@pytest.mark.parametrize("p", [None, 1, -1, 2, -2, np.inf, -np.inf, "fro"])
def test_cond_vs_numpy_every_norm(real, p):
    S = _stack()
    np.testing.assert_allclose(sk.dense.cond(S, p), np.linalg.cond(S, p), rtol=1e-10)
    A = real("west0479")
    assert sk.dense.cond(A, p) == pytest.approx(np.linalg.cond(A.toarray(), p), rel=1e-6)


def test_cond_singular_rectangular_and_bad_p():
    assert sk.dense.cond(np.array([[1.0, 2.0], [2.0, 4.0]]), 1) == np.inf
    R = np.random.default_rng(8).standard_normal((7, 3))
    assert sk.dense.cond(R) == pytest.approx(np.linalg.cond(R))
    with pytest.raises(sk.NotSquareError):
        sk.dense.cond(R, 1)
    for p in (3, "nuc", True):
        with pytest.raises(sk.InputValueError, match="p must"):
            sk.dense.cond(np.eye(2), p)


def test_inv_warns_points_to_solve_and_agrees_with_numpy():
    S = _stack()
    with pytest.warns(UserWarning, match=r"sk\.dense\.solve"):
        Ainv = sk.dense.inv(S)
    np.testing.assert_allclose(Ainv, np.linalg.inv(S), rtol=1e-10, atol=1e-12)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sk.dense.inv(sla.hilbert(14))
    kinds = {type(w.message) for w in caught}
    assert kinds == {UserWarning, sk.IllConditionedWarning}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(sk.SingularMatrixError, match="pinv"):
            sk.dense.inv(np.array([[1.0, 2.0], [2.0, 4.0]]))
        with pytest.raises(sk.NotSquareError):
            sk.dense.inv(np.ones((2, 3)))


def test_inv_of_a_sparse_matrix_beyond_the_memory_guard():
    A = sp.eye_array(40_000, format="csr")  # A and A⁻¹ dense: 2 x 12 GiB
    with pytest.raises(sk.DenseTooLargeError, match=r"23\.8 GiB.*sk\.factorize"):
        sk.dense.inv(A)
    with pytest.raises(sk.DenseTooLargeError, match="max_bytes"):
        sk.dense.inv(np.eye(100), max_bytes=100 * 100 * 8)  # one copy fits, two do not


@pytest.mark.parametrize("bad", [np.nan, -1.0, "2GiB", True, None])
def test_max_bytes_must_be_a_number(bad):
    if bad is None:  # None is the default limit
        assert sk.dense.solve(np.eye(2), np.ones(2), max_bytes=bad).converged
        return
    for fn in (lambda: sk.dense.solve(np.eye(2), np.ones(2), max_bytes=bad),
               lambda: sk.dense.det(np.eye(2), max_bytes=bad),
               lambda: sk.dense.svd(np.eye(2), max_bytes=bad)):
        with pytest.raises(sk.InputValueError, match="max_bytes"):
            fn()


def test_max_bytes_nan_no_longer_disables_the_guard():
    A = sp.eye_array(50_000, format="csr")
    with pytest.raises(sk.InputValueError, match="NaN"):
        sk.dense.solve(A, np.ones(50_000), max_bytes=float("nan"))
    assert sk.dense.det(np.eye(3), max_bytes=float("inf")) == 1.0


def test_new_functions_refuse_non_finite_entries():
    bad = np.array([[1.0, np.inf], [0.0, 1.0]])
    for fn in (sk.dense.qr, sk.dense.det, sk.dense.slogdet, sk.dense.pinv, sk.dense.matrix_rank,
               sk.dense.cond):
        with pytest.raises(sk.InputValueError, match="NaN or Inf"):
            fn(bad)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(sk.InputValueError, match="NaN or Inf"):
            sk.dense.inv(bad)


def test_eigh_memory_guard_refuses_nan_and_negative_limits():
    A = np.diag([3.0, 1.0, 2.0])
    for bad in (float("nan"), -1, "big"):
        with pytest.raises(sk.InputValueError, match="max_bytes"):
            sk.dense.eigh(A, 2, max_bytes=bad)
    np.testing.assert_allclose(sk.dense.eigh(A, 2, max_bytes=float("inf")).values, [1.0, 2.0])
    with pytest.raises(sk.DenseTooLargeError):
        sk.dense.eigh(A, 2, max_bytes=8)
