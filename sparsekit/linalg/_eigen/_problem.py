"""The eigenproblem every method shares: :func:`make_problem` and :class:`_Problem`.

``sk.eigsh`` validates its arguments once, against the chosen backend's
registries (:func:`sparsekit._requests.eigen_request`); what needs the
entries of the matrix (complex input, symmetry, the mass matrix, the values
of ``v0``, the structural inspection) is checked here, once, in the shape of
SciPy's ``_iv`` (``scipy.sparse.linalg._eigen._svds``).  Complex Hermitian
matrices take the same paths as real symmetric ones (every vector product
conjugates).  The helpers below
are the pieces the method runners (``_arpack``, ``_lobpcg``) have in common:
the cached factorization, the deflated null vectors of a graph Laplacian and
``M``-orthonormal Ritz vectors.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import scipy.sparse.linalg as spla

from ..._components import n_components
from ..._requests import EigenRequest, eigen_tol
from ..._validate import check_symmetric
from ...errors import InputValueError, NotSPDError
from .. import factor
from .._cache import CACHE, fingerprint
from .._inspect import inspect_matrix
from .._nullspace import laplacian_null_space
from .._residuals import check_mass, matrix_scale

__all__ = ["make_problem", "double_precision", "LAPLACIAN_SHIFT", "SINGULAR_SM_SHIFT"]

#: Shift used for the smallest eigenpairs of a graph Laplacian, relative to
#: ‖L‖₁: far below the smallest non-zero eigenvalue of the graphs we meet
#: (luxembourg_osm: λ₂ ≈ 1e-7 ‖L‖₁), so ARPACK converges in a few restarts,
#: while ``L − σI`` stays safely non-singular.  The null vectors are deflated.
LAPLACIAN_SHIFT = 1e-9


#: ``which='SM'`` runs shift-invert at 0 (the smallest magnitudes are the eigenvalues
#: nearest 0); on a singular ``A`` it runs at this shift instead, relative to ‖A‖, and the
#: pairs of smallest magnitude are selected among the (buffered) pairs nearest it.
#: ARPACK's regular mode, the alternative, missed the eigenvalue 0 of diag(0, 1, ..., 299)
#: while every residual it returned looked perfect.
SINGULAR_SM_SHIFT = 1e-8


class _MethodFailed(Exception):
    """A method could not produce eigenpairs (auto falls back; explicit re-raises)."""


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
    method: str = "auto"
    notes: list = field(default_factory=list)
    _null: np.ndarray | None = None
    arpack_maxiter: int | None = None  # auto's restart budget when dense is the safety net
    ncv: int | None = None  # the caller's ARPACK ncv

    @property
    def complex(self) -> bool:
        """Whether ``A`` (or ``M``) is complex (Hermitian): vectors are complex."""
        return np.dtype(self.A.dtype).kind == "c" or (
            self.M is not None and np.dtype(self.M.dtype).kind == "c")

    @property
    def dtype(self):
        """The working dtype of vectors: float64 or complex128."""
        return np.dtype(complex) if self.complex else np.dtype(float)

    @property
    def laplacian(self) -> bool:
        """Whether ``A`` was inspected to be a graph Laplacian."""
        return bool(self.props is not None and self.props.laplacian)

    def null_vectors(self) -> np.ndarray:
        """M-orthonormal indicator vectors of the connected components (Laplacian only)."""
        if self._null is None:
            self._null = laplacian_null_space(self.A).vectors(self.M)
        return self._null

    def deflate(self) -> bool:
        """Deflate the Laplacian null space (smallest eigenpairs of a Laplacian)."""
        return self.laplacian and self.which == "smallest"


@dataclass
class _Raw:
    """What a method runner returns: pairs before :func:`_eigsh._finish` judges them."""

    values: np.ndarray
    vectors: np.ndarray
    iterations: int
    setup: float
    solve: float
    precond: str = "none"
    notes: tuple = ()
    stopped: bool = False  # ARPACK ran out of restarts: a wanted pair may be missing


def make_problem(A, req: EigenRequest) -> _Problem:
    """The checks that need the entries of ``A``, and its inspection, done once.

    Parameters
    ----------
    A : sparse matrix or array, ndarray or LinearOperator, shape (n, n)
        The matrix, already through ``as_matrix``.
    req : EigenRequest
        ``sk.eigsh``'s validated arguments (CPU backend).

    Returns
    -------
    _Problem
        With the default tolerance filled in (``tol=0``: machine precision,
        :func:`sparsekit._requests.eigen_tol`), ``M`` checked, the inspected
        properties and the scale ``‖A‖₁`` (a power-iteration estimate for a
        LinearOperator).

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> from sparsekit._requests import eigen_request
    >>> from sparsekit.linalg._eigen._eigsh import METHODS, PRECONDS
    >>> from sparsekit.linalg._eigen._problem import make_problem
    >>> L = sp.csr_array(sp.diags_array([-1.0, 2.0, -1.0], offsets=[-1, 0, 1], shape=(5, 5)))
    >>> req = eigen_request(L.shape, backend="scipy", k=2, which=None, sigma=None, M=None,
    ...                     method="auto", precond="auto", tol=None, maxiter=None, v0=None,
    ...                     strict=False, check=True, options={}, methods=METHODS,
    ...                     preconds=PRECONDS, option_names={})
    >>> p = make_problem(L, req)
    >>> p.which, p.tol, p.scale
    ('smallest', 1e-08, 4.0)
    """
    n, M, method = req.n, req.M, req.method
    tol = eigen_tol(req.tol)
    v0 = _check_v0(req.v0, n)
    operator = isinstance(A, spla.LinearOperator)
    A, single = double_precision(A)
    if not operator:
        # one O(nnz) inspection: its symmetry test is check_symmetric's (same tolerance),
        # which reruns only to raise; the components are counted only for a Laplacian.
        # Inspecting twice and checking symmetry a third time cost 30 ms of bcsstk33's
        # 190 ms (Laplacian, 592k entries, the 4 largest pairs; regret suite)
        props = inspect_matrix(A, components=False)
        if req.check and not props.symmetric:
            check_symmetric(A, "A", hint="sk.eigsh needs a symmetric matrix; pass check=False "
                            "to skip this check, or use scipy.sparse.linalg.eigs for general "
                            "ones")
        if props.laplacian:
            props = replace(props, n_components=n_components(A))
        scale = matrix_scale(A)
    if M is not None:
        M, single_m = double_precision(check_mass(M, n))
        single = single or single_m
    if operator:
        props = inspect_matrix(A)
        scale = _operator_scale(A)
    prob = _Problem(A, M, n, req.k, req.which, req.sigma, tol, req.maxiter, v0, req.precond,
                    props, scale, method, ncv=req.ncv)
    if single:
        prob.notes.append("single-precision input computed in double precision")
    return prob


def double_precision(A):
    """``(A, converted)``: a float16/32 or complex64 matrix as float64/complex128.

    sparsekit's eigensolvers judge every pair at ``tol`` (default 1e-8), which
    single precision cannot reach; a LinearOperator is left as it is.
    """
    if isinstance(A, spla.LinearOperator) or np.dtype(A.dtype).itemsize >= (
            16 if np.dtype(A.dtype).kind == "c" else 8):
        return A, False
    return A.astype(np.result_type(A.dtype, np.float64)), True


def _check_v0(v0, n):
    """``v0`` as a float (or complex) vector of length ``n``, finite and non-zero (or None)."""
    if v0 is None:
        return None
    v0 = np.asarray(v0)
    v0 = v0.astype(np.result_type(v0.dtype, float), copy=False)
    if v0.shape != (n,):
        raise InputValueError(f"v0 must have shape ({n},) (got shape {v0.shape})")
    if not np.all(np.isfinite(v0)) or not np.any(v0):
        raise InputValueError("v0 must be finite and non-zero")
    return v0


def _operator_scale(A) -> float:
    """A cheap estimate of ‖A‖ for a LinearOperator (a few power iterations)."""
    x = np.random.default_rng(0).standard_normal(A.shape[0])
    est = 0.0
    for _ in range(10):
        y = A @ x
        est = float(np.linalg.norm(y) / np.linalg.norm(x))
        x = y / max(np.linalg.norm(y), 1e-300)
    return est


# --------------------------------------------------------------------------- factorizations


def _factor(A, shift, M, kind="auto"):
    """The cached factorization of ``A − shift·M`` (:func:`sparsekit.factorize`)."""
    return factor.factorize(A, kind, shift=shift, M=M, cache=True)


def _factor_cached(A, shift, M) -> bool:
    """Whether :func:`sparsekit.factorize` has ``A − shift·M`` in the cache (O(nnz) hash)."""
    if factor.signature(A) not in factor.SIGNATURES:  # nothing like A was factorized: no hash
        return False
    key = factor.cache_key(fingerprint(A), "auto", shift,
                           None if M is None else fingerprint(M), None)
    return CACHE.contains(key)


# --------------------------------------------------------------------------- vectors


def _with_null(prob: _Problem, raw_values: np.ndarray,
               raw_vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Prepend the deflated null vectors (their values are Rayleigh quotients)."""
    Y = prob.null_vectors()
    yv = np.einsum("ij,ij->j", Y, prob.A @ Y).real
    values = np.concatenate([yv, raw_values])
    vectors = np.hstack([Y, raw_vectors]) if raw_vectors.size else Y
    return values, vectors


