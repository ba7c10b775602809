"""The residual convention of sparsekit's eigensolvers, in one place.

The residual of a pair is the absolute ``‖A v − λ M v‖₂``; it is converged
when it is at most ``tol · (‖A‖₁ + |λ| ‖M‖₁)``.  ``‖·‖₁`` (max absolute
column sum) is an O(nnz) upper bound of the 2-norm of a symmetric matrix.
``sk.eigsh`` (every method) and ``sk.dense.eigh`` judge their pairs here.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._requests import DEFAULT_EIGEN_TOL
from .._validate import as_matrix, check_symmetric
from ..errors import NotSPDError, ShapeError

__all__ = ["DEFAULT_TOL", "matrix_scale", "pair_residuals", "check_mass"]

#: Default residual tolerance, relative to the scale of the problem (see :func:`pair_residuals`).
DEFAULT_TOL = DEFAULT_EIGEN_TOL


def matrix_scale(A) -> float:
    """``‖A‖₁`` (max absolute column sum), an O(nnz) upper bound of ``‖A‖₂`` for symmetric A.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.linalg._residuals import matrix_scale
    >>> matrix_scale(np.array([[2.0, -1.0], [-1.0, 2.0]]))
    3.0
    """
    if sp.issparse(A):
        if A.nnz == 0:
            return 0.0
        return float(np.max(np.asarray(abs(A).sum(axis=0)).ravel()))
    A = np.asarray(A)
    return float(np.max(np.abs(A).sum(axis=0))) if A.size else 0.0


def pair_residuals(A, M, values, vectors, ascale=None):
    """``‖A v − λ M v‖₂`` of every pair, and the scale ``‖A‖₁ + |λ| ‖M‖₁`` each is judged by.

    A pair is converged when its residual is at most ``tol`` times its scale:
    sparsekit's eigensolver tolerances are relative to ``‖A‖₁`` (plus
    ``|λ| ‖M‖₁`` for generalized problems), everywhere.

    Parameters
    ----------
    A : sparse matrix or array, ndarray or LinearOperator, shape (n, n)
        The matrix.
    M : sparse matrix or array, or ndarray, or None
        The mass matrix (None: the identity).
    values : ndarray, shape (k,)
        Eigenvalue estimates.
    vectors : ndarray, shape (n, k)
        Eigenvector estimates, as columns.
    ascale : float, optional
        ``‖A‖₁`` when already known (computed here otherwise).

    Returns
    -------
    residuals, scale : ndarray, shape (k,)
        The residual norms and the scale of each pair (1 where it is 0).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.linalg._residuals import pair_residuals
    >>> res, scale = pair_residuals(np.diag([1.0, 2.0]), None, [1.0, 2.5], np.eye(2))
    >>> res, scale
    (array([0. , 0.5]), array([3. , 4.5]))
    """
    values = np.asarray(values)
    V = np.asarray(vectors)
    AV = A @ V
    MV = V if M is None else M @ V
    R = AV - MV * values[np.newaxis, :]
    res = np.linalg.norm(R, axis=0)
    mscale = 1.0 if M is None else matrix_scale(M)
    ascale = matrix_scale(A) if ascale is None else ascale
    scale = ascale + np.abs(values) * mscale
    return res, np.where(scale > 0, scale, 1.0)


def check_mass(M, n: int):
    """Validate the mass matrix ``M``: square, same size as A, symmetric, finite.

    Only the diagonal's signs are checked here (O(n)); positive definiteness
    is proved where a method needs it (a Cholesky factorization).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.linalg._residuals import check_mass
    >>> check_mass(np.diag([1.0, 2.0]), 2).shape
    (2, 2)
    """
    M = as_matrix(M, "M", square=True)
    if M.shape[0] != n:
        raise ShapeError(f"M must have the shape of A, ({n}, {n}) (got shape {M.shape})")
    check_symmetric(M, "M", hint="M must be symmetric positive definite (a mass matrix)")
    d = M.diagonal() if sp.issparse(M) else np.diag(M)
    if np.any(np.real(d) <= 0):
        bad = int(np.count_nonzero(np.real(d) <= 0))
        raise NotSPDError(
            f"M must be symmetric positive definite, but {bad} of its diagonal entries are "
            "<= 0; pass a mass matrix (SPD), or M=None for a standard problem"
        )
    return M
