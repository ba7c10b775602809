"""Singular triplets: :func:`svds` and its runners, the largest or the smallest.

Each runner of :data:`_SVD_RUNNERS` returns ``(U, s, Vh)`` in any order;
:func:`svds` keeps the ``k`` that ``which`` asks for, orders them (numpy's
descending order by default, SciPy's ascending with ``ascending=True``),
recomputes every residual and applies the non-convergence policy, whatever ran.

The smallest singular values are the square roots of the smallest
eigenvalues of the Gram matrix of the smaller side (``AᴴA`` or ``AAᴴ``);
``"shift_invert"`` factorizes it (sparsekit's Cholesky) and runs ARPACK on
its inverse, SciPy's ``which='SM'`` runs ARPACK's regular mode, which needs
many more iterations.  Either way the triplets are refined by a Rayleigh–Ritz
step on ``A`` itself (the SVD of ``A V``), as SciPy's ``svds`` does.
"""

from __future__ import annotations

import math
import time
import warnings
from typing import TYPE_CHECKING, Literal, overload

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..._choices import SVDS_WHICH
from ..._requests import eigen_tol
from ..._validate import as_matrix, check_choice, nonnegative_float, positive_int
from ...errors import (
    InputValueError,
    NoConvergence,
    NotSPDError,
    SingularMatrixError,
    report_nonconvergence,
)
from ...results import SVDSResult
from .. import factor
from .._operators import Direct
from .._residuals import matrix_scale
from .._threads import single_thread_blas
from ..dense import svd as dense_svd
from ._plan import DENSE_CROSSOVER
from ._problem import double_precision

#: ``auto`` also takes the dense SVD of a thin matrix whose ``max(m, n) min(m, n)²``
#: is at most this (a quarter of a 200 x 200 square's): :func:`_auto`
DENSE_SVD_FLOPS = DENSE_CROSSOVER**3 // 4

if TYPE_CHECKING:
    import numpy.typing as npt

    from ..._typing import OperatorLike

__all__ = ["svds", "SVD_METHODS"]

SVD_METHODS = {
    "auto": "dense for small matrices; for the largest: ARPACK for roughly square matrices, "
            "LOBPCG on the small normal equations for elongated ones; for the smallest: "
            "shift-invert on the Gram matrix",
    "arpack": "scipy.sparse.linalg.svds(solver='arpack') (which='SM': ARPACK's regular mode)",
    "lobpcg": "LOBPCG on the normal equations of the smaller side (AᴴA or AAᴴ)",
    "shift_invert": "ARPACK on the inverse of the Gram matrix of the smaller side, factorized "
                    "once (the smallest singular values only)",
    "dense": "scipy.linalg.svd",
}

_RETURN_VECTORS = (True, False, "u", "vh")


@overload
def svds(A: OperatorLike, k: int = ..., ncv: int | None = ..., tol: float | None = ...,
         which: str = ..., v0: npt.ArrayLike | None = ..., maxiter: int | None = ...,
         return_singular_vectors: Literal[True, "u", "vh"] = ..., *, method: str = ...,
         ascending: bool = ..., strict: bool = ...) -> SVDSResult: ...
@overload
def svds(A: OperatorLike, k: int = ..., ncv: int | None = ..., tol: float | None = ...,
         which: str = ..., v0: npt.ArrayLike | None = ..., maxiter: int | None = ..., *,
         return_singular_vectors: Literal[False], method: str = ..., ascending: bool = ...,
         strict: bool = ...) -> np.ndarray: ...
@overload
def svds(A: OperatorLike, k: int = ..., ncv: int | None = ..., tol: float | None = ...,
         which: str = ..., v0: npt.ArrayLike | None = ..., maxiter: int | None = ...,
         return_singular_vectors: bool | str = ..., *, method: str = ...,
         ascending: bool = ..., strict: bool = ...) -> SVDSResult | np.ndarray: ...
