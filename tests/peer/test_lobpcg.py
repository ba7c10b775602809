"""SciPy's LOBPCG suite, ported to ``sk.eigsh(method="lobpcg")``.

Source: ``scipy/sparse/linalg/_eigen/lobpcg/tests/test_lobpcg.py`` (SciPy 1.17).  SciPy's
``lobpcg`` takes a starting block ``X``; sparsekit's LOBPCG builds its own (``v0`` is
its first column), so each case asks for ``k`` pairs where SciPy passes a block of ``k``
vectors.  The expected values are the SciPy file's: analytic spectra (the Mikota pair's
squares of integers, the path graph's ``2 − 2 cos(πj/n)``, diagonal matrices) and dense
LAPACK.

Deliberate differences (docs/scipy.md): no constraints ``Y=`` (sparsekit passes a graph
Laplacian's null vectors itself), so ``test_diagonal``'s excluded vectors become a shift
of the expected values; a nonsymmetric matrix is refused (``NotSymmetricError``) where
SciPy warns and returns; SciPy's internals (``_b_orthonormalize``, ``verbosityLevel``,
its in-place and history outputs) have no counterpart; single-precision input is
computed in double precision.
"""

import itertools
import warnings

import numpy as np
import pytest
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import sparsekit as sk
from sparsekit.linalg._eigen import eigs

SOURCE = "scipy/sparse/linalg/_eigen/lobpcg/tests/test_lobpcg.py"


def elastic_rod(n):
    """The fixed-free elastic rod's stiffness and mass matrices (SciPy's ElasticRod)."""
    le = 1.0 / n
    rho, S, E = 7.85e3, 1.0e-4, 2.1e11
    mass, k = rho * S * le / 6.0, E * S / le
    A = k * (np.diag(np.r_[2.0 * np.ones(n - 1), 1]) - np.diag(np.ones(n - 1), 1)
             - np.diag(np.ones(n - 1), -1))
    B = mass * (np.diag(np.r_[4.0 * np.ones(n - 1), 2]) + np.diag(np.ones(n - 1), 1)
                + np.diag(np.ones(n - 1), -1))
    return A, B


def mikota_pair(n):
    """The Mikota pair: its generalized eigenvalues are 1, 4, 9, ... (SciPy's MikotaPair)."""
    x = np.arange(1, n + 1)
    B = np.diag(1.0 / x)
    y = np.arange(n - 1, 0, -1)
    z = np.arange(2 * n - 1, 0, -2)
    return np.diag(z) - np.diag(y, -1) - np.diag(y, 1), B


def _check_eigen(A, w, V, rtol=1e-8, atol=1e-14):
    np.testing.assert_allclose(w * V, A @ V, rtol=rtol, atol=atol)


@pytest.mark.parametrize(("make", "n", "k"), [(elastic_rod, 10, 5), (mikota_pair, 10, 5),
                                              (elastic_rod, 20, 1), (mikota_pair, 20, 1)])
def test_small_elastic_rod_mikota_pair(make, n, k):
    # SOURCE::test_Small, test_ElasticRod, test_MikotaPair (compare_solutions: the smallest
    # half of the block against scipy.linalg.eig); n = 10 is solved densely, as SciPy does
    A, B = make(n)
    w = np.sort(sla.eig(A, B, right=False).real)
    r = sk.eigsh(A, k=k, M=B, method="lobpcg")
    np.testing.assert_allclose(r.values, w[:k], rtol=1e-6)
    if make is mikota_pair:  # the analytic spectrum: squares of integers
        np.testing.assert_allclose(r.values, np.arange(1, k + 1) ** 2.0, rtol=1e-8)
    assert r.all_converged
    if n == 10:
        assert any("too small for LOBPCG" in note for note in r.notes)


def test_regression():
    # SOURCE::test_regression: the eigenvalue of the identity is one
    r = sk.eigsh(np.identity(10), k=1, method="lobpcg", which="largest")
    np.testing.assert_allclose(r.values, [1.0])


@pytest.mark.parametrize(("n", "m", "m_excluded"), [(100, 4, 3), (4, 2, 0)])
def test_diagonal(n, m, m_excluded):
    # SOURCE::test_diagonal: A = diag(1..n), B = I, the preconditioner A⁻¹ (Jacobi is exactly
    # that here), A and B dense, sparse or operators.  SciPy's constraints Y (the first
    # m_excluded unit vectors) are not offered: their effect is to shift the answer, which
    # is asked here of the matrix without those rows and columns
    vals = np.arange(1 + m_excluded, n + 1, dtype=float)
    A_s = sp.diags_array([vals], offsets=[0], format="csr")
    forms = [A_s.toarray(), A_s, spla.aslinearoperator(A_s)]
    for A, B in itertools.product(forms, [None, np.eye(len(vals)), sp.eye_array(len(vals))]):
        operator = isinstance(A, spla.LinearOperator)
        if operator and B is not None:
            continue  # a LinearOperator with a mass matrix: not an explicit pencil
        precond = "none" if operator else "jacobi"
        r = sk.eigsh(A, k=m, M=B, method="lobpcg", precond=precond, maxiter=40)
        np.testing.assert_allclose(r.values, np.arange(1 + m_excluded, 1 + m_excluded + m))
        _check_eigen(A_s, r.values, r.vectors, rtol=1e-3, atol=1e-3)


