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
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..._validate import check_choice, positive_int
from ...errors import (
    BackendError,
    InputValueError,
    NotSymmetricError,
    SingularMatrixError,
    report_nonconvergence,
)
from ...results import EigenResult
from ._amg import DeviceAMG
from ._checks import check_matrix, components, inspect_device
from ._namespace import is_device, resolve, to_device, to_host

__all__ = ["eigsh", "EIGEN_METHODS", "WHICH", "EIGEN_PRECONDS"]

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
WHICH = {"smallest": "smallest algebraic", "largest": "largest algebraic",
         "nearest": "nearest to sigma"}
EIGEN_PRECONDS = {"auto": "amg for the smallest pairs, none for the largest",
                  "none": "none", "jacobi": "inverse diagonal", "amg": "device AMG V-cycle"}

_DENSE_N = 500  # below this many rows, auto uses the dense eigensolver
_DEFAULT_TOL = 1e-8  # residual tolerance relative to ‖A‖₁ + |λ| ‖M‖₁ (as sk.eigsh)


def _dense(ns, A, M, k, which):
    xp = ns.xp
    Ad = A.toarray() if ns.issparse(A) else xp.asarray(A)
    if M is None:
        w, V = xp.linalg.eigh(Ad)
    else:
        Md = M.toarray() if ns.issparse(M) else xp.asarray(M)
        Linv = xp.linalg.inv(xp.linalg.cholesky(Md))
        w, Y = xp.linalg.eigh(Linv @ Ad @ Linv.conj().T)
        V = Linv.conj().T @ Y
    sel = slice(0, k) if which == "smallest" else slice(Ad.shape[0] - k, None)
    return w[sel], V[:, sel], 0


def _random_block(ns, n, m, dtype, v0):
    X = ns.xp.random.RandomState(0).standard_normal((n, m)).astype(dtype)
    if v0 is not None:
        X[:, 0] = v0
    return X


def _null_vectors(ns, A, notes):
    """Normalised indicator vectors of the connected components of a Laplacian."""
    xp = ns.xp
    ncomp, labels = components(ns, A)
    counts = np.bincount(labels, minlength=ncomp)
    Y = np.zeros((A.shape[0], ncomp))
    Y[np.arange(A.shape[0]), labels] = 1.0 / np.sqrt(counts[labels])
    notes.append(f"A is a graph Laplacian with {ncomp} connected component(s) (found on the "
                 "host from the sparsity pattern): the constant vector of each is an exact "
                 "null vector, included as is; the remaining pairs are constrained "
                 "orthogonal to them")
    return xp.asarray(to_device(Y, ns)), ncomp


