"""ARPACK (implicitly restarted Lanczos): regular mode and shift-invert mode.

``_run_arpack`` runs SciPy's ``eigsh`` in regular mode (shift-invert for
``which="nearest"``).  ``_run_shift_invert`` reads as its four steps:
:func:`_shift` chooses ``σ``, :func:`_factor_shifted` factorizes
``A − σM`` (from sparsekit's cache, retrying below 0 when ``A`` is singular,
and proving by Cholesky that ``σ`` lies below the spectrum),
:func:`_deflated_inverse` wraps the solve, projecting out the null vectors
of a Laplacian, and :func:`_arpack_two_stage` runs ARPACK, first at a loose
tolerance.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse.linalg as spla

from ...errors import InputValueError, NotSPDError, SingularMatrixError
from .._cache import CACHE
from .._residuals import pair_residuals
from .._threads import single_thread_blas
from ._problem import LAPLACIAN_SHIFT, _factor, _MethodFailed, _Problem, _Raw, _with_null

__all__ = ["SHIFT_INVERT_FIRST_TOL"]

#: Shift-invert ARPACK first runs at this tolerance (when the caller's is tighter), and
#: reruns at the caller's only if a wanted pair's recomputed residual misses it.  ARPACK's
#: test ``‖OP x − θ x‖ <= tol |θ|`` bounds the original residual by ``tol ‖A − σM‖``, a
#: bound its Ritz vectors beat by orders of magnitude once the shift-inverted spectrum
#: separates.  Measured: luxembourg_osm's normalized Laplacian, 12 pairs (8 wanted + the
#: buffer), ncv=25: 41 solves at tol 1e-9 and 33 at 1e-4, with residuals 4.4e-16 and
#: 7.7e-16; the whole k=9 eigsh 0.57–0.64 s against 0.48–0.52 s (median of 5 each).
SHIFT_INVERT_FIRST_TOL = 1e-4


def _arpack_tol(prob):
    """ARPACK's tolerance, with a factor 10 of margin.

    Its test ``‖OP x − θ x‖ <= tol |θ|`` maps, in shift-invert mode, to a
    residual ``<= tol ‖A − σM‖`` of the original problem.
    """
    return prob.tol * 0.1


def _arpack_maxiter(prob):
    """The caller's maxiter, else auto's restart budget, else ARPACK's default."""
    return prob.maxiter if prob.maxiter is not None else prob.arpack_maxiter


def _buffered(k: int, n: int) -> int:
    """ARPACK's k plus a buffer of extra pairs.

    Single-vector Lanczos can miss a copy of a repeated eigenvalue while every
    residual looks perfect (seen on a 30 x 20 grid graph and on 2-D Poisson);
    asking for a few more pairs than wanted makes it find them.
    """
    return min(k + max(2, min(k, 4)), n - 1)


def _ncv(k: int, n: int) -> int | None:
    """ARPACK's number of Lanczos vectors (None: SciPy's default, when ``k + 1 >= n``)."""
    return min(n, max(2 * k + 1, 20)) if k + 1 < n else None


def _start(prob):
    """A deterministic starting vector (v0, else a seeded random one)."""
    v0 = prob.v0
    if v0 is None:
        v0 = np.random.default_rng(0).standard_normal(prob.n)
    return v0


def _check_mass_spd(prob: _Problem):
    """Prove M positive definite by its (cached) Cholesky factorization; return it."""
    try:
        return _factor(prob.M, 0.0, None, kind="cholesky")
    except NotSPDError as exc:
        raise NotSPDError(f"M must be symmetric positive definite, but its Cholesky "
                          f"factorization failed ({exc}); pass an SPD mass matrix") from None


# --------------------------------------------------------------------------- regular mode


def _run_arpack(prob: _Problem) -> _Raw:
    """ARPACK in regular mode (``which="nearest"``: shift-invert mode, as SciPy does)."""
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


# --------------------------------------------------------------------------- shift-invert mode


