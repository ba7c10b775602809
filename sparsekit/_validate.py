"""The one place that checks user input and raises clear errors.

Everything that turns what a user holds (a scipy sparse matrix or array, a
dense ndarray, a ``LinearOperator``) into what the algorithms need goes
through here, together with the shared convergence test
``‖b − A x‖ ≤ max(rtol·‖b‖, atol)``.

**The input gate** (:func:`check_structure`, :func:`check_compressed`,
:func:`check_coords`, :func:`checked_sparse`) lives here too: the index
arrays of a sparse matrix, from a file or a user object, are checked in
O(nnz) (integer dtypes, lengths, ``indptr`` from 0, non-decreasing and within
the arrays, every index inside the shape) *before* SciPy's compiled kernels
read them: those kernels trust them, and a bad index writes outside an array.
:func:`as_matrix` runs it unless the caller passes ``validated=True``.
"""

from __future__ import annotations

import importlib
import itertools
import numbers
import operator
from collections.abc import Mapping
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.sparse import _sparsetools  # csr_tocsc: the kernel behind .T.tocsr()

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
    "max_bytes_limit",
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
    "check_structure",
    "checked_sparse",
    "sparse_dtype",
    "check_compressed",
    "check_coords",
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
        try:
            stored = f" with {int(obj.nnz)} stored entries"
        except Exception:  # noqa: BLE001 - a malformed matrix: describe without it
            stored = ""
        return f"{type(obj).__name__} of shape {obj.shape}{stored}"
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
    validated: bool = False,
):
    """Return ``A`` as a CSR/CSC sparse array, a 2-D ndarray or a LinearOperator.

    scipy sparse *matrices* become sparse *arrays*; CSR and CSC keep their
    format, any other sparse format becomes CSR.  Integer and boolean data are
    promoted to float64.  A sparse ``A`` passes the input gate
    (:func:`check_structure`) first, so a malformed one is refused rather
    than handed to SciPy's compiled kernels.

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
    validated : bool, default=False
        The caller built ``A`` or already passed it through the gate: skip
        the O(nnz) structural check.

    Returns
    -------
    csr_array, csc_array, ndarray or LinearOperator

    Raises
    ------
    InputValueError
        Non-numeric entries, NaN/Inf (with ``finite``), or a malformed sparse
        structure (an index outside the shape, a decreasing ``indptr``, ...).
    ShapeError
        Not 2-D (``NotSquareError`` with ``square`` and a rectangular ``A``).

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> from sparsekit._validate import as_matrix
    >>> as_matrix(np.eye(2)).shape
    (2, 2)
    >>> bad = sp.csr_array((np.ones(2), np.array([0, 7]), np.array([0, 1, 2])), shape=(2, 2))
    >>> as_matrix(bad)
    Traceback (most recent call last):
    ...
    sparsekit.errors.InputValueError: A (csr_array ...): column index 7 at stored entry 1 ...
    """
    if isinstance(A, spla.LinearOperator):
        if not allow_operator:
            raise InputValueError(
                f"{name} is a LinearOperator, which only iterative methods accept; "
                "pass an explicit sparse matrix or choose method='cg'/'gmres'/'minres'"
            )
        out = A
    elif sp.issparse(A):
        if A.ndim != 2:
            raise ShapeError(f"{name} must be 2-D (got {describe(A)})")
        A = checked_sparse(A, name, validated=validated)
        out = sp.csc_array(A) if A.format == "csc" else sp.csr_array(A)
        if out.dtype.kind not in "biufc":
            raise InputValueError(f"{name} must hold numbers (got {describe(out)})")
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


def sparse_dtype(dtype, name: str = "dtype") -> np.dtype:
    """A dtype scipy.sparse can store (numbers; not float16), or InputValueError.

    Examples
    --------
    >>> from sparsekit._validate import sparse_dtype
    >>> sparse_dtype("float32")
    dtype('float32')
    """
    try:
        dt = np.dtype(dtype)
    except (TypeError, ValueError) as exc:
        raise InputValueError(f"{name} must be a numeric dtype (got {dtype!r}: {exc})") from None
    if dt.kind not in "biufc" or dt == np.float16:
        raise InputValueError(f"{name} must be a dtype scipy.sparse stores: bool, an integer, "
                              f"float32/64 or complex64/128 (got {dt})")
    return dt


