"""The largest singular triplets: :func:`svds` and its three runners.

Each runner of :data:`_SVD_RUNNERS` returns ``(U, s, Vh)`` in any order;
:func:`svds` sorts them, recomputes every residual and applies the
non-convergence policy, whatever ran.
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..._validate import as_matrix, check_choice, nonnegative_float, positive_int
from ...errors import InputValueError, NoConvergence, report_nonconvergence
from ...results import SVDSResult
from .._residuals import DEFAULT_TOL, matrix_scale
from .._threads import single_thread_blas
from ..dense import svd as dense_svd
from ._plan import DENSE_CROSSOVER

__all__ = ["svds", "SVD_METHODS"]

SVD_METHODS = {
    "auto": "ARPACK for roughly square matrices, LOBPCG on the small normal equations for "
            "elongated ones, dense for tiny ones",
    "arpack": "scipy.sparse.linalg.svds(solver='arpack')",
    "lobpcg": "LOBPCG on the normal equations of the smaller side (AᵀA or AAᵀ)",
    "dense": "scipy.linalg.svd",
}


def svds(A, k=6, *, method="auto", tol=None, maxiter=None, v0=None, strict=False):
    """The ``k`` largest singular triplets of a sparse (rectangular) matrix.

    Parameters
    ----------
    A : sparse matrix or array, or ndarray, shape (m, n)
        The matrix.
    k : int, default=6
        Number of triplets, ``1 <= k < min(m, n)``.
    method : {"auto", "arpack", "lobpcg", "dense"}, default="auto"
        ``"auto"``: dense below 200 columns and rows, LOBPCG on the normal
        equations of the smaller side when one side is 10 times the other,
        ARPACK otherwise.
    tol : float, optional
        Residual tolerance relative to ``sqrt(‖A‖₁ ‖A‖∞)`` (>= ‖A‖₂); default 1e-8.
    maxiter : int, optional
        Iteration limit.
    v0 : ndarray, optional
        Starting vector of length ``min(m, n)``.
    strict : bool, default=False
        Raise :class:`~sparsekit.NoConvergence` instead of warning.

    Returns
    -------
    SVDSResult
        ``U`` (m × k), ``s`` descending, ``Vh`` (k × n), per-triplet residuals
        and converged flags.

    See Also
    --------
    scipy.sparse.linalg.svds : the ARPACK/LOBPCG anchor.

    Examples
    --------
    >>> import numpy as np
    >>> import sparsekit as sk
    >>> A = np.diag([5.0, 4.0, 3.0, 2.0, 1.0])
    >>> r = sk.svds(A, k=2)
    >>> r.s
    array([5., 4.])
    """
    check_choice(method, SVD_METHODS, "method")
    A = as_matrix(A, "A")
    m, n = A.shape
    k = positive_int(k, "k")
    if k >= min(m, n):
        raise InputValueError(f"k must be < min(m, n) (got k={k}, shape {A.shape}); use "
                              "sk.dense.svd for all singular values")
    tol = DEFAULT_TOL if tol is None else nonnegative_float(tol, "tol")
    if maxiter is not None:
        maxiter = positive_int(maxiter, "maxiter")
    small = min(m, n)
    if v0 is not None:
        v0 = np.asarray(v0, dtype=float)
        if v0.shape != (small,):
            raise InputValueError(f"v0 must have shape ({small},) (got shape {v0.shape})")
    notes = []
    if method == "auto":
        method = _auto(m, n, notes)
    t0 = time.perf_counter()
    with single_thread_blas():
        U, s, Vt = _SVD_RUNNERS[method](A, k, tol, maxiter, v0)
    t1 = time.perf_counter()
    order = np.argsort(s)[::-1]
    U, s, Vt = U[:, order], s[order], Vt[order]
    res, scale = _triplet_residuals(A, U, s, Vt)
    converged = res <= tol * max(scale, 1e-300)
    result = SVDSResult(U, s, Vt, res, converged, method, "scipy",
                        {"setup": 0.0, "solve": t1 - t0}, tol, tuple(notes))
    if not result.all_converged:
        msg = (f"svds ({method}): {int(np.sum(~converged))} of {k} triplets missed the "
               f"tolerance {tol:g} (max residual {float(np.max(res)):.3e})")
        report_nonconvergence(msg, result, strict, stacklevel=3)
    return result


def _auto(m: int, n: int, notes: list) -> str:
    """``method="auto"``: the method for an ``m × n`` matrix, its reason appended to ``notes``."""
    small = min(m, n)
    if max(m, n) <= DENSE_CROSSOVER:
        notes.append(f"auto: both sides <= {DENSE_CROSSOVER}: dense SVD")
        return "dense"
    if max(m, n) >= 10 * small:
        notes.append(f"auto: shape {m}x{n} is elongated: LOBPCG on the {small}x{small} "
                     "normal equations")
        return "lobpcg"
    notes.append(f"auto: shape {m}x{n}: ARPACK (Lanczos bidiagonalization via svds)")
    return "arpack"


def _triplet_residuals(A, U, s, Vt):
    """``sqrt(‖A v − s u‖² + ‖Aᵀ u − s v‖²)`` per triplet, and the scale ``sqrt(‖A‖₁ ‖A‖∞)``."""
    R1 = A @ Vt.T - U * s
    R2 = A.T @ U - Vt.T * s
    res = np.sqrt(np.linalg.norm(R1, axis=0) ** 2 + np.linalg.norm(R2, axis=0) ** 2)
    AT = A.T
    scale = math.sqrt(matrix_scale(A) * matrix_scale(sp.csr_array(AT) if sp.issparse(A)
                                                    else np.asarray(AT)))
    return res, scale


# --------------------------------------------------------------------------- runners


def _svd_dense(A, k, tol, maxiter, v0):
    """LAPACK's SVD of the densified matrix (``sk.dense.svd``), the ``k`` largest kept."""
    d = dense_svd(A)
    return d.U[:, :k], d.s[:k], d.Vh[:k]


