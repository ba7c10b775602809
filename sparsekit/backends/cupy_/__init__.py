"""GPU backend: cupy / cupyx.scipy.sparse, written against an array-module namespace.

The same code runs with ``(cupy, cupyx.scipy.sparse, cupyx.scipy.sparse.linalg)``
on an NVIDIA GPU and with ``(numpy, scipy.sparse, scipy.sparse.linalg)``
substituted on any machine (``xp_name="numpy"``), which is how the CPU test
suite exercises it.  cupy is imported in :mod:`._namespace` only.

The backend contract (:mod:`sparsekit.backends._registry`): ``SOLVE_METHODS``,
``SOLVE_PRECONDS``, ``SOLVE_OPTIONS`` and :func:`run_solve` live in
:mod:`._krylov`; ``EIGEN_METHODS``, ``EIGEN_PRECONDS``, ``EIGEN_OPTIONS`` and
:func:`run_eigsh` in :mod:`._eigen`.  The keyword functions :func:`solve` and
:func:`eigsh` build the same validated request ``sk.solve``/``sk.eigsh`` build,
and run it.
"""

from ._amg import SMOOTHERS, DeviceAMG
from ._build import adjacency, cooccurrence, laplacian, poisson
from ._dense import dense_solve, dense_svd
from ._eigen import EIGEN_METHODS, EIGEN_OPTIONS, EIGEN_PRECONDS, WHICH, eigsh, run_eigsh
from ._krylov import (
    METHODS,
    PRECONDS,
    SOLVE_METHODS,
    SOLVE_OPTIONS,
    SOLVE_PRECONDS,
    run_solve,
    solve,
)
from ._namespace import NAMESPACES, Namespace, is_device, namespace, resolve, to_device, to_host

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
