import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import sparsekit as sk
from sparsekit import _validate as v


def test_as_matrix_turns_sparse_matrix_into_array_and_promotes_ints():
    A = v.as_matrix(sp.coo_matrix(np.eye(3, dtype=int)))
    assert isinstance(A, sp.csr_array) and A.dtype == np.float64
    assert isinstance(v.as_matrix(sp.csc_matrix(np.eye(2))), sp.csc_array)


def test_as_matrix_rejects_nan_inf_with_count():
    A = sp.csr_array(np.array([[1.0, np.nan], [np.inf, 1.0]]))
    with pytest.raises(sk.InputValueError, match="2 NaN or Inf entries"):
        v.as_matrix(A)


def test_as_matrix_square_and_shape_and_operator():
    with pytest.raises(sk.NotSquareError, match=r"\(2, 3\)"):
        v.as_matrix(np.ones((2, 3)), square=True)
    with pytest.raises(sk.ShapeError, match="must be 2-D"):
        v.as_matrix(np.ones(3))
    op = spla.aslinearoperator(np.eye(2))
    with pytest.raises(sk.InputValueError, match="LinearOperator"):
        v.as_matrix(op)
    assert v.as_matrix(op, allow_operator=True) is op
    with pytest.raises(sk.InputValueError, match="must hold numbers"):
        v.as_matrix(np.array([["a", "b"], ["c", "d"]]))


def test_as_rhs_shapes():
    assert v.as_rhs([1, 2, 3], 3).dtype == np.float64
    assert v.as_rhs(np.ones((3, 2)), 3).shape == (3, 2)
    with pytest.raises(sk.ShapeError, match=r"got shape \(4,\)"):
        v.as_rhs(np.ones(4), 3)
    with pytest.raises(sk.InputValueError):
        v.as_rhs([1.0, np.nan, 0.0], 3)


def test_check_choice_lists_valid_names():
    with pytest.raises(sk.UnknownMethodError, match=r"'bogus'.*\['a', 'b'\]"):
        v.check_choice("bogus", {"b": 1, "a": 2})


def test_is_symmetric_against_dense_comparison():
    rng = np.random.default_rng(0)
    M = rng.standard_normal((6, 6))
    S = M + M.T
    assert v.is_symmetric(sp.csr_array(S)) == np.allclose(S, S.T)
    assert v.is_symmetric(sp.csr_array(M)) == np.allclose(M, M.T)
    assert not v.is_symmetric(np.ones((2, 3)))


def test_is_converged_uses_max_of_rtol_and_atol():
    assert v.is_converged(1e-9, 1.0, 1e-8, 0.0)
    assert not v.is_converged(1e-7, 1.0, 1e-8, 0.0)
    assert v.is_converged(1e-7, 1.0, 1e-8, 1e-6)
    assert not v.is_converged([1e-9, 1e-3], [1.0, 1.0], 1e-8, 0.0)


def test_optional_import_names_extra():
    with pytest.raises(sk.MissingDependencyError, match=r"sparsekit\[gpu\]"):
        v.optional_import("surely_not_a_module_xyz", "gpu")


def test_residual_norms_match_numpy():
    rng = np.random.default_rng(1)
    A = sp.random_array((5, 5), density=0.6, rng=rng) + sp.eye_array(5)
    x = rng.standard_normal((5, 2))
    b = rng.standard_normal((5, 2))
    np.testing.assert_allclose(v.residual_norms(A, x, b),
                               np.linalg.norm(b - A.toarray() @ x, axis=0))
