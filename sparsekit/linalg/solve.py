"""``sk.solve``: one entry point for ``A x = b`` that picks the method, says why, and checks.

Registries: :data:`METHODS` (every SciPy Krylov method: ``cg``, ``minres``,
``gmres``, ``bicgstab``, ``bicg``, ``cgs``, ``gcrotmk``, ``lgmres``, ``qmr``,
``tfqmr``; ``lsqr``, ``lsmr``, ``direct``, ``dense``), :data:`PRECONDS` (``auto``,
``none``, ``jacobi``, ``ilu``, ``amg``), :data:`OPTIONS` (the expert keyword
options) and :data:`~sparsekit._choices.BACKENDS` (``auto``, ``scipy``,
``cupy``, ``petsc``).  The other backends declare their own registries
(:mod:`sparsekit.backends._registry`); the arguments are validated once,
against the registries of the backend that runs the call
(:func:`sparsekit._requests.solve_request`).

The CPU path reads like its policy:

1. :func:`_make_system`: the matrix and right-hand side as arrays, inspected
   (symmetry, diagonal, Laplacian) where the plan or the checks need it;
2. :func:`_choose`: the method and preconditioner (``auto`` follows
   :func:`sparsekit.plan`), and the refusal of CG/MINRES on a matrix that does
   not fit them;
3. :func:`_project_rhs`: a graph Laplacian (singular, constant null vector per
   connected component) is solved with the null space projected out of ``b``
   and of ``x`` (the minimum-norm solution); a ``b`` with a component along
   the null space larger than the tolerance allows raises
   :class:`~sparsekit.InconsistentSystemError`;
4. ``_SOLVERS[method]``: one runner per family (Krylov, least squares, direct,
   dense);
5. :func:`~sparsekit.linalg._solve_finish.finish`: the TRUE residual
   ``‖b − A x‖`` is recomputed, whatever
   the method reported; ``converged`` is :func:`sparsekit._validate.is_converged`
   on it (least-squares methods: on the normal equations,
   ``‖Aᴴ r‖ ≤ rtol·‖A‖_F·‖r‖``);
6. not converged: when ``auto`` chose an iterative method and a sparse
   factorization fits in memory, the direct method runs instead (stated in
   ``notes``); otherwise ``converged=False``, the cause and what to try in
   ``notes`` (:func:`~sparsekit.linalg._solve_finish.explain`) and a
   :class:`~sparsekit.ConvergenceWarning`, or :class:`~sparsekit.NoConvergence`
   with ``strict=True``.

Each stage reports its progress (:mod:`sparsekit._progress`): inspecting, the
plan, the preconditioner's setup, the Krylov iterations with their true
residual, the factorization with its engine and estimated memory.
"""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .. import _progress
from .._choices import BACKENDS
from .._requests import SolveRequest, default_rtol, dtype_of, shape_of, solve_request
from .._validate import as_matrix, as_rhs, check_square, describe
from ..backends import _registry
from ..errors import (
    IllConditionedWarning,
    InconsistentSystemError,
    InputValueError,
    NotSPDError,
    NotSymmetricError,
    ShapeError,
    SingularMatrixError,
    report_nonconvergence,
)
from ..results import SolveResult
from . import _krylov
from . import dense as _dense
from ._cache import CACHE, fingerprint
from ._inspect import inspect_matrix
from ._nullspace import NullSpace, laplacian_null_space
from ._solve_finish import explain, finish, may_fall_back
from .factor import SIGNATURES, _factorize, signature, working_dtype
from .factor import cache_key as factor_key
from .plan import plan_solve
from .precond import (
    KIND_OPTIONS,
    Preconditioner,
    _preconditioner,
    check_option_values,
)

if TYPE_CHECKING:
    import numpy.typing as npt

    from .._typing import Callback, OperatorLike

__all__ = ["solve", "METHODS", "PRECONDS", "OPTIONS", "BACKENDS"]

logger = logging.getLogger(__name__)

