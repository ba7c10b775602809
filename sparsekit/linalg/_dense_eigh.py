"""The dense symmetric eigensolver: ``scipy.linalg.eigh`` behind sparsekit's checks.

Re-exported as ``sparsekit.dense.eigh``; ``sparsekit.eigsh(method="dense")``
runs through it.  The dense path is explicit and size-guarded: it refuses,
beyond ``max_bytes``, with a message saying how much memory it would take.
Its pairs are judged by the shared residual convention of
:mod:`sparsekit.linalg._residuals`.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

from .._requests import check_which, eigen_tol, select_which
from .._validate import as_matrix, check_symmetric, max_bytes_limit, nonnegative_float
from ..errors import DenseTooLargeError, InputValueError, NotSPDError
from ..results import EigenResult, _fmt_bytes
from ._residuals import check_mass, pair_residuals
from ._threads import threads_for

if TYPE_CHECKING:
    from .._typing import MatrixLike

__all__ = ["eigh", "dense_eigh_bytes", "DEFAULT_MAX_BYTES"]

#: Refuse the dense path beyond this many bytes unless the caller raises it.
DEFAULT_MAX_BYTES = 2 * 1024**3


def dense_eigh_bytes(n: int, k: int | None = None, generalized: bool = False) -> int:
    """Peak bytes of the dense path: the dense copies of A (and M) plus workspace.

    LAPACK's ``syevr`` overwrites its copy of ``A`` and needs about ``26 n``
    doubles of workspace; the eigenvectors take ``n k``.
    """
    k = n if k is None else k
    copies = 2 if generalized else 1
    return int(8 * (copies * n * n + n * k + 26 * n))


def eigh(A: MatrixLike, k: int | None = None, *, which: str = "smallest",
         M: MatrixLike | None = None, max_bytes: float | None = None,
         sigma: float | None = None, tol: float | None = None) -> EigenResult:
    """Eigenpairs of a symmetric (generalized) problem with dense LAPACK.

    Solves ``A v = λ v`` (or ``A v = λ M v`` with ``M`` SPD) with
    :func:`scipy.linalg.eigh`, computing only the wanted eigenpairs
    (``subset_by_index``), and returns the same :class:`~sparsekit.EigenResult`
    as :func:`sparsekit.eigsh`.

    Parameters
    ----------
    A : sparse matrix or array, or ndarray, shape (n, n)
        Symmetric (Hermitian) matrix.
    k : int, optional
        Number of eigenpairs; all ``n`` when None.
    which : {"smallest", "largest", "nearest"} or SciPy's code, default="smallest"
        Algebraically smallest or largest, or nearest to ``sigma``; SciPy's
        ``'LM'``, ``'SM'``, ``'LA'``, ``'SA'``, ``'BE'`` with SciPy's meaning
        (ranking ``1 / (λ − σ)`` when ``sigma`` is given), as in :func:`sparsekit.eigsh`.
    M : sparse matrix or array, or ndarray, optional
        Symmetric positive definite mass matrix of a generalized problem.
    max_bytes : int, optional
        Refuse (:class:`~sparsekit.DenseTooLargeError`) when the dense path
        would need more memory than this; default 2 GiB.
    sigma : float, optional
        Target of ``which="nearest"`` (all eigenvalues are computed, then the
        ``k`` nearest kept).
    tol : float, optional
        Residual tolerance relative to ``‖A‖₁ + |λ| ‖M‖₁`` that the pairs are
        judged against; default 1e-8 (0: machine precision, as SciPy's).

    Returns
    -------
    EigenResult
        Values ascending, ``M``-orthonormal vectors, the residual
        ``‖A v − λ M v‖₂`` of every pair.

    Raises
    ------
    DenseTooLargeError
        When the dense matrices would exceed ``max_bytes``.
    NotSymmetricError, NotSPDError, InputValueError, ShapeError
        On bad input.

    See Also
    --------
    scipy.linalg.eigh : the LAPACK driver used here.
    sparsekit.eigsh : sparse eigensolvers, with ``method="dense"`` routed here.

    Examples
    --------
    >>> import numpy as np
    >>> import sparsekit as sk
    >>> A = np.diag([3.0, 1.0, 2.0])
    >>> r = sk.dense.eigh(A, k=2)
    >>> r.values
    array([1., 2.])
    >>> bool(r.all_converged)
    True
    """
    t0 = time.perf_counter()
    A = as_matrix(A, "A", square=True)
    n = A.shape[0]
    which, sigma = check_which(which, sigma)
    if k is None:
        k = n
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
        raise InputValueError(f"k must be an integer with 1 <= k <= n (got k={k!r}, n={n})")
    k = int(k)
    tol = eigen_tol(None if tol is None else nonnegative_float(tol, "tol"))
    subset_only = which in ("smallest", "largest")
    check_symmetric(A, "A", hint="sk.dense.eigh needs a symmetric (Hermitian) matrix")
    mass: Any = None if M is None else check_mass(M, n)
    limit = max_bytes_limit(max_bytes, DEFAULT_MAX_BYTES)
    need = dense_eigh_bytes(n, k if subset_only else n, mass is not None)
    if need > limit:
        raise DenseTooLargeError(
            f"the dense eigensolver would need about {_fmt_bytes(need)} for n={n} "
            f"(limit {_fmt_bytes(limit)}); use sk.eigsh for sparse methods, or raise "
            f"max_bytes= to allow it"
        )
    Ad = A.toarray() if sp.issparse(A) else np.array(A, dtype=np.result_type(A, float))
    Md = None
    if mass is not None:
        Md = mass.toarray() if sp.issparse(mass) \
            else np.array(mass, dtype=np.result_type(mass, float))
    subset = None
    if which == "smallest":
        subset = [0, k - 1]
    elif which == "largest":
        subset = [n - k, n - 1]
    t1 = time.perf_counter()
    try:
        with threads_for(n):
            w, V = sla.eigh(Ad, Md, subset_by_index=subset, overwrite_a=True,
                            overwrite_b=True, check_finite=False)
    except np.linalg.LinAlgError as exc:
        if Md is not None:
            raise NotSPDError(
                f"M is not positive definite (Cholesky of M failed: {exc}); pass an SPD mass "
                "matrix"
            ) from exc
        raise  # pragma: no cover - LAPACK failures on a symmetric finite matrix
    if not subset_only:  # all eigenvalues were computed: keep the k that `which` ranks first
        order = np.sort(select_which(w, which, sigma, k))
        w, V = w[order], V[:, order]
    t2 = time.perf_counter()
    res, scale = pair_residuals(A, mass, w, V)
    converged = res <= tol * scale
    return EigenResult(
        values=w,
        vectors=V,
        residuals=res,
        converged=converged,
        method="dense",
        backend="scipy",
        iterations=0,
        timings={"setup": t1 - t0, "solve": t2 - t1},
        tol=tol,
        notes=(f"dense scipy.linalg.eigh ({_fmt_bytes(need)}); residuals relative to "
               "‖A‖₁ + |λ|‖M‖₁",),
    )
