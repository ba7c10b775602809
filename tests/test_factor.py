import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import sparsekit as sk
from sparsekit.datasets import _poisson2d
from sparsekit.linalg._cache import CACHE

# every test starts and ends with an empty cache, dense references on one BLAS thread
pytestmark = pytest.mark.usefixtures("fresh_cache")


def _spd(n, seed=0):
    rng = np.random.default_rng(seed)
    R = sp.random_array((n, n), density=0.05, rng=rng)
    return sp.csr_array(R @ R.T + n * sp.eye_array(n))


@pytest.mark.parametrize("name", ["bcsstk09", "nos6", "1138_bus", "494_bus", "gr_30_30"])
def test_cholesky_real_spd_matches_dense(real, name):
    A = real(name)
    F = sk.factorize(A, cache=False)
    assert F.kind == "cholesky" and F.ordering == "MMD_AT_PLUS_A"
    b = np.random.default_rng(1).standard_normal(A.shape[0])
    x_ref = np.linalg.solve(A.toarray(), b)
    x = F.solve(b)
    # backward error at rounding level, and the dense solution to the digits cond(A) allows
    anorm = np.abs(A).sum(axis=0).max()
    assert np.linalg.norm(b - A @ x) <= 1e-13 * anorm * np.linalg.norm(x)
    np.testing.assert_allclose(x, x_ref, rtol=1e-5, atol=1e-5 * np.abs(x_ref).max())


def test_symmetric_ordering_beats_colamd_fill(real):
    A = real("bcsstk13")
    F = sk.factorize(A, "cholesky", cache=False)
    colamd = spla.splu(sp.csc_array(A))
    assert F.fill_ratio < 0.75 * colamd.nnz / A.nnz


@pytest.mark.parametrize("name", ["west0479", "orsirr_1", "sherman5"])
def test_lu_nonsymmetric_real(real, name):
    A = real(name)
    F = sk.factorize(A, cache=False)
    assert F.kind == "lu" and F.ordering == "COLAMD"
    B = np.random.default_rng(2).standard_normal((A.shape[0], 3))
    X = F.solve(B)
    assert X.shape == B.shape
    X_ref = np.linalg.solve(A.toarray(), B)
    np.testing.assert_allclose(X, X_ref, rtol=1e-6, atol=1e-8 * np.abs(X_ref).max())


def test_negative_definite_auto_falls_back_to_lu(real):
    A = real("sherman1")  # symmetric, negative definite
    F = sk.factorize(A, cache=False)
    assert F.kind == "lu" and F.ordering == "MMD_AT_PLUS_A"
    b = np.ones(A.shape[0])
    np.testing.assert_allclose(F.solve(b), np.linalg.solve(A.toarray(), b), rtol=1e-8)
    with pytest.raises(sk.NotSPDError):
        sk.factorize(A, "cholesky", cache=False)


def test_indefinite_positive_diagonal_falls_back():
    A = sp.csr_array(np.array([[1.0, 2.0], [2.0, 1.0]]))
    F = sk.factorize(A)
    assert F.kind == "lu"
    np.testing.assert_allclose(F.solve([3.0, 3.0]), [1.0, 1.0])


def test_cholesky_needs_symmetric():
    A = sp.csr_array(np.array([[2.0, 1.0], [0.0, 2.0]]))
    with pytest.raises(sk.NotSymmetricError, match="kind='lu'"):
        sk.factorize(A, "cholesky")


def test_shift_and_mass_matrix_match_dense():
    A = _spd(60)
    M = sp.diags_array(np.linspace(1, 2, 60)).tocsr()
    sigma = 3.7
    F = sk.factorize(A, shift=sigma, M=M)
    b = np.arange(60.0)
    np.testing.assert_allclose(F.solve(b), np.linalg.solve((A - sigma * M).toarray(), b), rtol=1e-9)
    assert "shift=3.7" in repr(F)


def test_shift_at_eigenvalue_is_singular():
    A = sp.diags_array([1.0, 2.0, 3.0]).tocsc()
    with pytest.raises(sk.SingularMatrixError, match="sigma"):
        sk.factorize(A, shift=2.0)
    with pytest.raises(sk.SingularMatrixError):
        sk.factorize(A.toarray(), kind="lu", shift=2.0)


def test_cache_hit_and_miss_on_edit():
    A = _poisson2d(20)
    F1 = sk.factorize(A)
    assert sk.factorize(A.tocoo()) is F1
    assert sk.cache_info().entries == 1 and sk.cache_info().nbytes == F1.nbytes
    A2 = A.copy()
    A2.data[0] += 1.0
    assert sk.factorize(A2) is not F1
    assert sk.factorize(A, shift=0.5) is not F1
    assert sk.factorize(A, cache=False) is not F1
    sk.clear_cache()
    assert sk.factorize(A) is not F1


def test_cache_bounded_by_memory():
    A = _poisson2d(20)
    nb = sk.factorize(A, cache=False).nbytes
    old = CACHE.limit
    try:
        sk.set_cache_limit(nb + 10)
        sk.factorize(A)
        sk.factorize(A, shift=0.1)
        assert sk.cache_info().entries == 1
        assert sk.cache_info().nbytes <= nb + 10
    finally:
        sk.set_cache_limit(old)


def test_two_d_and_complex_rhs_and_operator():
    A = _spd(40, seed=3)
    F = sk.factorize(A)
    Ad = A.toarray()
    B = np.random.default_rng(0).standard_normal((40, 4))
    np.testing.assert_allclose(F.solve(B), np.linalg.solve(Ad, B), rtol=1e-9)
    bc = B[:, 0] + 1j * B[:, 1]
    np.testing.assert_allclose(F.solve(bc), np.linalg.solve(Ad, bc), rtol=1e-9)
    op = F.aslinearoperator()
    np.testing.assert_allclose(op @ B[:, 2], np.linalg.solve(Ad, B[:, 2]), rtol=1e-9)
    np.testing.assert_allclose(op.rmatvec(B[:, 2]), np.linalg.solve(Ad.T, B[:, 2]), rtol=1e-9)


