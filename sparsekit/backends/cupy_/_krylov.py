"""Krylov solves in the namespace: CG, MINRES and GMRES with Jacobi or device AMG.

:func:`run_solve` takes a validated :class:`~sparsekit._requests.SolveRequest`
(``sk.solve(..., backend="cupy")`` builds one against :data:`SOLVE_METHODS`,
:data:`SOLVE_PRECONDS` and :data:`SOLVE_OPTIONS`; the keyword function
:func:`solve` builds the same one) and reads like the policy:

1. :func:`_system`: ``A``, ``b`` and ``x0`` moved to the namespace (every copy
   noted), the checks that need the entries, the structure of ``A``;
2. :func:`_choose_method`: CG, MINRES or GMRES by that structure;
3. :func:`_project_rhs`: a singular graph Laplacian's null space projected out of ``b``;
4. :func:`_preconditioner`: Jacobi, the device AMG, or the caller's ``M``;
5. :data:`_RUNNERS`: the method, column by column, restarted on the true residual;
6. :func:`_result`: the true residual, the copy back, the non-convergence policy.

SciPy's and cupyx's ``(x, info)`` are translated here, once, into a
:class:`~sparsekit.results.SolveResult` whose residual is recomputed in the
namespace (‖b − A x‖ for every column), whatever the Krylov method reported.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..._requests import SolveRequest, shape_of, solve_request
from ..._validate import is_converged
from ...errors import (
    BackendError,
    InconsistentSystemError,
    InputValueError,
    report_nonconvergence,
)
from ...results import SolveResult
from ._amg import AMG_OPTIONS, DeviceAMG
from ._checks import DeviceProperties, check_matrix, check_rhs, components, inspect_device
from ._namespace import (
    NAMESPACE_OPTIONS,
    Namespace,
    is_device,
    resolve,
    to_device,
    to_host,
)

__all__ = ["solve", "run_solve", "SOLVE_METHODS", "SOLVE_PRECONDS", "SOLVE_OPTIONS", "METHODS",
           "PRECONDS"]

#: Krylov methods of the GPU backend.
SOLVE_METHODS = {
    "auto": "cg for symmetric A with a positive diagonal, minres for other symmetric A, "
            "gmres otherwise",
    "cg": "conjugate gradients (cupyx.scipy.sparse.linalg.cg)",
    "minres": "MINRES for symmetric indefinite A (cupyx.scipy.sparse.linalg.minres)",
    "gmres": "restarted GMRES (cupyx.scipy.sparse.linalg.gmres)",
}

#: Preconditioners of the GPU backend.
SOLVE_PRECONDS = {
    "auto": "amg with cg, jacobi with minres (|diagonal|) and gmres",
    "none": "no preconditioner",
    "jacobi": "inverse diagonal (|diagonal| for minres, which needs an SPD preconditioner)",
    "amg": "PyAMG smoothed-aggregation hierarchy set up on the host, V-cycle on the device",
}

#: Expert keyword options of ``sk.solve(..., backend="cupy")``.
SOLVE_OPTIONS = {**NAMESPACE_OPTIONS, **AMG_OPTIONS}

#: The names before the backend contract (``sparsekit.backends._registry``).
METHODS = SOLVE_METHODS
PRECONDS = SOLVE_PRECONDS

_REFINEMENTS = 3  # restarts on the true residual when a method's own test stops short


@dataclass
class _System:
    """``A x = b`` in the namespace, and what the choices and the result read."""

    ns: Namespace
    A: Any  # a sparse matrix, dense array or LinearOperator of the namespace
    host: Any  # the host matrix A was copied from (PyAMG sets up from it), else None
    b: Any  # float, (n,) or (n, k), in the namespace
    x0: Any
    b_on_host: bool  # x is copied back to the host at the end
    props: DeviceProperties | None  # None for a LinearOperator
    notes: list[str]


@dataclass(frozen=True)
class _Outcome:
    """What a runner hands back: ``x`` and the Krylov method's own counts."""

    x: Any
    iterations: int
    history: list[float]
    restarts: int


