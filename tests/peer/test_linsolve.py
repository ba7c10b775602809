"""SciPy's direct-solver tests, ported to ``sk.factorize``, ``sk.solve(method="direct")``
and ``sk.preconditioner(kind="ilu")``.

Source: ``scipy/sparse/linalg/_dsolve/tests/test_linsolve.py`` (SciPy 1.17):
``TestFactorized`` (``factorized``), ``TestLinsolve`` (``spsolve``) and
``TestSplu`` (``splu``, ``spilu``); every test names the one it ports.

Deliberate differences (each asserted below):

* an exactly singular matrix raises :class:`~sparsekit.SingularMatrixError`
  (a ``ValueError``; its message carries SuperLU's "Factor is exactly
  singular"), where ``splu``/``factorized`` raise ``RuntimeError`` and
  ``spsolve`` returns NaN with a warning;
* a complex right-hand side on a real factorization is solved (real and
  imaginary parts apart), where SciPy raises ``TypeError``;
* a sparse right-hand side gives a dense ``x`` (``spsolve`` keeps it sparse);
* ``sk.solve`` judges a single-precision direct solve against ``rtol`` like any
  other: the ports pass the tolerance SciPy's assertion uses.

Not ported: the UMFPACK variants (not a sparsekit engine), ``_superlu.gssv``
and ``gstrs`` argument checks and ``spsolve_triangular``/``is_sptriangular``/
``spbandwidth`` (private or not sparsekit API), the CPython refcount check.
"""

import threading

import numpy as np
import pytest
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import sparsekit as sk

SOURCE = "scipy/sparse/linalg/_dsolve/tests/test_linsolve.py"


def _banded(n):
    d = np.arange(n) + 1
    return sp.dia_array(((d, 2 * d, d[::-1]), (-3, 0, 5)), shape=(n, n)).tocsc()


# --------------------------------------------------------------------------- TestFactorized


def test_factorized_singular():
    """TestFactorized.test_singular_without_umfpack: SingularMatrixError, SuperLU's words."""
    with pytest.raises(sk.SingularMatrixError, match="Factor is exactly singular"):
        sk.factorize(sp.csc_array((5, 5), dtype="d"))(np.ones(5))


def test_factorized_non_singular():
    """TestFactorized.test_non_singular_without_umfpack: F(b) as splu's solve."""
    a = sp.csc_array(np.random.default_rng(14332).random((5, 5)))
    b = np.ones(5)
    np.testing.assert_array_almost_equal(sk.factorize(a)(b), spla.splu(a).solve(b))


def test_factorized_nonsquare():
    """TestFactorized.test_cannot_factorize_nonsquare_matrix_without_umfpack."""
    with pytest.raises(sk.NotSquareError, match="square"):
        sk.factorize(_banded(5)[:, :4])


def test_factorized_incorrectly_sized_rhs():
    """TestFactorized.test_call_with_incorrectly_sized_matrix_without_umfpack."""
    solve = sk.factorize(_banded(5))
    rng = np.random.default_rng(230498)
    for b in (rng.random(4), rng.random((4, 3)), rng.random((5, 3, 9))):
        with pytest.raises(ValueError, match="shape"):
            solve(b)


def test_factorized_complex_rhs_on_real_factors():
    """TestFactorized.test_call_with_cast_to_complex_without_umfpack (a difference: solved)."""
    A = _banded(5)
    solve = sk.factorize(A)
    b = np.random.default_rng(23454).random(5)
    for t in (np.complex64, np.complex128):
        bc = (b + 1j * b[::-1]).astype(t)
        np.testing.assert_allclose(solve(bc), np.linalg.solve(A.toarray(), bc), rtol=1e-6)


# --------------------------------------------------------------------------- TestLinsolve


def test_spsolve_singular():
    """TestLinsolve.test_singular: spsolve returns NaN; sparsekit refuses (a difference)."""
    with pytest.raises(sk.SingularMatrixError):
        sk.solve(sp.csc_array((5, 5), dtype="d"), np.arange(1.0, 6), method="direct")


def test_spsolve_singular_gh_3312():
    """TestLinsolve.test_singular_gh_3312: a matrix that once made SuperLU misuse LAPACK."""
    ij = np.array([(17, 0), (17, 6), (17, 12), (10, 13)], dtype=np.int32)
    v = np.array([0.284213, 0.94933781, 0.15767017, 0.38797296])
    A = sp.csc_array((v, ij.T), shape=(20, 20))
    with pytest.raises(sk.SingularMatrixError):
        sk.solve(A, np.arange(20.0), method="direct")


