"""Krylov solves in the namespace: CG, MINRES and GMRES with Jacobi or device AMG.

SciPy's and cupyx's ``(x, info)`` are translated here, once, into a
:class:`~sparsekit.results.SolveResult` whose residual is recomputed in the
namespace (‖b − A x‖ for every column), whatever the Krylov method reported.
"""

from __future__ import annotations

import inspect

import numpy as np

from ..._validate import check_choice, is_converged
from ...errors import (
    BackendError,
    InconsistentSystemError,
    InputValueError,
    ShapeError,
    report_nonconvergence,
)
from ...results import SolveResult
from ._amg import DeviceAMG
from ._checks import check_matrix, check_rhs, components, inspect_device
from ._namespace import Namespace, is_device, resolve, to_device, to_host

__all__ = ["solve", "METHODS", "PRECONDS"]

#: Krylov methods of the GPU backend.
METHODS = {
    "auto": "cg for symmetric A with a positive diagonal, minres for other symmetric A, "
            "gmres otherwise",
    "cg": "conjugate gradients (cupyx.scipy.sparse.linalg.cg)",
    "minres": "MINRES for symmetric indefinite A (cupyx.scipy.sparse.linalg.minres)",
    "gmres": "restarted GMRES (cupyx.scipy.sparse.linalg.gmres)",
}

#: Preconditioners of the GPU backend.
PRECONDS = {
    "auto": "amg with cg, jacobi with minres (|diagonal|) and gmres",
    "none": "no preconditioner",
    "jacobi": "inverse diagonal (|diagonal| for minres, which needs an SPD preconditioner)",
    "amg": "PyAMG smoothed-aggregation hierarchy set up on the host, V-cycle on the device",
}


def _tol_keyword(fn) -> str:
    """``rtol`` (SciPy >= 1.12, newer cupyx) or ``tol`` (older cupyx)."""
    return "rtol" if "rtol" in inspect.signature(fn).parameters else "tol"


def _choose_method(props, notes: list[str]) -> str:
    if props.symmetric and props.positive_diagonal:
        notes.append("method 'cg': A is symmetric with a positive diagonal")
        return "cg"
    if props.symmetric:
        notes.append("method 'minres': A is symmetric but its diagonal is not positive")
        return "minres"
    notes.append("method 'gmres': A is not symmetric")
    return "gmres"


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


_REFINEMENTS = 3  # restarts on the true residual when a method's own test stops short