@dataclass(frozen=True)
class _Components:
    """A graph Laplacian's connected components: its null space is their constant vectors."""

    labels: Any  # component of every row, in the namespace
    counts: Any  # rows per component (float), in the namespace

    def project(self, xp, v):
        """``v`` minus its mean on every component (every column of a block)."""
        cols = v[:, None] if v.ndim == 1 else v
        out = xp.empty_like(cols)
        for j in range(cols.shape[1]):
            mean = xp.bincount(self.labels, weights=cols[:, j].real,
                               minlength=self.counts.size) / self.counts
            if cols.dtype.kind == "c":
                mean = mean + 1j * (xp.bincount(self.labels, weights=cols[:, j].imag,
                                                minlength=self.counts.size) / self.counts)
            out[:, j] = cols[:, j] - mean[self.labels]
        return out[:, 0] if v.ndim == 1 else out


def _tol_keyword(fn) -> str:
    """``rtol`` (SciPy >= 1.12, newer cupyx) or ``tol`` (older cupyx)."""
    return "rtol" if "rtol" in inspect.signature(fn).parameters else "tol"


def _system(ns: Namespace, A, b, req: SolveRequest) -> _System:
    """Move ``A``, ``b``, ``x0`` to the namespace and check what needs their entries."""
    notes: list[str] = []
    host_A = None
    if not isinstance(A, ns.xspla.LinearOperator) and not is_device(A):
        if not hasattr(A, "shape"):
            raise InputValueError(f"A must be a sparse matrix or an array (got "
                                  f"{type(A).__name__})")
        host_A = A
        A = to_device(A, ns)
        if ns.on_device:
            notes.append("A copied host→device")
    check_matrix(ns, A)
    b_on_host = not is_device(b)
    if ns.on_device and b_on_host:
        notes.append("b copied host→device")
    b = check_rhs(ns, to_device(b, ns), A.shape[0])
    x0 = None if req.x0 is None else ns.xp.asarray(to_device(req.x0, ns))
    props = None if isinstance(A, ns.xspla.LinearOperator) else inspect_device(ns, A)
    return _System(ns, A, host_A, b, x0, b_on_host, props, notes)


def _choose_method(system: _System, method: str) -> str:
    """``method``, or for ``"auto"`` the one the structure of ``A`` calls for (noted)."""
    props, notes = system.props, system.notes
    if method != "auto":
        return method
    if props is None:
        notes.append("method 'gmres': A is a LinearOperator whose symmetry is unknown")
        return "gmres"
    if props.symmetric and props.positive_diagonal:
        notes.append("method 'cg': A is symmetric with a positive diagonal")
        return "cg"
    if props.symmetric:
        notes.append("method 'minres': A is symmetric but its diagonal is not positive")
        return "minres"
    notes.append("method 'gmres': A is not symmetric")
    return "gmres"


def _project_rhs(system: _System, req: SolveRequest) -> tuple[_Components | None, Any]:
    """For a singular graph Laplacian, its components and ``b`` with their constants removed.

    The consistent system is solved; a ``b`` whose null-space part alone
    misses the tolerance raises :class:`~sparsekit.InconsistentSystemError`.
    """
    if system.props is None or not system.props.laplacian:
        return None, system.b
    ns, xp, b = system.ns, system.ns.xp, system.b
    ncomp, host_labels = components(ns, system.A)
    labels = to_device(host_labels, ns)
    null = _Components(labels, xp.bincount(labels, minlength=ncomp).astype(b.real.dtype))
    system.notes.append(f"A is a graph Laplacian with {ncomp} connected component(s) "
                        "(found on the host from the sparsity pattern); the constant vector "
                        "of each is projected out of b and x")
    bp = null.project(xp, b)
    gap, bnorm = xp.linalg.norm(b - bp, axis=0), xp.linalg.norm(b, axis=0)
    if not is_converged(to_host(gap), to_host(bnorm), req.rtol, req.atol):
        raise InconsistentSystemError(
            "A is a singular graph Laplacian and b has a component along its null "
            f"space (constant per connected component) of norm {float(gap.max()):.3e} "
            f"against ‖b‖ = {float(bnorm.max()):.3e}: no x can reach rtol={req.rtol:g}; "
            "make b sum to zero on every component"
        )
    return null, bp


