"""Dense factorizations: ``cholesky``, ``qr`` and ``svd``, batched, with result objects.

:func:`cholesky`, :func:`qr` and :func:`svd` return small frozen dataclasses
(:class:`~sparsekit.results.CholeskyResult`, :class:`~sparsekit.results.QRResult`,
:class:`~sparsekit.results.SVDResult`); the last two unpack like numpy's
named tuples (``Q, R = sk.dense.qr(A)``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..._validate import check_choice, describe
from ...errors import NotSPDError, NotSymmetricError
from ...results import CholeskyResult, QRResult, SVDResult
from .._threads import threads_for
from ._common import as_dense, is_hermitian_stack, square

if TYPE_CHECKING:
    from ..._typing import MatrixLike

__all__ = ["cholesky", "qr", "svd", "QR_MODES"]

#: The modes of :func:`qr` (numpy's, less ``"raw"``).
QR_MODES = {
    "reduced": "Q (..., m, min(m, n)) and R (..., min(m, n), n)",
    "complete": "Q (..., m, m) and R (..., m, n)",
    "r": "R only (Q is None)",
}


def cholesky(A: MatrixLike, *, lower: bool = True,
             max_bytes: float | None = None) -> CholeskyResult:
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
    A = as_dense(A, "A", max_bytes)
    square(A)
    if not is_hermitian_stack(A):
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


def svd(A: MatrixLike, *, full_matrices: bool = False, compute_uv: bool = True,
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
    A = as_dense(A, "A", max_bytes)
    with threads_for(max(A.shape[-2:])):
        if compute_uv:
            U, s, Vh = np.linalg.svd(A, full_matrices=full_matrices)
            return SVDResult(U, s, Vh)
        return SVDResult(None, np.linalg.svd(A, compute_uv=False), None)


def qr(A: MatrixLike, mode: str = "reduced", *, max_bytes: float | None = None) -> QRResult:
    """Dense QR factorization ``A = Q R`` (LAPACK ``geqrf``) of a matrix or a stack; batched.

    Parameters
    ----------
    A : array_like (..., m, n) or sparse (m, n)
        The matrix (any shape).
    mode : {"reduced", "complete", "r"}, default="reduced"
        As :func:`numpy.linalg.qr` (:data:`QR_MODES`).
    max_bytes : float, optional
        Memory limit (default 2 GiB): the dense matrix and its factors, two
        dense copies (three with ``mode="complete"`` on a tall matrix), are counted.

    Returns
    -------
    QRResult
        ``Q`` (None with ``mode="r"``) and ``R``; unpacks as ``Q, R``.

    See Also
    --------
    numpy.linalg.qr, scipy.linalg.qr, lstsq

    Examples
    --------
    >>> import numpy as np
    >>> import sparsekit as sk
    >>> Q, R = sk.dense.qr(np.array([[3.0, 1.0], [4.0, 2.0]]))
    >>> np.abs(R)
    array([[5. , 2.2],
           [0. , 0.4]])
    """
    check_choice(mode, QR_MODES, "mode")
    copies = 2
    shape = getattr(A, "shape", None)
    if mode == "complete" and shape is not None and len(shape) >= 2 and shape[-2] > shape[-1]:
        copies = 3
    A = as_dense(A, "A", max_bytes, what="sk.dense.qr", copies=copies)
    with threads_for(max(A.shape[-2:])):
        if mode == "r":
            # numpy's stubs type every mode as returning QRResult; mode="r" returns R only
            return QRResult(None, np.linalg.qr(A, mode="r"))  # type: ignore[arg-type]
        Q, R = np.linalg.qr(A, mode=mode)  # type: ignore[call-overload]  # mode is checked
    return QRResult(Q, R)