_KRYLOV = tuple(_krylov.KRYLOV)
_LSQ = tuple(_krylov.LEAST_SQUARES)
#: The Krylov methods for general square matrices (ILU is their default preconditioner).
_GENERAL = tuple(m for m in _KRYLOV if m not in ("cg", "minres"))

#: ``method=`` registry: name -> one-line description.
METHODS = {
    "cg": "conjugate gradients (symmetric positive definite)",
    "minres": "MINRES (symmetric, possibly indefinite)",
    "gmres": "restarted GMRES (general square)",
    "bicgstab": "BiCGSTAB (general square)",
    "bicg": "BiCG (general square; applies A^H: a LinearOperator needs rmatvec)",
    "cgs": "CGS, conjugate gradient squared (general square)",
    "gcrotmk": "GCROT(m,k), flexible GMRES with recycling (general square; maxiter counts "
               "outer iterations)",
    "lgmres": "LGMRES, GMRES augmented with error approximations (general square; maxiter "
              "counts outer iterations)",
    "qmr": "QMR (general square; applies A^H: a LinearOperator needs rmatvec; M is its left "
           "preconditioner, or M1/M2)",
    "tfqmr": "TFQMR, transpose-free QMR (general square)",
    "lsqr": "LSQR least squares (any shape)",
    "lsmr": "LSMR least squares (any shape)",
    "direct": "sparse LU / Cholesky (SuperLU; QDLDL on the sparsest SPD), factorization "
              "cached",
    "dense": "dense LAPACK (numpy/scipy.linalg)",
}
_METHODS_AUTO = {"auto": "let sk.plan choose", **METHODS}

#: ``precond=`` registry.
PRECONDS = {
    "auto": "what the plan picks for the method",
    "none": "no preconditioner",
    "jacobi": "inverse diagonal",
    "ilu": "incomplete LU (spilu)",
    "amg": "PyAMG algebraic multigrid, one V-cycle",
    "approx_chol": "randomized approximate Cholesky (approx-chol; graph Laplacians, SDDM)",
}

#: The preconditioners' options (:func:`sparsekit.preconditioner`), passed through by solve.
_PRECOND_OPTIONS = {
    "drop_tol": "ILU drop tolerance (spilu)",
    "fill_factor": "ILU fill factor (spilu)",
    "permc_spec": "ILU column ordering (spilu)",
    "diag_pivot_thresh": "ILU pivoting threshold (spilu)",
    "relax": "ILU supernode relaxation (spilu)",
    "panel_size": "ILU panel size (spilu)",
    "B": "AMG near-null-space vectors",
    "symmetric": "AMG: treat A as symmetric (default: checked)",
    "solver": "AMG solver: smoothed_aggregation, rootnode or air",
    "cycle": "AMG cycle: V, W or F",
}

#: Expert keyword options of ``sk.solve`` on the CPU (``backend="scipy"``): name -> meaning.
OPTIONS = {
    "history": "record the true residual ‖b − A x‖ every iteration (one extra mat-vec each)",
    "max_bytes": "memory limit of the dense path (sk.dense)",
    **{name: meaning for opts in _krylov.METHOD_OPTIONS.values()
       for name, meaning in opts.items()},
    **_PRECOND_OPTIONS,
}

#: Options that only some methods use: option -> those methods.
_METHOD_OPTIONS = {name: tuple(m for m, opts in _krylov.METHOD_OPTIONS.items() if name in opts)
                   for opts in _krylov.METHOD_OPTIONS.values() for name in opts}

# --------------------------------------------------------------------------- the system


@dataclass
class _System:
    """A validated CPU system: arrays, what the inspection found, and the work copy of b."""

    A: Any
    b: np.ndarray
    x0: np.ndarray | None
    props: Any  # MatrixProperties, or None when not inspected
    fp: str | None  # content fingerprint when a matrix like A was cached before
    bnorm: np.ndarray
    null: NullSpace | None = None  # a singular Laplacian's null space
    b_work: Any = None  # the ndarray the runners solve with, set by _project_rhs
    rtol_run: float = 0.0
    atol_run: float = 0.0
    notes: list = field(default_factory=list)

    @property
    def square(self) -> bool:
        return self.A.shape[0] == self.A.shape[1]

    @property
    def operator(self) -> bool:
        return isinstance(self.A, spla.LinearOperator)

    @property
    def nrhs(self) -> int:
        return 1 if self.b.ndim == 1 else self.b.shape[1]


