"""The CPU Krylov and least-squares methods: :mod:`scipy.sparse.linalg`, translated once.

This is the one place where SciPy's ``(x, info)`` pairs and ``lsqr``'s
10-tuple are translated, into a :class:`KrylovOutcome`.  Krylov loops run
with one BLAS thread (:func:`._threads.single_thread_blas`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse.linalg as spla

from ._threads import single_thread_blas

__all__ = ["KRYLOV", "LEAST_SQUARES", "KrylovOutcome", "krylov", "least_squares"]


@dataclass(frozen=True)
class KrylovOutcome:
    """What a SciPy iterative method returned, translated once.

    Attributes
    ----------
    x : ndarray
        The last iterate.
    info : int
        SciPy's code: 0 converged (by the method's own test), > 0 iterations
        exhausted, < 0 breakdown or illegal input.
    iterations : int
        Iterations taken.
    residuals : ndarray
        Residual-norm history the method reported (may be empty).
    message : str
        SciPy's meaning of ``info``.
    """

    x: np.ndarray
    info: int
    iterations: int
    residuals: np.ndarray
    message: str


KRYLOV = {
    "cg": spla.cg,
    "minres": spla.minres,
    "gmres": spla.gmres,
    "bicgstab": spla.bicgstab,
}

LEAST_SQUARES = {"lsqr": spla.lsqr, "lsmr": spla.lsmr}


def _message(info: int) -> str:
    if info == 0:
        return "converged"
    if info > 0:
        return f"stopped after {info} iterations without reaching the tolerance"
    return f"breakdown or illegal input (SciPy info={info})"


def krylov(method, A, b, *, rtol, atol, maxiter=None, x0=None, M=None, callback=None,
           history=False, refine=2, **options) -> KrylovOutcome:
    """Run one SciPy Krylov method on a 1-D ``b``.

    Parameters
    ----------
    method : {"cg", "minres", "gmres", "bicgstab"}
        The method (a key of :data:`KRYLOV`).
    A : sparse array, ndarray or LinearOperator
        The matrix.
    b : ndarray
        Right-hand side, shape ``(n,)``.
    rtol, atol : float
        SciPy's tolerances.
    maxiter : int, optional
        Iteration limit (SciPy's default when None).
    x0 : ndarray, optional
        Starting guess.
    M : LinearOperator, optional
        Preconditioner (approximates ``A^{-1}``).
    callback : callable, optional
        Called with the current iterate after each iteration.
    history : bool, default=False
        Record ``‖b − A x_k‖`` every iteration (one extra mat-vec each).
        GMRES records its (cheap) preconditioned residual norms regardless.
    refine : int, default=2
        When the method stops by its own test but the true residual misses
        ``max(rtol·‖b‖, atol)``, restart from the iterate with a tighter
        tolerance, at most this many times.
    **options
        Passed to the SciPy function (``restart`` for GMRES, for example).

    Returns
    -------
    KrylovOutcome
    """
    fn = KRYLOV[method]
    count = [0]
    hist: list[float] = []
    kw = dict(options)

    if method == "gmres":
        kw.setdefault("restart", 50)
        if maxiter is not None:
            # SciPy counts GMRES restart cycles in maxiter; sparsekit counts iterations
            maxiter = max(1, -(-int(maxiter) // kw["restart"]))
        bnorm = float(np.linalg.norm(b)) or 1.0

        def cb(pr_norm):
            count[0] += 1
            hist.append(float(pr_norm) * bnorm)

        kw["callback_type"] = "pr_norm"
        user_cb = callback
        if user_cb is not None:
            # GMRES cannot hand out the iterate cheaply; the user callback gets the residual norm
            def cb2(pr_norm, _cb=cb):
                _cb(pr_norm)
                user_cb(pr_norm)

            kw["callback"] = cb2
        else:
            kw["callback"] = cb
    else:
        def cb(xk):
            count[0] += 1
            if history:
                hist.append(float(np.linalg.norm(b - A @ xk)))
            if callback is not None:
                callback(xk)

        kw["callback"] = cb
    bnorm = float(np.linalg.norm(b))
    target = max(rtol * bnorm, atol)
    run_rtol, run_atol = rtol, atol
    x = x0
    for _ in range(1 + refine):
        with single_thread_blas():
            if method == "minres":
                # MINRES takes rtol only, and stops on a backward-error estimate
                tol = run_rtol if bnorm == 0 else max(run_rtol, run_atol / bnorm)
                x, info = fn(A, b, x0=x, rtol=tol, maxiter=maxiter, M=M, **kw)
            else:
                x, info = fn(A, b, x0=x, rtol=run_rtol, atol=run_atol, maxiter=maxiter, M=M,
                             **kw)
        if info != 0 or bnorm == 0:
            break
        true = float(np.linalg.norm(b - A @ x))
        if true <= target:
            break
        # the method's own test passed but the true residual did not: restart from x,
        # asking for what is still missing (recursive residuals drift; MINRES and
        # preconditioned methods test other norms)
        run_rtol = max(0.5 * run_rtol * target / true, np.finfo(float).eps)
        run_atol = 0.0
    return KrylovOutcome(np.asarray(x), int(info), count[0], np.asarray(hist), _message(info))


def least_squares(method, A, b, *, rtol, atol, maxiter=None, x0=None, **options) -> KrylovOutcome:
    """Run ``lsqr`` or ``lsmr`` (minimise ``‖b − A x‖``) on a 1-D ``b``.

    ``rtol`` is passed as both of SciPy's ``atol`` and ``btol`` (its stopping
    tests on the residual of ``A x = b`` and of the normal equations); the
    caller's ``atol`` is folded in relative to ``‖b‖``.
    """
    fn = LEAST_SQUARES[method]
    bnorm = float(np.linalg.norm(b))
    tol = rtol if bnorm == 0 else max(rtol, atol / bnorm)
    with single_thread_blas():
        limit = {"iter_lim": maxiter} if method == "lsqr" else {"maxiter": maxiter}
        out = fn(A, b, atol=tol, btol=tol, x0=x0, **limit, **options)
    x, istop, itn = out[0], int(out[1]), int(out[2])
    # istop: 1, 2 (lsqr, lsmr) solution found; 3 (lsqr) / 3 (lsmr) conlim; 7 (lsqr) / 7 iter limit
    info = 0 if istop in (0, 1, 2, 4, 5) else (itn if istop == 7 else -istop)
    messages = {0: "x = 0 is the exact solution", 1: "A x = b solved to the tolerance",
                2: "least-squares solution found to the tolerance",
                3: "the estimated condition number exceeded conlim",
                4: "A x = b solved to machine precision",
                5: "least-squares solution found to machine precision",
                6: "the estimated condition number exceeded the machine limit",
                7: "iteration limit reached"}
    return KrylovOutcome(np.asarray(x), info, itn, np.asarray([float(out[3])]),
                         messages.get(istop, _message(info)))
