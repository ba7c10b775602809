"""The engines behind :func:`~sparsekit.linalg.factor.factorize`: SuperLU, QDLDL and LAPACK.

Which engine factorizes which matrix, and why, is measured in the docstring of
:mod:`sparsekit.linalg.factor`; this module runs them.  Each function returns the
engine's solver and what :class:`~sparsekit.linalg.factor.Factorization` records
(the ordering used, the fill ratio, the bytes held, the working dtype).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .. import _progress
from .._validate import describe
from ..errors import BackendError, NotSPDError, SingularMatrixError
from . import _factor_store as _store
from ._inspect import factor_memory

#: the factorizations' log, named as before these engines had a module of their own
logger = logging.getLogger("sparsekit.linalg.factor")

#: "cholesky" uses QDLDL when a real matrix stores at most this many entries per row
#: (the diagonal included; measured in the docstring of :mod:`sparsekit.linalg.factor`).
LDL_MAX_ROW_NNZ = 3.3

_SYMMETRIC_LU_THRESH = 0.1


def _splu(A: Any, kind: str, ordering: str | None) -> tuple[Any, str]:
    """Run SuperLU; returns (SuperLU, ordering used)."""
    if kind == "cholesky":
        ordering = ordering or "MMD_AT_PLUS_A"
        kw: dict[str, Any] = dict(permc_spec=ordering, diag_pivot_thresh=0.0,
                  options=dict(SymmetricMode=True))
    elif kind == "lu-symmetric":
        ordering = ordering or "MMD_AT_PLUS_A"
        kw = dict(permc_spec=ordering, diag_pivot_thresh=_SYMMETRIC_LU_THRESH,
                  options=dict(SymmetricMode=True))
    else:
        ordering = ordering or "COLAMD"
        kw = dict(permc_spec=ordering)
    try:
        lu = spla.splu(A, **kw)
    except RuntimeError as exc:
        # SuperLU says "Factor is exactly singular", or "failed to factorize matrix at line
        # ... dpanel_bmod.c / dsnode_bmod.c" on a structurally singular one (a zero column)
        if "memory" not in str(exc).lower():
            raise SingularMatrixError(
                f"the matrix is exactly singular ({exc}; got {describe(A)}); for an "
                "eigenvalue shift sigma this means sigma is an eigenvalue: move sigma "
                "slightly, or for a singular Laplacian use sk.solve, which projects out "
                "the null space"
            ) from None
        raise BackendError(f"SuperLU could not factorize the matrix ({exc}; got "
                           f"{describe(A)})") from None
    return lu, ordering


def _positive_pivots(lu: Any) -> bool:
    if not np.array_equal(lu.perm_r, lu.perm_c):
        return False  # a row interchange: not a diagonal-pivot (Cholesky) factorization
    d = lu.U.diagonal()
    if np.iscomplexobj(d):
        return bool(np.all(d.real > 0) and np.all(np.abs(d.imag) <= 1e-12 * np.abs(d.real)))
    return bool(np.all(d > 0))


class _LDL:
    """QDLDL's ``P L D Lᵀ Pᵀ`` behind SuperLU's ``solve`` (A is symmetric, so trans is moot)."""

    def __init__(self, solver: Any, nnz: int, nbytes: int) -> None:
        self._s = solver
        self.nnz = nnz
        self.nbytes = nbytes

    def factors(self) -> tuple[Any, np.ndarray, np.ndarray]:
        """QDLDL's ``(L, D, perm)``: ``A[perm][:, perm] = (L + I) D (L + I)ᵀ``."""
        return self._s.factors()

    def solve(self, b: np.ndarray, trans: str = "N") -> np.ndarray:
        if b.ndim == 1:
            return self._s.solve(np.ascontiguousarray(b, dtype=np.float64))
        out = np.empty(b.shape, dtype=np.float64, order="F")
        for j in range(b.shape[1]):  # QDLDL solves one vector at a time
            out[:, j] = self._s.solve(np.ascontiguousarray(b[:, j], dtype=np.float64))
        return out