def test_transpose_solve_nonsymmetric(real):
    A = real("west0479")
    F = sk.factorize(A)
    b = np.ones(A.shape[0])
    x = F.solve(b, trans="T")
    assert np.linalg.norm(A.T @ x - b) <= 1e-6 * np.linalg.norm(b) * np.linalg.norm(x)


@pytest.mark.parametrize("kind", ["auto", "lu", "cholesky"])
def test_dense_input(kind):
    A = _spd(30, seed=4).toarray()
    F = sk.factorize(A, kind)
    assert F.ordering == "lapack"
    b = np.ones(30)
    np.testing.assert_allclose(F.solve(b), np.linalg.solve(A, b), rtol=1e-10)
    np.testing.assert_allclose(F.solve(b, trans="T"), np.linalg.solve(A.T, b), rtol=1e-10)


def test_repr_has_statistics():
    F = sk.factorize(_poisson2d(10))
    r = repr(F)
    for word in ("cholesky", "fill_ratio", "nbytes", "setup_time", "(100, 100)"):
        assert word in r


def test_bad_inputs():
    A = _poisson2d(5)
    with pytest.raises(sk.UnknownMethodError, match="cholesky"):
        sk.factorize(A, kind="qr")
    with pytest.raises(sk.UnknownMethodError, match="COLAMD"):
        sk.factorize(A, ordering="metis")
    with pytest.raises(sk.NotSquareError):
        sk.factorize(sp.random_array((4, 5), density=0.5))
    B = A.copy()
    B.data[3] = np.nan
    with pytest.raises(sk.InputValueError, match="NaN"):
        sk.factorize(B)
    with pytest.raises(sk.ShapeError):
        sk.factorize(A, shift=1.0, M=sp.eye_array(3))
    with pytest.raises(sk.ShapeError):
        sk.factorize(A).solve(np.ones(7))


def _tree_laplacian(n, shift, seed=0):
    import networkx as nx

    L = nx.laplacian_matrix(nx.random_labeled_tree(n, seed=seed)).astype(float)
    return sp.csr_array(L + shift * sp.eye_array(n))


def test_ldl_engine_on_a_tree_matches_dense_and_superlu():
    # a tree's shifted Laplacian stores 3 entries per row: QDLDL's territory
    A = _tree_laplacian(400, 0.05)
    F = sk.factorize(A, cache=False)
    assert (F.kind, F.engine, F.ordering) == ("cholesky", "qdldl", "AMD")
    B = np.random.default_rng(3).standard_normal((400, 3))
    X = F.solve(B)
    assert X.shape == B.shape
    np.testing.assert_allclose(X, np.linalg.solve(A.toarray(), B), rtol=1e-9,
                               atol=1e-12 * np.abs(X).max())
    S = sk.factorize(A, "cholesky", ordering="MMD_AT_PLUS_A", cache=False)
    assert S.engine == "superlu"  # an explicit ordering is SuperLU's
    np.testing.assert_allclose(F.solve(B[:, 0]), S.solve(B[:, 0]), rtol=1e-10)
    # a tree eliminates leaf-first without fill: L has n - 1 entries below its unit diagonal
    assert F.fill_ratio == pytest.approx((2 * 400 - 1) / A.nnz)
    assert "engine='qdldl'" in repr(F)


def test_ldl_engine_on_a_road_network(real):
    L = sk.laplacian(real("luxembourg_osm"))
    A = sp.csr_array(L + 1e-6 * sp.diags_array(L.diagonal()))
    F = sk.factorize(A, cache=False)
    assert F.engine == "qdldl"
    b = np.random.default_rng(4).standard_normal(A.shape[0])
    x = F.solve(b)
    assert np.linalg.norm(A @ x - b) <= 1e-12 * np.abs(A).sum(axis=0).max() * np.linalg.norm(x)
    lu = spla.splu(sp.csc_array(A), permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                   options=dict(SymmetricMode=True))
    np.testing.assert_allclose(x, lu.solve(b), rtol=1e-7, atol=1e-9 * np.abs(x).max())


def test_ldl_engine_indefinite_and_singular():
    A = _tree_laplacian(200, -0.5)  # eigenvalues below 0.5 turn negative: indefinite
    with pytest.raises(sk.NotSPDError, match="non-positive pivot"):
        sk.factorize(A, "cholesky", cache=False)
    F = sk.factorize(A, cache=False)  # auto falls back to LU (SuperLU)
    assert (F.kind, F.engine) == ("lu", "superlu")
    b = np.ones(200)
    np.testing.assert_allclose(A @ F.solve(b), b, atol=1e-8)
    # a path's Laplacian is exactly singular: QDLDL's zero pivot hands it to SuperLU's check
    import networkx as nx

    P = sp.csr_array(nx.laplacian_matrix(nx.path_graph(50)).astype(float))
    with pytest.raises(sk.SingularMatrixError):
        sk.factorize(P, "cholesky", cache=False)


def test_ldl_engine_missing_falls_back(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "qdldl", None)  # import qdldl now raises ImportError
    A = _tree_laplacian(100, 0.1)
    F = sk.factorize(A, cache=False)
    assert (F.kind, F.engine) == ("cholesky", "superlu")
    b = np.arange(100.0)
    np.testing.assert_allclose(F.solve(b), np.linalg.solve(A.toarray(), b), rtol=1e-9)