def _choose_precond(system: _System, method: str, precond: str) -> str:
    """``precond``, or for ``"auto"`` AMG with CG and Jacobi otherwise (noted)."""
    if precond != "auto":
        return precond
    if system.props is None:  # a LinearOperator has no diagonal to read
        precond = "none"
    else:
        precond = "amg" if method == "cg" else "jacobi"
        if precond == "jacobi" and bool((system.A.diagonal() == 0).any()):
            precond = "none"
    system.notes.append(f"precond {precond!r} for {method}")
    return precond


def _jacobi(ns: Namespace, A, method: str):
    d = A.diagonal()
    if bool((d == 0).any()):
        bad = int(ns.xp.count_nonzero(d == 0))
        raise InputValueError(
            f"precond='jacobi' needs a nonzero diagonal, but A has {bad} zero diagonal "
            "entr" + ("y" if bad == 1 else "ies") + "; use precond='none' or 'amg'"
        )
    dinv = 1.0 / (abs(d) if method == "minres" else d)

    def apply(x):
        return dinv * x if x.ndim == 1 else dinv[:, None] * x

    return ns.operator(A.shape, apply, A.dtype, matmat=apply)


def _users_preconditioner(system: _System, M):
    """The caller's ``M``: a :class:`DeviceAMG` is reused as is; any other must be on the device."""
    ns = system.ns
    if isinstance(M, DeviceAMG):
        system.notes.extend(M.notes)
        return M.aslinearoperator(), "amg"
    if not is_device(M) and ns.on_device and not isinstance(M, ns.xspla.LinearOperator):
        raise BackendError("M must live on the device (a cupyx LinearOperator, a cupyx "
                           "sparse matrix or a DeviceAMG); move it with to_device")
    return M, "user"


def _preconditioner(system: _System, method: str, req: SolveRequest):
    """``(M, precond)``: the operator handed to the Krylov method, and its name."""
    if req.M is not None:
        return _users_preconditioner(system, req.M)
    if system.props is None and req.precond not in ("auto", "none"):
        raise BackendError(f"precond={req.precond!r} needs an explicit matrix, not a "
                           "LinearOperator; pass the sparse matrix or precond='none'")
    precond = _choose_precond(system, method, req.precond)
    if precond == "jacobi":
        return _jacobi(system.ns, system.A, method), precond
    if precond == "amg":
        if method == "gmres" and system.props is not None and not system.props.symmetric:
            system.notes.append("smoothed-aggregation AMG assumes a symmetric A; it may help "
                                "gmres little")
        src = system.host if system.host is not None else system.A
        amg_options = {k: v for k, v in req.options.items() if k in AMG_OPTIONS}
        amg = DeviceAMG.setup(src, system.ns, **amg_options)
        system.notes.extend(amg.notes)
        return amg.aslinearoperator(), precond
    return None, precond


def _column_solve(ns, fn, A, b, x0, req: SolveRequest, M, record: bool, extra: dict):
    """One Krylov solve for a 1-D right-hand side; returns (x, iterations, history, restarts).

    MINRES (SciPy's and cupyx's) stops on ``‖r‖ ≤ rtol (‖A‖ ‖x‖ + ‖b‖)`` and
    preconditioned methods on a preconditioned residual, both of which can stop
    short of ``‖b − A x‖ ≤ max(rtol ‖b‖, atol)``.  The true residual is then
    solved for again (``A d = r``, ``x ← x + d``), at most ``_REFINEMENTS`` times.
    ``record`` keeps the callback's argument (a residual norm) as the history.
    """
    xp, maxiter, callback = ns.xp, req.maxiter, req.callback
    bnorm = float(xp.linalg.norm(b))
    if bnorm == 0.0:
        return xp.zeros_like(b), 0, [], 0
    target = max(req.rtol * bnorm, req.atol)
    count = [0]
    history: list[float] = []

    def cb(arg):
        count[0] += 1
        if record:
            history.append(float(arg))
        if callback is not None:
            callback(arg)

    key = _tol_keyword(fn)
    x, _info = fn(A, b, x0, **{key: target / bnorm}, maxiter=maxiter, M=M, callback=cb,
                  **extra)
    restarts, asked, rprev = 0, target / bnorm, bnorm
    while restarts < _REFINEMENTS and (maxiter is None or count[0] < maxiter):
        r = b - A @ x
        rnorm = float(xp.linalg.norm(r))
        if rnorm <= target:
            break
        # How much looser than asked the method's own test was; ask that much tighter.
        slack = max(1.0, (rnorm / rprev) / asked)
        asked = min(0.5, max(np.finfo(float).eps, 0.5 * target / rnorm / slack))
        rprev = rnorm
        left = None if maxiter is None else maxiter - count[0]
        d, _info = fn(A, r, None, **{key: asked}, maxiter=left, M=M, callback=cb, **extra)
        x = x + d
        restarts += 1
    return x, count[0], history, restarts


