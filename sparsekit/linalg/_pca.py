"""Principal components of a sparse data matrix, never densified: :func:`pca`.

A documents × terms matrix, a PPMI co-occurrence matrix or a user × item
matrix ``X`` (``n`` samples × ``p`` features) is centred *implicitly*: the
products with ``Xc = X − 1 μᵀ`` are ``Xc V = X V − 1 (μᵀ V)`` and
``Xcᵀ U = Xᵀ U − μ (1ᵀ U)``, so only sparse products with ``X`` and ``Xᵀ``
(a view, no copy) and dense blocks of ``k``-ish columns are ever formed.

Two methods (:data:`METHODS`) work on the Gram operator ``G`` of the smaller
side (``Xcᵀ Xc`` when ``p <= n``, else ``Xc Xcᵀ``; ``d = min(n, p)``):

``"randomized"``
    Randomized range finding with power iterations, keeping every power: a
    block Krylov space ``[Ω, G Ω, G² Ω, ...]`` from a Gaussian block ``Ω`` of
    ``b = k + n_oversamples`` columns, orthonormalised as it grows (block
    Lanczos with full reorthogonalization).  Keeping all the powers is what
    makes it converge much faster than plain subspace (power) iteration at the
    same number of products [1]_; the Ritz residuals come for free from the
    recurrence, so it stops as soon as every component meets ``tol`` (no
    fixed ``n_iter`` to guess).  Products with ``X`` run on blocks of ``b``
    columns, two to three times the throughput of one vector at a time.
``"arpack"``
    ARPACK (``scipy.sparse.linalg.eigsh``) on ``G``, one vector at a time, with
    a Lanczos basis of at least 30 vectors (fewer restarts than SciPy's
    ``svds`` at its defaults: about 70 Gram products against 120 here).

``"auto"`` runs ARPACK for ``tol < 1e-4`` (the default ``tol=1e-8`` leaves the
singular values correct to machine precision; there ARPACK needs fewer
products) and the randomized block Krylov method for looser tolerances (a few
block products reach four to six digits, where plain power iterations need
dozens), with ARPACK as its fallback.

Every component's residual ``sqrt(‖Xc v − s u‖² + ‖Xcᵀ u − s v‖²)`` is
recomputed at the end from products with ``X`` itself.  Memory: ``X`` and
``Xᵀ`` as given (no copy), the results (``(n + p) k`` numbers) and the Krylov
basis, at most ``max(6 b, min(128 MiB / (8 d), 30 b))`` columns of length ``d`` (the
iteration restarts from its best ``b`` Ritz vectors when the basis is full).

References
----------
.. [1] C. Musco and C. Musco, "Randomized block Krylov methods for stronger
   and faster approximate singular value decomposition", NeurIPS 2015.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .._requests import DEFAULT_EIGEN_TOL
from .._validate import as_matrix, check_choice, nonnegative_float, positive_int
from ..errors import InputValueError, report_nonconvergence
from ..results import PCAResult, _fmt_bytes
from ._threads import single_thread_blas

if TYPE_CHECKING:
    from .._typing import MatrixLike, Seed

__all__ = ["pca", "METHODS"]

METHODS = {
    "auto": "ARPACK for tol < 1e-4 (machine-precision singular values), randomized for looser "
            "tolerances (falling back to ARPACK if it has not converged within maxiter)",
    "randomized": "randomized block Krylov range finding (power iterations, all powers kept)",
    "arpack": "ARPACK (scipy.sparse.linalg.eigsh) on the Gram operator of the smaller side",
}

#: Memory the Krylov basis may take before the iteration restarts (bytes) ...
BASIS_BYTES = 128 * 1024**2
#: ... and blocks it may hold (each iteration diagonalises the projected matrix: O(m³)).
MAX_BLOCKS = 30

#: ARPACK's Lanczos basis has at least this many vectors (SciPy's default is 2k + 1):
#: fewer restarts.  Measured (top 10 of a 5,000 x 5,000 PPMI matrix, tol 1e-8): 68 to 77
#: Gram products with ncv 30-40, against about 120 for SciPy's svds at its defaults.
NCV_MIN = 30

#: ``auto`` runs the randomized block Krylov method from this ``tol`` up, ARPACK below:
#: at machine-precision tolerances ARPACK needs fewer products (the block method's
#: throughput per column does not make up for its lower polynomial degree), at loose
#: ones the block method stops after a few block products.
AUTO_RANDOMIZED_TOL = 1e-4

#: Below this ``d = min(n, p)`` the d × d Gram matrix is formed from products and
#: diagonalised (exact, and cheaper than any iteration).
GRAM_MAX_D = 256


class _Centred:
    """Products with ``Xc = X − 1 μᵀ`` (``μ`` None: ``X`` itself), counted, never formed."""

    def __init__(self, X, mean):
        self.X = X
        self.XT = X.T  # a view: CSR's transpose is CSC over the same arrays
        self.mean = mean
        self.products = 0

    def mv(self, V):
        """``Xc V`` for a block ``V`` (p × b)."""
        self.products += 1
        out = np.asarray(self.X @ V)
        if self.mean is not None:
            out -= self.mean @ V
        return out

    def rmv(self, U):
        """``Xcᵀ U`` for a block ``U`` (n × b)."""
        self.products += 1
        out = np.asarray(self.XT @ U)
        if self.mean is not None:
            out -= np.multiply.outer(self.mean, U.sum(axis=0))
        return out

    def gram(self, right):
        """``G Y`` of the smaller side: ``Xcᵀ Xc Y`` (right) or ``Xc Xcᵀ Y`` (left)."""
        return (lambda Y: self.rmv(self.mv(Y))) if right else (lambda Y: self.mv(self.rmv(Y)))


def pca(X: MatrixLike, k: int = 6, *, center: bool = True, method: str = "auto",
        tol: float | None = None, maxiter: int | None = None, n_oversamples: int | None = None,
        random_state: Seed = 0, strict: bool = False) -> PCAResult:
    """The ``k`` principal components of a sparse data matrix, without densifying it.

    Parameters
    ----------
    X : sparse matrix or array, or ndarray, shape (n_samples, n_features)
        The data (finite entries).
    k : int, default=6
        Number of components, ``1 <= k < min(n_samples, n_features)``.
    center : bool, default=True
        Remove the column means (PCA); ``False`` gives the truncated SVD of
        ``X`` itself (scikit-learn's ``TruncatedSVD``, latent semantic analysis).
    method : {"auto", "randomized", "arpack"}, default="auto"
        See :data:`METHODS`.
    tol : float, optional
        Each component's residual must be ``<= tol · s_max``; default 1e-8,
        which leaves the singular values correct to about 1e-15 relative
        (their error is of the order of the residual squared over the gap).
    maxiter : int, optional
        Block iterations (``"randomized"``, default 200) or ARPACK restarts
        (``"arpack"``, SciPy's default).
    n_oversamples : int, optional
        Extra columns of the block (``"randomized"``): ``b = k + n_oversamples``,
        default ``max(2, k // 4)``.
    random_state : int or numpy.random.Generator, default=0
        Seed of the random starting block (results are reproducible).
    strict : bool, default=False
        Raise :class:`~sparsekit.NoConvergence` instead of warning.

    Returns
    -------
    PCAResult
        ``components`` (k × n_features), ``singular_values``,
        ``explained_variance``, ``explained_variance_ratio``, ``mean``, ``U``,
        per-component ``residuals`` and ``converged`` flags, ``transform(X)``.

    Raises
    ------
    InputValueError
        ``k`` out of range, NaN or Inf entries.

    See Also
    --------
    sklearn.decomposition.PCA, sklearn.decomposition.TruncatedSVD, sparsekit.svds

    Notes
    -----
    The sign of each component is fixed so that its entry of largest
    magnitude is positive.  ``explained_variance`` is ``s² / (n − 1)`` (with
    ``center=False`` too: there, ``explained_variance_ratio`` is the share of
    ``‖X‖_F²``, not of the variance as in scikit-learn's ``TruncatedSVD``).

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from sparsekit.linalg._pca import pca
    >>> X = sp.random_array((2000, 300), density=0.01, random_state=0, format="csr")
    >>> r = pca(X, k=5)
    >>> r.components.shape, bool(r.all_converged)
    ((5, 300), True)
    >>> Xc = X.toarray() - X.toarray().mean(axis=0)          # the dense reference
    >>> bool(np.allclose(r.singular_values, np.linalg.svd(Xc, compute_uv=False)[:5]))
    True
    """
    check_choice(method, METHODS, "method")
    X = as_matrix(X, "X")
    n, p = X.shape
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k < min(n, p):
        raise InputValueError(f"k must be an integer with 1 <= k < min(n_samples, n_features) "
                              f"(got k={k!r}, X of shape {X.shape}); use sk.dense.svd for "
                              "every component of a small matrix")
    k = int(k)
    tol = DEFAULT_EIGEN_TOL if tol is None else nonnegative_float(tol, "tol")
    if maxiter is not None:
        maxiter = positive_int(maxiter, "maxiter")
    over = max(2, k // 4) if n_oversamples is None else positive_int(n_oversamples,
                                                                       "n_oversamples", minimum=0)
    rng = np.random.default_rng(random_state)
    mean = np.asarray(X.mean(axis=0)).ravel() if center else None
    op = _Centred(X, mean)
    right = p <= n
    d = min(n, p)
    notes = []
    t0 = time.perf_counter()
    with single_thread_blas():
        if method != "arpack" and (d <= GRAM_MAX_D or (4 * (k + over) > d and d <= 4096)):
            Y, converged_early = _gram_dense(op, right, d), True
            notes.append(f"the smaller side has d = {d} (<= {GRAM_MAX_D}, or under 4 blocks of "
                         f"{k + over}): its Gram matrix, formed from products, diagonalised "
                         "exactly")
            used = "randomized" if method == "auto" else method
        else:
            Y, used, converged_early = _iterate(op, right, d, k, method, tol, maxiter, over,
                                                rng, notes)
        V, s, U = _both_sides(op, right, Y[:, :k])
        res = _residuals(op, U, s, V)
    t1 = time.perf_counter()
    converged = res <= tol * max(float(s[0]), np.finfo(float).tiny)
    result = _result(X, V, s, U, mean, res, converged, used, op.products, tol, t1 - t0,
                     notes)
    if not result.all_converged:
        report_nonconvergence(
            f"pca ({used}): {int(np.sum(~converged))} of {k} components missed the tolerance "
            f"{tol:g} (max residual / s_max {float(np.max(res)) / s[0]:.2e})"
            + ("" if converged_early else "; raise maxiter"), result, strict, stacklevel=3)
    return result


def _iterate(op, right, d, k, method, tol, maxiter, over, rng, notes):
    """Run ``method`` (auto: by ``tol``, see :data:`METHODS`); returns (Y, method, converged)."""
    b = k + over
    if method == "auto" and tol < AUTO_RANDOMIZED_TOL:
        notes.append(f"auto: tol={tol:g} < {AUTO_RANDOMIZED_TOL:g}: ARPACK")
        method = "arpack"
    if method in ("auto", "randomized") and 4 * b <= d:
        Y, ok, its, basis = _block_krylov(op.gram(right), d, k, b, tol, maxiter or 200, rng)
        notes.append(f"block Krylov: block of {b}, {its} iterations, basis of at most "
                     f"{basis} vectors ({_fmt_bytes(8 * d * basis)})")
        if ok or method == "randomized":
            return Y, "randomized", ok
        notes.append("auto: the randomized iteration did not converge; ARPACK instead")
        maxiter = None  # block iterations are not ARPACK restarts
    elif method == "randomized":
        notes.append(f"a block of {b} is over a quarter of d = {d}: ARPACK instead")
    Y, ok = _arpack(op.gram(right), d, k, tol, maxiter, rng)
    return Y, "arpack", ok


def _gram_dense(op, right, d):
    """Eigenvectors of the d × d Gram matrix (descending), from products with the identity."""
    G = op.gram(right)(np.eye(d))
    w, Y = np.linalg.eigh((G + G.T) / 2)
    return Y[:, ::-1]


def _orthonormal(Z, Q=None):
    """An orthonormal basis of ``Z``'s columns (orthogonal to ``Q``'s, twice)."""
    for _ in range(2 if Q is not None else 1):
        if Q is not None:
            Z = Z - Q @ (Q.T @ Z)
        Z, _ = np.linalg.qr(Z)
    return Z


def _block_krylov(gram, d, k, b, tol, maxiter, rng):
    """Block Lanczos on the Gram operator, full reorthogonalization, restarts when full.

    Returns ``(Y, converged, iterations, basis columns)``: ``Y`` the Ritz
    vectors, best first.  The Ritz residual ``‖G y − θ y‖`` of a pair is
    ``‖R s_last‖`` (``R`` the newest block's coefficients), so convergence is
    judged without extra products: component ``i`` has singular triplet
    residual ``‖G y − θ y‖ / sqrt(θ)``, to be ``<= tol · sqrt(θ_max)``.
    """
    cap = min(max(6 * b, min(BASIS_BYTES // (8 * d), MAX_BLOCKS * b)), d - b)
    cap -= cap % b
    Qall = np.empty((d, cap))
    Qall[:, :b] = _orthonormal(rng.standard_normal((d, b)))
    T = np.zeros((cap, cap))
    m = b
    theta = S = None
    for it in range(1, maxiter + 1):
        Q = Qall[:, :m]
        Z = gram(Qall[:, m - b:m])
        H = Q.T @ Z
        Z -= Q @ H
        H2 = Q.T @ Z  # the second pass of classical Gram-Schmidt ("twice is enough")
        Z -= Q @ H2
        H += H2
        T[:m, m - b:m] = H
        T[m - b:m, :m] = H.T
        Qn, R = np.linalg.qr(Z)
        theta, S = sla.eigh(T[:m, :m])
        theta, S = theta[::-1], S[:, ::-1]
        sig = np.sqrt(np.maximum(theta[:k], 0.0))
        ritz = np.linalg.norm(R @ S[m - b:m, :k], axis=0)
        if np.all(ritz <= tol * sig[0] * np.maximum(sig, tol * sig[0])):
            return Q @ S[:, :k], True, it, cap
        if it == maxiter:
            return Q @ S[:, :k], False, it, cap
        if m + b > cap:
            # restart from the best b Ritz vectors Y and the newest block: G Y = Y Θ + Qn R S_b
            Qall[:, :b] = Q @ S[:, :b]
            Qall[:, b:2 * b] = Qn
            T[:] = 0.0
            T[np.arange(b), np.arange(b)] = theta[:b]
            C = R @ S[m - b:m, :b]
            T[b:2 * b, :b] = C
            T[:b, b:2 * b] = C.T
            m = 2 * b
            continue
        if np.min(np.abs(np.diag(R))) < 1e-12 * max(abs(theta[0]), 1e-300):
            Qn = _orthonormal(Qn, Q)  # a (near) invariant subspace: keep the basis orthonormal
        Qall[:, m:m + b] = Qn
        T[m:m + b, m - b:m] = R
        T[m - b:m, m:m + b] = R.T
        m += b
    raise AssertionError("unreachable: the loop returns at it == maxiter")  # pragma: no cover


def _arpack(gram, d, k, tol, maxiter, rng):
    """ARPACK's largest eigenpairs of the Gram operator; returns (Y best first, converged)."""
    G = spla.LinearOperator((d, d), matvec=gram, matmat=gram, dtype=float)
    ncv = min(d - 1, max(2 * k + 1, 3 * k, NCV_MIN))
    try:
        w, Y = spla.eigsh(G, k=k, which="LA", tol=tol, v0=rng.standard_normal(d), ncv=ncv,
                          maxiter=maxiter)
        ok = True
    except spla.ArpackNoConvergence as exc:
        w, Y, ok = exc.eigenvalues, exc.eigenvectors, False
        if Y.shape[1] < k:  # too few pairs: pad with orthonormal directions, flagged below
            extra = rng.standard_normal((d, k - Y.shape[1]))
            Y = np.hstack([Y, _orthonormal(extra, Y)]) if Y.size else _orthonormal(extra)
            w = np.concatenate([w, np.zeros(k - len(w))])
    order = np.argsort(w)[::-1]
    return Y[:, order], ok


def _both_sides(op, right, Y):
    """``(V, s, U)`` from the Ritz vectors ``Y`` of the smaller side: ``s = ‖Xc v‖``."""
    if right:
        XV = op.mv(Y)
        s = np.linalg.norm(XV, axis=0)
        V, U = Y, XV / np.where(s > 0, s, 1.0)
    else:
        XU = op.rmv(Y)
        s = np.linalg.norm(XU, axis=0)
        U, V = Y, XU / np.where(s > 0, s, 1.0)
    order = np.argsort(s)[::-1]
    V, s, U = V[:, order], s[order], U[:, order]
    # a deterministic sign: the entry of largest magnitude of each component is positive
    big = np.argmax(np.abs(V), axis=0)
    sign = np.sign(V[big, np.arange(V.shape[1])])
    sign[sign == 0] = 1.0
    return V * sign, s, U * sign


def _residuals(op, U, s, V):
    """``sqrt(‖Xc v − s u‖² + ‖Xcᵀ u − s v‖²)`` of every component, from products with X."""
    r1 = np.linalg.norm(op.mv(V) - U * s, axis=0)
    r2 = np.linalg.norm(op.rmv(U) - V * s, axis=0)
    return np.sqrt(r1**2 + r2**2)


def _sum_of_squares(X, chunk=1 << 20) -> float:
    """``‖X‖_F²`` without a copy of ``X``: duplicates are summed chunk by chunk of rows."""
    if not sp.issparse(X):
        return float(np.vdot(X, X).real)
    if X.has_canonical_format:
        return float(np.vdot(X.data, X.data).real)
    major = X.shape[0] if X.format == "csr" else X.shape[1]
    ends = np.searchsorted(X.indptr, np.arange(chunk, X.nnz + chunk, chunk), side="right") - 1
    bounds = np.unique(np.concatenate([[0], np.clip(ends, 1, major), [major]]))
    total = 0.0
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):  # chunks of about 1M entries
        C = X[a:b] if X.format == "csr" else X[:, a:b]
        C.sum_duplicates()
        total += float(np.vdot(C.data, C.data).real)
    return total


def _result(X, V, s, U, mean, res, converged, method, products, tol, seconds, notes):
    """The :class:`~sparsekit.results.PCAResult`, with the explained variance."""
    n = X.shape[0]
    total = _sum_of_squares(X)
    if mean is not None:
        total -= n * float(mean @ mean)
    var = s**2 / max(n - 1, 1)
    ratio = s**2 / total if total > 0 else np.zeros_like(s)
    notes = list(notes) + [f"X ({'sparse' if sp.issparse(X) else 'dense'} {X.shape[0]}x"
                           f"{X.shape[1]}) was {'centred implicitly, ' if mean is not None else ''}"
                           "never densified"]
    return PCAResult(V.T.copy(), s, var, ratio, mean, U, res, converged, method, products, tol,
                     {"solve": seconds}, tuple(notes))