def svds(A: OperatorLike, k: int = 6, ncv: int | None = None, tol: float | None = None,
         which: str = "largest", v0: npt.ArrayLike | None = None, maxiter: int | None = None,
         return_singular_vectors: bool | str = True, *, method: str = "auto",
         ascending: bool = False, strict: bool = False) -> SVDSResult | np.ndarray:
    """The ``k`` largest (or smallest) singular triplets of a sparse (rectangular) matrix.

    The arguments are SciPy's (:func:`scipy.sparse.linalg.svds`), in SciPy's
    order; SciPy's ``solver=`` is ``method=`` here, and the singular values
    come largest first (numpy's order) unless ``ascending=True`` (SciPy's).

    Parameters
    ----------
    A : sparse matrix or array, ndarray or LinearOperator, shape (m, n)
        The matrix (a LinearOperator only with ``"arpack"``/``"lobpcg"``).
    k : int, default=6
        Number of triplets, ``1 <= k < min(m, n)``.
    ncv : int, optional
        ARPACK's number of Lanczos vectors, ``k < ncv < min(m, n)``.
    tol : float, optional
        Residual tolerance relative to ``sqrt(‖A‖₁ ‖A‖∞)`` (>= ‖A‖₂); default
        1e-8; 0 means machine precision (as SciPy's ``tol=0``).
    which : {"largest", "smallest", "LM", "SM"}, default="largest"
        The largest or the smallest singular values (SciPy's ``'LM'``/``'SM'``).
    v0 : ndarray, optional
        Starting vector of length ``min(m, n)``.
    maxiter : int, optional
        Iteration limit.
    return_singular_vectors : {True, False, "u", "vh"}, default=True
        As SciPy: False returns the singular values only (an ndarray);
        ``"u"``/``"vh"`` set the other side to None in the result.  Every
        triplet is computed and judged either way.
    method : {"auto", "arpack", "lobpcg", "shift_invert", "dense"}, default="auto"
        ``"auto"``: dense when both sides are at most 200, or when
        ``max(m, n) min(m, n)²`` is at most 2e6 (a thin matrix); for the largest,
        LOBPCG on the normal equations of the smaller side when one side is 10
        times the other, ARPACK otherwise; for the smallest, shift-invert on
        the Gram matrix (ARPACK for a LinearOperator).
    ascending : bool, default=False
        False: ``s`` descending (numpy's order, ``sk.dense.svd``'s); True:
        ascending, SciPy's order.
    strict : bool, default=False
        Raise :class:`~sparsekit.NoConvergence` instead of warning.

    Returns
    -------
    SVDSResult
        ``U`` (m × k), ``s``, ``Vh`` (k × n), per-triplet residuals and
        converged flags; it unpacks as SciPy's triple ``u, s, vh``.  The
        singular values only with ``return_singular_vectors=False``.

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
    >>> u, s, vh = sk.svds(A, k=2, which="SM", ascending=True)
    >>> s
    array([1., 2.])
    """
    check_choice(method, SVD_METHODS, "method")
    check_choice(which, SVDS_WHICH, "which")
    which = {"LM": "largest", "SM": "smallest"}.get(which, which)
    if not any(return_singular_vectors is r or (isinstance(return_singular_vectors, str)
                                                and return_singular_vectors == r)
               for r in _RETURN_VECTORS):
        raise InputValueError(f"return_singular_vectors must be True, False, 'u' or 'vh' "
                              f"(got {return_singular_vectors!r})")
    A, _ = double_precision(as_matrix(A, "A", allow_operator=True))
    m, n = A.shape
    k = positive_int(k, "k")
    if k >= min(m, n):
        raise InputValueError(f"k must be < min(m, n) (got k={k}, shape {A.shape}); use "
                              "sk.dense.svd for all singular values")
    if ncv is not None:
        ncv = positive_int(ncv, "ncv")
        if not k < ncv < min(m, n):
            raise InputValueError(f"ncv must satisfy k < ncv < min(m, n) (got ncv={ncv}, "
                                  f"k={k}, shape {A.shape}), as SciPy's svds")
    tol = eigen_tol(None if tol is None else nonnegative_float(tol, "tol"))
    if maxiter is not None:
        maxiter = positive_int(maxiter, "maxiter")
    v0 = _check_v0(v0, min(m, n))
    notes: list[str] = []
    operator = isinstance(A, spla.LinearOperator)
    if method == "auto":
        method = _auto(m, n, which, operator, notes, k, A.dtype)
    elif operator and method in ("dense", "shift_invert"):
        raise InputValueError(f"method={method!r} needs an explicit matrix, not a "
                              "LinearOperator; use 'arpack' or 'lobpcg'")
    if method == "shift_invert" and which != "smallest":
        raise InputValueError("method='shift_invert' computes the smallest singular values "
                              "(which='smallest'); use 'arpack' for the largest")
    t0 = time.perf_counter()
    if not operator and not (A.nnz if sp.issparse(A) else np.count_nonzero(A)):
        U, s, Vh = _zero_triplets(A, k)  # ARPACK and LOBPCG break down on a zero matrix
        notes.append("A is zero: its singular values are 0, any orthonormal vectors are "
                     "singular vectors")
    else:
        with single_thread_blas():
            U, s, Vh = _SVD_RUNNERS[method](A, k, tol, maxiter, v0, which, ncv, notes)
    t1 = time.perf_counter()
    result = _finish(A, U, s, Vh, k, which, ascending, method, tol, notes, t1 - t0, strict)
    if return_singular_vectors is False:
        return result.s
    if isinstance(return_singular_vectors, str):
        keep_u = return_singular_vectors == "u"
        return SVDSResult(result.U if keep_u else None, result.s,
                          None if keep_u else result.Vh, result.residuals, result.converged,
                          result.method, result.backend, result.timings, result.tol,
                          result.notes)
    return result


