"""Rank and null space of a sparse matrix: :func:`null_space` and :func:`matrix_rank`.

The rank decision is numpy's: a singular value (an ``|eigenvalue|`` of a
symmetric matrix) is zero when it is at most the *threshold*
``max(m, n) · eps · σ_max`` (``σ_max`` by ARPACK, or ``tol=`` / ``rtol=``
given), and every result states the threshold and its evidence: the values
examined near zero and the first one above the threshold (the gap).

How the null space is found (``method="auto"`` tries them in this order):

``"laplacian"``
    A combinatorial graph Laplacian (symmetric, off-diagonal <= 0, zero row
    sums) has exactly one null vector per connected component, its
    indicator (:mod:`sparsekit.linalg._nullspace`, the vectors ``sk.eigsh``
    deflates): no iteration at all.
``"candidates"``
    Known candidates ``B`` (the rigid-body modes of ``sk.fem.elasticity``,
    PyAMG's ``B=``) are checked (``‖A b‖ <= threshold``), orthonormalised,
    and deflated from a shift-invert search for any further null vector.
``"shift_invert"``
    ARPACK in shift-invert mode at the shift ``σ = −threshold`` on ``A``
    (symmetric) or on ``[[0, A], [Aᴴ, 0]]`` (any other shape), whose
    eigenvalues are ``±σ_i``: the factorization is :func:`sparsekit.factorize`'s
    (cached), and the number of pairs asked doubles until the farthest is
    beyond ``2 · threshold`` from the shift (so every value under the
    threshold has been found); ``auto`` turns to the dense SVD, where it fits,
    when the null space has more than 32 vectors.
``"dense"``
    LAPACK's SVD for small matrices (``max(m, n) <= 200``), and for very
    rectangular ones (``|m − n| > 128``, whose augmented matrix has that
    many extra zero eigenvalues) that fit the dense memory guard, as
    :func:`scipy.linalg.null_space`.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .._validate import as_matrix, check_choice, describe, is_symmetric, positive_int
from ..errors import InputValueError, SingularMatrixError
from ..results import NullSpaceResult
from . import factor
from ._dense._common import DEFAULT_MAX_BYTES, as_dense
from ._inspect import inspect_matrix
from ._nullspace import laplacian_null_space
from ._residuals import matrix_scale
from ._threads import threads_for

if TYPE_CHECKING:
    import numpy.typing as npt

    from .._typing import MatrixLike

__all__ = ["null_space", "matrix_rank", "METHODS"]

METHODS = {
    "auto": "laplacian when A is one, candidates when B is given, dense when small, "
            "else shift_invert",
    "laplacian": "the indicator vector of each connected component (exact)",
    "candidates": "the candidates B checked, then deflated from a shift-invert search",
    "shift_invert": "ARPACK near zero through a cached factorization",
    "dense": "LAPACK SVD (scipy.linalg.null_space)",
}

#: ``auto`` uses the dense SVD up to this size.
DENSE_MAX = 200

#: Pairs asked for first, and at most, by the shift-invert search.
K_START = 6
K_MAX = 256

#: ``auto`` turns to the dense SVD (where it fits) beyond this many null vectors.
K_AUTO = 32

_FIELDS = ("rank", "nullity", "vectors", "shape", "threshold", "values", "gap", "complete",
           "residuals", "method", "notes")


def _threshold(A, tol, rtol, m, n):
    """``(threshold, σ_max, how)``: numpy's rule, with ``σ_max`` from ARPACK (loose)."""
    if tol is not None:
        return tol, math.nan, f"tol={tol:.3e} given"
    smax = _sigma_max(A)
    r = max(m, n) * np.finfo(float).eps if rtol is None else rtol
    how = (f"max(m, n)·eps·σ_max = {max(m, n)}·{np.finfo(float).eps:.2e}·{smax:.4e}"
           if rtol is None else f"rtol·σ_max = {rtol:.2e}·{smax:.4e}")
    return r * smax, smax, how


def _sigma_max(A) -> float:
    """``‖A‖₂`` by ARPACK at a loose tolerance (dense for tiny matrices)."""
    m, n = A.shape
    if min(m, n) <= 2 or max(m, n) <= 3:
        D = A.toarray() if sp.issparse(A) else np.asarray(A)
        return float(np.linalg.norm(D, 2)) if D.size else 0.0
    v0 = np.random.default_rng(0).standard_normal(min(m, n))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if m == n and is_symmetric(A):
                w = spla.eigsh(A, k=1, which="LM", tol=1e-6, v0=v0, return_eigenvectors=False)
                return float(abs(w[0]))
            s = spla.svds(A, k=1, tol=1e-6, v0=v0, return_singular_vectors=False)
            return float(s[0])
    except spla.ArpackNoConvergence:  # an upper bound then: sqrt(‖A‖₁ ‖A‖∞) >= ‖A‖₂
        AT = A.T if sp.issparse(A) else np.asarray(A).T
        return math.sqrt(matrix_scale(A) * matrix_scale(AT))


