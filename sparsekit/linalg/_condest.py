"""How ill-conditioned is a sparse matrix: :func:`condest`, without forming an inverse.

``κ₁(A) = ‖A‖₁ ‖A⁻¹‖₁``: ``‖A‖₁`` is exact (the largest absolute column sum,
O(nnz)); ``‖A⁻¹‖₁`` is estimated by Higham and Tisseur's block 1-norm
estimator [1]_ (Algorithm 2.4, the algorithm of SciPy's ``onenormest`` and
of LAPACK's ``xLACN2`` for ``t = 1``) applied to ``A⁻¹`` through the
factorization of :func:`sparsekit.factorize`, which stays in the cache: a
later ``sk.solve(A, b)`` or a shift-invert eigensolve at ``sigma=0`` reuses it.

The estimator only ever reports ``‖A⁻¹ x‖₁`` for a vector ``x`` of unit
1-norm, so its answer is a *lower bound* of ``‖A⁻¹‖₁`` (up to the rounding of
the solves, relative ``κ · eps``); it is usually exact, and "almost invariably
correct to within a factor 3" [1]_.  Each iteration solves ``t`` systems with
``A`` and ``t`` with ``Aᴴ``; it stops after at most ``itmax`` iterations
(typically 2 to 4).  ``norm=2`` takes the extreme singular values instead:
ARPACK on ``A`` for the largest, and on ``A⁻¹`` (the factorization again) for
the smallest; each Ritz value is below the value it estimates, so ``κ₂`` is
a lower bound too.

A singular matrix is an answer, not an error: ``cond = inf`` with a note
(the factorization met an exactly zero pivot, or the estimate reached
``1/eps``: no digit of a solution can be trusted).

References
----------
.. [1] N. J. Higham and F. Tisseur, "A block algorithm for matrix 1-norm
   estimation, with an application to 1-norm pseudospectra", SIAM J. Matrix
   Anal. Appl. 21(4), 1185-1201, 2000.
"""

from __future__ import annotations

import math
import time
import warnings
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .._validate import as_matrix, describe, is_symmetric, positive_int
from ..errors import InputValueError, SingularMatrixError, report_nonconvergence
from ..results import CondestResult
from . import factor
from ._cache import CACHE, cache_info, fingerprint
from ._residuals import matrix_scale

if TYPE_CHECKING:
    from .._typing import MatrixLike

__all__ = ["condest", "condition_note", "NORMS"]

#: The norms :func:`condest` estimates the condition number in.
NORMS = {
    1: "‖A‖₁ ‖A⁻¹‖₁: Higham-Tisseur block estimator on A⁻¹ (lower bound)",
    2: "σ_max / σ_min: ARPACK on A and on A⁻¹ (lower bound)",
    np.inf: "‖A‖∞ ‖A⁻¹‖∞ = κ₁(Aᴴ): the block estimator on A⁻ᴴ (lower bound)",
}

#: Below this order ``A⁻¹`` is formed column by column in one block solve: exact, and
#: cheaper than the estimator's iterations.
EXACT_MAX_N = 64

# a column of S is resampled at most this many times (a bound, not a loop that may not end)
_RESAMPLES = 20


# --------------------------------------------------------------------------- the estimator


def _parallel(S, T, n):
    """Whether each column of the ±1 matrix ``S`` is parallel to some column of ``T``."""
    if T.shape[1] == 0:
        return np.zeros(S.shape[1], dtype=bool)
    return np.any(np.abs(S.T @ T) >= n - 0.5, axis=1)


def _resample(S, S_old, rng):
    """Replace columns of ``S`` parallel to an earlier one or to one of ``S_old`` (real case)."""
    n, t = S.shape
    G = np.abs(S.T @ S) >= n - 0.5
    if not (np.any(np.triu(G, 1)) or np.any(_parallel(S, S_old, n))):
        return  # the usual case: nothing to resample, one product checked it
    for j in range(t):  # t is 2 to 8: a loop over the block's columns, not over entries
        for _ in range(_RESAMPLES):
            earlier = _parallel(S[:, j:j + 1], S[:, :j], n)[0]
            if not (earlier or _parallel(S[:, j:j + 1], S_old, n)[0]):
                break
            S[:, j] = rng.choice((-1.0, 1.0), size=n)


