"""``sk.solve``: one entry point for ``A x = b`` that picks the method, says why, and checks.

Registries: :data:`METHODS` (``cg``, ``minres``, ``gmres``, ``bicgstab``,
``lsqr``, ``lsmr``, ``direct``, ``dense``), :data:`PRECONDS` (``auto``,
``none``, ``jacobi``, ``ilu``, ``amg``) and :data:`BACKENDS` (``auto``,
``scipy``, ``cupy``, ``petsc``).

Policies:

* the TRUE residual ``‖b − A x‖`` is recomputed at the end, whatever the
  method reported; ``converged`` is :func:`sparsekit._validate.is_converged` on it
  (least-squares methods: on the normal equations, ``‖Aᴴ r‖ ≤ rtol·‖A‖_F·‖r‖``);
* not converged: ``converged=False`` and a :class:`~sparsekit.ConvergenceWarning`,
  or :class:`~sparsekit.NoConvergence` with ``strict=True``; when ``auto`` chose an
  iterative method that did not converge and a sparse factorization fits in
  memory, the direct method runs instead (stated in ``notes``);
* a graph Laplacian (singular, constant null vector per connected component)
  is solved with the null space projected out of ``b`` and of ``x`` (the
  minimum-norm solution); a ``b`` with a component along the null space larger
  than the tolerance allows raises :class:`~sparsekit.InconsistentSystemError`.
"""

from __future__ import annotations

import logging
import time
import warnings

import numpy as np
import scipy.sparse as sp
import scipy.sparse.csgraph as csgraph
import scipy.sparse.linalg as spla

from .._choices import BACKENDS
from .._requests import shape_of, solve_request
from .._validate import (
    as_matrix,
    as_rhs,
    check_square,
    describe,
    is_converged,
)
from ..backends import _registry
from ..errors import (
    IllConditionedWarning,
    InconsistentSystemError,
    InputValueError,
    NotSPDError,
    NotSymmetricError,
    ShapeError,
    report_nonconvergence,
)
from ..results import SolveResult
from . import _krylov
from . import dense as _dense
from ._cache import CACHE, fingerprint
from ._inspect import factor_memory, inspect_matrix
from .factor import SIGNATURES, _factorize, signature
from .factor import cache_key as factor_key
from .plan import plan_solve
from .precond import Preconditioner, _preconditioner

__all__ = ["solve", "METHODS", "PRECONDS", "BACKENDS"]

logger = logging.getLogger(__name__)

_KRYLOV = ("cg", "minres", "gmres", "bicgstab")
_LSQ = ("lsqr", "lsmr")

#: ``method=`` registry: name -> one-line description.
METHODS = {
    "cg": "conjugate gradients (symmetric positive definite)",
    "minres": "MINRES (symmetric, possibly indefinite)",
    "gmres": "restarted GMRES (general square)",
    "bicgstab": "BiCGSTAB (general square)",
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
    "restart": "GMRES restart length (default 50)",
    **_PRECOND_OPTIONS,
}

#: ``auto`` falls back to a factorization after a failed iterative solve only when the
#: estimated factor is below this many bytes and the mesh is not 3-D (measured: SuperLU on a
#: 48^3 Poisson took 100 s with fill 138).
FALLBACK_MAX_BYTES = 1024**3


def _default_precond(method, props, n):
    if method in ("cg",):
        if props is not None and props.diag_sign == "positive":
            return "amg" if n > 5000 else "jacobi"
        return "none"
    if method in ("gmres", "bicgstab"):
        return "ilu" if props is not None and not props.operator else "none"
    return "none"


def _null_space(A, props):
    """Component labels and sizes of a Laplacian (its null space: constants per component)."""
    G = sp.csr_array(A) if sp.issparse(A) else sp.csr_array(np.asarray(A))
    ncomp, labels = csgraph.connected_components(G, directed=False)
    return labels, np.bincount(labels, minlength=ncomp)


