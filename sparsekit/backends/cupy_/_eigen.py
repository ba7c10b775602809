"""Symmetric eigenpairs in the namespace: Lanczos, LOBPCG with device AMG, shift-invert.

cupyx offers thick-restart Lanczos (``eigsh``: largest, or smallest algebraic)
and LOBPCG but no shift-invert (no device factorization) and no AMG.  Here:

* ``largest``: Lanczos (``cupyx.scipy.sparse.linalg.eigsh``, ``which="LA"``).
* ``smallest``: LOBPCG preconditioned by the device AMG V-cycle; for a graph
  Laplacian the constant vector of every connected component is a known null
  vector: those pairs are returned exactly and LOBPCG runs constrained to
  their orthogonal complement (``Y=``).
* ``sigma`` (``nearest``): shift-invert Lanczos with the factorization of
  ``A − σI`` made on the host by SuperLU; each application of the inverse
  copies one block host↔device, explicitly, and the notes say so.  With
  ``M`` the whole shift-invert runs on the host (SciPy ARPACK).

Every pair's residual ``‖A v − λ M v‖`` is computed in the namespace.

SciPy's ``which`` codes (``sk.eigsh(which='LM')``...) reach this backend
validated (:func:`sparsekit._requests.check_which`; ``'SA'``/``'LA'`` arrive
as ``"smallest"``/``"largest"``): ``'LM'`` runs on cupyx's Lanczos, which
ranks it natively; every code runs on the dense path
(:func:`~sparsekit._requests.select_which` on all the eigenvalues); the
others (``'SM'``, ``'BE'``, a code with ``sigma``) are refused with the
reason, since cupyx's Lanczos ranks only ``'LM'``/``'LA'``/``'SA'`` and
LOBPCG only the extreme algebraic ends.  ``ncv`` is Lanczos's (and
shift-invert's) number of basis vectors.

:func:`run_eigsh` takes a validated :class:`~sparsekit._requests.EigenRequest`
(built by ``sk.eigsh(..., backend="cupy")``, or by the keyword function
:func:`eigsh`, against :data:`EIGEN_METHODS`, :data:`EIGEN_PRECONDS` and
:data:`EIGEN_OPTIONS`): :func:`_problem` moves ``A`` (and ``M``, ``v0``) to the
namespace and checks what needs the entries, :func:`_choose` picks the method,
:data:`_RUNNERS` runs it and :func:`_result` orders, selects and judges the pairs.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..._choices import WHICH
from ..._requests import DEFAULT_EIGEN_TOL, EigenRequest, eigen_request, select_which, shape_of
from ...errors import (
    BackendError,
    InputValueError,
    NotSymmetricError,
    SingularMatrixError,
    report_nonconvergence,
)
from ...results import EigenResult
from ._amg import AMG_OPTIONS, DeviceAMG
from ._checks import DeviceProperties, check_entries, components, inspect_device
from ._namespace import NAMESPACE_OPTIONS, Namespace, is_device, resolve, to_device, to_host

__all__ = ["eigsh", "run_eigsh", "EIGEN_METHODS", "EIGEN_PRECONDS", "EIGEN_OPTIONS", "WHICH"]

#: Eigensolvers of the GPU backend.
EIGEN_METHODS = {
    "auto": "dense for n <= 500, else shift_invert with sigma, lanczos for largest, "
            "lobpcg for smallest",
    "lanczos": "thick-restart Lanczos (cupyx.scipy.sparse.linalg.eigsh)",
    "arpack": "alias of 'lanczos' (the device has no ARPACK; Lanczos plays its part)",
    "lobpcg": "LOBPCG (cupyx.scipy.sparse.linalg.lobpcg) with a preconditioner",
    "shift_invert": "Lanczos on (A − σI)⁻¹, factorization on the host (stated fallback)",
    "dense": "dense eigh of the whole matrix in the namespace",
}
#: LOBPCG's preconditioners (the other methods take none).
EIGEN_PRECONDS = {"auto": "amg for the smallest pairs, none for the largest",
                  "none": "none", "jacobi": "inverse diagonal", "amg": "device AMG V-cycle"}
#: Expert keyword options of ``sk.eigsh(..., backend="cupy")``.
EIGEN_OPTIONS = {**NAMESPACE_OPTIONS, **AMG_OPTIONS}

_DENSE_N = 500  # below this many rows, auto uses the dense eigensolver
_LOBPCG_MAXITER = 200  # LOBPCG's iteration limit when the caller gives none


@dataclass(frozen=True)
class _Problem:
    """``A v = λ M v`` in the namespace, and what the choice, the runners and the result read."""

    ns: Namespace
    A: Any  # in the namespace
    host: Any  # the host matrix A was copied from, else None
    M: Any  # in the namespace, or None
    host_mass: Any  # the host matrix M was copied from, else None
    v0: Any  # in the namespace, or None
    k: int
    which: str
    sigma: float | None
    precond: str
    tol: float  # relative to ‖A‖₁ + |λ| ‖M‖₁
    maxiter: int | None
    props: DeviceProperties
    norm_m: float  # ‖M‖₁, 0 without M
    amg_options: dict  # smoother, sweeps for DeviceAMG.setup
    notes: list[str]
    ncv: int | None = None  # Lanczos's number of basis vectors (the caller's)


@dataclass(frozen=True)
class _Raw:
    """A runner's pairs (any order, possibly more than ``k``) and when its setup ended."""

    w: Any
    V: Any
    iterations: int = 0
    ready: float | None = None  # ns.clock() after the method's own setup (factor, AMG)