def _check_tols(tol, rtol):
    for name, v in (("tol", tol), ("rtol", rtol)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float, np.number))
                              or not np.isfinite(v) or v < 0):
            raise InputValueError(f"{name} must be a finite number >= 0 (got {v!r})")
    if tol is not None and rtol is not None:
        raise InputValueError("pass tol (absolute) or rtol (relative to σ_max), not both")
    return (None if tol is None else float(tol)), (None if rtol is None else float(rtol))


def null_space(A: MatrixLike, *, tol: float | None = None, rtol: float | None = None,
               B: npt.ArrayLike | None = None, method: str = "auto",
               k: int | None = None) -> NullSpaceResult:
    """An orthonormal basis of the null space of a sparse matrix, with its rank decision.

    Parameters
    ----------
    A : sparse matrix or array, or ndarray, shape (m, n)
        The matrix (finite entries).
    tol : float, optional
        Absolute threshold: singular values ``<= tol`` are zero.
    rtol : float, optional
        Threshold relative to ``σ_max`` (with ``tol=None``); default
        ``max(m, n) · eps``, as :func:`numpy.linalg.matrix_rank`.
    B : ndarray, shape (n, r), optional
        Candidate null vectors (e.g. the rigid-body modes ``B`` of
        ``sk.fem.elasticity``): checked, then deflated from the search.
    method : {"auto", "laplacian", "candidates", "shift_invert", "dense"}, default="auto"
        See :data:`METHODS`.
    k : int, optional
        The largest nullity searched by ``"shift_invert"`` (default 256):
        the result says ``complete=False`` if the null space may be larger.

    Returns
    -------
    NullSpaceResult
        ``vectors`` (n × nullity, orthonormal), ``rank``, ``nullity``,
        ``threshold``, ``values`` (the evidence, ascending), ``gap``,
        ``complete``, ``residuals`` ``‖A v‖`` and notes.

    Raises
    ------
    InputValueError
        NaN or Inf entries, an empty matrix, bad ``tol``/``rtol``/``B``/``k``.

    See Also
    --------
    scipy.linalg.null_space, numpy.linalg.matrix_rank, sparsekit.dense.matrix_rank

    Examples
    --------
    >>> import networkx as nx
    >>> import numpy as np
    >>> import sparsekit as sk
    >>> from sparsekit.linalg._rank import null_space
    >>> G = nx.disjoint_union(nx.path_graph(300), nx.cycle_graph(200))   # two components
    >>> r = null_space(sk.laplacian(G))
    >>> r.nullity, r.rank, r.method
    (2, 498, 'laplacian')
    >>> K, B = sk.fem.elasticity(*sk.fem.unit_square(12))                # 338 unknowns
    >>> r = null_space(K)
    >>> r.nullity, r.method                                            # the rigid-body modes
    (3, 'shift_invert')
    >>> bool(np.allclose(r.vectors @ (r.vectors.T @ B), B))            # they span B
    True
    """
    check_choice(method, METHODS, "method")
    tol, rtol = _check_tols(tol, rtol)
    A = as_matrix(A, "A")
    m, n = A.shape
    if m == 0 or n == 0:
        raise InputValueError(f"A is empty (got {describe(A)})")
    kmax = K_MAX if k is None else positive_int(k, "k")
    Bm = _candidates(B, n)
    threshold, smax, how = _threshold(A, tol, rtol, m, n)
    use = _choose(A, method, Bm)
    if use == "laplacian":
        return _laplacian(A, threshold, how)
    if use == "dense":
        return _dense(A, threshold, how)
    return _shift_invert(A, threshold, how, smax, Bm, kmax, use, auto=method == "auto")