def _columns(system: _System, fn, rhs, M, req: SolveRequest, *, record: bool = False,
             **extra) -> _Outcome:
    """``fn`` (a SciPy/cupyx Krylov function) on every column of ``rhs``, one at a time."""
    xp = system.ns.xp
    cols = rhs[:, None] if rhs.ndim == 1 else rhs
    x0 = system.x0
    x0c = None if x0 is None else (x0[:, None] if x0.ndim == 1 else x0)
    xs, iters, history, restarts = [], 0, [], 0
    for j in range(cols.shape[1]):
        xj, it, hist, rs = _column_solve(system.ns, fn, system.A, cols[:, j],
                                         None if x0c is None else x0c[:, j], req, M, record,
                                         extra)
        xs.append(xj)
        iters = max(iters, it)
        history.extend(hist)
        restarts += rs
    x = xp.stack(xs, axis=1)
    return _Outcome(x[:, 0] if rhs.ndim == 1 else x, iters, history, restarts)


def _run_cg(system: _System, rhs, M, req: SolveRequest) -> _Outcome:
    """Conjugate gradients; ``callback`` receives the iterate."""
    return _columns(system, system.ns.xspla.cg, rhs, M, req)


def _run_minres(system: _System, rhs, M, req: SolveRequest) -> _Outcome:
    """MINRES (``M`` must be SPD); ``callback`` receives the iterate."""
    return _columns(system, system.ns.xspla.minres, rhs, M, req)


def _run_gmres(system: _System, rhs, M, req: SolveRequest) -> _Outcome:
    """Restarted GMRES; ``callback`` receives the preconditioned residual norm, kept as history."""
    return _columns(system, system.ns.xspla.gmres, rhs, M, req, record=True,
                    callback_type="pr_norm")


#: method -> runner(system, rhs, M, request) -> _Outcome
_RUNNERS = {"cg": _run_cg, "minres": _run_minres, "gmres": _run_gmres}


def _result(system: _System, req: SolveRequest, method: str, precond: str, out: _Outcome,
            timings: dict) -> SolveResult:
    """The true residual in the namespace, ``x`` back where ``b`` was, the policy applied."""
    ns, xp, notes = system.ns, system.ns.xp, system.notes
    if out.restarts:
        notes.append(f"{method} restarted {out.restarts} time(s) on the true residual, whose "
                     "norm its own stopping test had not brought below the tolerance")
    rnorm = xp.linalg.norm(system.b - system.A @ out.x, axis=0)
    bnorm = xp.linalg.norm(system.b, axis=0)
    rn, bn = np.atleast_1d(to_host(rnorm)), np.atleast_1d(to_host(bnorm))
    rel = float(np.max(np.where(bn > 0, rn / np.where(bn > 0, bn, 1.0), rn)))
    converged = is_converged(rn, bn, req.rtol, req.atol)
    x = out.x
    if ns.on_device and system.b_on_host:
        x = to_host(x)
        notes.append("x copied device→host (b was a host array)")
    result = SolveResult(
        x=x, converged=converged, iterations=int(out.iterations),
        residuals=np.asarray(out.history), relative_residual=rel, method=method,
        precond=precond, backend=ns.backend, timings=timings, notes=tuple(notes),
    )
    if not converged:
        msg = (f"{method} ({ns.backend}) did not converge: relative residual {rel:.3e} "
               f"after {out.iterations} iterations (rtol={req.rtol:g}, atol={req.atol:g})")
        # 5: this helper, run_solve, then solve or sk.solve: the warning points at their caller
        report_nonconvergence(msg, result, req.strict, stacklevel=5)
    return result


