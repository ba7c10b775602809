"""numpy.linalg's questions asked of sparse matrices (issue 25): condest and pca beside anchors.

``Condest``: ``sk.condest`` (the 1-norm condition number from the cached
factorization, Higham-Tisseur's estimator) beside SciPy's ``onenormest`` used by
hand (``splu`` + a ``LinearOperator`` of the inverse) and the exact dense
``numpy.linalg.cond``; ``norm=2`` beside ``numpy.linalg.cond(D)``.  The goal: within
3x of the exact value (never above it), at most 2x the cost of the factorization
alone (``track_cost_vs_factorization``, interleaved medians, one BLAS thread).

``PCA``: ``sk.pca`` beside scikit-learn on the PPMI matrix of a corpus generated
here, deterministically (documents drawn from 30 topics of Zipf-distributed
words whose prevalence decays like 1/j).  Accuracy is the largest relative error
of the top k singular values against SciPy's ``svds`` at ``tol=1e-14`` on the
implicitly centred operator (``track_relative_error``); each comparison is at
equal accuracy:

* ``sparsekit-pca`` (default ``tol=1e-8``) beside ``PCA(svd_solver="arpack")``
  (its default ``tol=0``): both reach machine precision;
* ``sparsekit-tsvd`` (``center=False``) beside ``TruncatedSVD(algorithm="arpack")``;
* ``sparsekit-7digits-tsvd`` (``tol=1e-4``: the randomized block Krylov method)
  beside ``TruncatedSVD(n_iter=30)`` (randomized, the power iterations it needs
  for about seven digits here);
* ``sparsekit-default-tsvd`` (``tol=1e-2``) beside ``TruncatedSVD`` at its default
  (``n_iter=5``), whose error is larger than sparsekit's there.
"""

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import sparsekit as sk
from sparsekit.linalg._condest import condest
from sparsekit.linalg._pca import pca

from ._common import QUICK, median_time, one_blas_thread, real, sizes, speedup

K = 10


# --------------------------------------------------------------------------- condest


def _scipy_onenormest(A):
    """SciPy by hand: SuperLU, the inverse as a LinearOperator, onenormest, times ‖A‖₁."""
    lu = spla.splu(sp.csc_array(A))
    trans = "H" if np.iscomplexobj(A.data) else "T"
    op = spla.LinearOperator(A.shape, matvec=lu.solve, matmat=lu.solve,
                             rmatvec=lambda x: lu.solve(x, trans=trans), dtype=A.dtype)
    return float(abs(A).sum(axis=0).max()) * spla.onenormest(op)


class Condest:
    """κ₁ (and κ₂) of real SPD and nonsymmetric matrices: sparsekit, SciPy by hand, dense."""

    params = [sizes(quick=["west0479"],
                    full=["494_bus", "nos6", "bcsstk09", "bcsstk13", "west0479", "orsirr_1",
                          "nnc1374", "sherman5"]),
              ["sparsekit", "scipy-onenormest", "dense", "sparsekit-2norm", "dense-2norm"]]
    param_names = ["matrix", "method"]
    timeout = 300

    def setup_cache(self):
        """The exact condition numbers (dense), computed once per run."""
        exact = {}
        with one_blas_thread():
            for name in self.params[0]:
                if sk.datasets.available(name):
                    D = sk.datasets.load(name).toarray()
                    exact[name] = {1: float(np.linalg.cond(D, 1)), 2: float(np.linalg.cond(D))}
        return exact

    def setup(self, exact, matrix, method):
        self.A = sp.csc_array(real(matrix))
        self.D = self.A.toarray()
        self.exact = exact[matrix]
        self.fn = {
            "sparsekit": lambda: self._cold(lambda: condest(self.A).cond),
            "scipy-onenormest": lambda: _scipy_onenormest(self.A),
            "dense": lambda: float(np.linalg.cond(self.D, 1)),
            "sparsekit-2norm": lambda: self._cold(lambda: condest(self.A, norm=2).cond),
            "dense-2norm": lambda: float(np.linalg.cond(self.D)),
        }[method]
        self.norm = 2 if method.endswith("2norm") else 1

    @staticmethod
    def _cold(fn):
        sk.clear_cache()  # every timing pays for its own factorization
        return fn()

    def time_condest(self, exact, matrix, method):
        with one_blas_thread():
            self.fn()

    def track_ratio_to_exact(self, exact, matrix, method):
        with one_blas_thread():
            return self.fn() / self.exact[self.norm]

    track_ratio_to_exact.unit = "estimate / exact (goal: 1/3 to 1)"

    def track_cost_vs_factorization(self, exact, matrix, method):
        """condest time / sk.factorize time, both from a cold cache (1 for anchors)."""
        if not method.startswith("sparsekit"):
            return 1.0
        with one_blas_thread():
            return 1.0 / speedup(self.fn, lambda: self._cold(lambda: sk.factorize(self.A)),
                                 repeat=5)

    track_cost_vs_factorization.unit = "x the factorization (goal: <= 2)"

    def track_speedup_vs_dense(self, exact, matrix, method):
        if not method.startswith("sparsekit"):
            return 1.0
        dense = (lambda: np.linalg.cond(self.D)) if self.norm == 2 else \
            (lambda: np.linalg.cond(self.D, 1))
        with one_blas_thread():
            return speedup(self.fn, dense)

    track_speedup_vs_dense.unit = "x (dense time / sparsekit time)"


