"""The linear solve: PETSc's KSP and PC on the matrix distributed by rows.

:func:`run_solve` takes a request validated by
:func:`sparsekit._requests.solve_request` and does what needs the matrix:
distribute it, check ``b`` against it, choose the Krylov method and
preconditioner from its facts (:func:`_choose_solver`), configure the KSP
(:func:`_configure_ksp`), solve every column with a restart while the true
residual misses the tolerance (:func:`_solve_column`) and translate the
outcome into a :class:`~sparsekit.results.SolveResult` (:func:`_solve_result`).
:func:`solve` is the keyword form of the same call.
"""

from __future__ import annotations

import time
from typing import NamedTuple

import numpy as np

from ... import _validate
from ..._requests import SolveRequest, shape_of, solve_request
from ...errors import BackendError, InputValueError, report_nonconvergence
from ...results import SolveResult
from ._distribute import _allgather, _Distributed, _petsc
from ._options import _petsc_object, _reason_words

__all__ = ["solve", "run_solve", "KSP_METHODS", "PC_TYPES", "SOLVE_OPTIONS"]

#: ``method=`` of :func:`solve` -> KSP type (``"auto"`` is resolved first).
KSP_METHODS = {
    "auto": None,
    "cg": "cg",
    "minres": "minres",
    "gmres": "gmres",
    "bicgstab": "bcgs",
    "direct": "preonly",
}

#: ``precond=`` -> PC type (``"auto"`` is resolved from the method and matrix).
PC_TYPES = {
    "auto": None,
    "none": "none",
    "jacobi": "jacobi",
    "ilu": "bjacobi",  # block Jacobi over the ranks, ILU(0) inside each block
    "amg": "gamg",
    "gamg": "gamg",
    "hypre": "hypre",  # BoomerAMG, where PETSc was built with hypre
    "direct": "lu",  # a parallel LU (SuperLU_dist or MUMPS, see _DIRECT_SOLVERS)
    "lu": "lu",
}

#: Expert keyword options of ``sk.solve(..., backend="petsc")``.
SOLVE_OPTIONS = {
    "options": "PETSc options database entries for this solve, without prefix "
               "({'ksp_gmres_restart': 100})",
    "gather": "return the full x on every rank (default True), or only this rank's rows",
}

# Parallel LU packages in order of preference.  MUMPS pivots (threshold partial
# pivoting inside its fronts), so it is the one for indefinite and nonsymmetric
# matrices; SuperLU_dist pivots statically (it hit a zero pivot on a shifted 1-D
# Laplacian) but its triangular solves were much faster here (2 ranks, Debian's
# PETSc 3.18: shift-invert on the Laplacian of luxembourg_osm, 114k rows, ~30
# solves, 52.7 s of MUMPS MatSolve against 12.6 s), so it is the one for the
# positive definite A - sigma I of the smallest eigenvalues.  See docs/mpi.md.
_DIRECT_SOLVERS = {"general": ("mumps", "superlu_dist"), "definite": ("superlu_dist", "mumps")}

#: How often a column is restarted from its iterate when PETSc's recursive residual met the
#: tolerance but the true residual did not (iterative refinement; bounded).
_RESTARTS = 2