@dataclass
class _Run:
    """What one runner returned: ``x`` and how it got there."""

    x: np.ndarray
    iterations: int = 0
    residuals: np.ndarray = field(default_factory=lambda: np.array([]))
    setup: float = 0.0
    solve: float = 0.0
    problems: list = field(default_factory=list)
    breakdown: bool = False  # a method stopped on a breakdown (SciPy's info < 0)
    reasons: list = field(default_factory=list)  # KrylovOutcome.reason of every column
    precond: str | None = None  # the preconditioner that ran, when not the one chosen


def _make_system(A, b, req: SolveRequest) -> _System:
    """Arrays from what the user holds, and the O(nnz) inspection the plan and checks need."""
    method = req.method
    iterative_ok = method in _KRYLOV or method in _LSQ or method == "auto"
    A = working_dtype(as_matrix(A, "A", allow_operator=iterative_ok))
    if method in _KRYLOV or method == "direct":
        check_square(A, "A")
    if method in _krylov.NEEDS_ADJOINT and not _krylov.has_adjoint(A):
        raise InputValueError(
            f"method={method!r} applies the conjugate transpose of A, but A is a "
            "LinearOperator without rmatvec; give it rmatvec=, or use a method that needs "
            "only A @ x (gmres, bicgstab, cgs, tfqmr, lgmres, gcrotmk)")
    b = working_dtype(as_rhs(b, A.shape[0]))
    x0 = None if req.x0 is None else np.asarray(req.x0)
    props = None
    # fingerprint (O(nnz) hashing) only when a matrix like this one was cached before; then
    # the inspection is cached too, so repeated solves on one matrix skip it
    fp = fingerprint(A) if sp.issparse(A) and signature(A) in SIGNATURES else None
    if not isinstance(A, spla.LinearOperator) and (req.check or method == "auto"):
        props = CACHE.get(("inspect", fp)) if fp is not None else None
        if props is None:
            props = inspect_matrix(A, components=False)  # components: only for Laplacians
            if fp is not None:
                CACHE.put(("inspect", fp), props, 1024)
    null = None
    if props is not None and props.laplacian and A.shape[0] == A.shape[1]:
        # the components once, for the plan (their count) and the projection (their labels):
        # counted twice they were 6 of luxembourg_osm's ~100 ms
        null = laplacian_null_space(A)
        props = replace(props, n_components=null.n_components)
    return _System(A, b, x0, props, fp, np.linalg.norm(b, axis=0), null=null)


def _default_precond(method, props, n):
    if method in ("cg",):
        if props is not None and props.diag_sign == "positive":
            return "amg" if n > 5000 else "jacobi"
        return "none"
    if method in _GENERAL:
        return "ilu" if props is not None and not props.operator else "none"
    return "none"


def _choose(system: _System, req: SolveRequest):
    """``(method, precond, plan)``: the plan's choice for ``auto``, the caller's otherwise."""
    method, precond, the_plan = req.method, req.precond, None
    if method == "auto":
        _progress.report("plan", n=system.A.shape[0])
        the_plan = plan_solve(system.A, nrhs=system.nrhs, rtol=req.rtol, props=system.props,
                              fp=system.fp)
        method = the_plan.method
        if precond == "auto":
            precond = the_plan.precond
    elif precond == "auto":
        precond = _default_precond(method, system.props, system.A.shape[0])
    if method not in _KRYLOV:
        precond = "none"
    elif req.M is not None or (method == "qmr" and {"M1", "M2"} & set(req.options)):
        precond = "user"
    if req.check and system.props is not None and method in ("cg", "minres") \
            and system.A.shape[0]:
        _check_fits(system, method)
    return method, precond, the_plan


