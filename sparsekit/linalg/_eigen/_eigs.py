"""``sk.eigs``: eigenpairs of a nonsymmetric (or complex) matrix, every pair judged.

The counterpart of :func:`scipy.sparse.linalg.eigs`, with its arguments in its
order and ``which`` with its meaning, and the result of ``sk.eigsh``: an
:class:`~sparsekit.EigenResult` whose residuals were recomputed here.  The
methods (:data:`EIGS_METHODS`):

* ``"arpack"``: SciPy's ARPACK (implicitly restarted Arnoldi) in regular mode,
  for ``M`` with the inverse of ``M`` from its cached Cholesky factorization;
  with ``sigma`` it runs shift-invert mode, as SciPy does.
* ``"shift_invert"``: ARPACK on ``(A − σM)⁻¹ M`` with the LU factorization of
  ``A − σM`` taken from (and left in) sparsekit's factorization cache.  A
  complex ``σ`` on a real matrix runs in complex arithmetic (SciPy's
  ``OPpart`` is not needed).  ``which='SM'`` without ``sigma`` is shift-invert
  at 0: the smallest magnitudes are the eigenvalues nearest 0 (a singular
  ``A``: at a tiny shift, ``SINGULAR_SM_SHIFT``); ``'SM'`` with ``sigma``
  (the eigenvalues farthest from ``σ``) is regular mode on ``A − σM``.
* ``"dense"``: :func:`scipy.linalg.eig` on the densified matrix (pencil).

Residual convention: vectors have unit 2-norm (the eigenvectors of a
nonsymmetric matrix are not orthogonal, and ``M``-orthonormality means
nothing there); the residual of a pair is ``‖A v − λ M v‖₂`` and it is
converged when at most ``tol · (‖A‖ + |λ| ‖M‖)``, where ``‖A‖`` is
``sqrt(‖A‖₁ ‖A‖∞)``, an O(nnz) upper bound of the 2-norm of any matrix.
Values come ascending by what ``which`` ranks
(:func:`sparsekit._requests.select_which`): the real part for
``"smallest"``/``"largest"``/``'LR'``/``'SR'``, the magnitude for
``'LM'``/``'SM'``, the distance to ``sigma`` (nearest first) for
``"nearest"``.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..._requests import check_k, check_ncv, check_which, eigen_tol, select_which
from ..._validate import as_matrix, check_choice, nonnegative_float, positive_int
from ...errors import (
    DenseTooLargeError,
    InputValueError,
    NoConvergence,
    NotSPDError,
    SingularMatrixError,
    report_nonconvergence,
)
from ...results import EigenResult, _fmt_bytes
from .. import _dense_eigh, factor
from .._cache import CACHE
from .._residuals import check_mass, matrix_scale
from .._threads import single_thread_blas, threads_for
from ._problem import SINGULAR_SM_SHIFT, _operator_scale, double_precision

if TYPE_CHECKING:
    import numpy.typing as npt

    from ..._typing import OperatorLike

__all__ = ["eigs", "EIGS_METHODS", "EIGS_DENSE_CROSSOVER", "EIGS_DENSE_FALLBACK"]

#: Below this order ``auto`` solves densely (``scipy.linalg.eig``).  Measured here (one
#: BLAS thread, random sparse nonsymmetric matrices with 5 entries per row, k = 6, median
#: of 5): n = 100 dense 12 ms against ARPACK 13 ms; n = 200 53 ms against 16 ms; n = 400
#: 204 ms against 15 ms.  The nonsymmetric QR algorithm costs several times ``eigh``.
EIGS_DENSE_CROSSOVER = 120

#: While ``n`` is at most this, dense LAPACK is ``auto``'s fallback after ARPACK.  ARPACK
#: runs with SciPy's restart limit (10 n): Arnoldi needs many more restarts than Lanczos,
#: and a dense ``eig`` costs far more than ``eigh`` (measured: n = 1,030 2.1 s, complex
#: n = 841 3.8 s, one thread on the busy machine), so there is no early cap as in eigsh.
EIGS_DENSE_FALLBACK = 1500

log = logging.getLogger("sparsekit.linalg.eigen")

EIGS_METHODS = {
    "auto": "dense for small n; shift_invert with sigma (or which='SM'); arpack otherwise; "
            "dense LAPACK as the fallback while it is cheap",
    "arpack": "ARPACK Arnoldi, SciPy's eigs (shift-invert mode with sigma)",
    "shift_invert": "ARPACK on (A - sigma M)^-1 M with a cached LU factorization",
    "dense": "scipy.linalg.eig",
}

#: SciPy's ARPACK code for sparsekit's words (``eigs`` ranks complex eigenvalues).
_CODES = {"smallest": "SR", "largest": "LR", "nearest": "LM"}


class _Failed(Exception):
    """A method could not produce eigenpairs (auto falls back; explicit re-raises)."""


@dataclass
class _Eigs:
    """The validated problem every method of :func:`eigs` shares."""

    A: Any
    M: Any
    n: int
    k: int
    which: str
    sigma: Any
    tol: float
    maxiter: int | None
    v0: np.ndarray | None
    ncv: int | None
    operator: bool
    real: bool  # A and M real: eigenvalues in conjugate pairs, 'LI'/'SI' rank |Im|
    scale: float
    mscale: float

    @property
    def dtype(self):
        """The working dtype of ARPACK's vectors."""
        return np.dtype(float) if self.real and np.isrealobj(self.sigma) else np.dtype(complex)