def _start_vector(ns: Namespace, v0):
    """``v0`` in the namespace; its shape was checked with the request, its values here."""
    v0 = ns.xp.asarray(to_device(v0, ns))
    if not bool(ns.xp.isfinite(v0).all()) or not bool(v0.any()):
        raise InputValueError("v0 must be finite and non-zero")
    return v0


def _problem(ns: Namespace, A, req: EigenRequest) -> _Problem:
    """Move ``A``, ``M``, ``v0`` to the namespace and check what needs their entries."""
    notes: list[str] = []
    host_A = None if is_device(A) else A
    if host_A is not None:
        if not hasattr(A, "shape"):
            raise InputValueError(f"A must be a sparse matrix or an array (got "
                                  f"{type(A).__name__})")
        A = to_device(A, ns)
        if ns.on_device:
            notes.append("A copied host→device")
    check_entries(ns, A)
    M = host_M = None
    if req.M is not None:
        host_M = None if is_device(req.M) else req.M
        M = to_device(req.M, ns)
        check_entries(ns, M, "M")
    v0 = None if req.v0 is None else _start_vector(ns, req.v0)
    props = inspect_device(ns, A)
    if not props.symmetric:
        raise NotSymmetricError(
            f"A must be symmetric (Hermitian) for eigsh (got {type(A).__name__} of shape "
            f"{A.shape}); the GPU backend has no nonsymmetric eigensolver"
        )
    norm_m = 0.0 if M is None else inspect_device(ns, M).norm1
    return _Problem(
        ns, A, host_A, M, host_M, v0, req.k, req.which, req.sigma, req.precond,
        DEFAULT_EIGEN_TOL if req.tol is None else req.tol, req.maxiter, props, norm_m,
        {k: v for k, v in req.options.items() if k in AMG_OPTIONS}, notes, req.ncv,
    )


def _choose(prob: _Problem, method: str) -> tuple[str, _Problem]:
    """The method (``auto`` by size, ``which``, ``sigma`` and ``M``; noted) and its problem.

    Shift-invert without ``sigma`` targets the smallest pairs from ``sigma = 0``.
    """
    notes = prob.notes
    if method == "arpack":
        method = "lanczos"
        notes.append("method 'arpack' runs as Lanczos (cupyx has no ARPACK)")
    if prob.which not in WHICH:
        method = _choose_code(prob, method)
    if method == "auto":
        n = prob.A.shape[0]
        if prob.sigma is not None:
            method = "shift_invert"
            notes.append(f"method 'shift_invert': sigma={prob.sigma} given")
        elif n <= _DENSE_N:
            method = "dense"
            notes.append(f"method 'dense': n={n} <= {_DENSE_N}")
        elif prob.which == "largest" and prob.M is None:
            method = "lanczos"
            notes.append("method 'lanczos': largest eigenvalues")
        else:
            method = "lobpcg"
            notes.append(f"method 'lobpcg': {prob.which} eigenvalues of a large matrix")
    if method == "shift_invert" and prob.sigma is None:
        if prob.which == "largest":
            raise InputValueError("method='shift_invert' for the largest pairs needs sigma")
        prob = replace(prob, sigma=0.0)
        notes.append("sigma=0 for the smallest pairs")
    return method, prob


