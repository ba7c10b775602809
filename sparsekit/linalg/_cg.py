"""Conjugate gradients on real double-precision systems, with in-place vector updates.

SciPy's :func:`scipy.sparse.linalg.cg` runs the textbook recurrence, and so does
:func:`cg` here, iterate for iterate: the same stopping test (``‖r‖ < max(atol,
rtol·‖b‖)`` before each iteration), the same updates, the same callback after
each iteration, the same ``info``.  What differs is the memory traffic of one
iteration.  SciPy allocates three vectors (``A @ p``, ``alpha*p``, ``alpha*q``)
and passes over the vectors about fourteen times (the norm of ``r``, the
identity "preconditioner" through a LinearOperator, ``p *= beta; p += z``,
temporaries for both updates); here the products go into vectors allocated
once, the updates are BLAS ``axpy``/``scal`` in place, and without a
preconditioner ``r·r`` serves both as ``rho`` and as the norm of the stopping
test.  On 3-D Poisson 64³ (7 entries a row) that is about a quarter of the
time of an unpreconditioned iteration (measured in docs/performance.md).

Only real ``float64`` problems take this path (:func:`applies`); complex and
single-precision ones, and everything else, keep SciPy's ``cg``.  A
breakdown (``pᵀA p`` zero or not finite, ``rᵀz`` not finite, or zero before
the next step divides by it) stops the iteration with ``info = -1`` where
SciPy would go on with NaNs to ``maxiter``; a residual of exactly zero is
converged whatever the tolerance.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.linalg import blas
from scipy.sparse import _sparsetools

from ._operators import csr_into

__all__ = ["applies", "cg", "diagonal_product"]

#: A CSR matrix of at least this many rows whose run is long (:func:`_long_run`), and
#: whose preconditioner so far took at most twice the products' time, is multiplied
#: in diagonal storage from then on, if it has few diagonals.
DIA_MIN_N = 20_000
#: The iteration at which the run decides, from its residual reduction so far.
DIA_DECIDE_AT = 16
#: Diagonal storage for at most this many diagonals holding at most this share of
#: explicit zeros (the padding of a stencil's boundary rows).
DIA_MAX_DIAGONALS = 32
DIA_MAX_STORED = 1.25

_daxpy, _dscal, _ddot = blas.daxpy, blas.dscal, blas.ddot


def applies(A: Any, b: np.ndarray, x0: Any, M: Any) -> bool:
    """Whether :func:`cg` takes this problem: real double precision throughout."""
    if b.dtype != np.float64 or getattr(A, "dtype", None) != np.float64:
        return False
    if x0 is not None and np.asarray(x0).dtype.kind not in "biuf":
        return False
    return M is None or getattr(M, "dtype", np.dtype(np.float64)) == np.float64


def _product(A: Any, n: int) -> Callable[[np.ndarray, np.ndarray], None]:
    """``into(p, q)``: ``q = A @ p``, into the vector ``q`` when ``A`` is CSR."""
    if _csr(A):
        return csr_into(A)
    apply = A.matvec if hasattr(A, "matvec") else A.__matmul__

    def general(p: np.ndarray, q: np.ndarray) -> None:
        q[:] = np.asarray(apply(p)).reshape(n)
    return general


def _csr(A: Any) -> bool:
    return sp.issparse(A) and A.format == "csr" and A.dtype == np.float64


def diagonal_product(A: Any) -> Callable[[np.ndarray, np.ndarray], None] | None:
    """``into(p, q)``: ``q = A @ p`` from diagonal storage, or None where it does not pay.

    A matrix from a stencil on a structured grid (finite differences: 5 or 7
    diagonals, whatever ``n``) stores its entries along a few diagonals;
    stored by diagonal it needs no column indices, and its product reads about
    a third fewer bytes: 1.4 ms against 2.1–2.3 ms for CSR on 3-D Poisson 64³
    (measured in docs/performance.md).  The conversion costs about six CSR
    products (O(nnz), a counting pass, no sort).  None where ``A`` is not a
    square real CSR matrix, has more than :data:`DIA_MAX_DIAGONALS` diagonals
    (rejected from a sample of 2,048 rows first, so an unstructured matrix
    costs almost nothing), or would store more than :data:`DIA_MAX_STORED` times its
    entries.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> A = sp.diags_array([-1.0, 2.0, -1.0], offsets=[-1, 0, 1], shape=(6, 6)).tocsr()
    >>> into = diagonal_product(A)
    >>> q = np.empty(6); into(np.arange(6.0), q); q
    array([-1.,  0.,  0.,  0.,  0.,  6.])
    """
    n = A.shape[0]
    if not _csr(A) or A.shape[1] != n or n == 0 or A.nnz == 0 \
            or not A.has_canonical_format:
        return None
    indptr, indices = A.indptr, A.indices
    sample = np.unique(np.linspace(0, n - 1, min(n, 2048)).astype(np.intp))
    lengths = (indptr[sample + 1] - indptr[sample]).astype(np.intp)
    ends = np.cumsum(lengths)
    at = np.repeat(indptr[sample] - (ends - lengths), lengths) + np.arange(ends[-1])
    if np.unique(indices[at] - np.repeat(sample, lengths)).size > DIA_MAX_DIAGONALS:
        return None
    itype = indices.dtype if 2 * n < np.iinfo(indices.dtype).max else np.int64
    rows = np.repeat(np.arange(n, dtype=itype), np.diff(indptr))
    k = indices - rows
    k += n - 1  # offset o at index o + n - 1
    counts = np.bincount(k, minlength=2 * n - 1)
    present = np.flatnonzero(counts)
    d = present.size
    if d > DIA_MAX_DIAGONALS or d * n > DIA_MAX_STORED * A.nnz:
        return None
    which = np.empty(2 * n - 1, dtype=itype)
    which[present] = np.arange(d, dtype=itype)
    data = np.zeros((d, n))
    # SciPy's diagonal storage: data[j, col] holds the entry of diagonal j in column col
    data.reshape(-1)[which[k].astype(np.int64) * n + indices] = A.data  # canonical: no repeats
    offsets = (present - (n - 1)).astype(indices.dtype)

    def into(p: np.ndarray, q: np.ndarray) -> None:
        q.fill(0.0)  # dia_matvec adds to q
        _sparsetools.dia_matvec(n, n, d, n, offsets, data, p, q)
    return into


def _long_run(r0: float, r: float, target: float, done: int) -> bool:
    """Whether a run that took ``r0`` to ``r`` in ``done`` steps needs 20 more to ``target``.

    The conversion to diagonal storage costs about six products and saves about
    0.3 of one per iteration: it pays after 20 more iterations.
    """
    if r <= target:
        return False
    rate = (r / r0) ** (1.0 / done) if r0 > 0 else 0.0
    return rate >= 1.0 or np.log(target / r) / np.log(rate) >= 20


def cg(A: Any, b: np.ndarray, x0: Any = None, *, rtol: float, atol: float = 0.0,
       maxiter: int | None = None, M: Any = None,
       callback: Callable[[np.ndarray], Any] | None = None) -> tuple[np.ndarray, int]:
    """SciPy's ``cg(A, b, x0, rtol=, atol=, maxiter=, M=, callback=)``: ``(x, info)``.

    ``A`` is square with ``float64`` entries (a CSR matrix is multiplied into a
    preallocated vector; anything else through ``A @ p``), ``b`` a ``float64``
    vector, ``M`` None or an operator with ``matvec``.  ``info``: 0 converged,
    ``maxiter`` when the budget ran out, -1 on a breakdown.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> A = sp.diags_array([-1.0, 2.0, -1.0], offsets=[-1, 0, 1], shape=(50, 50)).tocsr()
    >>> x, info = cg(A, np.ones(50), rtol=1e-10)
    >>> info, bool(np.linalg.norm(A @ x - 1) < 1e-8)
    (0, True)
    """
    n = b.shape[0]
    bnorm = float(np.linalg.norm(b))
    target = max(float(atol), float(rtol) * bnorm)
    if bnorm == 0:
        return b.copy(), 0
    maxiter = n * 10 if maxiter is None else int(maxiter)
    x = np.zeros(n) if x0 is None else np.array(x0, dtype=np.float64).reshape(n)
    into = _product(A, n)
    q = np.empty(n)
    if x.any():
        into(x, q)
        r = b - q
    else:
        r = b.copy()
    p = np.empty(n)
    psolve = None if M is None else M.matvec
    rho_prev, r0 = 1.0, float(np.linalg.norm(r))
    spent = [0.0, 0.0]  # seconds in the products and in the preconditioner
    for iteration in range(maxiter):
        if psolve is None:
            rho = _ddot(r, r)
            rnorm = np.sqrt(rho)
            z = r
        else:
            rnorm = np.linalg.norm(r)
        if rnorm < target or rnorm == 0:  # an exact solution (rtol = atol = 0) included
            return x, 0
        if iteration == DIA_DECIDE_AT and n >= DIA_MIN_N and _csr(A) \
                and spent[1] <= 2 * spent[0] and _long_run(r0, rnorm, target, iteration):
            into = diagonal_product(A) or into  # not where the preconditioner dominates
        if psolve is not None:
            t0 = time.perf_counter()
            z = np.asarray(psolve(r), dtype=np.float64).reshape(n)
            spent[1] += time.perf_counter() - t0
            rho = _ddot(r, z)
        if not np.isfinite(rho) or (iteration > 0 and rho_prev == 0):
            return x, -1  # (rᵀz = 0 with r ≠ 0: an indefinite preconditioner)
        if iteration > 0:
            _dscal(rho / rho_prev, p)
            _daxpy(z, p)  # p = z + beta p
        else:
            p[:] = z
        t0 = time.perf_counter()
        into(p, q)
        spent[0] += time.perf_counter() - t0
        pq = _ddot(p, q)
        if pq == 0 or not np.isfinite(pq):
            return x, -1
        alpha = rho / pq
        _daxpy(p, x, a=alpha)
        _daxpy(q, r, a=-alpha)
        rho_prev = rho
        if callback is not None:
            callback(x)
    return x, maxiter