def _run_shift_invert(prob: _Problem) -> _Raw:
    """ARPACK on ``(A − σM)⁻¹ M`` with a cached factorization of ``A − σM``."""
    if prob.props.operator:
        raise InputValueError("method='shift_invert' needs an explicit matrix (to factorize), "
                              "not a LinearOperator")
    notes = []
    if prob.M is not None:
        _check_mass_spd(prob)
    sigma = _shift(prob)
    t0 = time.perf_counter()
    hits = CACHE.info().hits
    F, sigma = _factor_shifted(prob, sigma, notes)
    t1 = time.perf_counter()
    nnull = prob.null_vectors().shape[1] if prob.deflate() else 0
    wanted = prob.k - nnull
    if wanted <= 0:
        return _Raw(*_with_null(prob, np.zeros(0), np.zeros((prob.n, 0))), 0, t1 - t0, 0.0,
                    notes=tuple(notes) + (f"all {prob.k} smallest are null vectors (one "
                                          f"per connected component)",))
    OPinv, Y, MY = _deflated_inverse(prob, F)
    v0 = _start(prob)
    if Y is not None:
        v0 = v0 - Y @ (MY.T @ v0)
    k = _buffered(wanted, prob.n - nnull)
    w, V = _arpack_two_stage(prob, OPinv, sigma, v0, k, wanted, notes)
    t2 = time.perf_counter()
    reused = CACHE.info().hits > hits
    notes.append(f"factorization of A - ({sigma:.6g})M ({F.engine}) "
                 + ("reused from the cache" if reused else f"computed ({t1 - t0:.3g}s)")
                 + "; left in the cache")
    if Y is not None:
        w, V = _with_null(prob, w, V)
        notes.append(f"{nnull} null vector(s) (one per connected component) deflated and "
                     "returned exactly")
    return _Raw(w, V, 0, t1 - t0, t2 - t1, notes=tuple(notes))


def _shift(prob: _Problem) -> float:
    """The shift ``σ``: the target for ``"nearest"``, just below the spectrum for ``"smallest"``."""
    if prob.which == "nearest":
        return prob.sigma
    if prob.which == "smallest":
        # the eigenvalues nearest sigma are the smallest only when sigma lies below the
        # spectrum, i.e. when A - sigma M is positive definite: the Cholesky pivots prove it
        return -LAPLACIAN_SHIFT * prob.scale if prob.deflate() else 0.0
    raise _MethodFailed("shift_invert needs which='smallest' or 'nearest'; use arpack for "
                        "the largest")


def _factor_shifted(prob: _Problem, sigma: float, notes: list):
    """The cached factorization of ``A − σM``, and the ``σ`` it was taken at.

    For the smallest pairs a singular ``A`` (a positive semidefinite matrix
    with a null space) is retried a little below 0, and the factorization must
    be a Cholesky one: its existence proves ``A − σM`` positive definite, so
    the eigenvalues nearest ``σ`` are the smallest.
    """
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
    return F, sigma


def _deflated_inverse(prob: _Problem, F):
    """``(A − σM)⁻¹`` as a LinearOperator, the Laplacian's null vectors projected out.

    Returns ``(OPinv, Y, MY)``; ``Y`` and ``MY = M Y`` are None when nothing
    is deflated.  With ``P = I − M Y Yᵀ`` the operator is ``Pᵀ F⁻¹ P``, so
    ARPACK never sees the null space (``F`` is the factor of a matrix shifted
    just below 0, nearly singular along ``Y``).
    """
    n = prob.n
    if not prob.deflate():
        return spla.LinearOperator((n, n), matvec=F.solve, dtype=float), None, None
    Y = prob.null_vectors()
    MY = Y if prob.M is None else prob.M @ Y

    def op(x):
        x = x - MY @ (Y.T @ x)
        y = F.solve(x)
        return y - Y @ (MY.T @ y)

    return spla.LinearOperator((n, n), matvec=op, dtype=float), Y, MY


def _arpack_two_stage(prob: _Problem, OPinv, sigma, v0, k, wanted, notes):
    """Shift-invert ARPACK for ``k`` pairs, at ``SHIFT_INVERT_FIRST_TOL`` first.

    The second run, at the caller's tolerance and started from the sum of the
    wanted Ritz vectors, happens only when a wanted pair's recomputed residual
    misses ``prob.tol``.  Returns ARPACK's ``(w, V)``.
    """
    ncv = _ncv(k, prob.n)
    tight = _arpack_tol(prob)
    tols = (tight,) if tight >= SHIFT_INVERT_FIRST_TOL else (SHIFT_INVERT_FIRST_TOL, tight)
    for tol in tols:
        with single_thread_blas():
            try:
                w, V = spla.eigsh(prob.A, k=k, M=prob.M, sigma=sigma, OPinv=OPinv, which="LM",
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
        res, scale = pair_residuals(prob.A, prob.M, w[near], V[:, near], ascale=prob.scale)
        if len(near) == wanted and np.all(res <= prob.tol * scale):
            notes.append(f"ARPACK at tol={tol:.0e} already met tol={prob.tol:.0e} in every "
                         "recomputed residual")
            break
        notes.append(f"ARPACK at tol={tol:.0e} left residuals up to {np.max(res / scale):.1e} "
                     f"(relative); rerun at tol={tight:.0e} from their sum")
        v0 = V[:, near].sum(axis=1)
    return w, V
