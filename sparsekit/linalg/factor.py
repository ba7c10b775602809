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
import numbers
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

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
from . import _factor_store as _store
from ._cache import CACHE, SIGNATURES, fingerprint
from ._engines import LDL_MAX_ROW_NNZ, _factor_dense, _factor_sparse  # noqa: F401 (documented here)
from ._threads import single_thread_blas

if TYPE_CHECKING:
    import numpy.typing as npt

    from .._typing import MatrixLike, PathLike, SparseMatrix

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

#: Column orderings SuperLU offers (``ordering=None`` picks one per kind).
ORDERINGS = {
    "NATURAL": "no reordering",
    "MMD_ATA": "minimum degree on A^T A",
    "MMD_AT_PLUS_A": "minimum degree on A^T + A (symmetric matrices)",
    "COLAMD": "approximate minimum degree column ordering (SciPy's default)",
}




def signature(A: Any) -> tuple:
    """A cheap O(1) summary of ``A`` (shape, stored entries, dtype)."""
    nnz = A.nnz if sp.issparse(A) else A.size
    return (tuple(A.shape), int(nnz), str(A.dtype))


def cache_key(fp_A: str, kind: str, shift: complex = 0.0, fp_M: str | None = None,
              ordering: str | None = None) -> tuple:
    """The cache key of a factorization of ``A - shift*M`` (``fp_*`` are fingerprints)."""
    return ("factor", fp_A, complex(shift), fp_M, kind, ordering)


