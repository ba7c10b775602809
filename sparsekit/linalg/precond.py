"""Preconditioners set up once and reused: :func:`preconditioner`.

Three kinds, in the registry :data:`PRECONDITIONERS`:

``"amg"``
    PyAMG algebraic multigrid, one V-cycle per application.  Symmetric
    matrices get smoothed aggregation (``pyamg.smoothed_aggregation_solver``,
    symmetric Gauss-Seidel smoothing, so the cycle is a symmetric operator
    that CG can use); nonsymmetric ones get root-node aggregation with
    ``symmetry="nonsymmetric"`` (``pyamg.rootnode_solver``), or AIR with
    ``solver="air"`` (``pyamg.air_solver``, meant for advection-like,
    nearly triangular matrices).  ``B=`` passes near-null-space vectors
    (rigid-body modes of elasticity, for example).
``"ilu"``
    Incomplete LU (:func:`scipy.sparse.linalg.spilu`) with ``drop_tol`` and
    ``fill_factor`` exposed.
``"jacobi"``
    The inverse of the diagonal; a zero diagonal entry is an error.

Every setup is kept in the process-wide memory-bounded cache
(:mod:`sparsekit.linalg._cache`) under the matrix fingerprint and the options,
so a second solve with the same matrix reuses the hierarchy.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .._validate import as_matrix, check_choice, describe, is_symmetric, optional_import
from ..errors import InputValueError, ShapeError, SingularMatrixError
from ..results import _fmt_bytes
from ._cache import CACHE, fingerprint
from ._threads import single_thread_blas
from .factor import SIGNATURES, signature

__all__ = ["preconditioner", "Preconditioner", "PRECONDITIONERS", "cache_key"]

logger = logging.getLogger(__name__)


class Preconditioner:
    """An approximate inverse ``M ~ A^{-1}``, applied with ``.solve(b)``.

    Made by :func:`preconditioner`; do not build it directly.

    Attributes
    ----------
    kind : str
        ``"amg"``, ``"ilu"`` or ``"jacobi"``.
    shape : tuple
        Shape of ``A``.
    setup_time : float
        Seconds the setup took.
    nbytes : int
        Memory held (hierarchy, factors or diagonal).
    stats : dict
        What the setup reports: levels, operator and grid complexity, the
        solver and, for smoothed aggregation, ``fine_weight`` (how the finest
        prolongation smoother's ``ρ(D⁻¹A)`` was had: ``"gershgorin"`` row
        bounds on a diagonally dominant matrix, else PyAMG's ``"estimate"``)
        for AMG; fill, ``drop_tol`` and ``fill_factor`` for ILU.
    hierarchy : pyamg.MultilevelSolver or None
        The AMG hierarchy (AMG only).
    """

    def __init__(self, kind, shape, dtype, apply, *, setup_time, nbytes, stats, hierarchy=None):
        self.kind = kind
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self._apply = apply
        self.setup_time = float(setup_time)
        self.nbytes = int(nbytes)
        self.stats = dict(stats)
        self.hierarchy = hierarchy

    def solve(self, b) -> np.ndarray:
        """Apply the preconditioner to ``b`` of shape ``(n,)`` or ``(n, k)``."""
        b = np.asarray(b)
        n = self.shape[0]
        if b.ndim not in (1, 2) or b.shape[0] != n:
            raise ShapeError(f"b must have shape ({n},) or ({n}, k) (got shape {b.shape})")
        if b.ndim == 1:
            return self._apply(b)
        # one application per right-hand side (columns, not entries)
        return np.column_stack([self._apply(b[:, j]) for j in range(b.shape[1])])

    def aslinearoperator(self) -> spla.LinearOperator:
        """The preconditioner as a :class:`scipy.sparse.linalg.LinearOperator` (SciPy's ``M=``)."""
        return spla.LinearOperator(self.shape, matvec=self._apply, dtype=self.dtype)

    def __repr__(self) -> str:
        stats = ", ".join(
            f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in self.stats.items()
        )
        return (f"Preconditioner(kind={self.kind!r}, shape={self.shape}, {stats}, "
                f"nbytes={_fmt_bytes(self.nbytes)}, setup_time={self.setup_time:.3g}s)")


def _csr_nbytes(A) -> int:
    if A is None:
        return 0
    if sp.issparse(A):
        A = sp.csr_array(A)
        return A.data.nbytes + A.indices.nbytes + A.indptr.nbytes
    return int(getattr(A, "nbytes", 0))


def _scalar_levels_to_csr(ml) -> None:
    """Store PyAMG's 1x1-block BSR level matrices as CSR (same entries, faster cycles).

    Smoothed aggregation leaves the coarse operators, P and R in BSR even with
    1 x 1 blocks, and PyAMG's Gauss-Seidel on BSR is the slow path: measured
    here on the 1,000,000-node ``grid_shortcuts_1000`` Laplacian (5 levels), a
    V-cycle took 0.61 s with BSR coarse levels against 0.38 s with CSR ones
    (most of it ``bsr_gauss_seidel``).
    """
    for lv in ml.levels:
        for name in ("A", "P", "R"):
            M = getattr(lv, name, None)
            if M is not None and sp.issparse(M) and M.format == "bsr" and M.blocksize == (1, 1):
                setattr(lv, name, M.tocsr())


def _diagonally_dominant(A) -> bool:
    """Every row has ``a_ii >= Σ_j≠i |a_ij|`` (graph Laplacians, most M-matrices)."""
    d = A.diagonal()
    if not A.nnz or not np.all(d > 0):
        return False
    row = np.add.reduceat(np.abs(A.data), A.indptr[:-1])
    row[np.diff(A.indptr) == 0] = 0.0  # reduceat repeats a value for an empty row
    return bool(np.all(row - d <= d * (1 + 1e-12)))  # off-diagonal sum <= diagonal


def _fine_smooth(A):
    """SA prolongation smoothing with a Gershgorin weight on the finest level, or None.

    PyAMG's default Jacobi smoothing of the tentative prolongator divides
    ``ω = 4/3`` by ``ρ(D⁻¹A)``, estimated by Arnoldi iterations written in
    Python.  For a diagonally dominant matrix with a positive diagonal the
    row-wise Gershgorin bound ("local" weighting, ``2 a_ii``) is that same
    ρ ≈ 2 without the estimate.  Measured here on the 10⁶-node
    ``grid_shortcuts_1000`` Laplacian: setup 1.45–1.93 s against 3.5–3.7 s, the
    same hierarchy sizes and the same 17 AMG-CG iterations.  Coarse levels keep
    PyAMG's default (their estimates are cheap).
    """
    if A.shape[0] < 10_000 or A.format != "csr" or not _diagonally_dominant(A):
        return None
    default = ("jacobi", {"omega": 4.0 / 3.0})
    return [("jacobi", {"omega": 4.0 / 3.0, "weighting": "local"}), default]


def _setup_amg(A, *, symmetric=None, B=None, solver=None, cycle="V", **options):
    pyamg = optional_import("pyamg", "amg", "algebraic multigrid preconditioning")
    if isinstance(A, np.ndarray):
        A = sp.csr_array(A)
    A = sp.csr_matrix(A)  # pyamg works with csr_matrix
    if symmetric is None:
        symmetric = is_symmetric(A)
    if solver is None:
        solver = "smoothed_aggregation" if symmetric else "rootnode"
    solvers = {"smoothed_aggregation": pyamg.smoothed_aggregation_solver,
               "rootnode": pyamg.rootnode_solver, "air": pyamg.air_solver}
    check_choice(solver, solvers, "solver")
    kw = dict(options)
    if B is not None:
        B = np.asarray(B)
        if B.ndim == 1:
            B = B[:, None]
        if B.shape[0] != A.shape[0]:
            raise ShapeError(f"B must have {A.shape[0]} rows like A (got shape {B.shape})")
        if solver == "air":
            raise InputValueError("B= (near-null-space vectors) does not apply to solver='air'")
        kw["B"] = B
    if solver != "air":
        kw.setdefault("symmetry", "hermitian" if symmetric else "nonsymmetric")
    weighting = None
    if solver == "smoothed_aggregation" and "smooth" not in kw:
        smooth = _fine_smooth(A)
        if smooth is not None:
            kw["smooth"] = smooth
        weighting = "estimate" if smooth is None else "gershgorin"
    # one BLAS thread: measured here (busy 2-core machine), SA setup on a 16,384-unknown
    # Poisson matrix took 2.0-3.6 s with two OpenBLAS threads against 0.14-0.16 s with one
    with single_thread_blas():
        ml = solvers[solver](A, **kw)
    _scalar_levels_to_csr(ml)
    M = ml.aspreconditioner(cycle=cycle)
    nbytes = sum(_csr_nbytes(getattr(lv, "A", None)) + _csr_nbytes(getattr(lv, "P", None))
                 + _csr_nbytes(getattr(lv, "R", None)) for lv in ml.levels)
    stats = dict(solver=solver, levels=len(ml.levels),
                 operator_complexity=float(ml.operator_complexity()),
                 grid_complexity=float(ml.grid_complexity()), cycle=cycle)
    if weighting is not None:
        stats["fine_weight"] = weighting  # ρ(D⁻¹A) in the finest prolongation smoother
    return M.matvec, nbytes, stats, ml


def _setup_ilu(A, *, drop_tol=1e-4, fill_factor=10.0, **options):
    A = sp.csc_array(A)
    try:
        ilu = spla.spilu(A, drop_tol=drop_tol, fill_factor=fill_factor, **options)
    except RuntimeError as exc:
        raise SingularMatrixError(
            f"incomplete LU failed: {exc} (got {describe(A)}, drop_tol={drop_tol}, "
            f"fill_factor={fill_factor}); lower drop_tol, raise fill_factor or use "
            "precond='amg'/'jacobi'"
        ) from None
    nbytes = ilu.nnz * (A.dtype.itemsize + 4) + 2 * A.shape[0] * 8
    stats = dict(fill=ilu.nnz / max(A.nnz, 1), drop_tol=float(drop_tol),
                 fill_factor=float(fill_factor))
    return ilu.solve, nbytes, stats, None


def _setup_jacobi(A):
    d = A.diagonal() if sp.issparse(A) else np.diag(np.asarray(A))
    zero = np.flatnonzero(d == 0)
    if zero.size:
        raise InputValueError(
            f"Jacobi needs a nonzero diagonal, but A (got {describe(A)}) has {zero.size} "
            f"zero diagonal entr{'y' if zero.size == 1 else 'ies'} (first at row {zero[0]}); "
            "use precond='ilu' or 'amg'"
        )
    inv = 1.0 / d

    def apply(b):
        return inv * b if b.ndim == 1 else inv[:, None] * b

    return apply, inv.nbytes, dict(min_abs_diagonal=float(np.min(np.abs(d)))), None


#: The preconditioner registry: kind -> setup function.
PRECONDITIONERS = {"amg": _setup_amg, "ilu": _setup_ilu, "jacobi": _setup_jacobi}


def _freeze(value):
    if isinstance(value, np.ndarray):
        return ("array", fingerprint(value if value.ndim == 2 else value[:, None]))
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


def cache_key(fp_A: str, kind: str, options: dict) -> tuple:
    """The cache key of a preconditioner of kind ``kind`` with ``options`` for matrix ``fp_A``."""
    return ("precond", fp_A, kind, _freeze(options))


def preconditioner(A, kind: str = "amg", *, cache: bool = True, **options) -> Preconditioner:
    """Set up a preconditioner for ``A`` (AMG, ILU or Jacobi), reusable across solves.

    Parameters
    ----------
    A : sparse matrix or array, or ndarray
        Square matrix.
    kind : {"amg", "ilu", "jacobi"}, default="amg"
        Which preconditioner (the registry :data:`PRECONDITIONERS`).
    cache : bool, default=True
        Look the setup up in, and store it in, the memory-bounded cache.
    **options
        For ``"amg"``: ``symmetric`` (default: checked), ``B`` (near-null-space
        vectors, ``(n,)`` or ``(n, m)``), ``solver`` (``"smoothed_aggregation"``,
        ``"rootnode"``, ``"air"``), ``cycle`` (``"V"``, ``"W"``, ``"F"``) and any
        keyword of the PyAMG solver.  For ``"ilu"``: ``drop_tol`` (default 1e-4),
        ``fill_factor`` (default 10) and any keyword of
        :func:`scipy.sparse.linalg.spilu`.  ``"jacobi"`` takes none.

    Returns
    -------
    Preconditioner
        With ``.solve(b)``, ``.aslinearoperator()``, ``.kind``, ``.setup_time``
        and ``.stats``.

    Raises
    ------
    InputValueError
        ``kind="jacobi"`` and ``A`` has a zero on its diagonal.
    MissingDependencyError
        ``kind="amg"`` and PyAMG is not installed.

    See Also
    --------
    pyamg.smoothed_aggregation_solver, scipy.sparse.linalg.spilu

    Examples
    --------
    >>> import sparsekit as sk
    >>> A = sk.datasets.load("poisson2d_64")
    >>> P = sk.preconditioner(A, "amg")
    >>> P.stats["solver"], P.stats["levels"] > 1
    ('smoothed_aggregation', True)
    >>> sk.preconditioner(A, "jacobi").solve(A.diagonal())[:3]
    array([1., 1., 1.])
    """
    check_choice(kind, PRECONDITIONERS, "kind")
    A = as_matrix(A, "A", square=True)
    if kind == "jacobi" and options:
        raise InputValueError(f"kind='jacobi' takes no options (got {sorted(options)})")
    return _preconditioner(A, kind, cache=cache, **options)


def _preconditioner(A, kind, *, cache=True, fp=None, **options):
    """:func:`preconditioner` on a validated ``A``; ``fp`` is its fingerprint when known."""
    key = None
    if cache:
        key = cache_key(fp or fingerprint(A), kind, options)
        hit = CACHE.get(key)
        if hit is not None:
            logger.debug("preconditioner cache hit: %r", hit)
            return hit
    t0 = time.perf_counter()
    apply, nbytes, stats, hierarchy = PRECONDITIONERS[kind](A, **options)
    P = Preconditioner(kind, A.shape, A.dtype, apply, setup_time=time.perf_counter() - t0,
                       nbytes=nbytes, stats=stats, hierarchy=hierarchy)
    logger.debug("preconditioner set up: %r", P)
    if key is not None:
        CACHE.put(key, P, P.nbytes)
        SIGNATURES.add(signature(A))
    return P
