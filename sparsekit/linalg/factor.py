"""Sparse direct factorizations that are set up once and reused: :func:`factorize`.

SciPy has no CHOLMOD, so the sparse factorizations here are SuperLU
(:func:`scipy.sparse.linalg.splu`) with the ordering and pivoting that suit
the matrix, and, for the sparsest SPD matrices, QDLDL's ``L D Lᵀ`` (the
``qdldl`` package, from the OSQP project):

``"cholesky"`` (symmetric positive definite)
    On very sparse real matrices (at most ``LDL_MAX_ROW_NNZ`` stored entries
    per row: trees, road and power networks, whose factors barely fill in)
    QDLDL with its AMD ordering; if QDLDL meets a zero pivot or cannot be
    used, SuperLU.  SuperLU is supernodal: its per-supernode overhead
    dominates when the factor is as sparse as the matrix, and its dense
    kernels win when fill is heavy.  Measured here (median of 3, one BLAS
    thread), factor time and one solve, QDLDL against SuperLU:
    luxembourg_osm's shifted Laplacian (3.1 entries per row, factor 0.6 x
    nnz(A)) 0.089 s / 1.9 ms against 0.19 s / 8.6 ms; a 20,000-node random
    tree 0.013 s / 0.21 ms against 0.015 s / 0.52 ms; a G(n, 2/n) graph (3.0
    per row, fill 9) 0.23 s against 0.32 s; but a G(n, 2.4/n) graph (3.4 per
    row, fill 23) 1.17 s against 0.92 s, 2-D Poisson 512² 2.9 s against 1.9 s
    and 3-D Poisson 40³ 37 s against 12 s, hence the bound.

    Otherwise SuperLU with the symmetric minimum-degree ordering ``MMD_AT_PLUS_A``,
    ``SymmetricMode`` and diagonal pivoting only (``diag_pivot_thresh=0``): for
    an SPD matrix this is the Cholesky factorization ``A = L D L^T`` held as
    ``L`` and ``U = D L^T``.  Every pivot is checked to be positive, otherwise
    :class:`~sparsekit.NotSPDError`.  Measured here (``splu`` fill
    ``nnz(L+U)/nnz(A)``): bcsstk13 6.7 against 13.4 with SciPy's default
    COLAMD, 2-D Poisson 256x256 10.4 against 20.5, 1138_bus 1.6 against 3.4.
``"lu"``
    SuperLU with partial pivoting.  A numerically symmetric matrix keeps the
    symmetric ordering with threshold pivoting (``diag_pivot_thresh=0.1``,
    which prefers the diagonal: bcsstk13 fill 10.3 against 13.4 with COLAMD);
    any other matrix uses COLAMD.
``"auto"``
    ``"cholesky"`` for a symmetric matrix with a positive diagonal, falling
    back to ``"lu"`` when a pivot turns out non-positive (indefinite); ``"lu"``
    otherwise.

Dense ndarrays are factorized with LAPACK (``scipy.linalg.cho_factor`` /
``lu_factor``) and keep all BLAS threads.

Factorizations are kept in the process-wide, memory-bounded cache
(:mod:`sparsekit.linalg._cache`; default bound 2 GiB, see
:func:`sparsekit.set_cache_limit`, emptied by :func:`sparsekit.clear_cache`),
keyed by a content fingerprint of ``A`` (and of ``M``), the shift, the kind
and the ordering, so repeated solves and shift-invert eigensolves on the same
matrix share one factorization.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .._validate import as_matrix, as_rhs, check_choice, describe, is_symmetric
from ..errors import (
    InputValueError,
    NotSPDError,
    NotSymmetricError,
    ShapeError,
    SingularMatrixError,
)
from ..results import _fmt_bytes
from ._cache import CACHE, fingerprint
from ._threads import single_thread_blas

__all__ = ["factorize", "Factorization", "KINDS", "ORDERINGS", "ENGINES", "cache_key"]

logger = logging.getLogger(__name__)

#: Factorization kinds accepted by :func:`factorize`.
KINDS = {
    "auto": "cholesky for symmetric matrices with a positive diagonal, else lu",
    "lu": "SuperLU with partial (threshold) pivoting",
    "cholesky": "L D L^T for SPD matrices: QDLDL (AMD) on the sparsest, else SuperLU "
                "(symmetric ordering, diagonal pivots only)",
}

#: Sparse factorization engines (``Factorization.engine``).
ENGINES = {
    "superlu": "scipy.sparse.linalg.splu (supernodal LU; Cholesky-like with diagonal pivots)",
    "qdldl": "QDLDL L D L^T with AMD ordering (the qdldl package); very sparse SPD matrices",
    "lapack": "scipy.linalg cho_factor / lu_factor (dense input)",
}

#: "cholesky" uses QDLDL when a real matrix stores at most this many entries per row
#: (the diagonal included; measured in the module docstring).
LDL_MAX_ROW_NNZ = 3.3

#: Column orderings SuperLU offers (``ordering=None`` picks one per kind).
ORDERINGS = {
    "NATURAL": "no reordering",
    "MMD_ATA": "minimum degree on A^T A",
    "MMD_AT_PLUS_A": "minimum degree on A^T + A (symmetric matrices)",
    "COLAMD": "approximate minimum degree column ordering (SciPy's default)",
}

_SYMMETRIC_LU_THRESH = 0.1

#: (shape, nnz, dtype) of every matrix whose factorization or preconditioner was cached:
#: the plan fingerprints a matrix (O(nnz) hashing) only when one like it may be cached.
SIGNATURES: set = set()


def signature(A) -> tuple:
    """A cheap O(1) summary of ``A`` (shape, stored entries, dtype)."""
    nnz = A.nnz if sp.issparse(A) else A.size
    return (tuple(A.shape), int(nnz), str(A.dtype))


def cache_key(fp_A: str, kind: str, shift=0.0, fp_M: str | None = None, ordering=None) -> tuple:
    """The cache key of a factorization of ``A - shift*M`` (``fp_*`` are fingerprints)."""
    return ("factor", fp_A, complex(shift), fp_M, kind, ordering)


class Factorization:
    """A factorization of ``A - shift*M``, reusable for many right-hand sides.

    Made by :func:`factorize`; do not build it directly.

    Attributes
    ----------
    kind : str
        ``"cholesky"`` or ``"lu"`` (what was actually computed).
    shape : tuple
        Shape of the factorized matrix.
    shift : float or complex
        The shift ``sigma`` of ``A - sigma*M``.
    ordering : str
        The fill-reducing ordering used (``"AMD"`` for QDLDL, ``"lapack"`` for
        dense input).
    engine : str
        Which library factorized: ``"superlu"``, ``"qdldl"`` or ``"lapack"``
        (:data:`ENGINES`).
    fill_ratio : float
        Stored factor entries over ``nnz(A)``: ``nnz(L + U)`` for SuperLU,
        ``nnz(L) + n`` for QDLDL's unit ``L`` and diagonal ``D`` (1.0 for dense
        input).
    nbytes : int
        Memory held by the factors.
    setup_time : float
        Seconds spent factorizing.
    dtype : numpy.dtype
        The working dtype.
    """

    def __init__(self, solver, *, kind, shape, dtype, shift, ordering, fill_ratio, nbytes,
                 setup_time, dense_solver=None, engine="superlu"):
        self._lu = solver
        self.engine = engine
        self._dense = dense_solver  # (callable, factors) for LAPACK factors
        self.kind = kind
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.shift = shift
        self.ordering = ordering
        self.fill_ratio = float(fill_ratio)
        self.nbytes = int(nbytes)
        self.setup_time = float(setup_time)

    def solve(self, b, trans: str = "N") -> np.ndarray:
        """Solve ``(A - shift*M) x = b`` for ``b`` of shape ``(n,)`` or ``(n, k)``.

        Parameters
        ----------
        b : array_like
            Right-hand side(s).
        trans : {"N", "T", "H"}, default="N"
            Solve with the matrix, its transpose or its conjugate transpose.

        Returns
        -------
        ndarray
            ``x`` with the shape of ``b``.
        """
        n = self.shape[0]
        b = as_rhs(b, n)
        if trans not in ("N", "T", "H"):
            raise InputValueError(f"trans must be 'N', 'T' or 'H' (got {trans!r})")
        if np.iscomplexobj(b) and self.dtype.kind != "c":
            # a real factor solves the real and imaginary parts separately
            return self.solve(b.real, trans) + 1j * self.solve(b.imag, trans)
        b = b.astype(np.result_type(b.dtype, self.dtype), copy=False)
        if self._dense is not None:
            fn, factors = self._dense
            return fn(factors, b, trans)
        if self.engine == "qdldl":
            return self._lu.solve(b)
        # one BLAS thread: SuperLU's block solve calls small BLAS kernels; measured here
        # (2-D Poisson 128^2, 50 right-hand sides) 1.6 s with two OpenBLAS threads, 0.34 s with one
        with single_thread_blas():
            return self._lu.solve(np.asarray(b, order="F"), trans=trans)

    def aslinearoperator(self) -> spla.LinearOperator:
        """``x -> (A - shift*M)^{-1} x`` as a :class:`scipy.sparse.linalg.LinearOperator`."""
        return spla.LinearOperator(
            self.shape, matvec=self.solve, matmat=self.solve,
            rmatvec=lambda y: self.solve(y, trans="H"), dtype=self.dtype,
        )

    def __repr__(self) -> str:
        shift = "" if self.shift == 0 else f", shift={self.shift:g}"
        return (f"Factorization(kind={self.kind!r}, engine={self.engine!r}, "
                f"shape={self.shape}{shift}, ordering={self.ordering!r}, "
                f"fill_ratio={self.fill_ratio:.2f}, nbytes={_fmt_bytes(self.nbytes)}, "
                f"setup_time={self.setup_time:.3g}s)")


def _shifted(A, shift, M):
    if M is None:
        if shift == 0:
            return A
        eye = sp.eye_array(A.shape[0], dtype=A.dtype, format="csc") if sp.issparse(A) \
            else np.eye(A.shape[0], dtype=A.dtype)
        return A - shift * eye
    if M.shape != A.shape:
        raise ShapeError(f"M must have the shape of A {A.shape} (got {describe(M)})")
    if sp.issparse(A) and not sp.issparse(M):
        M = sp.csc_array(M)
    elif not sp.issparse(A) and sp.issparse(M):
        M = M.toarray()
    return A - shift * M if shift != 0 else A


def _splu(A, kind, ordering):
    """Run SuperLU; returns (SuperLU, ordering used)."""
    if kind == "cholesky":
        ordering = ordering or "MMD_AT_PLUS_A"
        kw = dict(permc_spec=ordering, diag_pivot_thresh=0.0,
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
        if "singular" in str(exc).lower():
            raise SingularMatrixError(
                f"the matrix is exactly singular ({exc}; got {describe(A)}); for an "
                "eigenvalue shift sigma this means sigma is an eigenvalue: move sigma "
                "slightly, or for a singular Laplacian use sk.solve, which projects out "
                "the null space"
            ) from None
        raise
    return lu, ordering


def _positive_pivots(lu) -> bool:
    if not np.array_equal(lu.perm_r, lu.perm_c):
        return False  # a row interchange: not a diagonal-pivot (Cholesky) factorization
    d = lu.U.diagonal()
    if np.iscomplexobj(d):
        return bool(np.all(d.real > 0) and np.all(np.abs(d.imag) <= 1e-12 * np.abs(d.real)))
    return bool(np.all(d > 0))


class _LDL:
    """QDLDL's ``P L D Lᵀ Pᵀ`` behind SuperLU's ``solve`` (A is symmetric, so trans is moot)."""

    def __init__(self, solver, nnz: int, nbytes: int):
        self._s = solver
        self.nnz = nnz
        self.nbytes = nbytes

    def solve(self, b):
        if b.ndim == 1:
            return self._s.solve(np.ascontiguousarray(b, dtype=np.float64))
        out = np.empty(b.shape, dtype=np.float64, order="F")
        for j in range(b.shape[1]):  # QDLDL solves one vector at a time
            out[:, j] = self._s.solve(np.ascontiguousarray(b[:, j], dtype=np.float64))
        return out


def _qdldl(A):
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


def _factor_sparse(A, kind, ordering, symmetric):
    """(solver, ordering, fill ratio, bytes, dtype, engine) of the sparse ``A``."""
    A = sp.csc_array(A)
    if A.dtype.kind not in "fc":
        A = A.astype(np.float64)
    nnz_a = max(A.nnz, 1)
    if kind == "cholesky" and ordering is None:
        ldl = _qdldl(A)
        if ldl is not None:
            return ldl, "AMD", ldl.nnz / nnz_a, ldl.nbytes, A.dtype, "qdldl"
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


def _dense_cho_solve(factors, b, trans):
    # A is Hermitian: A^T x = b is conj(A) x = b
    if trans == "T":
        return np.conj(sla.cho_solve(factors, np.conj(b), check_finite=False))
    return sla.cho_solve(factors, b, check_finite=False)


def _dense_lu_solve(factors, b, trans):
    return sla.lu_solve(factors, b, trans={"N": 0, "T": 1, "H": 2}[trans], check_finite=False)


def _factor_dense(A, kind):
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
        fn = _dense_cho_solve
    else:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", sla.LinAlgWarning)
            factors = sla.lu_factor(A, check_finite=False)
        if np.any(np.diag(factors[0]) == 0):
            raise SingularMatrixError(
                f"the matrix is exactly singular (a zero pivot in its LU factorization; "
                f"got {describe(A)}); for an eigenvalue shift sigma this means sigma is "
                "an eigenvalue: move sigma slightly"
            )
        fn = _dense_lu_solve
    return (fn, factors), factors[0].nbytes + n * 8, A.dtype


def factorize(A, kind: str = "auto", *, shift=0.0, M=None, cache: bool = True,
              ordering: str | None = None) -> Factorization:
    """Factorize ``A - shift*M`` once, to solve with it many times.

    Parameters
    ----------
    A : sparse matrix or array, or ndarray
        Square matrix.
    kind : {"auto", "lu", "cholesky"}, default="auto"
        ``"cholesky"`` needs a symmetric positive definite ``A - shift*M``
        (:class:`~sparsekit.NotSPDError` otherwise); ``"auto"`` tries it for
        symmetric matrices with a positive diagonal and falls back to ``"lu"``.
    shift : float or complex, default=0.0
        Factorize ``A - shift*M`` (shift-invert eigensolvers pass ``sigma``).
    M : sparse matrix or array, or ndarray, optional
        Mass matrix of the shift; ``None`` means the identity.
    cache : bool, default=True
        Look the factorization up in, and store it in, the process-wide
        memory-bounded cache (:func:`sparsekit.cache_info`).
    ordering : {"COLAMD", "MMD_AT_PLUS_A", "MMD_ATA", "NATURAL"}, optional
        SuperLU's fill-reducing column ordering; by default ``MMD_AT_PLUS_A``
        for symmetric matrices and ``COLAMD`` otherwise (and QDLDL's AMD for
        the sparsest SPD matrices).  Passing one always uses SuperLU.

    Returns
    -------
    Factorization
        With ``.solve(b)`` (1-D or 2-D ``b``), ``.aslinearoperator()``, ``.kind``,
        ``.fill_ratio``, ``.nbytes`` and ``.setup_time``.

    Raises
    ------
    SingularMatrixError
        ``A - shift*M`` is exactly singular (``shift`` is an eigenvalue).
    NotSPDError
        ``kind="cholesky"`` and the matrix is not positive definite.
    NotSymmetricError
        ``kind="cholesky"`` and the matrix is not symmetric.

    See Also
    --------
    scipy.sparse.linalg.splu, scipy.sparse.linalg.factorized, scipy.linalg.cho_factor

    Examples
    --------
    >>> import numpy as np
    >>> import sparsekit as sk
    >>> A = sk.datasets.load("poisson2d_64")
    >>> F = sk.factorize(A)
    >>> F.kind
    'cholesky'
    >>> b = np.ones(A.shape[0])
    >>> bool(np.allclose(A @ F.solve(b), b))
    True
    >>> sk.factorize(A) is F        # the cache at work
    True
    """
    check_choice(kind, KINDS, "kind")
    if ordering is not None:
        check_choice(ordering, ORDERINGS, "ordering")
    A = as_matrix(A, "A", square=True)
    if M is not None:
        M = as_matrix(M, "M", square=True)
    if not (np.isscalar(shift) and np.isfinite(shift)):
        raise InputValueError(f"shift must be a finite number (got {shift!r})")
    return _factorize(A, kind, shift=shift, M=M, cache=cache, ordering=ordering)


def _factorize(A, kind, *, shift=0.0, M=None, cache=True, ordering=None, fp=None):
    """:func:`factorize` on a validated ``A``; ``fp`` is its fingerprint when known."""
    key = None
    if cache:
        key = cache_key(fp or fingerprint(A), kind, shift,
                        None if M is None else fingerprint(M), ordering)
        hit = CACHE.get(key)
        if hit is not None:
            logger.debug("factorization cache hit: %r", hit)
            return hit
    t0 = time.perf_counter()
    S = _shifted(A, shift, M)
    symmetric = is_symmetric(S) if kind != "lu" or sp.issparse(S) else False
    d = S.diagonal() if sp.issparse(S) else np.diag(S)
    positive_diag = bool(np.all(np.real(d) > 0))
    if kind == "cholesky" and not symmetric:
        raise NotSymmetricError(
            f"kind='cholesky' needs a symmetric matrix (got {describe(S)}, not symmetric "
            "to relative tolerance 1e-10); use kind='lu'"
        )
    use = kind
    if kind == "auto":
        use = "cholesky" if symmetric and positive_diag else "lu"
    if sp.issparse(S):
        try:
            lu, used, fill, nbytes, dtype, engine = _factor_sparse(S, use, ordering, symmetric)
        except NotSPDError:
            if kind == "cholesky":
                raise
            use = "lu"
            lu, used, fill, nbytes, dtype, engine = _factor_sparse(S, use, ordering, symmetric)
        dense = None
    else:
        try:
            dense, nbytes, dtype = _factor_dense(S, use)
        except NotSPDError:
            if kind == "cholesky":
                raise
            use = "lu"
            dense, nbytes, dtype = _factor_dense(S, use)
        lu, used, fill, engine = None, "lapack", 1.0, "lapack"
    F = Factorization(lu, kind=use, shape=S.shape, dtype=dtype, shift=shift, ordering=used,
                      fill_ratio=fill, nbytes=nbytes, setup_time=time.perf_counter() - t0,
                      dense_solver=dense, engine=engine)
    logger.debug("factorized: %r", F)
    if key is not None:
        CACHE.put(key, F, F.nbytes)
        SIGNATURES.add(signature(A))
    return F