def max_bytes_limit(max_bytes: float | None, default: float = 2 * 1024**3) -> float:
    """A memory limit in bytes: ``max_bytes``, or ``default`` when None (the dense paths' guard).

    Raises :class:`~sparsekit.InputValueError` for anything but a number
    ``>= 0`` (``inf`` lifts the limit): a NaN would otherwise compare false
    with every size and switch the guard off silently.

    Examples
    --------
    >>> from sparsekit._validate import max_bytes_limit
    >>> max_bytes_limit(None) == 2 * 1024**3, max_bytes_limit(1e6)
    (True, 1000000.0)
    """
    if max_bytes is None:
        return float(default)
    if isinstance(max_bytes, (bool, np.bool_)) or not isinstance(max_bytes, numbers.Real):
        raise InputValueError(
            f"max_bytes must be a number of bytes >= 0 (got {max_bytes!r}); pass e.g. "
            "max_bytes=4 * 1024**3, or None for the default 2 GiB"
        )
    limit = float(max_bytes)
    if np.isnan(limit) or limit < 0:
        raise InputValueError(
            f"max_bytes must be a number of bytes >= 0, not NaN or negative (got "
            f"{max_bytes!r}); pass None for the default 2 GiB, or float('inf') to lift it"
        )
    return limit


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
        C = canonical_csr(A)
        if C.nnz == 0:
            return True
        n, nnz, data = C.shape[0], C.nnz, C.data[:C.nnz]
        # A^H's canonical CSR by csr_tocsc (.T.tocsr()'s kernel, without its sparse objects)
        Tp, Ti, Tx = np.empty_like(C.indptr), np.empty_like(C.indices[:nnz]), np.empty_like(data)
        _sparsetools.csr_tocsc(n, n, C.indptr, C.indices, data, Tp, Ti, Tx)
        if np.iscomplexobj(data):
            np.conjugate(Tx, out=Tx)
            scale = np.max(np.abs(data))
        else:  # no |data| temporary
            scale = max(float(data.max()), -float(data.min()))
        if np.array_equal(C.indptr, Tp) and np.array_equal(C.indices[:nnz], Ti):
            # same pattern (the common case): compare values, subtract only if they differ
            diff = 0.0 if np.array_equal(data, Tx) else np.max(np.abs(data - Tx))
        else:
            D = (C - sp.csr_array((Tx, Ti, Tp), shape=C.shape)).tocsr()
            diff = np.max(np.abs(D.data)) if D.nnz else 0.0
    else:
        A = np.asarray(A)
        scale = np.max(np.abs(A)) if A.size else 0.0
        diff = np.max(np.abs(A - A.conj().T)) if A.size else 0.0
    return bool(diff <= rtol * scale)


def canonical_csr(A):
    """``A`` as a canonical CSR array (sorted indices, no duplicates): a copy only if needed."""
    C = A if isinstance(A, sp.csr_array) else sp.csr_array(A)
    if not C.has_canonical_format:
        C = C.copy()  # never sum the caller's duplicates in place
        C.sum_duplicates()
    return C


def check_symmetric(A, name: str = "A", rtol: float = 1e-10, hint: str = "") -> None:
    """Raise :class:`NotSymmetricError` unless ``A`` is symmetric (Hermitian)."""
    if not is_symmetric(A, rtol):
        msg = f"{name} is not symmetric to relative tolerance {rtol:g} (got {describe(A)})"
        raise NotSymmetricError(msg + (f"; {hint}" if hint else ""))


def optional_import(module: str, extra: str | None, purpose: str = "", hint: str = ""):
    """Import a dependency or raise :class:`MissingDependencyError` naming ``extra``.

    ``extra=None`` marks a core dependency (its absence means a broken install).
    """
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


# --------------------------------------------------------------------------
# the input gate: a sparse matrix's index arrays, before compiled code reads them
# --------------------------------------------------------------------------

_GATE_HINT = ("refused before any compiled code reads it; build the matrix with the "
              "scipy.sparse constructors (A.check_format(full_check=True) finds the fault)")


def _as_index(a, what: str, where: str | _Where) -> np.ndarray:
    try:
        a = np.asarray(a)
    except Exception as exc:  # noqa: BLE001 - whatever the attribute holds
        raise InputValueError(f"{where}: {what} is not an array ({exc})") from None
    if a.ndim != 1 or a.dtype.kind not in "iu":
        raise InputValueError(f"{where}: {what} must be a 1-D integer array (got {a.ndim}-D "
                              f"of dtype {a.dtype}); {_GATE_HINT}")
    return a


