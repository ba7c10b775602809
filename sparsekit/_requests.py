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

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from ._choices import EIGS_CODES, EIGS_WHICH, EIGSH_CODES, WHICH
from ._validate import check_choice, nonnegative_float, positive_int
from .errors import InputValueError, NotSquareError, ShapeError

__all__ = ["SolveRequest", "EigenRequest", "solve_request", "eigen_request", "check_options",
           "shape_of", "check_which", "check_k", "check_ncv", "select_which", "eigen_tol",
           "DEFAULT_EIGEN_TOL", "MACHINE_EIGEN_TOL", "DEFAULT_RTOL", "default_rtol", "dtype_of"]

#: ``sk.solve``'s default ``rtol`` by the precision of ``A``.  Double: 1e-8.  Single
#: (``float32``, ``complex64``: ε = 1.2e-7): 1e-4, about 840 ε.  Measured in float32 with
#: ``b`` = ones: poisson2d_64 (κ₁ ≈ 2.5e3) and sherman1 reach 4.8e-5 and 5.3e-5 by a direct
#: solve, bcsstk09 and orsirr_1 3.5e-4 and 3.6e-4; 1e-8 was out of reach of every one.
DEFAULT_RTOL = {"double": 1e-8, "single": 1e-4}

#: An eigenpair's default residual tolerance, relative to ``‖A‖₁ + |λ| ‖M‖₁``, on every
#: backend (``EigenRequest.tol`` is None when the caller did not set one).
DEFAULT_EIGEN_TOL = 1e-8

#: What ``tol=0`` means, SciPy's "machine precision": the tolerance pairs are judged
#: against (ARPACK itself runs at its own machine-precision test).  1000 ε leaves room for
#: the rounding of the residual's own computation on matrices of 10⁵–10⁶ rows.
MACHINE_EIGEN_TOL = 1000 * float(np.finfo(float).eps)

#: which function's ``which`` -> (sparsekit's words, SciPy's codes, the codes that mean a word)
_WHICH_VOCABULARY = {
    "eigsh": (WHICH, EIGSH_CODES, {"SA": "smallest", "LA": "largest"}),
    "eigs": (EIGS_WHICH, EIGS_CODES, {"SR": "smallest", "LR": "largest"}),
}

_WRONG_CODE = {
    "eigsh": ("which={which!r} ranks complex eigenvalues (a code of scipy's eigs); the "
              "eigenvalues of a symmetric (Hermitian) matrix are real: use 'LA'/'SA' (or "
              "'largest'/'smallest'), or sk.eigs for a nonsymmetric matrix"),
    "eigs": ("which={which!r} is a code of eigsh (real eigenvalues); eigs ranks complex "
             "eigenvalues: use 'LR'/'SR' for the real part, 'LM'/'SM' for the magnitude "
             "(eigs has no 'BE'), or sk.eigsh for a symmetric matrix"),
}


def eigen_tol(tol) -> float:
    """The tolerance pairs are judged against: None is the default, 0 machine precision."""
    if tol is None:
        return DEFAULT_EIGEN_TOL
    return MACHINE_EIGEN_TOL if tol == 0 else float(tol)


def dtype_of(obj) -> np.dtype | None:
    """The dtype of an array-like without converting a device array (None if it has none)."""
    dtype = getattr(obj, "dtype", None)
    if dtype is not None or obj is None:
        return None if dtype is None else np.dtype(dtype)
    try:
        return np.asarray(obj).dtype
    except Exception:  # noqa: BLE001 - an object numpy cannot read: the caller refuses it
        return None