# --------------------------------------------------------------------------- pca


def topic_corpus(n_docs, doc_len, vocab, n_topics=30, seed=0):
    """Token ids of ``n_docs`` documents drawn from ``n_topics`` Zipf topics (deterministic)."""
    rng = np.random.default_rng(seed)
    base = 1.0 / np.arange(1, vocab + 1) ** 1.05
    topics = base[np.argsort(rng.random((n_topics, vocab)), axis=1)]
    cdf = np.cumsum(topics / topics.sum(axis=1, keepdims=True), axis=1)
    theta = rng.dirichlet(0.5 / np.arange(1, n_topics + 1), size=n_docs)
    z = (rng.random((n_docs, doc_len))[..., None] > np.cumsum(theta, axis=1)[:, None, :]).sum(-1)
    z = np.minimum(z, n_topics - 1)
    u = rng.random((n_docs, doc_len))
    tokens = np.empty((n_docs, doc_len), dtype=np.int64)
    for t in range(n_topics):  # one vectorised draw per topic
        where = z == t
        tokens[where] = np.searchsorted(cdf[t], u[where])
    return np.minimum(tokens, vocab - 1)


def ppmi_matrix(n_docs, vocab):
    """The PPMI co-occurrence matrix (window 5) of the generated corpus."""
    return sp.csr_array(sk.ppmi(sk.cooccurrence(topic_corpus(n_docs, 200, vocab), 5,
                                                vocab_size=vocab)))


def _reference(X, center, k=K):
    """Top-k singular values by SciPy's svds at tol=1e-14 on the (centred) operator."""
    mu = np.asarray(X.mean(axis=0)).ravel() if center else np.zeros(X.shape[1])
    op = spla.LinearOperator(
        X.shape, dtype=float,
        matvec=lambda v: X @ np.ravel(v) - mu @ np.ravel(v),
        rmatvec=lambda u: X.T @ np.ravel(u) - mu * np.sum(u))
    s = spla.svds(op, k=k, tol=1e-14, return_singular_vectors=False,
                  v0=np.random.default_rng(1).standard_normal(min(X.shape)))
    return np.sort(s)[::-1]


