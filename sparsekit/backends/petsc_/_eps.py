"""The eigensolve: SLEPc's EPS (and its spectral transformation) on the distributed matrix.

:func:`run_eigsh` takes a request validated by
:func:`sparsekit._requests.eigen_request` (``which``/``sigma`` resolved,
``k < n``, tolerances checked) and does what needs the matrix: distribute
it (and ``M``), refuse a nonsymmetric one, choose the EPS type and spectral
transformation from its facts (:func:`_choose_eps`), configure them
(:func:`_configure_eps`), solve and recompute every pair's residual in
parallel (:func:`_run_eps`), and translate the outcome into an
:class:`~sparsekit.results.EigenResult` (:func:`_eigen_result`).
:func:`eigsh` is the keyword form of the same call.

SciPy's ``which`` codes arrive validated (``'SA'``/``'LA'`` as
``"smallest"``/``"largest"``): ``'LM'`` and ``'SM'`` without ``sigma`` are
SLEPc's ``LARGEST_MAGNITUDE``/``SMALLEST_MAGNITUDE`` on ``A`` itself
(Krylov–Schur, the same meaning); every other code (``'BE'``, or a code
with ``sigma``) is refused with the reason (:func:`_check_which`).  ``ncv``
is SLEPc's ``ncv``.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from typing import NamedTuple

import numpy as np

from ... import _validate
from ..._requests import EigenRequest, eigen_request, shape_of
from ...errors import InputValueError, NotSymmetricError, ShapeError, report_nonconvergence
from ...results import EigenResult
from ._distribute import _allgather, _Distributed, _petsc, _slepc
from ._ksp import _configure_pc, _pc_words
from ._options import _petsc_object, _reason_words

__all__ = ["eigsh", "run_eigsh", "EPS_METHODS", "EIG_PRECONDS", "EIGEN_OPTIONS"]

#: ``method=`` of :func:`eigsh` -> (EPS type, spectral transformation).
EPS_METHODS = {
    "auto": None,
    "shift_invert": ("krylovschur", "sinvert"),
    "krylovschur": ("krylovschur", "shift"),
    "lanczos": ("krylovschur", "shift"),
    "arpack": ("krylovschur", "shift"),  # the SciPy backend's name: SLEPc's Krylov-Schur
    "lobpcg": ("lobpcg", "precond"),
}

#: ``precond=`` of :func:`eigsh`: how the spectral transformation's systems are solved.
#: Each is also a key of :data:`~sparsekit.backends.petsc_.PC_TYPES`, with the same PC type.
EIG_PRECONDS = {
    "auto": None,
    "direct": "lu",
    "lu": "lu",
    "amg": "gamg",
    "jacobi": "jacobi",
    "ilu": "bjacobi",
    "none": "none",
}

#: Expert keyword options of ``sk.eigsh(..., backend="petsc")``.
EIGEN_OPTIONS = {
    "options": "SLEPc/PETSc options database entries, without prefix ({'eps_ncv': 40})",
}

#: SciPy's ``which`` codes SLEPc ranks the same way, on ``A`` itself (no ``sigma``).
_SLEPC_CODES = {"LM": "LARGEST_MAGNITUDE", "SM": "SMALLEST_MAGNITUDE"}

#: The methods that run Krylov–Schur on ``A`` itself, where SLEPc ranks those codes.
_PLAIN_METHODS = ("auto", "krylovschur", "lanczos", "arpack")

# The shift for the smallest eigenvalues of a positive semidefinite matrix, relative
# to its norm: close enough to 0 that the smallest eigenvalues stay well separated
# after inversion, far enough that A - sigma I of a singular Laplacian factorizes.
_SHIFT = 1e-12

#: SLEPc's tolerance, and the backward-error bound each pair is judged against, without tol=.
_EPS_TOL, _JUDGE_TOL = 1e-12, 1e-8

#: Inexact shift-invert: the relative tolerance of the inner solves.
_INNER_RTOL = 1e-12


def eigsh(
    A,
    *,
    k=6,
    which=None,
    sigma=None,
    M=None,
    method="auto",
    precond="auto",
    tol=None,
    maxiter=None,
    v0=None,
    strict=False,
    options=None,
) -> EigenResult:
    """Symmetric eigenpairs with SLEPc's EPS, the matrix distributed by rows (collective).

    ``which="smallest"`` without ``sigma`` uses Krylov–Schur with shift-and-invert
    (STSINVERT, a parallel LU by SuperLU_dist or MUMPS) at a small negative shift when the
    diagonal is nonnegative (then the matrix is taken to be positive
    semidefinite, as Laplacians and stiffness matrices are); the constant
    null vector of a Laplacian is then simply the first pair (eigenvalue 0).
    Otherwise Krylov–Schur runs on ``A`` itself.  Every pair's residual
    ``‖A v − λ M v‖`` is recomputed in parallel.

    Parameters
    ----------
    A : sparse matrix or array, or DistributedMatrix
        Real symmetric.
    k : int, default=6
        Number of eigenpairs.
    which : {"smallest", "largest", "nearest"} or None, default=None
        Which eigenvalues; None means ``"smallest"``, or ``"nearest"`` when
        ``sigma`` is given (``"nearest"`` needs ``sigma``, and ``sigma`` is
        only used with ``"nearest"``, as in ``sk.eigsh``).
    sigma : float, optional
        Find the eigenvalues nearest ``sigma`` (shift-and-invert).
    M : sparse matrix or DistributedMatrix, optional
        SPD mass matrix of the generalized problem ``A v = λ M v``.
    method : {"auto", "shift_invert", "krylovschur", "lanczos", "arpack", "lobpcg"}
        Default "auto".
        :data:`EPS_METHODS`.
    precond : {"auto", "direct", "lu", "amg", "jacobi", "ilu", "none"}, default="auto"
        How shift-and-invert's systems are solved (``"direct"``: parallel LU;
        ``"amg"``: CG + GAMG to 1e-12) or LOBPCG's preconditioner.
    tol : float, optional
        SLEPc's relative tolerance and the backward-error bound each pair is
        judged against: ``‖A v − λ M v‖ ≤ tol·(‖A‖∞ + |λ|‖M‖∞)``; default
        1e-12 for SLEPc and 1e-8 for the judgement.
    maxiter : int, optional
        EPS iteration cap (SLEPc's default otherwise).
    v0 : ndarray, optional
        Starting vector, full length.
    strict : bool, default=False
        Raise :class:`~sparsekit.NoConvergence` instead of warning.
    options : dict, optional
        SLEPc/PETSc options for experts, without prefix (``{"eps_ncv": 40}``).

    Returns
    -------
    EigenResult
        Values ascending, the full vectors on every rank, ``backend="petsc"``.

    See Also
    --------
    scipy.sparse.linalg.eigsh, slepc4py.SLEPc.EPS

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> from sparsekit.backends import petsc_
    >>> A = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(100, 100), format="csr")
    >>> e = petsc_.eigsh(A, k=3)  # doctest: +SKIP
    >>> e.values.round(6)  # doctest: +SKIP
    array([0.000967, 0.003869, 0.008703])
    """
    request = eigen_request(
        shape_of(A), backend="petsc", k=k, which=which, sigma=sigma, M=M, method=method,
        precond=precond, tol=tol, maxiter=maxiter, v0=v0, strict=strict, check=True,
        options={"options": options}, methods=EPS_METHODS, preconds=EIG_PRECONDS,
        option_names=EIGEN_OPTIONS,
    )
    return run_eigsh(A, request)


def run_eigsh(A, request: EigenRequest) -> EigenResult:
    """``sk.eigsh`` on this backend, from a validated :class:`~sparsekit._requests.EigenRequest`.

    Only what needs the matrix is checked here: symmetry, the layout of the
    rows of ``A`` and ``M``, the values of ``v0``, and the combinations that
    depend on the matrix (shift-invert without ``sigma`` needs a nonnegative
    diagonal).
    """
    r = request
    _check_which(r)
    PETSc, SLEPc = _petsc(), _slepc()
    t0 = time.perf_counter()
    with ExitStack() as stack:
        dist = stack.enter_context(_Distributed(PETSc, A))
        facts = dist.facts(PETSc)
        if not facts["symmetric"]:
            raise NotSymmetricError(
                f"A is not symmetric (got {dist.n}x{dist.n}); the petsc eigsh needs a symmetric "
                "matrix (Hermitian eigenproblem)"
            )
        mdist = None
        if r.M is not None:
            mdist = stack.enter_context(_Distributed(PETSc, r.M, "M"))
            if (mdist.start, mdist.stop) != (dist.start, dist.stop):
                raise ShapeError(
                    f"this rank holds rows {dist.start}:{dist.stop} of A but rows "
                    f"{mdist.start}:{mdist.stop} of M; build both for row_range(n)"
                )
        v0 = None if r.v0 is None else _validate.as_rhs(r.v0, dist.n, "v0")
        choice = _choose_eps(r.method, r.precond, r.which, r.sigma, facts)
        about = f"EPS {choice.eps_type} with ST {choice.st_type}"
        with _petsc_object(PETSc, SLEPc.EPS, r.options.get("options"), "SLEPc", about) as handle:
            notes = choice.notes + _configure_eps(PETSc, SLEPc, handle.obj, dist, mdist, choice,
                                                  r, v0)
            handle.set_up()
            notes.append(_ran(handle.obj, choice.st_type))
            t_setup = time.perf_counter() - t0
            t1 = time.perf_counter()
            run = _run_eps(PETSc, handle.obj, dist, mdist, r.k)
        mnorm = float(mdist.mat.norm(PETSc.NormType.INFINITY)) if mdist else 1.0
    t_solve = time.perf_counter() - t1
    words = _reason_words(SLEPc.EPS.ConvergedReason, run.reason)
    return _eigen_result(run, choice, words, notes, {"setup": t_setup, "solve": t_solve}, r,
                         facts["norm_inf"], mnorm, PETSc.COMM_WORLD.getSize())


def _check_which(request: EigenRequest) -> None:
    """Refuse a SciPy ``which`` code SLEPc cannot rank here, with the reason."""
    which = request.which
    if which in ("smallest", "largest", "nearest"):
        return
    if which in _SLEPC_CODES and request.sigma is None and request.method in _PLAIN_METHODS:
        return
    sig = "" if request.sigma is None else f" with sigma={request.sigma!r}"
    raise InputValueError(
        f"which={which!r}{sig} with method={request.method!r} cannot run on the PETSc "
        "backend: SLEPc ranks SciPy's 'LM'/'SM' (as LARGEST/SMALLEST_MAGNITUDE) with "
        f"Krylov-Schur on A itself ({', '.join(repr(m) for m in _PLAIN_METHODS)}, no sigma), "
        "and has no both-ends ('BE') or shift-invert ranking of SciPy's codes; use "
        "which='smallest'/'largest'/'nearest', or backend='scipy'"
    )


class _EpsChoice(NamedTuple):
    """What runs: the method (``"auto"`` resolved), EPS and ST types, the shift, the PC."""

    method: str
    eps_type: str
    st_type: str
    shift: float | None
    precond: str
    notes: list


def _choose_eps(method: str, precond: str, which: str, sigma: float | None,
                facts: dict) -> _EpsChoice:
    """Resolve ``"auto"`` (method and precond) from ``which`` and the matrix's facts.

    ``which`` and ``sigma`` come validated: ``sigma`` is given exactly when
    ``which == "nearest"``.  The smallest eigenvalues of a matrix with a
    nonnegative diagonal (taken as positive semidefinite) are found by
    shift-invert just below 0.
    """
    notes = []
    psd = which == "smallest" and facts["nonnegative_diagonal"]
    shift = sigma
    if method == "auto":
        method = "shift_invert" if which == "nearest" or psd else "krylovschur"
    if method == "shift_invert" and shift is None:
        if not psd:
            raise InputValueError(
                "method='shift_invert' needs sigma (or which='smallest' on a matrix with a "
                "nonnegative diagonal); pass sigma=..."
            )
        shift = -_SHIFT * max(facts["norm_inf"], 1e-300)
        notes.append(f"nonnegative diagonal, taken as positive semidefinite: shift-invert at "
                     f"sigma={shift:.3g} (just below 0)")
    if method == "lobpcg" and which == "nearest":
        raise InputValueError(
            "method='lobpcg' finds the smallest or largest eigenvalues; for those nearest "
            "sigma use method='shift_invert'"
        )
    types = EPS_METHODS[method]
    assert types is not None  # "auto" was resolved above
    eps_type, st_type = types
    if precond == "auto":
        precond = {"sinvert": "direct", "precond": "jacobi"}.get(st_type, "none")
    elif st_type == "shift" and precond != "none":
        notes.append(f"precond={precond!r} is not used: method={method!r} runs on A itself "
                     "(no linear solves)")
    return _EpsChoice(method, eps_type, st_type, shift, precond, notes)


def _configure_eps(PETSc, SLEPc, eps, dist: _Distributed, mdist: _Distributed | None,
                   choice: _EpsChoice, request: EigenRequest, v0) -> list[str]:
    """Set the problem, EPS type, tolerances, spectral transformation and start vector.

    Returns notes on how the spectral transformation's systems are solved.
    """
    if mdist is not None:
        eps.setOperators(dist.mat, mdist.mat)
        eps.setProblemType(SLEPc.EPS.ProblemType.GHEP)
    else:
        eps.setOperators(dist.mat)
        eps.setProblemType(SLEPc.EPS.ProblemType.HEP)
    eps.setType(choice.eps_type)
    eps.setDimensions(nev=request.k, ncv=request.ncv or PETSc.DECIDE)
    eps.setTolerances(tol=request.tol or _EPS_TOL, max_it=request.maxiter or PETSc.DEFAULT)
    st = eps.getST()
    st.setType(choice.st_type)
    Which = SLEPc.EPS.Which
    if request.which in _SLEPC_CODES:
        extreme = getattr(Which, _SLEPC_CODES[request.which])
    else:
        extreme = Which.SMALLEST_REAL if request.which == "smallest" else Which.LARGEST_REAL
    notes = []
    size = PETSc.COMM_WORLD.getSize()
    if choice.st_type == "sinvert":
        assert choice.shift is not None  # _choose_eps sets it for shift-invert
        eps.setTarget(float(choice.shift))
        eps.setWhichEigenpairs(Which.TARGET_MAGNITUDE)
        sksp = st.getKSP()
        if choice.precond in ("direct", "lu"):
            sksp.setType("preonly")
            kind = "definite" if request.which == "smallest" else "general"  # A - shift I is SPD
            desc = _configure_pc(PETSc, sksp.getPC(), choice.precond, size, kind)
            notes.append(f"shift-invert solves: {desc}")
        else:
            sksp.setType("cg" if choice.precond == "amg" else "gmres")
            desc = _configure_pc(PETSc, sksp.getPC(), choice.precond, size)
            sksp.setTolerances(rtol=_INNER_RTOL)
            notes.append(f"inexact shift-invert: {sksp.getType()} + {desc} to rtol "
                         f"{_INNER_RTOL:g}")
    elif choice.st_type == "precond":
        eps.setWhichEigenpairs(extreme)
        st.getKSP().setType("preonly")
        desc = _configure_pc(PETSc, st.getKSP().getPC(), choice.precond, size)
        notes.append(f"LOBPCG preconditioner: {desc}")
    elif request.which == "nearest":
        assert request.sigma is not None  # validated: "nearest" comes with sigma
        eps.setTarget(float(request.sigma))
        eps.setWhichEigenpairs(Which.TARGET_MAGNITUDE)
    else:
        eps.setWhichEigenpairs(extreme)
    if v0 is not None:
        iv = dist.mat.createVecRight()
        iv.setArray(dist.local_vector(v0))
        eps.setInitialSpace([iv])
        iv.destroy()  # the EPS holds its own reference
    return notes


def _ran(eps, st_type: str) -> str:
    """What SLEPc set up, read back from the objects (options may have changed it)."""
    st = eps.getST()
    words = f"SLEPc ran EPS {eps.getType()} with ST {st.getType()}"
    if st_type != "shift":
        ksp = st.getKSP()
        words += f", KSP {ksp.getType()} with PC {_pc_words(ksp.getPC())}"
    return words


class _EpsRun(NamedTuple):
    """The converged pairs (unsorted, full vectors) and SLEPc's account of the run."""

    values: np.ndarray
    vectors: list
    residuals: np.ndarray
    iterations: int
    reason: int
    nconv: int


