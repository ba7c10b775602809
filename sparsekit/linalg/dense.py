"""The dense path: LAPACK through numpy/scipy.linalg, with sparsekit's result objects.

Each function accepts one matrix ``(m, n)`` or, like :mod:`numpy.linalg`, a
stack ``(..., m, n)`` handled in one batched call (10,000 systems of 8 x 8 take
one call, no Python loop).  Sparse input is densified after a memory check:
beyond ``max_bytes`` (default :data:`DEFAULT_MAX_BYTES`, 2 GiB) a
:class:`~sparsekit.DenseTooLargeError` says how much memory the dense matrix
would take, unless the caller raises the limit; a limit that is not a number
``>= 0`` (NaN, negative) is refused.  Dense factorizations keep all BLAS threads.

=================  ==========================================  ==============================
function           returns                                     numpy / sparse counterpart
=================  ==========================================  ==============================
:func:`solve`      :class:`~sparsekit.SolveResult`             ``numpy.linalg.solve`` /
                                                               ``sk.solve``
:func:`lstsq`      :class:`~sparsekit.SolveResult`             ``numpy.linalg.lstsq`` /
                                                               ``sk.solve(method="lsqr")``
:func:`inv`        ndarray (warns: use :func:`solve`)          ``numpy.linalg.inv`` /
                                                               ``sk.factorize(A).solve``
:func:`pinv`       ndarray                                     ``numpy.linalg.pinv``
:func:`cholesky`   :class:`CholeskyResult`                     ``numpy.linalg.cholesky`` /
                                                               ``sk.factorize``
:func:`qr`         :class:`QRResult` (unpacks as ``Q, R``)     ``numpy.linalg.qr``
:func:`svd`        :class:`SVDResult`                          ``numpy.linalg.svd`` /
                                                               ``sk.svds``
:func:`eigh`       :class:`~sparsekit.EigenResult`             ``scipy.linalg.eigh`` /
                                                               ``sk.eigsh``
:func:`det`        float or ndarray                            ``numpy.linalg.det``
:func:`slogdet`    :class:`SlogdetResult` (``sign, logdet``)   ``numpy.linalg.slogdet``
:func:`matrix_rank` int or ndarray                             ``numpy.linalg.matrix_rank`` /
                                                               ``sk.matrix_rank``
:func:`cond`       float or ndarray                            ``numpy.linalg.cond`` /
                                                               ``sk.condest``
=================  ==========================================  ==============================

:func:`solve` estimates the reciprocal condition number (LAPACK ``gecon`` /
``pocon``) and warns with :class:`~sparsekit.IllConditionedWarning` when
fewer than about three digits can be trusted, which :func:`numpy.linalg.solve`
does not do; :func:`inv` does the same, and warns each time that solving is
faster and more accurate than inverting.  The implementation lives in
:mod:`sparsekit.linalg._dense`; this module is its face.
"""

from __future__ import annotations

from .._validate import max_bytes_limit
from ..results import CholeskyResult, QRResult, SlogdetResult, SVDResult
from ._dense._common import DEFAULT_MAX_BYTES, dense_nbytes
from ._dense._decomp import QR_MODES, cholesky, qr, svd
from ._dense._measure import cond, det, matrix_rank, slogdet
from ._dense._solve import inv, lstsq, pinv, solve
from ._dense_eigh import eigh

__all__ = ["solve", "lstsq", "inv", "pinv", "cholesky", "qr", "svd", "eigh", "det", "slogdet",
           "matrix_rank", "cond", "CholeskyResult", "QRResult", "SVDResult", "SlogdetResult",
           "QR_MODES", "DEFAULT_MAX_BYTES", "dense_nbytes", "max_bytes_limit"]