def _sign(Y, real):
    """``sign(Y)`` with sign(0) = 1 (``Y/|Y|`` for complex ``Y``)."""
    if real:
        return np.where(Y >= 0, 1.0, -1.0)
    a = np.abs(Y)
    return np.where(a == 0, 1.0, Y / np.where(a == 0, 1.0, a))


def block_onenormest(apply, apply_h, n, *, t=2, itmax=5, real=True, seed=0):
    """A lower bound of ``‖B‖₁`` from products with ``B`` and ``Bᴴ`` (Higham-Tisseur 2.4).

    Parameters
    ----------
    apply, apply_h : callable
        ``X -> B X`` and ``X -> Bᴴ X`` for ``X`` of shape ``(n, t)``.
    n : int
        Order of ``B`` (``n > t``).
    t : int, default=2
        Columns of the block.
    itmax : int, default=5
        Iterations at most (>= 2).
    real : bool, default=True
        ``B`` is real (the parallel-column checks apply).
    seed : int, default=0
        Seed of the random ±1 columns.

    Returns
    -------
    est : float
        ``‖B x‖₁`` for the best unit-1-norm ``x`` found: ``est <= ‖B‖₁``.
    iterations, products : int
        Iterations done, and columns multiplied (by ``B`` and ``Bᴴ``).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.linalg._condest import block_onenormest
    >>> B = np.array([[1.0, -4.0, 0.0], [2.0, 1.0, 0.0], [0.0, 3.0, 2.0]])
    >>> est, its, _ = block_onenormest(lambda X: B @ X, lambda X: B.T @ X, 3, t=1)
    >>> float(est), float(np.linalg.norm(B, 1))
    (8.0, 8.0)
    """
    rng = np.random.default_rng(seed)
    X = np.ones((n, t))
    if t > 1:
        X[:, 1:] = rng.choice((-1.0, 1.0), size=(n, t - 1))
        _resample(X, np.zeros((n, 0)), rng)
    X /= n
    ind_hist = np.zeros(0, dtype=np.intp)
    ind = np.arange(t)
    ind_best = 0
    est_old, est = 0.0, 0.0
    S = np.zeros((n, t))
    products, k = 0, 0
    for k in range(1, itmax + 2):
        Y = apply(X)
        products += t
        mags = np.abs(Y).sum(axis=0)
        j = int(np.argmax(mags))
        est = float(mags[j])
        if not np.isfinite(est):
            return math.inf, k, products
        if k >= 2 and est <= est_old:  # (1) no improvement: the previous estimate stands
            est = est_old
            break
        if est > est_old or k == 2:
            ind_best = int(ind[j])
        est_old, S_old = est, S
        if k > itmax:
            break
        S = _sign(Y, real)
        if real:
            if np.all(_parallel(S, S_old, n)):  # (2) no new sign pattern: converged
                break
            if t > 1:
                _resample(S, S_old, rng)
        h = np.abs(apply_h(S)).max(axis=1)  # (3)
        products += t
        if k >= 2 and h.max() == h[ind_best]:  # (4) the best column cannot improve
            break
        ind = np.argsort(h)[::-1][: t + ind_hist.size]
        if t > 1:
            seen = np.isin(ind, ind_hist)
            if np.all(seen[:t]):  # (5) every promising column was tried already
                break
            ind = np.concatenate((ind[~seen], ind[seen]))
        X = np.zeros((n, t))
        X[ind[:t], np.arange(t)] = 1.0
        ind_hist = np.concatenate((ind_hist, ind[:t][~np.isin(ind[:t], ind_hist)]))
    return est, k, products


# --------------------------------------------------------------------------- condest


def _check_norm(norm):
    if isinstance(norm, (bool, np.bool_)) or norm not in NORMS:
        raise InputValueError(f"norm must be 1, 2 or numpy.inf (got {norm!r})")
    return 2 if norm == 2 else (1 if norm == 1 else np.inf)


def _factorization(A):
    """``sk.factorize(A)`` (cached), whether it was a cache hit, and the seconds it took."""
    hits = cache_info().hits
    t0 = time.perf_counter()
    F = factor.factorize(A)
    return F, cache_info().hits > hits, time.perf_counter() - t0


