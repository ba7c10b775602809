"""Result objects: frozen dataclasses with a one-screen ``repr``.

Solvers never return tuples whose length depends on flags; they return one of
these.  SciPy's ``(x, info)`` pairs are translated once, at the backend
boundary.  ``SVDSResult`` is :func:`sparsekit.svds`'s; ``CholeskyResult`` and
``SVDResult`` are the dense path's (``sparsekit.dense.cholesky``/``svd``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.linalg as sla

from ._validate import as_stacked_rhs

__all__ = ["SolveResult", "EigenResult", "Plan", "SVDSResult", "SVDResult", "CholeskyResult"]


def _fmt_seconds(timings: Mapping[str, float]) -> str:
    return ", ".join(f"{k}={v:.3g}s" for k, v in timings.items())


def _fmt_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


def _shape(a) -> str:
    shape = getattr(a, "shape", None)
    return "None" if shape is None else "x".join(str(s) for s in shape)


@dataclass(frozen=True, repr=False, eq=False)
class Plan:
    """What ``method="auto"`` would do for a matrix, and why.

    Attributes
    ----------
    task : str
        ``"solve"`` or ``"eigsh"``.
    method, precond, backend : str
        The chosen method, preconditioner (``"none"`` when unused) and backend.
    reasons : tuple of str
        One line per fact that drove the choice.
    properties : mapping
        What was inspected: ``n``, ``nnz``, ``symmetric``, ``positive_diagonal``,
        ``laplacian``, ``cached`` and the like.
    memory : mapping
        Estimated peak bytes of each option considered (``"dense"``, ``"direct"``,
        ``"iterative"``...).
    """

    task: str
    method: str
    precond: str
    backend: str
    reasons: tuple[str, ...] = ()
    properties: Mapping[str, Any] = field(default_factory=dict)
    memory: Mapping[str, float] = field(default_factory=dict)

    def __repr__(self) -> str:
        lines = [
            f"Plan({self.task}: method={self.method!r}, precond={self.precond!r}, "
            f"backend={self.backend!r})"
        ]
        lines += [f"  - {r}" for r in self.reasons]
        if self.memory:
            mem = ", ".join(f"{k} {_fmt_bytes(v)}" for k, v in self.memory.items())
            lines.append(f"  memory: {mem}")
        return "\n".join(lines)


@dataclass(frozen=True, repr=False, eq=False)
class SolveResult:
    """The outcome of :func:`sparsekit.solve` (and the dense path).

    Attributes
    ----------
    x : ndarray
        The solution, shape ``(n,)`` or ``(n, k)`` like ``b``.
    converged : bool
        ``‖b − A x‖ ≤ max(rtol·‖b‖, atol)`` for every column, recomputed.
    iterations : int
        Iterations taken (0 for direct and dense methods).
    residuals : ndarray
        Residual-norm history as reported by the method (may be empty).
    relative_residual : float
        The true ``‖b − A x‖ / ‖b‖`` recomputed at the end (worst column).
    method, precond, backend : str
        What actually ran.
    timings : mapping
        ``{"setup": seconds, "solve": seconds}``.
    plan : Plan or None
        The plan followed when ``method="auto"``.
    notes : tuple of str
        Anything the caller should know (fallbacks, projections, cache hits).
    """

    x: np.ndarray
    converged: bool
    iterations: int
    residuals: np.ndarray
    relative_residual: float
    method: str
    precond: str = "none"
    backend: str = "scipy"
    timings: Mapping[str, float] = field(default_factory=dict)
    plan: Plan | None = None
    notes: tuple[str, ...] = ()

    def __repr__(self) -> str:
        status = "converged" if self.converged else "NOT converged"
        lines = [
            f"SolveResult({status}: method={self.method!r}, precond={self.precond!r}, "
            f"backend={self.backend!r})",
            f"  x: {_shape(self.x)} {getattr(self.x, 'dtype', '')}",
            f"  iterations: {self.iterations}, relative residual: "
            f"{self.relative_residual:.3e}",
        ]
        if self.timings:
            lines.append(f"  timings: {_fmt_seconds(self.timings)}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


@dataclass(frozen=True, repr=False, eq=False)
class EigenResult:
    """The outcome of :func:`sparsekit.eigsh` (and ``sparsekit.dense.eigh``).

    Attributes
    ----------
    values : ndarray
        Eigenvalues, ascending, shape ``(k,)``.
    vectors : ndarray
        Eigenvectors as columns, shape ``(n, k)`` (M-orthonormal when ``M`` given).
    residuals : ndarray
        ``‖A v − λ M v‖`` for every pair, always computed.
    converged : ndarray of bool
        Per pair: residual within the tolerance asked.
    method, backend : str
        What actually ran.
    iterations : int
        Iterations (or operator applications) where the method reports them.
    timings : mapping
        ``{"setup": seconds, "solve": seconds}``.
    tol : float
        The residual tolerance each pair was judged against.
    notes : tuple of str
        Reasons for the choice, fallbacks taken, deflated null vectors.
    """

    values: np.ndarray
    vectors: np.ndarray
    residuals: np.ndarray
    converged: np.ndarray
    method: str
    backend: str = "scipy"
    iterations: int = 0
    timings: Mapping[str, float] = field(default_factory=dict)
    tol: float = 0.0
    notes: tuple[str, ...] = ()

    @property
    def all_converged(self) -> bool:
        """True when every pair met its tolerance."""
        return bool(np.all(self.converged))

    def __repr__(self) -> str:
        nconv = int(np.sum(self.converged))
        k = len(self.values)
        vals = np.array2string(
            np.asarray(self.values)[:8], precision=6, separator=", ", max_line_width=70
        )
        more = " ..." if k > 8 else ""
        lines = [
            f"EigenResult({nconv}/{k} converged: method={self.method!r}, "
            f"backend={self.backend!r})",
            f"  values: {vals}{more}",
            f"  vectors: {_shape(self.vectors)}, max residual: "
            f"{float(np.max(self.residuals)) if k else 0.0:.3e} (tol {self.tol:.1e})",
        ]
        if self.timings:
            lines.append(f"  timings: {_fmt_seconds(self.timings)}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


@dataclass(frozen=True, repr=False, eq=False)
class SVDSResult:
    """The outcome of :func:`sparsekit.svds`: the largest singular triplets.

    Attributes
    ----------
    U : ndarray, shape (m, k)
        Left singular vectors (orthonormal columns).
    s : ndarray, shape (k,)
        Singular values, descending (largest first, as numpy's ``svd``).
    Vh : ndarray, shape (k, n)
        Right singular vectors as rows (the names of ``sk.dense.svd``'s
        ``SVDResult``, which this extends with residuals and flags).
    residuals : ndarray, shape (k,)
        ``sqrt(‖A v − s u‖² + ‖Aᵀ u − s v‖²)`` of every triplet, recomputed.
    converged : ndarray of bool
        Per triplet: residual <= ``tol · sqrt(‖A‖₁ ‖A‖∞)``.
    method, backend : str
        What ran.
    timings : mapping
        ``{"setup": s, "solve": s}``.
    tol : float
        The relative tolerance.
    notes : tuple of str
        Reasons and fallbacks.
    """

    U: np.ndarray
    s: np.ndarray
    Vh: np.ndarray
    residuals: np.ndarray
    converged: np.ndarray
    method: str
    backend: str = "scipy"
    timings: dict = field(default_factory=dict)
    tol: float = 0.0
    notes: tuple = ()

    @property
    def all_converged(self) -> bool:
        """True when every triplet met its tolerance."""
        return bool(np.all(self.converged))

    def __repr__(self) -> str:
        k = len(self.s)
        vals = np.array2string(np.asarray(self.s)[:8], precision=6, separator=", ")
        lines = [f"SVDSResult({int(np.sum(self.converged))}/{k} converged: "
                 f"method={self.method!r}, backend={self.backend!r})",
                 f"  s: {vals}{' ...' if k > 8 else ''}",
                 f"  max residual: {float(np.max(self.residuals)) if k else 0.0:.3e} "
                 f"(tol {self.tol:.1e})"]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


@dataclass(frozen=True)
class CholeskyResult:
    """A dense Cholesky factor ``A = L Lᴴ`` (or ``Uᴴ U``), possibly a stack.

    Attributes
    ----------
    factor : ndarray
        ``L`` (``lower=True``) or ``U``, shape ``(..., n, n)``.
    lower : bool
        Which triangle ``factor`` holds.
    """

    factor: np.ndarray
    lower: bool = True

    @property
    def logdet(self) -> np.ndarray:
        """``log det A`` (per matrix of a stack)."""
        d = np.real(np.diagonal(self.factor, axis1=-2, axis2=-1))
        return 2.0 * np.sum(np.log(d), axis=-1)

    def solve(self, b) -> np.ndarray:
        """Solve ``A x = b`` with the factor (``b`` of shape ``(..., n)`` or ``(..., n, k)``)."""
        L = self.factor if self.lower else np.conj(np.swapaxes(self.factor, -1, -2))
        B, vec = as_stacked_rhs(b, L)
        if L.ndim == 2:
            X = sla.cho_solve((L, True), B, check_finite=False)
        else:
            Y = np.linalg.solve(L, B)
            X = np.linalg.solve(np.conj(np.swapaxes(L, -1, -2)), Y)
        return X[..., 0] if vec else X

    def __repr__(self) -> str:
        return (f"CholeskyResult(shape={self.factor.shape}, lower={self.lower}, "
                f"dtype={self.factor.dtype})")


@dataclass(frozen=True)
class SVDResult:
    """A dense singular value decomposition ``A = U diag(s) Vh`` (possibly a stack).

    Attributes
    ----------
    U : ndarray or None
        Left singular vectors, ``(..., m, r)`` (None with ``compute_uv=False``).
    s : ndarray
        Singular values, descending, ``(..., r)``.
    Vh : ndarray or None
        Right singular vectors as rows, ``(..., r, n)``.
    """

    U: np.ndarray | None
    s: np.ndarray
    Vh: np.ndarray | None

    def __repr__(self) -> str:
        shape = None if self.U is None else self.U.shape
        return f"SVDResult(s: {self.s.shape}, U: {shape}, s_max={float(np.max(self.s)):.3e})"