def _check_fits(system: _System, method: str) -> None:
    """Refuse CG/MINRES on a nonsymmetric matrix, CG on one without a positive diagonal."""
    props, A = system.props, system.A
    if not props.symmetric:
        raise NotSymmetricError(
            f"{method.upper()} needs a symmetric matrix, but A is not symmetric to relative "
            f"tolerance 1e-10 (got {describe(A)}); use method='gmres' or 'direct', or "
            "check=False to run it anyway"
        )
    if method == "cg" and props.diag_sign != "positive" and not props.laplacian:
        raise NotSPDError(
            f"CG needs a positive definite matrix, but the diagonal of A is "
            f"{props.diag_sign} (got {describe(A)}); use method='minres' for symmetric "
            "indefinite matrices, or check=False"
        )


def _project_rhs(system: _System, rtol: float, atol: float) -> None:
    """Set the work right-hand side and tolerances; for a Laplacian, project its null space out.

    The null-space part of ``b`` is a residual no ``x`` can remove: it must be
    within the tolerance, and the range part is then solved to what is left.
    """
    s = system
    null = s.null  # _make_system found the components of every square Laplacian
    if null is None:
        s.b_work, s.rtol_run, s.atol_run = s.b, rtol, atol
        return
    pb = null.project(s.b)
    pnorm = np.linalg.norm(pb, axis=0)
    allowed = np.maximum(rtol * s.bnorm, atol)
    if np.any(pnorm > 0.5 * allowed):
        j = int(np.argmax(pnorm / np.maximum(allowed, 1e-300)))
        pj = float(np.atleast_1d(pnorm)[j])
        bj = float(np.atleast_1d(s.bnorm)[j])
        raise InconsistentSystemError(
            f"A is a graph Laplacian with {null.n_components} connected component(s), so "
            f"it is singular, and b is not in its range: b has a part of norm {pj:.3e} "
            f"({pj / max(bj, 1e-300):.2e} of ‖b‖) along the constant vector of a "
            "component, more than rtol allows; b must sum to zero on every connected "
            "component (subtract its mean per component if that is what you mean)"
        )
    s.b_work = s.b - pb
    rtol_eff = float(np.min(np.sqrt(np.maximum(allowed**2 - pnorm**2, 0))
                            / np.maximum(s.bnorm, 1e-300)))
    s.rtol_run, s.atol_run = min(rtol, rtol_eff), 0.0
    s.notes.append(f"graph Laplacian with {null.n_components} component(s): null space "
                   "projected out of b and x (minimum-norm solution)")


# --------------------------------------------------------------------------- the runners


def _columns(b):
    return [b] if b.ndim == 1 else [b[:, j] for j in range(b.shape[1])]


def _stack(xs, like):
    return xs[0] if like.ndim == 1 else np.column_stack(xs)


def _setup_precond(A, precond, M, fp, options):
    if M is not None:
        if isinstance(M, Preconditioner) or hasattr(M, "aslinearoperator"):
            return M.aslinearoperator(), "user", 0.0
        if isinstance(M, spla.LinearOperator) or sp.issparse(M) or isinstance(M, np.ndarray):
            if M.shape != (A.shape[0], A.shape[0]):
                raise ShapeError(f"M must have shape {(A.shape[0], A.shape[0])} like A "
                                 f"(got {describe(M)})")
            return spla.aslinearoperator(M), "user", 0.0
        raise InputValueError(f"M must be a LinearOperator, a matrix or a preconditioner "
                              f"object (got {describe(M)})")
    if precond in ("none", "user"):  # "user" without M: qmr's own M1/M2
        return None, precond, 0.0
    if isinstance(A, spla.LinearOperator):
        raise InputValueError(f"precond={precond!r} needs an explicit matrix, but A is a "
                              "LinearOperator; pass M= or precond='none'")
    P = _preconditioner(A, precond, fp=fp, **options)
    return P.aslinearoperator(), precond, P.setup_time


