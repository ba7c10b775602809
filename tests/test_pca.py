"""sk.pca: principal components of sparse data without densifying it, against dense numpy SVD,
scikit-learn's PCA(svd_solver="arpack") and TruncatedSVD, and real matrices."""

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

import sparsekit as sk
from sparsekit.linalg import _pca
from sparsekit.linalg._pca import pca


@pytest.fixture(autouse=True)
def _one_blas_thread():
    with threadpool_limits(1, user_api="blas"):  # dense references: no thread contention
        yield


def _data(n=2000, p=300, seed=1):
    """Sparse noise plus a few sparse rank-one 'topics' (a decaying spectrum)."""
    rng = np.random.default_rng(seed)
    X = sp.random_array((n, p), density=0.02, random_state=seed, format="csr")
    for j in range(6):
        rows = (rng.random(n) < 0.05 * (j + 1)).astype(float)
        cols = (rng.random(p) < 0.1).astype(float) * (3.0 / (j + 1))
        X = X + sp.csr_array(np.outer(rows, cols))
    return sp.csr_array(X)


def _dense_pca(X, center):
    D = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=float)
    mu = D.mean(axis=0)
    Dc = D - mu if center else D
    U, s, Vt = np.linalg.svd(Dc, full_matrices=False)
    return Dc, U, s, Vt


def _same_axes(C, Vt, tol=1e-8):
    return np.all(np.abs(np.sum(C * Vt, axis=1)) > 1 - tol)


@pytest.mark.parametrize("shape", [(2000, 300), (300, 2000)])
@pytest.mark.parametrize("center", [True, False])
@pytest.mark.parametrize("method", ["randomized", "arpack"])
def test_against_dense_svd(shape, center, method):
    X = _data(*shape)
    Dc, U, s, Vt = _dense_pca(X, center)
    k = 8
    r = pca(X, k, center=center, method=method)
    assert r.method == method and r.all_converged
    np.testing.assert_allclose(r.singular_values, s[:k], rtol=1e-10)
    assert _same_axes(r.components, Vt[:k])
    # the residuals are recomputed: check them against the dense matrix
    res = np.sqrt(np.linalg.norm(Dc @ r.components.T - r.U * r.singular_values, axis=0) ** 2
                  + np.linalg.norm(Dc.T @ r.U - r.components.T * r.singular_values, axis=0) ** 2)
    np.testing.assert_allclose(r.residuals, res, atol=1e-9 * s[0])
    assert np.all(r.residuals <= r.tol * s[0])
    n = shape[0]
    np.testing.assert_allclose(r.explained_variance, s[:k] ** 2 / (n - 1), rtol=1e-10)
    np.testing.assert_allclose(r.explained_variance_ratio, s[:k] ** 2 / np.sum(s**2),
                               rtol=1e-10)
    np.testing.assert_allclose(r.transform(X), Dc @ r.components.T, atol=1e-10 * s[0])
    assert (r.mean is not None) == center
    # the sign rule: each component's largest entry is positive
    big = np.argmax(np.abs(r.components), axis=1)
    assert np.all(r.components[np.arange(k), big] > 0)


def test_against_scikit_learn_pca_and_truncated_svd():
    from sklearn.decomposition import PCA, TruncatedSVD

    X = _data()
    k = 6
    ref = PCA(k, svd_solver="arpack", random_state=0).fit(sp.csr_matrix(X))
    r = pca(X, k)
    np.testing.assert_allclose(r.singular_values, ref.singular_values_, rtol=1e-10)
    np.testing.assert_allclose(r.explained_variance, ref.explained_variance_, rtol=1e-10)
    np.testing.assert_allclose(r.explained_variance_ratio, ref.explained_variance_ratio_,
                               rtol=1e-10)
    np.testing.assert_allclose(r.mean, np.ravel(ref.mean_), rtol=1e-12)
    assert _same_axes(r.components, ref.components_)
    np.testing.assert_allclose(np.abs(r.transform(X)), np.abs(ref.transform(sp.csr_matrix(X))),
                               atol=1e-6)
    t = TruncatedSVD(k, algorithm="arpack", random_state=0).fit(sp.csr_matrix(X))
    r0 = pca(X, k, center=False)
    np.testing.assert_allclose(r0.singular_values, t.singular_values_, rtol=1e-10)
    assert _same_axes(r0.components, t.components_)


@pytest.mark.parametrize("name", ["illc1033", "lp_ship04l", "ash219"])
def test_real_rectangular_matrices_vs_dense(real, name):
    X = real(name)
    for center in (True, False):
        _, _, s, Vt = _dense_pca(X, center)
        r = pca(X, 5, center=center)
        np.testing.assert_allclose(r.singular_values, s[:5], rtol=1e-9)
        assert _same_axes(r.components, Vt[:5], tol=1e-6)