def _run_eps(PETSc, eps, dist: _Distributed, mdist: _Distributed | None, k: int) -> _EpsRun:
    """Solve; gather the first ``min(nconv, k)`` pairs and their residuals ``‖A v − λ M v‖``."""
    eps.solve()
    nconv = int(eps.getConverged())
    m = min(nconv, k)
    vals, res, vecs = np.empty(m), np.empty(m), []
    v, r, w = dist.mat.createVecRight(), dist.mat.createVecLeft(), dist.mat.createVecLeft()
    try:
        for i in range(m):
            vals[i] = float(np.real(eps.getEigenpair(i, v)))
            dist.mat.mult(v, r)
            if mdist is not None:
                mdist.mat.mult(v, w)
            else:
                v.copy(w)
            r.axpy(-vals[i], w)
            res[i] = r.norm()
            vecs.append(_allgather(PETSc, v.getArray(readonly=True), dist.n))
    finally:
        for vec in (v, r, w):
            vec.destroy()
    return _EpsRun(vals, vecs, res, int(eps.getIterationNumber()),
                   int(eps.getConvergedReason()), nconv)


def _eigen_result(run: _EpsRun, choice: _EpsChoice, words: str, notes: list, timings: dict,
                  request: EigenRequest, anorm: float, mnorm: float,
                  size: int) -> EigenResult:
    """The :class:`EigenResult` (values ascending), and the non-convergence policy applied."""
    k, n = request.k, request.n
    judge_tol = request.tol or _JUDGE_TOL
    order = np.argsort(run.values)
    vals, res = run.values[order], run.residuals[order]
    m = vals.size
    vectors = np.column_stack([run.vectors[i] for i in order]) if m else np.empty((n, 0))
    converged = res <= judge_tol * (anorm + np.abs(vals) * mnorm)
    notes = [*notes, f"SLEPc: {words}; {run.nconv} pair(s) converged in {run.iterations} "
             "iteration(s)"]
    if size > 1:
        notes.append(f"distributed over {size} MPI ranks")
    if m < k:
        notes.append(f"only {m} of the {k} pairs asked for converged")
    result = EigenResult(
        values=vals,
        vectors=vectors,
        residuals=res,
        converged=converged,
        method=choice.method,
        backend="petsc",
        iterations=run.iterations,
        timings=timings,
        tol=float(judge_tol * anorm),
        notes=tuple(notes),
    )
    if m < k or not result.all_converged:
        # stacklevel 5: the caller of sk.eigsh or of petsc_.eigsh (both reach here in 3 calls)
        report_nonconvergence(
            f"SLEPc EPS {choice.eps_type}: {int(np.sum(converged))} of {k} eigenpairs met "
            f"‖A v − λ M v‖ ≤ {judge_tol:g}·(‖A‖ + |λ|‖M‖) ({words})",
            result, request.strict, stacklevel=5)
    return result
