"""Symmetric eigenproblems: :func:`eigsh`, :func:`plan_eigsh` and :func:`svds`.

``eigsh`` solves ``A v = λ v`` or ``A v = λ M v`` (``A`` symmetric, ``M`` SPD)
with one of the methods of the :data:`METHODS` registry and always returns an
:class:`~sparsekit.EigenResult` whose residuals were recomputed here:

* ``"arpack"``: SciPy's ARPACK (implicitly restarted Lanczos) in regular
  mode; for ``which="nearest"`` it runs shift-invert mode, as SciPy does.
* ``"shift_invert"``: ARPACK on ``(A − σM)⁻¹ M``, with the factorization of
  ``A − σM`` taken from (and left in) sparsekit's factorization cache, so a
  second call on the same matrix and shift reuses it.
* ``"lobpcg"``: SciPy's LOBPCG preconditioned with AMG, ILU or Jacobi
  (:func:`sparsekit.preconditioner`), with the known null vectors of a graph
  Laplacian (the constant vector of each connected component) passed as
  constraints.
* ``"dense"``: :func:`scipy.linalg.eigh` with ``subset_by_index``.

Residual convention (everywhere in sparsekit's eigensolvers): the residual of
a pair is the absolute ``‖A v − λ M v‖₂`` with ``v`` normalised so that
``vᵀ M v = 1``; the pair is *converged* when that residual is at most
``tol · (‖A‖₁ + |λ| ‖M‖₁)``.  ``‖·‖₁`` (max absolute column sum) is an O(nnz)
upper bound of the 2-norm of a symmetric matrix.

Graph Laplacians (symmetric, off-diagonal <= 0, zero row sums) get special
care for ``which="smallest"``: the indicator vector of each connected
component is an exact null vector, so it is put in the result directly and
deflated from the iteration (a projector for shift-invert, constraints for
LOBPCG).  This is what makes the singular, possibly disconnected Laplacian
as easy as an SPD matrix.
"""

from __future__ import annotations

import copy
import logging
import math
import time
import warnings
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp
import scipy.sparse.csgraph as csgraph
import scipy.sparse.linalg as spla

from .._choices import BACKENDS
from .._requests import check_which, eigen_request, shape_of
from .._validate import (
    as_matrix,
    check_choice,
    check_symmetric,
    nonnegative_float,
    positive_int,
)
from ..backends import _registry
from ..errors import (
    DenseTooLargeError,
    InputValueError,
    NoConvergence,
    NotSPDError,
    SingularMatrixError,
    report_nonconvergence,
)
from ..results import EigenResult, Plan, _fmt_bytes
from . import _dense_eigh
from ._cache import CACHE, fingerprint
from ._dense_eigh import DEFAULT_TOL, check_mass, matrix_scale, pair_residuals
from ._inspect import ball_sizes, factor_memory, inspect_matrix
from ._threads import single_thread_blas

__all__ = ["eigsh", "svds", "plan_eigsh", "METHODS", "PRECONDS", "BACKENDS", "SVDSResult",
           "DENSE_CROSSOVER"]

log = logging.getLogger(__name__)

#: Below this order the dense LAPACK path is faster than any sparse method.
#: Measured (2-D Dirichlet Poisson, k=6, median of 3, on the busy 2-core
#: development machine): n=100 dense 0.6 ms vs shift-invert 1.3 ms; n=256
#: dense 9.3 ms vs 1.8 ms; n=484 64 ms vs 25 ms; n=1024 1.8 s vs 57 ms.
DENSE_CROSSOVER = 200

#: Shift used for the smallest eigenpairs of a graph Laplacian, relative to
#: ‖L‖₁: far below the smallest non-zero eigenvalue of the graphs we meet
#: (luxembourg_osm: λ₂ ≈ 1e-7 ‖L‖₁), so ARPACK converges in a few restarts,
#: while ``L − σI`` stays safely non-singular.  The null vectors are deflated.
LAPLACIAN_SHIFT = 1e-9

#: While ``n`` is at most this, the dense path is cheap enough to be ``auto``'s
#: safety net: ARPACK gets at most ``AUTO_ARPACK_RESTARTS`` restarts and, if it
#: has not converged, ``auto`` goes to dense LAPACK before LOBPCG.  Measured on
#: nos6 (n=675, k=20, the smallest eigenvalues clustered within 1e-4 of 1):
#: shift-invert ARPACK needed ~300 restarts (7.1 s, ~25 ms each) against
#: 0.07 s for ``scipy.linalg.eigh(subset_by_index=...)``; well-separated
#: spectra (Poisson, graph Laplacians) converge in under 10 restarts.
AUTO_DENSE_FALLBACK = 4000
AUTO_ARPACK_RESTARTS = 30

#: A graph whose middle node reaches half of all nodes within this many hops is
#: "small-world" (social, random, block-model graphs): LU fill there is near dense.
#: Measured on a 4 x 2,500-node block model (p_in 0.02, p_out 0.001), 8 smallest
#: Laplacian pairs: shift-invert 158 s, LOBPCG + AMG 3.4 s, LOBPCG + Jacobi 0.87 s.
#: Meshes and road networks reach a few hundred nodes in 6 hops.
SMALL_WORLD_HOPS = 6

#: Above this many bytes of estimated factor, "auto" prefers LOBPCG + AMG.
DIRECT_MAX_BYTES = 2 * 1024**3

#: LOBPCG runs in chunks of this many iterations, stopping as soon as the k wanted
#: pairs have converged (SciPy's stops only when the whole block has, extra vectors
#: included).  Each chunk restarts from the current block (the search directions are
#: lost), so chunks must not be too short.  Measured: grid_shortcuts_1000, Fiedler
#: pair, block of 2, AMG: 77 iterations in one call, 50 in chunks of 10; a random
#: 6-regular graph with 4,200 nodes, k=5, block of 8, Jacobi: 433 iterations in one
#: call, 155 in chunks of 20, 159 in chunks of 40, no convergence in 500 with 10.
LOBPCG_CHUNK = 20

#: Extra LOBPCG block vectors beyond the k wanted (at most k of them).
LOBPCG_EXTRA = 4

#: Above this order "auto" prefers LOBPCG + AMG to shift-invert for the smallest
#: pairs of a sparse positive semidefinite matrix, whatever the fill estimate: a
#: few random long-range edges wreck the separators a sparse factorization
#: relies on, and ARPACK needs tens of solves with the factor.  Measured on the
#: busy 2-core machine: luxembourg_osm (n = 114,599) k=2: shift-invert 1.8 s;
#: grid_shortcuts_1000 (n = 10^6, a grid plus 2,000 random edges) k=2:
#: shift-invert did not finish in 11 min (1.5 GB factor), LOBPCG + AMG 37 s.
#: The 2-D Poisson factorization grows like n^1.5 (512^2: 1.9 s; 1024^2: 25 s).
FACTOR_MAX_N = 300_000

