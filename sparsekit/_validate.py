"""The one place that checks user input and raises clear errors.

Everything that turns what a user holds (a scipy sparse matrix or array, a
dense ndarray, a ``LinearOperator``) into what the algorithms need goes
through here, together with the shared convergence test
``‖b − A x‖ ≤ max(rtol·‖b‖, atol)``.
"""

from __future__ import annotations

import importlib
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .errors import (
    InputValueError,
    MissingDependencyError,
    NotSquareError,
    NotSymmetricError,
    ShapeError,
    UnknownMethodError,
)

__all__ = [
    "as_matrix",
    "as_rhs",
    "as_stacked_rhs",
    "check_choice",
    "check_finite",
    "check_square",
    "check_symmetric",
    "is_symmetric",
    "positive_int",
    "nonnegative_float",
    "optional_import",
    "residual_norms",
    "is_converged",
    "describe",
    "grid_shape",
    "check_edge_array_options",
    "check_row_range",
    "is_device",
    "is_networkx",
]


def _from_package(obj: Any, packages: tuple[str, ...]) -> bool:
    """Whether ``obj``'s class, or a class it derives from, is defined in one of ``packages``."""
    return any((getattr(c, "__module__", None) or "").split(".")[0] in packages
               for c in type(obj).__mro__)


def is_device(obj: Any) -> bool:
    """Whether ``obj`` is a CuPy array or a cupyx sparse matrix (without importing cupy).

    A tuple (edge arrays) is a device object when any of its members is.  This
    is the one test of "is this a GPU object" in sparsekit.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit._validate import is_device
    >>> is_device(np.ones(3)), is_device((np.ones(2), np.ones(2)))
    (False, False)
    """
    if isinstance(obj, tuple):
        return any(is_device(a) for a in obj)
    return _from_package(obj, ("cupy", "cupyx"))


def is_networkx(obj: Any) -> bool:
    """Whether ``obj`` is a networkx graph, or derives from one (without importing networkx).

    Examples
    --------
    >>> import networkx as nx
    >>> from sparsekit._validate import is_networkx
    >>> class Roads(nx.Graph):
    ...     pass
    >>> is_networkx(Roads()), is_networkx({0: [1]})
    (True, False)
    """
    return _from_package(obj, ("networkx",))


def describe(obj: Any) -> str:
    """Short description of what was received, for error messages."""
    if sp.issparse(obj):
        return f"{type(obj).__name__} of shape {obj.shape} with {obj.nnz} stored entries"
    if isinstance(obj, np.ndarray):
        return f"ndarray of shape {obj.shape} and dtype {obj.dtype}"
    if isinstance(obj, spla.LinearOperator):
        return f"LinearOperator of shape {obj.shape}"
    return f"{type(obj).__name__}"


def check_finite(A, name: str = "A") -> None:
    """Raise :class:`InputValueError` if ``A`` holds NaN or Inf."""
    data = A.data if sp.issparse(A) else np.asarray(A)
    if data.dtype.kind in "fc" and not np.isfinite(data).all():
        bad = np.count_nonzero(~np.isfinite(data))
        raise InputValueError(
            f"{name} contains {bad} NaN or Inf entr{'y' if bad == 1 else 'ies'} "
            f"(got {describe(A)}); remove or replace them before solving"
        )


def check_square(A, name: str = "A") -> None:
    """Raise :class:`NotSquareError` unless ``A`` is square."""
    shape = getattr(A, "shape", None)
    if shape is None or len(shape) != 2 or shape[0] != shape[1]:
        raise NotSquareError(
            f"{name} must be square (got shape {shape}); use a least-squares "
            "method such as method='lsqr' for rectangular systems"
        )


