"""sk.null_space and sk.matrix_rank: against numpy.linalg.matrix_rank, scipy.linalg.null_space,
networkx's connected components and the analytic spectra of path and cycle graphs."""

import math

import networkx as nx
import numpy as np
import pytest
import scipy.linalg as sla
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

import sparsekit as sk
from sparsekit.linalg._rank import matrix_rank, null_space


@pytest.fixture(autouse=True)
def _one_blas_thread():
    with threadpool_limits(1, user_api="blas"):  # dense references: no thread contention
        yield


def _same_space(V, N, tol=1e-8):
    """The columns of V and N (orthonormal) span the same space."""
    if V.shape[1] != N.shape[1]:
        return False
    if N.shape[1] == 0:
        return True
    return np.linalg.norm(N - V @ (V.conj().T @ N)) <= tol * math.sqrt(N.shape[1])


def _numpy_threshold(D):
    s = np.linalg.svd(D, compute_uv=False)
    return s.max() * max(D.shape) * np.finfo(float).eps


@pytest.mark.parametrize("name", ["karate", "Erdos971", "jazz"])
def test_graph_laplacians_vs_numpy_and_networkx(real, name):
    W = real(name)
    L = sp.csr_array(sk.laplacian(W))
    D = L.toarray()
    r = null_space(L)
    assert r.method == "laplacian" and r.complete
    c = nx.number_connected_components(nx.from_scipy_sparse_array(W))
    assert r.nullity == c and r.rank == np.linalg.matrix_rank(D)
    assert _same_space(r.vectors, sla.null_space(D), tol=1e-7)
    assert np.all(r.residuals <= r.threshold)
    assert r.threshold == pytest.approx(_numpy_threshold(D), rel=1e-5)
    assert int(matrix_rank(L)) == np.linalg.matrix_rank(D)


def test_laplacian_gap_is_the_analytic_first_nonzero_eigenvalue():
    G = nx.disjoint_union(nx.path_graph(300), nx.cycle_graph(200))
    r = null_space(sk.laplacian(G))
    assert r.nullity == 2 and r.rank == 498
    lam2 = min(2 - 2 * np.cos(np.pi / 300), 2 - 2 * np.cos(2 * np.pi / 200))
    assert r.gap == pytest.approx(lam2, rel=1e-7)
    assert "threshold" in r.notes[0] and "rank 498" in r.notes[0]


def test_elasticity_rigid_body_modes():
    K, B = sk.fem.elasticity(*sk.fem.unit_square(14), E=210.0, nu=0.3)
    Q, _ = np.linalg.qr(B)
    D = K.toarray()
    for kw in ({}, {"B": B}):
        r = null_space(K, **kw)
        assert r.nullity == 3 and r.complete and r.rank == np.linalg.matrix_rank(D)
        assert r.method == ("candidates" if kw else "shift_invert")
        assert _same_space(r.vectors, Q, tol=1e-7)
        assert r.gap > 1e6 * r.threshold
    # a candidate that is not a null vector is dropped, and said to be
    extra = np.hstack([B, np.random.default_rng(0).standard_normal((B.shape[0], 1))])
    r = null_space(K, B=extra)
    assert r.nullity == 3 and "3 in the null space" in " ".join(r.notes)


def test_nonsymmetric_with_dependent_columns_vs_numpy(real):
    A = real("hor_131")
    S = sp.hstack([A[:, :-2], A[:, :2] - 3 * A[:, 2:4]]).tocsr()
    D = S.toarray()
    r = null_space(S)
    assert r.method == "shift_invert" and r.complete
    assert r.nullity == 2 and r.rank == np.linalg.matrix_rank(D)
    assert _same_space(r.vectors, sla.null_space(D), tol=1e-6)
    assert np.all(r.residuals <= r.threshold)


@pytest.mark.parametrize("name", ["west0479", "sherman1", "494_bus", "bcsstk09"])
def test_nonsingular_real_matrices_have_full_rank(real, name):
    A = real(name)
    r = matrix_rank(A)
    assert int(r) == A.shape[1] == np.linalg.matrix_rank(A.toarray())
    assert r.nullity == 0 and r.vectors.shape == (A.shape[1], 0)
    assert r.complete and r.gap > r.threshold


@pytest.mark.parametrize("name", ["illc1033", "ash219", "lp_ship04l"])
def test_rectangular_real_matrices_vs_numpy(real, name):
    A = real(name)
    D = A.toarray()
    r = matrix_rank(A)
    assert int(r) == np.linalg.matrix_rank(D)
    if A.shape[0] < A.shape[1]:
        assert "left null space" in r.notes[-1]
        assert _same_space(r.vectors, sla.null_space(D.T), tol=1e-7)
    else:
        assert _same_space(null_space(A).vectors, sla.null_space(D), tol=1e-7)


def test_explicit_shift_invert_on_small_matrices_vs_dense():
    G = nx.barbell_graph(60, 5)
    L = sk.laplacian(G)
    r = null_space(L, method="shift_invert")
    assert r.nullity == 1 and r.method == "shift_invert"
    assert _same_space(r.vectors, np.ones((L.shape[0], 1)) / math.sqrt(L.shape[0]))
    rng = np.random.default_rng(1)
    F = rng.standard_normal((150, 140)) @ rng.standard_normal((140, 150))  # rank 140
    for method in ("shift_invert", "dense"):
        r = null_space(sp.csr_array(F), method=method)
        assert r.nullity == 10 and r.rank == np.linalg.matrix_rank(F)
        assert _same_space(r.vectors, sla.null_space(F), tol=1e-6)


def test_threshold_arguments():
    A = sp.diags_array([1.0, 1e-3, 1e-7, 0.0]).tocsr()
    assert null_space(A).nullity == 1
    assert null_space(A, tol=1e-5).nullity == 2
    assert null_space(A, rtol=1e-2).nullity == 3
    assert int(matrix_rank(A, tol=1e-5)) == np.linalg.matrix_rank(A.toarray(), tol=1e-5)
    r = null_space(A, tol=1e-5)
    assert r.threshold == 1e-5 and r.gap == pytest.approx(1e-3)
    np.testing.assert_allclose(r.values[:3], [0.0, 1e-7, 1e-3], atol=1e-15)


def test_agrees_with_the_dense_path():
    rng = np.random.default_rng(2)
    F = rng.standard_normal((60, 8)) @ rng.standard_normal((8, 50))
    assert int(matrix_rank(F)) == sk.dense.matrix_rank(F) == 8


def test_bad_input():
    with pytest.raises(sk.InputValueError, match="NaN"):
        null_space(sp.csr_array(np.array([[1.0, np.nan], [0.0, 1.0]])))
    with pytest.raises(sk.InputValueError, match="tol"):
        null_space(np.eye(3), tol=-1.0)
    with pytest.raises(sk.InputValueError, match="not both"):
        null_space(np.eye(3), tol=1e-3, rtol=1e-3)
    with pytest.raises(sk.InputValueError, match="B must"):
        null_space(np.eye(3), B=np.ones((4, 1)))
    with pytest.raises(sk.InputValueError, match="Laplacian"):
        null_space(np.eye(3), method="laplacian")
    with pytest.raises(sk.InputValueError, match="needs B"):
        null_space(np.eye(3), method="candidates")
    with pytest.raises(sk.InputValueError, match="empty"):
        null_space(sp.csr_array((0, 3)))
    with pytest.raises(sk.InputValueError, match="k must"):
        null_space(np.eye(3), k=0)
    with pytest.raises(sk.UnknownMethodError):
        null_space(np.eye(3), method="qr")
