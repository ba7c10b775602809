"""LOBPCG, preconditioned (approx-chol, AMG, ILU, Jacobi), with the null vectors as constraints.

The iteration is sparsekit's kernel (:mod:`._block_lobpcg`: half the passes
over the block of SciPy's, and it stops when the ``k`` wanted pairs have
converged, not the whole block); SciPy's LOBPCG, in chunks
(:func:`_next_chunk`), where the kernel breaks down.  For the smallest pairs
with AMG, LOBPCG starts from the hierarchy (a cascade,
:func:`_multilevel_start`) and often needs few fine-level iterations, or
none.  Complex
Hermitian matrices run the same steps with complex blocks.  A problem too
small for the block (SciPy's rule ``n >= 5 m``, below which SciPy's LOBPCG
switches to a dense solver itself) is solved densely here (:func:`_dense_pencil`).
"""

from __future__ import annotations

import copy
import math
import time
import warnings

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ... import _progress
from ...errors import InputValueError, NotSPDError
from .._plan_solve import approx_chol_fits
from .._threads import single_thread_blas
from ..precond import approx_chol_available, preconditioner
from ._block_lobpcg import block_lobpcg
from ._problem import (
    LAPLACIAN_SHIFT,
    _MethodFailed,
    _Problem,
    _Raw,
    _ritz_residuals,
    _times_m,
    _with_null,
)

__all__ = ["LOBPCG_CHUNK", "LOBPCG_EXTRA", "CASCADE_MIN_ROWS_PER_VECTOR", "CASCADE_MIN_WANTED",
           "CASCADE_MIN_TOL", "CASCADE_DENSE_MAX",
           "CASCADE_ITERS", "CASCADE_FINE_SWEEPS"]

#: Where sparsekit's kernel breaks down (:func:`_lobpcg_run`), SciPy's LOBPCG runs
#: instead, in chunks of this many iterations, stopping as soon as the k wanted
#: pairs have converged (SciPy's stops only when the whole block has, extra vectors
#: included).  Each chunk restarts from the current block (the search directions are
#: lost), so chunks must not be too short.  Measured: grid_shortcuts_1000, Fiedler
#: pair, block of 2, AMG: 77 iterations in one call, 50 in chunks of 10; a random
#: 6-regular graph with 4,200 nodes, k=5, block of 8, Jacobi: 433 iterations in one
#: call, 155 in chunks of 20, 159 in chunks of 40, no convergence in 500 with 10.
LOBPCG_CHUNK = 20

#: Extra LOBPCG block vectors beyond the k wanted (at most k of them; none for one
#: wanted pair).  One pair alone: the extra vector saves iterations but doubles each one's
#: work.  Measured with approx_chol (one BLAS thread, quiet machine), Fiedler pair:
#: grid_shortcuts_1000 block of 1 81 iterations 5.8 s, block of 2 64 iterations 8.2 s;
#: grid_shortcuts_300 0.48 s and 0.47 s; luxembourg_osm 0.08 s and 0.11 s.
LOBPCG_EXTRA = 4

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

#: With approx-chol as the preconditioner, LOBPCG still starts from an AMG cascade when
#: at least ``CASCADE_MIN_WANTED`` pairs are wanted to a relative tolerance of at least
#: ``CASCADE_MIN_TOL`` (the hierarchy is built for the start alone, approx-chol only if
#: LOBPCG must iterate from it).  Measured on grid_shortcuts_1000, the 8 smallest pairs
#: of L u = λ D u: tol=1e-3, the cascade alone met tol, 4.5-5.9 s (Ritz values 7.4% off),
#: against 8.3 s for approx-chol from a random block (14% off); tol=1e-8, the cascade
#: saved no iteration (59 against 55-62) and its hierarchy cost 3-5 s (58.3 s against
#: 49.5 s).  One wanted pair (the Fiedler pair) starts from a random vector.
CASCADE_MIN_WANTED = 2
CASCADE_MIN_TOL = 1e-4
CASCADE_DENSE_MAX = 4000
CASCADE_ITERS = 3
CASCADE_FINE_SWEEPS = 4