def as_matrix(
    A,
    name: str = "A",
    *,
    square: bool = False,
    allow_operator: bool = False,
    finite: bool = True,
):
    """Return ``A`` as a CSR/CSC sparse array, a 2-D ndarray or a LinearOperator.

    scipy sparse *matrices* become sparse *arrays*; CSR and CSC keep their
    format, any other sparse format becomes CSR.  Integer and boolean data are
    promoted to float64.

    Parameters
    ----------
    A : sparse matrix or array, ndarray, array_like or LinearOperator
        The matrix.
    name : str, default="A"
        The argument name used in error messages.
    square : bool, default=False
        Require a square matrix.
    allow_operator : bool, default=False
        Accept a ``LinearOperator`` (only iterative methods can use one).
    finite : bool, default=True
        Reject NaN and Inf entries.

    Returns
    -------
    csr_array, csc_array, ndarray or LinearOperator

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit._validate import as_matrix
    >>> as_matrix(np.eye(2)).shape
    (2, 2)
    """
    if isinstance(A, spla.LinearOperator):
        if not allow_operator:
            raise InputValueError(
                f"{name} is a LinearOperator, which only iterative methods accept; "
                "pass an explicit sparse matrix or choose method='cg'/'gmres'/'minres'"
            )
        out = A
    elif sp.issparse(A):
        if A.format == "csc":
            out = sp.csc_array(A)
        else:
            out = sp.csr_array(A)
        if out.dtype.kind in "biu":
            out = out.astype(np.float64)
    else:
        try:
            out = np.asarray(A)
        except Exception as exc:  # noqa: BLE001 - report what we got
            raise InputValueError(
                f"{name} must be a sparse matrix, an ndarray or a LinearOperator "
                f"(got {type(A).__name__}: {exc})"
            ) from exc
        if out.dtype == object or out.dtype.kind not in "biufc":
            raise InputValueError(
                f"{name} must hold numbers (got {describe(out)}); pass a numeric "
                "sparse matrix or ndarray"
            )
        if out.ndim != 2:
            raise ShapeError(f"{name} must be 2-D (got {describe(out)})")
        if out.dtype.kind in "biu":
            out = out.astype(np.float64)
    if square:
        check_square(out, name)
    if finite and not isinstance(out, spla.LinearOperator):
        check_finite(out, name)
    return out


def as_rhs(b, n: int, name: str = "b", *, finite: bool = True, xp=None):
    """Return the right-hand side as a float array of shape ``(n,)`` or ``(n, k)``.

    Parameters
    ----------
    b : array_like or sparse
        The right-hand side(s); a host sparse ``b`` is densified.
    n : int
        Rows of the matrix.
    name : str, default="b"
        The argument name used in error messages.
    finite : bool, default=True
        Reject NaN and Inf entries.
    xp : module, optional
        The array module to check and convert with (the GPU backend passes
        its namespace's, so a device ``b`` stays on the device); numpy when
        None.  Integer and boolean data become float64 in that module.

    Examples
    --------
    >>> from sparsekit._validate import as_rhs
    >>> as_rhs([1, 2, 3], 3)
    array([1., 2., 3.])
    """
    xp = np if xp is None else xp
    if sp.issparse(b):
        b = b.toarray()
    b = xp.asarray(b)
    if b.dtype == object or b.dtype.kind not in "biufc":
        raise InputValueError(f"{name} must hold numbers (got {describe(b)})")
    if b.ndim not in (1, 2) or b.shape[0] != n:
        raise ShapeError(
            f"{name} must have shape ({n},) or ({n}, k) to match A with {n} rows "
            f"(got shape {tuple(b.shape)})"
        )
    if b.dtype.kind in "biu":
        b = b.astype(np.float64)
    if finite and not bool(xp.isfinite(b).all()):
        bad = int(xp.count_nonzero(~xp.isfinite(b)))
        raise InputValueError(
            f"{name} contains {bad} NaN or Inf entr{'y' if bad == 1 else 'ies'} "
            f"(got {describe(b)}); remove or replace them before solving"
        )
    return b


def as_stacked_rhs(b, A, name: str = "b"):
    """``b`` as ``(..., n, k)`` for the dense matrix (or stack) ``A``, and whether it was a vector.

    The right-hand-side check of the dense path (``sparsekit.dense.solve``,
    ``lstsq`` and :meth:`sparsekit.results.CholeskyResult.solve`).
    """
    b = np.asarray(b)
    if b.dtype == object or b.dtype.kind not in "biufc":
        raise InputValueError(f"{name} must hold numbers (got {describe(b)})")
    m = A.shape[-2]
    batch = A.shape[:-2]
    if b.shape == batch + (m,):
        vec = True
        B = b[..., None]
    elif b.ndim >= 2 and b.shape[:-1] == batch + (m,):
        vec = False
        B = b
    else:
        raise ShapeError(
            f"{name} must have shape {batch + (m,)} or {batch + (m, 'k')} to match A of "
            f"shape {A.shape} (got shape {b.shape})"
        )
    B = B.astype(np.result_type(B.dtype, A.dtype, np.float64), copy=False)
    check_finite(B, name)
    return B, vec


def check_choice(value: str, registry: Mapping[str, Any], name: str = "method") -> str:
    """Validate a ``method=``-like string against its registry."""
    if not isinstance(value, str) or value not in registry:
        raise UnknownMethodError(
            f"unknown {name} {value!r}; expected one of {sorted(registry)}"
        )
    return value