def _check_fiedler(n, p):
    # SOURCE::_check_fiedler: the path graph's Laplacian, analytic spectrum and eigenvectors
    col = np.zeros(n)
    col[1] = 1
    A = sla.toeplitz(col)
    L = np.diag(A.sum(axis=1)) - A
    analytic_w = 2 * (1 - np.cos(np.pi * np.arange(n) / n))
    analytic_V = np.cos(np.outer(np.arange(n) + 1 / 2, np.pi * np.arange(n) / n))
    _check_eigen(L, analytic_w, analytic_V)
    r = sk.eigsh(L, k=p, method="lobpcg", v0=analytic_V[:, 0], tol=1e-14)
    assert r.values.shape == (p,) and r.vectors.shape == (n, p)
    _check_eigen(L, r.values, r.vectors)
    assert abs(r.values[0]) < 1e-14
    np.testing.assert_allclose(r.values[1:], analytic_w[1:p])
    r = sk.eigsh(L, k=p, method="lobpcg", which="largest", tol=1e-14)
    _check_eigen(L, r.values, r.vectors)
    np.testing.assert_allclose(r.values, analytic_w[-p:])
    fiedler_guess = np.concatenate((np.ones(n // 2), -np.ones(n - n // 2)))
    r = sk.eigsh(L, k=2, method="lobpcg", v0=fiedler_guess)
    np.testing.assert_allclose(r.values, analytic_w[:2], atol=1e-14)


def test_fiedler_small_8():
    # SOURCE::test_fiedler_small_8 (SciPy's dense path: 8 < 5 * 2)
    _check_fiedler(8, 2)


def test_fiedler_large_12():
    # SOURCE::test_fiedler_large_12
    _check_fiedler(12, 2)


def test_failure_to_run_iterations():
    # SOURCE::test_failure_to_run_iterations: a rank-10 matrix of order 100, a tolerance
    # LOBPCG cannot meet in 40 iterations: it exits gracefully, with true residuals
    rng = np.random.RandomState(0)
    X = rng.standard_normal((100, 10))
    A = X @ X.T
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sk.ConvergenceWarning)
        r = sk.eigsh(A, k=4, which="largest", method="lobpcg", maxiter=40, tol=1e-12)
    assert np.max(r.values) > 0
    np.testing.assert_allclose(np.linalg.norm(A @ r.vectors - r.vectors * r.values, axis=0),
                               r.residuals, rtol=1e-8, atol=1e-12)


def test_failure_to_run_iterations_nonsymmetric():
    # SOURCE::test_failure_to_run_iterations_nonsymmetric: SciPy warns and returns;
    # sparsekit refuses a nonsymmetric matrix up front (docs/scipy.md)
    A = np.zeros((10, 10))
    A[0, 1] = 1
    with pytest.raises(sk.NotSymmetricError):
        sk.eigsh(A, k=1, method="lobpcg")


def test_hermitian():
    # SOURCE::test_hermitian: complex Hermitian H = 10 I + H0 + H0ᴴ, standard (the largest,
    # SciPy's default) and generalized with B = 10 I + B0 B0ᴴ (the smallest)
    rnd = np.random.RandomState(0)
    for s, k, gen in itertools.product([3, 10, 50], [1, 3, 10, 50], [True, False]):
        if k >= s:
            continue
        H = rnd.random((s, s)) + 1.0j * rnd.random((s, s))
        H = 10 * np.eye(s) + H + H.T.conj()
        if gen:
            B = rnd.random((s, s)) + 1.0j * rnd.random((s, s))
            B = 10 * np.eye(s) + B @ B.T.conj()
            r = sk.eigsh(H, k=k, M=B, method="lobpcg", maxiter=5000)
            w0 = sla.eigh(H, B, eigvals_only=True)[:k]
        else:
            B = np.eye(s)
            r = sk.eigsh(H, k=k, method="lobpcg", which="largest", maxiter=5000)
            w0 = np.linalg.eigvalsh(H)[-k:]
        for wx, vx in zip(r.values, r.vectors.T, strict=True):
            np.testing.assert_allclose(np.linalg.norm(H @ vx - B @ vx * wx)
                                       / np.linalg.norm(H @ vx), 0, atol=5e-4, rtol=0)
        np.testing.assert_allclose(r.values, w0, rtol=1e-4)


@pytest.mark.parametrize(("n", "atol"), [(20, 1e-3), (5, 1e-8)])
def test_eigs_consistency(n, atol):
    # SOURCE::test_eigs_consistency: LOBPCG's two largest against eigs'
    A = sp.diags_array([np.arange(1, n + 1, dtype=np.float64)], offsets=[0], format="csr")
    r = sk.eigsh(A, k=2, which="largest", method="lobpcg", maxiter=100)
    w, _ = eigs(A, k=2, which="LM")
    _check_eigen(A, r.values, r.vectors, atol=atol, rtol=0)
    np.testing.assert_allclose(np.sort(w.real), np.sort(r.values), atol=1e-14 * n)


def test_tolerance_float32():
    # SOURCE::test_tolerance_float32 (and test_random_initial_float32): single-precision
    # input, the largest of diag(-1, ..., -50)
    A = sp.diags_array([-np.arange(1.0, 51.0)], offsets=[0]).astype(np.float32)
    r = sk.eigsh(A, k=3, which="largest", method="lobpcg", maxiter=50, tol=1.25e-5)
    np.testing.assert_allclose(r.values, -np.arange(3, 0, -1), atol=2e-5, rtol=1e-5)


def test_maxit():
    # SOURCE::test_maxit: maxiter bounds the iterations done
    A = sp.diags_array([-np.arange(1.0, 51.0)], offsets=[0]).astype(np.float32)
    for maxiter in range(1, 4):
        with pytest.warns(sk.ConvergenceWarning):
            r = sk.eigsh(A, k=4, which="largest", method="lobpcg", precond="none",
                         maxiter=maxiter, tol=1e-12)
        assert 1 <= r.iterations <= maxiter
