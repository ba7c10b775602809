"""GPU backend: cupy / cupyx.scipy.sparse, written against an array-module namespace.

The same code runs with ``(cupy, cupyx.scipy.sparse, cupyx.scipy.sparse.linalg)``
on an NVIDIA GPU and with ``(numpy, scipy.sparse, scipy.sparse.linalg)``
substituted on any machine (``xp_name="numpy"``), which is how the CPU test
suite exercises it.  cupy is imported in :mod:`._namespace` only.
"""

from ._amg import SMOOTHERS, DeviceAMG
from ._build import adjacency, cooccurrence, laplacian, poisson
from ._dense import dense_solve, dense_svd
from ._eigen import EIGEN_METHODS, EIGEN_PRECONDS, WHICH, eigsh
from ._krylov import METHODS, PRECONDS, solve
from ._namespace import NAMESPACES, Namespace, is_device, namespace, resolve, to_device, to_host

# ---- the backend contract (sparsekit.backends._registry) ----------------------------------
SOLVE_METHODS = METHODS
SOLVE_PRECONDS = PRECONDS
#: Expert keyword options of ``sk.solve(..., backend="cupy")``.
SOLVE_OPTIONS = {
    "xp_name": "the namespace: 'cupy' (default) or 'numpy' (the same code on the CPU)",
    "smoother": "the device AMG's smoother: 'chebyshev' (default) or 'jacobi'",
    "sweeps": "the device AMG smoother's degree (Chebyshev) or sweeps (Jacobi)",
}
EIGEN_OPTIONS = SOLVE_OPTIONS


def run_solve(A, b, request):
    """``sk.solve`` on this backend, from a validated :class:`~sparsekit._requests.SolveRequest`."""
    r = request
    return solve(A, b, method=r.method, precond=r.precond, rtol=r.rtol, atol=r.atol,
                 maxiter=r.maxiter, x0=r.x0, M=r.M, callback=r.callback, strict=r.strict,
                 **r.options)


def run_eigsh(A, request):
    """``sk.eigsh`` on this backend, from a validated :class:`~sparsekit._requests.EigenRequest`."""
    r = request
    return eigsh(A, k=r.k, which=r.which, sigma=r.sigma, M=r.M, method=r.method,
                 precond=r.precond, tol=r.tol, maxiter=r.maxiter, v0=r.v0, strict=r.strict,
                 **r.options)


__all__ = [
    "Namespace",
    "namespace",
    "resolve",
    "NAMESPACES",
    "is_device",
    "to_device",
    "to_host",
    "solve",
    "METHODS",
    "PRECONDS",
    "eigsh",
    "EIGEN_METHODS",
    "EIGEN_PRECONDS",
    "WHICH",
    "laplacian",
    "adjacency",
    "poisson",
    "cooccurrence",
    "dense_solve",
    "dense_svd",
    "DeviceAMG",
    "SMOOTHERS",
    "SOLVE_METHODS",
    "SOLVE_PRECONDS",
    "SOLVE_OPTIONS",
    "EIGEN_OPTIONS",
    "run_solve",
    "run_eigsh",
]