def _column_runs(fn, system: _System, x0):
    """Run ``fn(b_j, x0_j) -> KrylovOutcome`` on every column; join the outcomes."""
    b = system.b_work
    x0s = [None] * system.nrhs if x0 is None else _columns(x0)
    outs = [fn(bj, x0j) for bj, x0j in zip(_columns(b), x0s, strict=True)]
    hist = [o.residuals for o in outs]
    residuals = hist[0] if len(hist) == 1 else np.concatenate(hist) if hist else np.array([])
    return _Run(_stack([o.x for o in outs], b), max((o.iterations for o in outs), default=0),
                residuals, problems=[o.message for o in outs if o.info != 0],
                breakdown=any(o.info < 0 for o in outs),
                reasons=[o.reason for o in outs if o.info != 0])


def _solve_krylov(system: _System, method, precond, req: SolveRequest, opts) -> _Run:
    t0 = time.perf_counter()
    try:
        Mop, _, _ = _setup_precond(system.A, precond, req.M, system.fp, opts["precond"])
    except SingularMatrixError as exc:  # ILU met a zero pivot
        if req.precond != "auto":
            raise
        system.notes.append(f"precond {precond!r} failed ({exc}); ran without one")
        Mop, precond = None, "none"
    if method in _krylov.NEEDS_ADJOINT and not _krylov.has_adjoint(Mop):
        what = "M" if req.M is not None else f"precond={precond!r}"
        raise InputValueError(
            f"method={method!r} applies the conjugate transpose of the preconditioner too, "
            f"but {what} cannot apply it (a LinearOperator without rmatvec, or an AMG cycle "
            "of a nonsymmetric matrix); use precond='ilu' or 'jacobi', or a method that "
            "needs only M @ x (gmres, bicgstab, cgs, tfqmr, lgmres, gcrotmk)")
    if method == "minres" and (system.A.dtype.kind == "c" or np.iscomplexobj(system.b_work)):
        system.notes.append("complex Hermitian A or complex b: MINRES on the equivalent real "
                            "symmetric system of order 2n (SciPy's minres is real only; same "
                            "iterates)")
    t1 = time.perf_counter()
    run = _column_runs(
        lambda bj, x0j: _krylov.krylov(method, system.A, bj, rtol=system.rtol_run,
                                       atol=system.atol_run, maxiter=req.maxiter, x0=x0j,
                                       M=Mop, callback=req.callback, history=opts["history"],
                                       **opts["method"]),
        system, system.x0)
    run.setup, run.solve, run.precond = t1 - t0, time.perf_counter() - t1, precond
    return run


def _solve_lsq(system: _System, method, precond, req: SolveRequest, opts) -> _Run:
    t1 = time.perf_counter()
    run = _column_runs(
        lambda bj, x0j: _krylov.least_squares(method, system.A, bj, rtol=system.rtol_run,
                                              atol=system.atol_run, maxiter=req.maxiter,
                                              x0=x0j, **opts["method"]),
        system, system.x0)
    run.solve = time.perf_counter() - t1
    return run


def _solve_direct(system: _System, method, precond, req: SolveRequest, opts) -> _Run:
    A, b = system.A, system.b_work
    t0 = time.perf_counter()
    # the inspection checked the symmetry already (a grounded R of a symmetric A is symmetric)
    sym = None if system.props is None else system.props.symmetric
    if system.null is not None:
        R, keep = system.null.grounded(A)
        F = _factorize(R, "auto", symmetric=sym)
        t1 = time.perf_counter()
        x = np.zeros(b.shape, dtype=np.result_type(b.dtype, F.dtype))
        x[keep] = F.solve(b[keep])
        hit = False
    else:
        fp = system.fp or fingerprint(A)
        hit = CACHE.contains(factor_key(fp, "auto"))
        F = _factorize(A, "auto", fp=fp, symmetric=sym)
        t1 = time.perf_counter()
        x = F.solve(b)
    system.notes.append(f"{F.kind} factorization ({F.engine}, fill ratio {F.fill_ratio:.2f}, "
                        f"{'reused from the cache' if hit else f'{F.setup_time:.3g}s'})")
    return _Run(x, setup=t1 - t0, solve=time.perf_counter() - t1)