#: Shift-invert ARPACK first runs at this tolerance (when the caller's is tighter), and
#: reruns at the caller's only if a wanted pair's recomputed residual misses it.  ARPACK's
#: test ``‖OP x − θ x‖ <= tol |θ|`` bounds the original residual by ``tol ‖A − σM‖``, a
#: bound its Ritz vectors beat by orders of magnitude once the shift-inverted spectrum
#: separates.  Measured: luxembourg_osm's normalized Laplacian, 12 pairs (8 wanted + the
#: buffer), ncv=25: 41 solves at tol 1e-9 and 33 at 1e-4, with residuals 4.4e-16 and
#: 7.7e-16; the whole k=9 eigsh 0.57–0.64 s against 0.48–0.52 s (median of 5 each).
SHIFT_INVERT_FIRST_TOL = 1e-4

#: LOBPCG + AMG for the smallest pairs starts from the hierarchy (a cascade): the
#: pencil solved densely on the coarsest level with at least this many rows per
#: wanted vector (and at most ``CASCADE_DENSE_MAX`` rows), then prolongated with
#: ``CASCADE_ITERS`` LOBPCG iterations per intermediate level and
#: ``CASCADE_FINE_SWEEPS`` damped Jacobi sweeps on the finest.  Measured on a
#: 500 x 500 grid plus 1,000 shortcuts (8 clustered pairs of L u = λ D u, block
#: of 12), without the sweeps: after 3 fine iterations the Ritz values were 6.5e-4
#: off (random start: 0.17), after 6, 3.5e-5 off (random start: 2.2e-2, and 6.0e-4
#: after 10).  The 4 sweeps cut the start's largest residual from 1.1e-3 to 1.2e-4
#: (relative to ‖L‖₁) and its Ritz error from 22% to 7.4% on grid_shortcuts_1000,
#: for 1.2 s of the cascade's 3.6 s.
CASCADE_MIN_ROWS_PER_VECTOR = 5
CASCADE_DENSE_MAX = 4000
CASCADE_ITERS = 3
CASCADE_FINE_SWEEPS = 4

METHODS = {
    "auto": "choose by size, memory and structure; fall back when a method fails",
    "arpack": "ARPACK Lanczos (regular mode; shift-invert mode for which='nearest')",
    "shift_invert": "ARPACK on (A - sigma M)^-1 M with a cached factorization",
    "lobpcg": "LOBPCG with an AMG/ILU/Jacobi preconditioner and null-vector constraints",
    "dense": "scipy.linalg.eigh with subset_by_index",
}

PRECONDS = {
    "auto": "AMG for smallest eigenpairs of SPD-like matrices, none for largest",
    "amg": "smoothed-aggregation AMG (pyamg)",
    "ilu": "incomplete LU",
    "jacobi": "diagonal scaling",
    "none": "no preconditioner",
}



# --------------------------------------------------------------------------- checks


def _check_v0(v0, n):
    if v0 is None:
        return None
    v0 = np.asarray(v0, dtype=float)
    if v0.shape != (n,):
        raise InputValueError(f"v0 must have shape ({n},) (got shape {v0.shape})")
    if not np.all(np.isfinite(v0)) or not np.any(v0):
        raise InputValueError("v0 must be finite and non-zero")
    return v0


# --------------------------------------------------------------------------- structure


@dataclass
class _Problem:
    """Everything the methods share, validated once."""

    A: Any
    M: Any
    n: int
    k: int
    which: str
    sigma: float | None
    tol: float
    maxiter: int | None
    v0: np.ndarray | None
    precond: str
    props: Any
    scale: float
    notes: list = field(default_factory=list)
    _null: np.ndarray | None = None
    arpack_maxiter: int | None = None  # auto's restart budget when dense is the safety net

    @property
    def laplacian(self) -> bool:
        return bool(self.props is not None and self.props.laplacian)

    def null_vectors(self) -> np.ndarray:
        """M-orthonormal indicator vectors of the connected components (Laplacian only)."""
        if self._null is None:
            ncomp, labels = csgraph.connected_components(sp.csr_array(self.A), directed=False)
            Y = np.zeros((self.n, ncomp))
            Y[np.arange(self.n), labels] = 1.0
            MY = Y if self.M is None else self.M @ Y
            Y /= np.sqrt(np.einsum("ij,ij->j", Y, MY))
            self._null = Y
        return self._null

    def deflate(self) -> bool:
        """Deflate the Laplacian null space (smallest eigenpairs of a Laplacian)."""
        return self.laplacian and self.which == "smallest"


def _psd_evidence(A, props):
    """Why ``A`` is known positive semidefinite, or None (cheap checks only)."""
    if props is None or props.operator:
        return None
    if props.laplacian:
        return "a graph Laplacian (positive semidefinite)"
    if props.diag_sign != "positive":
        return None
    d = A.diagonal() if sp.issparse(A) else np.diag(A)
    radius = (np.asarray(abs(A).sum(axis=1)).ravel() if sp.issparse(A)
              else np.abs(A).sum(axis=1)) - np.abs(d)
    if np.all(np.real(d) - radius >= 0):
        return "diagonally dominant with a positive diagonal (Gershgorin)"
    return None


# --------------------------------------------------------------------------- the plan


def plan_eigsh(A, k=6, which=None, sigma=None, M=None, *, backend="auto") -> Plan:
    """What ``sk.eigsh(A, method="auto")`` would do for ``A``, and why, without solving.

    Parameters
    ----------
    A : sparse matrix or array, ndarray or LinearOperator
        The symmetric matrix.
    k : int, default=6
        Number of eigenpairs.
    which : {"smallest", "largest", "nearest"}, optional
        Default "smallest", or "nearest" when ``sigma`` is given.
    sigma : float, optional
        Target of ``which="nearest"``.
    M : sparse matrix or array, optional
        SPD mass matrix of a generalized problem.
    backend : {"auto", "scipy", "cupy", "petsc"}, default="auto"
        Backend to plan for.

    Returns
    -------
    Plan
        ``task="eigsh"``, the method, preconditioner and backend, one-line
        reasons, the inspected properties and estimated memory per option.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> import sparsekit as sk
    >>> from sparsekit.linalg.eigen import plan_eigsh
    >>> L = sp.diags_array([-1.0, 2.0, -1.0], offsets=[-1, 0, 1], shape=(50, 50))
    >>> plan_eigsh(L, k=3).method
    'dense'
    """
    A = as_matrix(A, "A", square=True, allow_operator=True)
    which, sigma = check_which(which, sigma)
    k = positive_int(k, "k")
    backend = _registry.resolve(A, backend)
    props = inspect_matrix(A)
    return _plan(A, k, which, sigma, M, props, backend)