@dataclass
class _Pairs:
    """A method's pairs, before :func:`_finish` selects and judges them."""

    values: np.ndarray
    vectors: np.ndarray
    setup: float
    solve: float
    notes: tuple = ()
    stopped: bool = False  # ARPACK ran out of restarts: a wanted pair may be missing


@overload
def eigs(A: OperatorLike, k: int = ..., M: OperatorLike | None = ...,
         sigma: complex | None = ..., which: str | None = ..., v0: npt.ArrayLike | None = ...,
         ncv: int | None = ..., maxiter: int | None = ..., tol: float | None = ...,
         return_eigenvectors: Literal[True] = ..., *, method: str = ..., strict: bool = ...
         ) -> EigenResult: ...
@overload
def eigs(A: OperatorLike, k: int = ..., M: OperatorLike | None = ...,
         sigma: complex | None = ..., which: str | None = ..., v0: npt.ArrayLike | None = ...,
         ncv: int | None = ..., maxiter: int | None = ..., tol: float | None = ..., *,
         return_eigenvectors: Literal[False], method: str = ..., strict: bool = ...
         ) -> np.ndarray: ...
@overload
def eigs(A: OperatorLike, k: int = ..., M: OperatorLike | None = ...,
         sigma: complex | None = ..., which: str | None = ..., v0: npt.ArrayLike | None = ...,
         ncv: int | None = ..., maxiter: int | None = ..., tol: float | None = ...,
         return_eigenvectors: bool = ..., *, method: str = ..., strict: bool = ...
         ) -> EigenResult | np.ndarray: ...