def run_solve(A, b, req: SolveRequest) -> SolveResult:
    """``sk.solve`` on this backend, from a validated :class:`~sparsekit._requests.SolveRequest`.

    ``req`` carries the arguments of :func:`solve` (its expert options
    ``xp_name``, ``smoother``, ``sweeps`` in ``req.options``), already checked
    against :data:`SOLVE_METHODS`, :data:`SOLVE_PRECONDS` and
    :data:`SOLVE_OPTIONS`; what needs the entries of ``A`` and ``b`` is
    checked here, in the namespace.
    """
    ns = resolve(req.options.get("xp_name"), A, b, req.x0)
    t0 = ns.clock()
    system = _system(ns, A, b, req)
    method = _choose_method(system, req.method)
    null, rhs = _project_rhs(system, req)
    M, precond = _preconditioner(system, method, req)
    t1 = ns.clock()
    out = _RUNNERS[method](system, rhs, M, req)
    if null is not None:
        out = _Outcome(null.project(ns.xp, out.x), out.iterations, out.history, out.restarts)
    t2 = ns.clock()
    return _result(system, req, method, precond, out, {"setup": t1 - t0, "solve": t2 - t1})


def solve(A, b, *, method="auto", precond="auto", rtol=1e-8, atol=0.0, maxiter=None,
          x0=None, M=None, callback=None, strict=False, xp_name=None,
          smoother="chebyshev", sweeps=2) -> SolveResult:
    """Solve ``A x = b`` with a Krylov method of cupyx (or SciPy, substituted).

    Parameters
    ----------
    A : cupyx sparse matrix, cupy array, device LinearOperator, or host sparse/dense
        The matrix.  A host matrix is copied to the device explicitly (said in
        ``notes``).
    b : array, shape (n,) or (n, k)
        Right-hand side(s); each column is solved on its own.  ``x`` is returned
        where ``b`` lives.
    method : {"auto", "cg", "minres", "gmres"}, default="auto"
        Krylov method (:data:`SOLVE_METHODS`).
    precond : {"auto", "none", "jacobi", "amg"}, default="auto"
        Preconditioner (:data:`SOLVE_PRECONDS`); leave it ``"auto"`` (or
        ``"none"``) when ``M`` is given.
    rtol, atol : float, default=1e-8, 0.0
        Converged means ``‖b − A x‖ ≤ max(rtol·‖b‖, atol)``, recomputed at the end.
    maxiter : int, optional
        Iteration limit per column (the Krylov method's default when None).
    x0 : array, optional
        Initial guess, shaped like ``b``.
    M : LinearOperator, sparse matrix or DeviceAMG, optional
        A preconditioner of the namespace (a :class:`DeviceAMG` is reused as is).
    callback : callable, optional
        Called once per iteration as the Krylov method calls it (``xk`` for
        cg/minres, the preconditioned residual norm for gmres).
    strict : bool, default=False
        Raise :class:`~sparsekit.NoConvergence` instead of warning.
    xp_name : {"cupy", "numpy"}, optional
        Namespace; default ``"cupy"``.  ``"numpy"`` runs this code path on the CPU.
    smoother : {"chebyshev", "jacobi"}, default="chebyshev"
        Smoother of the device AMG V-cycle.
    sweeps : int, default=2
        Chebyshev degree (or Jacobi sweeps) on each side of the coarse correction.

    Returns
    -------
    SolveResult
        ``backend`` is ``"cupy"`` (``"numpy-substitute"`` with numpy); ``notes``
        list every host step and transfer.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> from sparsekit.backends import cupy_
    >>> T = sp.diags_array([-1.0, 2.0, -1.0], offsets=[-1, 0, 1], shape=(50, 50))
    >>> A = sp.csr_array(sp.kronsum(T, T))
    >>> r = cupy_.solve(A, np.ones(2500), xp_name="numpy")
    >>> r.converged, r.method, r.precond, r.backend
    (True, 'cg', 'amg', 'numpy-substitute')
    """
    req = solve_request(shape_of(A), shape_of(b), backend="cupy", method=method,
                        precond=precond, rtol=rtol, atol=atol, maxiter=maxiter, x0=x0, M=M,
                        callback=callback, strict=strict, check=True,
                        options={"xp_name": xp_name, "smoother": smoother, "sweeps": sweeps},
                        methods=SOLVE_METHODS, preconds=SOLVE_PRECONDS,
                        option_names=SOLVE_OPTIONS)
    return run_solve(A, b, req)
