"""What every function of ``sparsekit.dense`` shares: the memory guard and the checks.

Sparse input is densified only after :func:`as_dense` has checked the memory
it would take against ``max_bytes`` (default :data:`DEFAULT_MAX_BYTES`): beyond
it, :class:`~sparsekit.DenseTooLargeError` says how much and what to use
instead.  A limit that is not a number ``>= 0`` (NaN, negative, a string) is
refused, so it can never switch the guard off by accident.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from ..._validate import check_finite, checked_sparse, describe, is_converged, max_bytes_limit
from ...errors import (
    DenseTooLargeError,
    IllConditionedWarning,
    InputValueError,
    NotSquareError,
    ShapeError,
)
from ...results import SolveResult, _fmt_bytes
from .._threads import threads_for

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["DEFAULT_MAX_BYTES", "dense_nbytes", "max_bytes_limit", "as_dense", "square",
           "warn_rcond", "is_hermitian_stack", "solve_result"]

#: Default memory limit of the dense path, in bytes (2 GiB).
DEFAULT_MAX_BYTES = 2 * 1024**3

_RCOND_WARN = 1e3  # warn when rcond < _RCOND_WARN * eps


def dense_nbytes(shape: int | tuple[int, ...], dtype: npt.DTypeLike = np.float64) -> int:
    """Bytes a dense array of ``shape`` and ``dtype`` takes.

    Examples
    --------
    >>> from sparsekit.linalg.dense import dense_nbytes
    >>> dense_nbytes((1000, 1000))
    8000000
    """
    return int(np.prod(shape, dtype=np.float64)) * np.dtype(dtype).itemsize


def as_dense(A, name, max_bytes, *, what="the dense path", instead="sk.solve, sk.eigsh",
             copies=1):
    """Densify ``A`` (sparse, ndarray, array_like) after the memory check.

    ``copies`` dense arrays of ``A``'s size are counted against the limit (an
    inverse holds two: ``A`` and ``A⁻¹``).
    """
    limit = max_bytes_limit(max_bytes, DEFAULT_MAX_BYTES)
    if sp.issparse(A):
        A = checked_sparse(A, name)  # the input gate, before SciPy's toarray kernel
        shape, dtype = A.shape, A.dtype
    else:
        A = np.asarray(A)
        shape, dtype = A.shape, A.dtype
        if A.dtype == object or A.dtype.kind not in "biufc":
            raise InputValueError(f"{name} must hold numbers (got {describe(A)})")
    if len(shape) < 2:
        raise ShapeError(f"{name} must be a matrix (..., m, n) (got shape {shape})")
    work = np.result_type(dtype, np.float64)
    need = copies * dense_nbytes(shape, work)
    if need > limit:
        desc = f"{'x'.join(map(str, shape))} {np.dtype(work).name}"
        held = (f"{copies} dense {desc} arrays ({name} and its results)" if copies > 1
                else f"{name} as a dense {desc} array")
        raise DenseTooLargeError(
            f"{what} would need {_fmt_bytes(need)} for {held}, above the limit "
            f"max_bytes={_fmt_bytes(limit)}; pass a larger max_bytes= or use the sparse "
            f"path ({instead})"
        )
    D = A.toarray() if sp.issparse(A) else A
    D = D.astype(work, copy=False)
    check_finite(D, name)
    return D


def square(A, name="A", hint="use sk.dense.lstsq for rectangular systems"):
    """Raise :class:`~sparsekit.NotSquareError` unless the last two axes are equal."""
    if A.shape[-1] != A.shape[-2]:
        raise NotSquareError(f"{name} must be square (got shape {A.shape}); {hint}")


def warn_rcond(rcond, dtype, stacklevel=3):
    """Warn (:class:`~sparsekit.IllConditionedWarning`) when ``rcond < 1000 eps``."""
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


def is_hermitian_stack(A) -> bool:
    """Whether every matrix of the stack equals its conjugate transpose (relative 1e-10)."""
    if A.size == 0:
        return True  # an empty (0 x 0) matrix is its own conjugate transpose
    scale = np.max(np.abs(A), axis=(-2, -1), keepdims=True)
    diff = np.max(np.abs(A - np.conj(np.swapaxes(A, -1, -2))), axis=(-2, -1), keepdims=True)
    return bool(np.all(diff <= 1e-10 * scale))


def solve_result(A, X, B, vec, rtol, atol, method, t_setup, t_solve, notes=()):
    """The :class:`~sparsekit.SolveResult` of a dense solve, its residual recomputed."""
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