@pytest.mark.parametrize("fmt", ["csc", "csr"])
@pytest.mark.parametrize("idx_dtype", [np.int32, np.int64])
def test_spsolve_twodiags(fmt, idx_dtype):
    """TestLinsolve.test_twodiags: every dtype, both index widths, ‖b − A x‖ < 10 κ eps."""
    A = sp.dia_array(([[1, 2, 3, 4, 5], [6, 5, 8, 9, 10]], [0, 1]), shape=(5, 5)).asformat(fmt)
    cond = np.linalg.norm(A.toarray(), 2) * np.linalg.norm(sla.inv(A.toarray()), 2)
    for t in "fdFD":
        eps = np.finfo(t).eps
        b = np.array([1, 2, 3, 4, 5]).astype(t)
        Asp = A.astype(t)
        Asp.indices = Asp.indices.astype(idx_dtype, copy=False)
        Asp.indptr = Asp.indptr.astype(idx_dtype, copy=False)
        x = sk.solve(Asp, b, method="direct", rtol=10 * cond * eps / np.linalg.norm(b)).x
        assert np.linalg.norm(b - Asp @ x) < 10 * cond * eps


def test_spsolve_vector_and_matrix_rhs():
    """TestLinsolve.test_bvector_smoketest and test_bmatrix_smoketest (x dense here)."""
    As = sp.csc_array(np.array([[0.0, 1, 1], [1, 0, 1], [0, 0, 1]]))
    rng = np.random.default_rng(1234)
    x = rng.standard_normal(3)
    np.testing.assert_array_almost_equal(sk.solve(As, As @ x, method="direct").x, x)
    X = rng.standard_normal((3, 4))
    X2 = sk.solve(As, sp.csc_array(As @ X), method="direct").x
    assert isinstance(X2, np.ndarray)  # spsolve returns a sparse x here
    np.testing.assert_array_almost_equal(X2, X)


def test_spsolve_non_square():
    """TestLinsolve.test_non_square: a rectangular A, and b of the wrong length."""
    with pytest.raises(sk.NotSquareError):
        sk.solve(np.ones((3, 4)), np.ones((4, 1)), method="direct")
    with pytest.raises(sk.ShapeError):
        sk.solve(sp.csc_array(np.eye(3)), np.array([1.0, 2.0]), method="direct")


def test_spsolve_example_comparison():
    """TestLinsolve.test_example_comparison: against scipy.linalg.solve."""
    sM = sp.csr_array((np.array([1, 2, 3, -4, 5, 6]), (np.array([0, 0, 1, 2, 2, 2]),
                                                        np.array([0, 2, 2, 0, 1, 2]))),
                      shape=(3, 3), dtype=float)
    sN = sp.csr_array((np.ones(6), (np.array([0, 0, 1, 1, 0, 0]),
                                    np.array([0, 2, 1, 1, 0, 0]))), shape=(3, 3))
    X = sla.solve(sM.toarray(), sN.toarray())
    np.testing.assert_array_almost_equal(sk.solve(sM, sN, method="direct").x, X)


def test_spsolve_ndarray_support():
    """TestLinsolve.test_ndarray_support: a dense A."""
    A = np.array([[1.0, 2.0], [2.0, 0.0]])
    x = np.array([[1.0, 1.0], [0.5, -0.5]])
    b = np.array([[2.0, 0.0], [2.0, 2.0]])
    np.testing.assert_array_almost_equal(sk.solve(A, b, method="direct").x, x)


def test_spsolve_dtype_cast():
    """TestLinsolve.test_dtype_cast: real/complex A and b give a real/complex x."""
    A_real = sp.csr_array([[1, 2, 0], [0, 0, 3], [4, 0, 5]])
    A_complex = sp.csr_array([[1, 2, 0], [0, 0, 3], [4, 0, 5 + 1j]])
    b_real = np.array([1, 1, 1])
    b_complex = np.array([1, 1, 1]) + 1j * np.array([1, 1, 1])
    for A, b, kind in [(A_real, b_real, np.floating), (A_real, b_complex, np.complexfloating),
                       (A_complex, b_real, np.complexfloating),
                       (A_complex, b_complex, np.complexfloating)]:
        x = sk.solve(A, b, method="direct").x
        assert np.issubdtype(x.dtype, kind)
        np.testing.assert_allclose(A @ x, b, atol=1e-12)