def _column_solve(ns, fn, method, A, b, x0, rtol, atol, maxiter, M, callback):
    """One Krylov solve for a 1-D right-hand side; returns (x, iterations, history, restarts).

    MINRES (SciPy's and cupyx's) stops on ``‖r‖ ≤ rtol (‖A‖ ‖x‖ + ‖b‖)`` and
    preconditioned methods on a preconditioned residual, both of which can stop
    short of ``‖b − A x‖ ≤ max(rtol ‖b‖, atol)``.  The true residual is then
    solved for again (``A d = r``, ``x ← x + d``), at most ``_REFINEMENTS`` times.
    """
    xp = ns.xp
    bnorm = float(xp.linalg.norm(b))
    if bnorm == 0.0:
        return xp.zeros_like(b), 0, [], 0
    target = max(rtol * bnorm, atol)
    count = [0]
    history: list[float] = []

    def cb(arg):
        count[0] += 1
        if method == "gmres":
            history.append(float(arg))
        if callback is not None:
            callback(arg)

    key = _tol_keyword(fn)
    extra = {"callback_type": "pr_norm"} if method == "gmres" else {}
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
        Krylov method (:data:`METHODS`).
    precond : {"auto", "none", "jacobi", "amg"}, default="auto"
        Preconditioner (:data:`PRECONDS`); ignored when ``M`` is given.
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
    ns = resolve(xp_name, A, b, x0)
    check_choice(method, METHODS, "method")
    check_choice(precond, PRECONDS, "precond")
    xp = ns.xp
    notes: list[str] = []
    t0 = ns.clock()

    host_A = None
    if isinstance(A, ns.xspla.LinearOperator):
        if precond not in ("auto", "none") and M is None:
            raise BackendError(f"precond={precond!r} needs an explicit matrix, not a "
                               "LinearOperator; pass the sparse matrix or precond='none'")
    elif not is_device(A):
        if not hasattr(A, "shape"):
            raise InputValueError(f"A must be a sparse matrix or an array (got "
                                  f"{type(A).__name__})")
        host_A = A
        A = to_device(A, ns)
        if ns.on_device:
            notes.append("A copied host→device")
    check_matrix(ns, A)
    n = A.shape[0]
    b_on_host = not is_device(b)
    if ns.on_device and b_on_host:
        notes.append("b copied host→device")
    b = check_rhs(ns, to_device(b, ns), n)
    if x0 is not None:
        x0 = ns.xp.asarray(to_device(x0, ns))
        if x0.shape != b.shape:
            raise ShapeError(f"x0 must have the shape of b {tuple(b.shape)} "
                             f"(got {tuple(x0.shape)})")

    operator = isinstance(A, ns.xspla.LinearOperator)
    props = None if operator else inspect_device(ns, A)
    if method == "auto":
        if operator:
            method = "gmres"
            notes.append("method 'gmres': A is a LinearOperator whose symmetry is unknown")
        else:
            method = _choose_method(props, notes)

    # Singular Laplacian: solve the consistent system, null space projected out.
    labels = counts = None
    if props is not None and props.laplacian:
        ncomp, host_labels = components(ns, A)
        labels = to_device(host_labels, ns)
        counts = xp.bincount(labels, minlength=ncomp).astype(b.real.dtype)
        notes.append(f"A is a graph Laplacian with {ncomp} connected component(s) "
                     "(found on the host from the sparsity pattern); the constant vector "
                     "of each is projected out of b and x")

    def project(v):
        if labels is None:
            return v
        cols = v[:, None] if v.ndim == 1 else v
        out = xp.empty_like(cols)
        for j in range(cols.shape[1]):
            mean = xp.bincount(labels, weights=cols[:, j].real, minlength=counts.size) / counts
            if cols.dtype.kind == "c":
                mean = mean + 1j * (xp.bincount(labels, weights=cols[:, j].imag,
                                                minlength=counts.size) / counts)
            out[:, j] = cols[:, j] - mean[labels]
        return out[:, 0] if v.ndim == 1 else out

    bnorm = xp.linalg.norm(b, axis=0)
    if labels is not None:
        bp = project(b)
        gap = xp.linalg.norm(b - bp, axis=0)
        if not is_converged(to_host(gap), to_host(bnorm), rtol, atol):
            raise InconsistentSystemError(
                "A is a singular graph Laplacian and b has a component along its null "
                f"space (constant per connected component) of norm {float(gap.max()):.3e} "
                f"against ‖b‖ = {float(bnorm.max()):.3e}: no x can reach rtol={rtol:g}; "
                "make b sum to zero on every component"
            )
    else:
        bp = b

    # Preconditioner.
    if M is not None:
        precond = "user"
        if isinstance(M, DeviceAMG):
            precond = "amg"
            notes.extend(M.notes)
            M = M.aslinearoperator()
        elif not is_device(M) and ns.on_device and not isinstance(M, ns.xspla.LinearOperator):
            raise BackendError("M must live on the device (a cupyx LinearOperator, a cupyx "
                               "sparse matrix or a DeviceAMG); move it with to_device")
    elif precond == "auto":
        precond = "amg" if method == "cg" else "jacobi"
        if precond == "jacobi" and bool((A.diagonal() == 0).any()):
            precond = "none"
        notes.append(f"precond {precond!r} for {method}")
    if M is None and precond == "jacobi":
        M = _jacobi(ns, A, method)
    elif M is None and precond == "amg":
        if method == "gmres" and props is not None and not props.symmetric:
            notes.append("smoothed-aggregation AMG assumes a symmetric A; it may help "
                         "gmres little")
        src = host_A if host_A is not None else A
        amg = DeviceAMG.setup(src, ns, smoother=smoother, sweeps=sweeps)
        notes.extend(amg.notes)
        M = amg.aslinearoperator()
    t1 = ns.clock()

    fn = getattr(ns.xspla, method)
    cols = bp[:, None] if bp.ndim == 1 else bp
    x0c = None if x0 is None else (x0[:, None] if x0.ndim == 1 else x0)
    xs, iters, history, restarts = [], 0, [], 0
    for j in range(cols.shape[1]):
        xj, it, hist, rs = _column_solve(ns, fn, method, A, cols[:, j],
                                     None if x0c is None else x0c[:, j],
                                     rtol, atol, maxiter, M, callback)
        xs.append(xj)
        iters = max(iters, it)
        history.extend(hist)
        restarts += rs
    x = xp.stack(xs, axis=1)
    x = x[:, 0] if b.ndim == 1 else x
    x = project(x)
    t2 = ns.clock()
    if restarts:
        notes.append(f"{method} restarted {restarts} time(s) on the true residual, whose "
                     "norm its own stopping test had not brought below the tolerance")

    r = b - A @ x
    rnorm = xp.linalg.norm(r, axis=0)
    rn, bn = np.atleast_1d(to_host(rnorm)), np.atleast_1d(to_host(bnorm))
    rel = float(np.max(np.where(bn > 0, rn / np.where(bn > 0, bn, 1.0), rn)))
    converged = is_converged(rn, bn, rtol, atol)
    if ns.on_device and b_on_host:
        x = to_host(x)
        notes.append("x copied device→host (b was a host array)")
    result = SolveResult(
        x=x, converged=converged, iterations=int(iters), residuals=np.asarray(history),
        relative_residual=rel, method=method, precond=precond, backend=ns.backend,
        timings={"setup": t1 - t0, "solve": t2 - t1}, notes=tuple(notes),
    )
    if not converged:
        msg = (f"{method} ({ns.backend}) did not converge: relative residual {rel:.3e} "
               f"after {iters} iterations (rtol={rtol:g}, atol={atol:g})")
        report_nonconvergence(msg, result, strict, stacklevel=4)
    return result