def test_ppmi_of_a_corpus_vs_scikit_learn():
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(0)
    p = 1.0 / np.arange(1, 1501)
    docs = rng.choice(1500, size=(400, 100), p=p / p.sum())
    X = sp.csr_array(sk.ppmi(sk.cooccurrence(docs, 4, vocab_size=1500)))
    r = pca(X, 10)
    ref = PCA(10, svd_solver="arpack", random_state=0).fit(sp.csr_matrix(X))
    np.testing.assert_allclose(r.singular_values, ref.singular_values_, rtol=1e-9)


def test_never_densifies_x():
    n, p = 40_000, 30_000  # dense: 9.6 GB
    rng = np.random.default_rng(0)
    nnz = 24_000
    X = sp.csr_array((rng.random(nnz), (rng.integers(0, n, nnz), rng.integers(0, p, nnz))),
                     shape=(n, p))
    for j in range(4):  # sparse 'topics' on top of the noise
        rows = sp.csr_array((rng.random(n) < 0.01).astype(float)[:, None])
        cols = sp.csr_array((rng.random(p) < 0.01).astype(float)[None, :] / (j + 1))
        X = X + rows @ cols
    tracemalloc.start()
    try:
        r = pca(X, 4)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert r.all_converged
    dense = 8 * n * p
    assert peak < dense / 100, f"peak {peak / 2**20:.0f} MiB"
    assert peak < 300 * 2**20
    assert any("never densified" in note for note in r.notes)


def test_the_basis_restarts_when_full(monkeypatch):
    X = _data()
    _, _, s, _ = _dense_pca(X, True)
    monkeypatch.setattr(_pca, "BASIS_BYTES", 8 * 300 * 40)  # 40 vectors: restarts
    r = pca(X, 8, method="randomized")
    assert r.all_converged
    np.testing.assert_allclose(r.singular_values, s[:8], rtol=1e-10)


def test_small_side_uses_the_exact_gram_matrix():
    X = _data(500, 60)
    _, _, s, Vt = _dense_pca(X, True)
    r = pca(X, 59)  # k up to min(n, p) - 1
    np.testing.assert_allclose(r.singular_values[:50], s[:50], rtol=1e-8)
    assert any("Gram" in note for note in r.notes)


def test_nonconvergence_is_reported():
    X = _data()
    with pytest.warns(sk.ConvergenceWarning, match="missed the tolerance"):
        r = pca(X, 8, method="randomized", maxiter=1, tol=1e-14)
    assert not r.all_converged
    with pytest.raises(sk.NoConvergence) as info:
        pca(X, 8, method="randomized", maxiter=1, tol=1e-14, strict=True)
    assert info.value.result is not None


def test_auto_falls_back_to_arpack():
    X = _data()
    _, _, s, _ = _dense_pca(X, True)
    r = pca(X, 8, maxiter=1, tol=1e-3)  # loose: auto tries the block method first
    assert r.method == "arpack" and r.all_converged
    assert any("ARPACK instead" in note for note in r.notes)
    np.testing.assert_allclose(r.singular_values, s[:8], rtol=1e-5)
    assert pca(X, 8).method == "arpack" and pca(X, 8, tol=1e-3).method == "randomized"


def test_dense_and_integer_input():
    rng = np.random.default_rng(3)
    X = rng.integers(0, 3, size=(300, 280))
    _, _, s, _ = _dense_pca(X, True)
    np.testing.assert_allclose(pca(X, 3).singular_values, s[:3], rtol=1e-10)


def test_bad_input():
    X = _data(300, 50)
    for k in (0, 50, 300, 2.5, True):
        with pytest.raises(sk.InputValueError, match="k must"):
            pca(X, k)
    bad = X.copy()
    bad.data[0] = np.nan
    with pytest.raises(sk.InputValueError, match="NaN"):
        pca(bad, 2)
    with pytest.raises(sk.UnknownMethodError):
        pca(X, 2, method="full")
    with pytest.raises(sk.InputValueError, match="tol"):
        pca(X, 2, tol=-1.0)
    with pytest.raises(sk.InputValueError, match="maxiter"):
        pca(X, 2, maxiter=0)


def test_duplicate_entries_count_once_summed_and_x_is_not_copied():
    rng = np.random.default_rng(4)
    n, p, nnz = 400, 300, 6000
    r, c = rng.integers(0, n, nnz), rng.integers(0, p, nnz)
    r, c = np.concatenate([r, r[:500]]), np.concatenate([c, c[:500]])  # 500 duplicates
    vals = rng.random(r.size)
    key = np.argsort(r, kind="stable")
    indptr = np.concatenate([[0], np.cumsum(np.bincount(r, minlength=n))])
    X = sp.csr_array((vals[key], c[key], indptr), shape=(n, p))  # duplicates kept
    assert not X.has_canonical_format
    data_before = X.data.copy()
    D = sp.coo_array((vals, (r, c)), shape=(n, p)).toarray()
    _, _, s, _ = _dense_pca(D, True)
    res = pca(X, 4)
    np.testing.assert_allclose(res.singular_values, s[:4], rtol=1e-10)
    np.testing.assert_allclose(res.explained_variance_ratio, s[:4] ** 2 / np.sum(s**2),
                               rtol=1e-10)
    np.testing.assert_array_equal(X.data, data_before)  # the caller's matrix is untouched