def _project(v, labels, counts):
    """The component of ``v`` along the constant vectors of each component."""
    if v.ndim == 1:
        means = np.bincount(labels, weights=v.real, minlength=counts.size) / counts
        if np.iscomplexobj(v):
            means = means + 1j * np.bincount(labels, weights=v.imag, minlength=counts.size) / counts
        return means[labels]
    return np.column_stack([_project(v[:, j], labels, counts) for j in range(v.shape[1])])


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
    if precond == "none":
        return None, "none", 0.0
    if isinstance(A, spla.LinearOperator):
        raise InputValueError(f"precond={precond!r} needs an explicit matrix, but A is a "
                              "LinearOperator; pass M= or precond='none'")
    P = _preconditioner(A, precond, fp=fp, **options)
    return P.aslinearoperator(), precond, P.setup_time


def _run_krylov(method, A, b, x0, rtol, atol, maxiter, Mop, callback, history, options):
    xs, its, hist, infos, msgs = [], 0, [], [], []
    x0s = [None] * (1 if b.ndim == 1 else b.shape[1]) if x0 is None else _columns(x0)
    for bj, x0j in zip(_columns(b), x0s, strict=True):
        out = _krylov.krylov(method, A, bj, rtol=rtol, atol=atol, maxiter=maxiter, x0=x0j,
                            M=Mop, callback=callback, history=history, **options)
        xs.append(out.x)
        its = max(its, out.iterations)
        hist.append(out.residuals)
        infos.append(out.info)
        msgs.append(out.message)
    residuals = hist[0] if len(hist) == 1 else np.concatenate(hist) if hist else np.array([])
    bad = [m for i, m in zip(infos, msgs, strict=True) if i != 0]
    return _stack(xs, b), its, residuals, bad


def _run_lsq(method, A, b, x0, rtol, atol, maxiter, options):
    xs, its, hist, bad = [], 0, [], []
    x0s = [None] * (1 if b.ndim == 1 else b.shape[1]) if x0 is None else _columns(x0)
    for bj, x0j in zip(_columns(b), x0s, strict=True):
        out = _krylov.least_squares(method, A, bj, rtol=rtol, atol=atol, maxiter=maxiter,
                                   x0=x0j, **options)
        xs.append(out.x)
        its = max(its, out.iterations)
        hist.append(out.residuals)
        if out.info != 0:
            bad.append(out.message)
    return _stack(xs, b), its, np.concatenate(hist), bad


def _grounded(A, labels, counts):
    """Remove one node per component: the reduced Laplacian is nonsingular."""
    first = np.zeros(A.shape[0], dtype=bool)
    first[np.unique(labels, return_index=True)[1]] = True
    keep = np.flatnonzero(~first)
    if sp.issparse(A):
        R = sp.csr_array(A)[keep][:, keep]
    else:
        R = np.asarray(A)[np.ix_(keep, keep)]
    return R, keep


def _normal_eq_ok(A, r, rtol, atol):
    """Least-squares optimality: ‖Aᴴ r‖ ≤ rtol·‖A‖_F·‖r‖ for every column."""
    Ahr = A.conj().T @ r if not isinstance(A, spla.LinearOperator) else A.rmatvec(r)
    fro = (np.sqrt(np.sum(np.abs(A.data) ** 2)) if sp.issparse(A)
           else np.linalg.norm(np.asarray(A)))
    a = np.linalg.norm(Ahr, axis=0)
    rn = np.linalg.norm(r, axis=0)
    ratio = float(np.max(a / np.maximum(fro * rn, 1e-300)))
    return bool(np.all(a <= rtol * fro * rn) or np.all(rn <= atol)), ratio


