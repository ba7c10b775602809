"""Batched dense linear algebra in the namespace (stacks of small matrices).

``cupy.linalg.solve`` and ``cupy.linalg.svd`` work on stacks ``(..., n, n)``
in one call (batched cuSOLVER/cuBLAS), so 10,000 matrices of 8 × 8 need no
Python loop; numpy does the same on the host.
"""

from __future__ import annotations

import numpy as np

from ..._validate import is_converged
from ...errors import InputValueError, NotSquareError, ShapeError
from ...results import SolveResult
from ._namespace import is_device, resolve, to_device, to_host

__all__ = ["dense_solve", "dense_svd"]


def _stack(ns, A, name="A"):
    A = ns.xp.asarray(to_device(A, ns))
    if A.ndim < 2:
        raise ShapeError(f"{name} must have shape (..., m, n) (got shape {tuple(A.shape)})")
    if A.dtype.kind not in "biufc":
        raise InputValueError(f"{name} must hold numbers (got dtype {A.dtype})")
    if A.dtype.kind in "biu":
        A = A.astype(np.float64)
    if not bool(ns.xp.isfinite(A).all()):
        raise InputValueError(f"{name} contains NaN or Inf entries")
    return A


def dense_solve(A, b, *, rtol=1e-8, xp_name=None) -> SolveResult:
    """Solve a stack of dense systems ``A[i] x[i] = b[i]`` in one batched call.

    Parameters
    ----------
    A : array, shape (..., n, n)
        Square matrices (host or device; a host stack is copied to the device).
    b : array, shape (..., n) or (..., n, k)
        Right-hand sides.
    rtol : float, default=1e-8
        ``converged`` when every system's ``‖b − A x‖ ≤ rtol·‖b‖``.
    xp_name : {"cupy", "numpy"}, optional
        Namespace; default ``"cupy"``.

    Returns
    -------
    SolveResult
        ``x`` shaped like ``b`` (on the host when ``A`` and ``b`` were),
        ``relative_residual`` the worst over the stack, ``method="dense"``.

    See Also
    --------
    numpy.linalg.solve

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.backends import cupy_
    >>> A = np.tile(np.eye(3) * 2.0, (4, 1, 1)); b = np.ones((4, 3))
    >>> cupy_.dense_solve(A, b, xp_name="numpy").x[0]
    array([0.5, 0.5, 0.5])
    """
    ns = resolve(xp_name, A, b)
    xp = ns.xp
    host = not (is_device(A) or is_device(b))
    t0 = ns.clock()
    A, b = _stack(ns, A), _stack(ns, b, "b") if np.ndim(b) >= 2 else ns.xp.asarray(
        to_device(b, ns))
    n = A.shape[-1]
    if A.shape[-2] != n:
        raise NotSquareError(f"A must be a stack of square matrices (got shape "
                             f"{tuple(A.shape)})")
    vector = b.ndim == A.ndim - 1
    if (vector and b.shape != A.shape[:-1]) or (not vector and b.shape[:-1] != A.shape[:-1]):
        raise ShapeError(f"b must have shape {tuple(A.shape[:-1])} or "
                         f"{tuple(A.shape[:-1])} + (k,) to match A of shape "
                         f"{tuple(A.shape)} (got {tuple(b.shape)})")
    B = b[..., None] if vector else b
    t1 = ns.clock()
    X = xp.linalg.solve(A, B)
    t2 = ns.clock()
    rnorm = xp.linalg.norm(B - A @ X, axis=-2)
    bnorm = xp.linalg.norm(B, axis=-2)
    rn, bn = np.asarray(to_host(rnorm)), np.asarray(to_host(bnorm))
    rel = float(np.max(np.where(bn > 0, rn / np.where(bn > 0, bn, 1.0), rn))) if rn.size else 0.0
    x = X[..., 0] if vector else X
    notes = []
    if host and ns.on_device:
        x = to_host(x)
        notes.append("A and b copied host→device, x copied device→host")
    return SolveResult(x=x, converged=is_converged(rn, bn, rtol, 0.0), iterations=0,
                       residuals=np.empty(0), relative_residual=rel, method="dense",
                       precond="none", backend=ns.backend,
                       timings={"setup": t1 - t0, "solve": t2 - t1}, notes=tuple(notes))


def dense_svd(A, *, full_matrices=False, xp_name=None):
    """Singular value decomposition of a stack ``A = U diag(s) Vh`` in one batched call.

    Parameters
    ----------
    A : array, shape (..., m, n)
        Matrices (host or device).
    full_matrices : bool, default=False
        As :func:`numpy.linalg.svd`.
    xp_name : {"cupy", "numpy"}, optional
        Namespace; default ``"cupy"``.

    Returns
    -------
    U, s, Vh : arrays of the namespace
        Always three arrays (``s`` descending per matrix), like ``numpy.linalg.svd``.

    See Also
    --------
    numpy.linalg.svd

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.backends import cupy_
    >>> U, s, Vh = cupy_.dense_svd(np.diag([1.0, 3.0])[None], xp_name="numpy")
    >>> s
    array([[3., 1.]])
    """
    ns = resolve(xp_name, A)
    A = _stack(ns, A)
    U, s, Vh = ns.xp.linalg.svd(A, full_matrices=full_matrices)
    return U, s, Vh
