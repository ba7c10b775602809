"""The one backend registry: which backend runs a call, and what each backend accepts.

:func:`resolve` decides once, by the type of the input (CuPy's
``get_array_module`` idea): CuPy arrays and cupyx sparse matrices go to the
GPU backend, everything else to the CPU.  :func:`load` imports a backend
module (lazily: neither CuPy nor petsc4py is imported by it) and turns a
missing build into a clear error.

Every backend module declares what it accepts, as registries of
name -> meaning that the front doors (``sk.solve``, ``sk.eigsh``) validate
against before dispatching:

``SOLVE_METHODS``, ``SOLVE_PRECONDS``, ``SOLVE_OPTIONS``
    ``method=``, ``precond=`` and the expert keyword options of ``sk.solve``.
``EIGEN_METHODS``, ``EIGEN_PRECONDS``, ``EIGEN_OPTIONS``
    The same for ``sk.eigsh``.

and two entry points that take a validated request
(:mod:`sparsekit._requests`): ``run_solve(A, b, request)`` and
``run_eigsh(A, request)``.  The CPU registries live in ``sparsekit.linalg``
(the CPU path is not a module of this package); nothing here imports
``linalg`` or ``builders``.

Examples
--------
>>> import numpy as np
>>> from sparsekit.backends import _registry
>>> _registry.resolve(np.eye(2), "auto")
'scipy'
>>> "hypre" in _registry.load("petsc").SOLVE_PRECONDS
True
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from .._choices import BACKENDS
from .._validate import check_choice, is_device
from ..errors import BackendError, InputValueError

__all__ = ["BACKENDS", "OTHER_HARDWARE", "resolve", "load", "options_elsewhere"]

#: Backends that are modules of this package (the CPU path lives in ``sparsekit.linalg``).
OTHER_HARDWARE = {"cupy": "sparsekit.backends.cupy_", "petsc": "sparsekit.backends.petsc_"}


def resolve(obj: Any, backend: str = "auto", *, allowed=BACKENDS) -> str:
    """The backend that runs a call on ``obj``: ``backend`` itself, or decided by type.

    Parameters
    ----------
    obj : any
        The matrix (or graph, or tuple of arrays) the call is about.
    backend : str, default="auto"
        A key of ``allowed``; ``"auto"`` is ``"cupy"`` for CuPy input, else ``"scipy"``.
    allowed : mapping, default=:data:`sparsekit._choices.BACKENDS`
        The names this entry point accepts (the builders accept no ``"petsc"``).

    Returns
    -------
    str
        ``"scipy"``, ``"cupy"`` or ``"petsc"``.

    Raises
    ------
    UnknownMethodError
        ``backend`` is not in ``allowed``.
    InputValueError
        CuPy input with ``backend="scipy"`` or ``"petsc"`` (no implicit device-to-host copy).
    """
    check_choice(backend, allowed, "backend")
    device = is_device(obj)
    if backend == "auto":
        return "cupy" if device else "scipy"
    if device and backend != "cupy":
        raise InputValueError(
            f"backend={backend!r} got a CuPy object ({type(obj).__name__}); sparsekit does "
            "not copy device arrays to the host behind your back: pass backend='cupy' (or "
            "'auto'), or move the input with cupy.asnumpy / .get() first"
        )
    return backend


def load(name: str) -> ModuleType:
    """Import the backend module ``name`` (``"cupy"`` or ``"petsc"``).

    Importing the module does not import CuPy or petsc4py; their absence is
    reported (with the extra to install) when a call needs them.
    """
    check_choice(name, OTHER_HARDWARE, "backend")
    try:
        return importlib.import_module(OTHER_HARDWARE[name])
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("sparsekit"):
            raise BackendError(f"backend {name!r} is not available in this build "
                               f"({exc})") from None
        raise


def options_elsewhere(task: str, backend: str, options) -> dict:
    """The option registries of the other backends, for messages (empty without options).

    ``task`` is ``"SOLVE"`` or ``"EIGEN"``; a backend that cannot be imported is skipped.
    """
    if not options:
        return {}
    out = {}
    for name in OTHER_HARDWARE:
        if name == backend:
            continue
        try:
            out[name] = getattr(load(name), f"{task}_OPTIONS", {})
        except (BackendError, ImportError):
            continue
    return out
