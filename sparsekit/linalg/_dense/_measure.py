"""What a dense matrix is asked for: ``det``, ``slogdet``, ``matrix_rank`` and ``cond``.

Batched over stacks like :mod:`numpy.linalg`, behind the memory guard.  The
sparse counterparts are :func:`sparsekit.condest` (of :func:`cond`) and
:func:`sparsekit.matrix_rank` / :func:`sparsekit.null_space` (of :func:`matrix_rank`).
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Literal

import numpy as np

from ...errors import InputValueError
from ...results import SlogdetResult
from .._threads import threads_for
from ._common import as_dense, is_hermitian_stack, square

if TYPE_CHECKING:
    from ..._typing import MatrixLike

__all__ = ["det", "slogdet", "matrix_rank", "cond"]

def det(A: MatrixLike, *, max_bytes: float | None = None) -> float | complex | np.ndarray:
    """The determinant (LU, LAPACK ``getrf``) of a square matrix or of every matrix of a stack.

    A determinant under- or overflows long before a matrix is hard to solve
    with (``det(0.1 I₄₀₀) = 1e-400 = 0.0``): :func:`slogdet` is the one to use
    for anything but small matrices.

    Parameters
    ----------
    A : array_like (..., n, n) or sparse (n, n)
        Square matrix or stack.
    max_bytes : float, optional
        Memory limit (default 2 GiB); two dense copies (the LU factors) are counted.

    Returns
    -------
    float or ndarray (...)

    See Also
    --------
    numpy.linalg.det, slogdet

    Examples
    --------
    >>> import numpy as np
    >>> import sparsekit as sk
    >>> float(sk.dense.det(np.array([[1.0, 2.0], [3.0, 4.0]])))
    -2.0
    """
    A = as_dense(A, "A", max_bytes, what="sk.dense.det", copies=2,
                 instead="sk.factorize(A).slogdet(), from a sparse factorization")
    square(A, hint="a determinant needs a square matrix")
    with threads_for(A.shape[-1]):
        return np.linalg.det(A)


def slogdet(A: MatrixLike, *, max_bytes: float | None = None) -> SlogdetResult:
    """Sign and ``log |det A|`` of a square matrix or a stack, without under- or overflow.

    Parameters
    ----------
    A : array_like (..., n, n) or sparse (n, n)
        Square matrix or stack.
    max_bytes : float, optional
        Memory limit (default 2 GiB); two dense copies are counted.

    Returns
    -------
    SlogdetResult
        ``sign`` (0 for a singular matrix) and ``logabsdet`` (``-inf`` then);
        unpacks as ``sign, logabsdet``.

    See Also
    --------
    numpy.linalg.slogdet, cholesky : ``.logdet`` of an SPD matrix.
    sparsekit.Factorization.slogdet : the same from a sparse factorization.

    Examples
    --------
    >>> import numpy as np
    >>> import sparsekit as sk
    >>> sign, logdet = sk.dense.slogdet(0.1 * np.eye(400))
    >>> float(sign), round(float(logdet), 4)
    (1.0, -921.034)
    """
    A = as_dense(A, "A", max_bytes, what="sk.dense.slogdet", copies=2,
                 instead="sk.factorize(A).slogdet(), from a sparse factorization")
    square(A, hint="a determinant needs a square matrix")
    with threads_for(A.shape[-1]):
        sign, logabsdet = np.linalg.slogdet(A)
    return SlogdetResult(sign, logabsdet)


def _number(value, name):
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) \
            or not np.isfinite(value) or value < 0:
        raise InputValueError(f"{name} must be a finite number >= 0 (got {value!r})")
    return float(value)


def matrix_rank(A: MatrixLike, tol: float | None = None, hermitian: bool = False, *,
                rtol: float | None = None, max_bytes: float | None = None) -> int | np.ndarray:
    """The rank: singular values above a threshold (LAPACK ``gesdd``), batched.

    The threshold is numpy's: ``tol`` when given, else ``rtol · s_max`` with
    ``rtol = max(m, n) · eps`` by default.  :func:`sparsekit.matrix_rank`
    applies the same rule to a sparse matrix and returns its evidence.

    Parameters
    ----------
    A : array_like (..., m, n) or sparse (m, n)
        Any shape.
    tol : float, optional
        Absolute threshold.
    hermitian : bool, default=False
        ``A`` is Hermitian: ``|eigenvalues|`` instead of the SVD.
    rtol : float, optional
        Threshold relative to the largest singular value (with ``tol=None``).
    max_bytes : float, optional
        Memory limit (default 2 GiB); two dense copies are counted.

    Returns
    -------
    int or ndarray of int (...)

    See Also
    --------
    numpy.linalg.matrix_rank, sparsekit.matrix_rank

    Examples
    --------
    >>> import numpy as np
    >>> import sparsekit as sk
    >>> int(sk.dense.matrix_rank(np.array([[1.0, 2.0], [2.0, 4.0], [0.0, 0.0]])))
    1
    """
    tol, rtol = _number(tol, "tol"), _number(rtol, "rtol")
    A = as_dense(A, "A", max_bytes, what="sk.dense.matrix_rank", copies=2,
                 instead="sk.matrix_rank")
    m, n = A.shape[-2:]
    if A.size == 0:
        return np.zeros(A.shape[:-2], dtype=int) if A.ndim > 2 else 0
    if hermitian and m == n and not is_hermitian_stack(A):
        raise InputValueError("hermitian=True but A is not Hermitian (relative 1e-10); "
                              "pass hermitian=False")
    with threads_for(max(m, n)):
        s = (np.abs(np.linalg.eigvalsh(A)) if hermitian
             else np.linalg.svd(A, compute_uv=False))
    if tol is None:
        rtol = max(m, n) * np.finfo(A.dtype).eps if rtol is None else rtol
        cut = s.max(axis=-1, keepdims=True) * rtol
    else:
        cut = tol
    rank = np.count_nonzero(s > cut, axis=-1)
    return int(rank) if A.ndim == 2 else rank


def _check_p(p):
    if p is None or (isinstance(p, str) and p == "fro"):
        return
    if isinstance(p, (bool, np.bool_, str)) or not isinstance(p, numbers.Real) \
            or p not in (1, -1, 2, -2, np.inf, -np.inf):
        raise InputValueError(f"p must be one of None, 1, -1, 2, -2, inf, -inf, 'fro' "
                              f"(got {p!r})")


def cond(A: MatrixLike, p: float | Literal["fro"] | None = None, *,
         max_bytes: float | None = None) -> float | np.ndarray:
    """The condition number ``‖A‖_p ‖A⁻¹‖_p`` computed exactly, batched.

    ``p=None`` or ``2``: ``s_max / s_min`` from the SVD (any shape); other
    norms invert the (square) matrix.  A singular matrix gives ``inf``.
    :func:`sparsekit.condest` estimates the 1-norm (or 2-norm) condition of a
    sparse matrix from its factorization, without the inverse.

    Parameters
    ----------
    A : array_like (..., m, n) or sparse (m, n)
        The matrix (square unless ``p`` is None, 2 or -2).
    p : {None, 1, -1, 2, -2, inf, -inf, "fro"}, optional
        The norm, as :func:`numpy.linalg.cond`.
    max_bytes : float, optional
        Memory limit (default 2 GiB); two dense copies are counted.

    Returns
    -------
    float or ndarray (...)

    See Also
    --------
    numpy.linalg.cond, sparsekit.condest

    Examples
    --------
    >>> import numpy as np
    >>> import sparsekit as sk
    >>> float(sk.dense.cond(np.diag([1.0, 10.0])))
    10.0
    >>> float(sk.dense.cond(np.array([[1.0, 1.0], [0.0, 1.0]]), p=1))
    4.0
    """
    _check_p(p)
    A = as_dense(A, "A", max_bytes, what="sk.dense.cond", copies=2,
                 instead="sk.condest, which estimates it from a sparse factorization")
    if p not in (None, 2, -2):
        square(A, hint="use p=None (2-norm, any shape) for a rectangular matrix")
    with threads_for(max(A.shape[-2:])), np.errstate(divide="ignore", invalid="ignore"):
        c = np.linalg.cond(A, p)
    return float(c) if A.ndim == 2 else c