def _lobpcg_kind(prob: _Problem) -> str:
    """The preconditioner ``precond="auto"`` stands for (the caller's otherwise)."""
    if prob.precond != "auto":
        return prob.precond
    if prob.which == "largest" or prob.props.operator:
        return "none"
    if approx_chol_fits(prob.props, prob.n) and not prob.complex and approx_chol_available():
        return "approx_chol"  # as the plan (_plan._lobpcg_precond)
    if prob.laplacian or prob.props.diag_sign == "positive":
        return "amg"
    # LOBPCG needs a positive definite preconditioner: Jacobi is not one on a diagonal with
    # a zero or negative entry (a zero one made it raise, issue 18; a negative one diverge)
    return "none"


def _lobpcg_precond(prob: _Problem, kind: str):
    """``(LinearOperator or None, kind, AMG hierarchy or None)`` of the preconditioner."""
    if kind == "none":
        return None, "none", None
    A = prob.A
    if kind == "amg" and prob.laplacian:
        # AMG on the singular Laplacian: a tiny diagonal shift keeps the coarse solve regular
        A = sp.csr_array(A + (LAPLACIAN_SHIFT * prob.scale) * sp.eye_array(prob.n))
    try:
        P = preconditioner(A, kind, **({"symmetric": True} if kind == "amg" else {}))
    except InputValueError as exc:  # e.g. Jacobi on a zero diagonal entry
        raise _MethodFailed(f"LOBPCG's preconditioner {kind!r} cannot be built: {exc}") from exc
    return P.aslinearoperator(), kind, P.hierarchy


def _multilevel_start(prob: _Problem, ml, m: int, Y):
    """LOBPCG's starting block and its Ritz values from the AMG hierarchy (a cascade), or None.

    The steps, numbered as in the code:

    1. Choose the coarsest level with at least ``CASCADE_MIN_ROWS_PER_VECTOR``
       rows per wanted vector (the ``m`` wanted plus the null vectors ``Y``),
       and give up when it has more than ``CASCADE_DENSE_MAX`` rows.
    2. Restrict the pencil to every level: ``A_l`` is PyAMG's Galerkin
       operator, ``M_l = P_lᵀ M_(l-1) P_l``.
    3. Solve the pencil densely on that level.
    4. Prolongate level by level, with ``CASCADE_ITERS`` LOBPCG iterations on
       each intermediate level (preconditioned by the rest of the hierarchy).
    5. Prolongate to the finest level.
    6. ``CASCADE_FINE_SWEEPS`` damped Jacobi sweeps on ``(A − λM) x = 0``
       smooth the interpolation error.
    7. Project the null vectors ``Y`` out.
    8. Rayleigh–Ritz: the ``m`` smallest Ritz vectors of what remains are the start.

    Only a start: the caller checks every wanted residual, and runs the
    fine-level LOBPCG unless they already meet ``tol``.
    """
    levels = getattr(ml, "levels", None)
    c = 0 if Y is None else Y.shape[1]
    want = m + c
    if levels is None or len(levels) < 2:
        return None
    # 1
    sizes = [lv.A.shape[0] for lv in levels]
    fit = [i for i in range(1, len(levels)) if sizes[i] >= CASCADE_MIN_ROWS_PER_VECTOR * want]
    if not fit or sizes[fit[-1]] > CASCADE_DENSE_MAX:
        return None
    s0 = fit[-1]
    # 2
    masses = [prob.M]
    for lv in levels[:s0]:
        R = getattr(lv, "R", None)
        R = lv.P.T.conj().tocsr() if R is None else R  # symmetric SA: R = Pᴴ, kept as CSR
        masses.append(sp.csr_array(R @ (lv.P if masses[-1] is None else masses[-1] @ lv.P)))
    try:
        # 3
        _, X = la.eigh(levels[s0].A.toarray(), masses[s0].toarray(),
                       subset_by_index=[0, want - 1])
        # 4
        for i in range(s0 - 1, 0, -1):
            X = levels[i].P @ X
            sub = copy.copy(ml)
            sub.levels = levels[i:]
            _, X = spla.lobpcg(levels[i].A, X, B=masses[i], M=sub.aspreconditioner(),
                               tol=0.0, maxiter=CASCADE_ITERS, largest=False)
        # 5
        X = levels[0].P @ X
        # 6: damped Jacobi on (A − λ M) x = 0, λ the Rayleigh quotients: removes the
        # high-frequency error interpolation leaves, for a few block products
        diag = prob.A.diagonal().real
        dinv = np.divide(2.0 / 3.0, diag, out=np.zeros_like(diag), where=diag > 0)[:, None]
        for _ in range(CASCADE_FINE_SWEEPS):
            AX = prob.A @ X
            MX = _times_m(prob, X)
            lam = (np.einsum("ij,ij->j", X.conj(), AX).real
                   / np.einsum("ij,ij->j", X.conj(), MX).real)
            AX -= MX * lam
            AX *= dinv
            X -= AX
        # 7
        if Y is not None:
            X = X - Y @ (Y.conj().T @ _times_m(prob, X))
        # 8
        G = X.conj().T @ _times_m(prob, X)
        H = X.conj().T @ (prob.A @ X)
        w, C = la.eigh(0.5 * (H + H.conj().T), 0.5 * (G + G.conj().T),
                       subset_by_index=[0, m - 1])
    except (np.linalg.LinAlgError, ValueError):
        return None
    return w, X @ C