def _times_m(prob, V):
    """``M V`` (``V`` itself for the standard problem)."""
    return V if prob.M is None else prob.M @ V


def _ritz_residuals(prob, w, X):
    """``‖A x − w M x‖`` of every column of ``X``."""
    return np.linalg.norm(prob.A @ X - _times_m(prob, X) * w, axis=0)


def _hermitian_ritz(prob, V):
    """Rayleigh–Ritz on ``span(V)``: ``M``-orthonormal Ritz vectors of the Hermitian pencil.

    SciPy's complex ``eigsh`` is Arnoldi (``eigs``), whose eigenvectors of a
    repeated eigenvalue are not orthogonal (seen: 7e-6 on a magnetic
    Laplacian's 4-fold level); the projected ``k × k`` problem restores that.
    A direction ``V`` holds twice (a duplicated Ritz vector) is dropped, so the
    caller sees fewer pairs, not a wrong one.
    """
    MV = _times_m(prob, V)
    G = V.conj().T @ MV
    d, E = np.linalg.eigh(0.5 * (G + G.conj().T))
    keep = d > max(float(d.max()), 0.0) * V.shape[0] * np.finfo(float).eps
    Q = V @ (E[:, keep] / np.sqrt(d[keep]))
    H = Q.conj().T @ (prob.A @ Q)
    _, C = np.linalg.eigh(0.5 * (H + H.conj().T))
    return Q @ C


def _m_orthonormal(prob, V):
    """Normalise columns to vᵀ M v = 1 (raise NotSPDError if M is indefinite on them)."""
    MV = _times_m(prob, V)
    nrm2 = np.einsum("ij,ij->j", V.conj(), MV).real
    if prob.M is not None and np.any(nrm2 <= 0):
        raise NotSPDError("M is not positive definite: vᵀ M v <= 0 for a computed vector; "
                          "pass an SPD mass matrix")
    return V / np.sqrt(nrm2)
