"""Result objects: frozen dataclasses with a one-screen ``repr``.

Solvers never return tuples whose length depends on flags; they return one of
these.  SciPy's ``(x, info)`` pairs are translated once, at the backend
boundary.  For code written against SciPy, the results unpack like SciPy's
returns while staying the same objects: ``x, info = sk.solve(...)``
(SciPy's ``info``, :attr:`SolveResult.info`), ``w, v = sk.eigsh(...)`` and
``u, s, vh = sk.svds(...)``.  ``SVDSResult`` is :func:`sparsekit.svds`'s; ``CholeskyResult`` and
``SVDResult`` are the dense path's (``sparsekit.dense.cholesky``/``svd``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.linalg as sla

from ._validate import as_stacked_rhs

if TYPE_CHECKING:
    import numpy.typing as npt

    from ._typing import MatrixLike

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
    breakdown : bool
        The method broke down (SciPy's ``info < 0``) rather than running out of
        iterations; read through :attr:`info`.

    Unpacking gives SciPy's pair: ``x, info = sk.solve(A, b)``.

    Examples
    --------
    >>> import numpy as np
    >>> import sparsekit as sk
    >>> x, info = sk.solve(np.diag([2.0, 4.0]), np.array([2.0, 4.0]))
    >>> x, info
    (array([1., 1.]), 0)
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
    breakdown: bool = False

    @property
    def info(self) -> int:
        """SciPy's ``info``: 0 converged, ``> 0`` not converged, ``< 0`` a breakdown.

        ``> 0`` is the number of iterations done, at least 1: a direct or
        dense solve whose recomputed residual misses the tolerance reads 1.
        sparsekit raises on illegal input instead of returning a negative
        ``info``; a breakdown reads -1.
        """
        if self.converged:
            return 0
        return -1 if self.breakdown else max(int(self.iterations), 1)

    def __iter__(self) -> Iterator[Any]:
        """``x, info = result``, as SciPy's Krylov solvers return."""
        return iter((self.x, self.info))

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

    Unpacking gives SciPy's pair: ``w, v = sk.eigsh(A, k=2)``.  ``values`` are
    real and ascending for ``sk.eigsh``; complex for ``sk.eigs``, ascending by
    what its ``which`` ranks.

    Examples
    --------
    >>> import numpy as np
    >>> import sparsekit as sk
    >>> w, v = sk.eigsh(np.diag([3.0, 1.0, 2.0, 5.0]), k=2)
    >>> w, v.shape
    (array([1., 2.]), (4, 2))
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

    def __iter__(self) -> Iterator[np.ndarray]:
        """``w, v = result``, as SciPy's ``eigsh``/``eigs`` return."""
        return iter((self.values, self.vectors))

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
    U : ndarray, shape (m, k), or None
        Left singular vectors (orthonormal columns).
    s : ndarray, shape (k,)
        Singular values, descending (largest first, as numpy's ``svd``) unless
        ``sk.svds(..., ascending=True)`` (SciPy's order) was asked for.
    Vh : ndarray, shape (k, n), or None
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

    Unpacking gives SciPy's triple: ``u, s, vh = sk.svds(A, k=2)``.
    """

    U: np.ndarray | None
    s: np.ndarray
    Vh: np.ndarray | None
    residuals: np.ndarray
    converged: np.ndarray
    method: str
    backend: str = "scipy"
    timings: Mapping[str, float] = field(default_factory=dict)
    tol: float = 0.0
    notes: tuple[str, ...] = ()

    @property
    def all_converged(self) -> bool:
        """True when every triplet met its tolerance."""
        return bool(np.all(self.converged))

    def __iter__(self) -> Iterator[np.ndarray | None]:
        """``u, s, vh = result``, as SciPy's ``svds`` returns."""
        return iter((self.U, self.s, self.Vh))

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

    def solve(self, b: npt.ArrayLike) -> np.ndarray:
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


# --------------------------------------------------------------------------- issue 25:
# numpy.linalg's questions asked of sparse matrices (sk.condest, sk.pca, sk.null_space,
# sk.matrix_rank) and the dense path's sk.dense.qr / slogdet.

__all__ += ["CondestResult", "PCAResult", "NullSpaceResult", "QRResult", "SlogdetResult"]


@dataclass(frozen=True, repr=False, eq=False)
class CondestResult:
    """The outcome of :func:`sparsekit.condest`: a condition number and how sure it is.

    Attributes
    ----------
    cond : float
        The condition number ``‖A‖ ‖A⁻¹‖`` in the norm asked (``inf`` for a
        singular matrix).
    norm : int
        1 (Higham and Tisseur's block 1-norm estimator on ``A⁻¹``) or 2 (the
        extreme singular values).
    anorm : float
        ``‖A‖`` (the 1-norm exactly; the 2-norm as the largest singular value found).
    ainv_norm : float
        The estimate of ``‖A⁻¹‖`` (``inf`` for a singular matrix).
    lower_bound : bool
        ``cond`` is a lower bound of the true condition number (up to the
        rounding of the solves, relative ``cond · eps``).
    exact : bool
        ``cond`` was computed exactly (every column of ``A⁻¹`` formed: ``n <= t``).
    iterations : int
        Iterations of the estimator (ARPACK's for ``norm=2``).
    solves : int
        Right-hand sides solved with the factorization.
    singular : bool
        ``A`` is singular to working precision (``cond · eps >= 1``).
    method : str
        ``"higham-tisseur"``, ``"exact"`` or ``"arpack"``.
    factorization : str
        The factorization used (its kind and engine), shared with ``sk.solve``.
    timings : mapping
        ``{"factorize": s, "estimate": s}`` (``factorize`` is 0 on a cache hit).
    notes : tuple of str
        How the answer was reached and what it means.
    """

    cond: float
    norm: float
    anorm: float
    ainv_norm: float
    lower_bound: bool
    exact: bool
    iterations: int
    solves: int
    singular: bool = False
    method: str = "higham-tisseur"
    factorization: str = ""
    timings: Mapping[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def rcond(self) -> float:
        """``1 / cond`` (0 for a singular matrix), LAPACK's reciprocal condition number."""
        return 0.0 if not np.isfinite(self.cond) or self.cond == 0 else 1.0 / self.cond

    @property
    def digits_lost(self) -> float:
        """``log10(cond)``: decimal digits a solve with ``A`` may lose (inf when singular)."""
        return float(np.log10(self.cond)) if self.cond > 0 else 0.0

    @property
    def summary(self) -> str:
        """One line: the estimate, how sure it is, and what it means for a solve."""
        which = "κ₁" if self.norm == 1 else "κ₂"
        if self.singular:
            return (f"{which}(A) = inf: A is singular to working precision "
                    f"(estimate {self.ainv_norm * self.anorm:.1e} >= 1/eps); a solve "
                    "needs a least-squares or null-space method")
        how = ("exact" if self.exact else
               f"{'lower bound' if self.lower_bound else 'estimate'}, {self.method}, "
               f"{self.iterations} iteration{'s' if self.iterations != 1 else ''}")
        digits = max(0.0, self.digits_lost)
        return (f"{which}(A) ≈ {self.cond:.2e} ({how}): a solve may lose about "
                f"{digits:.0f} of 16 digits")

    def __repr__(self) -> str:
        lines = [f"CondestResult(cond={self.cond:.4e}, norm={self.norm}, "
                 f"method={self.method!r})",
                 f"  ‖A‖={self.anorm:.4e}, ‖A⁻¹‖={self.ainv_norm:.4e}, lower bound: "
                 f"{self.lower_bound}, exact: {self.exact}",
                 f"  iterations: {self.iterations}, solves: {self.solves}"
                 + (f", factorization: {self.factorization}" if self.factorization else "")]
        if self.timings:
            lines.append(f"  timings: {_fmt_seconds(self.timings)}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


@dataclass(frozen=True, repr=False, eq=False)
class PCAResult:
    """The outcome of :func:`sparsekit.pca`: principal components of a sparse data matrix.

    Attributes
    ----------
    components : ndarray, shape (k, n_features)
        Principal axes as rows (orthonormal), like scikit-learn's ``components_``.
    singular_values : ndarray, shape (k,)
        Singular values of the centred (or, ``center=False``, the raw) data, descending.
    explained_variance : ndarray, shape (k,)
        ``singular_values² / (n_samples − 1)``.
    explained_variance_ratio : ndarray, shape (k,)
        Each component's share of the total variance (``center=False``: of ``‖X‖_F²``).
    mean : ndarray or None
        The column means removed (None with ``center=False``).
    U : ndarray, shape (n_samples, k)
        Left singular vectors: the scores are ``U * singular_values``.
    residuals : ndarray, shape (k,)
        ``sqrt(‖Xc v − s u‖² + ‖Xcᵀ u − s v‖²)`` of every component, recomputed.
    converged : ndarray of bool
        Per component: residual ``<= tol · singular_values[0]``.
    method : str
        ``"randomized"`` (block Krylov range finding) or ``"arpack"``.
    iterations : int
        Products with ``X`` (or ``Xᵀ``) of one block of vectors.
    tol : float
        The relative tolerance the residuals were judged against.
    timings : mapping
        ``{"solve": s}``.
    notes : tuple of str
        Memory held and anything else worth knowing.
    """

    components: np.ndarray
    singular_values: np.ndarray
    explained_variance: np.ndarray
    explained_variance_ratio: np.ndarray
    mean: np.ndarray | None
    U: np.ndarray
    residuals: np.ndarray
    converged: np.ndarray
    method: str
    iterations: int = 0
    tol: float = 0.0
    timings: Mapping[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def all_converged(self) -> bool:
        """True when every component met its tolerance."""
        return bool(np.all(self.converged))

    def transform(self, X: MatrixLike) -> np.ndarray:
        """Project ``X`` (sparse or dense, ``n × n_features``) on the components, sparsely.

        ``(X − mean) @ components.T`` computed as ``X @ components.T − mean @ components.T``:
        ``X`` is never centred in memory.
        """
        P = X @ self.components.T
        if self.mean is not None:
            P = P - self.mean @ self.components.T
        return np.asarray(P)

    def __repr__(self) -> str:
        k = len(self.singular_values)
        vals = np.array2string(np.asarray(self.singular_values)[:6], precision=5,
                               separator=", ")
        ratio = float(np.sum(self.explained_variance_ratio))
        lines = [f"PCAResult({int(np.sum(self.converged))}/{k} converged: "
                 f"method={self.method!r}, centred={self.mean is not None})",
                 f"  singular values: {vals}{' ...' if k > 6 else ''}",
                 f"  explained variance ratio (sum): {ratio:.4f}, max residual: "
                 f"{float(np.max(self.residuals)) if k else 0.0:.2e} (tol {self.tol:.1e})",
                 f"  products with X: {self.iterations}"]
        if self.timings:
            lines.append(f"  timings: {_fmt_seconds(self.timings)}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


@dataclass(frozen=True, repr=False, eq=False)
class NullSpaceResult:
    """The outcome of :func:`sparsekit.null_space` and :func:`sparsekit.matrix_rank`.

    ``int(result)`` is the rank.

    Attributes
    ----------
    rank : int
        ``n_columns − nullity``.
    nullity : int
        Dimension of the (right) null space found.
    vectors : ndarray, shape (n_columns, nullity)
        An orthonormal basis of the null space.
    shape : tuple
        Shape of ``A``.
    threshold : float
        Singular values (or ``|eigenvalues|`` of a symmetric ``A``) at most this are zero.
    values : ndarray
        The evidence: the singular values (``|eigenvalues|``) examined near zero,
        ascending; those ``<= threshold`` are the null space.
    gap : float
        The smallest examined value above ``threshold`` (nan when none was seen).
    complete : bool
        A value above the threshold was seen, so the nullity is exact; False
        when the search stopped first (the nullity is then a lower bound).
    residuals : ndarray, shape (nullity,)
        ``‖A v‖`` of every basis vector, recomputed.
    method : str
        ``"laplacian"``, ``"candidates"``, ``"shift_invert"`` or ``"dense"``.
    notes : tuple of str
        The rank decision, stated.
    """

    rank: int
    nullity: int
    vectors: np.ndarray
    shape: tuple[int, int]
    threshold: float
    values: np.ndarray
    gap: float
    complete: bool
    residuals: np.ndarray
    method: str
    notes: tuple[str, ...] = ()

    def __int__(self) -> int:
        return int(self.rank)

    def __index__(self) -> int:
        return int(self.rank)

    def __repr__(self) -> str:
        vals = np.array2string(np.asarray(self.values)[:6], precision=3, separator=", ")
        lines = [f"NullSpaceResult(rank={self.rank}, nullity={self.nullity}"
                 f"{'' if self.complete else ' (at least)'}, shape={self.shape}, "
                 f"method={self.method!r})",
                 f"  threshold: {self.threshold:.3e}, gap: {self.gap:.3e}",
                 f"  values examined: {vals}{' ...' if len(self.values) > 6 else ''}",
                 f"  max residual ‖A v‖: "
                 f"{float(np.max(self.residuals)) if self.nullity else 0.0:.3e}"]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


@dataclass(frozen=True)
class QRResult:
    """A dense QR factorization ``A = Q R`` (possibly a stack); unpacks as ``Q, R``.

    Attributes
    ----------
    Q : ndarray or None
        Orthonormal columns, ``(..., m, r)`` (None with ``mode="r"``).
    R : ndarray
        Upper triangular (trapezoidal), ``(..., r, n)``.
    """

    Q: np.ndarray | None
    R: np.ndarray

    def __iter__(self) -> Iterator[np.ndarray | None]:
        """``Q, R = result``, as :func:`numpy.linalg.qr` returns."""
        return iter((self.Q, self.R))

    def __repr__(self) -> str:
        q = None if self.Q is None else self.Q.shape
        return f"QRResult(Q: {q}, R: {self.R.shape}, dtype={self.R.dtype})"


@dataclass(frozen=True)
class SlogdetResult:
    """Sign and log of ``|det A|`` (possibly per matrix of a stack); unpacks as ``sign, logabsdet``.

    Attributes
    ----------
    sign : ndarray or float
        ``±1`` (a unit complex number for complex ``A``; 0 when singular).
    logabsdet : ndarray or float
        ``log |det A|`` (``-inf`` when singular).
    """

    sign: np.ndarray | float | complex
    logabsdet: np.ndarray | float

    def __iter__(self) -> Iterator[np.ndarray | float | complex]:
        """``sign, logabsdet = result``, as :func:`numpy.linalg.slogdet` returns."""
        return iter((self.sign, self.logabsdet))

    def __repr__(self) -> str:
        return (f"SlogdetResult(sign={np.array2string(np.asarray(self.sign), precision=4)}, "
                f"logabsdet={np.array2string(np.asarray(self.logabsdet), precision=6)})")
