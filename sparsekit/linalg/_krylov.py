"""The CPU Krylov and least-squares methods: :mod:`scipy.sparse.linalg`, translated once.

This is the one place where SciPy's ``(x, info)`` pairs and ``lsqr``'s
10-tuple are translated, into a :class:`KrylovOutcome`.  Every Krylov method
SciPy has is here (:data:`KRYLOV`): ``cg``, ``minres``, ``gmres``,
``bicgstab``, ``bicg``, ``cgs``, ``gcrotmk``, ``lgmres``, ``qmr`` and
``tfqmr``.  Krylov loops run with one BLAS thread
(:func:`._threads.single_thread_blas`).

What sparsekit adds around each SciPy call, the same for every method:

* ``maxiter`` is a hard budget over everything the method runs, the restarts
  of the refinement below included; GMRES counts *inner* iterations (SciPy
  counts restart cycles), and a budget that is not a whole number of cycles
  ends with a shorter last cycle, never a longer one;
* refinement: a method that stops by its own test while the true residual
  misses ``max(rtol·‖b‖, atol)`` is restarted from its iterate with a tighter
  tolerance (at most ``refine`` times);
* complex Hermitian ``minres``: SciPy's ``minres`` is real only, so it runs
  on the equivalent real symmetric system of order ``2n``,
  ``[[Re A, −Im A], [Im A, Re A]] [Re x; Im x] = [Re b; Im b]``.  That matrix
  has the eigenvalues of ``A`` (each twice), and for a Hermitian ``A`` the
  minimal-residual polynomial over complex coefficients is real, so the
  iterates are those of a complex MINRES: no accuracy or speed is given up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .. import _progress
from .._validate import describe, positive_int
from ..errors import InputValueError, NotSPDError, ShapeError
from . import _cg
from ._threads import single_thread_blas

__all__ = ["KRYLOV", "LEAST_SQUARES", "NEEDS_ADJOINT", "METHOD_OPTIONS", "KrylovOutcome",
           "krylov", "least_squares", "has_adjoint", "check_method_options"]


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
        Why it stopped, in words (SciPy's meaning of ``info``, or sparsekit's).
    reason : str
        ``"converged"``, ``"maxiter"`` (the iteration budget ran out),
        ``"stalled"`` (the method's own test passed, but restarts from its
        iterate no longer halved the true residual: the attainable accuracy of
        its recursive residual), ``"breakdown"`` (SciPy's ``info < 0``) or
        ``"ill-conditioned"`` (``lsqr``/``lsmr``: the condition estimate passed ``conlim``).
    """

    x: np.ndarray
    info: int
    iterations: int
    residuals: np.ndarray
    message: str
    reason: str = "converged"


#: ``method`` -> the SciPy function.
KRYLOV = {
    "cg": spla.cg,
    "minres": spla.minres,
    "gmres": spla.gmres,
    "bicgstab": spla.bicgstab,
    "bicg": spla.bicg,
    "cgs": spla.cgs,
    "gcrotmk": spla.gcrotmk,
    "lgmres": spla.lgmres,
    "qmr": spla.qmr,
    "tfqmr": spla.tfqmr,
}

LEAST_SQUARES = {"lsqr": spla.lsqr, "lsmr": spla.lsmr}

#: Methods that apply ``Aᴴ`` (and ``Mᴴ``): a LinearOperator needs ``rmatvec``.
NEEDS_ADJOINT = frozenset({"bicg", "qmr", "lsqr", "lsmr"})

#: Each method's own options (SciPy's keywords and meanings): method -> {option: meaning}.
METHOD_OPTIONS = {
    "gmres": {"restart": "GMRES restart length (default 50)",
              "callback_type": "GMRES callback: 'pr_norm' (default; the preconditioned "
                               "relative residual every inner iteration, SciPy's 'legacy' "
                               "too) or 'x' (the iterate after every restart cycle)"},
    "gcrotmk": {"m": "GCROT(m,k): inner iterations per outer one (default 20)",
                "k": "GCROT(m,k): vectors carried between outer iterations (default m)",
                "CU": "GCROT(m,k): a list of (c, u) pairs recycled between calls",
                "discard_C": "GCROT(m,k): drop the c vectors at the end",
                "truncate": "GCROT(m,k): 'oldest' or 'smallest' vectors dropped"},
    "lgmres": {"inner_m": "LGMRES: inner GMRES iterations per outer one (default 30)",
               "outer_k": "LGMRES: error approximations carried (default 3)",
               "outer_v": "LGMRES: a list of (v, Av) pairs recycled between calls",
               "store_outer_Av": "LGMRES: keep A v in outer_v",
               "prepend_outer_v": "LGMRES: put outer_v first in the Krylov space"},
    "qmr": {"M1": "QMR left preconditioner (a LinearOperator with rmatvec, or a matrix)",
            "M2": "QMR right preconditioner (a LinearOperator with rmatvec, or a matrix)"},
}