def solve(
    A,
    b,
    *,
    method="auto",
    precond="auto",
    rtol=1e-8,
    atol=0.0,
    maxiter=None,
    x0=None,
    M=None,
    callback=None,
    strict=False,
    options=None,
    gather=True,
) -> SolveResult:
    """Solve ``A x = b`` with PETSc's KSP, the matrix distributed by rows (collective).

    Every rank calls this with the same arguments.  The convergence test is
    sparsekit's: ``‖b − A x‖ ≤ max(rtol·‖b‖, atol)`` on the true residual,
    recomputed in parallel at the end (PETSc is set to monitor the
    unpreconditioned residual where the method allows it).

    Parameters
    ----------
    A : sparse matrix or array, or DistributedMatrix
        Square and real.  A full matrix held by every rank is split by rows
        (:func:`row_range`); a :class:`DistributedMatrix` already is.
    b : ndarray, shape (n,) or (n, k)
        The right-hand side(s), full length on every rank.
    method : {"auto", "cg", "minres", "gmres", "bicgstab", "direct"}, default="auto"
        KSP type (:data:`KSP_METHODS`): CG, MINRES, GMRES, BiCGStab (KSPBCGS),
        or one application of a parallel LU (KSPPREONLY + PCLU with SuperLU_dist or MUMPS).
    precond : {"auto", "none", "jacobi", "ilu", "amg", "gamg", "hypre", "direct", "lu"}
        Default "auto".  PC type (:data:`PC_TYPES`); ``"amg"`` is PCGAMG, ``"hypre"`` BoomerAMG.
    rtol, atol : float, default=1e-8, 0.0
        Tolerances, SciPy's meaning.
    maxiter : int, optional
        Iteration cap, default ``10 n`` as in SciPy.
    x0 : ndarray, optional
        Initial guess, same shape as ``b``.
    M : sparse matrix or LinearOperator, optional
        Your own preconditioner (approximates ``A⁻¹``), applied to the gathered
        vector on every rank (a PETSc python PC; convenient, not scalable).
    callback : callable, optional
        ``callback(xk)`` after every iteration with the gathered iterate.
    strict : bool, default=False
        Raise :class:`~sparsekit.NoConvergence` instead of warning.
    options : dict, optional
        PETSc options for experts, without prefix, e.g.
        ``{"ksp_gmres_restart": 100, "pc_gamg_threshold": 0.02}``; an option
        PETSc rejects or does not use raises :class:`~sparsekit.BackendError`.
    gather : bool, default=True
        Return the full ``x`` on every rank; ``False`` returns only this
        rank's rows ``start:stop`` (see ``notes``).

    Returns
    -------
    SolveResult
        ``backend="petsc"``; ``residuals`` is PETSc's residual history
        (of the last column); ``notes`` carry PETSc's converged reason.

    Raises
    ------
    MissingDependencyError
        Without petsc4py (install with ``bash scripts/install-petsc.sh``).
    BackendError
        When PETSc rejects an option or fails in setup.

    See Also
    --------
    scipy.sparse.linalg.cg, petsc4py.PETSc.KSP

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> from sparsekit.backends import petsc_
    >>> A = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(50, 50), format="csr")
    >>> r = petsc_.solve(A, np.ones(50))  # doctest: +SKIP
    >>> r.converged, r.backend  # doctest: +SKIP
    (True, 'petsc')
    """
    request = solve_request(
        shape_of(A), shape_of(b), backend="petsc", method=method, precond=precond, rtol=rtol,
        atol=atol, maxiter=maxiter, x0=x0, M=M, callback=callback, strict=strict, check=True,
        options={"options": options, "gather": gather}, methods=KSP_METHODS,
        preconds=PC_TYPES, option_names=SOLVE_OPTIONS,
    )
    return run_solve(A, b, request)


def run_solve(A, b, request: SolveRequest) -> SolveResult:
    """``sk.solve`` on this backend, from a validated :class:`~sparsekit._requests.SolveRequest`.

    Only what needs the matrix is checked here: its entries and layout, ``b``
    and ``x0`` against its size, and the combinations this backend refuses.
    """
    r = request
    PETSc = _petsc()
    options, gather = r.options.get("options"), bool(r.options.get("gather", True))
    if r.method == "direct" and r.M is not None:
        raise InputValueError("method='direct' takes no preconditioner M (got M)")
    t0 = time.perf_counter()
    with _Distributed(PETSc, A) as dist:
        n = dist.n
        b = _validate.as_rhs(b, n)
        x0 = None if r.x0 is None else _validate.as_rhs(r.x0, n, "x0").reshape(n, -1)
        maxiter = 10 * n if r.maxiter is None else r.maxiter
        facts = dist.facts(PETSc, symmetry=(r.method == "auto"))
        # with M the precond is "none" only to resolve the method; M replaces the PC
        method, precond, notes = _choose_solver(
            r.method, "none" if r.M is not None else r.precond, facts)
        precond = "user" if r.M is not None else precond
        about = f"KSP {KSP_METHODS[method]} with PC {precond}"
        with _petsc_object(PETSc, PETSc.KSP, options, "PETSc", about) as handle:
            ksp = handle.obj
            notes += _attach_null_space(PETSc, dist, facts, method)
            handle.about = _configure_ksp(PETSc, ksp, dist, method, precond, r.M, r.rtol,
                                          r.atol, maxiter)
            if r.callback is not None:
                ksp.setMonitor(_monitor(PETSc, r.callback, n))
            handle.set_up()
            notes.append(_ran(ksp))
            t_setup = time.perf_counter() - t0
            t1 = time.perf_counter()
            restarts = 0 if method == "direct" else _RESTARTS
            columns = [
                _solve_column(PETSc, ksp, dist, bj, None if x0 is None else x0[:, j],
                              r.rtol, r.atol, restarts, j)
                for j, bj in enumerate(b.reshape(n, -1).T)
            ]
        t_solve = time.perf_counter() - t1
        if not gather:
            notes.append(f"x holds rows {dist.start}:{dist.stop} of this rank (gather=False)")
        x_cols = [_allgather(PETSc, c.x, n) if gather else c.x for c in columns]
    return _solve_result(x_cols, b.ndim, columns, method, precond, notes,
                         {"setup": t_setup, "solve": t_solve}, r, PETSc.COMM_WORLD.getSize())