def _plan(A, k, which, sigma, M, props, backend) -> Plan:
    n = A.shape[0]
    nnz = props.nnz if props.nnz >= 0 else 0
    reasons = []
    memory = {}
    dense_bytes = _dense_eigh.dense_eigh_bytes(n, k, M is not None)
    memory["dense"] = float(dense_bytes)
    if not props.operator:
        memory["direct"] = factor_memory(n, nnz)
    memory["iterative"] = float(12 * max(nnz, n) * 3 + 8 * n * 3 * (k + 2))
    properties = {
        "n": n, "nnz": nnz, "symmetric": props.symmetric, "diag_sign": props.diag_sign,
        "laplacian": props.laplacian, "n_components": props.n_components,
        "generalized": M is not None, "k": k, "which": which, "sigma": sigma,
    }
    if backend != "scipy":
        reasons.append(f"backend {backend!r}: the backend chooses its own method")
        return Plan("eigsh", "auto", "auto", backend, tuple(reasons), properties, memory)
    if props.operator:
        method = "arpack" if which in ("largest", "nearest") else "lobpcg"
        reasons.append(f"A is a LinearOperator: {method} needs only products A @ x")
        return Plan("eigsh", method, "none", backend, tuple(reasons), properties, memory)
    if n <= DENSE_CROSSOVER and dense_bytes <= _dense_eigh.DEFAULT_MAX_BYTES:
        reasons.append(f"n={n} <= {DENSE_CROSSOVER}: dense LAPACK is faster below the "
                       "measured crossover")
        return Plan("eigsh", "dense", "none", backend, tuple(reasons), properties, memory)
    if which == "largest":
        reasons.append("largest eigenvalues: Lanczos (ARPACK) converges to the extreme end "
                       "without a factorization")
        return Plan("eigsh", "arpack", "none", backend, tuple(reasons), properties, memory)
    if which == "nearest":
        reasons.append(f"eigenvalues nearest sigma={sigma:g}: shift-invert on a factorization "
                       "of A - sigma M")
        return Plan("eigsh", "shift_invert", "none", backend, tuple(reasons), properties,
                    memory)
    # smallest
    evidence = _psd_evidence(A, props)
    if props.laplacian:
        reasons.append(f"graph Laplacian with {props.n_components} connected component(s): "
                       "their constant vectors are deflated")
    if evidence is None and props.diag_sign != "positive":
        reasons.append(f"diagonal is {props.diag_sign}: A is not positive definite, so "
                       "shift-invert at 0 would not give the smallest; LOBPCG finds them "
                       "directly")
        return Plan("eigsh", "lobpcg", "jacobi" if props.diag_sign != "zero" else "none",
                    backend, tuple(reasons), properties, memory)
    shift = -LAPLACIAN_SHIFT * matrix_scale(A) if props.laplacian else 0.0
    if _factor_cached(A, shift, M):
        reasons.append(f"a factorization of A - ({shift:.3g})M is already in the cache: "
                       "shift-invert ARPACK reuses it")
        properties["cached"] = True
        return Plan("eigsh", "shift_invert", "none", backend, tuple(reasons), properties,
                    memory)
    if props.sparse and n > AUTO_DENSE_FALLBACK:
        sizes = ball_sizes(A, SMALL_WORLD_HOPS)
        if sizes[-1] >= n // 2:
            reasons.append(f"small-world pattern: {sizes[-1]} of {n} nodes within "
                           f"{len(sizes) - 1} hops, so a sparse factor fills in like a dense "
                           "one; LOBPCG with Jacobi (no factorization, no AMG hierarchy)")
            return Plan("eigsh", "lobpcg", "jacobi", backend, tuple(reasons), properties,
                        memory)
    if props.sparse and n > FACTOR_MAX_N:
        reasons.append(f"n={n} > {FACTOR_MAX_N}: a sparse factorization and the tens of "
                       "solves shift-invert needs cost more than an AMG hierarchy (measured "
                       "crossover); LOBPCG with AMG")
        return Plan("eigsh", "lobpcg", "amg", backend, tuple(reasons), properties, memory)
    if memory["direct"] <= DIRECT_MAX_BYTES:
        reasons.append(f"the factorization fits in memory (estimated "
                       f"{_fmt_bytes(memory['direct'])} <= {_fmt_bytes(DIRECT_MAX_BYTES)}): "
                       "shift-invert ARPACK, factor kept in the cache")
        return Plan("eigsh", "shift_invert", "none", backend, tuple(reasons), properties,
                    memory)
    reasons.append(f"the factorization would not fit (estimated "
                   f"{_fmt_bytes(memory['direct'])}): LOBPCG with AMG")
    return Plan("eigsh", "lobpcg", "amg", backend, tuple(reasons), properties, memory)


def _fallbacks(method, prob: _Problem):
    """The methods tried, in order, when ``method="auto"`` picked ``method``."""
    order = [method]
    if prob.which == "nearest":
        rest = ["dense"]
    elif prob.which == "largest":
        rest = ["lobpcg", "dense"]
    else:
        rest = ["lobpcg", "shift_invert", "dense"]
    if _dense_is_safety_net(prob):
        rest = ["dense"] + [m for m in rest if m != "dense"]
    for m in rest:
        if m not in order:
            order.append(m)
    if prob.props.operator:
        order = [m for m in order if m in ("arpack", "lobpcg")]
    return order


# --------------------------------------------------------------------------- methods


@dataclass
class _Raw:
    values: np.ndarray
    vectors: np.ndarray
    iterations: int
    setup: float
    solve: float
    precond: str = "none"
    notes: tuple = ()


def _with_null(prob: _Problem, raw_values, raw_vectors):
    """Prepend the deflated null vectors (their values are Rayleigh quotients)."""
    Y = prob.null_vectors()
    yv = np.einsum("ij,ij->j", Y, prob.A @ Y)
    values = np.concatenate([yv, raw_values])
    vectors = np.hstack([Y, raw_vectors]) if raw_vectors.size else Y
    return values, vectors


def _times_m(prob, V):
    """``M V`` (``V`` itself for the standard problem)."""
    return V if prob.M is None else prob.M @ V


def _ritz_residuals(prob, w, X):
    """``‖A x − w M x‖`` of every column of ``X``."""
    return np.linalg.norm(prob.A @ X - _times_m(prob, X) * w, axis=0)


def _m_orthonormal(prob, V):
    """Normalise columns to vᵀ M v = 1 (raise NotSPDError if M is indefinite on them)."""
    MV = _times_m(prob, V)
    nrm2 = np.einsum("ij,ij->j", V.conj(), MV).real
    if prob.M is not None and np.any(nrm2 <= 0):
        raise NotSPDError("M is not positive definite: vᵀ M v <= 0 for a computed vector; "
                          "pass an SPD mass matrix")
    return V / np.sqrt(nrm2)


def _run_dense(prob: _Problem) -> _Raw:
    if prob.props.operator:
        raise InputValueError("method='dense' needs an explicit matrix, not a LinearOperator")
    r = _dense_eigh.eigh(prob.A, prob.k, which=prob.which, M=prob.M, sigma=prob.sigma,
                         tol=prob.tol)
    return _Raw(r.values, r.vectors, 0, r.timings["setup"], r.timings["solve"])


def _arpack_tol(prob):
    """ARPACK's tolerance, with a factor 10 of margin.

    Its test ``‖OP x − θ x‖ <= tol |θ|`` maps, in shift-invert mode, to a
    residual ``<= tol ‖A − σM‖`` of the original problem.
    """
    return prob.tol * 0.1