def _check_v0(v0, n):
    """``v0`` as a finite, non-zero float (or complex) vector of length ``n`` (or None)."""
    if v0 is None:
        return None
    v0 = np.asarray(v0)
    if v0.shape != (n,):
        raise InputValueError(f"v0 must have shape ({n},) (got shape {v0.shape})")
    if v0.dtype.kind not in "fc":
        raise InputValueError(f"v0 must be of floating or complex floating type (got "
                              f"{v0.dtype})")
    if not np.all(np.isfinite(v0)) or not np.any(v0):
        raise InputValueError("v0 must be finite and non-zero")
    return v0


def _zero_triplets(A, k):
    """Exact triplets of a zero matrix: unit vectors and zero singular values."""
    m, n = A.shape
    dtype = np.result_type(A.dtype, float)
    return np.eye(m, k, dtype=dtype), np.zeros(k), np.eye(k, n, dtype=dtype)


def _auto(m: int, n: int, which: str, operator: bool, notes: list, k: int = 1,
          dtype=float) -> str:
    """``method="auto"``: the method for an ``m × n`` matrix, its reason appended to ``notes``."""
    small = min(m, n)
    if not operator and max(m, n) <= DENSE_CROSSOVER:
        notes.append(f"auto: both sides <= {DENSE_CROSSOVER}: dense SVD")
        return "dense"
    if not operator and max(m, n) * small**2 <= DENSE_SVD_FLOPS:
        # a thin dense SVD costs ~ m n²: ash219 (219 x 85), k=3: 1.4 ms dense against
        # 2.3 ms ARPACK; at 200 x 200 (4x these flops) ARPACK is already faster
        notes.append(f"auto: shape {m}x{n}, max(m, n) min(m, n)² <= {DENSE_SVD_FLOPS:.0e}: "
                     "dense SVD")
        return "dense"
    if operator and np.dtype(dtype).kind == "c" and k >= small - 1:
        notes.append(f"auto: complex LinearOperator with k={k} >= min(m, n) - 1, beyond "
                     "complex ARPACK: LOBPCG on the normal equations")
        return "lobpcg"
    if which == "smallest":
        if operator:
            notes.append("auto: the smallest singular values of a LinearOperator: ARPACK "
                         "(which='SM', regular mode)")
            return "arpack"
        notes.append(f"auto: the smallest singular values: shift-invert on the {small}x{small} "
                     "Gram matrix")
        return "shift_invert"
    if max(m, n) >= 10 * small:
        notes.append(f"auto: shape {m}x{n} is elongated: LOBPCG on the {small}x{small} "
                     "normal equations")
        return "lobpcg"
    notes.append(f"auto: shape {m}x{n}: ARPACK (Lanczos bidiagonalization via svds)")
    return "arpack"


def _finish(A, U, s, Vh, k, which, ascending, method, tol, notes, seconds, strict):
    """The ``k`` wanted triplets in the asked order, every residual recomputed and judged."""
    s = np.asarray(s, dtype=float)
    order = np.argsort(s, kind="stable")
    order = order[:k] if which == "smallest" else order[order.size - k:]
    if not ascending:
        order = order[::-1]
    U, s, Vh = U[:, order], s[order], Vh[order]
    res, scale = _triplet_residuals(A, U, s, Vh)
    converged = res <= tol * max(scale, 1e-300)
    result = SVDSResult(U, s, Vh, res, converged, method, "scipy",
                        {"setup": 0.0, "solve": seconds}, tol, tuple(notes))
    if not result.all_converged:
        msg = (f"svds ({method}): {int(np.sum(~converged))} of {k} triplets missed the "
               f"tolerance {tol:g} (max residual {float(np.max(res)):.3e})")
        # stacklevel 4: this helper, svds, then the caller of sk.svds
        report_nonconvergence(msg, result, strict, stacklevel=4)
    return result


