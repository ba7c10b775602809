"""Preconditioners set up once and reused: :func:`preconditioner`.

Four kinds, in the registry :data:`PRECONDITIONERS`:

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
``"approx_chol"``
    Randomized approximate Cholesky (the ``approx-chol`` package, AC and
    AC(k) of Gao, Kyng and Spielman, ported from Laplacians.jl) for graph
    Laplacians and SDDM matrices (symmetric, off-diagonals <= 0, diagonally
    dominant); ``split`` (AC(k)'s edge multiplicity) and ``seed`` exposed.
    Measured on grid_shortcuts_1000 (10^6 nodes), rtol 1e-8, one thread:
    factor 2.7 s + CG 2.3 s (38 iterations) against PyAMG smoothed
    aggregation's setup 2.1 s + CG 3.4 s (16 iterations), and 3x PyAMG on
    luxembourg_osm (docs/performance.md).

Options are checked by name and type before any setup work (an unknown
name, ``cycle="Q"``, ``drop_tol="x"``: :class:`~sparsekit.InputValueError`);
PyAMG's own structural keywords (``strength``, ``smooth``, ``presmoother``...)
are passed through and a value PyAMG refuses is reported the same way.
``float16`` input is computed in ``float64`` (SciPy's sparse kernels and
LAPACK have no half precision).

Every setup is kept in the process-wide memory-bounded cache
(:mod:`sparsekit.linalg._cache`) under the matrix fingerprint and the options,
so a second solve with the same matrix reuses the hierarchy.
"""

from __future__ import annotations

import inspect
import logging
import numbers
import time
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .. import _progress
from .._validate import as_matrix, check_choice, describe, is_symmetric, optional_import
from ..errors import InputValueError, ShapeError, SingularMatrixError
from ..results import _fmt_bytes
from ._cache import CACHE, fingerprint
from ._inspect import _row_sums
from ._threads import single_thread_blas
from .factor import SIGNATURES, signature, working_dtype

if TYPE_CHECKING:
    from .._typing import MatrixLike