class Factorization:
    """A factorization of ``A - shift*M``, reusable for many right-hand sides.

    Made by :func:`factorize` (or :meth:`load`); do not build it directly.
    ``F(b)`` is ``F.solve(b)``, as SciPy's ``factorized(A)(b)``.

    What each engine exposes (an attribute it does not have raises
    :class:`AttributeError` naming the ones it has): ``"superlu"`` and
    ``"lapack"`` (dense) ``L``, ``U``, ``perm_r``, ``perm_c`` with SciPy's
    ``SuperLU`` convention ``Pr A Pc = L U`` (``Pr[perm_r, arange(n)] = 1``,
    ``Pc[arange(n), perm_c] = 1``, ``L`` unit lower; a Cholesky kind has
    ``perm_r == perm_c``, LAPACK's ``L = Uᴴ``); ``"qdldl"`` ``L`` (unit
    lower), ``D``, ``perm`` with ``A[perm][:, perm] = L D Lᵀ``.

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
    fingerprint : str
        Content hash of the ``A`` it was made for (checked by :meth:`load`).
    restored : bool
        Rebuilt from its arrays (unpickled or loaded): SuperLU and QDLDL
        factors then solve by triangular solves (about 2.5x SuperLU's own
        solve, measured in :mod:`sparsekit.linalg._factor_store`).
    """

    def __init__(self, solver: Any, *, kind: str, shape: tuple[int, ...], dtype: npt.DTypeLike,
                 shift: complex, ordering: str, fill_ratio: float, nbytes: int,
                 setup_time: float,
                 dense_solver: tuple[Callable[..., np.ndarray], Any] | None = None,
                 engine: str = "superlu", fingerprint: str | None = None,
                 fingerprint_M: str | None = None, restored: bool = False) -> None:
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
        self.fingerprint = fingerprint
        self.fingerprint_M = fingerprint_M
        self.restored = bool(restored)

    def solve(self, b: npt.ArrayLike, trans: str = "N") -> np.ndarray:
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
        rhs = as_rhs(b, n)
        if trans not in ("N", "T", "H"):
            raise InputValueError(f"trans must be 'N', 'T' or 'H' (got {trans!r})")
        if np.iscomplexobj(rhs) and self.dtype.kind != "c":
            # a real factor solves the real and imaginary parts separately
            return self.solve(rhs.real, trans) + 1j * self.solve(rhs.imag, trans)
        out = np.result_type(rhs.dtype, self.dtype)
        if out != self.dtype and self._dense is None:  # SuperLU takes its own dtype only
            return self.solve(rhs.astype(self.dtype), trans).astype(out)
        rhs = rhs.astype(out, copy=False)
        if self._dense is not None:
            fn, factors = self._dense
            return fn(factors, rhs, trans)
        if self.engine == "qdldl" or self.restored:
            return self._lu.solve(rhs, trans)
        # one BLAS thread: SuperLU's block solve calls small BLAS kernels; measured here
        # (2-D Poisson 128^2, 50 right-hand sides) 1.6 s with two OpenBLAS threads, 0.34 s with one
        with single_thread_blas():
            return self._lu.solve(np.asarray(rhs, order="F"), trans=trans)

    def __call__(self, b: npt.ArrayLike) -> np.ndarray:
        """``F(b)`` is ``F.solve(b)`` (SciPy's ``factorized(A)(b)``)."""
        return self.solve(b)

    def aslinearoperator(self) -> spla.LinearOperator:
        """``x -> (A - shift*M)^{-1} x`` as a :class:`scipy.sparse.linalg.LinearOperator`."""
        return spla.LinearOperator(
            self.shape, matvec=self.solve, matmat=self.solve,
            rmatvec=lambda y: self.solve(y, trans="H"), dtype=self.dtype,
        )

    # ---- the factors ------------------------------------------------------------------

    def factors(self) -> dict:
        """The factors and permutations this engine has, by name (see the class docstring)."""
        n = self.shape[0]
        if self._dense is not None:
            fn, f = self._dense
            if fn is _store.dense_cho_solve:
                U = np.triu(f[0]) if not f[1] else np.tril(f[0]).conj().T
                return {"L": U.conj().T, "U": U, "perm_r": np.arange(n), "perm_c": np.arange(n)}
            rows = sla.lapack.dlaswp(np.arange(n, dtype=float)[:, None], f[1]).ravel()
            perm_r = np.empty(n, dtype=np.int64)
            perm_r[rows.astype(np.int64)] = np.arange(n)
            return {"L": np.tril(f[0], -1) + np.eye(n, dtype=f[0].dtype), "U": np.triu(f[0]),
                    "perm_r": perm_r, "perm_c": np.arange(n)}
        if self.engine == "qdldl":
            if self.restored:
                return {"L": self._lu.L, "D": self._lu.D, "perm": self._lu.perm}
            L, D, perm = self._lu.factors()
            return {"L": sp.csc_array(L) + sp.eye_array(n, format="csc"), "D": D, "perm": perm}
        return {"L": self._lu.L, "U": self._lu.U, "perm_r": self._lu.perm_r,
                "perm_c": self._lu.perm_c}

    def _factor(self, name: str) -> Any:
        f = self.factors()
        if name not in f:
            raise AttributeError(f"a {self.engine} factorization has no {name!r}; it "
                                 f"exposes {sorted(f)} (see Factorization's docstring)")
        return f[name]

    @property
    def L(self) -> SparseMatrix | np.ndarray:  # noqa: N802 (SciPy SuperLU's names)
        """The lower triangular factor."""
        return self._factor("L")

    @property
    def U(self) -> SparseMatrix | np.ndarray:  # noqa: N802
        """The upper triangular factor (LU)."""
        return self._factor("U")

    @property
    def D(self) -> np.ndarray:  # noqa: N802
        """The diagonal of ``L D Lᵀ`` (QDLDL)."""
        return self._factor("D")

    @property
    def perm(self) -> np.ndarray:
        """The symmetric permutation (QDLDL)."""
        return self._factor("perm")

    @property
    def perm_r(self) -> np.ndarray:
        """The row permutation (LU)."""
        return self._factor("perm_r")

    @property
    def perm_c(self) -> np.ndarray:
        """The column permutation (LU)."""
        return self._factor("perm_c")

    def slogdet(self) -> tuple:
        """``(sign, log|det|)`` of ``A - shift*M``, as :func:`numpy.linalg.slogdet`.

        ``sign`` is ±1 for a real matrix and a unit complex number for a complex
        one; ``det = sign * exp(logabsdet)``.
        """
        return _store.slogdet(self.factors())

    def logdet(self) -> float | complex:
        """``log det(A - shift*M)``: real for a positive determinant (every Cholesky kind).

        A complex matrix gives the complex logarithm ``log(sign) + log|det|``;
        a real matrix with a negative determinant has no real logarithm:
        :class:`~sparsekit.InputValueError` (use :meth:`slogdet`).
        """
        sign, logabs = self.slogdet()
        if isinstance(sign, complex):
            return complex(np.log(sign)) + logabs
        if sign < 0:
            raise InputValueError(f"det(A) < 0 (log|det| = {logabs:.6g}), so log det(A) is "
                                  "not real; use F.slogdet() for (sign, log|det|)")
        return logabs

    # ---- pickling and files -----------------------------------------------------------

    def _meta(self) -> dict:
        return {"kind": self.kind, "engine": self.engine, "ordering": self.ordering,
                "shape": np.asarray(self.shape, dtype=np.int64), "dtype": self.dtype.str,
                "shift": complex(self.shift), "fill_ratio": self.fill_ratio,
                "nbytes": self.nbytes, "setup_time": self.setup_time,
                "fingerprint": self.fingerprint or "", "fingerprint_M": self.fingerprint_M or ""}

    def _arrays(self) -> dict:
        if self._dense is not None:
            fn, f = self._dense
            key = ("c",) if fn is _store.dense_cho_solve else ("lu", "piv")
            if fn is _store.dense_cho_solve and f[1]:  # hold the upper factor
                f = (np.tril(f[0]).conj().T, False)
            return dict(zip(key, f[:len(key)], strict=True))
        return _store.factor_arrays(self.engine, self.kind, self.factors())

    @classmethod
    def _from_arrays(cls, meta: dict, arrays: dict) -> Factorization:
        n = int(meta["shape"][0])
        solver, dense = _store.rebuild(str(meta["engine"]), str(meta["kind"]), n, arrays)
        shift = complex(meta["shift"])
        return cls(solver, kind=str(meta["kind"]), shape=tuple(int(s) for s in meta["shape"]),
                   dtype=np.dtype(str(meta["dtype"])),
                   shift=shift.real if shift.imag == 0 else shift,
                   ordering=str(meta["ordering"]), fill_ratio=float(meta["fill_ratio"]),
                   nbytes=int(meta["nbytes"]), setup_time=float(meta["setup_time"]),
                   dense_solver=dense, engine=str(meta["engine"]),
                   fingerprint=str(meta["fingerprint"]) or None,
                   fingerprint_M=str(meta["fingerprint_M"]) or None,
                   restored=dense is None)

    def __reduce__(self) -> tuple[Callable[[dict, dict], Factorization], tuple[dict, dict]]:
        # arrays only (SuperLU and QDLDL objects cannot be pickled): for multiprocessing
        return (_unpickle, (self._meta(), self._arrays()))

    def save(self, path: PathLike) -> None:
        """Write the factorization to ``path`` (an ``.npz`` of arrays only), atomically.

        Load it with :meth:`Factorization.load` and the same matrix.  The file
        cannot execute code when loaded (no pickle), and carries the fingerprint
        of ``A`` and a checksum of its contents.
        """
        _store.write(path, self._meta(), self._arrays())

    @classmethod
    def load(cls, path: PathLike, A: MatrixLike, M: MatrixLike | None = None) -> Factorization:
        """The factorization saved at ``path`` by :meth:`save`, for the matrix ``A`` (and ``M``).

        Refused with :class:`~sparsekit.InputValueError`: a file made for
        another matrix (its fingerprint differs from ``A``'s), a truncated,
        damaged or edited file (the zip CRC, the checksum, the structure of
        its arrays), and a file whose factors do not solve ``A`` (one solve
        with a random right-hand side is checked).  A missing file is a
        :class:`~sparsekit.DataNotFoundError`.

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np
        >>> import sparsekit as sk
        >>> from sparsekit.linalg.factor import Factorization
        >>> A = sk.poisson((20, 20))
        >>> path = os.path.join(tempfile.mkdtemp(), "F.npz")
        >>> sk.factorize(A).save(path)
        >>> F = Factorization.load(path, A)
        >>> b = np.ones(A.shape[0])
        >>> bool(np.allclose(A @ F(b), b)), F.restored
        (True, True)
        """
        meta, arrays = _store.read(path)
        n, engine, kind = _store.check_meta(meta, path)
        mat = as_matrix(A, "A", square=True)
        mass = None if M is None else as_matrix(M, "M", square=True)
        if (n, n) != mat.shape or str(meta["fingerprint"]) != fingerprint(mat) or \
                str(meta["fingerprint_M"]) != ("" if mass is None else fingerprint(mass)):
            raise InputValueError(
                f"{path} holds a factorization of another matrix (shape {(n, n)}, "
                f"fingerprint {str(meta['fingerprint'])[:12]}...), not of the A given "
                f"({describe(mat)}{'' if mass is None else ' with that M'}); factorize it again")
        _store.check_arrays(engine, kind, n, arrays, path)
        F = cls._from_arrays(meta, arrays)
        _store.check_probe(F.solve, _shifted(mat, F.shift, mass), path)
        return F

    def __repr__(self) -> str:
        shift = "" if self.shift == 0 else f", shift={self.shift:g}"
        restored = ", restored" if self.restored else ""
        return (f"Factorization(kind={self.kind!r}, engine={self.engine!r}, "
                f"shape={self.shape}{shift}, ordering={self.ordering!r}, "
                f"fill_ratio={self.fill_ratio:.2f}, nbytes={_fmt_bytes(self.nbytes)}, "
                f"setup_time={self.setup_time:.3g}s{restored})")