def _arpack_maxiter(prob):
    """The caller's maxiter, else auto's restart budget, else ARPACK's default."""
    return prob.maxiter if prob.maxiter is not None else prob.arpack_maxiter


def _dense_is_safety_net(prob) -> bool:
    return not prob.props.operator and prob.n <= AUTO_DENSE_FALLBACK


def _buffered(k: int, n: int) -> int:
    """ARPACK's k plus a buffer of extra pairs.

    Single-vector Lanczos can miss a copy of a repeated eigenvalue while every
    residual looks perfect (seen on a 30 x 20 grid graph and on 2-D Poisson);
    asking for a few more pairs than wanted makes it find them.
    """
    return min(k + max(2, min(k, 4)), n - 1)


def _ncv(k: int, n: int) -> int | None:
    return min(n, max(2 * k + 1, 20)) if k + 1 < n else None


def _start(prob):
    """A deterministic starting vector (v0, else a seeded random one)."""
    v0 = prob.v0
    if v0 is None:
        v0 = np.random.default_rng(0).standard_normal(prob.n)
    return v0


def _run_arpack(prob: _Problem) -> _Raw:
    if prob.which == "nearest":
        raw = _run_shift_invert(prob)
        raw.notes = raw.notes + ("arpack with which='nearest' runs in shift-invert mode",)
        return raw
    t0 = time.perf_counter()
    ka = _buffered(prob.k, prob.n)
    kwargs = {"k": ka, "which": "LA" if prob.which == "largest" else "SA",
              "tol": _arpack_tol(prob), "maxiter": _arpack_maxiter(prob), "v0": _start(prob),
              "ncv": _ncv(ka, prob.n), "return_eigenvectors": True}
    notes = ()
    if prob.M is not None:
        kwargs["M"] = prob.M
        kwargs["Minv"] = _check_mass_spd(prob).aslinearoperator()
    if prob.which == "smallest":
        notes = ("ARPACK regular mode for the smallest eigenvalues converges slowly; "
                 "shift_invert or lobpcg are faster",)
    with single_thread_blas():
        try:
            w, V = spla.eigsh(prob.A, **kwargs)
            iters = -1
        except spla.ArpackNoConvergence as exc:
            w, V = exc.eigenvalues, exc.eigenvectors
            iters = -1
            notes = notes + (f"ARPACK stopped with {len(w)}/{prob.k} converged Ritz pairs",)
            if len(w) == 0:
                raise _MethodFailed("ARPACK converged no eigenpair within maxiter") from exc
    t1 = time.perf_counter()
    return _Raw(w, V, max(iters, 0), 0.0, t1 - t0, notes=notes)


class _MethodFailed(Exception):
    """A method could not produce eigenpairs (auto falls back; explicit re-raises)."""


def _factor(A, shift, M, kind="auto"):
    """The cached factorization of ``A − shift·M`` (:func:`sparsekit.factorize`)."""
    from .factor import factorize

    return factorize(A, kind, shift=shift, M=M, cache=True)


def _factor_cached(A, shift, M) -> bool:
    """Whether :func:`sparsekit.factorize` has ``A − shift·M`` in the cache (O(nnz) hash)."""
    from . import factor

    if factor.signature(A) not in factor.SIGNATURES:  # nothing like A was factorized: no hash
        return False
    key = factor.cache_key(fingerprint(A), "auto", shift,
                           None if M is None else fingerprint(M), None)
    return CACHE.contains(key)


def _check_mass_spd(prob: _Problem):
    """Prove M positive definite by its (cached) Cholesky factorization; return it."""
    try:
        return _factor(prob.M, 0.0, None, kind="cholesky")
    except NotSPDError as exc:
        raise NotSPDError(f"M must be symmetric positive definite, but its Cholesky "
                          f"factorization failed ({exc}); pass an SPD mass matrix") from None


def _run_shift_invert(prob: _Problem) -> _Raw:
    if prob.props.operator:
        raise InputValueError("method='shift_invert' needs an explicit matrix (to factorize), "
                              "not a LinearOperator")
    notes = []
    deflate = prob.deflate()
    if prob.M is not None:
        _check_mass_spd(prob)
    if prob.which == "nearest":
        sigma = prob.sigma
    elif prob.which == "smallest":
        # the eigenvalues nearest sigma are the smallest only when sigma lies below the
        # spectrum, i.e. when A - sigma M is positive definite: the Cholesky pivots prove it
        sigma = -LAPLACIAN_SHIFT * prob.scale if deflate else 0.0
    else:
        raise _MethodFailed("shift_invert needs which='smallest' or 'nearest'; use arpack for "
                            "the largest")
    t0 = time.perf_counter()
    hits = CACHE.info().hits
    try:
        F = _factor(prob.A, sigma, prob.M)
    except SingularMatrixError as exc:
        if prob.which == "nearest":
            raise SingularMatrixError(
                f"A - sigma*M is exactly singular at sigma={sigma!r}: sigma is an eigenvalue "
                "(or the matrix is singular); move sigma slightly, e.g. "
                f"sigma={sigma + 1e-8 * max(prob.scale, 1.0):.10g}"
            ) from exc
        # smallest of a singular positive semidefinite matrix: shift a little below 0
        sigma = -LAPLACIAN_SHIFT * prob.scale
        notes.append(f"A is singular; shifted to sigma={sigma:.3g}")
        F = _factor(prob.A, sigma, prob.M)
    if prob.which == "smallest":
        if F.kind != "cholesky":
            raise _MethodFailed(
                f"A - ({sigma:.3g})M is not positive definite (its Cholesky factorization "
                "failed), so A has eigenvalues below sigma and shift-invert would not return "
                "the smallest; use method='lobpcg' or 'arpack'")
        notes.append(f"sigma={sigma:.3g}: A - sigma M is positive definite (Cholesky), so the "
                     "eigenvalues nearest sigma are the smallest")
    t1 = time.perf_counter()
    n, M = prob.n, prob.M
    k = prob.k
    if deflate:
        Y = prob.null_vectors()
        k = prob.k - Y.shape[1]
        if k <= 0:
            return _Raw(*_with_null(prob, np.zeros(0), np.zeros((n, 0))), 0, t1 - t0, 0.0,
                        notes=tuple(notes) + (f"all {prob.k} smallest are null vectors (one "
                                              f"per connected component)",))
        MY = Y if M is None else M @ Y

        def op(x):
            x = x - MY @ (Y.T @ x)
            y = F.solve(x)
            return y - Y @ (MY.T @ y)
    else:
        def op(x):
            return F.solve(x)
    OPinv = spla.LinearOperator((n, n), matvec=op, dtype=float)
    v0 = _start(prob)
    if deflate:
        v0 = v0 - Y @ (MY.T @ v0)
    wanted = k
    k = _buffered(k, n - (Y.shape[1] if deflate else 0))
    ncv = _ncv(k, n)
    tight = _arpack_tol(prob)
    tols = (tight,) if tight >= SHIFT_INVERT_FIRST_TOL else (SHIFT_INVERT_FIRST_TOL, tight)
    for tol in tols:
        with single_thread_blas():
            try:
                w, V = spla.eigsh(prob.A, k=k, M=M, sigma=sigma, OPinv=OPinv, which="LM",
                                  tol=tol, maxiter=_arpack_maxiter(prob), v0=v0, ncv=ncv)
            except spla.ArpackNoConvergence as exc:
                w, V = exc.eigenvalues, exc.eigenvectors
                notes.append(f"ARPACK (tol={tol:.0e}) stopped with {len(w)}/{k} converged "
                             "Ritz pairs")
                if len(w) == 0:
                    raise _MethodFailed("shift-invert ARPACK converged no eigenpair") from exc
        if tol == tight:
            break
        # the wanted pairs are those nearest sigma; their true residuals decide
        near = np.argsort(np.abs(np.asarray(w) - sigma), kind="stable")[:wanted]
        res, scale = pair_residuals(prob.A, M, w[near], V[:, near], ascale=prob.scale)
        if len(near) == wanted and np.all(res <= prob.tol * scale):
            notes.append(f"ARPACK at tol={tol:.0e} already met tol={prob.tol:.0e} in every "
                         "recomputed residual")
            break
        notes.append(f"ARPACK at tol={tol:.0e} left residuals up to {np.max(res / scale):.1e} "
                     f"(relative); rerun at tol={tight:.0e} from their sum")
        v0 = V[:, near].sum(axis=1)
    t2 = time.perf_counter()
    reused = CACHE.info().hits > hits
    notes.append(f"factorization of A - ({sigma:.6g})M ({F.engine}) "
                 + ("reused from the cache" if reused else f"computed ({t1 - t0:.3g}s)")
                 + "; left in the cache")
    if deflate:
        w, V = _with_null(prob, w, V)
        notes.append(f"{prob.null_vectors().shape[1]} null vector(s) (one per connected "
                     "component) deflated and returned exactly")
    return _Raw(w, V, 0, t1 - t0, t2 - t1, notes=tuple(notes))