_UNSIGNED = {np.dtype(t): np.dtype(u) for t, u in
             ((np.int8, np.uint8), (np.int16, np.uint16), (np.int32, np.uint32),
              (np.int64, np.uint64))}


def _check_bounds(idx: np.ndarray, bound: int, what: str, where: str | _Where) -> None:
    """Every entry of ``idx`` in ``[0, bound)``: one pass (negatives read as unsigned)."""
    if idx.size == 0:
        return
    unsigned = _UNSIGNED.get(idx.dtype)
    if idx.dtype.kind == "u":
        ok = idx.max() < bound
    elif unsigned is not None and bound <= 2 ** (8 * idx.dtype.itemsize - 1):
        ok = idx.view(unsigned).max() < bound
    else:
        ok = idx.min() >= 0 and idx.max() < bound
    if not ok:
        k = int(np.flatnonzero((idx < 0) | (idx >= bound))[0])
        raise InputValueError(f"{where}: {what} {int(idx[k])} at stored entry {k} is outside "
                              f"[0, {bound}); {_GATE_HINT}")


def check_compressed(indptr, indices, n_major: int, n_minor: int, n_data: int,
                     where: str | _Where = "A", axis: str = "row") -> int:
    """Validate CSR/CSC (or BSR block) index arrays in O(nnz); return nnz.

    ``indptr``: 1-D integer, ``n_major + 1`` entries, from 0, non-decreasing,
    ending at ``nnz <= len(indices), n_data``; ``indices[:nnz]`` in
    ``[0, n_minor)``.  ``axis`` names the major axis (``"row"`` for CSR).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit._validate import check_compressed
    >>> check_compressed(np.array([0, 1, 3]), np.array([0, 0, 1]), 2, 2, 3)
    3
    >>> check_compressed(np.array([0, 2, 1]), np.array([0, 1]), 2, 2, 2)
    Traceback (most recent call last):
    ...
    sparsekit.errors.InputValueError: A: indptr decreases at position 2 (2 -> 1); ...
    """
    indptr = _as_index(indptr, "indptr", where)
    indices = _as_index(indices, "indices", where)
    if indptr.size != n_major + 1:
        raise InputValueError(f"{where}: indptr has {indptr.size} entries, expected "
                              f"{n_major + 1} (one per {axis}, plus one); {_GATE_HINT}")
    first, nnz = int(indptr[0]), int(indptr[-1])
    if first != 0 or nnz > indices.size or nnz > n_data:
        raise InputValueError(f"{where}: indptr runs from {first} to {nnz}, expected from 0 "
                              f"to at most {min(indices.size, n_data)} (the indices and "
                              f"values there are); {_GATE_HINT}")
    drop = indptr[1:] < indptr[:-1]
    if drop.any():
        k = int(np.flatnonzero(drop)[0]) + 1
        raise InputValueError(f"{where}: indptr decreases at position {k} "
                              f"({int(indptr[k - 1])} -> {int(indptr[k])}); {_GATE_HINT}")
    _check_bounds(indices[:nnz], n_minor, "column index" if axis == "row" else "row index",
                  where)
    return nnz


def check_coords(coords, shape, n_data: int, where: str | _Where = "A") -> None:
    """Validate COO coordinates: one 1-D integer array per axis, ``n_data`` long, in ``shape``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit._validate import check_coords
    >>> check_coords((np.array([0, 2]), np.array([1, 1])), (3, 2), 2)
    >>> check_coords((np.array([0, -1]), np.array([1, 1])), (3, 2), 2)
    Traceback (most recent call last):
    ...
    sparsekit.errors.InputValueError: A: row index -1 at stored entry 1 is outside [0, 3); ...
    """
    if len(coords) != len(shape):
        raise InputValueError(f"{where}: {len(coords)} coordinate arrays for a "
                              f"{len(shape)}-D shape; {_GATE_HINT}")
    for k, (c, n) in enumerate(zip(coords, shape, strict=True)):
        axis = ("row", "column")[k] if len(shape) == 2 else f"axis-{k}"
        c = _as_index(c, f"{axis} coordinates", where)
        if c.size != n_data:
            raise InputValueError(f"{where}: {c.size} {axis} coordinates for {n_data} values; "
                                  f"{_GATE_HINT}")
        _check_bounds(c, int(n), f"{axis} index", where)