def eigs(A: OperatorLike, k: int = 6, M: OperatorLike | None = None,
         sigma: complex | None = None, which: str | None = None, v0: npt.ArrayLike | None = None,
         ncv: int | None = None, maxiter: int | None = None, tol: float | None = None,
         return_eigenvectors: bool = True, *, method: str = "auto",
         strict: bool = False) -> EigenResult | np.ndarray:
    """Eigenpairs of a large sparse nonsymmetric (or complex) matrix, or pencil ``A, M``.

    SciPy's :func:`scipy.sparse.linalg.eigs`, argument for argument, with the
    default ``which`` sparsekit's (``"smallest"``: the smallest real part,
    SciPy's ``'SR'``; SciPy's default is ``'LM'``) and every pair's residual
    recomputed and judged.  docs/scipy.md lists every difference.

    Parameters
    ----------
    A : sparse matrix or array, ndarray or LinearOperator, shape (n, n)
        Square matrix, real or complex (a LinearOperator only with ``"arpack"``
        and no ``sigma``).
    k : int, default=6
        Number of eigenpairs, ``1 <= k < n`` (ARPACK needs ``k < n - 1``; ``auto``
        then solves densely).
    M : sparse matrix or array, or ndarray, optional
        Hermitian positive definite: solve ``A v = λ M v`` (with ``sigma``,
        ``M`` need only be Hermitian).
    sigma : float or complex, optional
        Shift: the ``k`` eigenvalues nearest ``sigma`` (``which="nearest"``,
        SciPy's ``'LM'`` with ``sigma``), or those another code ranks first in
        ``1 / (λ − σ)``, as SciPy's shift-invert mode.
    which : str, optional
        sparsekit's words ``"smallest"``/``"largest"`` (real part) and
        ``"nearest"``, or SciPy's codes with SciPy's meaning: ``'LM'``/``'SM'``
        (magnitude), ``'LR'``/``'SR'`` (real part), ``'LI'``/``'SI'``
        (imaginary part; its magnitude for a real ``A``).  Default
        ``"smallest"``, or ``"nearest"`` with ``sigma``.
    v0 : ndarray, shape (n,), optional
        Starting vector.
    ncv : int, optional
        ARPACK's number of Arnoldi vectors, ``k + 1 < ncv <= n``.
    maxiter : int, optional
        ARPACK's restart limit.
    tol : float, optional
        Residual tolerance relative to ``‖A‖ + |λ| ‖M‖`` (``‖A‖ = sqrt(‖A‖₁
        ‖A‖∞)``); default 1e-8; 0 means machine precision.
    return_eigenvectors : bool, default=True
        False returns the eigenvalues only (an ndarray), as SciPy; every pair
        is still computed and judged.
    method : {"auto", "arpack", "shift_invert", "dense"}, default="auto"
        See :data:`EIGS_METHODS`.  ``"auto"`` states its reasons in ``notes``
        and falls back to dense LAPACK while that is cheap.
    strict : bool, default=False
        Raise :class:`~sparsekit.NoConvergence` (carrying the result) instead
        of warning when a pair misses the tolerance.

    Returns
    -------
    EigenResult
        Complex ``values``, ascending by what ``which`` ranks; unit-norm
        ``vectors``; every pair's residual ``‖A v − λ M v‖₂`` and converged
        flag.  It unpacks as SciPy's pair ``w, v``.

    Raises
    ------
    InputValueError
        ``k >= n``, ``ncv`` out of range, an eigsh-only ``which`` (``'LA'``,
        ``'SA'``, ``'BE'``), NaN/Inf entries.
    NotSymmetricError, NotSPDError
        ``M`` not Hermitian (positive definite without ``sigma``).
    SingularMatrixError
        ``sigma`` exactly at an eigenvalue.
    NoConvergence
        With ``strict=True``, when a pair misses the tolerance.

    See Also
    --------
    scipy.sparse.linalg.eigs : the ARPACK anchor.
    sparsekit.eigsh : symmetric and Hermitian matrices (real eigenvalues).

    Examples
    --------
    A triangular matrix has its diagonal as eigenvalues; the three nearest
    ``sigma``, nearest first:

    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from sparsekit.linalg._eigen import eigs   # sk.eigs
    >>> n = 400
    >>> A = sp.diags_array([np.arange(1.0, n + 1), np.ones(n - 1)], offsets=[0, 1])
    >>> w, v = eigs(A, k=3, sigma=10.2)
    >>> np.round(w.real, 10)
    array([10., 11.,  9.])
    >>> r = eigs(A, k=3, sigma=10.2)
    >>> r.method, bool(r.all_converged)
    ('shift_invert', True)
    """
    if not isinstance(return_eigenvectors, (bool, np.bool_)):
        raise InputValueError(f"return_eigenvectors must be True or False (got "
                              f"{return_eigenvectors!r})")
    check_choice(method, EIGS_METHODS, "method")
    prob = _problem(A, k, M, sigma, which, v0, ncv, maxiter, tol)
    chain, notes = _chain(prob, method)
    result = _run_chain(prob, chain, method, notes)
    if not (result.all_converged and len(result.values) == prob.k):
        msg = (f"eigs ({result.method}): {int(np.sum(~result.converged))} of "
               f"{len(result.values)} eigenpairs missed the tolerance {prob.tol:g} (max "
               f"residual {float(np.max(result.residuals)) if len(result.values) else 0:.3e})"
               + ("" if len(result.values) == prob.k else
                  f"; only {len(result.values)} of k={prob.k} pairs found"))
        # stacklevel 3: report_nonconvergence's caller is eigs, then the caller of sk.eigs
        report_nonconvergence(msg, result, strict, stacklevel=3)
    return result if return_eigenvectors else result.values