def positive_int(value, name: str, *, minimum: int = 1) -> int:
    """Validate an integer ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise InputValueError(f"{name} must be an integer >= {minimum} (got {value!r})")
    return int(value)


def nonnegative_float(value, name: str) -> float:
    """Validate a finite float ``>= 0``."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputValueError(f"{name} must be a number >= 0 (got {value!r})") from None
    if not np.isfinite(v) or v < 0:
        raise InputValueError(f"{name} must be a finite number >= 0 (got {value!r})")
    return v


def is_symmetric(A, rtol: float = 1e-10) -> bool:
    """Numerically check ``A == A^H`` to relative tolerance ``rtol`` (O(nnz))."""
    if A.shape[0] != A.shape[1]:
        return False
    if sp.issparse(A):
        C = sp.csr_array(A)
        if not C.has_canonical_format:
            C = C.copy()
            C.sum_duplicates()
        T = (C.conj() if np.iscomplexobj(C.data) else C).T.tocsr()  # canonical: sorted, no dups
        if C.nnz == 0:
            return True
        if np.iscomplexobj(C.data):
            scale = np.max(np.abs(C.data))
        else:  # no |data| temporary
            scale = max(float(C.data.max()), -float(C.data.min()))
        if np.array_equal(C.indptr, T.indptr) and np.array_equal(C.indices, T.indices):
            # same pattern (the common case): compare the values directly, no subtraction
            # when they are exactly equal (assembled symmetric matrices usually are)
            diff = 0.0 if np.array_equal(C.data, T.data) else np.max(np.abs(C.data - T.data))
        else:
            D = (C - T).tocsr()
            diff = np.max(np.abs(D.data)) if D.nnz else 0.0
    else:
        A = np.asarray(A)
        scale = np.max(np.abs(A)) if A.size else 0.0
        diff = np.max(np.abs(A - A.conj().T)) if A.size else 0.0
    return bool(diff <= rtol * scale)


def check_symmetric(A, name: str = "A", rtol: float = 1e-10, hint: str = "") -> None:
    """Raise :class:`NotSymmetricError` unless ``A`` is symmetric (Hermitian)."""
    if not is_symmetric(A, rtol):
        msg = f"{name} is not symmetric to relative tolerance {rtol:g} (got {describe(A)})"
        raise NotSymmetricError(msg + (f"; {hint}" if hint else ""))


def optional_import(module: str, extra: str, purpose: str = "", hint: str = ""):
    """Import an optional dependency or raise :class:`MissingDependencyError`."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependencyError(module.split(".")[0], extra, purpose, hint) from None


def residual_norms(A, x: np.ndarray, b: np.ndarray) -> np.ndarray:
    """2-norm of ``b − A x`` per column (a 0-d array for 1-D ``b``)."""
    r = b - A @ x
    return np.linalg.norm(r, axis=0)


def is_converged(rnorm, bnorm, rtol: float, atol: float) -> bool:
    """The one convergence test: ``‖r‖ ≤ max(rtol·‖b‖, atol)`` for every column."""
    rnorm = np.asarray(rnorm, dtype=float)
    bnorm = np.asarray(bnorm, dtype=float)
    return bool(np.all(rnorm <= np.maximum(rtol * bnorm, atol)))


def grid_shape(shape) -> tuple[int, ...]:
    """A finite-difference grid shape: an int or a tuple of 1 to 3 positive ints."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        shape = tuple(shape)
    except TypeError:
        raise InputValueError(f"shape must be an int or a tuple of 1 to 3 ints "
                              f"(got {shape!r})") from None
    if not 1 <= len(shape) <= 3:
        raise InputValueError(f"shape must have 1, 2 or 3 dimensions (got {shape!r})")
    return tuple(positive_int(s, "shape") for s in shape)


def check_edge_array_options(nodelist, symmetrize_mode, symmetrize) -> None:
    """Edge arrays take neither ``nodelist=`` nor ``symmetrize=`` (graph builders)."""
    if nodelist is not None:
        raise InputValueError("nodelist applies to networkx graphs only; node ids "
                              "of edge arrays are already 0..n-1")
    if symmetrize_mode is not None:
        raise InputValueError(
            f"symmetrize={symmetrize!r} does not apply to edge arrays: they list "
            "undirected edges, each mirrored (for directed edges build a sparse "
            "adjacency and pass it with symmetrize=)"
        )


def check_row_range(rows, N: int) -> tuple[int, int]:
    """Validate ``rows=(start, stop)`` of an N-row matrix (``None``: all rows)."""
    if rows is None:
        return 0, N
    try:
        start, stop = (int(v) for v in rows)
    except (TypeError, ValueError):
        raise InputValueError(f"rows must be a pair (start, stop) (got {rows!r})") from None
    if not 0 <= start <= stop <= N:
        raise InputValueError(f"rows must satisfy 0 <= start <= stop <= {N} "
                              f"(got rows={rows!r})")
    return start, stop