def _choose_code(prob: _Problem, method: str) -> str:
    """The method for one of SciPy's ``which`` codes, or a refusal that says why.

    ``'LM'`` (no ``sigma``, no ``M``) is cupyx Lanczos's own ranking; any code
    runs on the dense path; nothing else here ranks magnitudes or ``1 / (λ − σ)``.
    """
    n = prob.A.shape[0]
    lanczos_ok = prob.which == "LM" and prob.sigma is None and prob.M is None
    if method == "auto":
        if n <= _DENSE_N:
            prob.notes.append(f"method 'dense': n={n} <= {_DENSE_N} (which={prob.which!r})")
            return "dense"
        if lanczos_ok:
            prob.notes.append("method 'lanczos': which='LM' is Lanczos's own ranking")
            return "lanczos"
    elif method == "dense" or (method == "lanczos" and lanczos_ok):
        return method
    sig = "" if prob.sigma is None else f" with sigma={prob.sigma!r}"
    raise InputValueError(
        f"which={prob.which!r}{sig} cannot run on the GPU backend with method={method!r}: "
        "cupyx's Lanczos ranks only 'LM', 'LA' and 'SA' (without M), LOBPCG only the "
        "algebraic ends, and there is no device shift-invert mode for SciPy's codes; use "
        "method='dense' (small n), which='smallest'/'largest'/'nearest', or backend='scipy'"
    )


# --------------------------------------------------------------------------- runners


def _run_dense(prob: _Problem) -> _Raw:
    """Dense ``eigh`` of the whole matrix (Cholesky-reduced with ``M``) in the namespace."""
    xp, A, M = prob.ns.xp, prob.A, prob.M
    Ad = A.toarray() if prob.ns.issparse(A) else xp.asarray(A)
    if M is None:
        w, V = xp.linalg.eigh(Ad)
    else:
        Md = M.toarray() if prob.ns.issparse(M) else xp.asarray(M)
        Linv = xp.linalg.inv(xp.linalg.cholesky(Md))
        w, Y = xp.linalg.eigh(Linv @ Ad @ Linv.conj().T)
        V = Linv.conj().T @ Y
    k = prob.k
    if prob.which not in WHICH or prob.which == "nearest":  # select by the meaning of which
        idx = np.sort(select_which(np.asarray(to_host(w)), prob.which, prob.sigma, k))
        return _Raw(w[idx], V[:, idx])
    sel = slice(Ad.shape[0] - k, None) if prob.which == "largest" else slice(0, k)
    return _Raw(w[sel], V[:, sel])


def _run_lanczos(prob: _Problem) -> _Raw:
    """Thick-restart Lanczos (cupyx's ``eigsh``) on ``A`` (smallest or largest algebraic)."""
    if prob.M is not None:
        raise BackendError("method='lanczos' on the device cannot take M; use "
                           "method='lobpcg' (or 'auto')")
    which = {"largest": "LA", "smallest": "SA"}.get(prob.which, prob.which)
    w, V = prob.ns.xspla.eigsh(prob.A, k=prob.k, which=which, v0=prob.v0, ncv=prob.ncv,
                               maxiter=prob.maxiter, tol=0)
    return _Raw(w, V)