def matrix_rank(A: MatrixLike, *, tol: float | None = None, rtol: float | None = None,
                B: npt.ArrayLike | None = None, method: str = "auto") -> NullSpaceResult:
    """The numerical rank of a sparse matrix, with its threshold and evidence.

    The same rule as :func:`numpy.linalg.matrix_rank` (and
    :func:`sparsekit.dense.matrix_rank`): singular values ``<= max(m, n) · eps
    · σ_max`` (or ``tol``, or ``rtol · σ_max``) are zero.  A wide matrix is
    examined through ``Aᴴ`` (the side with fewer columns, whose null space is
    small): ``vectors`` then span the *left* null space, as a note says.
    ``int(result)`` is the rank.

    Parameters
    ----------
    A : sparse matrix or array, or ndarray, shape (m, n)
        The matrix.
    tol, rtol : float, optional
        Absolute, or relative to ``σ_max``, threshold (see :func:`null_space`).
    B : ndarray, optional
        Candidate null vectors (see :func:`null_space`).
    method : {"auto", "laplacian", "candidates", "shift_invert", "dense"}, default="auto"
        See :data:`METHODS`.

    Returns
    -------
    NullSpaceResult
        ``rank`` and the evidence of :func:`null_space`.

    See Also
    --------
    numpy.linalg.matrix_rank, sparsekit.dense.matrix_rank

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from sparsekit.linalg._rank import matrix_rank
    >>> A = sp.random_array((300, 250), density=0.05, random_state=0, format="csr")
    >>> A = sp.hstack([A, A[:, :5] + A[:, 5:10]])        # 5 dependent columns
    >>> r = matrix_rank(A)
    >>> int(r), r.nullity, bool(r.gap > 100 * r.threshold)
    (250, 5, True)
    """
    A = as_matrix(A, "A")
    m, n = A.shape
    if m < n and B is None:
        AH = (A.conj().T.tocsr() if sp.issparse(A) else np.conj(np.asarray(A)).T)
        r = null_space(AH, tol=tol, rtol=rtol, method=method)
        return NullSpaceResult(r.rank, m - r.rank, r.vectors, (m, n), r.threshold, r.values,
                               r.gap, r.complete, r.residuals, r.method,
                               r.notes + (f"A is wide ({m}x{n}): examined through Aᴴ; "
                                          "vectors span the left null space of A",))
    return null_space(A, tol=tol, rtol=rtol, B=B, method=method)


def _candidates(B, n):
    if B is None:
        return None
    B = np.asarray(B)
    if B.ndim == 1:
        B = B[:, None]
    if B.ndim != 2 or B.shape[0] != n or B.dtype.kind not in "biufc":
        raise InputValueError(f"B must be a numeric array of shape ({n}, r) (got "
                              f"{describe(B)})")
    if not np.all(np.isfinite(B)):
        raise InputValueError("B contains NaN or Inf entries")
    return B.astype(np.result_type(B.dtype, float), copy=False)


def _choose(A, method, B):
    m, n = A.shape
    if method != "auto":
        if method == "laplacian" and not (m == n and inspect_matrix(A, components=False)
                                          .laplacian):
            raise InputValueError("method='laplacian' needs a combinatorial graph Laplacian "
                                  "(symmetric, off-diagonal <= 0, zero row sums)")
        if method == "candidates" and B is None:
            raise InputValueError("method='candidates' needs B= (the candidate null vectors)")
        return method
    if B is not None:
        return "candidates"
    if m == n and inspect_matrix(A, components=False).laplacian:
        return "laplacian"
    if max(m, n) <= DENSE_MAX:
        return "dense"
    if abs(m - n) > K_MAX // 2 and 3 * 8 * m * n <= DEFAULT_MAX_BYTES:
        return "dense"  # a very rectangular A: the augmented matrix has |m - n| extra zeros
    return "shift_invert"


def _result(A, V, values, threshold, how, method, notes, complete=True):
    """The :class:`NullSpaceResult`, residuals recomputed, the decision stated."""
    m, n = A.shape
    nullity = V.shape[1]
    res = np.linalg.norm(A @ V, axis=0) if nullity else np.zeros(0)
    values = np.sort(np.asarray(values, dtype=float))
    above = values[values > threshold]
    gap = float(above[0]) if above.size else math.nan
    decision = (f"rank {n - nullity} of {n} columns: {nullity} value(s) <= threshold "
                f"{threshold:.3e} ({how})"
                + (f"; the next is {gap:.3e}, {gap / threshold:.1e} x the threshold"
                   if above.size and threshold > 0 else ""))
    return NullSpaceResult(n - nullity, nullity, V, (m, n), float(threshold), values, gap,
                           bool(complete), res, method, (decision, *notes))