def _choose_solver(method: str, precond: str, facts: dict) -> tuple[str, str, list[str]]:
    """Resolve ``"auto"`` from the matrix's facts; return the method, PC and the reasons."""
    reasons = []
    if method == "auto":
        if facts["symmetric"] and facts["positive_diagonal"]:
            method = "cg"
            reasons.append("symmetric with a positive diagonal: CG (assumes SPD)")
        elif facts["symmetric"]:
            method = "minres"
            reasons.append("symmetric without a positive diagonal: MINRES")
        else:
            method = "gmres"
            reasons.append("not symmetric: GMRES")
    if precond == "auto":
        if method == "direct":
            precond = "direct"
        elif method == "cg":
            precond = "amg"
            reasons.append("CG: smoothed-aggregation AMG (PCGAMG) scales across ranks")
        elif method == "minres":
            precond = "jacobi" if facts["positive_diagonal"] else "none"
        else:
            precond = "ilu"
            reasons.append(f"{method}: block Jacobi with ILU(0) in each rank's block")
    if method == "direct" and precond not in ("direct", "lu"):
        raise InputValueError(
            f"method='direct' factorizes the matrix; precond must be 'auto' or 'direct' "
            f"(got precond={precond!r})"
        )
    return method, precond, reasons


def _direct_solver_type(PETSc, kind: str = "general") -> str | None:
    """The first parallel LU package this PETSc has for ``kind``, else None (PETSc's own LU)."""
    has = getattr(PETSc.Sys, "hasExternalPackage", None)
    for pkg in _DIRECT_SOLVERS[kind]:
        if has is None or has(pkg):
            return pkg
    return None


def _configure_pc(PETSc, pc, pc_type: str, size: int, kind: str = "general") -> str:
    """Set the PC to ``pc_type`` (a key of :data:`PC_TYPES`); return a description of what runs."""
    pc.setType(PC_TYPES[pc_type])
    if pc_type in ("direct", "lu"):
        solver = _direct_solver_type(PETSc, kind)
        if solver is None and size > 1:
            raise BackendError(
                "no parallel direct solver (SuperLU_dist, MUMPS) in this PETSc build"
            )
        if solver:
            pc.setFactorSolverType(solver)
        return f"lu ({solver or 'petsc'})"
    if pc_type == "hypre":
        pc.setHYPREType("boomeramg")
        return "hypre boomeramg"
    if pc_type == "ilu":
        return "bjacobi + ilu(0)"
    if pc_type in ("amg", "gamg"):
        return "gamg"
    return pc_type


def _attach_null_space(PETSc, dist: _Distributed, facts: dict, method: str) -> list[str]:
    """Project the constants out of a singular Laplacian's Krylov iterates (not with LU)."""
    if not facts["constant_null_space"] or method == "direct":
        return []
    ns = PETSc.NullSpace().create(constant=True, comm=PETSc.COMM_WORLD)
    dist.mat.setNullSpace(ns)
    dist.mat.setTransposeNullSpace(ns)
    ns.destroy()  # the matrix holds its own reference
    return ["rows sum to zero (a Laplacian): constants projected out (PETSc null space)"]


def _configure_ksp(PETSc, ksp, dist: _Distributed, method: str, precond: str, M, rtol: float,
                   atol: float, maxiter: int) -> str:
    """Set the KSP type, its PC (or the user's ``M``), tolerances and the norm PETSc tests.

    Returns what runs, for messages (``"KSP cg with PC gamg"``).
    """
    ksp.setOperators(dist.mat)
    ksp.setType(KSP_METHODS[method])
    pc = ksp.getPC()
    if M is not None:
        pc.setType("python")
        pc.setPythonContext(_ShellPC(M, dist.start, dist.stop, dist.n))
        pc_desc = "user M"
    else:
        pc_desc = _configure_pc(PETSc, pc, precond, PETSc.COMM_WORLD.getSize())
    if method == "direct":
        ksp.setTolerances(max_it=1)
    else:
        ksp.setTolerances(rtol=rtol, atol=atol, divtol=1e30, max_it=maxiter)
        # the residual PETSc tests must be the true (unpreconditioned) one
        if method in ("gmres", "bicgstab"):
            ksp.setPCSide(PETSc.PC.Side.RIGHT)
        if method != "minres":
            ksp.setNormType(PETSc.KSP.NormType.UNPRECONDITIONED)
    ksp.setConvergenceHistory(length=min(maxiter, 100000) + 1, reset=True)
    return f"KSP {KSP_METHODS[method]} with PC {pc_desc}"


def _ran(ksp) -> str:
    """What PETSc set up, read back from the objects (options may have changed it)."""
    return f"PETSc ran KSP {ksp.getType()} with PC {_pc_words(ksp.getPC())}"