def _svd_arpack(A, k, tol, maxiter, v0):
    """SciPy's ``svds(solver="arpack")`` at 1/100 of the tolerance."""
    try:
        return spla.svds(A, k=k, solver="arpack", tol=tol * 1e-2, maxiter=maxiter, v0=v0)
    except spla.ArpackNoConvergence as exc:
        raise NoConvergence(f"ARPACK svds did not converge: {exc}") from exc


def _svd_lobpcg(A, k, tol, maxiter, v0):
    """LOBPCG on the normal equations of the smaller side; the other side as ``A v / s``."""
    m, n = A.shape
    small = min(m, n)
    tall = m >= n
    op = spla.aslinearoperator(A)
    G = (spla.LinearOperator((n, n), matvec=lambda x: op.rmatvec(op.matvec(x)),
                             matmat=lambda X: op.rmatmat(op.matmat(X)), dtype=float)
         if tall else
         spla.LinearOperator((m, m), matvec=lambda x: op.matvec(op.rmatvec(x)),
                             matmat=lambda X: op.matmat(op.rmatmat(X)), dtype=float))
    X = np.random.default_rng(0).standard_normal((small, k))
    if v0 is not None:
        X[:, 0] = v0
    scaleA = matrix_scale(A)
    its = maxiter if maxiter is not None else 500
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        # ‖Aᵀu − s v‖ = ‖G v − s² v‖ / s: a first pass estimates s, the second
        # tightens LOBPCG's Gram residual to tol·‖A‖·s_min
        w, V = spla.lobpcg(G, X, tol=1e-4 * scaleA ** 2, largest=True, maxiter=its)
        smin = math.sqrt(max(float(np.min(w)), 0.0))
        w, V = spla.lobpcg(G, V, tol=0.1 * tol * scaleA * max(smin, 1e-300),
                           largest=True, maxiter=its)
    w = np.clip(w, 0, None)
    s = np.sqrt(w)
    # the other side from the normal-equation vectors: u = A v / s
    if tall:
        return (A @ V) / np.where(s > 0, s, 1.0), s, V.T
    return V, s, ((A.T @ V) / np.where(s > 0, s, 1.0)).T


_SVD_RUNNERS = {
    "dense": _svd_dense,
    "arpack": _svd_arpack,
    "lobpcg": _svd_lobpcg,
}