def _next_chunk(hist, k: int, res: float, tol: float) -> int:
    """Length of the next LOBPCG chunk: the last chunk's rate extrapolated to ``tol``.

    ``hist`` is SciPy's residual history (block in LOBPCG's order, the wanted
    ``k`` first); ``res`` the wanted pairs' largest residual now.  Two
    iterations are added for the search directions a restart loses.

    Examples
    --------
    >>> from sparsekit.linalg._eigen._lobpcg import _next_chunk
    >>> _next_chunk([[1.0], [0.5], [0.25], [0.125], [0.0625], [0.03125]], 1, 0.03125, 1e-3)
    7
    """
    h = [float(np.max(np.abs(np.asarray(r)[:k]))) for r in hist if np.size(r) >= k]
    if len(h) < 6 or not 0 < h[-1] < h[-6] or res <= 0:
        return LOBPCG_CHUNK
    rate = (h[-1] / h[-6]) ** 0.2
    need = math.ceil(math.log(tol / res) / math.log(rate)) + 2
    return int(min(max(need, 3), LOBPCG_CHUNK))


def _run_lobpcg(prob: _Problem) -> _Raw:
    """LOBPCG for the smallest or largest pairs, the null vectors as constraints.

    1. The block: the ``k`` wanted pairs less the deflated null vectors, plus
       up to ``LOBPCG_EXTRA`` more; a problem too small for it (``n < 5 m``)
       is solved densely (:func:`_dense_pencil`).
    2. The preconditioner (``precond="auto"``: AMG for the smallest pairs of a
       Laplacian or a matrix with a positive diagonal).
    3. The start: the AMG cascade (:func:`_multilevel_start`) when it applies,
       else a seeded random block (``v0`` its first column).
    4. LOBPCG until the wanted pairs converge (:func:`_lobpcg_run`: sparsekit's
       kernel, SciPy's in chunks where it breaks down), skipped when the
       cascade's pairs already meet ``tol``.
    5. The null vectors put back in front, exactly.
    """
    if prob.which not in ("smallest", "largest"):
        raise _MethodFailed(f"LOBPCG computes the smallest or largest eigenpairs, not "
                            f"which={prob.which!r}; use method='shift_invert' or 'arpack'")
    n = prob.n
    t0 = time.perf_counter()
    # 1
    Y = prob.null_vectors() if prob.deflate() else None
    k = prob.k - (Y.shape[1] if Y is not None else 0)
    notes: list[str] = []
    if k <= 0:
        return _Raw(*_with_null(prob, np.zeros(0), np.zeros((n, 0))), 0,
                    time.perf_counter() - t0, 0.0,
                    notes=(f"all {prob.k} smallest are null vectors",))
    # a few extra block vectors speed up convergence of the last wanted pair
    free = n - (0 if Y is None else Y.shape[1])
    extra = min(k, LOBPCG_EXTRA) if k > 1 else 0
    m = max(min(k + extra, max(1, free // 5)), k)
    if free < 5 * m:
        return _dense_pencil(prob, time.perf_counter() - t0)
    # 2
    kind = _lobpcg_kind(prob)
    if kind == "approx_chol" and k >= CASCADE_MIN_WANTED and prob.tol >= CASCADE_MIN_TOL \
            and prob.which != "largest" and prob.v0 is None:
        # the AMG hierarchy for the cascade start only; approx-chol if LOBPCG must iterate
        Mprec, hierarchy = None, _lobpcg_precond(prob, "amg")[2]
    else:
        Mprec, kind, hierarchy = _lobpcg_precond(prob, kind)
    t1 = time.perf_counter()
    tol = 0.5 * prob.tol * prob.scale
    its = 0
    late = 0.0  # a preconditioner built after the cascade start: setup time, not solve
    with single_thread_blas(), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        # 3
        w, X, done = _lobpcg_start(prob, hierarchy, m, Y, k, tol, notes)
        # 4
        if not done:
            if Mprec is None and kind != "none":
                tp = time.perf_counter()
                Mprec, kind, _ = _lobpcg_precond(prob, kind)
                late = time.perf_counter() - tp
                notes.append(f"the AMG hierarchy was built for the cascade start; {kind} "
                             "preconditions the iterations")
            w, X, its = _lobpcg_run(prob, X, Mprec, Y, k, tol, notes)
    t2 = time.perf_counter()
    if done:
        notes.append("the cascade's Ritz pairs already met tol: no fine-level LOBPCG iteration")
        kind = "amg" if Mprec is None else kind  # the hierarchy made the answer
    # 5
    w, V = w[:k], X[:, :k]
    if Y is not None:
        w, V = _with_null(prob, w, V)
        notes.append(f"{Y.shape[1]} null vector(s) (one per connected component) passed to "
                     "LOBPCG as constraints and returned exactly")
    notes.append(f"LOBPCG block size {m} for k={k}")
    return _Raw(w, V, its, t1 - t0 + late, t2 - t1 - late, precond=kind, notes=tuple(notes))


def _lobpcg_start(prob: _Problem, hierarchy, m: int, Y, k: int, tol: float, notes):
    """LOBPCG's first block ``(w, X, done)``: the cascade's, else a seeded random one.

    ``w`` is None for the random block; ``done`` says whether the cascade's
    ``k`` wanted Ritz pairs already meet ``tol``.
    """
    start = None
    if hierarchy is not None and prob.which != "largest" and prob.v0 is None:
        _progress.report("cascade", n=prob.n, k=k)
        tc = time.perf_counter()
        start = _multilevel_start(prob, hierarchy, m, Y)
        if start is not None:
            notes.append("LOBPCG started from eigenvectors of the AMG hierarchy's coarse "
                         f"levels (cascade, {time.perf_counter() - tc:.3g}s)")
    if start is None:
        rng = np.random.default_rng(0)
        X = rng.standard_normal((prob.n, m))
        if prob.complex:
            X = X + 1j * rng.standard_normal((prob.n, m))
        if prob.v0 is not None:
            v0 = prob.v0 if Y is None else prob.v0 - Y @ (Y.conj().T @ _times_m(prob, prob.v0))
            if np.linalg.norm(v0) > 1e-8 * np.linalg.norm(prob.v0):
                X[:, 0] = v0
            else:  # v0 lies in the deflated null space: LOBPCG would break down on it
                notes.append("v0 lies in the null space passed as constraints: not used")
        return None, X, False
    w, X = start
    return w, X, bool(np.all(_ritz_residuals(prob, w[:k], X[:, :k]) <= tol))


def _lobpcg_run(prob: _Problem, X, Mprec, Y, k: int, tol: float, notes: list):
    """LOBPCG from the block ``X`` until the ``k`` wanted pairs converge: ``(w, X, iterations)``.

    sparsekit's kernel (:func:`._block_lobpcg.block_lobpcg`: the same method as
    SciPy's, with half the passes over the block and a stop when the ``k``
    wanted pairs have converged); SciPy's in chunks (:func:`_lobpcg_chunks`)
    where the kernel breaks down.
    """
    largest = prob.which == "largest"
    maxiter = prob.maxiter if prob.maxiter is not None else 500
    watched = _progress.watched(Mprec, "lobpcg", residual_scale=prob.scale, tol=prob.tol / 2)
    try:
        w, X1, its, _ = block_lobpcg(prob.A, X, B=prob.M, T=watched, Y=Y, k=k, tol=tol,
                                     maxiter=maxiter, largest=largest)
        return w, X1, its
    except np.linalg.LinAlgError as exc:
        notes.append(f"sparsekit's LOBPCG kernel broke down ({exc}): SciPy's lobpcg instead")
    return _lobpcg_chunks(prob, X, Mprec, Y, k, tol)


def _lobpcg_chunks(prob: _Problem, X, Mprec, Y, k: int, tol: float):
    """SciPy's LOBPCG from the block ``X`` until the ``k`` wanted pairs converge.

    SciPy's LOBPCG stops only when every block vector has converged; the
    extra ones need not, so with extra vectors it runs in chunks
    (:func:`_next_chunk`) and stops when the ``k`` wanted pairs have.  Returns
    ``(w, X, iterations)``, sorted (descending for the largest).
    """
    m = X.shape[1]
    largest = prob.which == "largest"
    maxiter = prob.maxiter if prob.maxiter is not None else 500
    its = 0
    chunk = LOBPCG_CHUNK
    Mprec = _progress.watched(Mprec, "lobpcg", residual_scale=prob.scale, tol=prob.tol / 2)
    while its < maxiter:  # each chunk counts at least one iteration
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
            return w, X, its
        res = _ritz_residuals(prob, w[:k], X[:, :k])
        _progress.report("lobpcg", k=k, worst=res.max() / prob.scale, tol=prob.tol / 2)
        if np.all(res <= tol):
            return w, X, its
        chunk = _next_chunk(hist, k, float(res.max()), tol)
    return w, X, its  # not reached: the chunk that reaches maxiter returns


def _dense_pencil(prob: _Problem, setup: float) -> _Raw:
    """The pencil solved densely: ``n`` is too small for LOBPCG's block (``n < 5 m``).

    SciPy's ``lobpcg`` switches to a dense solver itself below that size (and
    then returns neither its history nor its constraints' effect); sparsekit
    does it here, over the whole pencil, and says so.
    """
    t0 = time.perf_counter()
    if prob.props.operator:
        A = prob.A @ np.eye(prob.n, dtype=prob.dtype)
    else:
        A = prob.A.toarray() if sp.issparse(prob.A) else np.asarray(prob.A)
    M = None if prob.M is None else (prob.M.toarray() if sp.issparse(prob.M)
                                     else np.asarray(prob.M))
    n, k = prob.n, prob.k
    subset = [n - k, n - 1] if prob.which == "largest" else [0, k - 1]
    try:
        w, V = la.eigh(A, M, subset_by_index=subset)
    except np.linalg.LinAlgError as exc:
        raise NotSPDError(f"M must be symmetric positive definite ({exc})") from exc
    return _Raw(w, V, 0, setup, time.perf_counter() - t0,
                notes=(f"n={n} is too small for LOBPCG's block (SciPy's lobpcg needs n >= 5 "
                       "times the block size): the pencil was solved densely",))
