"""Validated requests: what ``sk.solve`` and ``sk.eigsh`` hand to the code that runs them.

SciPy validates an eigenproblem's arguments once, up front
(``scipy.sparse.linalg._eigen._svds._iv``); sparsekit does the same for every
backend.  :func:`solve_request` and :func:`eigen_request` check every
argument that does not need the matrix's entries (strings against the
registries of the backend that will run the call, tolerances, limits,
shapes, callables, the names of expert options) and return a frozen
:class:`SolveRequest` / :class:`EigenRequest`.  The CPU path, the GPU backend
and the PETSc backend all start from one of these, so none of them re-checks
what the front door already checked, and a name a backend documents is
reachable through the front door because the front door asks that backend.

What needs the entries (finiteness, symmetry, the matrix's structure) is
checked where the matrix lives: on the host by ``linalg``, on the device by
the GPU backend, per rank by PETSc.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from ._choices import WHICH
from ._validate import check_choice, nonnegative_float, positive_int
from .errors import InputValueError, NotSquareError, ShapeError

__all__ = ["SolveRequest", "EigenRequest", "solve_request", "eigen_request", "check_options",
           "shape_of", "DEFAULT_EIGEN_TOL"]

#: An eigenpair's default residual tolerance, relative to ``‖A‖₁ + |λ| ‖M‖₁``, on every
#: backend (``EigenRequest.tol`` is None when the caller did not set one).
DEFAULT_EIGEN_TOL = 1e-8


def shape_of(obj) -> tuple | None:
    """The shape of an array-like without converting it (CuPy arrays stay on the device)."""
    shape = getattr(obj, "shape", None)
    if shape is not None:
        return tuple(shape)
    try:
        return np.shape(obj)
    except Exception:  # noqa: BLE001 - an object without a shape
        return None


def check_options(options: Mapping[str, Any], accepted: Mapping[str, str], where: str,
                  elsewhere: Mapping[str, Mapping[str, str]] | None = None) -> dict:
    """Refuse expert option names that ``accepted`` does not list, by name.

    ``elsewhere`` maps other backends to their option registries: an option
    one of them accepts is named in the message (``'options' is an option of
    backend='petsc'``).  Returns a plain copy of ``options``.
    """
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        hints = [f"{name!r} is an option of "
                 + " and ".join(f"backend={b!r}" for b, reg in (elsewhere or {}).items()
                                if name in reg)
                 for name in unknown
                 if any(name in reg for reg in (elsewhere or {}).values())]
        raise InputValueError(
            f"unknown option{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} "
            f"for {where}; accepted: {sorted(accepted) if accepted else 'none'}"
            + (f" ({'; '.join(hints)})" if hints else "")
        )
    return dict(options)


def _check_callback(callback):
    if callback is not None and not callable(callback):
        raise InputValueError(f"callback must be callable or None (got "
                              f"{type(callback).__name__} {callback!r})")
    return callback


def _check_maxiter(maxiter):
    return None if maxiter is None else positive_int(maxiter, "maxiter")


@dataclass(frozen=True)
class SolveRequest:
    """The arguments of ``sk.solve``, validated; the matrix and right-hand side travel beside it.

    Attributes
    ----------
    backend : str
        ``"scipy"``, ``"cupy"`` or ``"petsc"`` (``"auto"`` already resolved).
    method, precond : str
        Keys of that backend's ``SOLVE_METHODS`` / ``SOLVE_PRECONDS`` (may be ``"auto"``).
    rtol, atol : float
        Finite and ``>= 0``.
    maxiter : int or None
        ``>= 1``.
    x0, M, callback
        As given (``x0``'s shape checked against ``A`` and ``b``; ``callback`` callable).
    strict, check : bool
        The non-convergence policy and whether to inspect ``A``.
    options : mapping
        Expert options, every name one the backend accepts.
    """

    backend: str
    method: str
    precond: str
    rtol: float
    atol: float
    maxiter: int | None
    x0: Any = None
    M: Any = None
    callback: Callable | None = None
    strict: bool = False
    check: bool = True
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))


def solve_request(A_shape, b_shape, *, backend: str, method: str, precond: str, rtol, atol,
                  maxiter, x0, M, callback, strict, check, options: Mapping[str, Any],
                  methods: Mapping, preconds: Mapping, option_names: Mapping,
                  elsewhere: Mapping | None = None) -> SolveRequest:
    """Validate ``sk.solve``'s arguments against one backend's registries.

    Parameters
    ----------
    A_shape, b_shape : tuple
        Shapes of the matrix and the right-hand side (``b_shape`` may be None
        when the caller checks ``b`` itself).
    backend : str
        The resolved backend.
    method, precond, rtol, atol, maxiter, x0, M, callback, strict, check, options
        As ``sk.solve``.
    methods, preconds, option_names : mapping
        That backend's ``SOLVE_METHODS``, ``SOLVE_PRECONDS`` and ``SOLVE_OPTIONS``.
    elsewhere : mapping, optional
        Other backends' option registries, named in the message of an unknown option.

    Examples
    --------
    >>> from sparsekit._requests import solve_request
    >>> r = solve_request((3, 3), (3,), backend="scipy", method="cg", precond="none", rtol=1e-6,
    ...                   atol=0, maxiter=None, x0=None, M=None, callback=None, strict=False,
    ...                   check=True, options={}, methods={"cg": ""}, preconds={"none": ""},
    ...                   option_names={})
    >>> r.method, r.rtol
    ('cg', 1e-06)
    """
    check_choice(method, methods, "method")
    check_choice(precond, preconds, "precond")
    rtol = nonnegative_float(rtol, "rtol")
    atol = nonnegative_float(atol, "atol")
    maxiter = _check_maxiter(maxiter)
    _check_callback(callback)
    if M is not None and precond not in ("auto", "none"):
        raise InputValueError(f"pass either M= or precond={precond!r}, not both")
    if x0 is not None and b_shape is not None and A_shape is not None and len(A_shape) == 2:
        xs = shape_of(x0)
        want = (A_shape[1],) if len(b_shape) == 1 else (A_shape[1],) + tuple(b_shape[1:])
        if xs != want:
            raise ShapeError(f"x0 must have shape {want} like x (got shape {xs})")
    opts = check_options(options, option_names, f"sk.solve with backend={backend!r}",
                         elsewhere)
    return SolveRequest(backend, method, precond, rtol, atol, maxiter, x0, M, callback,
                        bool(strict), bool(check), opts)


@dataclass(frozen=True)
class EigenRequest:
    """The arguments of ``sk.eigsh``, validated; the matrix travels beside it.

    Attributes
    ----------
    backend, method, precond : str
        As :class:`SolveRequest`, against the backend's ``EIGEN_*`` registries.
    n, k : int
        Order of ``A`` and the number of pairs, ``1 <= k < n``.
    which : str
        ``"smallest"``, ``"largest"`` or ``"nearest"`` (``None`` resolved).
    sigma : float or None
        Finite; given exactly when ``which == "nearest"``.
    M : matrix or None
        Mass matrix (shape checked).
    tol : float or None
        ``>= 0``; None means the backend's default.
    maxiter : int or None
    v0 : array or None
        Shape ``(n,)`` (values checked where they live).
    strict, check : bool
    options : mapping
    """

    backend: str
    method: str
    precond: str
    n: int
    k: int
    which: str
    sigma: float | None = None
    M: Any = None
    tol: float | None = None
    maxiter: int | None = None
    v0: Any = None
    strict: bool = False
    check: bool = True
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))


def check_which(which, sigma, whiches: Mapping = WHICH) -> tuple[str, float | None]:
    """Resolve ``which`` (None: ``"smallest"``, or ``"nearest"`` with ``sigma``) and ``sigma``."""
    if which is None:
        which = "nearest" if sigma is not None else "smallest"
    check_choice(which, whiches, "which")
    if which == "nearest":
        if sigma is None:
            raise InputValueError("which='nearest' needs sigma= (the target eigenvalue)")
    elif sigma is not None:
        raise InputValueError(
            f"sigma={sigma!r} is only used with which='nearest' (got which={which!r}); "
            "drop sigma, or ask for which='nearest'"
        )
    if sigma is not None:
        try:
            sigma = float(sigma)
        except (TypeError, ValueError):
            raise InputValueError(f"sigma must be a real number (got {sigma!r})") from None
        if not math.isfinite(sigma):
            raise InputValueError(f"sigma must be finite (got {sigma!r})")
    return which, sigma


def check_k(k, n: int) -> int:
    """``1 <= k < n``, with the dense path suggested for all pairs."""
    k = positive_int(k, "k")
    if k >= n:
        raise InputValueError(
            f"k must be < n for sparse eigensolvers (got k={k}, n={n}); for all n "
            "eigenpairs use sk.dense.eigh(A)"
        )
    return k


def eigen_request(A_shape, *, backend: str, k, which, sigma, M, method: str, precond: str,
                  tol, maxiter, v0, strict, check, options: Mapping[str, Any],
                  methods: Mapping, preconds: Mapping, option_names: Mapping,
                  elsewhere: Mapping | None = None) -> EigenRequest:
    """Validate ``sk.eigsh``'s arguments against one backend's registries.

    Examples
    --------
    >>> from sparsekit._requests import eigen_request
    >>> r = eigen_request((10, 10), backend="scipy", k=3, which=None, sigma=None, M=None,
    ...                   method="auto", precond="auto", tol=None, maxiter=None, v0=None,
    ...                   strict=False, check=True, options={}, methods={"auto": ""},
    ...                   preconds={"auto": ""}, option_names={})
    >>> r.which, r.k, r.n
    ('smallest', 3, 10)
    """
    check_choice(method, methods, "method")
    check_choice(precond, preconds, "precond")
    if A_shape is None or len(A_shape) != 2 or A_shape[0] != A_shape[1]:
        raise NotSquareError(f"A must be square for an eigenproblem (got shape {A_shape})")
    n = int(A_shape[0])
    which, sigma = check_which(which, sigma)
    k = check_k(k, n)
    tol = None if tol is None else nonnegative_float(tol, "tol")
    maxiter = _check_maxiter(maxiter)
    if v0 is not None:
        vs = shape_of(v0)
        if vs != (n,):
            raise InputValueError(f"v0 must have shape ({n},) (got shape {vs})")
    if M is not None:
        ms = shape_of(M)
        if ms != (n, n):
            raise ShapeError(f"M must have the shape of A {(n, n)} (got shape {ms})")
    opts = check_options(options, option_names, f"sk.eigsh with backend={backend!r}",
                         elsewhere)
    return EigenRequest(backend, method, precond, n, k, which, sigma, M, tol, maxiter, v0,
                        bool(strict), bool(check), opts)