def _adjoint(A):
    """``Aᴴ``: a sparse/dense matrix or a LinearOperator's adjoint."""
    if isinstance(A, spla.LinearOperator):
        return A.H
    return A.conj().T


def _norm_estimate(A) -> float:
    """``sqrt(‖A‖₁ ‖A‖∞)`` (>= ‖A‖₂), or a power-iteration estimate of ‖A‖₂ for an operator."""
    if isinstance(A, spla.LinearOperator):
        x = np.random.default_rng(0).standard_normal(A.shape[1])
        est = 0.0
        for _ in range(20):
            y = A.rmatvec(A.matvec(x))
            est = math.sqrt(float(np.linalg.norm(y) / np.linalg.norm(x)))
            x = y / max(float(np.linalg.norm(y)), 1e-300)
        return est
    if sp.issparse(A):
        # ‖Aᴴ‖₁ = ‖A‖∞: the column and row sums of |A| from one pass over the stored
        # values, nothing transposed
        C = A if A.format in ("csr", "csc") else sp.csr_array(A)
        a = np.abs(C.data)
        major = np.bincount(np.repeat(np.arange(C.shape[C.format == "csc"]),
                                      np.diff(C.indptr)), a, minlength=1)
        minor = np.bincount(C.indices, a, minlength=1)
        return math.sqrt(float(major.max()) * float(minor.max()))
    A = np.asarray(A)
    return math.sqrt(matrix_scale(A) * matrix_scale(A.conj().T))


def _triplet_residuals(A, U, s, Vh):
    """``sqrt(‖A v − s u‖² + ‖Aᴴ u − s v‖²)`` per triplet, and the scale (``_norm_estimate``)."""
    V = Vh.conj().T
    R1 = A @ V - U * s
    R2 = (A.T if np.dtype(A.dtype).kind != "c" else _adjoint(A)) @ U - V * s
    res = np.sqrt(np.linalg.norm(R1, axis=0) ** 2 + np.linalg.norm(R2, axis=0) ** 2)
    return res, _norm_estimate(A)


def _rayleigh_ritz(A, V):
    """Triplets of ``A`` from an orthonormalised right basis ``V``: the SVD of ``A V``."""
    V, _ = np.linalg.qr(V)
    P, s, Qh = np.linalg.svd(A @ V, full_matrices=False)
    return P, s, Qh @ V.conj().T


def _tall(A):
    """``(B, tall)``: ``A`` when ``m >= n``, else its adjoint (so ``B`` has the smaller Gram)."""
    tall = A.shape[0] >= A.shape[1]
    return (A if tall else _adjoint(A)), tall


def _untall(U, s, Vh, tall):
    """Triplets of ``B = Aᴴ`` turned back into triplets of ``A``."""
    if tall:
        return U, s, Vh
    return Vh.conj().T, s, U.conj().T


# --------------------------------------------------------------------------- runners


def _svd_dense(A, k, tol, maxiter, v0, which, ncv, notes):
    """LAPACK's SVD of the densified matrix (``sk.dense.svd``); :func:`_finish` keeps ``k``."""
    d = dense_svd(A)
    return d.U, d.s, d.Vh