_CALLBACK_TYPES = ("pr_norm", "legacy", "x")
_TRUNCATE = ("oldest", "smallest")


def _message(info: int) -> str:
    if info == 0:
        return "converged"
    if info > 0:
        return f"maxiter reached ({info} iterations)"
    return f"breakdown or illegal input (SciPy info={info})"


def _reason(info: int) -> str:
    return "converged" if info == 0 else "maxiter" if info > 0 else "breakdown"


def has_adjoint(op) -> bool:
    """Whether ``op`` can apply its conjugate transpose (``rmatvec``) without calling it.

    Sparse matrices and ndarrays always can; a :class:`~scipy.sparse.linalg.LinearOperator`
    can when it was given ``rmatvec`` (or defines ``_rmatvec``/``_adjoint``).

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse.linalg as spla
    >>> from sparsekit.linalg._krylov import has_adjoint
    >>> has_adjoint(spla.LinearOperator((2, 2), matvec=lambda x: x))
    False
    >>> has_adjoint(spla.LinearOperator((2, 2), matvec=lambda x: x, rmatvec=lambda x: x))
    True
    >>> has_adjoint(spla.aslinearoperator(np.eye(2)))
    True
    """
    if not isinstance(op, spla.LinearOperator):
        return True
    custom = getattr(op, "_CustomLinearOperator__rmatvec_impl", False)
    if custom is not False:  # a LinearOperator(shape, matvec, rmatvec=...) object
        return custom is not None
    cls = type(op)
    return (cls._rmatvec is not spla.LinearOperator._rmatvec
            or cls._adjoint is not spla.LinearOperator._adjoint)


def _operator(M, n: int, name: str):
    """A user preconditioner (matrix or LinearOperator) of order ``n`` as a LinearOperator."""
    if isinstance(M, spla.LinearOperator) or sp.issparse(M) or isinstance(M, np.ndarray):
        if tuple(M.shape) != (n, n):
            raise ShapeError(f"{name} must have shape {(n, n)} like A (got {describe(M)})")
        return spla.aslinearoperator(M)
    raise InputValueError(f"{name} must be a LinearOperator or a matrix (got {describe(M)})")