def _laplacian(A, threshold, how):
    """The component indicators, exactly; ``λ`` of the first non-null pair for a few."""
    ns = laplacian_null_space(A)
    V = ns.vectors()
    c = ns.n_components
    values = list(np.linalg.norm(A @ V, axis=0))
    notes = [f"A is a graph Laplacian with {c} connected component(s): its null space is "
             "their indicator vectors (exact; no iteration)"]
    n = A.shape[0]
    if c < n - 1 and c <= 8 and n > DENSE_MAX:
        from ._eigen import eigsh  # the shared eigensolver deflates the same vectors

        e = eigsh(A, k=c + 1, which="smallest")
        values.append(float(e.values[-1]))
        notes.append(f"the smallest non-zero eigenvalue, by sk.eigsh: {e.values[-1]:.4e}")
    elif n <= DENSE_MAX and c < n:
        w = np.linalg.eigvalsh(A.toarray() if sp.issparse(A) else np.asarray(A))
        values.append(float(w[c]))
    return _result(A, V, values, threshold, how, "laplacian", notes)


def _dense(A, threshold, how):
    """LAPACK's full SVD (small matrices): right singular vectors of the zero values."""
    D = as_dense(A, "A", None, what="sk.null_space(method='dense')", copies=3,
                 instead="method='shift_invert'")
    m, n = D.shape
    with threads_for(max(m, n)):
        _, s, Vh = np.linalg.svd(D, full_matrices=m < n)  # a wide D needs all n right vectors
    zero = np.concatenate([s <= threshold, np.ones(n - s.size, dtype=bool)])
    V = np.conj(Vh[zero]).T
    values = np.concatenate([s, np.zeros(n - s.size)])
    return _result(A, V, values, threshold, how, "dense", ["LAPACK SVD of the dense matrix"])


def _augmented(A):
    """``[[0, A], [Aᴴ, 0]]``: symmetric, eigenvalues ``±σ_i`` (and ``|m − n|`` zeros)."""
    m, n = A.shape
    S = sp.csr_array(A) if sp.issparse(A) else sp.csr_array(np.asarray(A))
    return sp.block_array([[None, S], [S.conj().T, None]], format="csc")


def _shift_invert(A, threshold, how, smax, B, kmax, method, auto=False):
    """Null vectors by ARPACK near zero, the candidates ``B`` deflated first.

    The shift is ``σ = −threshold``: every value ``|λ| <= threshold`` lies within
    ``2 · threshold`` of it, so the search is complete once the farthest of the
    ``k`` nearest pairs is beyond that (``k`` doubles until it is).  ``auto``
    turns to the dense SVD, where it fits, when more than 32 pairs would be needed.
    """
    m, n = A.shape
    symmetric = m == n and is_symmetric(A)
    H = A if symmetric else _augmented(A)
    N = H.shape[0]
    notes = []
    Q = np.zeros((N, 0))
    known = np.zeros((n, 0))
    if B is not None:
        known, bnotes = _check_candidates(A, B, threshold)
        notes += bnotes
        Q = known if symmetric else np.vstack([np.zeros((m, known.shape[1])), known])
    sigma = -threshold if threshold > 0 else -max(m, n) * np.finfo(float).eps * (
        smax if np.isfinite(smax) and smax > 0 else matrix_scale(H))
    try:
        F = factor.factorize(H, shift=sigma)
    except SingularMatrixError:  # σ hit an eigenvalue: move it
        sigma *= math.pi / 2
        F = factor.factorize(H, shift=sigma)
    op = _deflated(F, Q)
    extra = 0 if symmetric else abs(m - n)  # the augmented matrix's zeros that are not null(A)
    k = min(max(K_START, 2 * Q.shape[1] + 2) + extra, N - 1)
    kcap = min(N - 1, kmax if symmetric else 2 * kmax + extra)
    budget = K_AUTO * (1 if symmetric else 2) + extra
    while True:
        w, W = _nearest(H, op, sigma, k, N)
        theta, W = _rayleigh_ritz(H, W)
        complete = (w.size == k and float(np.max(np.abs(w - sigma))) > abs(sigma) + threshold
                    and int(np.sum(np.abs(theta) <= threshold)) < k)
        if complete or k >= kcap:
            break
        if auto and 2 * k > budget and 3 * 8 * m * n <= DEFAULT_MAX_BYTES:
            r = _dense(A, threshold, how)
            return NullSpaceResult(*[getattr(r, f) for f in _FIELDS[:-1]], notes=r.notes + (
                f"auto: more than {budget} pairs near zero; the dense SVD instead",))
        k = min(2 * k, kcap)
    V, values = _split(A, theta, W, symmetric, threshold, known)
    notes.append(f"ARPACK shift-invert at σ = {sigma:.2e} on "
                 f"{'A' if symmetric else '[[0, A], [Aᴴ, 0]]'} ({F.kind} factorization, "
                 f"{F.engine}), the {k} nearest pairs")
    if not complete:
        notes.append(f"the {k} pairs nearest σ all lie within 2·threshold of it: the nullity "
                     "is at least the number found (raise k)")
    return _result(A, V, values, threshold, how, method, notes, complete=complete)