def _svd_arpack(A, k, tol, maxiter, v0, which, ncv, notes):
    """SciPy's ``svds(solver="arpack")`` at 1/100 of the tolerance, ``which`` as SciPy's code.

    SciPy passes ``tol ** 2`` to ARPACK on ``AᴴA``, whose test ``‖AᴴA v − θ v‖ <=
    tol_e θ`` (``θ = s²``) leaves, after SciPy's Rayleigh–Ritz on ``A``, a triplet
    residual of about ``tol_e s <= tol_e ‖A‖``: so ``tol_e = tol / 100`` is asked as
    ``sqrt(tol / 100)``.  (Passing ``tol / 100`` itself asked ARPACK for 1e-20,
    below rounding, and cost 20–40% more mat-vecs than SciPy's default.)
    """
    code = "SM" if which == "smallest" else "LM"
    if np.dtype(A.dtype).kind == "c" and k >= min(A.shape) - 1:
        raise InputValueError(f"ARPACK's complex svds needs k < min(m, n) - 1 (got k={k}, "
                              f"shape {A.shape}); use method='lobpcg' or 'dense'")
    if code == "SM":
        notes.append("ARPACK's regular mode for the smallest singular values needs many "
                     "iterations; method='shift_invert' factorizes the Gram matrix instead")
    if v0 is None:  # a seeded start: the same call gives the same triplets
        v0 = np.random.default_rng(0).standard_normal(min(A.shape))
        v0 = v0.astype(np.result_type(A.dtype, float))
    try:
        return spla.svds(A, k=k, ncv=ncv, which=code, solver="arpack", tol=math.sqrt(tol * 1e-2),
                         maxiter=maxiter, v0=v0)
    except spla.ArpackNoConvergence as exc:
        raise NoConvergence(f"ARPACK svds did not converge: {exc}") from exc
    except spla.ArpackError as exc:
        raise NoConvergence(f"ARPACK svds failed: {exc}") from exc


def _svd_shift_invert(A, k, tol, maxiter, v0, which, ncv, notes):
    """The smallest triplets: ARPACK on the inverse of the factorized Gram matrix ``BᴴB``.

    ``B`` is ``A`` or ``Aᴴ``, whichever is tall.  A singular Gram matrix (a
    rank-deficient ``A``) cannot be factorized: SciPy's ``'SM'`` ARPACK then.
    """
    B, tall = _tall(A)
    G = B.conj().T @ B
    G = sp.csc_array(G) if sp.issparse(G) else np.asarray(G)
    try:
        F = factor.factorize(G, "cholesky", cache=False)
    except (NotSPDError, SingularMatrixError) as exc:
        notes.append(f"the Gram matrix could not be factorized ({type(exc).__name__}: A is "
                     "rank-deficient or nearly so): ARPACK's which='SM' instead")
        return _svd_arpack(A, k, tol, maxiter, v0, which, ncv, notes)
    OPinv = Direct(F.solve, G.shape, F.dtype)
    start = None if v0 is None else np.asarray(v0, dtype=F.dtype)
    try:
        _, V = spla.eigsh(G, k=k, sigma=0.0, which="LM", OPinv=OPinv, v0=start, ncv=ncv,
                          tol=(tol * 1e-2) ** 2, maxiter=maxiter)
    except spla.ArpackNoConvergence as exc:
        raise NoConvergence(f"shift-invert ARPACK on the Gram matrix did not converge: "
                            f"{exc}") from exc
    notes.append(f"Gram matrix {G.shape[0]}x{G.shape[0]} factorized ({F.engine}, "
                 f"{F.setup_time:.3g}s); Rayleigh-Ritz on A")
    return _untall(*_rayleigh_ritz(B, V), tall)


def _svd_lobpcg(A, k, tol, maxiter, v0, which, ncv, notes):
    """LOBPCG on the normal equations of the smaller side; Rayleigh–Ritz on ``A``."""
    B, tall = _tall(A)
    op = spla.aslinearoperator(B)
    dtype = np.result_type(op.dtype, float)
    small = B.shape[1]
    G = spla.LinearOperator((small, small), matvec=lambda x: op.rmatvec(op.matvec(x)),
                            matmat=lambda X: op.rmatmat(op.matmat(X)), dtype=dtype)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((small, k))
    if dtype.kind == "c":
        X = X + 1j * rng.standard_normal((small, k))
    if v0 is not None:
        X[:, 0] = v0
    scaleB = _norm_estimate(A)
    its = maxiter if maxiter is not None else 500
    largest = which != "smallest"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        # ‖Bᴴu − s v‖ = ‖G v − s² v‖ / s: a first pass estimates s, the second
        # tightens LOBPCG's Gram residual to tol·‖B‖·s_min
        w, V = spla.lobpcg(G, X, tol=1e-4 * scaleB ** 2, largest=largest, maxiter=its)
        smin = math.sqrt(max(float(np.min(w)), 0.0))
        w, V = spla.lobpcg(G, V, tol=0.1 * tol * scaleB * max(smin, 1e-300 * scaleB),
                           largest=largest, maxiter=its)
    return _untall(*_rayleigh_ritz(B, V), tall)


_SVD_RUNNERS = {
    "dense": _svd_dense,
    "arpack": _svd_arpack,
    "shift_invert": _svd_shift_invert,
    "lobpcg": _svd_lobpcg,
}