def _unpickle(meta: dict, arrays: dict) -> Factorization:
    return Factorization._from_arrays(meta, arrays)


def working_dtype(A: Any) -> Any:
    """``A`` in a dtype SciPy's sparse kernels and LAPACK take: ``float16`` becomes ``float64``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.linalg.factor import working_dtype
    >>> working_dtype(np.eye(2, dtype=np.float16)).dtype
    dtype('float64')
    """
    if getattr(A, "dtype", None) == np.float16 and hasattr(A, "astype"):
        return A.astype(np.float64)
    return A


def _shifted(A: Any, shift: complex, M: Any) -> Any:
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


def factorize(A: MatrixLike, kind: str = "auto", *, shift: complex = 0.0,
              M: MatrixLike | None = None, cache: bool = True,
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
        Callable (``F(b)``) with ``.solve(b, trans)`` (1-D or 2-D ``b``),
        ``.aslinearoperator()``, its factors (``.L``, ``.U``, ``.perm_r``,
        ``.perm_c``; QDLDL: ``.L``, ``.D``, ``.perm``), ``.logdet()``,
        ``.slogdet()``, ``.save(path)`` (and ``Factorization.load(path, A)``);
        picklable; ``.kind``, ``.fill_ratio``, ``.nbytes``, ``.setup_time``.

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
    A = working_dtype(as_matrix(A, "A", square=True))
    if M is not None:
        M = working_dtype(as_matrix(M, "M", square=True))
    if isinstance(shift, (bool, np.bool_)) or not isinstance(shift, numbers.Number) \
            or not np.isfinite(shift):
        raise InputValueError(f"shift must be a finite real or complex number (got "
                              f"{type(shift).__name__} {shift!r})")
    return _factorize(A, kind, shift=shift, M=M, cache=cache, ordering=ordering)


def _factorize(A: Any, kind: str, *, shift: complex = 0.0, M: Any = None, cache: bool = True,
               ordering: str | None = None, fp: str | None = None,
               symmetric: bool | None = None) -> Factorization:
    """:func:`factorize` on a validated ``A``; ``fp`` is its fingerprint when known.

    ``symmetric`` is the symmetry of ``A`` when the caller's inspection already
    checked it (to the same relative tolerance, 1e-10); it is trusted without a
    shift or ``M`` only, and checked again otherwise.
    """
    key = None
    fp = fp or fingerprint(A)
    fp_M = None if M is None else fingerprint(M)
    if cache:
        key = cache_key(fp, kind, shift, fp_M, ordering)
        hit = CACHE.get(key)
        if hit is not None:
            logger.debug("factorization cache hit: %r", hit)
            return hit
    t0 = time.perf_counter()
    S = _shifted(A, shift, M)
    if symmetric is None or shift != 0 or M is not None:
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
        except (NotSPDError, SingularMatrixError):
            # a zero or negative pivot with diagonal pivoting only: LU with pivoting decides
            if kind == "cholesky" or use == "lu":
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
                      dense_solver=dense, engine=engine, fingerprint=fp, fingerprint_M=fp_M)
    logger.debug("factorized: %r", F)
    if key is not None:
        CACHE.put(key, F, F.nbytes)
        SIGNATURES.add(signature(A))
    return F