__all__ = ["preconditioner", "Preconditioner", "PRECONDITIONERS", "cache_key", "AMG_CYCLES",
           "KIND_OPTIONS", "check_option_values"]

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
    has_adjoint : bool
        Whether it can also apply its conjugate transpose (what ``bicg`` and
        ``qmr`` need): Jacobi and ILU always; AMG for a symmetric matrix with
        its symmetric smoothers and a V or W cycle.
    """

    def __init__(self, kind, shape, dtype, apply, *, setup_time, nbytes, stats, hierarchy=None,
                 adjoint=None):
        self.kind = kind
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self._apply = apply
        self._adjoint = adjoint
        self.has_adjoint = adjoint is not None
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
        return spla.LinearOperator(self.shape, matvec=self._apply, rmatvec=self._adjoint,
                                   dtype=self.dtype)

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
    pyamg = optional_import("pyamg", None, "algebraic multigrid preconditioning")
    solvers = {"smoothed_aggregation": pyamg.smoothed_aggregation_solver,
               "rootnode": pyamg.rootnode_solver, "air": pyamg.air_solver}
    if isinstance(A, np.ndarray):
        A = sp.csr_array(A)
    A = sp.csr_matrix(A)  # pyamg works with csr_matrix
    if symmetric is None:
        symmetric = is_symmetric(A)
    if solver is None:
        solver = "smoothed_aggregation" if symmetric else "rootnode"
    if A.nnz == 0:  # PyAMG divides by the stored entries (its operator complexity)
        raise SingularMatrixError(f"AMG needs a matrix with stored entries (got {describe(A)}, "
                                  "which is zero: singular)")
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
    try:
        with single_thread_blas():
            ml = solvers[solver](A, **kw)
    except (TypeError, ValueError, KeyError) as exc:
        # a structural keyword PyAMG refused (its values are PyAMG's, passed through)
        raise InputValueError(f"PyAMG's {solver} solver refused the options "
                              f"{sorted(options)}: {exc}") from None
    _scalar_levels_to_csr(ml)
    M = ml.aspreconditioner(cycle=cycle)
    nbytes = sum(_csr_nbytes(getattr(lv, "A", None)) + _csr_nbytes(getattr(lv, "P", None))
                 + _csr_nbytes(getattr(lv, "R", None)) for lv in ml.levels)
    stats = dict(solver=solver, levels=len(ml.levels),
                 operator_complexity=float(ml.operator_complexity()),
                 grid_complexity=float(ml.grid_complexity()), cycle=cycle)
    if weighting is not None:
        stats["fine_weight"] = weighting  # ρ(D⁻¹A) in the finest prolongation smoother
    # a V or W cycle with symmetric smoothing on a Hermitian matrix is a Hermitian operator
    hermitian = (symmetric and solver != "air" and cycle in ("V", "W")
                 and not {"presmoother", "postsmoother"} & set(options))
    return M.matvec, (M.matvec if hermitian else None), nbytes, stats, ml


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
    real = A.dtype.kind != "c"

    def solve(b, trans="N"):
        if real and np.iscomplexobj(b):  # SuperLU's real factors take real vectors only
            return solve(b.real, trans) + 1j * solve(b.imag, trans)
        if b.dtype != A.dtype:  # SuperLU takes its own dtype only (a complex64 ILU, for one)
            return ilu.solve(b.astype(A.dtype), trans).astype(np.result_type(b, A.dtype))
        return ilu.solve(b, trans)

    return solve, (lambda b: solve(b, "H")), nbytes, stats, None


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
    inv_h = np.conj(inv)

    def apply(b):
        return inv * b if b.ndim == 1 else inv[:, None] * b

    def adjoint(b):
        return inv_h * b if b.ndim == 1 else inv_h[:, None] * b

    return apply, adjoint, inv.nbytes, dict(min_abs_diagonal=float(np.min(np.abs(d)))), None


def _setup_approx_chol(A, *, split=None, seed=0):
    """Randomized approximate Cholesky of an SDDM matrix or graph Laplacian (``approx-chol``).

    On a Laplacian the factor's solve returns the solution orthogonal to the
    constants of each component, whatever the mean of ``b``.
    """
    if np.dtype(A.dtype).kind == "c":
        raise InputValueError(f"precond='approx_chol' takes real matrices (got {describe(A)} "
                              f"of dtype {A.dtype}); use precond='amg'")
    ac = optional_import("approx_chol", None,
                         "approximate Cholesky preconditioning of graph Laplacians",
                         hint="or use precond='amg', which sk.solve's auto plan falls back to")
    C = _sddm_diagonal(sp.csr_array(A, dtype=np.float64))
    try:
        F = ac.factorize(C, config=ac.Config(seed=int(seed),
                                             split=None if split is None else int(split)))
    except ValueError as exc:
        raise InputValueError(
            f"precond='approx_chol' needs a graph Laplacian or an SDDM matrix (symmetric, "
            f"off-diagonals <= 0, diagonally dominant): {exc} (got {describe(A)}); use "
            "precond='amg'") from None
    n = A.shape[0]
    out_dtype = np.result_type(A.dtype, np.float64)

    def apply(b):
        if np.iscomplexobj(b):
            return apply(b.real) + 1j * apply(b.imag)
        if b.ndim == 2:
            return np.column_stack([apply(b[:, j]) for j in range(b.shape[1])])
        return F.solve(np.ascontiguousarray(b, dtype=np.float64)).astype(out_dtype, copy=False)

    # the factor's memory is not exposed: measured ~3x the matrix's (grid_shortcuts_300: 16.5
    # MB of resident memory for a 5.4 MB Laplacian)
    nbytes = 3 * (C.data.nbytes + C.indices.nbytes) + 16 * n
    stats = dict(split=split if split is not None else 1, seed=int(seed),
                 elimination_steps=int(F.n_steps), fallbacks=len(F.fallbacks))
    return apply, apply, nbytes, stats, None


def approx_chol_available() -> bool:
    """Whether the ``approx-chol`` package imports (a core dependency; checked, not assumed)."""
    try:
        import approx_chol  # noqa: F401
    except ImportError:
        return False
    return True


def _sddm_diagonal(C):
    """``C`` with each diagonal equal to its off-diagonal row sum up to rounding set to it.

    approx-chol checks diagonal dominance exactly: a graph Laplacian whose
    diagonal was summed in another order (1138_bus: 5e-12 apart, relative
    1e-15) would be refused.  The sum is taken row by row in CSR order; rows
    with a clear excess (SDDM) or a deficit (not SDDM, refused later) keep
    their diagonal.
    """
    C.sum_duplicates()
    n = C.shape[0]
    rows = np.repeat(np.arange(n, dtype=C.indices.dtype), np.diff(C.indptr))
    on = C.indices == rows
    del rows
    neg_off = np.where(on, 0.0, -C.data)
    s = _sum_rows(C, neg_off)
    d = np.zeros(n)
    diag_at = np.flatnonzero(on)
    d[C.indices[diag_at]] = C.data[diag_at]
    scale = _sum_rows(C, np.abs(neg_off))
    near = np.abs(d - s) <= 64 * np.finfo(float).eps * (np.abs(d) + scale)
    near &= d != s
    if not near.any():
        return C
    if diag_at.size == n:
        C = C.copy()
        C.data[diag_at[near]] = s[near]
        return C
    return sp.csr_array(C + sp.diags_array(np.where(near, s - d, 0.0)))


def _sum_rows(C, values) -> np.ndarray:
    """Row sums of ``values`` on the pattern of the CSR ``C``, each row summed in order.

    :func:`~sparsekit.linalg._inspect._row_sums` (a mat-vec with ones: SciPy's
    ``csr_matvec`` adds a row's products one after another in stored order).
    """
    return _row_sums(sp.csr_array((values, C.indices, C.indptr), shape=C.shape))


#: The preconditioner registry: kind -> setup function.
PRECONDITIONERS = {"amg": _setup_amg, "ilu": _setup_ilu, "jacobi": _setup_jacobi,
                   "approx_chol": _setup_approx_chol}

#: AMG cycles (PyAMG's ``aspreconditioner(cycle=...)``).
AMG_CYCLES = ("V", "W", "F", "AMLI")
_AMG_SOLVERS = ("smoothed_aggregation", "rootnode", "air")


def _number(value, name, low, high=np.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not low <= float(value) <= high:
        bounds = f"in [{low:g}, {high:g}]" if np.isfinite(high) else f">= {low:g}"
        raise InputValueError(f"{name} must be a number {bounds} (got {value!r})")
    return float(value)


def _integer(value, name) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise InputValueError(f"{name} must be an integer >= 1 (got {value!r})")
    return int(value)


def _one_of(value, choices, name):
    if not isinstance(value, str) or value not in choices:
        raise InputValueError(f"{name} must be one of {list(choices)} (got {value!r})")
    return value


def _instance(value, types, name, what):
    if not isinstance(value, types):
        raise InputValueError(f"{name} must be {what} (got {type(value).__name__} {value!r})")
    return value


#: ILU's options (:func:`scipy.sparse.linalg.spilu`) and their checks.
_ILU_CHECKS = {
    "drop_tol": lambda v: _number(v, "drop_tol", 0.0, 1.0),
    "fill_factor": lambda v: _number(v, "fill_factor", 1.0),
    "drop_rule": lambda v: _instance(v, (str, bytes, list), "drop_rule",
                                     "a comma-separated string of SuperLU drop rules"),
    "permc_spec": lambda v: _one_of(v, ("NATURAL", "MMD_ATA", "MMD_AT_PLUS_A", "COLAMD"),
                                    "permc_spec"),
    "diag_pivot_thresh": lambda v: _number(v, "diag_pivot_thresh", 0.0, 1.0),
    "relax": lambda v: _integer(v, "relax"),
    "panel_size": lambda v: _integer(v, "panel_size"),
    "options": lambda v: _instance(v, dict, "options", "a dict of SuperLU options"),
}

def _split_option(v):
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 0:
        raise InputValueError(f"split must be None or an integer >= 0 (got {v!r})")
    return int(v)


def _seed_option(v):
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or not 0 <= v < 2**64:
        raise InputValueError(f"seed must be an integer in [0, 2**64) (got {v!r})")
    return int(v)


#: Approximate Cholesky's options and their checks.
_AC_CHECKS = {"split": _split_option, "seed": _seed_option}

#: AMG's own options and their checks (PyAMG's keywords are checked by name only).
_AMG_CHECKS = {
    "symmetric": lambda v: _instance(v, (bool, np.bool_, type(None)), "symmetric",
                                     "True, False or None"),
    "B": lambda v: v,  # shape checked against A at setup
    "solver": lambda v: check_choice(v, dict.fromkeys(_AMG_SOLVERS), "solver"),
    "cycle": lambda v: _one_of(v, AMG_CYCLES, "cycle"),
}


def _pyamg_keywords(solver: str) -> set:
    """The keywords PyAMG's ``solver`` function takes.

    Its ``**kwargs`` reach ``MultilevelSolver``, which takes ``coarse_solver``.
    """
    pyamg = optional_import("pyamg", None, "algebraic multigrid preconditioning")
    fn = {"smoothed_aggregation": pyamg.smoothed_aggregation_solver,
          "rootnode": pyamg.rootnode_solver, "air": pyamg.air_solver}[solver]
    names = set(inspect.signature(fn).parameters) - {"A", "kwargs"}
    return names | {"coarse_solver"}


def check_option_values(options: dict) -> None:
    """Check the values of the preconditioner options in ``options`` (any kind's), by name.

    Examples
    --------
    >>> from sparsekit.linalg.precond import check_option_values
    >>> check_option_values({"cycle": "Q"})
    Traceback (most recent call last):
    ...
    sparsekit.errors.InputValueError: cycle must be one of ['V', 'W', 'F', 'AMLI'] (got 'Q')
    """
    for name, value in options.items():
        check = _ILU_CHECKS.get(name) or _AMG_CHECKS.get(name) or _AC_CHECKS.get(name)
        if check is not None:
            check(value)


#: Which options belong to which kind (the names of :func:`sparsekit.solve`'s options).
KIND_OPTIONS = {"ilu": frozenset(_ILU_CHECKS), "amg": frozenset(_AMG_CHECKS),
                "jacobi": frozenset(), "approx_chol": frozenset(_AC_CHECKS)}


def _check_options(kind: str, options: dict) -> None:
    """Refuse an unknown or ill-typed option of preconditioner ``kind`` before any work."""
    if kind == "jacobi":
        if options:
            raise InputValueError(f"kind='jacobi' takes no options (got {sorted(options)})")
        return
    checks = {"ilu": _ILU_CHECKS, "approx_chol": _AC_CHECKS}.get(kind, _AMG_CHECKS)
    for name, value in options.items():
        if name in checks:
            checks[name](value)
    extra = set(options) - set(checks)
    if kind == "amg" and extra:
        solver = options.get("solver")
        extra -= _pyamg_keywords(solver if solver is not None else "smoothed_aggregation")
    if extra:
        accepted = sorted(checks) + (["PyAMG's solver keywords"] if kind == "amg" else [])
        raise InputValueError(f"unknown option{'s' if len(extra) > 1 else ''} "
                              f"{', '.join(map(repr, sorted(extra)))} for precond={kind!r}; "
                              f"accepted: {accepted}")


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


def preconditioner(A: MatrixLike, kind: str = "amg", *, cache: bool = True,
                   **options: Any) -> Preconditioner:
    """Set up a preconditioner for ``A`` (AMG, ILU, Jacobi, approximate Cholesky), reusable.

    Parameters
    ----------
    A : sparse matrix or array, or ndarray
        Square matrix.
    kind : {"amg", "ilu", "jacobi", "approx_chol"}, default="amg"
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
        ``"approx_chol"`` (graph Laplacians and SDDM matrices): ``split``
        (AC(k)'s edge multiplicity; default None, plain AC) and ``seed``
        (default 0).

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
    _check_options(kind, options)
    A = working_dtype(as_matrix(A, "A", square=True))
    return _preconditioner(A, kind, cache=cache, **options)


def _preconditioner(A, kind, *, cache=True, fp=None, **options):
    """:func:`preconditioner` on a validated ``A``; ``fp`` is its fingerprint when known."""
    _check_options(kind, options)
    key = None
    if cache:
        key = cache_key(fp or fingerprint(A), kind, options)
        hit = CACHE.get(key)
        if hit is not None:
            logger.debug("preconditioner cache hit: %r", hit)
            return hit
    t0 = time.perf_counter()
    _progress.report("precond", kind=kind, n=A.shape[0], nnz=getattr(A, "nnz", None))
    apply, adjoint, nbytes, stats, hierarchy = PRECONDITIONERS[kind](A, **options)
    P = Preconditioner(kind, A.shape, A.dtype, apply, setup_time=time.perf_counter() - t0,
                       nbytes=nbytes, stats=stats, hierarchy=hierarchy, adjoint=adjoint)
    logger.debug("preconditioner set up: %r", P)
    if key is not None:
        CACHE.put(key, P, P.nbytes)
        SIGNATURES.add(signature(A))
    return P