def _host_factor(A_host, sigma):
    """SuperLU of ``A − σI`` on the host; singular (to rounding) is an error."""
    n = A_host.shape[0]
    S = sp.csc_matrix(A_host - sigma * sp.eye_array(n, dtype=A_host.dtype, format="csc"))
    hint = ("sigma is an eigenvalue; move sigma slightly (e.g. sigma=-1e-3 for a "
            "Laplacian's smallest pairs)")
    try:
        lu = spla.splu(S)
    except RuntimeError as exc:
        raise SingularMatrixError(f"A − sigma·I is exactly singular for sigma={sigma!r} "
                                  f"(SuperLU: {exc}): {hint}") from exc
    u = np.abs(lu.U.diagonal())
    if u.size and u.min() <= n * np.finfo(float).eps * u.max():
        raise SingularMatrixError(
            f"A − sigma·I is singular to working precision for sigma={sigma!r} (smallest "
            f"pivot {u.min():.2e} against largest {u.max():.2e}): {hint}"
        )
    return lu


def _run_shift_invert(prob: _Problem) -> _Raw:
    """Lanczos on ``(A − σI)⁻¹`` with a host factorization; with ``M``, ARPACK on the host."""
    assert prob.sigma is not None  # _choose sets sigma=0.0 for shift-invert without one
    ns, xp, notes, sigma = prob.ns, prob.ns.xp, prob.notes, float(prob.sigma)
    src = prob.host if prob.host is not None else to_host(prob.A)
    if prob.host is None:
        notes.append("A copied device→host to factorize A − σI (cupyx has no device "
                     "factorization)")
    if prob.M is not None:
        src_M = prob.host_mass if prob.host_mass is not None else to_host(prob.M)
        w, V = spla.eigsh(sp.csc_matrix(src), k=prob.k, M=sp.csc_matrix(src_M), sigma=sigma,
                          which="LM", v0=None if prob.v0 is None else to_host(prob.v0),
                          maxiter=prob.maxiter)
        notes.append("shift-invert with M ran entirely on the host (SciPy ARPACK + "
                     "SuperLU): the device has no factorization; vectors moved to the "
                     "device")
        return _Raw(xp.asarray(to_device(w, ns)), xp.asarray(to_device(V, ns)))
    lu = _host_factor(sp.csr_matrix(src), sigma)
    ready = ns.clock()

    def apply_inverse(x):
        return xp.asarray(to_device(lu.solve(np.asarray(to_host(x))), ns))

    OP = ns.operator(prob.A.shape, apply_inverse, prob.A.dtype, matmat=apply_inverse)
    theta, V = ns.xspla.eigsh(OP, k=prob.k, which="LM", v0=prob.v0, ncv=prob.ncv,
                              maxiter=prob.maxiter, tol=0)
    notes.append(f"shift-invert: A − {sigma:g}·I factorized on the host by SuperLU "
                 "(cupyx has no device factorization); Lanczos on the device, each "
                 "solve copies one vector host↔device")
    return _Raw(sigma + 1.0 / theta, V, ready=ready)


def _null_vectors(prob: _Problem):
    """Normalised indicator vectors of the connected components of a Laplacian."""
    ns, A = prob.ns, prob.A
    ncomp, labels = components(ns, A)
    counts = np.bincount(labels, minlength=ncomp)
    Y = np.zeros((A.shape[0], ncomp))
    Y[np.arange(A.shape[0]), labels] = 1.0 / np.sqrt(counts[labels])
    prob.notes.append(f"A is a graph Laplacian with {ncomp} connected component(s) (found on "
                      "the host from the sparsity pattern): the constant vector of each is an "
                      "exact null vector, included as is; the remaining pairs are constrained "
                      "orthogonal to them")
    return ns.xp.asarray(to_device(Y, ns))


def _lobpcg_precond(prob: _Problem):
    """``(P, name)``: LOBPCG's preconditioner; ``auto`` is AMG for all but the largest pairs."""
    ns, A, precond = prob.ns, prob.A, prob.precond
    if precond == "auto":
        # AMG approximates A⁻¹: it speeds up the smallest pairs, not the largest.
        precond = "amg" if prob.which != "largest" else "none"
    if precond == "amg":
        amg = DeviceAMG.setup(prob.host if prob.host is not None else A, ns,
                              **prob.amg_options)
        prob.notes.extend(amg.notes)
        return amg.aslinearoperator(), precond
    if precond == "jacobi":
        dinv = 1.0 / A.diagonal()
        return ns.operator(A.shape, lambda x: dinv * x if x.ndim == 1 else dinv[:, None] * x,
                           A.dtype, matmat=lambda X: dinv[:, None] * X), precond
    return None, precond


