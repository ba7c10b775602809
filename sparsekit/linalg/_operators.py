"""Operators for SciPy's ARPACK without LinearOperator's per-call bookkeeping.

ARPACK's reverse communication calls its operator's ``matvec`` once a step.
SciPy's :class:`~scipy.sparse.linalg.LinearOperator` checks and reshapes every
call, and a sparse matrix handed to ``eigsh`` is wrapped so that each product
goes through ``matmat`` on an ``n x 1`` block: 5–20 µs a step.  On small
problems that is a fifth of the whole run: SciPy's own ``eigsh(A, 6,
which="LA")`` took 1.42 ms on 494_bus with ``A`` and 1.04 ms with :func:`direct`
(1138_bus 6.2 → 5.0 ms, nos6 3.6 → 2.7 ms, bcsstk13 5.2 → 4.6 ms; medians of
15 interleaved, 2026-12-08, the shared AMD EPYC).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.sparse import _sparsetools

__all__ = ["Direct", "csr_into", "direct"]


class Direct(spla.LinearOperator):
    """``fn`` behind ``matvec``, with nothing in between (a 1-D vector in, a new one out).

    Examples
    --------
    >>> import numpy as np
    >>> op = Direct(lambda x: 2 * x, (3, 3), np.float64)
    >>> op.matvec(np.ones(3))
    array([2., 2., 2.])
    >>> (op @ np.ones((3, 2))).shape
    (3, 2)
    """

    def __init__(self, fn: Callable[[np.ndarray], np.ndarray], shape: tuple[int, int],
                 dtype: Any) -> None:
        super().__init__(np.dtype(dtype), shape)
        self._fn = fn

    def matvec(self, x):  # the public entry ARPACK calls: no checks, no reshapes
        return self._fn(x if x.ndim == 1 else x.ravel())

    def _matvec(self, x):
        return self._fn(np.ravel(x))

    def _matmat(self, X):
        return np.column_stack([self._fn(np.ascontiguousarray(X[:, j]))
                                for j in range(X.shape[1])])


def csr_into(A: Any) -> Callable[[np.ndarray, np.ndarray], None]:
    """``into(x, y)``: ``y = A @ x`` for a CSR ``A``, into ``y`` (``x``, ``y`` of its dtype).

    SciPy's kernel behind ``A @ x``, without the checks and the new vector.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> y = np.full(2, np.nan)
    >>> csr_into(sp.csr_array([[1.0, 2.0], [0.0, 3.0]]))(np.ones(2), y); y
    array([3., 3.])
    """
    n, m = A.shape
    indptr, indices, data = A.indptr, A.indices, A.data

    def into(x: np.ndarray, y: np.ndarray) -> None:
        y.fill(0)  # csr_matvec adds into y
        _sparsetools.csr_matvec(n, m, indptr, indices, data, x, y)
    return into


def _csr_apply(A: Any) -> Callable[[np.ndarray], np.ndarray]:
    into, dtype, n = csr_into(A), A.dtype, A.shape[0]

    def apply(x: np.ndarray) -> np.ndarray:
        if x.dtype != dtype:
            return A @ x
        y = np.empty(n, dtype=dtype)
        into(x, y)
        return y
    return apply


def direct(A: Any, k: int | None = None) -> Any:
    """``A`` as an operator with ``matvec`` for ARPACK: a CSR matrix as :class:`Direct`.

    A LinearOperator is returned as it is, any other matrix through
    :func:`scipy.sparse.linalg.aslinearoperator`.  ``k``: the pairs asked of
    ``eigsh``; with ``k >= n - 1`` SciPy's ``eigsh`` takes a dense path that needs
    the matrix itself, so ``A`` is returned unchanged.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> A = sp.csr_array(np.diag([1.0, 2.0, 3.0, 4.0]))
    >>> type(direct(A)).__name__, direct(A).matvec(np.ones(4))
    ('Direct', array([1., 2., 3., 4.]))
    >>> direct(A, k=3) is A
    True
    """
    if isinstance(A, spla.LinearOperator) or (k is not None and k >= A.shape[0] - 1):
        return A
    if sp.issparse(A) and A.format == "csr" and A.shape[0] == A.shape[1]:
        return Direct(_csr_apply(A), A.shape, A.dtype)
    return spla.aslinearoperator(A)