def _check_candidates(A, B, threshold):
    """Orthonormal candidates with ``‖A b‖ <= threshold``; the others are dropped, noted."""
    U, s, _ = np.linalg.svd(B, full_matrices=False)
    Q = U[:, s > s[0] * B.shape[0] * np.finfo(float).eps] if s.size and s[0] > 0 else U[:, :0]
    # the null part of span(B): right singular vectors of A Q with singular values under the
    # threshold (the SVD of A Q itself, not of its Gram matrix, which would square them)
    _, sv, Wh = np.linalg.svd(A @ Q, full_matrices=True)
    sv = np.concatenate([sv, np.zeros(Q.shape[1] - sv.size)])
    keep = sv <= threshold
    Y = np.conj(Wh).T
    known = Q @ Y[:, keep]
    notes = [f"candidates B: {B.shape[1]} given, {int(keep.sum())} in the null space "
             f"(‖A b‖ <= threshold), deflated from the search"]
    return known, notes


def _deflated(F, Q):
    """``x -> P (H − σI)⁻¹ P x`` with ``P = I − Q Qᴴ`` (``Q`` the known null vectors)."""
    N = F.shape[0]
    if Q.shape[1] == 0:
        return spla.LinearOperator((N, N), matvec=F.solve, dtype=F.dtype)

    def apply(x):
        x = x - Q @ (np.conj(Q).T @ x)
        y = F.solve(x)
        return y - Q @ (np.conj(Q).T @ y)
    return spla.LinearOperator((N, N), matvec=apply, dtype=F.dtype)


def _nearest(H, op, sigma, k, N):
    """The ``k`` eigenvectors of ``H`` nearest ``σ`` (shift-invert ARPACK on ``op``)."""
    v0 = np.random.default_rng(0).standard_normal(N)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            return spla.eigsh(H, k=k, sigma=sigma, which="LM", OPinv=op, v0=v0, tol=1e-10)
        except spla.ArpackNoConvergence as exc:
            return exc.eigenvalues, exc.eigenvectors


def _pairs(values):
    """The ``±σ`` eigenvalues of the augmented matrix, each ``σ`` once (sorted)."""
    v = np.sort(values)
    if v.size < 2:
        return v
    keep = np.concatenate([[True], np.diff(v) > 1e-8 * np.maximum(v[1:], 1e-300)])
    return v[keep]


def _rayleigh_ritz(H, W):
    """Ritz pairs of ``H`` on the span of ``W``.

    ARPACK's vectors of a tight cluster near the shift are accurate as a
    subspace, not one by one (the solves' rounding, ``κ · eps``, mixes them):
    the projection ``Wᴴ H W`` separates them again.
    """
    W, _ = np.linalg.qr(W)
    T = np.conj(W).T @ (H @ W)
    theta, Y = np.linalg.eigh((T + np.conj(T).T) / 2)
    return theta, W @ Y


def _split(A, theta, W, symmetric, threshold, known):
    """Null vectors of ``A`` among the Ritz pairs ``(theta, W)``; ``(V, values)``."""
    n = A.shape[1]
    values = np.abs(theta)
    if symmetric:
        V = W[:, values <= threshold]
    else:
        # the zero eigenspace of [[0, A], [Aᴴ, 0]] mixes (u, 0) and (0, v): the v-parts
        # span null(A) (singular values 1 of the lower block; 0 for the u-parts)
        U, s, _ = np.linalg.svd(W[A.shape[0]:, values <= threshold], full_matrices=False)
        V = U[:, s > 0.5] if s.size else np.zeros((n, 0), dtype=W.dtype)
        values = _pairs(values)
    if known.shape[1]:
        V = np.hstack([known, V])
        values = np.concatenate([np.linalg.norm(A @ known, axis=0), values])
    V, _ = np.linalg.qr(V) if V.shape[1] else (V, None)
    # honest values: ‖A v‖ for the vectors kept, the Ritz values for the others
    kept = np.linalg.norm(A @ V, axis=0) if V.shape[1] else np.zeros(0)
    return V, np.concatenate([kept, values[values > threshold]])