def _problem(A, k, M, sigma, which, v0, ncv, maxiter, tol) -> _Eigs:
    """Every argument checked once (SciPy's ``_iv``); the scales of ``A`` and ``M``."""
    A, _ = double_precision(as_matrix(A, "A", square=True, allow_operator=True))
    n = A.shape[0]
    which, sigma = check_which(which, sigma, func="eigs")
    k = check_k(k, n)
    ncv = check_ncv(ncv, k, n, func="eigs")
    tol = eigen_tol(None if tol is None else nonnegative_float(tol, "tol"))
    maxiter = None if maxiter is None else positive_int(maxiter, "maxiter")
    operator = isinstance(A, spla.LinearOperator)
    if M is not None:
        # Hermitian with a positive diagonal (SciPy: "M must be Hermitian")
        M, _ = double_precision(check_mass(M, n))
    real = np.dtype(A.dtype).kind != "c" and (M is None or np.dtype(M.dtype).kind != "c")
    if v0 is not None:
        v0 = np.asarray(v0)
        if v0.shape != (n,):
            raise InputValueError(f"v0 must have shape ({n},) (got shape {v0.shape})")
        if v0.dtype.kind not in "biufc" or not np.all(np.isfinite(v0)) or not np.any(v0):
            raise InputValueError("v0 must be a finite, non-zero numeric vector")
    scale = _operator_scale(A) if operator else _norm(A)
    return _Eigs(A, M, n, k, which, sigma, tol, maxiter, v0, ncv, operator, real, scale,
                 0.0 if M is None else _norm(M))


def _norm(A) -> float:
    """``sqrt(‖A‖₁ ‖A‖∞)``, an O(nnz) upper bound of ``‖A‖₂``."""
    AT = A.T
    return math.sqrt(matrix_scale(A) * matrix_scale(sp.csr_array(AT) if sp.issparse(A)
                                                    else np.asarray(AT)))


# --------------------------------------------------------------------------- the policy


def _chain(prob: _Eigs, method: str):
    """The methods to try, in order, and the notes that explain them."""
    if method != "auto":
        return [method], []
    n, notes = prob.n, []
    safety = not prob.operator and n <= EIGS_DENSE_FALLBACK
    if prob.operator:
        if prob.sigma is not None and prob.which != "SM":
            raise InputValueError("eigs with sigma factorizes A - sigma M: pass an explicit "
                                  "matrix, not a LinearOperator")
        if prob.k >= n - 1:
            raise InputValueError(f"ARPACK's eigs needs k < n - 1 (got k={prob.k}, n={n}) and "
                                  "a LinearOperator cannot be solved densely: pass the matrix")
        notes.append("auto: A is a LinearOperator: ARPACK needs only products A @ x")
        return ["arpack"], notes
    if n <= EIGS_DENSE_CROSSOVER or prob.k >= n - 1:
        why = (f"n={n} <= {EIGS_DENSE_CROSSOVER}" if n <= EIGS_DENSE_CROSSOVER
               else f"k={prob.k} >= n - 1")
        notes.append(f"auto: {why}: dense LAPACK (scipy.linalg.eig)")
        return ["dense"], notes
    if prob.sigma is not None and prob.which == "SM":
        notes.append("auto: which='SM' with sigma: the eigenvalues farthest from sigma, "
                     "ARPACK's largest magnitudes of A - sigma M")
        chain = ["arpack"]
    elif prob.sigma is not None or prob.which == "SM":
        target = "nearest sigma" if prob.sigma is not None else "of smallest magnitude"
        notes.append(f"auto: eigenvalues {target}: shift-invert ARPACK on a cached LU of "
                     "A - sigma M")
        chain = ["shift_invert"] + (["arpack"] if prob.sigma is None else [])
    else:
        notes.append(f"auto: which={prob.which!r}: ARPACK (Arnoldi) in regular mode")
        chain = ["arpack"]
    if safety:
        chain.append("dense")
        notes.append(f"auto: n={n} <= {EIGS_DENSE_FALLBACK}: dense LAPACK is the fallback")
    return chain, notes


