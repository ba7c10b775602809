"""``linalg/_operators.py``: ARPACK's operators without LinearOperator's per-call checks."""

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from sparsekit.linalg._operators import Direct, direct


def _matrix(dtype):
    rng = np.random.default_rng(0)
    A = sp.random_array((60, 60), density=0.1, random_state=rng, format="csr")
    if dtype == np.complex128:
        A = A + 1j * sp.random_array((60, 60), density=0.1, random_state=rng, format="csr")
    return sp.csr_array(A + A.conj().T + 10 * sp.eye_array(60))


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_direct_product_is_the_matrix_product(dtype):
    A = _matrix(dtype)
    op = direct(A)
    assert isinstance(op, Direct)
    rng = np.random.default_rng(1)
    x = rng.standard_normal(60).astype(dtype)
    np.testing.assert_allclose(op.matvec(x), A @ x, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(op.matvec(x.real.copy()), A @ x.real, rtol=1e-14, atol=1e-14)
    X = rng.standard_normal((60, 3))
    np.testing.assert_allclose(op @ X, A @ X, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(op.matvec(x[:, None]), A @ x, rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_arpack_through_direct_finds_what_dense_eigh_finds(dtype):
    A = _matrix(dtype)
    w = spla.eigsh(direct(A, 5), k=5, which="LA", return_eigenvectors=False)
    ref = np.linalg.eigvalsh(A.toarray())[-5:]
    np.testing.assert_allclose(np.sort(w), ref, rtol=1e-10)


def test_what_direct_leaves_alone():
    A = _matrix(np.float64)
    assert direct(A, k=59) is A  # SciPy's dense path for k >= n - 1 needs the matrix
    L = spla.aslinearoperator(A)
    assert direct(L) is L
    D = A.toarray()
    op = direct(D)
    assert isinstance(op, spla.LinearOperator)
    np.testing.assert_allclose(op.matvec(np.ones(60)), D @ np.ones(60))
    assert not isinstance(direct(A.tocsc()), Direct)
