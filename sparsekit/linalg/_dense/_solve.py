"""Dense solves: ``solve``, ``lstsq``, and the explicit inverses ``inv`` (which warns) and ``pinv``.

:func:`solve` estimates the reciprocal condition number (LAPACK ``gecon`` /
``pocon`` on the factors it already has, O(n^2); for stacks the 1-norm
condition of each matrix) and warns with
:class:`~sparsekit.IllConditionedWarning` when fewer than about three digits
can be trusted (``rcond < 1000 * eps``), which :func:`numpy.linalg.solve` does
not do.  :func:`inv` forms ``A⁻¹`` because a user asked for it, and says that
solving is faster and more accurate.
"""

from __future__ import annotations

import time
import warnings
from typing import TYPE_CHECKING

import numpy as np
import scipy.linalg as sla

from ..._validate import as_stacked_rhs as _rhs
from ..._validate import describe
from ...errors import InputValueError, NotSPDError, SingularMatrixError
from ...results import SolveResult
from .._threads import threads_for
from ._common import as_dense, is_hermitian_stack, solve_result, square, warn_rcond

if TYPE_CHECKING:
    import numpy.typing as npt

    from ..._typing import MatrixLike

__all__ = ["solve", "lstsq", "inv", "pinv"]


def solve(A: MatrixLike, b: npt.ArrayLike, *, rtol: float = 1e-8, atol: float = 0.0,
          assume_a: str = "auto",
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
    A = as_dense(A, "A", max_bytes)
    square(A)
    B, vec = _rhs(b, A)
    t0 = time.perf_counter()
    if A.shape[-1] == 0:  # 0 x 0 systems: the empty x, nothing for LAPACK to do
        return solve_result(A, np.zeros(B.shape, dtype=B.dtype), B, vec, rtol, atol, "dense",
                            0.0, 0.0, notes=("0 x 0 system: x is empty",))
    use = assume_a
    if use == "auto":
        d = np.diagonal(A, axis1=-2, axis2=-1)
        use = "pos" if np.all(np.real(d) > 0) and is_hermitian_stack(A) else "gen"
    strict = assume_a == "pos"
    with threads_for(A.shape[-1]):
        if A.ndim == 2:
            X, kind = _solve_2d(A, B, use, strict)
        else:
            X, kind = _solve_stack(A, B, use, strict)
    t1 = time.perf_counter()
    return solve_result(A, X, B, vec, rtol, atol, "dense", 0.0, t1 - t0,
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
        warn_rcond(rcond, A.dtype, stacklevel=4)
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
    warn_rcond(rcond, A.dtype, stacklevel=4)
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
    warn_rcond(1.0 / (norm1 * inorm1), A.dtype, stacklevel=4)
    return X, kind


def lstsq(A: MatrixLike, b: npt.ArrayLike, *, rtol: float = 1e-8, atol: float = 0.0,
          rcond: float | None = None,
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
    A = as_dense(A, "A", max_bytes)
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
    res = solve_result(A, X, B, vec, rtol, atol, "dense", 0.0, t1 - t0,
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




def _one_norm(A):
    """``‖A‖₁`` of every matrix of a stack (max absolute column sum)."""
    return np.abs(A).sum(axis=-2).max(axis=-1)


def inv(A: MatrixLike, *, max_bytes: float | None = None) -> np.ndarray:
    """The explicit inverse ``A⁻¹`` (LAPACK ``getrf``/``getri``), batched; it warns.

    To solve ``A x = b``, do not form ``A⁻¹``: :func:`solve` (or, for a
    sparse ``A``, :func:`sparsekit.solve` / ``sk.factorize(A).solve``) costs
    less and is more accurate, and the inverse of a sparse matrix is dense.
    :func:`inv` is here for the rare cases that need the entries of ``A⁻¹``
    (a small covariance matrix, a textbook check); it warns each time with a
    ``UserWarning`` naming :func:`solve`, and like :func:`solve` with an
    :class:`~sparsekit.IllConditionedWarning` when the inverse has few correct digits.

    Parameters
    ----------
    A : array_like (..., n, n) or sparse (n, n)
        Square matrix or stack of square matrices.
    max_bytes : float, optional
        Memory limit (default 2 GiB) of the dense matrix and its inverse
        (two dense copies are counted).

    Returns
    -------
    ndarray (..., n, n)

    Raises
    ------
    SingularMatrixError
        ``A`` (or one matrix of the stack) is exactly singular.
    DenseTooLargeError
        ``A`` and its inverse would need more than ``max_bytes``.

    Warns
    -----
    UserWarning
        Always: solve instead of inverting.
    IllConditionedWarning
        ``1 / (‖A‖₁ ‖A⁻¹‖₁) < 1000 eps``.

    See Also
    --------
    numpy.linalg.inv, solve, sparsekit.factorize

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> import sparsekit as sk
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     sk.dense.inv(np.array([[2.0, 0.0], [0.0, 4.0]]))
    array([[0.5 , 0.  ],
           [0.  , 0.25]])
    """
    A = as_dense(A, "A", max_bytes, what="sk.dense.inv", copies=2,
                 instead="sk.solve or sk.factorize(A).solve; the inverse of a sparse matrix "
                         "is dense")
    square(A, hint="use sk.dense.pinv for a rectangular matrix")
    warnings.warn(
        "sk.dense.inv forms the inverse explicitly: to solve A x = b, sk.dense.solve(A, b) "
        "(or sk.solve / sk.factorize(A).solve for a sparse A) is faster and more accurate",
        UserWarning, stacklevel=2,
    )
    try:
        with threads_for(A.shape[-1]):
            Ainv = np.linalg.inv(A)
    except np.linalg.LinAlgError as exc:
        raise SingularMatrixError(
            f"A is exactly singular and has no inverse ({exc}; got {describe(A)}); use "
            "sk.dense.pinv for the pseudo-inverse"
        ) from None
    warn_rcond(1.0 / (_one_norm(A) * _one_norm(Ainv)), A.dtype)
    return Ainv


def pinv(A: MatrixLike, rcond: float | None = None, *, rtol: float | None = None,
         hermitian: bool = False, max_bytes: float | None = None) -> np.ndarray:
    """The Moore–Penrose pseudo-inverse ``A⁺`` (through the SVD), batched.

    Parameters
    ----------
    A : array_like (..., m, n) or sparse (m, n)
        Any shape.
    rcond, rtol : float, optional
        Singular values ``<= rtol · s_max`` are treated as zero (``rcond`` is
        numpy's older name; pass one).  Default ``1e-15``, as
        :func:`numpy.linalg.pinv`.
    hermitian : bool, default=False
        ``A`` is Hermitian: an eigendecomposition instead of the SVD.
    max_bytes : float, optional
        Memory limit (default 2 GiB): the dense matrix and the SVD's
        factors, three dense copies, are counted.

    Returns
    -------
    ndarray (..., n, m)

    See Also
    --------
    numpy.linalg.pinv, lstsq, sparsekit.solve : ``method="lsqr"`` for sparse least squares.

    Examples
    --------
    >>> import numpy as np
    >>> import sparsekit as sk
    >>> A = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 2.0]])
    >>> sk.dense.pinv(A)
    array([[1. , 0. , 0. ],
           [0. , 0. , 0.5]])
    """
    if rcond is not None and rtol is not None:
        raise InputValueError(f"pass rcond or rtol, not both (got rcond={rcond!r}, "
                              f"rtol={rtol!r})")
    cut = 1e-15 if rcond is None and rtol is None else (rcond if rtol is None else rtol)
    if isinstance(cut, bool) or not isinstance(cut, (int, float, np.floating, np.integer)) \
            or not np.isfinite(cut) or cut < 0:
        raise InputValueError(f"rtol must be a finite number >= 0 (got {cut!r})")
    A = as_dense(A, "A", max_bytes, what="sk.dense.pinv", copies=3,
                 instead="sk.solve(A, b, method='lsqr') for least squares")
    with threads_for(max(A.shape[-2:])):
        return np.linalg.pinv(A, rcond=float(cut), hermitian=bool(hermitian))