def _run_chain(prob: _Eigs, chain, method: str, notes) -> EigenResult:
    """Run ``chain`` until a result has every pair converged; the best one otherwise."""
    best = None
    for i, m in enumerate(chain):
        try:
            pairs = _RUNNERS[m](prob, prob.maxiter)
        except (_Failed, DenseTooLargeError, MemoryError) as exc:
            if method != "auto":
                if isinstance(exc, _Failed):
                    raise InputValueError(str(exc)) from None
                raise
            notes = notes + [f"{m} failed ({exc}); falling back"]
            log.info("eigs: %s failed (%s)", m, exc)
            continue
        result = _finish(prob, pairs, m, notes)
        if best is None or int(np.sum(result.converged)) > int(np.sum(best.converged)):
            best = result
        if result.all_converged and len(result.values) == prob.k:
            return result
        if i + 1 < len(chain):
            notes = notes + [f"{m}: {int(np.sum(~result.converged))} of "
                             f"{len(result.values)} pairs missed tol {prob.tol:g}; falling back"]
    if best is None:
        raise NoConvergence("every method failed: " + "; ".join(notes))
    return replace(best, notes=tuple(dict.fromkeys(best.notes + tuple(notes))))


def _finish(prob: _Eigs, pairs: _Pairs, method: str, notes) -> EigenResult:
    """Unit-norm vectors, the ``k`` pairs ``which`` ranks first (ascending), judged."""
    w = np.asarray(pairs.values, dtype=complex)
    V = np.asarray(pairs.vectors)
    V = V / np.where(np.linalg.norm(V, axis=0) > 0, np.linalg.norm(V, axis=0), 1.0)
    idx = select_which(w, prob.which, prob.sigma, prob.k, real_matrix=prob.real)
    w, V = w[idx], V[:, idx]
    MV = V if prob.M is None else prob.M @ V
    res = np.linalg.norm(prob.A @ V - MV * w, axis=0)
    scale = prob.scale + np.abs(w) * (1.0 if prob.M is None else prob.mscale)
    converged = res <= prob.tol * np.where(scale > 0, scale, 1.0)
    notes = list(notes) + list(pairs.notes)
    if pairs.stopped:  # as sk.eigsh: SciPy raises ArpackNoConvergence here
        converged = np.zeros_like(converged)
        notes.append("ARPACK stopped before converging: its pairs are kept with their "
                     "residuals but not counted as converged (a wanted pair may be missing)")
    if len(w) < prob.k:
        notes.append(f"only {len(w)} of k={prob.k} pairs were found")
    return EigenResult(values=w, vectors=V, residuals=res, converged=converged,
                       method=method, backend="scipy", iterations=0,
                       timings={"setup": pairs.setup, "solve": pairs.solve}, tol=prob.tol,
                       notes=tuple(notes))


# --------------------------------------------------------------------------- the runners


def _buffered(prob: _Eigs, shift_invert: bool) -> int:
    """ARPACK's k: the wanted ``k`` plus a buffer, below ``n - 1`` and the caller's ``ncv - 1``.

    Arnoldi, like Lanczos, can miss a copy of a repeated eigenvalue while every
    residual looks perfect (``k = 3`` nearest 0 of the 40 × 40 Poisson matrix
    returned 0.0469 for the second copy of 0.0293); a few more pairs make it find
    them.  Regular mode gets 2 more, shift-invert mode (which converges in a few
    restarts) up to 4: the buffer costs Arnoldi's regular mode dearly when it
    reaches into a cluster (add32, n = 4,960, the largest magnitudes: k = 6 + 4
    did not converge in 138 s; k = 6 took 1.7 s, k = 6 + 2 1.2 s).
    """
    extra = max(2, min(prob.k, 4)) if shift_invert else 2
    ka = min(prob.k + extra, prob.n - 2)
    if prob.ncv is not None:
        ka = min(ka, prob.ncv - 2)
    return max(ka, prob.k)


