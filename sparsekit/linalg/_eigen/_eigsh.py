"""``sk.eigsh``: validate once, plan, run the method chain, judge every pair.

``eigsh`` solves ``A v = λ v`` or ``A v = λ M v`` (``A`` symmetric, ``M`` SPD)
with one of the methods of the :data:`METHODS` registry and always returns an
:class:`~sparsekit.EigenResult` whose residuals were recomputed here:

* ``"arpack"``: SciPy's ARPACK (implicitly restarted Lanczos) in regular
  mode; for ``which="nearest"`` (and SciPy's codes given with ``sigma``) it
  runs shift-invert mode, as SciPy does.
* ``"shift_invert"``: ARPACK on ``(A − σM)⁻¹ M``, with the factorization of
  ``A − σM`` taken from (and left in) sparsekit's factorization cache, so a
  second call on the same matrix and shift reuses it.
* ``"lobpcg"``: LOBPCG preconditioned with approximate Cholesky, AMG, ILU or Jacobi
  (:func:`sparsekit.preconditioner`), with the known null vectors of a graph
  Laplacian (the constant vector of each connected component) passed as
  constraints.
* ``"dense"``: :func:`scipy.linalg.eigh` with ``subset_by_index``.

Residual convention (everywhere in sparsekit's eigensolvers,
:mod:`sparsekit.linalg._residuals`): the residual of a pair is the absolute
``‖A v − λ M v‖₂`` with ``v`` normalised so that ``vᵀ M v = 1``; the pair is
*converged* when that residual is at most ``tol · (‖A‖₁ + |λ| ‖M‖₁)``.
``‖·‖₁`` (max absolute column sum) is an O(nnz) upper bound of the 2-norm of
a symmetric matrix.

``which`` takes sparsekit's words and SciPy's codes with SciPy's meaning
(:func:`sparsekit._requests.select_which` is their one definition); complex
Hermitian matrices run on every method (complex ARPACK, a complex Cholesky
for shift-invert, complex LOBPCG blocks).

Graph Laplacians (symmetric, off-diagonal <= 0, zero row sums) get special
care for ``which="smallest"``: the indicator vector of each connected
component is an exact null vector, so it is put in the result directly and
deflated from the iteration (a projector for shift-invert, constraints for
LOBPCG).  This is what makes the singular, possibly disconnected Laplacian
as easy as an SPD matrix.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np

from ..._requests import eigen_request, select_which, shape_of
from ..._validate import as_matrix
from ...backends import _registry
from ...errors import (
    DenseTooLargeError,
    InputValueError,
    NoConvergence,
    report_nonconvergence,
)
from ...results import EigenResult
from .. import _dense_eigh
from .._residuals import pair_residuals
from ._arpack import _run_arpack, _run_shift_invert
from ._lobpcg import _run_lobpcg
from ._plan import AUTO_ARPACK_RESTARTS, _dense_is_safety_net, _fallbacks, _plan, psd_which
from ._problem import (
    _hermitian_ritz,
    _m_orthonormal,
    _MethodFailed,
    _Problem,
    _Raw,
    make_problem,
)

if TYPE_CHECKING:
    import numpy.typing as npt

    from ..._typing import OperatorLike

__all__ = ["eigsh", "METHODS", "PRECONDS"]

# the logger keeps the name it had before the split, the one users configure
log = logging.getLogger("sparsekit.linalg.eigen")

METHODS = {
    "auto": "choose by size, memory and structure; fall back when a method fails",
    "arpack": "ARPACK Lanczos (regular mode; shift-invert mode for which='nearest')",
    "shift_invert": "ARPACK on (A - sigma M)^-1 M with a cached factorization",
    "lobpcg": "LOBPCG with an approx-chol/AMG/ILU/Jacobi preconditioner and null-vector "
              "constraints",
    "dense": "scipy.linalg.eigh with subset_by_index",
}

PRECONDS = {
    "auto": "approx_chol for the smallest eigenpairs of graph Laplacians (n >= 5,000), AMG "
            "for other SPD-like matrices, none for the largest",
    "amg": "smoothed-aggregation AMG (pyamg)",
    "ilu": "incomplete LU",
    "jacobi": "diagonal scaling",
    "approx_chol": "randomized approximate Cholesky (approx-chol) of a graph Laplacian or "
                   "SDDM matrix",
    "none": "no preconditioner",
}


@overload
def eigsh(A: OperatorLike, k: int = ..., M: OperatorLike | None = ..., sigma: float | None = ...,
          which: str | None = ..., v0: npt.ArrayLike | None = ..., ncv: int | None = ...,
          maxiter: int | None = ..., tol: float | None = ...,
          return_eigenvectors: Literal[True] = ..., *, method: str = ..., precond: str = ...,
          backend: str = ..., strict: bool = ..., check: bool = ..., **options: Any
          ) -> EigenResult: ...
@overload
def eigsh(A: OperatorLike, k: int = ..., M: OperatorLike | None = ..., sigma: float | None = ...,
          which: str | None = ..., v0: npt.ArrayLike | None = ..., ncv: int | None = ...,
          maxiter: int | None = ..., tol: float | None = ..., *,
          return_eigenvectors: Literal[False], method: str = ..., precond: str = ...,
          backend: str = ..., strict: bool = ..., check: bool = ..., **options: Any
          ) -> np.ndarray: ...
@overload
def eigsh(A: OperatorLike, k: int = ..., M: OperatorLike | None = ..., sigma: float | None = ...,
          which: str | None = ..., v0: npt.ArrayLike | None = ..., ncv: int | None = ...,
          maxiter: int | None = ..., tol: float | None = ..., return_eigenvectors: bool = ...,
          *, method: str = ..., precond: str = ..., backend: str = ..., strict: bool = ...,
          check: bool = ..., **options: Any) -> EigenResult | np.ndarray: ...
def eigsh(A: OperatorLike, k: int = 6, M: OperatorLike | None = None, sigma: float | None = None,
          which: str | None = None, v0: npt.ArrayLike | None = None, ncv: int | None = None,
          maxiter: int | None = None, tol: float | None = None, return_eigenvectors: bool = True,
          *, method: str = "auto", precond: str = "auto", backend: str = "auto",
          strict: bool = False, check: bool = True, **options: Any) -> EigenResult | np.ndarray:
    """Eigenpairs of a large sparse symmetric matrix (or pencil ``A, M``) that just work.

    The arguments are SciPy's (:func:`scipy.sparse.linalg.eigsh`), in SciPy's
    order, with SciPy's meaning, except the default ``which`` (``"smallest"``,
    not ``'LM'``) and the tolerance (relative to ``‖A‖₁``, judged on every
    recomputed residual): docs/scipy.md lists every difference.

    Parameters
    ----------
    A : sparse matrix or array, ndarray or LinearOperator, shape (n, n)
        Real symmetric or complex Hermitian matrix (a LinearOperator only with
        ``"arpack"``/``"lobpcg"``).
    k : int, default=6
        Number of eigenpairs, ``1 <= k < n``.
    M : sparse matrix or array, or ndarray, optional
        Symmetric (Hermitian) positive definite mass matrix: solve ``A v = λ M v``.
    sigma : float, optional
        Shift: with ``which="nearest"`` (the default when ``sigma`` is given, and
        what SciPy's ``'LM'`` means with ``sigma``) the ``k`` eigenvalues nearest
        ``sigma``; with another of SciPy's codes, those it ranks first in
        ``1 / (λ − σ)``, as SciPy's shift-invert mode.
    which : str, optional
        sparsekit's words ``"smallest"``, ``"largest"`` (algebraic),
        ``"nearest"`` (to ``sigma``), or SciPy's codes with SciPy's meaning:
        ``'LM'``/``'SM'`` (largest/smallest magnitude), ``'LA'``/``'SA'``
        (= ``"largest"``/``"smallest"``), ``'BE'`` (``k // 2`` from the low end,
        the rest from the high end).  Default ``"smallest"`` (SciPy's is
        ``'LM'``), or ``"nearest"`` when ``sigma`` is given.  ``eigs``'s codes
        (``'LR'``, ``'SR'``, ``'LI'``, ``'SI'``) are refused with the reason.
    v0 : ndarray, shape (n,), optional
        Starting vector.
    ncv : int, optional
        ARPACK's number of Lanczos vectors, ``k < ncv <= n`` (default
        ``max(2k' + 1, 20)`` for the ``k'`` pairs ARPACK is asked for: ``k`` plus
        a small buffer that catches repeated eigenvalues).
    maxiter : int, optional
        Iteration limit of the iterative method.
    tol : float, optional
        Residual tolerance relative to ``‖A‖₁ + |λ| ‖M‖₁``; default 1e-8; 0 means
        machine precision (as SciPy's ``tol=0``).
    return_eigenvectors : bool, default=True
        False returns only the eigenvalues (an ndarray, ascending), as SciPy;
        every pair is still computed and judged, and the non-convergence
        policy still applies.
    method : {"auto", "arpack", "shift_invert", "lobpcg", "dense"}, default="auto"
        See :data:`METHODS`.  ``"auto"`` chooses by size, memory and structure,
        states its reasons in ``result.notes`` and falls back to the next
        method when one fails or does not converge.
    precond : {"auto", "amg", "ilu", "jacobi", "approx_chol", "none"}, default="auto"
        LOBPCG's preconditioner (:func:`sparsekit.preconditioner`); see :data:`PRECONDS`.
    backend : {"auto", "scipy", "cupy", "petsc"}, default="auto"
        Where to compute; ``"auto"`` follows the input (cupy arrays → cupy).
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
        Values ascending (real); vectors ``n × k`` and ``M``-orthonormal; the
        residual ``‖A v − λ M v‖₂`` of every pair (recomputed here); per-pair
        converged flags against ``tol · (‖A‖₁ + |λ| ‖M‖₁)``; notes with the
        reasons of the choice and any fallback.  It unpacks as SciPy's pair:
        ``w, v = sk.eigsh(...)``.  With ``return_eigenvectors=False``, the
        values only.

    Raises
    ------
    InputValueError
        ``k >= n``, ``ncv`` out of range, NaN/Inf entries, ``which="nearest"``
        without ``sigma``, a ``which`` code of ``eigs``.
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
    sparsekit.eigs : nonsymmetric matrices.
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

    SciPy's codes and unpacking: the two largest in magnitude,

    >>> w, v = sk.eigsh(L, k=2, which="LM")
    >>> np.allclose(w, 2 - 2 * np.cos(np.pi * np.arange(n - 2, n) / n))
    True
    """
    backend = _registry.resolve(A, backend)
    if not isinstance(return_eigenvectors, (bool, np.bool_)):
        raise InputValueError(f"return_eigenvectors must be True or False (got "
                              f"{return_eigenvectors!r})")
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
                        elsewhere=_registry.options_elsewhere("EIGEN", backend, options),
                        ncv=ncv)
    result = mod.run_eigsh(A, req) if mod is not None else _eigsh_cpu(A, req)
    return result if return_eigenvectors else result.values


def _eigsh_cpu(A, req) -> EigenResult:
    """``eigsh`` on the CPU: the problem, the method chain, the non-convergence policy."""
    prob = make_problem(A, req)
    prob.which, note = psd_which(prob.A, prob.props, prob.which, prob.sigma)
    if note is not None:
        prob.notes.append(note)
    chain, notes = _chain(prob, prob.method)
    result, notes = _run_chain(prob, chain, prob.method, list(prob.notes) + notes)
    if not _ok(result, prob.k):
        result = _report(result, notes, prob, req.strict)
    return result


# --------------------------------------------------------------------------- the policy


def _chain(prob: _Problem, method: str):
    """The methods to try, in order, and the notes that explain them.

    An explicit ``method`` is tried alone.  ``"auto"`` follows the plan
    (:func:`._plan._plan`), then its fallbacks; the plan's preconditioner is
    what LOBPCG runs, and ARPACK gets a bounded restart budget when dense
    LAPACK is the safety net.
    """
    if method != "auto":
        return [method], []
    plan = _plan(prob.A, prob.k, prob.which, prob.sigma, prob.M, prob.props, "scipy")
    notes = [f"auto: {r}" for r in plan.reasons]
    chain = _fallbacks(plan.method, prob)
    if prob.precond == "auto" and plan.method == "lobpcg":
        prob.precond = plan.precond  # the plan's choice, with its reason, is what runs
    if prob.maxiter is None and _dense_is_safety_net(prob) and chain[0] != "dense":
        prob.arpack_maxiter = AUTO_ARPACK_RESTARTS
    return chain, notes


def _run_chain(prob: _Problem, chain, method: str, notes):
    """Run ``chain`` through :data:`_RUNNERS` until a result converges.

    Returns the most useful result (:func:`_better`) and the notes of the
    fallbacks taken.  An explicit ``method`` stops after its one try and
    re-raises its failure; ``"auto"`` records it and goes on.
    """
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
        if _ok(current, prob.k) or method != "auto":
            break
        notes = list(current.notes) + [
            f"{m}: {int(np.sum(~current.converged))} of {len(current.values)} pairs missed "
            f"tol {prob.tol:g} (max residual {np.max(current.residuals):.2e}); falling back"]
        log.info("eigsh: %s did not converge; falling back", m)
    if result is None:
        raise NoConvergence("every method failed: " + "; ".join(notes))
    return result, notes


def _report(result: EigenResult, notes, prob: _Problem, strict: bool) -> EigenResult:
    """The non-convergence policy: the fallback notes added, then warn (or raise)."""
    k, tol = prob.k, prob.tol
    result = replace(result, notes=tuple(dict.fromkeys(result.notes + tuple(notes))))
    msg = (f"eigsh ({result.method}): {int(np.sum(~result.converged))} of "
           f"{len(result.values)} eigenpairs missed the tolerance {tol:g} (max residual "
           f"{float(np.max(result.residuals)) if len(result.values) else float('nan'):.3e})"
           + ("" if len(result.values) == k else f"; only {len(result.values)} of k={k} "
              "pairs found"))
    # stacklevel 5: this helper, _eigsh_cpu, eigsh, then the caller of sk.eigsh
    report_nonconvergence(msg, result, strict, stacklevel=5)
    return result


# --------------------------------------------------------------------------- the runners


def _run_dense(prob: _Problem) -> _Raw:
    """Dense LAPACK (``sk.dense.eigh``) on the wanted subset."""
    if prob.props.operator:
        raise InputValueError("method='dense' needs an explicit matrix, not a LinearOperator")
    r = _dense_eigh.eigh(prob.A, prob.k, which=prob.which, M=prob.M, sigma=prob.sigma,
                         tol=prob.tol)
    return _Raw(r.values, r.vectors, 0, r.timings["setup"], r.timings["solve"])


_RUNNERS = {
    "arpack": _run_arpack,
    "shift_invert": _run_shift_invert,
    "lobpcg": _run_lobpcg,
    "dense": _run_dense,
}


def _select(prob: _Problem, values, vectors):
    """Keep the k pairs ``which`` asks for (``_requests.select_which``), ascending."""
    values = np.asarray(values, dtype=float)
    order = select_which(values, prob.which, prob.sigma, prob.k)
    order = order[np.argsort(values[order], kind="stable")]
    return values[order], vectors[:, order]


def _finish(prob: _Problem, raw: _Raw, method: str, notes) -> EigenResult:
    """A runner's pairs as an :class:`EigenResult`: M-orthonormal, Rayleigh quotients, judged."""
    V = np.asarray(raw.vectors)
    V = V.astype(np.result_type(V.dtype, float), copy=False)
    if prob.complex and V.shape[1]:
        V = _hermitian_ritz(prob, V)
    V = _m_orthonormal(prob, V)
    # Rayleigh quotients: the best eigenvalue estimates for the vectors we return
    w = np.einsum("ij,ij->j", V.conj(), prob.A @ V).real
    w, V = _select(prob, w, V)
    res, scale = pair_residuals(prob.A, prob.M, w, V, ascale=prob.scale)
    converged = res <= prob.tol * scale
    notes = list(notes) + list(raw.notes)
    if raw.stopped:
        # SciPy raises ArpackNoConvergence here: the pairs it had are eigenpairs (their
        # residuals say so) but a wanted one may be missing (a copy of a repeated eigenvalue
        # that had not converged yet), so none counts as converged and auto falls back
        converged = np.zeros_like(converged)
        notes.append("ARPACK stopped before converging: its pairs are kept with their "
                     "residuals but not counted as converged (a wanted pair may be missing)")
    if raw.precond != "none":
        notes.append(f"preconditioner: {raw.precond}")
    if len(w) < prob.k:
        notes.append(f"only {len(w)} of k={prob.k} pairs were found")
    return EigenResult(values=w, vectors=V, residuals=res, converged=converged,
                       method=method, backend="scipy", iterations=int(raw.iterations),
                       timings={"setup": raw.setup, "solve": raw.solve}, tol=prob.tol,
                       notes=tuple(notes))


def _better(a: EigenResult, b: EigenResult) -> bool:
    """Whether result ``a`` is more useful than ``b`` (more converged pairs)."""
    return (len(a.values), int(np.sum(a.converged))) > (len(b.values), int(np.sum(b.converged)))


def _ok(result: EigenResult, k: int) -> bool:
    """Whether ``result`` has all ``k`` pairs, each converged."""
    return result.all_converged and len(result.values) == k