def _lobpcg(ns, A, M, k, which, P, Y, tol_abs, maxiter, v0):
    X = _random_block(ns, A.shape[0], k, A.dtype, v0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # we judge every pair ourselves
        w, V, hist = ns.xspla.lobpcg(A, X, B=M, M=P, Y=Y, tol=tol_abs, maxiter=maxiter,
                                     largest=(which == "largest"),
                                     retResidualNormsHistory=True)
    return w, V, len(hist)


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
    ns = resolve(xp_name, A, M, v0)
    check_choice(method, EIGEN_METHODS, "method")
    if which is None:
        which = "nearest" if sigma is not None else "smallest"
    check_choice(which, WHICH, "which")
    if sigma is not None and which != "nearest":
        raise InputValueError(f"sigma={sigma!r} is only used with which='nearest' (got "
                              f"which={which!r}); drop sigma, or ask for which='nearest'")
    check_choice(precond, EIGEN_PRECONDS, "precond")
    xp = ns.xp
    notes: list[str] = []
    t0 = ns.clock()
    host_A = None if is_device(A) else A
    if host_A is not None:
        if not hasattr(A, "shape"):
            raise InputValueError(f"A must be a sparse matrix or an array (got "
                                  f"{type(A).__name__})")
        A = to_device(A, ns)
        if ns.on_device:
            notes.append("A copied host→device")
    check_matrix(ns, A)
    n = A.shape[0]
    k = positive_int(k, "k")
    if k >= n:
        raise InputValueError(f"k must be < n (got k={k}, n={n}); for all pairs use "
                              "method='dense'")
    if M is not None:
        host_M = None if is_device(M) else M
        M = to_device(M, ns)
        check_matrix(ns, M, "M")
        if M.shape != A.shape:
            raise InputValueError(f"M must have the shape of A {A.shape} (got {M.shape})")
    if v0 is not None:
        v0 = xp.asarray(to_device(v0, ns)).ravel()
        if v0.shape != (n,):
            raise InputValueError(f"v0 must have shape ({n},) (got {tuple(v0.shape)})")
    if which == "nearest" and sigma is None:
        raise InputValueError("which='nearest' needs sigma (the target eigenvalue)")

    props = inspect_device(ns, A)
    if not props.symmetric:
        raise NotSymmetricError(
            f"A must be symmetric (Hermitian) for eigsh (got {type(A).__name__} of shape "
            f"{A.shape}); the GPU backend has no nonsymmetric eigensolver"
        )
    norm_m = 0.0 if M is None else inspect_device(ns, M).norm1
    tol = _DEFAULT_TOL if tol is None else float(tol)
    if tol <= 0:
        raise InputValueError(f"tol must be > 0 (got {tol})")
    tol_abs = tol * props.norm1

    if method == "arpack":
        method = "lanczos"
        notes.append("method 'arpack' runs as Lanczos (cupyx has no ARPACK)")
    if method == "auto":
        if sigma is not None:
            method = "shift_invert"
            notes.append(f"method 'shift_invert': sigma={sigma} given")
        elif n <= _DENSE_N:
            method = "dense"
            notes.append(f"method 'dense': n={n} <= {_DENSE_N}")
        elif which == "largest" and M is None:
            method = "lanczos"
            notes.append("method 'lanczos': largest eigenvalues")
        else:
            method = "lobpcg"
            notes.append(f"method 'lobpcg': {which} eigenvalues of a large matrix")
    if method == "shift_invert" and sigma is None:
        if which == "largest":
            raise InputValueError("method='shift_invert' for the largest pairs needs sigma")
        sigma = 0.0
        notes.append("sigma=0 for the smallest pairs")

    iterations = 0
    null_vals = null_vecs = None
    t1 = ns.clock()
    if method == "dense":
        w, V, iterations = _dense(ns, A, M, k, "largest" if which == "largest" else "smallest")
    elif method == "lanczos":
        if M is not None:
            raise BackendError("method='lanczos' on the device cannot take M; use "
                               "method='lobpcg' (or 'auto')")
        w, V = ns.xspla.eigsh(A, k=k, which="LA" if which == "largest" else "SA", v0=v0,
                              maxiter=maxiter, tol=0)
    elif method == "shift_invert":
        sigma = float(sigma)
        src = host_A if host_A is not None else to_host(A)
        if host_A is None:
            notes.append("A copied device→host to factorize A − σI (cupyx has no device "
                         "factorization)")
        if M is not None:
            src_M = host_M if host_M is not None else to_host(M)
            w, V = spla.eigsh(sp.csc_matrix(src), k=k, M=sp.csc_matrix(src_M), sigma=sigma,
                              which="LM", v0=None if v0 is None else to_host(v0),
                              maxiter=maxiter)
            w, V = xp.asarray(to_device(w, ns)), xp.asarray(to_device(V, ns))
            notes.append("shift-invert with M ran entirely on the host (SciPy ARPACK + "
                         "SuperLU): the device has no factorization; vectors moved to the "
                         "device")
        else:
            lu = _host_factor(sp.csr_matrix(src), sigma)
            t1 = ns.clock()

            def apply_inverse(x):
                return xp.asarray(to_device(lu.solve(np.asarray(to_host(x))), ns))

            OP = ns.operator(A.shape, apply_inverse, A.dtype, matmat=apply_inverse)
            theta, V = ns.xspla.eigsh(OP, k=k, which="LM", v0=v0, maxiter=maxiter, tol=0)
            w = sigma + 1.0 / theta
            notes.append(f"shift-invert: A − {sigma:g}·I factorized on the host by SuperLU "
                         "(cupyx has no device factorization); Lanczos on the device, each "
                         "solve copies one vector host↔device")
    else:  # lobpcg
        Y = None
        m = k
        if props.laplacian and M is None and which == "smallest":
            Y, ncomp = _null_vectors(ns, A, notes)
            AY = A @ Y
            null_vals = xp.real(xp.sum(Y.conj() * AY, axis=0))
            null_vecs = Y
            m = k - ncomp
        if m <= 0:
            w, V = null_vals[:k], null_vecs[:, :k]
            null_vals = null_vecs = None
        else:
            if precond == "auto":
                # AMG approximates A⁻¹: it speeds up the smallest pairs, not the largest.
                precond = "amg" if which != "largest" else "none"
            P = None
            if precond == "amg":
                amg = DeviceAMG.setup(host_A if host_A is not None else A, ns,
                                      smoother=smoother, sweeps=sweeps)
                notes.extend(amg.notes)
                P = amg.aslinearoperator()
            elif precond == "jacobi":
                dinv = 1.0 / A.diagonal()
                P = ns.operator(A.shape, lambda x: dinv * x if x.ndim == 1 else dinv[:, None] * x,
                                A.dtype, matmat=lambda X: dinv[:, None] * X)
            t1 = ns.clock()
            maxiter = 200 if maxiter is None else positive_int(maxiter, "maxiter")
            if 5 * (m + (0 if Y is None else Y.shape[1])) > n:
                notes.append("LOBPCG's block is large for n: SciPy/cupyx may solve densely")
            w, V, iterations = _lobpcg(ns, A, M, m, which, P, Y, 0.5 * tol_abs, maxiter, v0)
            notes.append(f"LOBPCG preconditioner: {precond}")
    if null_vals is not None:
        w = xp.concatenate([null_vals, xp.asarray(w)])
        V = xp.concatenate([null_vecs, V], axis=1)

    # Order, select k, residuals of every pair in the namespace.
    w = xp.real(xp.asarray(w))
    order = xp.argsort(w)
    w, V = w[order], V[:, order]
    if method == "shift_invert":
        w, V = w[:k], V[:, :k]
    elif which == "largest":
        w, V = w[-k:], V[:, -k:]
    else:
        w, V = w[:k], V[:, :k]
    MV = V if M is None else M @ V
    R = A @ V - MV * w[None, :]
    res = xp.linalg.norm(R, axis=0)
    t2 = ns.clock()
    values, residuals = np.asarray(to_host(w)), np.asarray(to_host(res))
    scale = props.norm1 + np.abs(values) * norm_m
    converged = residuals <= tol * scale
    if host_A is not None and ns.on_device:
        V = to_host(V)
        notes.append("vectors copied device→host (A was a host matrix)")
    result = EigenResult(values=values, vectors=V, residuals=residuals, converged=converged,
                         method=method, backend=ns.backend, iterations=int(iterations),
                         timings={"setup": t1 - t0, "solve": t2 - t1},
                         tol=float(tol), notes=tuple(notes))
    if not result.all_converged:
        msg = (f"eigsh {method} ({ns.backend}): {int(np.sum(~converged))} of {k} pairs did "
               f"not reach tol={tol:g}·‖A‖₁ (largest residual {float(residuals.max()):.3e})")
        report_nonconvergence(msg, result, strict, stacklevel=4)
    return result