def test_spsolve_singular_matrix_prints_nothing(capsys):
    """TestSplu.test_singular_matrix (gh-20993): no SuperLU output on a singular matrix."""
    A = sp.eye_array(10, format="lil")
    A[-1, -1] = 0
    with pytest.raises(sk.SingularMatrixError):
        sk.solve(sp.csr_array(A), np.zeros(10), method="direct")
    out, err = capsys.readouterr()
    assert out == "" and err == ""


# --------------------------------------------------------------------------- TestSplu

N = 40


def _smoke_matrix(dtype, idx_dtype):
    A = _banded(N)
    if np.issubdtype(dtype, np.complexfloating):
        A = A + 1j * A.T
    A = sp.csc_array(A.astype(dtype))
    A.indices = A.indices.astype(idx_dtype, copy=False)
    A.indptr = A.indptr.astype(idx_dtype, copy=False)
    return A


def _smoke_rhs(dtype, k, rng):
    b = rng.rand(N) if k is None else rng.rand(N, k)
    if np.issubdtype(dtype, np.complexfloating):
        b = b + 1j * rng.rand(*b.shape)
    return b.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
@pytest.mark.parametrize("idx_dtype", [np.int32, np.int64])
def test_splu_smoketest(dtype, idx_dtype):
    """TestSplu.test_splu_smoketest: A, Aᵀ and Aᴴ solves, 1-D and 2-D b, within 1e3 eps."""
    A = _smoke_matrix(dtype, idx_dtype)
    F = sk.factorize(A, kind="lu", cache=False)
    rng = np.random.RandomState(1234)
    eps = np.finfo(dtype).eps
    for k in [None, 1, 2, N, N + 2]:
        b = _smoke_rhs(dtype, k, rng)
        for trans, M in (("N", A), ("T", A.T), ("H", A.T.conj())):
            x = F.solve(b, trans)
            assert abs(M @ x - b).max() < 1e3 * eps, (k, trans)


def test_spilu_smoketest():
    """TestSplu.test_spilu_smoketest: ILU approximates A⁻¹ (error < 1e-2, applied and as its
    adjoint), and is not exact (over the double-precision runs, as there).  sparsekit's
    preconditioner applies M and Mᴴ, so there is no ``"T"`` solve."""
    errors = []
    for dtype in (np.float32, np.float64, np.complex64, np.complex128):
        for idx_dtype in (np.int32, np.int64):
            A = _smoke_matrix(dtype, idx_dtype)
            P = sk.preconditioner(A, "ilu", cache=False)
            op = P.aslinearoperator()
            rng = np.random.RandomState(1234)
            for k in [None, 1, 2, N, N + 2]:
                b = _smoke_rhs(dtype, k, rng)
                for x, M in ((P.solve(b), A),
                             (op.rmatvec(b) if k is None else op.rmatmat(b), A.T.conj())):
                    err = abs(M @ x - b).max()
                    assert err < 1e-2
                    if dtype in (np.float64, np.complex128):
                        errors.append(err)
    assert max(errors) > 1e-5


def test_spilu_drop_rule():
    """TestSplu.test_spilu_drop_rule: drop_rule as str, bytes or a list."""
    for rule in ["basic,area", b"basic,area", [b"basic", "area"]]:
        P = sk.preconditioner(sp.eye_array(2, format="csc"), "ilu", drop_rule=rule, cache=False)
        np.testing.assert_allclose(P.solve(np.ones(2)), np.ones(2))


def test_splu_and_spilu_nnz0():
    """TestSplu.test_splu_nnz0 and test_spilu_nnz0: an all-zero matrix."""
    A = sp.csc_array((5, 5), dtype="d")
    with pytest.raises(sk.SingularMatrixError):
        sk.factorize(A)
    with pytest.raises(sk.SingularMatrixError):
        sk.preconditioner(A, "ilu")


def test_splu_basic():
    """TestSplu.test_splu_basic: singular with a zero column, then diagonally dominant."""
    rng = np.random.RandomState(12)
    a = rng.rand(30, 30)
    a[a < 0.95] = 0
    a[:, 0] = 0
    with pytest.raises(sk.SingularMatrixError):
        sk.factorize(sp.csc_array(a))
    a += 4 * np.eye(30)
    x = sk.factorize(sp.csc_array(a)).solve(np.ones(30))
    np.testing.assert_almost_equal(a @ x, np.ones(30))