def _qdldl(A: Any) -> _LDL | None:
    """QDLDL's factorization of the symmetric ``A`` (CSC), or None where it does not apply.

    None when qdldl is missing, ``A`` is not real float64 or stores more than
    ``LDL_MAX_ROW_NNZ`` entries per row, or QDLDL fails (a zero pivot, a
    structurally missing diagonal): the caller then uses SuperLU, which tells
    a singular matrix from an indefinite one.  A negative pivot proves ``A``
    is not positive definite: :class:`~sparsekit.NotSPDError`.
    """
    n = A.shape[0]
    if A.dtype != np.float64 or A.nnz > LDL_MAX_ROW_NNZ * n or n < 2:
        return None
    try:
        import qdldl
    except ImportError:  # a declared dependency, but a stripped install may lack it
        return None
    _progress.report("factorize", engine="QDLDL", n=n, nnz=A.nnz, memory=factor_memory(n, A.nnz))
    try:
        U = sp.csc_matrix(sp.triu(A, format="csc"))
        solver = qdldl.Solver(U, upper=True)
    except (RuntimeError, ValueError) as exc:
        logger.debug("QDLDL failed (%s); SuperLU instead", exc)
        return None
    L, d, _ = solver.factors()
    if not np.all(d > 0):
        raise NotSPDError(
            f"A is not positive definite ({int(np.sum(d <= 0))} non-positive pivot(s) in "
            f"its L D L^T factorization; got {describe(A)}); use kind='lu'"
        )
    # held: L (values and row indices), D and 1/D, the permutation, work vectors, and the
    # permuted upper triangle QDLDL keeps for refactorization
    return _LDL(solver, L.nnz + n, (L.nnz + U.nnz) * 12 + 6 * n * 8)


def _factor_sparse(A: Any, kind: str, ordering: str | None,
                   symmetric: bool) -> tuple[Any, str, float, int, np.dtype, str]:
    """(solver, ordering, fill ratio, bytes, dtype, engine) of the sparse ``A``."""
    A = sp.csc_array(A)
    if A.dtype.kind not in "fc":
        A = A.astype(np.float64)
    nnz_a = max(A.nnz, 1)
    if kind == "cholesky" and ordering is None:
        ldl = _qdldl(A)
        if ldl is not None:
            return ldl, "AMD", ldl.nnz / nnz_a, ldl.nbytes, A.dtype, "qdldl"
    _progress.report("factorize", engine="SuperLU", memory=factor_memory(A.shape[0], nnz_a))
    if kind == "cholesky":
        lu, used = _splu(A, "cholesky", ordering)
        if not _positive_pivots(lu):
            raise NotSPDError(
                f"A is not positive definite (a non-positive pivot appeared in its "
                f"Cholesky factorization; got {describe(A)}); use kind='lu'"
            )
    elif symmetric:
        lu, used = _splu(A, "lu-symmetric", ordering)
    else:
        lu, used = _splu(A, "lu", ordering)
    itemsize = A.dtype.itemsize
    nbytes = lu.nnz * (itemsize + 4) + 2 * A.shape[0] * 8
    return lu, used, lu.nnz / nnz_a, nbytes, A.dtype, "superlu"


def _factor_dense(A: Any, kind: str) -> tuple[tuple[Callable[..., np.ndarray], Any], int,
                                              np.dtype]:
    A = np.asarray(A)
    if A.dtype.kind not in "fc":
        A = A.astype(np.float64)
    n = A.shape[0]
    if kind == "cholesky":
        try:
            factors = sla.cho_factor(A, lower=False, check_finite=False)
        except np.linalg.LinAlgError:
            raise NotSPDError(
                f"A is not positive definite (LAPACK Cholesky failed; got {describe(A)}); "
                "use kind='lu'"
            ) from None
        fn = _store.dense_cho_solve
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", sla.LinAlgWarning)
            factors = sla.lu_factor(A, check_finite=False)
        if np.any(np.diag(factors[0]) == 0):
            raise SingularMatrixError(
                f"the matrix is exactly singular (a zero pivot in its LU factorization; "
                f"got {describe(A)}); for an eigenvalue shift sigma this means sigma is "
                "an eigenvalue: move sigma slightly"
            )
        fn = _store.dense_lu_solve
    return (fn, factors), factors[0].nbytes + n * 8, A.dtype