def _lobpcg_precond(prob: _Problem, kind: str):
    if kind == "none":
        return None, "none", None
    from .precond import preconditioner

    A = prob.A
    if kind == "amg" and prob.laplacian:
        # AMG on the singular Laplacian: a tiny diagonal shift keeps the coarse solve regular
        A = sp.csr_array(A + (LAPLACIAN_SHIFT * prob.scale) * sp.eye_array(prob.n))
    P = preconditioner(A, kind, **({"symmetric": True} if kind == "amg" else {}))
    return P.aslinearoperator(), kind, P.hierarchy


def _multilevel_start(prob: _Problem, ml, m: int, Y):
    """LOBPCG's starting block and its Ritz values from the AMG hierarchy (a cascade), or None.

    The pencil is restricted to every level (``A_l`` is PyAMG's Galerkin
    operator, ``M_l = P_lᵀ M_(l-1) P_l``), solved densely on the coarsest level
    with at least ``CASCADE_MIN_ROWS_PER_VECTOR`` rows per wanted vector, then
    prolongated level by level, with ``CASCADE_ITERS`` LOBPCG iterations on each
    intermediate level (preconditioned by the rest of the hierarchy).  On the
    finest level ``CASCADE_FINE_SWEEPS`` damped Jacobi sweeps on
    ``(A − λM) x = 0`` smooth the interpolation error, the null vectors ``Y``
    are projected out and the ``m`` smallest Ritz vectors of what remains are
    the start.  Only a start: the caller checks every wanted residual, and
    runs the fine-level LOBPCG unless they already meet ``tol``.
    """
    levels = getattr(ml, "levels", None)
    c = 0 if Y is None else Y.shape[1]
    want = m + c
    if levels is None or len(levels) < 2:
        return None
    sizes = [lv.A.shape[0] for lv in levels]
    fit = [i for i in range(1, len(levels)) if sizes[i] >= CASCADE_MIN_ROWS_PER_VECTOR * want]
    if not fit or sizes[fit[-1]] > CASCADE_DENSE_MAX:
        return None
    s0 = fit[-1]
    masses = [prob.M]
    for lv in levels[:s0]:
        R = getattr(lv, "R", None)
        R = lv.P.T.tocsr() if R is None else R  # symmetric SA: R = Pᵀ, kept as CSR
        masses.append(sp.csr_array(R @ (lv.P if masses[-1] is None else masses[-1] @ lv.P)))
    try:
        _, X = la.eigh(levels[s0].A.toarray(), masses[s0].toarray(),
                       subset_by_index=[0, want - 1])
        for i in range(s0 - 1, 0, -1):
            X = levels[i].P @ X
            sub = copy.copy(ml)
            sub.levels = levels[i:]
            _, X = spla.lobpcg(levels[i].A, X, B=masses[i], M=sub.aspreconditioner(),
                               tol=0.0, maxiter=CASCADE_ITERS, largest=False)
        X = levels[0].P @ X
        # damped Jacobi on (A − λ M) x = 0, λ the Rayleigh quotients: removes the
        # high-frequency error interpolation leaves, for a few block products
        diag = prob.A.diagonal()
        dinv = np.divide(2.0 / 3.0, diag, out=np.zeros_like(diag), where=diag > 0)[:, None]
        for _ in range(CASCADE_FINE_SWEEPS):
            AX = prob.A @ X
            MX = _times_m(prob, X)
            lam = np.einsum("ij,ij->j", X, AX) / np.einsum("ij,ij->j", X, MX)
            AX -= MX * lam
            AX *= dinv
            X -= AX
        if Y is not None:
            X = X - Y @ (Y.T @ _times_m(prob, X))
        G = X.T @ _times_m(prob, X)
        H = X.T @ (prob.A @ X)
        w, C = la.eigh(0.5 * (H + H.T), 0.5 * (G + G.T), subset_by_index=[0, m - 1])
    except (np.linalg.LinAlgError, ValueError):
        return None
    return w, X @ C


def _next_chunk(hist, k: int, res: float, tol: float) -> int:
    """Length of the next LOBPCG chunk: the last chunk's rate extrapolated to ``tol``.

    ``hist`` is SciPy's residual history (block in LOBPCG's order, the wanted
    ``k`` first); ``res`` the wanted pairs' largest residual now.  Two
    iterations are added for the search directions a restart loses.
    """
    h = [float(np.max(np.asarray(r)[:k])) for r in hist if np.size(r) >= k]
    if len(h) < 6 or not 0 < h[-1] < h[-6] or res <= 0:
        return LOBPCG_CHUNK
    rate = (h[-1] / h[-6]) ** 0.2
    need = math.ceil(math.log(tol / res) / math.log(rate)) + 2
    return int(min(max(need, 3), LOBPCG_CHUNK))