def _singular(norm, anorm, ainv, reason, factorization, timings, iterations=0, solves=0):
    return CondestResult(math.inf, norm, anorm, ainv, False, False, iterations, solves,
                         singular=True, method="higham-tisseur" if norm != 2 else "arpack",
                         factorization=factorization, timings=timings,
                         notes=(reason, "A is singular to working precision: κ = inf; for a "
                                "singular system use sk.solve (a Laplacian's null space is "
                                "projected out), a least-squares method, or sk.null_space"))


def condest(A: MatrixLike, norm: float = 1, *, t: int = 2, itmax: int = 5) -> CondestResult:
    """The condition number of a sparse matrix, estimated from its factorization.

    Parameters
    ----------
    A : sparse matrix or array, or ndarray, shape (n, n)
        Square matrix (finite entries).
    norm : {1, 2, numpy.inf}, default=1
        ``1``: ``‖A‖₁ ‖A⁻¹‖₁`` with ``‖A⁻¹‖₁`` from Higham and Tisseur's block
        estimator (a lower bound, usually exact); ``numpy.inf``: the same on
        ``Aᴴ``; ``2``: ``σ_max / σ_min`` by ARPACK on ``A`` and ``A⁻¹``.
    t : int, default=2
        Columns of the estimator's block (SciPy's ``onenormest`` name): larger
        is more reliable and costs ``2 t`` solves per iteration.
    itmax : int, default=5
        Iterations of the estimator at most (>= 2).

    Returns
    -------
    CondestResult
        ``cond``, ``lower_bound`` (True: the estimate never exceeds the true
        value, up to rounding), ``exact``, ``iterations``, ``solves``, the
        ``factorization`` used (the one ``sk.solve`` reuses), ``summary`` (one
        line), ``rcond`` and ``digits_lost``.  A singular ``A`` gives
        ``cond = inf`` and ``singular=True`` with a note.

    Raises
    ------
    NotSquareError
        ``A`` is not square (``sk.dense.cond`` takes rectangular matrices).
    InputValueError
        NaN or Inf entries, an empty matrix, ``norm`` not 1, 2 or inf.

    See Also
    --------
    numpy.linalg.cond, scipy.sparse.linalg.onenormest, sparsekit.dense.cond

    Notes
    -----
    Below ``n = 64`` the inverse is formed in one block solve with the
    identity and the answer is exact.  The cost is one factorization (free
    when cached) and ``2 t`` solves per iteration (``norm=1``), or two ARPACK
    runs (``norm=2``, a few dozen solves).

    Examples
    --------
    >>> import numpy as np
    >>> import sparsekit as sk
    >>> from sparsekit.linalg._condest import condest
    >>> A = sk.poisson((100, 100))
    >>> c = condest(A)
    >>> c.cond, c.lower_bound, c.iterations      # numpy.linalg.cond(A.toarray(), 1): 6010.7075...
    (6010.70..., True, 2)
    >>> lam = sk.fem.poisson_eigenvalues((100, 100))        # κ₂ = λ_max / λ_min, exactly
    >>> float(condest(A, norm=2).cond / (lam[-1] / lam[0]))
    1.0000...
    >>> condest(np.array([[1.0, 2.0], [2.0, 4.0]])).cond
    inf
    """
    norm = _check_norm(norm)
    t = positive_int(t, "t")
    itmax = positive_int(itmax, "itmax", minimum=2)
    A = as_matrix(A, "A", square=True)
    n = A.shape[0]
    if n == 0:
        raise InputValueError(f"A is empty (got {describe(A)}); a condition number needs n >= 1")
    anorm = _anorm(A, norm)
    try:
        F, hit, t_factor = _factorization(A)
    except SingularMatrixError as exc:
        return _singular(norm, anorm, math.inf, f"the factorization met an exactly zero "
                         f"pivot ({str(exc).split(';')[0]})", "", {})
    fac = f"{F.kind} ({F.engine}{', cached' if hit else ''})"
    t0 = time.perf_counter()
    if norm == 2:
        return _two_norm(A, F, fac, t_factor)
    real = F.dtype.kind != "c" and (A.dtype.kind != "c")
    solve = (lambda X: F.solve(X)) if norm == 1 else (lambda X: F.solve(X, trans="H"))
    solve_h = (lambda X: F.solve(X, trans="H")) if norm == 1 else (lambda X: F.solve(X))
    exact = n <= max(t, EXACT_MAX_N)
    with np.errstate(all="ignore"):
        if exact:
            Ainv = solve(np.eye(n))
            est = float(np.abs(Ainv).sum(axis=0).max()) if np.all(np.isfinite(Ainv)) \
                else math.inf
            its, solves = 1, n
        else:
            est, its, solves = block_onenormest(solve, solve_h, n, t=t, itmax=itmax, real=real)
    timings = {"factorize": t_factor, "estimate": time.perf_counter() - t0}
    cond = anorm * est
    eps = np.finfo(np.result_type(F.dtype, np.float64)).eps
    if not np.isfinite(cond) or cond * eps >= 1:
        return _singular(norm, anorm, est, f"the estimate reached {cond:.2e} >= 1/eps",
                         fac, timings, its, solves)
    notes = (f"‖A⁻¹‖ from the {F.kind} factorization ({F.engine}); it stays cached for "
             "sk.solve and shift-invert",)
    method = "exact" if exact else "higham-tisseur"
    return CondestResult(cond, 1 if norm == 1 else norm, anorm, est, True, exact, its, solves,
                         singular=False, method=method, factorization=fac, timings=timings,
                         notes=notes)


