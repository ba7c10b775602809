"""How ``sk.solve`` finishes: the true residual, the fallback, and a failure explained.

Steps 5 and 6 of :mod:`sparsekit.linalg.solve`'s policy:

* :func:`finish`: the TRUE residual ``‖b − A x‖`` recomputed, ``converged``
  decided on it (least squares: on the normal equations);
* :func:`may_fall_back`: whether ``auto``'s failed iterative solve may be
  redone by a factorization that fits;
* :func:`explain`: a solve that did not converge says why (the first cause
  that applies: ``rtol`` below what the dtype can certify, a breakdown,
  stagnation, ``maxiter`` reached, the factorization's rounding on an
  ill-conditioned matrix) and what to try (``precond="amg"``, a looser
  ``rtol``, ``method="direct"`` within its memory estimate, a larger
  ``maxiter``, double precision), in the result's notes; the condition
  estimate (:func:`sparsekit.linalg._condest.condition_note`) joins them.

The notes spell every suggestion as Python does (``precond='amg'``); the
command line turns them into its options.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .._guards import available_memory
from .._validate import is_converged
from ..errors import SparsekitError
from ..results import _fmt_bytes
from . import _krylov
from ._condest import condition_note
from ._inspect import factor_memory

__all__ = ["finish", "may_fall_back", "explain", "attainable", "FALLBACK_MAX_BYTES",
           "CONDEST_ON_FAILURE_MAX_N"]

_KRYLOV = tuple(_krylov.KRYLOV)
_LSQ = tuple(_krylov.LEAST_SQUARES)

#: ``auto`` falls back to a factorization after a failed iterative solve only when the
#: estimated factor is below this many bytes and the mesh is not 3-D (measured: SuperLU on a
#: 48^3 Poisson took 100 s with fill 138).
FALLBACK_MAX_BYTES = 1024**3

#: A failed solve is explained by a condition estimate (sk.condest: a factorization, cached
#: for the retry, and a few solves with it) up to this order; beyond it only when a
#: factorization of A is cached already.
CONDEST_ON_FAILURE_MAX_N = 50_000


def _normal_eq_ok(A, r, rtol, atol):
    """Least-squares optimality: ‖Aᴴ r‖ ≤ rtol·‖A‖_F·‖r‖ for every column."""
    Ahr = A.conj().T @ r if not isinstance(A, spla.LinearOperator) else A.rmatvec(r)
    fro = (np.sqrt(np.sum(np.abs(A.data) ** 2)) if sp.issparse(A)
           else np.linalg.norm(np.asarray(A)))
    a = np.linalg.norm(Ahr, axis=0)
    rn = np.linalg.norm(r, axis=0)
    ratio = float(np.max(a / np.maximum(fro * rn, 1e-300)))
    return bool(np.all(a <= rtol * fro * rn) or np.all(rn <= atol)), ratio


def finish(system, x, method: str, rtol: float, atol: float):
    """``(x, converged, relative residual)`` from the TRUE residual ``b − A x``."""
    if system.null is not None:
        x = x - system.null.project(x)
    r = system.b - system.A @ x
    rnorm = np.linalg.norm(r, axis=0)
    bnorm = system.bnorm
    rel = float(np.max(rnorm / np.where(bnorm == 0, 1.0, bnorm)))
    conv = is_converged(rnorm, bnorm, rtol, atol)
    if not conv and (method in _LSQ or (method == "dense" and not system.square)):
        conv, ratio = _normal_eq_ok(system.A, r, rtol, atol)
        system.notes.append(f"least squares: ‖Aᴴr‖/(‖A‖_F‖r‖) = {ratio:.2e} "
                            f"({'<=' if conv else '>'} rtol)")
    return x, conv, rel


def _factor_bytes(system, the_plan) -> float | None:
    """The estimated memory of a factorization of ``A`` (None: not a square matrix)."""
    A = system.A
    if system.operator or A.shape[0] != A.shape[1]:
        return None
    if not sp.issparse(A):  # LAPACK's LU works on a copy of the dense A
        return float(np.asarray(A).nbytes)
    d = the_plan.properties.get("mesh_dimension") if the_plan is not None else None
    symmetric = bool(system.props and system.props.symmetric)
    return factor_memory(A.shape[0], A.nnz, d, symmetric)


def may_fall_back(system, the_plan, method: str) -> bool:
    """Whether ``auto``'s failed iterative solve may be redone by a factorization that fits."""
    if the_plan is None or method not in _KRYLOV or not sp.issparse(system.A) \
            or not system.square:
        return False
    d = the_plan.properties.get("mesh_dimension")
    return (d is None or d <= 2) and (need := _factor_bytes(system, the_plan)) is not None \
        and need < FALLBACK_MAX_BYTES


def attainable(A, x, b, dtype=None) -> float:
    """The relative residual rounding alone can leave: ``ε ‖|A| |x|‖ / ‖b‖`` (worst column).

    ``ε`` is the machine epsilon of ``dtype`` (default: ``x``'s precision):
    computing ``b − A x`` in that arithmetic makes errors of about this size,
    so no ``rtol`` below it can be certified.  NaN for a LinearOperator
    (``|A|`` is not at hand).

    Examples
    --------
    >>> import numpy as np
    >>> import sparsekit as sk
    >>> from sparsekit.linalg._solve_finish import attainable
    >>> A = sk.poisson((20, 20)).astype(np.float32)
    >>> x = np.ones(400, dtype=np.float32)
    >>> 1e-7 < attainable(A, x, A @ x) < 1e-5
    True
    """
    if isinstance(A, spla.LinearOperator) or not np.size(x):
        return float("nan")
    eps = np.finfo(np.result_type(x.dtype if dtype is None else dtype, np.float32)).eps
    absA = abs(sp.csr_array(A)) if sp.issparse(A) else np.abs(np.asarray(A))
    ax = np.linalg.norm(absA @ np.abs(x), axis=0)
    bn = np.linalg.norm(b, axis=0)
    return float(eps * np.max(ax / np.where(bn == 0, 1.0, bn)))


