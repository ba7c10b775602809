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


# ---------------------------------------------------------------------------
# the input gate: its verdict against SciPy's own full structural check
# ---------------------------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def _scipy_verdict(fmt, data, indices, indptr, shape):
    """SciPy's full check (constructor, then check_format(full_check=True)): valid or not."""
    cls = sp.csr_array if fmt == "csr" else sp.csc_array
    try:
        with np.errstate(all="ignore"):
            A = cls((data.copy(), indices.copy(), indptr.copy()), shape=shape)
            A.check_format(full_check=True)
    except ValueError:
        return False
    return True


@st.composite
def _mutated_compressed(draw):
    """A valid CSR/CSC structure with one (or no) fault: the gate's and SciPy's inputs."""
    fmt = draw(st.sampled_from(["csr", "csc"]))
    m, n = draw(st.integers(0, 6)), draw(st.integers(0, 6))
    major, minor = (m, n) if fmt == "csr" else (n, m)
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    counts = rng.integers(0, minor + 1, major) if minor else np.zeros(major, int)
    indptr = np.zeros(major + 1, dtype=draw(st.sampled_from([np.int32, np.int64])))
    np.cumsum(counts, out=indptr[1:])
    indices = np.concatenate([rng.choice(minor, c, replace=False) for c in counts]
                             + [np.zeros(0, int)]).astype(indptr.dtype)
    data = rng.standard_normal(indices.size)
    fault = draw(st.sampled_from(["none", "index", "indptr_value", "indptr_short",
                                  "indptr_end", "indptr_start", "swap"]))
    if fault == "index" and indices.size:
        indices[draw(st.integers(0, indices.size - 1))] = draw(st.integers(-3, minor + 3))
    elif fault == "indptr_value" and major:
        indptr[draw(st.integers(1, major))] = draw(st.integers(-2, indices.size + 2))
    elif fault == "indptr_short":
        indptr = indptr[:-1]
    elif fault == "indptr_end":
        indptr[-1] += draw(st.integers(1, 3))
    elif fault == "indptr_start":
        indptr[0] = draw(st.integers(1, 3))
    elif fault == "swap" and major >= 2:
        i = draw(st.integers(0, major - 1))
        indptr[[i, i + 1]] = indptr[[i + 1, i]]
    return fmt, data, indices, indptr, (m, n)


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(_mutated_compressed())
def test_gate_agrees_with_scipys_full_check(case):
    fmt, data, indices, indptr, shape = case
    major, minor = shape if fmt == "csr" else shape[::-1]
    try:
        v.check_compressed(indptr, indices, major, minor, data.size, "A",
                           "row" if fmt == "csr" else "column")
        ours = True
    except sk.InputValueError:
        ours = False
    # SciPy's full check skips the monotonicity of indptr when it ends at 0 or below
    # (indptr [0, 2, 0] passes, and a kernel then reads indices[0:2] of an empty array):
    # the reference adds that check, in a plain loop
    monotone = all(int(a) <= int(b) for a, b in zip(indptr[:-1], indptr[1:], strict=True))
    assert ours == (_scipy_verdict(fmt, data, indices, indptr, shape) and monotone)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.integers(0, 5), st.integers(0, 5), st.lists(st.integers(-3, 8), max_size=6),
       st.lists(st.integers(-3, 8), max_size=6))
def test_coo_gate_agrees_with_scipys_coo_check(m, n, rows, cols):
    k = min(len(rows), len(cols))
    r, c = np.array(rows[:k], dtype=np.int64), np.array(cols[:k], dtype=np.int64)
    try:
        v.check_coords((r, c), (m, n), k)
        ours = True
    except sk.InputValueError:
        ours = False
    try:
        sp.coo_array((np.ones(k), (r, c)), shape=(m, n))  # SciPy's bounds check
        theirs = True
    except ValueError:
        theirs = False
    assert ours == theirs


def _malformed(kind):
    A = sp.random_array((5, 5), density=0.5, format="csr", rng=0) + sp.eye_array(5, format="csr")
    A = sp.csr_array(A)
    if kind == "column index":
        A.indices[2] = 10**9
    elif kind == "negative index":
        A.indices[1] = -1
    elif kind == "indptr decreases":
        A.indptr[2], A.indptr[3] = A.indptr[3], A.indptr[2]
    elif kind == "indptr end":
        A.indptr[-1] += 5
    elif kind == "coo row":
        A = sp.coo_array(A)
        A.coords[0][0] = 7
    elif kind == "float indices":
        A.indices = A.indices.astype(float)
    return A


@pytest.mark.parametrize("kind", ["column index", "negative index", "indptr decreases",
                                  "indptr end", "coo row", "float indices"])
def test_as_matrix_refuses_a_malformed_sparse_matrix(kind):
    with pytest.raises(sk.InputValueError, match="refused before any compiled code"):
        v.as_matrix(_malformed(kind))
    # the flag for callers that validated already skips the O(nnz) check
    if kind == "indptr decreases":
        assert v.as_matrix(_malformed(kind), validated=True).shape == (5, 5)


def test_checked_sparse_converts_lil_and_dok_through_the_gate():
    D = np.array([[1.0, 0, 2], [0, 0, 3], [4, 0, 0]])
    for fmt in ("lil", "dok", "bsr", "dia", "coo", "csc"):
        A = v.as_matrix(getattr(sp, f"{fmt}_array")(D))
        np.testing.assert_array_equal(A.toarray(), D)
    L = sp.lil_array(D)
    L.data[0] = [1.0, 2.0, 99.0]  # more values than column indices: SciPy would write past
    with pytest.raises(sk.InputValueError, match="row 0 has 2 column indices and 3 values"):
        v.as_matrix(L)


def test_sparse_dtype():
    assert v.sparse_dtype(np.float32) == np.float32
    for bad in ("foo", object, np.float16, "U3"):
        with pytest.raises(sk.InputValueError, match="dtype"):
            v.sparse_dtype(bad)