def _solve_dense(system: _System, method, precond, req: SolveRequest, opts) -> _Run:
    """Dense LAPACK, all BLAS threads (least squares for a rectangular A)."""
    A, b, max_bytes = system.A, system.b_work, opts["max_bytes"]
    rtol, atol = system.rtol_run, system.atol_run
    t1 = time.perf_counter()
    if not system.square:
        r = _dense.lstsq(A, b, rtol=rtol, atol=atol, max_bytes=max_bytes)
        return _Run(r.x, solve=time.perf_counter() - t1)
    if system.null is not None:
        R, keep = system.null.grounded(A)
        r = _dense.solve(R, b[keep], rtol=rtol, atol=atol, max_bytes=max_bytes)
        x = np.zeros(b.shape, dtype=r.x.dtype)
        x[keep] = r.x
    else:
        with warnings.catch_warnings(record=True) as caught:
            # the dense condition estimate goes into the notes; the residual check decides
            warnings.simplefilter("always", category=IllConditionedWarning)
            r = _dense.solve(A, b, rtol=rtol, atol=atol, max_bytes=max_bytes)
        system.notes.extend(str(w.message) for w in caught
                            if issubclass(w.category, IllConditionedWarning))
        x = r.x
    system.notes.extend(r.notes)
    return _Run(x, solve=time.perf_counter() - t1)


def _solve_empty(system: _System, method, precond, req: SolveRequest, opts) -> _Run:
    """A system with no unknowns or no equations: ``x`` is zeros, nothing runs.

    A 0 x 0 system is solved by the empty ``x`` (as ``numpy.linalg.solve``,
    :func:`sparsekit.factorize` and :func:`sparsekit.plan` have it); with
    ``n = 0`` unknowns the empty ``x`` is also the least-squares solution.
    """
    A, b = system.A, system.b_work
    dtype = np.result_type(A.dtype, b.dtype, np.float64)
    system.notes.append(f"empty system ({A.shape[0]} x {A.shape[1]}): x has "
                        f"{A.shape[1]} entries, nothing to iterate or factorize")
    return _Run(np.zeros((A.shape[1],) + b.shape[1:], dtype=dtype))


#: ``method`` -> the runner of its family.
_SOLVERS = {**dict.fromkeys(_KRYLOV, _solve_krylov), **dict.fromkeys(_LSQ, _solve_lsq),
            "direct": _solve_direct, "dense": _solve_dense}


def _split_options(req: SolveRequest, method: str, precond: str, notes: list) -> dict:
    """The expert options by who uses them; one that ``method`` cannot use is refused.

    ``history``, ``max_bytes`` and the preconditioner's options are used where
    they apply and ignored elsewhere, except a preconditioner option given with
    an explicit ``precond=`` that does not take it (``drop_tol`` with
    ``precond="amg"``), which is an error; a method's own option (``restart``)
    given to another method is an error, or a note when ``auto`` chose the method.
    """
    auto = req.method == "auto"
    options = dict(req.options)
    given = {k: options.pop(k) for k in list(options) if k in _PRECOND_OPTIONS}
    kind_opts = KIND_OPTIONS.get(precond, frozenset())
    for name in sorted(set(given) - kind_opts):
        if req.precond in KIND_OPTIONS and name not in KIND_OPTIONS[req.precond]:
            raise InputValueError(f"option {name!r} does not apply to "
                                  f"precond={req.precond!r}")
        notes.append(f"option {name}={given.pop(name)!r} ignored: the preconditioner is "
                     f"{precond!r}")
    split = {"history": bool(options.pop("history", False)),
             "max_bytes": options.pop("max_bytes", None),
             "precond": given,
             "method": {}}
    for name, value in options.items():
        if method in _METHOD_OPTIONS.get(name, ()):
            split["method"][name] = value
        elif auto:
            notes.append(f"option {name}={value!r} ignored: auto chose method={method!r}")
        else:
            raise InputValueError(
                f"option {name!r} applies to method "
                f"{' or '.join(map(repr, _METHOD_OPTIONS[name]))}, not {method!r}")
    split["method"] = _krylov.check_method_options(method, split["method"])
    return split


# --------------------------------------------------------------------------- sk.solve