def _condition(system) -> str:
    """The condition estimate for a failed solve's notes ("" when there is none)."""
    A = system.A
    if system.operator or not system.square or system.null is not None:
        return ""
    try:
        return condition_note(A, cached_only=A.shape[0] > CONDEST_ON_FAILURE_MAX_N)
    except (SparsekitError, MemoryError) as exc:
        return f"no condition estimate ({exc})"


def _looser(rel: float) -> str:
    """An ``rtol`` this run would have met: ``rel`` rounded up to one significant digit."""
    exponent = int(np.floor(np.log10(rel)))
    mantissa = int(np.ceil(rel / 10.0**exponent - 1e-9))
    if mantissa >= 10:
        mantissa, exponent = 1, exponent + 1
    return f"{mantissa}e{exponent}"


def _problem(run, prefix: str) -> str | None:
    return next((p for p in run.problems if p.startswith(prefix)), None)


def _precision(system, method, x) -> np.dtype:
    """The arithmetic a solve ran in: ``A``'s for a factorization, ``x``'s for an iteration."""
    of = system.A.dtype if method in ("direct", "dense") and not system.operator else x.dtype
    return np.result_type(of, np.float32)


def _why(system, run, method, req, rel, x, floor) -> str:
    """The first cause that applies, in words."""
    dtype = _precision(system, method, x)
    target = max(req.rtol, req.atol / max(float(np.max(system.bnorm)), 1e-300))
    if np.isfinite(floor) and target < floor:
        return (f"rtol={req.rtol:g} is below what {dtype.name} arithmetic can certify for this "
                f"system: rounding alone leaves a relative residual of about {floor:.1e} "
                "(ε‖|A||x|‖/‖b‖)")
    reasons = set(run.reasons)
    if run.breakdown or "breakdown" in reasons:
        return _problem(run, "breakdown") or "breakdown: the method cannot continue"
    if "stalled" in reasons:
        return _problem(run, "stalled") or "stalled"
    if "ill-conditioned" in reasons:
        return run.problems[0]
    if "maxiter" in reasons:
        return (f"maxiter={req.maxiter} reached" if req.maxiter is not None
                else "the method's default iteration limit reached")
    if method in ("direct", "dense"):
        return ("the factorization's rounding: the matrix is too ill-conditioned for "
                f"rtol={req.rtol:g} in {dtype.name}")
    return run.problems[0] if run.problems else "tolerance not met"


def _tries(system, run, method, precond, req, rel, x, floor, the_plan) -> list[str]:
    """What to try, most promising first (each spelled as Python passes it)."""
    tries = []
    if _precision(system, method, x) in (np.float32, np.complex64):
        tries.append("double precision (A.astype(np.float64), b too): float32 and complex64 "
                     "certify about 7 digits at best")
    props = system.props
    spd_like = props is not None and props.symmetric and (props.diag_sign == "positive"
                                                          or props.laplacian)
    if method in _KRYLOV and precond in ("none", "jacobi", "ilu") and spd_like \
            and not system.operator:
        tries.append("precond='amg' (algebraic multigrid: iterations independent of the mesh "
                     "size on elliptic problems)")
    if method in _KRYLOV or method in _LSQ:
        need = _factor_bytes(system, the_plan)
        free = available_memory()
        if need is not None and (free is None or need < 0.5 * free):
            tries.append(f"method='direct' (a sparse factorization, estimated {_fmt_bytes(need)}"
                         + (f" of {_fmt_bytes(free)} available)" if free else ")"))
        if "maxiter" in run.reasons and _decreasing(run.residuals):
            tries.append(f"maxiter={2 * max(run.iterations, 1)} (the residual was still "
                         "decreasing)")
    if np.isfinite(rel) and rel < 1:
        looser = _looser(rel)
        tries.append(f"rtol={looser} (this run reached {rel:.1e}), if that is accurate enough")
    return tries


def _decreasing(residuals) -> bool:
    """Whether a residual history still fell over its last quarter (by 10% at least)."""
    h = np.asarray(residuals, dtype=float)
    if h.size < 8:
        return True  # no history to say otherwise
    q = h.size // 4
    return bool(np.min(h[-q:]) < 0.9 * np.min(h[: h.size - q]))


def explain(system, run, method: str, precond: str, req, rel: float, x, the_plan) -> str:
    """Why the solve did not converge (returned) and what to try (added to the notes).

    Also adds the condition estimate.  Returns the one-line cause for the
    warning's message.
    """
    floor = attainable(system.A, np.asarray(x), system.b, _precision(system, method, x))
    why = _why(system, run, method, req, rel, np.asarray(x), floor)
    cond = _condition(system)
    if cond:
        system.notes.append(cond)
    tries = _tries(system, run, method, precond, req, rel, np.asarray(x), floor, the_plan)
    if tries:
        system.notes.append("to try: " + "; ".join(tries))
    return why