def _run_lobpcg(prob: _Problem) -> _Raw:
    """LOBPCG, constrained orthogonal to a Laplacian's known null vectors (returned as is)."""
    ns, xp, A, k = prob.ns, prob.ns.xp, prob.A, prob.k
    Y = None
    if prob.props.laplacian and prob.M is None and prob.which == "smallest":
        Y = _null_vectors(prob)
        null_vals = xp.real(xp.sum(Y.conj() * (A @ Y), axis=0))
        if Y.shape[1] >= k:
            return _Raw(null_vals[:k], Y[:, :k])
    m = k - (0 if Y is None else Y.shape[1])
    P, precond = _lobpcg_precond(prob)
    ready = ns.clock()
    maxiter = _LOBPCG_MAXITER if prob.maxiter is None else prob.maxiter
    if 5 * k > A.shape[0]:  # the block: m new vectors beside the k - m null vectors
        prob.notes.append("LOBPCG's block is large for n: SciPy/cupyx may solve densely")
    X = ns.xp.random.RandomState(0).standard_normal((A.shape[0], m)).astype(A.dtype)
    if prob.v0 is not None:
        X[:, 0] = prob.v0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # we judge every pair ourselves
        w, V, hist = ns.xspla.lobpcg(A, X, B=prob.M, M=P, Y=Y,
                                     tol=0.5 * prob.tol * prob.props.norm1, maxiter=maxiter,
                                     largest=(prob.which == "largest"),
                                     retResidualNormsHistory=True)
    prob.notes.append(f"LOBPCG preconditioner: {precond}")
    if Y is not None:
        w, V = xp.concatenate([null_vals, xp.asarray(w)]), xp.concatenate([Y, V], axis=1)
    return _Raw(w, V, len(hist), ready)


#: method -> runner(problem) -> _Raw
_RUNNERS = {"dense": _run_dense, "lanczos": _run_lanczos, "shift_invert": _run_shift_invert,
            "lobpcg": _run_lobpcg}


def _result(prob: _Problem, method: str, raw: _Raw, t0: float, t1: float,
            strict: bool) -> EigenResult:
    """Order, select ``k``, the residual of every pair in the namespace, the policy applied."""
    ns, xp, notes, k = prob.ns, prob.ns.xp, prob.notes, prob.k
    w = xp.real(xp.asarray(raw.w))
    order = xp.argsort(w)
    w, V = w[order], raw.V[:, order]
    # shift-invert, 'LM' Lanczos and the dense path's codes return the k wanted; the others
    # may return more than k
    sel = slice(-k, None) if prob.which == "largest" and method != "shift_invert" else slice(0, k)
    w, V = w[sel], V[:, sel]
    MV = V if prob.M is None else prob.M @ V
    res = xp.linalg.norm(prob.A @ V - MV * w[None, :], axis=0)
    t2 = ns.clock()
    values, residuals = np.asarray(to_host(w)), np.asarray(to_host(res))
    scale = prob.props.norm1 + np.abs(values) * prob.norm_m
    converged = residuals <= prob.tol * scale
    if prob.host is not None and ns.on_device:
        V = to_host(V)
        notes.append("vectors copied device→host (A was a host matrix)")
    result = EigenResult(values=values, vectors=V, residuals=residuals, converged=converged,
                         method=method, backend=ns.backend, iterations=int(raw.iterations),
                         timings={"setup": t1 - t0, "solve": t2 - t1}, tol=float(prob.tol),
                         notes=tuple(notes))
    if not result.all_converged:
        msg = (f"eigsh {method} ({ns.backend}): {int(np.sum(~converged))} of {k} pairs did "
               f"not reach tol={prob.tol:g}·‖A‖₁ (largest residual "
               f"{float(residuals.max()):.3e})")
        # 5: this helper, run_eigsh, then eigsh or sk.eigsh: the warning points at their caller
        report_nonconvergence(msg, result, strict, stacklevel=5)
    return result


