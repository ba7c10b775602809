"""ARPACK (implicitly restarted Lanczos): regular mode and shift-invert mode.

``_run_arpack`` runs SciPy's ``eigsh`` in regular mode (shift-invert for
``which="nearest"`` and SciPy's codes given with ``sigma``), with SciPy's
``which`` codes as ARPACK reads them (``'LM'``, ``'SM'``, ``'BE'``; ``'BE'``
on a complex Hermitian matrix, which SciPy refuses, as two runs, one per end).
Complex Hermitian matrices run through SciPy's complex ARPACK (``eigsh``
hands them to ``eigs``).  ``_run_shift_invert`` reads as its four steps:
:func:`_shift` chooses ``σ``, :func:`_factor_shifted` factorizes
``A − σM`` (from sparsekit's cache, retrying below 0 when ``A`` is singular,
and proving by Cholesky that ``σ`` lies below the spectrum),
:func:`_deflated_inverse` wraps the solve, projecting out the null vectors
of a Laplacian, and :func:`_arpack_two_stage` runs ARPACK, first at a loose
tolerance.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ... import _progress
from ..._requests import select_which
from ...errors import InputValueError, NotSPDError, SingularMatrixError
from .._cache import CACHE
from .._operators import Direct, direct
from .._residuals import pair_residuals
from .._threads import single_thread_blas
from ._problem import (
    LAPLACIAN_SHIFT,
    SINGULAR_SM_SHIFT,
    _factor,
    _MethodFailed,
    _Problem,
    _Raw,
    _with_null,
)

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


def _buffered(k: int, n: int, ncv: int | None = None, checked: bool = False) -> int:
    """ARPACK's k plus a buffer of extra pairs (fewer when the caller's ``ncv`` is tight).

    Single-vector Lanczos can miss a copy of a repeated eigenvalue while every
    residual looks perfect (seen on a 30 x 20 grid graph and on 2-D Poisson);
    asking for a few more pairs than wanted makes it find them less often.  Where
    the check for skipped copies runs (``checked``: :func:`_missed_copies`,
    :func:`_missed_copies_inverted`) one extra pair is enough: on 300 analytic
    cases with repeated eigenvalues (grids, cycles, tori, 3-D Poisson), k + 1 and
    the check missed none, the larger buffer alone 20, SciPy's k alone 88.  The
    complex (Arnoldi) ARPACK needs ``k < n - 1``.
    """
    extra = 1 if checked else max(2, min(k, 4))
    ka = min(k + extra, n - 2 if n > 2 else n - 1)
    if ncv is not None:
        ka = min(ka, ncv - 1)
    return max(ka, k)


def _ncv(k: int, n: int, ncv: int | None = None, regular: bool = False) -> int | None:
    """ARPACK's number of Lanczos vectors: the caller's, else ``max(2k + 1, 20)`` (at most n).

    ``regular`` (regular mode, ``k`` including the extra pairs): ``max(min(3k, 2k + 20),
    20)``; a wider basis where the wanted end is clustered.  Measured with the earlier
    buffer of up to four extra pairs (medians of 7, the 6 largest pairs, k = 10):
    2-D Poisson 128², 2.1 s at ncv=21 against 0.57 s at ncv=30 (SciPy's
    ``eigsh(which="LA")``: 0.70 s); bcsstk09 24.6 → 19.6 ms; the others within noise.
    With one extra pair (the skipped-copy check's) it is SciPy's basis up to k = 6.
    Shift-invert keeps ``max(2k + 1, 20)``: each vector costs a solve there, and its
    spectrum is separated.

    None (SciPy's default) when ``k + 1 >= n``.
    """
    if ncv is not None:
        return ncv
    if k + 1 >= n:
        return None
    want = max(min(3 * k, 2 * k + 20), 20) if regular else max(2 * k + 1, 20)
    return min(n, want)


def _start(prob):
    """A deterministic starting vector (v0, else a seeded random one) of the working dtype."""
    v0 = prob.v0
    if v0 is None:
        v0 = np.random.default_rng(0).standard_normal(prob.n)
    return np.asarray(v0, dtype=prob.dtype)


def _arpack_which(prob) -> str:
    """The ``which`` code SciPy's ARPACK gets in regular mode for ``prob.which``."""
    return {"smallest": "SA", "largest": "LA"}.get(prob.which, prob.which)


def _shift_invert_mode(prob) -> bool:
    """Whether ``prob.which`` is about ``1 / (λ − σ)`` (``"nearest"`` or a code with ``sigma``).

    ``'SM'`` with ``sigma`` is not: the smallest ``|1 / (λ − σ)|`` are the
    eigenvalues farthest from ``σ``, the extreme ones, which shift-invert mode
    finds poorly (ARPACK converged to the wrong pairs in our tests) and regular
    mode on ``A − σM`` finds as its largest magnitudes (:func:`_run_farthest`).
    """
    return prob.which == "nearest" or (prob.sigma is not None and prob.which != "SM")


def _check_mass_spd(prob: _Problem):
    """Prove M positive definite by its (cached) Cholesky factorization; return it."""
    try:
        return _factor(prob.M, 0.0, None, kind="cholesky")
    except NotSPDError as exc:
        raise NotSPDError(f"M must be symmetric positive definite, but its Cholesky "
                          f"factorization failed ({exc}); pass an SPD mass matrix") from None


# --------------------------------------------------------------------------- regular mode


def _run_arpack(prob: _Problem) -> _Raw:
    """ARPACK in regular mode (``"nearest"``, or a code with ``sigma``: shift-invert mode)."""
    if _shift_invert_mode(prob):
        raw = _run_shift_invert(prob)
        raw.notes = raw.notes + (f"arpack with which={prob.which!r} and sigma runs in "
                                 "shift-invert mode, as SciPy's",)
        return raw
    if prob.which == "SM" and prob.sigma is not None:
        return _run_farthest(prob)
    if prob.which == "SM" and not prob.props.operator:
        # the smallest magnitudes are the eigenvalues nearest 0: shift-invert mode finds them
        # reliably (regular mode returned wrong pairs of a generalized problem in our tests)
        try:
            raw = _run_shift_invert(prob)
        except _MethodFailed as exc:
            note = f"{exc}"
        else:
            raw.notes = raw.notes + ("arpack with which='SM' runs in shift-invert mode at "
                                     "sigma=0 (the same pairs: those nearest 0)",)
            return raw
    else:
        note = None
    t0 = time.perf_counter()
    which = _arpack_which(prob)
    kwargs = {"tol": _arpack_tol(prob), "maxiter": _arpack_maxiter(prob), "v0": _start(prob),
              "return_eigenvectors": True}
    notes = [] if note is None else [note]
    if prob.M is not None:
        kwargs["M"] = prob.M
        kwargs["Minv"] = _check_mass_spd(prob).aslinearoperator()
    if which in ("SA", "SM") and prob.method != "auto":
        notes.append(f"ARPACK regular mode for which={which!r} converges slowly; "
                     "shift_invert or lobpcg are faster")
    if which == "BE" and prob.complex:
        # SciPy's complex ARPACK has no 'BE': the two ends, one run each
        low = prob.k // 2
        parts = [_arpack_part(prob, code, kk, kwargs, notes)
                 for code, kk in (("SA", low), ("LA", prob.k - low)) if kk > 0]
        w = np.concatenate([p[0] for p in parts])
        V = np.hstack([p[1] for p in parts])
        stopped = any(p[2] for p in parts)
        notes.append("which='BE' on a complex Hermitian matrix: one ARPACK run per end")
    else:
        w, V, stopped = _arpack_part(prob, which, prob.k, kwargs, notes)
    t1 = time.perf_counter()
    return _Raw(w, V, 0, 0.0, t1 - t0, notes=tuple(notes), stopped=stopped)


def _run_farthest(prob: _Problem) -> _Raw:
    """``'SM'`` with ``sigma``: the eigenvalues farthest from ``σ``.

    They are ARPACK's regular-mode largest magnitudes of ``A − σM``: the same
    pairs, their eigenvalues shifted by ``σ``.
    """
    t0 = time.perf_counter()
    sigma, A, M, n = prob.sigma, prob.A, prob.M, prob.n
    if prob.props.operator or M is not None:
        S = spla.LinearOperator((n, n), dtype=np.result_type(A.dtype, float),
                                matvec=lambda x: A @ x - sigma * (x if M is None else M @ x))
    else:
        S = A - sigma * sp.eye_array(n, dtype=A.dtype, format="csr")
    kwargs = {"tol": _arpack_tol(prob), "maxiter": _arpack_maxiter(prob), "v0": _start(prob),
              "return_eigenvectors": True}
    notes = ["which='SM' with sigma: the eigenvalues farthest from sigma, found as ARPACK's "
             "largest magnitudes of A - sigma M (regular mode)"]
    if M is not None:
        kwargs["M"] = M
        kwargs["Minv"] = _check_mass_spd(prob).aslinearoperator()
    w, V, stopped = _arpack_part(prob, "LM", prob.k, kwargs, notes, A=S)
    return _Raw(np.asarray(w) + sigma, V, 0, 0.0, time.perf_counter() - t0, notes=tuple(notes),
                stopped=stopped)


def _arpack_part(prob: _Problem, which: str, k: int, kwargs: dict, notes: list, A=None):
    """One regular-mode ARPACK run for ``k`` pairs (plus the buffer) of ``which``.

    Returns ``(w, V, stopped)``: ``stopped`` when ARPACK ran out of restarts
    (SciPy's ``ArpackNoConvergence``) and returned only the pairs it had.
    """
    check = which in ("LA", "SA") and "M" not in kwargs
    ka = _buffered(k, prob.n, prob.ncv, checked=check)
    op = direct(_progress.watched(prob.A if A is None else A, "lanczos", k=ka,
                                  tol=kwargs["tol"]), ka)
    with single_thread_blas():
        try:
            w, V = spla.eigsh(op, k=ka, which=which,
                              ncv=_ncv(ka, prob.n, prob.ncv, regular=True), **kwargs)
            if check:
                w, V, checked = _missed_copies(prob, prob.A if A is None else A, which, k, w,
                                               V, kwargs, notes)
                return w, V, not checked
            return w, V, False
        except spla.ArpackNoConvergence as exc:
            w, V = exc.eigenvalues, exc.eigenvectors
            notes.append(f"ARPACK stopped with {len(w)}/{ka} converged Ritz pairs")
            if len(w) == 0:
                raise _MethodFailed("ARPACK converged no eigenpair within maxiter") from exc
            return w, V, True
        except spla.ArpackError as exc:  # e.g. a zero matrix: "starting vector is zero"
            raise _MethodFailed(f"ARPACK failed: {exc}") from exc


#: the skipped-copy check's first, loose ARPACK run (:func:`_beyond`): its tolerance and
#: basis size; a Ritz value beyond the k-th wanted one is refined at the caller's tolerance
LOOSE_CHECK_TOL = 1e-4
LOOSE_CHECK_NCV = 12
#: shift-invert's check (:func:`_missed_copies_inverted`): this many plain Lanczos steps
#: (solves) instead of the loose ARPACK run (25-35 solves on luxembourg_osm); its inverted
#: spectrum is separated: 8, 10 and 12 steps each found every skipped copy in 150
#: analytic cases (regular mode's spectrum is not: 12 steps missed 38 of 150 there)
LANCZOS_CHECK_STEPS = 10


def _lanczos_extreme(op, Q, QH, v0, sign: float, steps: int):
    """``steps`` of Lanczos on ``op`` orthogonal to ``Q``: the extreme Ritz pair.

    Each new vector is orthogonalized against ``Q`` and the basis (full
    reorthogonalization), so ``op`` is applied as it is, never projected.  The
    Ritz value is a bound from inside of the extreme eigenvalue of ``op`` on the
    complement of ``Q`` (the largest for ``sign = 1``): beyond a limit, it proves an
    eigenvalue there.
    """
    n = v0.shape[0]
    basis = np.empty((steps, n), dtype=v0.dtype)
    alpha, beta = np.zeros(steps), np.zeros(steps)
    q = v0 - Q @ (QH @ v0)
    q = q / np.linalg.norm(q)
    m = steps
    for j in range(steps):
        basis[j] = q
        y = op.matvec(q)
        alpha[j] = float(np.real(np.vdot(q, y)))
        y = y - Q @ (QH @ y)
        B = basis[:j + 1]
        y = y - B.T @ (B.conj() @ y)
        b = float(np.linalg.norm(y))
        if j == steps - 1 or b <= 1e-12 * max(abs(alpha[j]), 1e-300):
            m = j + 1
            break
        beta[j] = b
        q = y / b
    T = np.diag(alpha[:m]) + np.diag(beta[:m - 1], 1) + np.diag(beta[:m - 1], -1)
    values, Y = np.linalg.eigh(T)
    i = int(np.argmax(sign * values))
    return float(values[i]), basis[:m].T @ Y[:, i]


def _beyond(op, n: int, V, which: str, floor: float, limit: float, tol: float, maxiter,
            seed: int, steps: int | None = None):
    """The extreme eigenpair of ``op`` on the complement of ``V`` if beyond ``limit``, else None.

    ``op`` restricted to the complement (``P op P``, the directions of ``V`` given
    the eigenvalue ``floor``), one ARPACK pair of ``which`` ("LA" or "SA"), from a
    fresh random start: a loose run first (its Ritz value is a bound from inside
    of the extreme eigenvalue left), refined to ``tol`` only when it lies beyond
    ``limit``.  The loose run is ARPACK at ``LOOSE_CHECK_TOL``, or ``steps`` steps of
    plain Lanczos where the spectrum is known to be separated (shift-invert's).
    """
    sign = 1.0 if which == "LA" else -1.0
    Q = np.linalg.qr(V)[0]
    QH = np.ascontiguousarray(Q.conj().T)  # once, not a conjugate copy per product
    op = direct(op)

    def restricted(x):
        c = QH @ x
        y = op.matvec(x - Q @ c)
        return y - Q @ (QH @ y - floor * c)

    D = Direct(restricted, (n, n), V.dtype)
    v0 = np.random.default_rng(seed).standard_normal(n).astype(V.dtype)
    v0 = v0 - Q @ (QH @ v0)
    if steps is not None:
        theta, u0 = _lanczos_extreme(op, Q, QH, v0, sign, min(n - 1 - Q.shape[1], steps))
    else:
        mu, u = spla.eigsh(D, k=1, which=which, v0=v0, tol=max(tol, LOOSE_CHECK_TOL),
                           maxiter=maxiter, ncv=min(n, LOOSE_CHECK_NCV))
        theta, u0 = float(mu[0]), u[:, 0]
    if sign * (theta - limit) <= 0:
        return None
    mu, u = spla.eigsh(D, k=1, which=which, v0=u0, tol=tol, maxiter=maxiter,
                       ncv=min(n, 20))
    return None if sign * (float(mu[0]) - limit) <= 0 else (float(mu[0]), u)


def _missed_copies(prob: _Problem, A, which: str, k: int, w, V, kwargs: dict, notes: list):
    """Wanted pairs single-vector Lanczos skipped: the next eigenvalue on the complement of V.

    ARPACK's Krylov space holds one direction of each eigenspace from its start
    vector; a second copy of a repeated eigenvalue enters only through rounding,
    and ARPACK can converge without it while every residual is perfect (seen on
    3-D Poisson, cycle and torus graphs, 20 of 300 analytic cases with the buffer).
    One more ARPACK run for the single extreme pair of ``A`` on the complement of
    the found vectors (:func:`_beyond`) finds such a copy: if its eigenvalue lies
    beyond the k-th wanted one by more than the tolerance, it is added and the check
    repeats.  The start is a fresh one: the first run's start has, in each
    eigenspace, only the direction that run found, so none along a skipped copy.
    """
    sign = 1.0 if which == "LA" else -1.0
    w = np.asarray(w)
    floor = float(w[np.argmin(sign * w)])  # inside the spectrum, not beyond the k-th wanted

    def probe(w, V, seed):
        kth = w[np.argsort(sign * w)[::-1][min(k, w.size) - 1]]
        return _beyond(A, prob.n, V, which, floor, kth + sign * prob.tol * prob.scale,
                       kwargs["tol"], None, seed=seed)

    return _add_copies(prob, w, V, k, probe, "ARPACK", notes)[:3]


def _missed_copies_inverted(prob: _Problem, OPinv, sigma: float, wanted: int, w, V,
                            notes: list):
    """:func:`_missed_copies` for shift-invert's smallest pairs (``σ`` below them, no ``M``).

    On ``(A − σI)⁻¹`` the wanted eigenvalues are the largest, ``θ = 1 / (λ − σ)``: a
    skipped copy of a found ``λ`` is the largest ``θ`` left on the complement of the
    found vectors.  Shift-invert skipped one in 9 of 140 analytic cases (3-D Poisson,
    2-D grids, tori; k = 1 … 10), the buffer of extra pairs notwithstanding.
    """

    def probe(w, V, seed):
        theta = 1.0 / np.maximum(w - sigma, 1e-300)
        kth = np.sort(w)[min(wanted, w.size) - 1]
        limit = 1.0 / max(kth - sigma - prob.tol * prob.scale, 1e-300)
        found = _beyond(OPinv, prob.n, V, "LA", float(theta.min()), limit,
                        _arpack_tol(prob), None, seed=seed, steps=LANCZOS_CHECK_STEPS)
        return None if found is None else (sigma + 1.0 / found[0], found[1])

    w, V, ok, added = _add_copies(prob, np.asarray(w, dtype=float), V, wanted, probe,
                                  "shift-invert ARPACK", notes)
    if ok and added:
        w, V = _rayleigh_ritz(prob.A, V)
    return w, V, ok


def _add_copies(prob: _Problem, w, V, most: int, probe, who: str, notes: list):
    """Add the pairs ``probe(w, V, seed)`` finds, until it finds none (at most ``most``).

    Returns ``(w, V, ok, added)``; ``ok`` is False when a probe did not converge (the
    pairs are then not to be counted as converged: a wanted copy may be missing).
    """
    V = np.asarray(V)
    added = 0
    for _ in range(most):
        if prob.n - V.shape[1] < 3:
            break
        try:
            found = probe(w, V, 1 + added)
        except (spla.ArpackNoConvergence, spla.ArpackError):
            notes.append("the check for a skipped copy of a repeated eigenvalue did not "
                         "converge: the pairs are not counted as converged")
            return w, V, False, added
        if found is None:
            break
        w, V = np.append(w, found[0]), np.hstack([V, found[1]])
        added += 1
    if added:
        notes.append(f"{who} skipped {added} copy(ies) of a repeated eigenvalue; found on "
                     "the complement of its vectors")
    return w, V, True, added


def _rayleigh_ritz(A, V):
    """The Ritz pairs of ``A`` on the span of ``V``.

    A copy found on the complement of vectors that met the tolerance only as
    pairs (shift-invert's loose first stage) carries their error; the
    Rayleigh–Ritz step on the whole basis removes it to second order.
    """
    B = np.linalg.qr(V)[0]
    H = B.conj().T @ (A @ B)
    values, Y = np.linalg.eigh((H + H.conj().T) / 2)
    return values, B @ Y


# --------------------------------------------------------------------------- shift-invert mode


def _run_shift_invert(prob: _Problem) -> _Raw:
    """ARPACK on ``(A − σM)⁻¹ M`` with a cached factorization of ``A − σM``."""
    if prob.props.operator:
        raise InputValueError("method='shift_invert' needs an explicit matrix (to factorize), "
                              "not a LinearOperator")
    if prob.which == "largest" and prob.sigma is None and prob.M is None:
        return _run_negated(prob)
    notes: list[str] = []
    if prob.M is not None:
        _check_mass_spd(prob)
    sigma = _shift(prob)
    t0 = time.perf_counter()
    nnull = prob.null_vectors().shape[1] if prob.deflate() else 0
    wanted = prob.k - nnull
    if wanted <= 0:
        # known exactly, no factorization needed (Erdos971's Laplacian, 42 components, k=6:
        # 12 ms with the factorization it never used, 1.4 ms without)
        return _Raw(*_with_null(prob, np.zeros(0), np.zeros((prob.n, 0))), 0,
                    time.perf_counter() - t0, 0.0,
                    notes=tuple(notes) + (f"all {prob.k} smallest are null vectors (one "
                                          f"per connected component)",))
    hits = CACHE.info().hits
    F, sigma = _factor_shifted(prob, sigma, notes)
    t1 = time.perf_counter()
    OPinv, Y, MY = _deflated_inverse(prob, F)
    v0 = _start(prob)
    if Y is not None:
        v0 = v0 - Y @ (MY.T @ v0)
    check = prob.which == "smallest" and prob.M is None
    k = _buffered(wanted, prob.n - nnull, prob.ncv, checked=check)
    w, V, stopped = _arpack_two_stage(prob, OPinv, sigma, v0, k, wanted, notes)
    if check and not stopped and sigma < np.min(w):
        w, V, checked = _missed_copies_inverted(prob, OPinv, sigma, wanted, w, V, notes)
        stopped = not checked
    t2 = time.perf_counter()
    reused = CACHE.info().hits > hits
    notes.append(f"factorization of A - ({sigma:.6g})M ({F.engine}) "
                 + ("reused from the cache" if reused else f"computed ({t1 - t0:.3g}s)")
                 + "; left in the cache")
    if Y is not None:
        w, V = _with_null(prob, w, V)
        notes.append(f"{nnull} null vector(s) (one per connected component) deflated and "
                     "returned exactly")
    return _Raw(w, V, 0, t1 - t0, t2 - t1, notes=tuple(notes), stopped=stopped)


def _run_negated(prob: _Problem) -> _Raw:
    """The largest pairs of a negative definite ``A``: the smallest of ``−A``, shift-invert at 0.

    ``−A`` must have a Cholesky factorization (the proof that 0 lies above the
    spectrum of ``A``, so that the eigenvalues nearest 0 are the largest); else
    :class:`_MethodFailed`.  Where dense LAPACK is ``auto``'s safety net, ARPACK
    gets ``AUTO_ARPACK_RESTARTS`` restarts, as for the smallest pairs.
    """
    from ._plan import AUTO_ARPACK_RESTARTS, AUTO_DENSE_FALLBACK

    t0 = time.perf_counter()
    A = -prob.A
    try:
        F = _factor(A, 0.0, None, kind="cholesky")
    except (NotSPDError, SingularMatrixError) as exc:
        raise _MethodFailed(f"shift-invert finds the largest eigenvalues only of a negative "
                            f"definite matrix, and -A has no Cholesky factorization ({exc}); "
                            "use arpack") from None
    t1 = time.perf_counter()
    budget = prob.maxiter
    if budget is None and prob.method == "auto" and prob.n <= AUTO_DENSE_FALLBACK:
        budget = AUTO_ARPACK_RESTARTS
    neg = replace(prob, A=A, which="smallest", notes=[], arpack_maxiter=budget,
                  props=replace(prob.props, diag_sign="positive"))
    notes = ["largest eigenvalues of a negative definite matrix (-A has a Cholesky "
             "factorization): the smallest of -A, shift-invert at 0"]
    OPinv, _, _ = _deflated_inverse(neg, F)
    k = _buffered(prob.k, prob.n, prob.ncv)
    w, V, stopped = _arpack_two_stage(neg, OPinv, 0.0, _start(prob), k, prob.k, notes)
    return _Raw(-np.asarray(w), V, 0, t1 - t0, time.perf_counter() - t1, notes=tuple(notes),
                stopped=stopped)


def _shift(prob: _Problem) -> float:
    """The shift ``σ`` of shift-invert mode.

    The target for ``"nearest"`` (and SciPy's codes with ``sigma``), 0 for
    ``'SM'`` (the smallest magnitudes are those nearest 0), just below the
    spectrum for ``"smallest"``.
    """
    if _shift_invert_mode(prob):
        if prob.which == "BE" and prob.complex:
            raise _MethodFailed("which='BE' with sigma on a complex Hermitian matrix: SciPy's "
                                "complex ARPACK has no 'BE'; use method='dense'")
        assert prob.sigma is not None  # "nearest" comes with sigma (validated)
        return prob.sigma
    if prob.which == "SM":
        if prob.sigma is not None:
            raise _MethodFailed("which='SM' with sigma asks for the eigenvalues farthest from "
                                "sigma, which shift-invert mode finds poorly; use "
                                "method='arpack' (regular mode on A - sigma M)")
        return 0.0
    if prob.which == "smallest":
        # the eigenvalues nearest sigma are the smallest only when sigma lies below the
        # spectrum, i.e. when A - sigma M is positive definite: the Cholesky pivots prove it
        return -LAPLACIAN_SHIFT * prob.scale if prob.deflate() else 0.0
    raise _MethodFailed(f"shift_invert finds the smallest eigenvalues, the smallest in "
                        f"magnitude or those nearest sigma, not which={prob.which!r} without "
                        "sigma; use arpack")


def _selection(prob: _Problem, sigma):
    """``(which, sigma)`` that picks the wanted pairs among shift-invert ARPACK's."""
    if prob.which in ("smallest", "SM"):
        return "nearest", sigma
    return prob.which, prob.sigma


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
        if prob.which == "SM":
            sigma = SINGULAR_SM_SHIFT * prob.scale
            notes.append(f"A is singular (0 is an eigenvalue): shift-invert at sigma={sigma:.3g}"
                         " instead of 0; the smallest magnitudes are picked among the pairs "
                         "nearest it")
            return _factor(prob.A, sigma, prob.M), sigma
        if _shift_invert_mode(prob):
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
    dtype = np.result_type(F.dtype, prob.dtype)
    if not prob.deflate():
        return Direct(F.solve, (n, n), dtype), None, None
    Y = prob.null_vectors()
    MY = Y if prob.M is None else prob.M @ Y

    def op(x):
        x = x - MY @ (Y.T @ x)
        y = F.solve(x)
        return y - Y @ (MY.T @ y)

    return Direct(op, (n, n), dtype), Y, MY


def _arpack_two_stage(prob: _Problem, OPinv, sigma, v0, k, wanted, notes):
    """Shift-invert ARPACK for ``k`` pairs, at ``SHIFT_INVERT_FIRST_TOL`` first.

    The second run, at the caller's tolerance and started from the sum of the
    wanted Ritz vectors, happens only when a wanted pair's recomputed residual
    misses ``prob.tol``.  ARPACK ranks ``1 / (λ − σ)`` by ``'LM'`` (the nearest
    σ), or by the SciPy code the caller gave with ``sigma``.  Returns ARPACK's
    ``(w, V)`` and whether its last run stopped before converging.
    """
    ncv = _ncv(k, prob.n, prob.ncv)
    tight = _arpack_tol(prob)
    tols = (tight,) if tight >= SHIFT_INVERT_FIRST_TOL else (SHIFT_INVERT_FIRST_TOL, tight)
    code = "LM" if prob.which in ("nearest", "smallest", "SM") else prob.which
    pick, target = _selection(prob, sigma)
    OPinv = _progress.watched(OPinv, "lanczos", mode="shift-invert", k=k)
    for tol in tols:
        stopped = False
        with single_thread_blas():
            try:
                w, V = spla.eigsh(prob.A, k=k, M=prob.M, sigma=sigma, OPinv=OPinv, which=code,
                                  tol=tol, maxiter=_arpack_maxiter(prob), v0=v0, ncv=ncv)
            except spla.ArpackNoConvergence as exc:
                w, V = exc.eigenvalues, exc.eigenvectors
                notes.append(f"ARPACK (tol={tol:.0e}) stopped with {len(w)}/{k} converged "
                             "Ritz pairs")
                stopped = True
                if len(w) == 0:
                    raise _MethodFailed("shift-invert ARPACK converged no eigenpair") from exc
            except spla.ArpackError as exc:
                raise _MethodFailed(f"shift-invert ARPACK failed: {exc}") from exc
        if tol == tight or (stopped and prob.maxiter is None and prob.arpack_maxiter is not None):
            # out of auto's restart budget at the loose tolerance: the tight run, on the same
            # budget, would not converge either (nos6, k=6: 10 wasted restarts, now 5)
            break
        # the wanted pairs (those nearest sigma, or the code's); their true residuals decide
        near = select_which(np.asarray(w), pick, target, wanted)
        res, scale = pair_residuals(prob.A, prob.M, w[near], V[:, near], ascale=prob.scale)
        if len(near) == wanted and np.all(res <= prob.tol * scale):
            notes.append(f"ARPACK at tol={tol:.0e} already met tol={prob.tol:.0e} in every "
                         "recomputed residual")
            break
        notes.append(f"ARPACK at tol={tol:.0e} left residuals up to {np.max(res / scale):.1e} "
                     f"(relative); rerun at tol={tight:.0e} from their sum")
        v0 = V[:, near].sum(axis=1)
    return w, V, stopped