def solve(A, b, method: str = "auto", precond: str = "auto", backend: str = "auto",
          rtol: float = 1e-8, atol: float = 0.0, maxiter: int | None = None, x0=None, M=None,
          callback=None, strict: bool = False, check: bool = True, **options) -> SolveResult:
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
    rtol, atol : float, default=1e-8, 0.0
        Converged means ``‖b − A x‖ ≤ max(rtol·‖b‖, atol)``, on the recomputed residual.
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
        ``drop_tol``, ``fill_factor`` (ILU), ``B``, ``symmetric``, ``solver``,
        ``cycle`` (AMG) go to :func:`sparsekit.preconditioner`; ``history=True``
        records the true residual every iteration (one extra mat-vec each);
        ``max_bytes`` bounds the dense path; anything else goes to the SciPy
        method (``restart`` for GMRES, for example).

    Returns
    -------
    SolveResult
        ``x``, ``converged``, ``iterations``, ``residuals``, ``relative_residual``
        (true, recomputed), ``method``, ``precond``, ``backend``, ``timings``
        (``setup``/``solve``), ``plan`` (with ``method="auto"``) and ``notes``.

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
    if backend == "scipy":
        methods, preconds, option_names, mod = _METHODS_AUTO, PRECONDS, OPTIONS, None
    else:
        mod = _registry.load(backend)
        methods, preconds, option_names = (mod.SOLVE_METHODS, mod.SOLVE_PRECONDS,
                                           mod.SOLVE_OPTIONS)
    req = solve_request(shape_of(A), shape_of(b), backend=backend, method=method,
                        precond=precond, rtol=rtol, atol=atol, maxiter=maxiter, x0=x0, M=M,
                        callback=callback, strict=strict, check=check, options=options,
                        methods=methods, preconds=preconds, option_names=option_names,
                        elsewhere=_registry.options_elsewhere("SOLVE", backend, options))
    if mod is not None:
        return mod.run_solve(A, b, req)
    rtol, atol, maxiter = req.rtol, req.atol, req.maxiter
    options = dict(req.options)
    history = bool(options.pop("history", False))
    max_bytes = options.pop("max_bytes", None)
    pre_opts = {k: options.pop(k) for k in list(options) if k in _PRECOND_OPTIONS}

    t0 = time.perf_counter()
    iterative_ok = method in _KRYLOV or method in _LSQ or method == "auto"
    A = as_matrix(A, "A", allow_operator=iterative_ok)
    if method in _KRYLOV or method == "direct":
        check_square(A, "A")
    b = as_rhs(b, A.shape[0])
    ncols = A.shape[1]
    if x0 is not None:
        x0 = np.asarray(x0)
        want = (ncols,) if b.ndim == 1 else (ncols, b.shape[1])
        if x0.shape != want:
            raise ShapeError(f"x0 must have shape {want} like x (got shape {x0.shape})")
    is_op = isinstance(A, spla.LinearOperator)
    square = A.shape[0] == A.shape[1]
    props = None
    # fingerprint (O(nnz) hashing) only when a matrix like this one was cached before; then
    # the inspection is cached too, so repeated solves on one matrix skip it
    fp = fingerprint(A) if sp.issparse(A) and signature(A) in SIGNATURES else None
    if not is_op and (check or method == "auto"):
        props = CACHE.get(("inspect", fp)) if fp is not None else None
        if props is None:
            props = inspect_matrix(A, components=False)  # components: only for Laplacians
            if fp is not None:
                CACHE.put(("inspect", fp), props, 1024)
    nrhs = 1 if b.ndim == 1 else b.shape[1]
    the_plan = None
    notes: list[str] = []
    auto = method == "auto"
    if auto:
        the_plan = plan_solve(A, nrhs=nrhs, rtol=rtol, props=props, fp=fp)
        method = the_plan.method
        if precond == "auto":
            precond = the_plan.precond
    elif precond == "auto":
        precond = _default_precond(method, props, A.shape[0])
    if method not in _KRYLOV:
        precond = "none"
    elif M is not None:
        precond = "user"
    if check and props is not None and method in ("cg", "minres"):
        name = method.upper()
        if not props.symmetric:
            raise NotSymmetricError(
                f"{name} needs a symmetric matrix, but A is not symmetric to relative "
                f"tolerance 1e-10 (got {describe(A)}); use method='gmres' or 'direct', or "
                "check=False to run it anyway"
            )
        if method == "cg" and props.diag_sign != "positive" and not props.laplacian:
            raise NotSPDError(
                f"CG needs a positive definite matrix, but the diagonal of A is "
                f"{props.diag_sign} (got {describe(A)}); use method='minres' for symmetric "
                "indefinite matrices, or check=False"
            )

    # ---- singular Laplacian: project the null space out ------------------------------
    laplacian = props is not None and props.laplacian and square
    b_work = b
    labels = counts = None
    bnorm = np.linalg.norm(b, axis=0)
    if laplacian:
        labels, counts = _null_space(A, props)
        pb = _project(b, labels, counts)
        pnorm = np.linalg.norm(pb, axis=0)
        allowed = np.maximum(rtol * bnorm, atol)
        if np.any(pnorm > 0.5 * allowed):
            j = int(np.argmax(pnorm / np.maximum(allowed, 1e-300)))
            pj = float(np.atleast_1d(pnorm)[j])
            bj = float(np.atleast_1d(bnorm)[j])
            raise InconsistentSystemError(
                f"A is a graph Laplacian with {counts.size} connected component(s), so it is "
                f"singular, and b is not in its range: b has a part of norm {pj:.3e} "
                f"({pj / max(bj, 1e-300):.2e} of ‖b‖) along the constant vector of a "
                "component, more than rtol allows; b must sum to zero on every connected "
                "component (subtract its mean per component if that is what you mean)"
            )
        b_work = b - pb
        # the null-space part of b is a residual no x can remove; tighten the range part
        rtol_eff = float(np.min(np.sqrt(np.maximum(allowed**2 - pnorm**2, 0))
                                / np.maximum(bnorm, 1e-300)))
        rtol_run, atol_run = min(rtol, rtol_eff), 0.0
        notes.append(f"graph Laplacian with {counts.size} component(s): null space projected "
                     "out of b and x (minimum-norm solution)")
    else:
        rtol_run, atol_run = rtol, atol

    t_setup = time.perf_counter() - t0
    x, its, residuals, t_pre, t_solve, bad = _run(
        method, A, b_work, x0, rtol_run, atol_run, maxiter, M, precond, callback, history,
        options, pre_opts, max_bytes, laplacian, labels, counts, fp, notes)
    t_setup += t_pre

    def finish(x, method):
        if laplacian:
            x = x - _project(x, labels, counts)
        r = b - A @ x
        rnorm = np.linalg.norm(r, axis=0)
        rel = float(np.max(rnorm / np.where(bnorm == 0, 1.0, bnorm)))
        conv = is_converged(rnorm, bnorm, rtol, atol)
        if not conv and (method in _LSQ or (method == "dense" and not square)):
            conv, ratio = _normal_eq_ok(A, r, rtol, atol)
            notes.append(f"least squares: ‖Aᴴr‖/(‖A‖_F‖r‖) = {ratio:.2e} "
                         f"({'<=' if conv else '>'} rtol)")
        return x, conv, rel

    x, conv, rel = finish(x, method)
    d = the_plan.properties.get("mesh_dimension") if the_plan is not None else None
    if (not conv and auto and method in _KRYLOV and sp.issparse(A) and square
            and (d is None or d <= 2)
            and factor_memory(A.shape[0], A.nnz, d, bool(props and props.symmetric))
            < FALLBACK_MAX_BYTES):
        notes.append(f"{method} + {precond} did not converge "
                     f"({bad[0] if bad else 'tolerance not met'}); fell back to the direct "
                     "method")
        t1 = time.perf_counter()
        x2, its, residuals, t_pre2, t_solve2, bad = _run(
            "direct", A, b_work, None, rtol_run, atol_run, maxiter, None, "none", None,
            False, {}, {}, max_bytes, laplacian, labels, counts, fp, notes)
        method, precond = "direct", "none"
        t_setup += t_pre2
        t_solve += t_solve2
        x, conv, rel = finish(x2, method)
        logger.info("auto fell back to direct in %.3gs", time.perf_counter() - t1)
    result = SolveResult(x, conv, int(its), np.asarray(residuals, dtype=float), rel, method,
                         precond, "scipy", {"setup": t_setup, "solve": t_solve}, the_plan,
                         tuple(notes))
    if not conv:
        why = f"; {bad[0]}" if bad else ""
        msg = (f"{method} (precond {precond}) stopped at relative residual {rel:.3e} > "
               f"rtol={rtol:g} after {its} iterations{why}")
        report_nonconvergence(msg, result, strict, stacklevel=3)
    return result