def test_splu_perm():
    """TestSplu.test_splu_perm: perm_r and perm_c are permutations; equal for symmetric A."""
    rng = np.random.default_rng(1342354)
    a = rng.random((30, 30))
    a[a < 0.95] = 0
    a += 4 * np.eye(30)
    F = sk.factorize(sp.csc_array(a), kind="lu", cache=False)
    for perm in (F.perm_r, F.perm_c):
        assert np.all(perm > -1) and np.all(perm < 30)
        assert len(np.unique(perm)) == len(perm)
    F = sk.factorize(sp.csc_array(a + a.T), kind="lu", cache=False)
    np.testing.assert_array_equal(F.perm_r, F.perm_c)


def test_splu_natural_permc():
    """TestSplu.test_natural_permc (splu part): ordering="NATURAL" leaves the columns."""
    rng = np.random.RandomState(42)
    n = 500
    A = sp.random(n, n, 0.01, random_state=rng)
    x = rng.rand(n)
    A_ = sp.csc_array(A + (n + 1) * sp.eye_array(n))
    b = A_ @ x
    F = sk.factorize(A_, kind="lu", cache=False)
    assert np.any(F.perm_c != np.arange(n))
    F = sk.factorize(A_, kind="lu", ordering="NATURAL", cache=False)
    np.testing.assert_array_equal(F.perm_c, np.arange(n))
    np.testing.assert_allclose(F.solve(b), x, rtol=1e-7)


def test_splu_bad_inputs():
    """TestSplu.test_bad_inputs: rectangular A; b of the wrong shape (complex b: solved)."""
    A = _banded(N)
    with pytest.raises(sk.NotSquareError):
        sk.factorize(A[:, :4])
    with pytest.raises(sk.NotSquareError):
        sk.preconditioner(A[:, :4], "ilu")
    F = sk.factorize(A, kind="lu", cache=False)
    P = sk.preconditioner(A, "ilu", cache=False)
    rng = np.random.default_rng(235634)
    for b in (rng.random(42), rng.random((42, 3)), rng.random((N, 3, 9))):
        with pytest.raises(ValueError):
            F.solve(b)
        with pytest.raises(ValueError):
            P.solve(b)


def test_superlu_dlamch_i386_nan():
    """TestSplu.test_superlu_dlamch_i386_nan: ILU in single precision leaves no NaN behind."""
    A = _banded(8).astype(np.float32)
    P = sk.preconditioner(A, "ilu", cache=False)
    assert not np.isnan(P.solve(np.ones(8, dtype=np.float32))).any()
    assert not np.isnan((A + 1j * A).toarray()).any()


@pytest.mark.parametrize("dtype,complex_2", [(np.float32, False), (np.float64, False),
                                             (np.complex64, False), (np.complex128, False),
                                             (np.complex64, True), (np.complex128, True)])
def test_lu_attr(dtype, complex_2):
    """TestSplu.test_lu_attr: Pr A Pc = L U with the exposed factors and permutations."""
    A = _banded(N).astype(dtype)
    if complex_2:
        A = A + 1j * A.T
    n = A.shape[0]
    F = sk.factorize(A, kind="lu", cache=False)
    Pc = np.zeros((n, n))
    Pc[np.arange(n), F.perm_c] = 1
    Pr = np.zeros((n, n))
    Pr[F.perm_r, np.arange(n)] = 1
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(Pr @ A.toarray() @ Pc, (F.L @ F.U).toarray(), atol=100 * eps)


def test_threads_parallel():
    """TestSplu.test_threads_parallel (slow there: 20 threads): 8 threads factorizing and
    solving at once, each with its own matrix, all right."""
    oks = []

    def worker(seed):
        rng = np.random.RandomState(seed)
        a = rng.rand(30, 30)
        a[a < 0.95] = 0
        a += 4 * np.eye(30)
        x = sk.factorize(sp.csc_array(a), cache=False).solve(np.ones(30))
        P = sk.preconditioner(_banded(N), "ilu", cache=False)
        if np.allclose(a @ x, 1) and abs(_banded(N) @ P.solve(np.ones(N)) - 1).max() < 1e-2:
            oks.append(True)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(oks) == 8