def default_rtol(A_dtype, b_dtype=None) -> float:
    """``sk.solve``'s ``rtol`` when the caller gives none: by the precision of ``A``.

    A single-precision ``A`` (``float32``, ``complex64``) is factorized, and
    its products rounded, in single precision: it gets
    :data:`DEFAULT_RTOL` ``["single"]``.  Integers and ``float16`` are solved
    in double (``sk.solve`` converts them).  Without a dtype of ``A`` (a
    LinearOperator that states none), ``b``'s decides.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit._requests import default_rtol
    >>> default_rtol(np.float64, np.float64), default_rtol(np.float32, np.float32)
    (1e-08, 0.0001)
    >>> default_rtol(np.complex64), default_rtol(np.float32, np.float64)
    (0.0001, 0.0001)
    >>> default_rtol(np.float64, np.float32), default_rtol(np.int64), default_rtol(None)
    (1e-08, 1e-08, 1e-08)
    """
    dtype = A_dtype if A_dtype is not None else b_dtype
    if dtype is None:
        return DEFAULT_RTOL["double"]
    single = np.dtype(dtype) in (np.dtype(np.float32), np.dtype(np.complex64))
    return DEFAULT_RTOL["single" if single else "double"]


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
        ``"smallest"``, ``"largest"`` or ``"nearest"`` (``None`` resolved), or one of
        SciPy's codes that has no word (``"LM"``, ``"SM"``, ``"BE"``; with ``sigma``
        also ``"LA"``, ``"SA"``): see :func:`check_which` and :func:`select_which`.
        A backend that cannot honour a code refuses it, naming why.
    sigma : float or None
        Finite; given exactly when ``which == "nearest"`` or ``which`` is a code
        ranking ``1 / (λ − σ)``.
    M : matrix or None
        Mass matrix (shape checked).
    tol : float or None
        ``>= 0``; None means the backend's default.
    maxiter : int or None
    v0 : array or None
        Shape ``(n,)`` (values checked where they live).
    strict, check : bool
    options : mapping
    ncv : int or None
        ARPACK's (or Lanczos's) number of basis vectors, ``k < ncv <= n``; None: the
        backend's choice.
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
    ncv: int | None = None

    def __post_init__(self):
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))


def _check_sigma(sigma, allow_complex: bool):
    """``sigma`` as a finite float (or complex where allowed), or None."""
    if sigma is None:
        return None
    kind = "number" if allow_complex else "real number"
    try:
        value = complex(sigma) if allow_complex else float(sigma)
    except (TypeError, ValueError):
        raise InputValueError(f"sigma must be a {kind} (got {sigma!r})") from None
    if not np.isfinite(value):
        raise InputValueError(f"sigma must be finite (got {sigma!r})")
    if allow_complex and value.imag == 0:
        value = value.real
    return value


def check_which(which, sigma, func: str = "eigsh") -> tuple[str, Any]:
    """Resolve ``which`` and ``sigma`` of eigsh (or eigs): sparsekit's words or SciPy's codes.

    ``None`` is ``"smallest"``, or ``"nearest"`` with ``sigma``.  A SciPy code
    that means a word becomes that word (``'SA'``/``'LA'`` of eigsh,
    ``'SR'``/``'LR'`` of eigs without ``sigma``; ``'LM'`` with ``sigma`` is
    ``"nearest"``); the other codes stay codes, with SciPy's meaning
    (:func:`select_which`).  The words ``"smallest"``/``"largest"`` take no
    ``sigma``; a code with ``sigma`` ranks ``1 / (λ − σ)`` as SciPy's
    shift-invert mode does.

    Examples
    --------
    >>> from sparsekit._requests import check_which
    >>> check_which("SA", None), check_which("LM", 0.5), check_which("BE", None)
    (('smallest', None), ('nearest', 0.5), ('BE', None))
    """
    words, codes, same = _WHICH_VOCABULARY[func]
    if which is None:
        which = "nearest" if sigma is not None else "smallest"
    if not isinstance(which, str) or (which not in words and which not in codes):
        other = EIGS_CODES if func == "eigsh" else EIGSH_CODES
        if isinstance(which, str) and which in other:
            raise InputValueError(_WRONG_CODE[func].format(which=which))
        check_choice(which, {**words, **codes}, "which")
    sigma = _check_sigma(sigma, allow_complex=func == "eigs")
    if which in codes:
        if sigma is None:
            return same.get(which, which), None
        return ("nearest" if which == "LM" else which), sigma
    if which == "nearest":
        if sigma is None:
            raise InputValueError("which='nearest' needs sigma= (the target eigenvalue)")
    elif sigma is not None:
        raise InputValueError(
            f"sigma={sigma!r} is only used with which='nearest' (got which={which!r}); "
            "drop sigma, or ask for which='nearest' (or one of SciPy's codes, which rank "
            "1/(λ - sigma) with sigma)"
        )
    return which, sigma