def _anorm(A, norm):
    """``‖A‖₁`` or ``‖A‖∞`` exactly (``norm=2`` is computed later, by ARPACK)."""
    if norm == 1 and sp.issparse(A) and A.format in ("csr", "csc"):
        # the column sums of |A| straight from the arrays (no |A| matrix built)
        data = np.abs(A.data)
        n = A.shape[1]
        cols = A.indices if A.format == "csr" else np.repeat(np.arange(n), np.diff(A.indptr))
        sums = np.bincount(cols, weights=data, minlength=n)
        return float(sums.max()) if sums.size else 0.0
    if norm == 1:
        return matrix_scale(A)
    if norm == np.inf:
        return matrix_scale(A.T if sp.issparse(A) else np.asarray(A).T)
    return math.nan


class _Counted:
    """A LinearOperator's products, counted (ARPACK's iterations are not returned by SciPy)."""

    def __init__(self):
        self.count = 0

    def __call__(self, fn):
        def wrapped(x):
            self.count += 1 if x.ndim == 1 else x.shape[1]
            return fn(x)
        return wrapped


def _largest(op, symmetric, n, tol, v0):
    """``(value, left, right)`` of the largest singular value of ``op`` by ARPACK."""
    if symmetric:
        w, V = spla.eigsh(op, k=1, which="LM", tol=tol, v0=v0)
        return abs(float(w[0])), V[:, 0] * np.sign(w[0]), V[:, 0]
    U, s, Vh = spla.svds(op, k=1, tol=tol, v0=v0, solver="arpack")
    return float(s[0]), U[:, 0], np.conj(Vh[0])