def solve(A: OperatorLike, b: npt.ArrayLike, method: str = "auto", precond: str = "auto",
          backend: str = "auto", rtol: float | None = None, atol: float = 0.0,
          maxiter: int | None = None, x0: npt.ArrayLike | None = None,
          M: OperatorLike | Preconditioner | None = None, callback: Callback | None = None,
          strict: bool = False, check: bool = True, **options: Any) -> SolveResult:
    """Solve ``A x = b`` (or least squares) with the right method, and say which and why.

    Parameters
    ----------
    A : sparse matrix or array, ndarray or LinearOperator
        The matrix (square, or any shape for ``lsqr``/``lsmr``/``dense``).
        CuPy arrays go to the GPU backend.
    b : array_like, shape (n,) or (n, k)
        Right-hand side(s); with ``k`` of them a factorization is reused for the block.
    method : str, default="auto"
        A key of :data:`METHODS`, or ``"auto"`` to follow :func:`sparsekit.plan`.
    precond : {"auto", "none", "jacobi", "ilu", "amg"}, default="auto"
        Preconditioner of the Krylov methods (ignored by direct ones).
    backend : {"auto", "scipy", "cupy", "petsc"}, default="auto"
        Where to compute.
    rtol : float, optional
        Converged means ``‖b − A x‖ ≤ max(rtol·‖b‖, atol)``, on the recomputed residual.
        Default: ``1e-8``, or ``1e-4`` when ``A`` is single precision (``float32``,
        ``complex64``: about 7 digits, so ``1e-8`` is out of reach;
        :data:`sparsekit._requests.DEFAULT_RTOL`).
    atol : float, default=0.0
        Absolute tolerance.
    maxiter : int, optional
        Iteration limit of the iterative methods (GMRES: inner iterations).
    x0 : array_like, optional
        Starting guess (iterative methods), shaped like ``x``.
    M : LinearOperator, matrix or preconditioner object, optional
        A preconditioner of your own (approximates ``A^{-1}``); overrides ``precond``.
    callback : callable, optional
        Called after each iteration with the iterate (GMRES: the residual norm).
    strict : bool, default=False
        Raise :class:`~sparsekit.NoConvergence` instead of warning.
    check : bool, default=True
        Inspect ``A`` (O(nnz)): refuse CG/MINRES on a nonsymmetric matrix, CG on one
        without a positive diagonal, and detect graph Laplacians.  ``check=False``
        skips all of it.
    **options
        Expert options of the backend, each refused by name where it does not
        apply (:data:`OPTIONS` on the CPU): ``drop_tol``, ``fill_factor`` (ILU),
        ``B``, ``symmetric``, ``solver``, ``cycle`` (AMG) go to
        :func:`sparsekit.preconditioner`; ``history=True`` records the true
        residual every iteration (one extra mat-vec each); ``max_bytes`` bounds
        the dense path; ``restart`` is GMRES's.  ``backend="petsc"`` takes
        ``options={...}`` (PETSc's options database) and ``gather``;
        ``backend="cupy"`` takes ``xp_name``, ``smoother`` and ``sweeps``.

    Returns
    -------
    SolveResult
        ``x``, ``converged``, ``iterations``, ``residuals``, ``relative_residual``
        (true, recomputed), ``method``, ``precond``, ``backend``, ``timings``
        (``setup``/``solve``), ``plan`` (with ``method="auto"``) and ``notes``.  A
        solve that did not converge says why in the warning (``rtol`` below what the
        dtype can certify, a breakdown, stagnation, ``maxiter`` reached, an
        ill-conditioned factorization) and adds the condition estimate and what to
        try to ``notes`` (``precond="amg"``, ``method="direct"`` with its estimated
        memory, a larger ``maxiter``, a looser ``rtol``, double precision).
        Progress is reported through :func:`sparsekit.progress`.

    Raises
    ------
    ShapeError, NotSquareError
        ``b`` does not match ``A``; a square-only method got a rectangular ``A``.
    InputValueError
        NaN or Inf in ``A`` or ``b``; a zero diagonal with ``precond="jacobi"``.
    NotSymmetricError, NotSPDError
        CG/MINRES on a matrix the check finds nonsymmetric (CG: or without a positive
        diagonal).
    InconsistentSystemError
        A singular Laplacian system whose ``b`` is not in the range of ``A``.
    UnknownMethodError
        An unknown ``method``/``precond``/``backend``; the message lists the valid ones.

    See Also
    --------
    scipy.sparse.linalg.spsolve, scipy.sparse.linalg.cg, pyamg.solve

    Examples
    --------
    >>> import numpy as np
    >>> import sparsekit as sk
    >>> A = sk.datasets.load("poisson2d_64")
    >>> b = np.ones(A.shape[0])
    >>> r = sk.solve(A, b)
    >>> r.method, r.converged, r.relative_residual < 1e-8
    ('direct', True, True)
    >>> sk.solve(A, b, method="cg", precond="amg").iterations < 20
    True
    """
    backend = _registry.resolve(A, backend)
    mod = None if backend == "scipy" else _registry.load(backend)
    req = solve_request(
        shape_of(A), shape_of(b), backend=backend, method=method, precond=precond,
        rtol=default_rtol(dtype_of(A), dtype_of(b)) if rtol is None else rtol, atol=atol,
        maxiter=maxiter, x0=x0, M=M, callback=callback, strict=strict, check=check,
        options=options,
        methods=_METHODS_AUTO if mod is None else mod.SOLVE_METHODS,
        preconds=PRECONDS if mod is None else mod.SOLVE_PRECONDS,
        option_names=OPTIONS if mod is None else mod.SOLVE_OPTIONS,
        elsewhere=_registry.options_elsewhere("SOLVE", backend, options))
    if mod is not None:
        return mod.run_solve(A, b, req)
    # every option checked before any work on the matrix (an explicit method's own options,
    # the preconditioner's values, an option the explicit precond does not take)
    check_option_values({k: v for k, v in req.options.items() if k in _PRECOND_OPTIONS})
    if req.method != "auto":
        _split_options(req, req.method, req.precond, [])

    t0 = time.perf_counter()
    _progress.report("inspect", n=(shape_of(A) or (None,))[0], nnz=getattr(A, "nnz", None))
    system = _make_system(A, b, req)
    method, precond, the_plan = _choose(system, req)
    opts = _split_options(req, method, precond, system.notes)
    _project_rhs(system, req.rtol, req.atol)
    t_setup = time.perf_counter() - t0
    runner = _solve_empty if 0 in system.A.shape else _SOLVERS[method]
    run = runner(system, method, precond, req, opts)
    precond = run.precond or precond
    x, conv, rel = finish(system, run.x, method, req.rtol, req.atol)
    t_setup, t_solve, its = t_setup + run.setup, run.solve, run.iterations
    if not conv and may_fall_back(system, the_plan, method):
        system.notes.append(f"{method} + {precond} did not converge "
                            f"({run.problems[0] if run.problems else 'tolerance not met'}); "
                            "fell back to the direct method")
        _progress.report("fallback", method="direct")
        method, precond = "direct", "none"
        run = _solve_direct(system, method, precond, req, opts)
        x, conv, rel = finish(system, run.x, method, req.rtol, req.atol)
        t_setup, t_solve, its = t_setup + run.setup, t_solve + run.solve, run.iterations
        logger.info("auto fell back to direct in %.3gs", run.setup + run.solve)
    why = explain(system, run, method, precond, req, rel, x, the_plan) if not conv else ""
    result = SolveResult(x, conv, int(its), np.asarray(run.residuals, dtype=float), rel, method,
                         precond, "scipy", {"setup": t_setup, "solve": t_solve}, the_plan,
                         tuple(system.notes), breakdown=bool(run.breakdown and not conv))
    if not conv:
        msg = (f"{method} (precond {precond}) did not converge: relative residual {rel:.3e} > "
               f"rtol={req.rtol:g} after {its} iterations; {why} (the notes say what to try)")
        report_nonconvergence(msg, result, strict, stacklevel=3)
    return result
