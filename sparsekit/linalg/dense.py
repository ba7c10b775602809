"""The dense path: LAPACK through numpy/scipy.linalg, with sparsekit's result objects.

Each function accepts one matrix ``(m, n)`` or, like :mod:`numpy.linalg`, a
stack ``(..., m, n)`` solved in one batched call (10,000 systems of 8 x 8 take
one call, no Python loop).  Sparse input is densified after a memory check:
beyond ``max_bytes`` (default :data:`DEFAULT_MAX_BYTES`, 2 GiB) a
:class:`~sparsekit.DenseTooLargeError` says how much memory the dense matrix
would take, unless the caller raises the limit.  Dense factorizations keep all
BLAS threads.

:func:`solve` estimates the reciprocal condition number (LAPACK ``gecon`` /
``pocon`` on the factors it already has, O(n^2); for stacks the 1-norm
condition of each matrix) and warns with
:class:`~sparsekit.IllConditionedWarning` when fewer than about three digits
can be trusted (``rcond < 1000 * eps``), which :func:`numpy.linalg.solve` does
not do.

:func:`cholesky` and :func:`svd` return small frozen dataclasses
(:class:`CholeskyResult`, :class:`SVDResult`, defined in :mod:`sparsekit.results`
and re-exported here); :func:`solve` and :func:`lstsq` return
:class:`~sparsekit.SolveResult`; :func:`eigh` returns :class:`~sparsekit.EigenResult`.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

from .._validate import as_stacked_rhs as _rhs
from .._validate import check_finite, describe, is_converged
from ..errors import (
    DenseTooLargeError,
    IllConditionedWarning,
    InputValueError,
    NotSPDError,
    NotSquareError,
    NotSymmetricError,
    ShapeError,
    SingularMatrixError,
)
from ..results import CholeskyResult, SolveResult, SVDResult, _fmt_bytes
from ._dense_eigh import eigh
from ._threads import threads_for

__all__ = ["solve", "lstsq", "cholesky", "eigh", "svd", "CholeskyResult", "SVDResult",
           "DEFAULT_MAX_BYTES", "dense_nbytes"]

#: Default memory limit of the dense path, in bytes (2 GiB).
DEFAULT_MAX_BYTES = 2 * 1024**3

_RCOND_WARN = 1e3  # warn when rcond < _RCOND_WARN * eps



def dense_nbytes(shape, dtype=np.float64) -> int:
    """Bytes a dense array of ``shape`` and ``dtype`` takes."""
    return int(np.prod(shape, dtype=np.float64)) * np.dtype(dtype).itemsize


def _as_dense(A, name, max_bytes, *, what="the dense path"):
    """Densify ``A`` (sparse, ndarray, array_like) after the memory check."""
    limit = DEFAULT_MAX_BYTES if max_bytes is None else float(max_bytes)
    if sp.issparse(A):
        shape, dtype = A.shape, A.dtype
    else:
        A = np.asarray(A)
        shape, dtype = A.shape, A.dtype
        if A.dtype == object or A.dtype.kind not in "biufc":
            raise InputValueError(f"{name} must hold numbers (got {describe(A)})")
    if len(shape) < 2:
        raise ShapeError(f"{name} must be a matrix (..., m, n) (got shape {shape})")
    work = np.result_type(dtype, np.float64)
    need = dense_nbytes(shape, work)
    if need > limit:
        raise DenseTooLargeError(
            f"{what} would need {_fmt_bytes(need)} for {name} as a dense "
            f"{'x'.join(map(str, shape))} {np.dtype(work).name} array, above the limit "
            f"max_bytes={_fmt_bytes(limit)}; pass a larger max_bytes= or use the sparse "
            "path (sk.solve, sk.eigsh)"
        )
    D = A.toarray() if sp.issparse(A) else A
    D = D.astype(work, copy=False)
    check_finite(D, name)
    return D


def _square(A, name="A"):
    if A.shape[-1] != A.shape[-2]:
        raise NotSquareError(
            f"{name} must be square (got shape {A.shape}); use sk.dense.lstsq for "
            "rectangular systems"
        )


def _warn_rcond(rcond, dtype, stacklevel=3):
    rcond = np.atleast_1d(np.asarray(rcond, dtype=float))
    eps = np.finfo(np.dtype(dtype)).eps
    bad = rcond < _RCOND_WARN * eps
    if np.any(bad):
        worst = float(np.min(rcond))
        where = f" ({int(bad.sum())} of {rcond.size} matrices)" if rcond.size > 1 else ""
        warnings.warn(
            f"A is ill-conditioned for {np.dtype(dtype).name}: estimated condition number "
            f"{1 / worst if worst > 0 else np.inf:.2e}{where}; the solution may have few "
            "or no correct digits",
            IllConditionedWarning, stacklevel=stacklevel,
        )


def _result(A, X, B, vec, rtol, atol, method, t_setup, t_solve, notes=()):
    with threads_for(A.shape[-1]):
        R = B - A @ X
    rnorm = np.linalg.norm(R, axis=-2)
    bnorm = np.linalg.norm(B, axis=-2)
    rel = rnorm / np.where(bnorm == 0, 1.0, bnorm)
    x = X[..., 0] if vec else X
    conv = is_converged(rnorm, bnorm, rtol, atol)
    return SolveResult(x, conv, 0, np.asarray([float(np.max(rnorm, initial=0.0))]),
                       float(np.max(rel, initial=0.0)), method, "none", "scipy",
                       {"setup": t_setup, "solve": t_solve}, None, tuple(notes))


def _is_hermitian_stack(A) -> bool:
    scale = np.max(np.abs(A), axis=(-2, -1), keepdims=True)
    diff = np.max(np.abs(A - np.conj(np.swapaxes(A, -1, -2))), axis=(-2, -1), keepdims=True)
    return bool(np.all(diff <= 1e-10 * scale))


def solve(A, b, *, rtol: float = 1e-8, atol: float = 0.0, assume_a: str = "auto",
          max_bytes: float | None = None) -> SolveResult:
    """Solve ``A x = b`` densely (LU, or Cholesky when ``A`` is SPD); batched over stacks.

    Parameters
    ----------
    A : array_like (..., n, n) or sparse (n, n)
        Square matrix or stack of square matrices.
    b : array_like (..., n) or (..., n, k)
        Right-hand side(s).
    rtol, atol : float, default=1e-8, 0.0
        ``converged`` means ``‖b − A x‖ ≤ max(rtol·‖b‖, atol)`` for every system.
    assume_a : {"auto", "gen", "pos"}, default="auto"
        ``"pos"``: Cholesky (SPD); ``"gen"``: LU; ``"auto"``: Cholesky when ``A``
        is Hermitian with a positive diagonal, falling back to LU.
    max_bytes : float, optional
        Memory limit of the dense matrix (default :data:`DEFAULT_MAX_BYTES`).

    Returns
    -------
    SolveResult
        ``method="dense"``; ``x`` has the shape of ``b``.

    Raises
    ------
    DenseTooLargeError
        The dense matrix would take more than ``max_bytes``.
    SingularMatrixError
        ``A`` (or one matrix of the stack) is exactly singular.

    Warns
    -----
    IllConditionedWarning
        The estimated condition number exceeds ``1 / (1000 eps)``.

    See Also
    --------
    numpy.linalg.solve, scipy.linalg.solve

    Examples
    --------
    >>> import numpy as np
    >>> import sparsekit as sk
    >>> A = np.array([[4.0, 1.0], [1.0, 3.0]])
    >>> r = sk.dense.solve(A, [1.0, 2.0])
    >>> r.x, r.converged
    (array([0.09090909, 0.63636364]), True)
    >>> rng = np.random.default_rng(0)
    >>> H = rng.standard_normal((10000, 8, 8)) + 8 * np.eye(8)   # 10,000 channels
    >>> sk.dense.solve(H, rng.standard_normal((10000, 8))).x.shape
    (10000, 8)
    """
    if assume_a not in ("auto", "gen", "pos"):
        raise InputValueError(f"assume_a must be 'auto', 'gen' or 'pos' (got {assume_a!r})")
    A = _as_dense(A, "A", max_bytes)
    _square(A)
    B, vec = _rhs(b, A)
    t0 = time.perf_counter()
    use = assume_a
    if use == "auto":
        d = np.diagonal(A, axis1=-2, axis2=-1)
        use = "pos" if np.all(np.real(d) > 0) and _is_hermitian_stack(A) else "gen"
    strict = assume_a == "pos"
    with threads_for(A.shape[-1]):
        if A.ndim == 2:
            X, kind = _solve_2d(A, B, use, strict)
        else:
            X, kind = _solve_stack(A, B, use, strict)
    t1 = time.perf_counter()
    return _result(A, X, B, vec, rtol, atol, "dense", 0.0, t1 - t0,
                   notes=(f"LAPACK {kind}",))


def _not_spd(A):
    return NotSPDError(f"A is not positive definite (LAPACK potrf failed; got {describe(A)}); "
                       "use assume_a='gen' (LU)")


def _solve_2d(A, B, use, strict):
    anorm = np.linalg.norm(A, 1)
    if use == "pos":
        try:
            c, lower = sla.cho_factor(A, check_finite=False)
        except np.linalg.LinAlgError:
            if strict:
                raise _not_spd(A) from None
            return _solve_2d(A, B, "gen", strict)
        pocon = sla.get_lapack_funcs("pocon", (c,))
        rcond, _ = pocon(c, anorm, uplo="L" if lower else "U")
        _warn_rcond(rcond, A.dtype, stacklevel=4)
        return sla.cho_solve((c, lower), B, check_finite=False), "Cholesky (potrf)"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sla.LinAlgWarning)
        lu, piv = sla.lu_factor(A, check_finite=False)
    if np.any(np.diag(lu) == 0):
        raise SingularMatrixError(
            f"A is exactly singular (a zero pivot in its LU factorization; got "
            f"{describe(A)}); use sk.dense.lstsq for a least-squares solution"
        )
    gecon = sla.get_lapack_funcs("gecon", (lu,))
    rcond, _ = gecon(lu, anorm)
    _warn_rcond(rcond, A.dtype, stacklevel=4)
    return sla.lu_solve((lu, piv), B, check_finite=False), "LU (getrf)"


def _solve_stack(A, B, use, strict):
    try:
        if use == "pos":
            try:
                L = np.linalg.cholesky(A)
            except np.linalg.LinAlgError:
                if strict:
                    raise _not_spd(A) from None
                return _solve_stack(A, B, "gen", strict)
            Y = np.linalg.solve(L, B)
            X = np.linalg.solve(np.conj(np.swapaxes(L, -1, -2)), Y)
            kind = "Cholesky, batched"
        else:
            X = np.linalg.solve(A, B)
            kind = "LU, batched"
        # 1-norm condition of each matrix (one batched inverse)
        inv = np.linalg.inv(A)
    except np.linalg.LinAlgError as exc:
        raise SingularMatrixError(
            f"a matrix of the stack is exactly singular ({exc}; got {describe(A)}); use "
            "sk.dense.lstsq for least-squares solutions"
        ) from None
    norm1 = np.abs(A).sum(axis=-2).max(axis=-1)
    inorm1 = np.abs(inv).sum(axis=-2).max(axis=-1)
    _warn_rcond(1.0 / (norm1 * inorm1), A.dtype, stacklevel=4)
    return X, kind


def lstsq(A, b, *, rtol: float = 1e-8, atol: float = 0.0, rcond: float | None = None,
          max_bytes: float | None = None) -> SolveResult:
    """Minimise ``‖b − A x‖`` densely (SVD-based, LAPACK ``gelsd``); batched over stacks.

    ``converged`` is judged on the normal equations:
    ``‖Aᴴ r‖ ≤ rtol·‖A‖_F·‖r‖`` (or ``‖r‖ ≤ max(rtol·‖b‖, atol)``), since an
    inconsistent system never has a small residual.

    Parameters
    ----------
    A : array_like (..., m, n) or sparse (m, n)
        The matrix (any shape).
    b : array_like (..., m) or (..., m, k)
        Right-hand side(s).
    rtol, atol : float, default=1e-8, 0.0
        Tolerances of the convergence test above.
    rcond : float, optional
        Singular values below ``rcond * s_max`` are treated as zero.
    max_bytes : float, optional
        Memory limit of the dense matrix.

    Returns
    -------
    SolveResult
        ``relative_residual`` is ``‖b − A x‖/‖b‖``; a note gives the rank.

    See Also
    --------
    numpy.linalg.lstsq, scipy.linalg.lstsq

    Examples
    --------
    >>> import numpy as np
    >>> import sparsekit as sk
    >>> A = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
    >>> r = sk.dense.lstsq(A, [1.0, 2.0, 2.0])
    >>> np.round(r.x, 6), r.converged
    (array([1.166667, 0.5     ]), True)
    """
    A = _as_dense(A, "A", max_bytes)
    B, vec = _rhs(b, A)
    t0 = time.perf_counter()
    with threads_for(max(A.shape[-2:])):
        if A.ndim == 2:
            X, _, rank, _ = sla.lstsq(A, B, cond=rcond, check_finite=False)
            ranks = f"rank {int(rank)} of {min(A.shape)}"
        else:
            X = np.linalg.pinv(A, rcond=1e-15 if rcond is None else rcond) @ B
            rk = np.linalg.matrix_rank(A)
            ranks = f"rank {int(np.min(rk))}..{int(np.max(rk))} of {min(A.shape[-2:])}"
    t1 = time.perf_counter()
    res = _result(A, X, B, vec, rtol, atol, "dense", 0.0, t1 - t0,
                  notes=(f"least squares, {ranks}",))
    R = B - A @ X
    AhR = np.linalg.norm(np.conj(np.swapaxes(A, -1, -2)) @ R, axis=-2)
    fro = np.linalg.norm(A, axis=(-2, -1))[..., None]
    rn = np.linalg.norm(R, axis=-2)
    opt = bool(np.all(AhR <= rtol * fro * rn + np.finfo(float).tiny))
    return SolveResult(res.x, res.converged or opt, 0, res.residuals, res.relative_residual,
                       "dense", "none", "scipy", res.timings, None,
                       res.notes + (f"normal-equation residual ‖Aᴴr‖/(‖A‖‖r‖) = "
                                    f"{float(np.max(AhR / np.maximum(fro * rn, 1e-300))):.2e}",))


def cholesky(A, *, lower: bool = True, max_bytes: float | None = None) -> CholeskyResult:
    """Dense Cholesky factorization ``A = L Lᴴ`` of an SPD matrix or a stack of them.

    Parameters
    ----------
    A : array_like (..., n, n) or sparse (n, n)
        Hermitian positive definite.
    lower : bool, default=True
        Return ``L`` (else the upper factor ``U = Lᴴ``).
    max_bytes : float, optional
        Memory limit of the dense matrix.

    Returns
    -------
    CholeskyResult
        With ``.factor``, ``.solve(b)`` and ``.logdet``.

    Raises
    ------
    NotSymmetricError, NotSPDError

    See Also
    --------
    numpy.linalg.cholesky, scipy.linalg.cho_factor

    Examples
    --------
    >>> import numpy as np
    >>> import sparsekit as sk
    >>> C = sk.dense.cholesky(np.array([[4.0, 2.0], [2.0, 5.0]]))
    >>> C.factor
    array([[2., 0.],
           [1., 2.]])
    >>> C.solve([6.0, 7.0])
    array([1., 1.])
    """
    A = _as_dense(A, "A", max_bytes)
    _square(A)
    if not _is_hermitian_stack(A):
        raise NotSymmetricError(
            f"A must be symmetric (Hermitian) for a Cholesky factorization (got {describe(A)}); "
            "use sk.dense.solve"
        )
    try:
        with threads_for(A.shape[-1]):
            L = np.linalg.cholesky(A)
    except np.linalg.LinAlgError:
        raise NotSPDError(
            f"A is not positive definite (LAPACK potrf failed; got {describe(A)}); "
            "use sk.dense.solve (LU)"
        ) from None
    return CholeskyResult(L if lower else np.conj(np.swapaxes(L, -1, -2)), lower)


def svd(A, *, full_matrices: bool = False, compute_uv: bool = True,
        max_bytes: float | None = None) -> SVDResult:
    """Dense SVD (LAPACK ``gesdd``) of a matrix or a stack; batched.

    Parameters
    ----------
    A : array_like (..., m, n) or sparse (m, n)
        The matrix.
    full_matrices : bool, default=False
        Square ``U`` and ``Vh`` (else economy size).
    compute_uv : bool, default=True
        Compute the singular vectors.
    max_bytes : float, optional
        Memory limit of the dense matrix.

    Returns
    -------
    SVDResult

    See Also
    --------
    numpy.linalg.svd, sparsekit.svds

    Examples
    --------
    >>> import numpy as np
    >>> import sparsekit as sk
    >>> sk.dense.svd(np.diag([1.0, 3.0, 2.0])).s
    array([3., 2., 1.])
    """
    A = _as_dense(A, "A", max_bytes)
    with threads_for(max(A.shape[-2:])):
        if compute_uv:
            U, s, Vh = np.linalg.svd(A, full_matrices=full_matrices)
            return SVDResult(U, s, Vh)
        return SVDResult(None, np.linalg.svd(A, compute_uv=False), None)