def _run(method, A, b, x0, rtol, atol, maxiter, M, precond, callback, history, options,
         pre_opts, max_bytes, laplacian, labels, counts, fp, notes):
    """Run one method; returns (x, iterations, residuals, setup s, solve s, problems)."""
    if method in _KRYLOV:
        t0 = time.perf_counter()
        Mop, used, _ = _setup_precond(A, precond, M, fp, pre_opts)
        t1 = time.perf_counter()
        x, its, res, bad = _run_krylov(method, A, b, x0, rtol, atol, maxiter, Mop, callback,
                                       history, options)
        return x, its, res, t1 - t0, time.perf_counter() - t1, bad
    if method in _LSQ:
        t1 = time.perf_counter()
        x, its, res, bad = _run_lsq(method, A, b, x0, rtol, atol, maxiter, options)
        return x, its, res, 0.0, time.perf_counter() - t1, bad
    if options:
        raise InputValueError(f"method={method!r} takes no options {sorted(options)}")
    if method == "direct":
        t0 = time.perf_counter()
        if laplacian:
            R, keep = _grounded(A, labels, counts)
            F = _factorize(R, "auto")
            t1 = time.perf_counter()
            x = np.zeros(b.shape, dtype=np.result_type(b.dtype, F.dtype))
            x[keep] = F.solve(b[keep])
            hit = False
        else:
            fp = fp or fingerprint(A)
            hit = CACHE.contains(factor_key(fp, "auto"))
            F = _factorize(A, "auto", fp=fp)
            t1 = time.perf_counter()
            x = F.solve(b)
        notes.append(f"{F.kind} factorization ({F.engine}, fill ratio {F.fill_ratio:.2f}, "
                     f"{'reused from the cache' if hit else f'{F.setup_time:.3g}s'})")
        return x, 0, np.array([]), t1 - t0, time.perf_counter() - t1, []
    # dense: LAPACK, all BLAS threads
    t1 = time.perf_counter()
    if A.shape[0] != A.shape[1]:
        r = _dense.lstsq(A, b, rtol=rtol, atol=atol, max_bytes=max_bytes)
        return r.x, 0, np.array([]), 0.0, time.perf_counter() - t1, []
    if laplacian:
        R, keep = _grounded(A, labels, counts)
        r = _dense.solve(R, b[keep], rtol=rtol, atol=atol, max_bytes=max_bytes)
        x = np.zeros(b.shape, dtype=r.x.dtype)
        x[keep] = r.x
    else:
        with warnings.catch_warnings(record=True) as caught:
            # the dense condition estimate goes into the notes; the residual check decides
            warnings.simplefilter("always", category=IllConditionedWarning)
            r = _dense.solve(A, b, rtol=rtol, atol=atol, max_bytes=max_bytes)
        notes.extend(str(w.message) for w in caught
                     if issubclass(w.category, IllConditionedWarning))
        x = r.x
    notes.extend(r.notes)
    return x, 0, np.array([]), 0.0, time.perf_counter() - t1, []