class PCA:
    """Top-10 principal components of a PPMI matrix: sparsekit beside scikit-learn."""

    params = [sizes(quick=[(800, 1500)], full=[(3000, 5000), (6000, 10000)]),
              ["sparsekit-pca", "sklearn-arpack-pca",
               "sparsekit-tsvd", "sklearn-arpack-tsvd",
               "sparsekit-7digits-tsvd", "sklearn-randomized-7digits-tsvd",
               "sparsekit-default-tsvd", "sklearn-randomized-default-tsvd"]]
    param_names = ["corpus", "method"]
    timeout = 600
    number = 1
    repeat = (1, 5, 60.0)

    def setup_cache(self):
        """The PPMI matrices and their reference singular values, built once per run."""
        out = {}
        for corpus in self.params[0]:
            X = ppmi_matrix(*corpus)
            out[corpus] = (X, _reference(X, True), _reference(X, False))
        return out

    def setup(self, cache, corpus, method):
        self.X, ref_centred, ref_raw = cache[corpus]
        self.Xm = sp.csr_matrix(self.X)  # scikit-learn's preferred sparse type
        self.ref = ref_centred if method.endswith("-pca") else ref_raw
        self.fn = self._fn(method)
        if method.startswith("sparsekit"):
            self.anchor = self._fn(self.PAIRS[method])

    PAIRS = {"sparsekit-pca": "sklearn-arpack-pca",
             "sparsekit-tsvd": "sklearn-arpack-tsvd",
             "sparsekit-7digits-tsvd": "sklearn-randomized-7digits-tsvd",
             "sparsekit-default-tsvd": "sklearn-randomized-default-tsvd"}

    def _fn(self, method):
        from sklearn import decomposition

        return {
            "sparsekit-pca": lambda: pca(self.X, K).singular_values,
            "sklearn-arpack-pca": lambda: decomposition.PCA(K, svd_solver="arpack",
                                                            random_state=0)
            .fit(self.Xm).singular_values_,
            "sparsekit-tsvd": lambda: pca(self.X, K, center=False).singular_values,
            "sklearn-arpack-tsvd": lambda: decomposition.TruncatedSVD(K, algorithm="arpack",
                                                                      random_state=0)
            .fit(self.Xm).singular_values_,
            "sparsekit-7digits-tsvd": lambda: pca(self.X, K, center=False, tol=1e-4)
            .singular_values,
            "sklearn-randomized-7digits-tsvd": lambda: decomposition.TruncatedSVD(
                K, n_iter=30, random_state=0).fit(self.Xm).singular_values_,
            "sparsekit-default-tsvd": lambda: pca(self.X, K, center=False, tol=1e-2)
            .singular_values,
            "sklearn-randomized-default-tsvd": lambda: decomposition.TruncatedSVD(
                K, random_state=0).fit(self.Xm).singular_values_,
        }[method]

    def time_pca(self, cache, corpus, method):
        with one_blas_thread():
            self.fn()

    def peakmem_pca(self, cache, corpus, method):
        with one_blas_thread():
            self.fn()

    def track_relative_error(self, cache, corpus, method):
        with one_blas_thread():
            s = np.sort(self.fn())[::-1]
        return float(np.max(np.abs(s - self.ref) / self.ref))

    track_relative_error.unit = "max relative error of the top 10 singular values"

    def track_speedup_vs_anchor(self, cache, corpus, method):
        """Median anchor time / median sparsekit time, interleaved (1 for anchors)."""
        if not method.startswith("sparsekit"):
            return 1.0
        with one_blas_thread():
            return speedup(self.fn, self.anchor, repeat=1 if QUICK else 5)

    track_speedup_vs_anchor.unit = "x (anchor time / sparsekit time)"


class PCAMemory:
    """Peak memory of sk.pca on a sparse matrix whose dense copy would take 9.6 GB."""

    params = [sizes(quick=[(20_000, 15_000)], full=[(40_000, 30_000)])]
    param_names = ["shape"]

    def setup(self, shape):
        n, p = shape
        rng = np.random.default_rng(0)
        nnz = 20 * (n + p)
        X = sp.csr_array((rng.random(nnz), (rng.integers(0, n, nnz), rng.integers(0, p, nnz))),
                         shape=shape)
        for j in range(4):  # sparse topics above the noise
            rows = sp.csr_array((rng.random(n) < 0.01).astype(float)[:, None])
            cols = sp.csr_array((rng.random(p) < 0.01).astype(float)[None, :] / (j + 1))
            X = X + rows @ cols
        self.X = sp.csr_array(X)

    def peakmem_pca(self, shape):
        pca(self.X, 5)

    def track_seconds(self, shape):
        return median_time(lambda: pca(self.X, 5))

    track_seconds.unit = "s"