def _bool(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise InputValueError(f"{name} must be True or False (got {value!r})")
    return bool(value)


def _recycled(value, name: str):
    if value is not None and not isinstance(value, list):
        raise InputValueError(f"{name} must be a list (filled and reused between calls) or "
                              f"None (got {type(value).__name__})")
    return value


def _choice(value, choices, name: str) -> str:
    if not isinstance(value, str) or value not in choices:
        raise InputValueError(f"{name} must be one of {list(choices)} (got {value!r})")
    return value


#: option -> its check (a value in, the value to pass out): every option of METHOD_OPTIONS.
_CHECKS = {
    "restart": lambda v: positive_int(v, "restart"),
    "callback_type": lambda v: _choice(v, _CALLBACK_TYPES, "callback_type"),
    "m": lambda v: positive_int(v, "m"),
    "k": lambda v: positive_int(v, "k"),
    "CU": lambda v: _recycled(v, "CU"),
    "discard_C": lambda v: _bool(v, "discard_C"),
    "truncate": lambda v: _choice(v, _TRUNCATE, "truncate"),
    "inner_m": lambda v: positive_int(v, "inner_m"),
    "outer_k": lambda v: positive_int(v, "outer_k", minimum=0),
    "outer_v": lambda v: _recycled(v, "outer_v"),
    "store_outer_Av": lambda v: _bool(v, "store_outer_Av"),
    "prepend_outer_v": lambda v: _bool(v, "prepend_outer_v"),
    "M1": lambda v: v,  # checked against A's order in krylov()
    "M2": lambda v: v,
}


def check_method_options(method: str, options: dict) -> dict:
    """Validate the values of ``method``'s own options (names already checked); a copy.

    Examples
    --------
    >>> from sparsekit.linalg._krylov import check_method_options
    >>> check_method_options("gmres", {"restart": 20})
    {'restart': 20}
    >>> check_method_options("gmres", {"restart": 0})
    Traceback (most recent call last):
    ...
    sparsekit.errors.InputValueError: restart must be an integer >= 1 (got 0)
    """
    return {name: _CHECKS[name](value) for name, value in options.items()}


# --------------------------------------------------------------------------- runners


def _gmres(A, b, x, *, rtol, atol, budget, M, cb, restart, x_callback):
    """GMRES with ``budget`` inner iterations at most (None: SciPy's 10 n cycles)."""
    n = b.shape[0]
    restart = min(restart, max(n, 1))

    def cycles(x, length, count):
        return spla.gmres(A, b, x0=x, rtol=rtol, atol=atol, restart=length, maxiter=count,
                          M=M, callback=cb, callback_type="pr_norm")

    if x_callback is None:
        if budget is None:
            return cycles(x, restart, None)
        full, rest = divmod(budget, restart)
        info = 1
        if full:
            x, info = cycles(x, restart, full)
        if rest and info > 0:
            x, info = cycles(x, rest, 1)
        return x, info
    # callback_type='x': one cycle per call, the user's callback after each (SciPy's 'x')
    left = 10 * n * restart if budget is None else budget
    info = 1
    for _ in range(left):  # bounded: every cycle spends at least one of `left`
        if left <= 0:
            break
        before = cb.count[0]
        x, info = cycles(x, min(restart, left), 1)
        x_callback(x)
        left -= max(cb.count[0] - before, 1)
        if info <= 0:
            break
    return x, info


class _Counter:
    """The per-iteration callback handed to SciPy: counts, records history, calls the user's.

    It also reports progress (:mod:`sparsekit._progress`), at most every
    ``INTERVAL`` seconds and only while someone listens: the iteration count
    and the TRUE relative residual ``‖b − A x_k‖ / ‖b‖`` of the iterate (one
    extra mat-vec per report), against the relative target; GMRES hands over
    its preconditioned residual estimate instead (its iterate is formed only
    at the end of a cycle).
    """

    def __init__(self, A, b, history, user, gets_x: bool, bnorm: float, *, method: str = "",
                 target: float = 0.0):
        self.A, self.b, self.history, self.user = A, b, history, user
        self.gets_x, self.bnorm = gets_x, bnorm
        self.count = [0]
        self.hist: list[float] = []
        self.method, self.rtol = method, target / bnorm
        self.ticker = _progress.Ticker()

    def __call__(self, arg):
        self.count[0] += 1
        true = None
        if not self.gets_x:  # GMRES's preconditioned relative residual norm
            self.hist.append(float(arg) * self.bnorm)
        elif self.history:
            true = float(np.linalg.norm(self.b - self.A @ arg))
            self.hist.append(true)
        if self.ticker.due():
            self.tell(arg, true)
        if self.user is not None:
            self.user(arg)

    def tell(self, arg, true=None) -> None:
        """Report iteration ``k`` with the true relative residual (GMRES: its estimate)."""
        if not self.gets_x:
            facts = {"estimate": float(arg)}
        else:
            if true is None:
                true = float(np.linalg.norm(self.b - self.A @ arg))
            facts = {"residual": true / self.bnorm}
        _progress.report("iterate", method=self.method, iteration=self.count[0],
                         rtol=self.rtol, **facts)


def _pass_kwargs(method, kw, M, n):
    """SciPy's keywords for one pass of ``method`` (qmr's M1/M2 from M)."""
    kw = dict(kw)
    if method == "qmr":
        if M is not None and ("M1" in kw or "M2" in kw):
            raise InputValueError("qmr takes either M (or precond) or its own M1/M2, not both")
        if M is not None:
            kw["M1"], kw["M2"] = M, spla.aslinearoperator(sp.eye_array(n, format="csr"))
        for name in ("M1", "M2"):
            if kw.get(name) is not None:
                kw[name] = _operator(kw[name], n, name)
                if not has_adjoint(kw[name]):
                    raise InputValueError(f"qmr applies {name}ᴴ, but {name} is a "
                                          "LinearOperator without rmatvec; give it one")
        if "M1" in kw and "M2" not in kw:
            kw["M2"] = spla.aslinearoperator(sp.eye_array(n, format="csr"))
        if "M2" in kw and "M1" not in kw:
            kw["M1"] = spla.aslinearoperator(sp.eye_array(n, format="csr"))
        return kw
    kw["M"] = M
    return kw


def _is_complex(*arrays) -> bool:
    return any(a is not None and np.dtype(getattr(a, "dtype", float)).kind == "c"
               for a in arrays)


def _realified(op, n: int, dtype):
    """The real operator of order 2n acting on ``[Re z; Im z]`` as ``op`` acts on ``z``."""
    def apply(z):
        y = op @ (z[:n] + 1j * z[n:])
        return np.concatenate([y.real, y.imag]).astype(dtype, copy=False)

    return spla.LinearOperator((2 * n, 2 * n), matvec=apply, rmatvec=apply, dtype=dtype)


def _minres_complex(A, b, *, x0, M, callback, **kw) -> KrylovOutcome:
    """MINRES on a complex Hermitian system, as the equivalent real symmetric one."""
    n = b.shape[0]
    dtype = np.result_type(A.dtype, b.dtype, np.float32)
    real = np.finfo(dtype).dtype
    R = _realified(A, n, real)
    Mr = None if M is None else _realified(spla.aslinearoperator(M), n, real)
    z0 = None if x0 is None else np.concatenate([np.real(x0), np.imag(x0)]).astype(real)
    user = None if callback is None else (lambda z: callback(z[:n] + 1j * z[n:]))
    zb = np.concatenate([b.real, b.imag]).astype(real)
    out = krylov("minres", R, zb, x0=z0, M=Mr, callback=user, **kw)
    x = out.x[:n] + 1j * out.x[n:]
    return KrylovOutcome(x.astype(np.result_type(dtype, np.complex64)), out.info,
                         out.iterations, out.residuals, out.message, out.reason)


def _minres(fn, A, b, x, tol, budget, cb, kw):
    """SciPy's MINRES, its refusal of an indefinite preconditioner said as sparsekit's."""
    try:
        return fn(A, b, x0=x, rtol=tol, maxiter=budget, callback=cb, **kw)
    except ValueError as exc:  # <r, M r> < 0: "indefinite preconditioner"/"non-symmetric"
        if kw.get("M") is None:
            raise
        raise NotSPDError(
            f"MINRES needs a symmetric positive definite preconditioner, but <r, M r> < 0 "
            f"appeared (SciPy: {exc}); use precond='none' (or 'jacobi' on a positive "
            "diagonal), or method='gmres'") from None


def krylov(method, A, b, *, rtol, atol, maxiter=None, x0=None, M=None, callback=None,
           history=False, refine=8, **options) -> KrylovOutcome:
    """Run one SciPy Krylov method on a 1-D ``b``.

    Parameters
    ----------
    method : str
        The method (a key of :data:`KRYLOV`).
    A : sparse array, ndarray or LinearOperator
        The matrix (``bicg`` and ``qmr`` also apply ``Aᴴ``).
    b : ndarray
        Right-hand side, shape ``(n,)``.
    rtol, atol : float
        SciPy's tolerances.
    maxiter : int, optional
        Iteration budget over the whole call, refinement included (SciPy's
        default per pass when None).  GMRES: inner iterations; LGMRES and
        GCROT(m,k): outer iterations, as SciPy counts them.
    x0 : ndarray, optional
        Starting guess.
    M : LinearOperator, optional
        Preconditioner (approximates ``A^{-1}``; QMR: its left preconditioner).
    callback : callable, optional
        Called with the current iterate after each iteration (GMRES: with the
        preconditioned relative residual norm, unless ``callback_type='x'``).
    history : bool, default=False
        Record ``‖b − A x_k‖`` every iteration (one extra mat-vec each).
        GMRES records its (cheap) preconditioned residual norms regardless.
    refine : int, default=8
        When the method stops by its own test but the true residual misses
        ``max(rtol·‖b‖, atol)``, restart from the iterate with a tighter
        tolerance, at most this many times (within ``maxiter``), and only
        while each restart at least halves the true residual.  (SciPy's
        ``tfqmr`` with a Jacobi preconditioner, for one, reports success at a
        true relative residual of 4e-3 on a random diagonally dominant
        matrix asked for 1e-10.)
    **options
        The method's own options (:data:`METHOD_OPTIONS`, already validated).

    Returns
    -------
    KrylovOutcome
    """
    if method == "minres" and _is_complex(A, b, x0, M):
        return _minres_complex(A, b, rtol=rtol, atol=atol, maxiter=maxiter, x0=x0, M=M,
                               callback=callback, history=history, refine=refine, **options)
    fn = KRYLOV[method]
    n = b.shape[0]
    kw = dict(options)
    restart = kw.pop("restart", 50)
    x_cb = callback if kw.pop("callback_type", "pr_norm") == "x" else None
    bnorm = float(np.linalg.norm(b))
    gets_x = method != "gmres"
    target = max(rtol * bnorm, atol)
    cb = _Counter(A, b, history, None if x_cb is not None else callback, gets_x, bnorm or 1.0,
                  method=method, target=target)
    kw = _pass_kwargs(method, kw, M, n)
    run_rtol, run_atol = rtol, atol
    x, info, true, last, stalled = x0, 0, None, np.inf, False
    for _ in range(1 + refine):
        budget = None if maxiter is None else int(maxiter) - cb.count[0]
        if budget is not None and budget <= 0:
            break
        with single_thread_blas():
            if method == "gmres":
                x, info = _gmres(A, b, x, rtol=run_rtol, atol=run_atol, budget=budget, M=M,
                                 cb=cb, restart=restart, x_callback=x_cb)
            elif method == "minres":
                # MINRES takes rtol only, and stops on a backward-error estimate
                tol = run_rtol if bnorm == 0 else max(run_rtol, run_atol / bnorm)
                x, info = _minres(fn, A, b, x, tol, budget, cb, kw)
            else:
                limit = {} if budget is None else {"maxiter": budget}
                if method == "cg" and _cg.applies(A, b, x, kw["M"]):
                    fn = _cg.cg  # SciPy's iterates, fewer passes over memory
                x, info = fn(A, b, x0=x, rtol=run_rtol, atol=run_atol, callback=cb, **limit,
                             **kw)
        if info != 0 or bnorm == 0:
            break
        true = float(np.linalg.norm(b - A @ x))
        if true <= target or true > 0.5 * last:
            stalled = true > target
            break
        last = true
        # the method's own test passed but the true residual did not: restart from x,
        # asking for what is still missing (recursive residuals drift; MINRES and
        # preconditioned methods test other norms)
        run_rtol = max(0.5 * run_rtol * target / true, np.finfo(float).eps)
        run_atol = 0.0
    else:
        stalled = true is not None and true > target  # every refinement spent
    reason, message = _reason(int(info)), _message(int(info))
    if info == 0 and true is not None and true > target:
        info = max(cb.count[0], 1)  # the budget or the refinements ran out
        reason, message = "maxiter", _message(int(info))
        if stalled:
            reason = "stalled"
            message = (f"stalled: the method's own test passed, but restarts from its iterate "
                       f"left the true relative residual at {true / (bnorm or 1.0):.1e} (the "
                       "attainable accuracy of its recursive residual)")
    elif info > 0:
        info = max(cb.count[0], 1)  # SciPy counts GMRES cycles; sparsekit iterations
        message = _message(int(info))
    if cb.ticker.active and gets_x and bnorm:
        cb.tell(x)  # the last word: where the iteration ended
    return KrylovOutcome(np.asarray(x), int(info), cb.count[0], np.asarray(cb.hist),
                         message, reason)


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
    reason = "ill-conditioned" if istop in (3, 6) else _reason(info)
    return KrylovOutcome(np.asarray(x), info, itn, np.asarray([float(out[3])]),
                         messages.get(istop, _message(info)), reason)