def _run_lobpcg(prob: _Problem) -> _Raw:
    if prob.which == "nearest":
        raise _MethodFailed("LOBPCG computes the smallest or largest eigenpairs, not those "
                            "nearest sigma; use method='shift_invert'")
    n = prob.n
    kind = prob.precond
    if kind == "auto":
        if prob.which == "largest" or prob.props.operator:
            kind = "none"
        elif prob.laplacian or prob.props.diag_sign == "positive":
            kind = "amg"
        else:
            kind = "jacobi" if prob.props.diag_sign not in ("zero", None) else "none"
    t0 = time.perf_counter()
    Mprec, kind, hierarchy = _lobpcg_precond(prob, kind)
    t1 = time.perf_counter()
    Y = prob.null_vectors() if prob.deflate() else None
    k = prob.k - (Y.shape[1] if Y is not None else 0)
    notes = []
    if k <= 0:
        return _Raw(*_with_null(prob, np.zeros(0), np.zeros((n, 0))), 0, t1 - t0, 0.0,
                    precond=kind, notes=(f"all {prob.k} smallest are null vectors",))
    # a few extra block vectors speed up convergence of the last wanted pair
    m = min(k + min(k, LOBPCG_EXTRA), max(1, (n - (0 if Y is None else Y.shape[1])) // 5))
    m = max(m, k)
    largest = prob.which == "largest"
    maxiter = prob.maxiter if prob.maxiter is not None else 500
    tol = 0.5 * prob.tol * prob.scale
    its = 0
    chunk = LOBPCG_CHUNK
    with single_thread_blas(), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        start = None
        if kind == "amg" and not largest and prob.v0 is None:
            tc = time.perf_counter()
            start = _multilevel_start(prob, hierarchy, m, Y)
            if start is not None:
                notes.append("LOBPCG started from eigenvectors of the AMG hierarchy's coarse "
                             f"levels (cascade, {time.perf_counter() - tc:.3g}s)")
        if start is None:
            X = np.random.default_rng(0).standard_normal((n, m))
            if prob.v0 is not None:
                X[:, 0] = prob.v0
            done = False
        else:
            w, X = start
            done = bool(np.all(_ritz_residuals(prob, w[:k], X[:, :k]) <= tol))
        while not done:
            # SciPy's LOBPCG stops only when every block vector has converged; the extra
            # ones need not, so it runs in chunks and stops when the k wanted pairs have
            step = maxiter - its if m == k else min(chunk, maxiter - its)
            try:
                w, X, hist = spla.lobpcg(prob.A, X, B=prob.M, M=Mprec, Y=Y, tol=tol,
                                         maxiter=step, largest=largest,
                                         retResidualNormsHistory=True)
            except np.linalg.LinAlgError as exc:
                if prob.M is not None:
                    raise NotSPDError(f"LOBPCG failed on the mass matrix ({exc}); M must be "
                                      "symmetric positive definite") from exc
                raise _MethodFailed(f"LOBPCG broke down: {exc}") from exc
            its += max(1, min(step, len(hist) - 3))  # SciPy's history: 3 more than its
            order = np.argsort(w)[::-1] if largest else np.argsort(w)
            w, X = w[order], X[:, order]
            if its >= maxiter or m == k:
                break
            res = _ritz_residuals(prob, w[:k], X[:, :k])
            if np.all(res <= tol):
                break
            chunk = _next_chunk(hist, k, float(res.max()), tol)
    t2 = time.perf_counter()
    if done:
        notes.append("the cascade's Ritz pairs already met tol: no fine-level LOBPCG iteration")
    w, V = w[:k], X[:, :k]
    if Y is not None:
        w, V = _with_null(prob, w, V)
        notes.append(f"{Y.shape[1]} null vector(s) (one per connected component) passed to "
                     "LOBPCG as constraints and returned exactly")
    notes.append(f"LOBPCG block size {m} for k={k}")
    return _Raw(w, V, its, t1 - t0, t2 - t1, precond=kind, notes=tuple(notes))


_RUNNERS = {
    "arpack": _run_arpack,
    "shift_invert": _run_shift_invert,
    "lobpcg": _run_lobpcg,
    "dense": _run_dense,
}


def _select(prob: _Problem, values, vectors):
    """Sort ascending and keep the k wanted pairs."""
    values = np.asarray(values, dtype=float)
    if prob.which == "nearest":
        order = np.argsort(np.abs(values - prob.sigma), kind="stable")[:prob.k]
    elif prob.which == "largest":
        order = np.argsort(values, kind="stable")[::-1][:prob.k]
    else:
        order = np.argsort(values, kind="stable")[:prob.k]
    order = order[np.argsort(values[order], kind="stable")]
    return values[order], vectors[:, order]


def _finish(prob: _Problem, raw: _Raw, method: str, notes) -> EigenResult:
    V = np.asarray(raw.vectors)
    V = _m_orthonormal(prob, V.astype(np.result_type(V.dtype, float), copy=False))
    # Rayleigh quotients: the best eigenvalue estimates for the vectors we return
    w = np.einsum("ij,ij->j", V.conj(), prob.A @ V).real
    w, V = _select(prob, w, V)
    res, scale = pair_residuals(prob.A, prob.M, w, V, ascale=prob.scale)
    converged = res <= prob.tol * scale
    notes = list(notes) + list(raw.notes)
    if raw.precond != "none":
        notes.append(f"preconditioner: {raw.precond}")
    if len(w) < prob.k:
        notes.append(f"only {len(w)} of k={prob.k} pairs were found")
    return EigenResult(values=w, vectors=V, residuals=res, converged=converged,
                       method=method, backend="scipy", iterations=int(raw.iterations),
                       timings={"setup": raw.setup, "solve": raw.solve}, tol=prob.tol,
                       notes=tuple(notes))


def _ok(result: EigenResult, k: int) -> bool:
    return result.all_converged and len(result.values) == k


# --------------------------------------------------------------------------- public API


def eigsh(A, k=6, which=None, sigma=None, M=None, method="auto", precond="auto",
          backend="auto", tol=None, maxiter=None, v0=None, strict=False, check=True,
          **options):
    """Eigenpairs of a large sparse symmetric matrix (or pencil ``A, M``) that just work.

    Parameters
    ----------
    A : sparse matrix or array, ndarray or LinearOperator, shape (n, n)
        Symmetric matrix (a LinearOperator only with ``"arpack"``/``"lobpcg"``).
    k : int, default=6
        Number of eigenpairs, ``1 <= k < n``.
    which : {"smallest", "largest", "nearest"}, optional
        Algebraically smallest or largest, or nearest to ``sigma``; default
        ``"smallest"``, or ``"nearest"`` when ``sigma`` is given.
    sigma : float, optional
        Target (shift) of ``which="nearest"``.
    M : sparse matrix or array, or ndarray, optional
        Symmetric positive definite mass matrix: solve ``A v = λ M v``.
    method : {"auto", "arpack", "shift_invert", "lobpcg", "dense"}, default="auto"
        See :data:`METHODS`.  ``"auto"`` chooses by size, memory and structure,
        states its reasons in ``result.notes`` and falls back to the next
        method when one fails or does not converge.
    precond : {"auto", "amg", "ilu", "jacobi", "none"}, default="auto"
        LOBPCG's preconditioner (:func:`sparsekit.preconditioner`).
    backend : {"auto", "scipy", "cupy", "petsc"}, default="auto"
        Where to compute; ``"auto"`` follows the input (cupy arrays → cupy).
    tol : float, optional
        Residual tolerance relative to ``‖A‖₁ + |λ| ‖M‖₁``; default 1e-8.
    maxiter : int, optional
        Iteration limit of the iterative method.
    v0 : ndarray, shape (n,), optional
        Starting vector.
    strict : bool, default=False
        Raise :class:`~sparsekit.NoConvergence` (carrying the result) instead
        of warning when a pair misses the tolerance.
    check : bool, default=True
        Check that ``A`` (and ``M``) is symmetric (O(nnz)).
    **options
        Expert options of the backend, refused by name where the backend has none:
        ``options={...}`` (SLEPc/PETSc's options database) with ``backend="petsc"``,
        ``xp_name``, ``smoother``, ``sweeps`` with ``backend="cupy"``.  The CPU takes none.

    Returns
    -------
    EigenResult
        Values ascending; vectors ``n × k`` and ``M``-orthonormal; the residual
        ``‖A v − λ M v‖₂`` of every pair (recomputed here); per-pair converged
        flags against ``tol · (‖A‖₁ + |λ| ‖M‖₁)``; notes with the reasons of
        the choice and any fallback.

    Raises
    ------
    InputValueError
        ``k >= n``, NaN/Inf entries, ``which="nearest"`` without ``sigma``.
    NotSymmetricError
        ``A`` not symmetric (unless ``check=False``).
    NotSPDError
        ``M`` not symmetric positive definite.
    SingularMatrixError
        ``sigma`` exactly at an eigenvalue (the factorization is singular).
    NoConvergence
        With ``strict=True``, when a pair misses the tolerance.

    See Also
    --------
    scipy.sparse.linalg.eigsh, scipy.sparse.linalg.lobpcg : the methods used here.
    sparsekit.dense.eigh : the dense path, same result object.

    Examples
    --------
    The smallest eigenvalues of the path graph's Laplacian are
    ``2 - 2 cos(pi j / n)``:

    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> import sparsekit as sk
    >>> n = 400
    >>> W = sp.diags_array([np.ones(n - 1), np.ones(n - 1)], offsets=[-1, 1])
    >>> L = sp.diags_array(np.asarray(W.sum(axis=1)).ravel()) - W
    >>> r = sk.eigsh(L, k=3)
    >>> r.method
    'shift_invert'
    >>> np.allclose(r.values, 2 - 2 * np.cos(np.pi * np.arange(3) / n), atol=1e-12)
    True
    >>> bool(r.all_converged)
    True
    """
    backend = _registry.resolve(A, backend)
    if backend == "scipy":
        A = as_matrix(A, "A", square=True, allow_operator=True)
        methods, preconds, option_names, mod = METHODS, PRECONDS, {}, None
    else:
        mod = _registry.load(backend)
        methods, preconds, option_names = (mod.EIGEN_METHODS, mod.EIGEN_PRECONDS,
                                           mod.EIGEN_OPTIONS)
    req = eigen_request(shape_of(A), backend=backend, k=k, which=which, sigma=sigma, M=M,
                        method=method, precond=precond, tol=tol, maxiter=maxiter, v0=v0,
                        strict=strict, check=check, options=options, methods=methods,
                        preconds=preconds, option_names=option_names,
                        elsewhere=_registry.options_elsewhere("EIGEN", backend, options))
    if mod is not None:
        return mod.run_eigsh(A, req)
    n, k, which, sigma = req.n, req.k, req.which, req.sigma
    tol = DEFAULT_TOL if req.tol is None else req.tol
    maxiter = req.maxiter
    v0 = _check_v0(v0, n)
    operator = isinstance(A, spla.LinearOperator)
    if np.dtype(A.dtype).kind == "c":
        # the sparse paths here are written for real symmetric matrices; complex
        # Hermitian ones go to LAPACK (zheevr) or are refused, never mishandled
        if method not in ("auto", "dense") or operator:
            raise InputValueError(
                f"complex Hermitian A (got {A.dtype}) is supported by method='dense' only; "
                "pass method='dense' (or 'auto'), or split into a real symmetric 2n x 2n "
                "problem [[Re, -Im], [Im, Re]]")
        method = "dense"
    if check and not operator:
        check_symmetric(A, "A", hint="sk.eigsh needs a symmetric matrix; pass check=False to "
                        "skip this check, or use scipy.sparse.linalg.eigs for general ones")
    if M is not None:
        M = check_mass(M, n)
    if operator:
        props = inspect_matrix(A)
        scale = _operator_scale(A)
    else:
        props = inspect_matrix(A, components=False)
        if props.laplacian:
            props = inspect_matrix(A)
        scale = matrix_scale(A)
    prob = _Problem(A, M, n, k, which, sigma, tol, maxiter, v0, precond, props, scale)
    notes = []
    if method == "auto":
        plan = _plan(A, k, which, sigma, M, props, "scipy")
        notes += [f"auto: {r}" for r in plan.reasons]
        chain = _fallbacks(plan.method, prob)
        if precond == "auto" and plan.method == "lobpcg":
            prob.precond = plan.precond  # the plan's choice, with its reason, is what runs
        if maxiter is None and _dense_is_safety_net(prob) and chain[0] != "dense":
            prob.arpack_maxiter = AUTO_ARPACK_RESTARTS
    else:
        chain = [method]
    result = None
    for m in chain:
        try:
            raw = _RUNNERS[m](prob)
        except (_MethodFailed, DenseTooLargeError, MemoryError) as exc:
            if method != "auto":
                if isinstance(exc, _MethodFailed):
                    raise InputValueError(str(exc)) from None
                raise
            notes.append(f"{m} failed ({exc}); falling back")
            log.info("eigsh: %s failed (%s)", m, exc)
            continue
        current = _finish(prob, raw, m, notes)
        if result is None or _better(current, result):
            result = current
        if _ok(current, k) or method != "auto":
            break
        notes = list(current.notes) + [
            f"{m}: {int(np.sum(~current.converged))} of {len(current.values)} pairs missed "
            f"tol {tol:g} (max residual {np.max(current.residuals):.2e}); falling back"]
        log.info("eigsh: %s did not converge; falling back", m)
    if result is None:
        raise NoConvergence("every method failed: " + "; ".join(notes))
    if not _ok(result, k):
        result = replace(result, notes=tuple(dict.fromkeys(result.notes + tuple(notes))))
        msg = (f"eigsh ({result.method}): {int(np.sum(~result.converged))} of "
               f"{len(result.values)} eigenpairs missed the tolerance {tol:g} (max residual "
               f"{float(np.max(result.residuals)) if len(result.values) else float('nan'):.3e})"
               + ("" if len(result.values) == k else f"; only {len(result.values)} of k={k} "
                  "pairs found"))
        report_nonconvergence(msg, result, strict, stacklevel=3)
    return result


def _better(a: EigenResult, b: EigenResult) -> bool:
    """Whether result ``a`` is more useful than ``b`` (more converged pairs)."""
    return (len(a.values), int(np.sum(a.converged))) > (len(b.values), int(np.sum(b.converged)))


def _operator_scale(A) -> float:
    """A cheap estimate of ‖A‖ for a LinearOperator (a few power iterations)."""
    x = np.random.default_rng(0).standard_normal(A.shape[0])
    est = 0.0
    for _ in range(10):
        y = A @ x
        est = float(np.linalg.norm(y) / np.linalg.norm(x))
        x = y / max(np.linalg.norm(y), 1e-300)
    return est


# --------------------------------------------------------------------------- svds


SVD_METHODS = {
    "auto": "ARPACK for roughly square matrices, LOBPCG on the small normal equations for "
            "elongated ones, dense for tiny ones",
    "arpack": "scipy.sparse.linalg.svds(solver='arpack')",
    "lobpcg": "LOBPCG on the normal equations of the smaller side (AᵀA or AAᵀ)",
    "dense": "scipy.linalg.svd",
}


@dataclass(frozen=True, repr=False, eq=False)
class SVDSResult:
    """The outcome of :func:`svds`: the largest singular triplets.

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


def svds(A, k=6, *, method="auto", tol=None, maxiter=None, v0=None, strict=False):
    """The ``k`` largest singular triplets of a sparse (rectangular) matrix.

    Parameters
    ----------
    A : sparse matrix or array, or ndarray, shape (m, n)
        The matrix.
    k : int, default=6
        Number of triplets, ``1 <= k < min(m, n)``.
    method : {"auto", "arpack", "lobpcg", "dense"}, default="auto"
        ``"auto"``: dense below 200 columns and rows, LOBPCG on the normal
        equations of the smaller side when one side is 10 times the other,
        ARPACK otherwise.
    tol : float, optional
        Residual tolerance relative to ``sqrt(‖A‖₁ ‖A‖∞)`` (>= ‖A‖₂); default 1e-8.
    maxiter : int, optional
        Iteration limit.
    v0 : ndarray, optional
        Starting vector of length ``min(m, n)``.
    strict : bool, default=False
        Raise :class:`~sparsekit.NoConvergence` instead of warning.

    Returns
    -------
    SVDSResult
        ``U`` (m × k), ``s`` descending, ``Vh`` (k × n), per-triplet residuals
        and converged flags.

    See Also
    --------
    scipy.sparse.linalg.svds : the ARPACK/LOBPCG anchor.

    Examples
    --------
    >>> import numpy as np
    >>> import sparsekit as sk
    >>> A = np.diag([5.0, 4.0, 3.0, 2.0, 1.0])
    >>> r = sk.svds(A, k=2)
    >>> r.s
    array([5., 4.])
    """
    check_choice(method, SVD_METHODS, "method")
    A = as_matrix(A, "A")
    m, n = A.shape
    k = positive_int(k, "k")
    if k >= min(m, n):
        raise InputValueError(f"k must be < min(m, n) (got k={k}, shape {A.shape}); use "
                              "sk.dense.svd for all singular values")
    tol = DEFAULT_TOL if tol is None else nonnegative_float(tol, "tol")
    if maxiter is not None:
        maxiter = positive_int(maxiter, "maxiter")
    small = min(m, n)
    if v0 is not None:
        v0 = np.asarray(v0, dtype=float)
        if v0.shape != (small,):
            raise InputValueError(f"v0 must have shape ({small},) (got shape {v0.shape})")
    notes = []
    if method == "auto":
        if max(m, n) <= DENSE_CROSSOVER:
            method = "dense"
            notes.append(f"auto: both sides <= {DENSE_CROSSOVER}: dense SVD")
        elif max(m, n) >= 10 * small:
            method = "lobpcg"
            notes.append(f"auto: shape {m}x{n} is elongated: LOBPCG on the {small}x{small} "
                         "normal equations")
        else:
            method = "arpack"
            notes.append(f"auto: shape {m}x{n}: ARPACK (Lanczos bidiagonalization via svds)")
    t0 = time.perf_counter()
    with single_thread_blas():
        if method == "dense":
            from .dense import svd as dense_svd

            d = dense_svd(A)
            U, s, Vt = d.U[:, :k], d.s[:k], d.Vh[:k]
        elif method == "arpack":
            try:
                U, s, Vt = spla.svds(A, k=k, solver="arpack", tol=tol * 1e-2, maxiter=maxiter,
                                     v0=v0)
            except spla.ArpackNoConvergence as exc:
                raise NoConvergence(f"ARPACK svds did not converge: {exc}") from exc
        else:
            tall = m >= n
            op = spla.aslinearoperator(A)
            G = (spla.LinearOperator((n, n), matvec=lambda x: op.rmatvec(op.matvec(x)),
                                     matmat=lambda X: op.rmatmat(op.matmat(X)), dtype=float)
                 if tall else
                 spla.LinearOperator((m, m), matvec=lambda x: op.matvec(op.rmatvec(x)),
                                     matmat=lambda X: op.matmat(op.rmatmat(X)), dtype=float))
            X = np.random.default_rng(0).standard_normal((small, k))
            if v0 is not None:
                X[:, 0] = v0
            scaleA = matrix_scale(A)
            its = maxiter if maxiter is not None else 500
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                # ‖Aᵀu − s v‖ = ‖G v − s² v‖ / s: a first pass estimates s, the second
                # tightens LOBPCG's Gram residual to tol·‖A‖·s_min
                w, V = spla.lobpcg(G, X, tol=1e-4 * scaleA ** 2, largest=True, maxiter=its)
                smin = math.sqrt(max(float(np.min(w)), 0.0))
                w, V = spla.lobpcg(G, V, tol=0.1 * tol * scaleA * max(smin, 1e-300),
                                   largest=True, maxiter=its)
            w = np.clip(w, 0, None)
            s = np.sqrt(w)
            # the other side from the normal-equation vectors: u = A v / s
            if tall:
                Vm = V
                U = (A @ Vm) / np.where(s > 0, s, 1.0)
                Vt = Vm.T
            else:
                U = V
                Vt = ((A.T @ U) / np.where(s > 0, s, 1.0)).T
    t1 = time.perf_counter()
    order = np.argsort(s)[::-1]
    U, s, Vt = U[:, order], s[order], Vt[order]
    R1 = A @ Vt.T - U * s
    R2 = A.T @ U - Vt.T * s
    res = np.sqrt(np.linalg.norm(R1, axis=0) ** 2 + np.linalg.norm(R2, axis=0) ** 2)
    AT = A.T
    scale = math.sqrt(matrix_scale(A) * matrix_scale(sp.csr_array(AT) if sp.issparse(A)
                                                    else np.asarray(AT)))
    converged = res <= tol * max(scale, 1e-300)
    result = SVDSResult(U, s, Vt, res, converged, method, "scipy",
                       {"setup": 0.0, "solve": t1 - t0}, tol, tuple(notes))
    if not result.all_converged:
        msg = (f"svds ({method}): {int(np.sum(~converged))} of {k} triplets missed the "
               f"tolerance {tol:g} (max residual {float(np.max(res)):.3e})")
        report_nonconvergence(msg, result, strict, stacklevel=3)
    return result