def _two_norm(A, F, fac, t_factor, tol=1e-8):
    """``κ₂ = σ_max / σ_min``: ARPACK on ``A``, then on ``A⁻¹`` through the factorization."""
    n = A.shape[0]
    t0 = time.perf_counter()
    symmetric = is_symmetric(A)
    dtype = np.result_type(A.dtype, F.dtype, np.float64)
    count = _Counted()
    fwd = spla.LinearOperator((n, n), matvec=count(lambda x: A @ x),
                              rmatvec=count(lambda x: A.conj().T @ x), dtype=dtype)
    inv = spla.LinearOperator((n, n), matvec=count(F.solve),
                              rmatvec=count(lambda x: F.solve(x, trans="H")), dtype=dtype)
    v0 = np.random.default_rng(0).standard_normal(n)
    notes = []
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            smax, u1, v1 = _largest(fwd, symmetric, n, tol, v0) if n > 2 else \
                _dense_extreme(A, largest=True)
            solves_before = count.count
            mu, y, x = _largest(inv, symmetric, n, tol, v0) if n > 2 else \
                _dense_extreme(A, largest=False)
    except spla.ArpackNoConvergence as exc:
        result = CondestResult(math.nan, 2, math.nan, math.nan, False, False, count.count,
                               0, method="arpack", factorization=fac,
                               notes=(f"ARPACK did not converge ({exc})",))
        report_nonconvergence(f"condest(norm=2): ARPACK did not converge ({exc})", result,
                              False)
        return result
    timings = {"factorize": t_factor, "estimate": time.perf_counter() - t0}
    solves = count.count - solves_before
    if not np.isfinite(mu) or mu == 0 or smax * mu * np.finfo(dtype).eps >= 1:
        return _singular(2, smax, mu, f"σ_min reached {1 / mu if mu else 0:.2e}: "
                         f"σ_max/σ_min >= 1/eps", fac, timings, count.count, solves)
    smin = 1.0 / mu
    # residuals recomputed with A itself: A v₁ = σ_max u₁ and A y = σ_min x (y, x unit)
    y = y / np.linalg.norm(y)
    x = x / np.linalg.norm(x)
    r_max = float(np.linalg.norm(A @ v1 - smax * u1))
    r_min = float(np.linalg.norm(A @ y - smin * x))
    notes.append(f"σ_max = {smax:.6e} (residual {r_max:.1e}), σ_min = {smin:.6e} "
                 f"(residual {r_min:.1e}) by ARPACK; σ_min through the {F.kind} factorization")
    ok = r_max <= 1e-6 * smax and r_min <= 1e-6 * smax
    if not ok:
        notes.append("a residual is above 1e-6 σ_max: the estimate is rough")
    return CondestResult(smax / smin, 2, smax, mu, ok, n <= 2, count.count, solves,
                         method="arpack", factorization=fac, timings=timings, notes=tuple(notes))


def _dense_extreme(A, largest):
    """The extreme singular triplet of a tiny (n <= 2) matrix, densely."""
    D = A.toarray() if sp.issparse(A) else np.asarray(A)
    U, s, Vh = np.linalg.svd(D)
    if largest:
        return float(s[0]), U[:, 0], np.conj(Vh[0])
    if s[-1] == 0:
        return math.inf, U[:, -1], np.conj(Vh[-1])
    # for A⁻¹: its largest singular value 1/σ_min, with A y = σ_min x (y = right, x = left)
    return 1.0 / float(s[-1]), np.conj(Vh[-1]), U[:, -1]


def condition_note(A, *, cached_only: bool = False) -> str:
    """One line on ``A``'s condition for a plan, a failed solve's notes or the CLI.

    Parameters
    ----------
    A : sparse matrix or array, or ndarray
        Square matrix.
    cached_only : bool, default=False
        Estimate only when ``sk.factorize(A)`` is already cached (then the
        note costs a few solves); return ``""`` otherwise.  With False a
        factorization is made (and cached for the solve that follows).

    Returns
    -------
    str
        ``CondestResult.summary``, or ``""`` (``cached_only`` and nothing
        cached, a rectangular matrix, or no factorization possible).

    Examples
    --------
    >>> import sparsekit as sk
    >>> from sparsekit.linalg._condest import condition_note
    >>> print(condition_note(sk.poisson((30, 30))))
    κ₁(A) ≈ 5.65e+02 (lower bound, higham-tisseur, 2 iterations): a solve may lose about 3 of 16
    digits
    """
    shape = getattr(A, "shape", None)
    if shape is None or len(shape) != 2 or shape[0] != shape[1] or shape[0] == 0:
        return ""
    if isinstance(A, spla.LinearOperator):
        return ""
    if cached_only and not _cached(A):
        return ""
    return condest(A).summary


def _cached(A) -> bool:
    """Whether ``sk.factorize(A)`` is in the cache (an O(nnz) hash only when one may be)."""
    try:
        M = as_matrix(A, "A", square=True)
    except InputValueError:
        return False
    if factor.signature(M) not in factor.SIGNATURES:
        return False
    return CACHE.contains(factor.cache_key(fingerprint(M), "auto", 0.0, None, None))