def _arpack_kwargs(prob: _Eigs, maxiter, shift_invert: bool = False):
    """ARPACK's ``k``, ``ncv``, ``tol``, ``maxiter`` and a deterministic start."""
    if prob.k >= prob.n - 1:
        raise _Failed(f"ARPACK's eigs needs k < n - 1 (got k={prob.k}, n={prob.n}); use "
                      "method='dense'")
    ka = _buffered(prob, shift_invert)
    ncv = prob.ncv if prob.ncv is not None else min(prob.n, max(2 * ka + 1, 20))
    v0 = prob.v0 if prob.v0 is not None else np.random.default_rng(0).standard_normal(prob.n)
    if np.iscomplexobj(v0) and prob.dtype.kind != "c":
        raise InputValueError("v0 is complex but A, M and sigma are real: pass a real v0")
    return {"k": ka, "ncv": ncv, "tol": prob.tol * 0.1, "maxiter": maxiter,
            "v0": np.asarray(v0, dtype=prob.dtype)}


def _arpack_call(fn, notes: list, *args, **kwargs):
    """``fn(*args, **kwargs)`` (SciPy's eigs) as ``(w, V, stopped)``.

    ``stopped``: ARPACK ran out of restarts and returned only the pairs it had.
    """
    with single_thread_blas():
        try:
            w, V = fn(*args, **kwargs)
            return w, V, False
        except spla.ArpackNoConvergence as exc:
            w, V = exc.eigenvalues, exc.eigenvectors
            notes.append(f"ARPACK stopped with {len(w)}/{kwargs.get('k')} converged Ritz "
                         "pairs")
            if len(w) == 0:
                raise _Failed("ARPACK converged no eigenpair within maxiter") from exc
            return w, V, True
        except spla.ArpackError as exc:  # e.g. a zero matrix: "starting vector is zero"
            raise _Failed(f"ARPACK failed: {exc}") from exc


def _run_arpack(prob: _Eigs, maxiter) -> _Pairs:
    """SciPy's ``eigs`` in regular mode (shift-invert mode with ``sigma``, as SciPy).

    ``'SM'`` runs shift-invert mode at 0 (the same pairs: those nearest 0)
    unless ``A`` is singular; ``'SM'`` with ``sigma`` (the eigenvalues
    farthest from ``σ``) runs regular mode on ``A − σM`` for its largest
    magnitudes.
    """
    notes = []
    if prob.sigma is not None and prob.which != "SM":
        pairs = _run_shift_invert(prob, maxiter)
        pairs.notes = pairs.notes + ("arpack with sigma runs in shift-invert mode, as "
                                     "SciPy's",)
        return pairs
    if prob.which == "SM" and prob.sigma is None and not prob.operator:
        try:
            pairs = _run_shift_invert(prob, maxiter)
        except _Failed as exc:
            notes.append(str(exc))
        else:
            pairs.notes = pairs.notes + ("arpack with which='SM' runs in shift-invert mode "
                                         "at sigma=0 (the same pairs: those nearest 0)",)
            return pairs
    t0 = time.perf_counter()
    kwargs = _arpack_kwargs(prob, maxiter)
    A, shift = prob.A, 0.0
    if prob.which == "SM" and prob.sigma is not None:
        A, shift = _shifted_operator(prob), prob.sigma
        notes.append("which='SM' with sigma: the eigenvalues farthest from sigma, found as "
                     "ARPACK's largest magnitudes of A - sigma M (regular mode)")
    if prob.M is not None:
        try:
            chol = factor.factorize(prob.M, "cholesky", cache=True)
        except NotSPDError as exc:
            raise NotSPDError(f"eigs without sigma needs M Hermitian positive definite: {exc}"
                              ) from None
        kwargs.update(M=prob.M, Minv=chol.aslinearoperator())
    code = "LM" if shift != 0.0 else _CODES.get(prob.which, prob.which)
    if code in ("SR", "SM", "SI"):
        notes.append(f"ARPACK regular mode for which={code!r} can converge slowly")
    t1 = time.perf_counter()
    w, V, stopped = _arpack_call(spla.eigs, notes, A, which=code, **kwargs)
    return _Pairs(np.asarray(w) + shift, V, t1 - t0, time.perf_counter() - t1, tuple(notes),
                  stopped)


def _shifted_operator(prob: _Eigs):
    """``A − σM`` as a LinearOperator (complex when ``σ`` is)."""
    A, M, sigma, n = prob.A, prob.M, prob.sigma, prob.n
    dtype = np.result_type(A.dtype, np.asarray(sigma).dtype, float)
    return spla.LinearOperator((n, n), dtype=dtype,
                               matvec=lambda x: A @ x - sigma * (x if M is None else M @ x))