def select_which(values, which: str, sigma, k: int, real_matrix: bool = True) -> np.ndarray:
    """Indices of the ``k`` eigenvalues ``which`` asks for, ascending by what ``which`` ranks.

    The one definition of ``which`` (sparsekit's words and SciPy's codes, as
    :func:`check_which` returns them) that every CPU eigensolver selects by:
    ``"smallest"``/``"largest"`` rank the (real part of the) eigenvalue,
    ``"nearest"`` the distance to ``sigma`` (nearest first); the codes rank,
    as SciPy's ARPACK does, the value itself or ``1 / (λ − σ)`` with ``sigma``:
    ``'LM'``/``'SM'`` its magnitude, ``'LA'``/``'SA'``/``'LR'``/``'SR'``/``'BE'``
    its real part, ``'LI'``/``'SI'`` its imaginary part (its magnitude for a
    real matrix, whose eigenvalues come in conjugate pairs).  Ties are broken
    by the imaginary part.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit._requests import select_which
    >>> w = np.array([-3.0, -1.0, 0.5, 2.0, 4.0])
    >>> [w[select_which(w, c, None, 2)].tolist() for c in ("smallest", "LM", "SM", "BE")]
    [[-3.0, -1.0], [-3.0, 4.0], [0.5, -1.0], [-3.0, 4.0]]
    >>> w[select_which(w, "nearest", 1.0, 2)].tolist()
    [0.5, 2.0]
    """
    w = np.asarray(values)
    k = min(int(k), w.size)
    if which == "nearest":
        key = np.abs(w - sigma)
        return np.lexsort((w.imag, key))[:k] if np.iscomplexobj(w) else \
            np.argsort(key, kind="stable")[:k]
    t = w
    if sigma is not None and which not in ("smallest", "largest"):
        with np.errstate(divide="ignore", invalid="ignore"):
            t = 1.0 / (w - sigma)
        t = np.where(np.isfinite(t), t, np.inf)
    if which in ("LM", "SM"):
        key = np.abs(t)
    elif which in ("LI", "SI"):
        key = np.abs(t.imag) if real_matrix else t.imag
    else:
        key = t.real
    order = np.lexsort((np.imag(w), key))
    if which in ("smallest", "SM", "SA", "SR", "SI"):
        return order[:k]
    if which == "BE":
        low = k // 2
        return np.concatenate([order[:low], order[order.size - (k - low):]])
    return order[order.size - k:]


def check_k(k, n: int) -> int:
    """``1 <= k < n``, with the dense path suggested for all pairs."""
    k = positive_int(k, "k")
    if k >= n:
        raise InputValueError(
            f"k must be < n for sparse eigensolvers (got k={k}, n={n}); for all n "
            "eigenpairs use sk.dense.eigh(A)"
        )
    return k


def check_ncv(ncv, k: int, n: int, func: str = "eigsh") -> int | None:
    """ARPACK's number of Lanczos/Arnoldi vectors: ``k < ncv <= n`` (eigs: ``k + 1 < ncv``)."""
    if ncv is None:
        return None
    ncv = positive_int(ncv, "ncv")
    low = k + 1 if func == "eigsh" else k + 2
    if not low <= ncv <= n:
        raise InputValueError(
            f"ncv must satisfy {'k' if func == 'eigsh' else 'k + 1'} < ncv <= n (got "
            f"ncv={ncv}, k={k}, n={n}); leave ncv=None for sparsekit's choice "
            f"(max(2k + 1, 20), at most n)"
        )
    return ncv


def eigen_request(A_shape, *, backend: str, k, which, sigma, M, method: str, precond: str,
                  tol, maxiter, v0, strict, check, options: Mapping[str, Any],
                  methods: Mapping, preconds: Mapping, option_names: Mapping,
                  elsewhere: Mapping | None = None, ncv=None) -> EigenRequest:
    """Validate ``sk.eigsh``'s arguments against one backend's registries.

    ``which`` may be one of sparsekit's words or SciPy's codes
    (:func:`check_which`); ``ncv`` must satisfy ``k < ncv <= n``.

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
    ncv = check_ncv(ncv, k, n)
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
                        bool(strict), bool(check), opts, ncv)