def _pc_words(pc) -> str:
    """A set-up PC's type, with the factorization package of an LU (``"lu (mumps)"``)."""
    kind = pc.getType()
    if kind == "lu" and hasattr(pc, "getFactorSolverType"):
        return f"{kind} ({pc.getFactorSolverType()})"
    return kind


class _Column(NamedTuple):
    """One column's outcome: this rank's rows of ``x`` and how the solve went."""

    x: np.ndarray
    iterations: int
    converged: bool
    relative_residual: float
    history: np.ndarray
    notes: list


def _solve_column(PETSc, ksp, dist: _Distributed, b_j, x0_j, rtol: float, atol: float,
                  restarts: int, j: int) -> _Column:
    """Solve for column ``j``; restart from ``x`` while only PETSc's residual met the tolerance.

    PETSc's recursive residual can meet the tolerance while the true one
    does not; then the solve restarts from ``x`` (at most ``restarts``
    times), as iterative refinement.  The true residual ``‖b − A x‖`` is
    recomputed in parallel after every pass.
    """
    bv, xv, rv = dist.mat.createVecLeft(), dist.mat.createVecRight(), dist.mat.createVecLeft()
    try:
        bv.setArray(dist.local_vector(b_j))
        xv.setArray(0.0 if x0_j is None else dist.local_vector(x0_j))
        ksp.setInitialGuessNonzero(x0_j is not None)
        its, passes, history = 0, 0, []
        while True:
            ksp.solve(bv, xv)
            its += ksp.getIterationNumber()
            reason = int(ksp.getConvergedReason())
            history.append(np.asarray(ksp.getConvergenceHistory(), dtype=float))
            dist.mat.mult(xv, rv)
            rv.aypx(-1.0, bv)
            rnorm, bnorm = rv.norm(), bv.norm()
            ok = _validate.is_converged(rnorm, bnorm, rtol, atol)
            passes += 1
            if ok or reason <= 0 or passes > restarts:
                break
            ksp.setInitialGuessNonzero(True)
        x = xv.getArray().copy()
    finally:
        for v in (bv, xv, rv):
            v.destroy()
    rel = rnorm / bnorm if bnorm > 0 else rnorm
    notes = []
    if passes > 1:
        notes.append(f"column {j}: restarted {passes - 1}x from x because the true residual "
                     "was above the tolerance PETSc's recursive residual had met")
    words = _reason_words(PETSc.KSP.ConvergedReason, reason)
    if reason <= 0 or not ok:
        stopped = "PETSc stopped: " if reason <= 0 else "PETSc reported: "
        notes.append(f"column {j}: {stopped}{words}; true relative residual {rel:.3e}")
    elif j == 0:
        notes.append(f"PETSc: {words}")
    return _Column(x, its, bool(ok), float(rel), np.concatenate(history), notes)


def _solve_result(x_cols, b_ndim: int, columns, method: str, precond: str, notes: list,
                  timings: dict, request: SolveRequest, size: int) -> SolveResult:
    """The :class:`SolveResult` of every column, and the non-convergence policy applied."""
    x = np.column_stack(x_cols) if b_ndim == 2 else x_cols[0]
    if size > 1:
        notes.append(f"distributed over {size} MPI ranks")
    for c in columns:
        notes.extend(c.notes)
    rel = max(c.relative_residual for c in columns)
    result = SolveResult(
        x=x,
        converged=all(c.converged for c in columns),
        iterations=0 if method == "direct" else max(c.iterations for c in columns),
        residuals=columns[-1].history,
        relative_residual=float(rel),
        method=method,
        precond=precond,
        backend="petsc",
        timings=timings,
        notes=tuple(notes),
    )
    if not result.converged:
        # stacklevel 5: the caller of sk.solve or of petsc_.solve (both reach here in 3 calls)
        report_nonconvergence(
            f"PETSc KSP {KSP_METHODS[method]} did not reach rtol={request.rtol:g}, "
            f"atol={request.atol:g} (true relative residual {rel:.3e})",
            result, request.strict, stacklevel=5)
    return result


def _monitor(PETSc, callback, n):
    """A KSP monitor calling ``callback(xk)`` with the gathered iterate after every iteration."""
    def monitor(ksp, its, rnorm):
        if its == 0:
            return
        xk = ksp.buildSolution()
        callback(_allgather(PETSc, xk.getArray(readonly=True), n))

    return monitor


class _ShellPC:
    """A user preconditioner ``M`` (applied to the gathered vector) as a PETSc python PC."""

    def __init__(self, M, start, stop, n):
        self.M, self.start, self.stop, self.n = M, start, stop, n

    def apply(self, pc, x, y):
        PETSc = _petsc()
        full = _allgather(PETSc, x.getArray(readonly=True), self.n)
        out = np.asarray(self.M @ full).ravel()
        y.setArray(out[self.start : self.stop])