class _Where:
    """``'A (csr_array of shape ...)'``, formatted only when a message needs it."""

    def __init__(self, name: str, A: Any) -> None:
        self.name, self.A = name, A

    def __str__(self) -> str:
        return f"{self.name} ({describe(self.A)})"

    def __format__(self, spec: str) -> str:
        return str(self)


def check_structure(A, name: str = "A") -> None:
    """The input gate: validate a scipy sparse matrix's index arrays in O(nnz).

    CSR/CSC/BSR through :func:`check_compressed`, COO through
    :func:`check_coords`, DIA's ``offsets`` against its values; the values
    must be an array holding at least ``nnz`` of them.  (LIL and DOK hold
    Python containers: :func:`checked_sparse` converts them first.)

    Raises
    ------
    InputValueError
        The first fault: an index outside the shape, a decreasing
        ``indptr``, lengths that disagree, a non-integer index array.
    """
    where = _Where(name, A)
    try:
        dims = tuple(map(operator.index, A.shape))
        data = np.asarray(A.data)
    except Exception as exc:  # noqa: BLE001 - attributes replaced by anything
        raise InputValueError(f"{where}: not a well-formed sparse matrix ({exc})") from None
    if any(d < 0 for d in dims):
        raise InputValueError(f"{where}: shape {dims} has a negative size")
    fmt = A.format
    if fmt in ("csr", "csc", "coo") and data.ndim != 1:
        raise InputValueError(f"{where}: values must be 1-D (got {data.ndim}-D); {_GATE_HINT}")
    if fmt in ("csr", "csc"):
        major, minor = (1, dims[0]) if len(dims) == 1 else dims if fmt == "csr" else dims[::-1]
        check_compressed(A.indptr, A.indices, major, minor, data.size, where,
                         "row" if fmt == "csr" else "column")
    elif fmt == "coo":
        check_coords(A.coords, dims, data.size, where)
    elif fmt == "bsr":
        R, C = A.blocksize
        if data.ndim != 3 or data.shape[1:] != (R, C) or dims[0] % R or dims[1] % C:
            raise InputValueError(f"{where}: blocks of shape {data.shape[1:]} do not tile it "
                                  f"in blocksize {(R, C)}; {_GATE_HINT}")
        check_compressed(A.indptr, A.indices, dims[0] // R, dims[1] // C, data.shape[0], where)
    elif fmt == "dia":
        offsets = _as_index(A.offsets, "offsets", where)
        if data.ndim != 2 or data.shape[0] != offsets.size:
            raise InputValueError(f"{where}: {offsets.size} offsets for values of shape "
                                  f"{data.shape}; {_GATE_HINT}")


def _lil_to_csr(A, where: str):
    # SciPy's own flattening trusts the row lists: a row with more values than indices
    # writes past its arrays, so the lengths are compared first
    rows, vals, n = A.rows, A.data, A.shape[0]
    try:
        if not (rows.shape == vals.shape == (n,)):
            raise ValueError("rows and data need one list per row")
        lr = np.fromiter(map(len, rows), np.int64, count=n)
        lv = np.fromiter(map(len, vals), np.int64, count=n)
        if not np.array_equal(lr, lv):
            i = int(np.flatnonzero(lr != lv)[0])
            raise ValueError(f"row {i} has {lr[i]} column indices and {lv[i]} values")
        total = int(lr.sum())
        indices = np.fromiter(itertools.chain.from_iterable(rows), np.int64, count=total)
        data = np.fromiter(itertools.chain.from_iterable(vals), A.dtype, count=total)
    except (TypeError, ValueError, OverflowError, AttributeError) as exc:
        raise InputValueError(f"{where}: {exc}; {_GATE_HINT}") from None
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lr, out=indptr[1:])
    check_compressed(indptr, indices, n, A.shape[1], data.size, where)
    return sp.csr_array((data, indices, indptr), shape=A.shape)


def checked_sparse(A, name: str = "A", *, validated: bool = False):
    """``A`` through the input gate: itself (CSR/CSC/COO/BSR/DIA), or LIL/DOK as arrays.

    ``validated=True`` skips the O(nnz) check, for a caller that built ``A``
    or already passed it here.
    """
    if A.format == "lil":
        return _lil_to_csr(A, f"{name} ({describe(A)})")
    if A.format == "dok":
        try:
            A = A.tocoo()  # from the keys, with numpy; SciPy's COO check runs
        except (TypeError, ValueError, OverflowError) as exc:
            raise InputValueError(f"{name} ({describe(A)}): {exc}; {_GATE_HINT}") from None
    if not validated:
        check_structure(A, name)
    return A