def run_eigsh(A, req: EigenRequest) -> EigenResult:
    """``sk.eigsh`` on this backend, from a validated :class:`~sparsekit._requests.EigenRequest`.

    ``req`` carries the arguments of :func:`eigsh` (its expert options
    ``xp_name``, ``smoother``, ``sweeps`` in ``req.options``), already checked
    against :data:`EIGEN_METHODS`, :data:`EIGEN_PRECONDS` and
    :data:`EIGEN_OPTIONS` (``k < n``, ``which``/``sigma``, ``tol``, the
    shapes of ``M`` and ``v0``); what needs the entries is checked here, in
    the namespace.
    """
    ns = resolve(req.options.get("xp_name"), A, req.M, req.v0)
    t0 = ns.clock()
    prob = _problem(ns, A, req)
    method, prob = _choose(prob, req.method)
    t1 = ns.clock()
    raw = _RUNNERS[method](prob)
    return _result(prob, method, raw, t0, t1 if raw.ready is None else raw.ready, req.strict)


def eigsh(A, *, k=6, which=None, sigma=None, M=None, method="auto", precond="auto",
          tol=None, maxiter=None, v0=None, strict=False, xp_name=None,
          smoother="chebyshev", sweeps=2) -> EigenResult:
    """``k`` eigenpairs of a symmetric ``A`` (or ``A v = λ M v``) in the namespace.

    Parameters
    ----------
    A : cupyx sparse matrix, cupy array, or host sparse/dense
        Symmetric (Hermitian).  A host matrix is copied to the device (noted).
    k : int, default=6
        Number of pairs, ``1 <= k < n``.
    which : {"smallest", "largest", "nearest"}, optional
        Which eigenvalues; default ``"nearest"`` when ``sigma`` is given, else
        ``"smallest"``.  ``"nearest"`` needs ``sigma`` and ``sigma`` needs it.
    sigma : float, optional
        Shift: the ``k`` eigenvalues nearest ``sigma`` (shift-invert, host factor).
    M : sparse matrix, optional
        SPD mass matrix of a generalized problem.
    method : str, default="auto"
        One of :data:`EIGEN_METHODS`.
    precond : {"auto", "none", "jacobi", "amg"}, default="auto"
        LOBPCG's preconditioner; ``auto`` is the device AMG.
    tol : float, optional
        Residual tolerance relative to ``‖A‖₁``: a pair is converged when
        ``‖A v − λ M v‖ ≤ tol·(‖A‖₁ + |λ|·‖M‖₁)`` (``‖M‖₁ = 0`` without M).
        Default 1e-8 (as ``sk.eigsh``); ``result.tol`` is this relative value.
    maxiter : int, optional
        Iteration limit (LOBPCG default 200).
    v0 : array, optional
        Starting vector (Lanczos), or first column of LOBPCG's starting block.
    strict : bool, default=False
        Raise :class:`~sparsekit.NoConvergence` instead of warning.
    xp_name : {"cupy", "numpy"}, optional
        Namespace; default ``"cupy"``.
    smoother, sweeps
        The device AMG's smoother and its degree (see :class:`DeviceAMG`).

    Returns
    -------
    EigenResult
        Values ascending (host array), vectors in the namespace (moved to the
        host when ``A`` was a host matrix), residuals of every pair.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> from sparsekit.backends import cupy_
    >>> T = sp.diags_array([-1.0, 2.0, -1.0], offsets=[-1, 0, 1], shape=(40, 40))
    >>> A = sp.csr_array(sp.kronsum(T, T))
    >>> e = cupy_.eigsh(A, k=3, xp_name="numpy")
    >>> e.method, e.all_converged
    ('lobpcg', True)
    """
    req = eigen_request(shape_of(A), backend="cupy", k=k, which=which, sigma=sigma, M=M,
                        method=method, precond=precond, tol=tol, maxiter=maxiter, v0=v0,
                        strict=strict, check=True,
                        options={"xp_name": xp_name, "smoother": smoother, "sweeps": sweeps},
                        methods=EIGEN_METHODS, preconds=EIGEN_PRECONDS,
                        option_names=EIGEN_OPTIONS)
    return run_eigsh(A, req)