def _run_shift_invert(prob: _Eigs, maxiter) -> _Pairs:
    """ARPACK on ``(A − σM)⁻¹ M``, the LU of ``A − σM`` from sparsekit's cache."""
    if prob.operator:
        raise _Failed("shift_invert needs an explicit matrix (to factorize), not a "
                      "LinearOperator")
    if prob.which == "SM" and prob.sigma is not None:
        raise _Failed("which='SM' with sigma asks for the eigenvalues farthest from sigma, "
                      "which shift-invert mode finds poorly; use method='arpack'")
    sigma = 0.0 if prob.sigma is None else prob.sigma
    A, M = prob.A, prob.M
    if np.iscomplexobj(sigma) and prob.real:  # complex arithmetic instead of SciPy's OPpart
        A = A.astype(complex)
        M = None if M is None else M.astype(complex)
    t0 = time.perf_counter()
    hits = CACHE.info().hits
    notes = []
    try:
        F = factor.factorize(A, "lu", shift=sigma, M=M, cache=True)
    except SingularMatrixError as exc:
        if prob.sigma is not None:
            raise SingularMatrixError(f"A - sigma*M is exactly singular at sigma={sigma!r}: "
                                      "sigma is an eigenvalue; move sigma slightly") from exc
        sigma = SINGULAR_SM_SHIFT * prob.scale
        notes.append(f"A is singular (0 is an eigenvalue): shift-invert at sigma={sigma:.3g} "
                     "instead of 0; the smallest magnitudes are picked among the pairs "
                     "nearest it")
        F = factor.factorize(A, "lu", shift=sigma, M=M, cache=True)
    reused = CACHE.info().hits > hits
    kwargs = _arpack_kwargs(prob, maxiter, shift_invert=True)
    kwargs["v0"] = kwargs["v0"].astype(np.result_type(kwargs["v0"], F.dtype))
    OPinv = spla.LinearOperator(A.shape, matvec=F.solve, dtype=F.dtype)
    code = "LM" if prob.which in ("nearest", "SM") else prob.which
    notes.append(f"LU of A - ({sigma:.6g})M ({F.engine}) "
                 + ("reused from the cache" if reused else f"computed ({F.setup_time:.3g}s)")
                 + "; left in the cache")
    t1 = time.perf_counter()
    w, V, stopped = _arpack_call(spla.eigs, notes, A, M=M, sigma=sigma, which=code,
                                 OPinv=OPinv, **kwargs)
    return _Pairs(w, V, t1 - t0, time.perf_counter() - t1, tuple(notes), stopped)


def _run_dense(prob: _Eigs, maxiter) -> _Pairs:
    """``scipy.linalg.eig`` on the densified matrix (pencil), size-guarded."""
    if prob.operator:
        raise _Failed("method='dense' needs an explicit matrix, not a LinearOperator")
    n = prob.n
    need = 16 * n * n * (3 if prob.M is not None else 2) + 64 * n
    limit = _dense_eigh.DEFAULT_MAX_BYTES
    if need > limit:
        raise DenseTooLargeError(f"the dense eigensolver would need about {_fmt_bytes(need)} "
                                 f"for n={n} (limit {_fmt_bytes(limit)}); use "
                                 "method='arpack' or 'shift_invert'")
    t0 = time.perf_counter()
    Ad = prob.A.toarray() if sp.issparse(prob.A) else np.array(prob.A)
    Md = None
    if prob.M is not None:
        Md = prob.M.toarray() if sp.issparse(prob.M) else np.array(prob.M)
    t1 = time.perf_counter()
    with threads_for(n):
        try:
            w, V = sla.eig(Ad, Md, overwrite_a=True, overwrite_b=True, check_finite=False)
        except np.linalg.LinAlgError as exc:  # pragma: no cover - LAPACK on finite input
            raise _Failed(f"LAPACK's eig failed: {exc}") from exc
    finite = np.isfinite(w)
    return _Pairs(w[finite], V[:, finite], t1 - t0, time.perf_counter() - t1,
                  (f"dense scipy.linalg.eig ({_fmt_bytes(need)})",))


_RUNNERS = {"arpack": _run_arpack, "shift_invert": _run_shift_invert, "dense": _run_dense}
