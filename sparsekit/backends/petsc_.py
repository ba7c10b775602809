"""Distributed backend: PETSc KSP/PC and SLEPc EPS through petsc4py/slepc4py under MPI.

The matrix is distributed by contiguous blocks of rows over the ranks of
``PETSC_COMM_WORLD`` (PETSc's default split, :func:`row_range`).  Every rank
calls :func:`solve` / :func:`eigsh` with the same arguments (they are
collective); each rank either holds the whole matrix and keeps its own rows,
or holds only its rows in a :class:`DistributedMatrix`.  Results are the same
objects as the SciPy backend's, with ``backend="petsc"``; the true residual is
recomputed in parallel, and PETSc's own converged reason is translated into
words.

Run a script under MPI with ``mpiexec -n 4 python script.py`` (as root, Open
MPI also wants ``--allow-run-as-root``).  petsc4py and slepc4py are optional:
install them with ``bash scripts/install-petsc.sh`` (see ``docs/mpi.md``).

Examples
--------
>>> from sparsekit.backends import petsc_
>>> sorted(petsc_.KSP_METHODS)
['auto', 'bicgstab', 'cg', 'direct', 'gmres', 'minres']
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import time

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .. import _validate
from ..errors import (
    BackendError,
    InputValueError,
    NotSymmetricError,
    ShapeError,
    report_nonconvergence,
)
from ..results import EigenResult, SolveResult

__all__ = [
    "solve",
    "eigsh",
    "comm_rank",
    "comm_size",
    "row_range",
    "DistributedMatrix",
    "available",
    "KSP_METHODS",
    "PC_TYPES",
    "EPS_METHODS",
    "EIG_PRECONDS",
]

log = logging.getLogger(__name__)

_HINT = (
    "petsc4py/slepc4py must be built against an MPI PETSc: run "
    "`bash scripts/install-petsc.sh [PYTHON]` (see docs/mpi.md)"
)

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
EIG_PRECONDS = {
    "auto": None,
    "direct": "lu",
    "lu": "lu",
    "amg": "gamg",
    "jacobi": "jacobi",
    "ilu": "bjacobi",
    "none": "none",
}

_WHICH = {
    "smallest": "the k algebraically smallest eigenvalues",
    "largest": "the k algebraically largest eigenvalues",
    "nearest": "the k eigenvalues nearest to sigma",
}

# The shift for the smallest eigenvalues of a positive semidefinite matrix, relative
# to its norm: close enough to 0 that the smallest eigenvalues stay well separated
# after inversion, far enough that A - sigma I of a singular Laplacian factorizes.
_SHIFT = 1e-12

# Words for PETSc's converged reasons (KSPConvergedReason, EPSConvergedReason).
_REASON_WORDS = {
    "CONVERGED_RTOL": "the residual fell below rtol times the norm of b",
    "CONVERGED_ATOL": "the residual fell below atol",
    "CONVERGED_ITS": "the fixed number of iterations was done (direct solve)",
    "CONVERGED_HAPPY_BREAKDOWN": "the Krylov space holds the exact solution",
    "CONVERGED_TOL": "every requested eigenpair met the tolerance",
    "CONVERGED_USER": "a user test declared convergence",
    "DIVERGED_ITS": "the maximum number of iterations was reached",
    "DIVERGED_MAX_IT": "the maximum number of iterations was reached",
    "DIVERGED_DTOL": "the residual grew beyond the divergence tolerance",
    "DIVERGED_BREAKDOWN": "the method broke down (a division by zero in the recurrence)",
    "DIVERGED_BREAKDOWN_BICG": "BiCG broke down",
    "DIVERGED_NONSYMMETRIC": "the operator or preconditioner is not symmetric",
    "DIVERGED_INDEFINITE_PC": "the preconditioner is indefinite (CG needs an SPD one)",
    "DIVERGED_INDEFINITE_MAT": "the matrix is indefinite (CG needs an SPD matrix)",
    "DIVERGED_NANORINF": "a NaN or Inf appeared in the residual",
    "DIVERGED_PC_FAILED": "the preconditioner failed (a zero pivot, or a failed factorization)",
    "DIVERGED_NULL": "the solver could not start",
    "DIVERGED_SYMMETRY_LOST": "symmetry was lost in the Lanczos recurrence",
    "CONVERGED_ITERATING": "the solver was still iterating",
    "ITERATING": "the solver was still iterating",
}


# --------------------------------------------------------------------------
# imports and the communicator
# --------------------------------------------------------------------------


def _petsc():
    """Import petsc4py's PETSc (initialised without command-line options)."""
    petsc4py = _validate.optional_import("petsc4py", "mpi", "backend='petsc'", _HINT)
    if "petsc4py.PETSc" not in sys.modules:
        # A script that called petsc4py.init(sys.argv) itself keeps its options.
        petsc4py.init([])
    return _validate.optional_import("petsc4py.PETSc", "mpi", "backend='petsc'", _HINT)


def _slepc():
    """Import slepc4py's SLEPc (after PETSc)."""
    _petsc()
    slepc4py = _validate.optional_import("slepc4py", "mpi", "eigsh with backend='petsc'", _HINT)
    if "slepc4py.SLEPc" not in sys.modules:
        slepc4py.init([])
    return _validate.optional_import("slepc4py.SLEPc", "mpi", "eigsh with backend='petsc'", _HINT)


def available() -> bool:
    """True when petsc4py and slepc4py are installed (checked without importing them).

    Examples
    --------
    >>> from sparsekit.backends import petsc_
    >>> isinstance(petsc_.available(), bool)
    True
    """
    for name in ("petsc4py", "slepc4py"):
        try:
            if importlib.util.find_spec(name) is None:
                return False
        except (ImportError, ValueError):  # a module set to None in sys.modules
            return False
    return True


def comm_rank() -> int:
    """The rank of this process in ``PETSC_COMM_WORLD`` (0 when run without ``mpiexec``).

    Raises
    ------
    MissingDependencyError
        Without petsc4py (the ``mpi`` extra).
    """
    return int(_petsc().COMM_WORLD.getRank())


def comm_size() -> int:
    """The number of ranks in ``PETSC_COMM_WORLD`` (1 without ``mpiexec``).

    Raises
    ------
    MissingDependencyError
        Without petsc4py (the ``mpi`` extra).
    """
    return int(_petsc().COMM_WORLD.getSize())


def _split(n: int, rank: int, size: int) -> tuple[int, int]:
    """PETSc's default split of ``n`` rows (``PetscSplitOwnership``): ranks 0.. get one more."""
    q, r = divmod(n, size)
    start = rank * q + min(rank, r)
    return start, start + q + (1 if rank < r else 0)


def row_range(n: int) -> tuple[int, int]:
    """The rows ``(start, stop)`` this rank owns of an ``n``-row distributed matrix.

    The split is PETSc's default: contiguous blocks, the first ``n % size``
    ranks holding one row more.  Build your block of rows for exactly this
    range (``sk.poisson(shape, rows=row_range(n))``).

    Parameters
    ----------
    n : int
        The global number of rows.

    Returns
    -------
    (int, int)
        ``start`` (inclusive) and ``stop`` (exclusive).
    """
    n = _validate.positive_int(n, "n")
    return _split(n, comm_rank(), comm_size())


# --------------------------------------------------------------------------
# the distributed matrix
# --------------------------------------------------------------------------


class DistributedMatrix(spla.LinearOperator):
    """A square ``n x n`` matrix of which this rank holds rows ``start:stop``.

    Hand it to :func:`solve` / :func:`eigsh` (or ``sk.solve(..., backend="petsc")``)
    on every rank; no rank ever holds the whole matrix.  As a
    ``LinearOperator`` its ``matvec`` is *collective*: every rank must call it
    with the same full-length vector, and every rank gets the full product.

    Parameters
    ----------
    local_rows : sparse matrix or array, shape (stop - start, n)
        This rank's rows, with global column indices.
    start : int
        The global index of the first local row.
    n : int
        The global size.

    See Also
    --------
    row_range : the rows a rank should build.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> from sparsekit.backends.petsc_ import DistributedMatrix
    >>> D = DistributedMatrix(sp.eye(3, format="csr"), 0, 3)
    >>> D.shape, D.start, D.stop
    ((3, 3), 0, 3)
    """

    def __init__(self, local_rows, start: int, n: int):
        local = sp.csr_array(local_rows)
        if local.dtype.kind in "biu":
            local = local.astype(np.float64)
        if local.dtype.kind not in "f":
            raise InputValueError(
                f"the petsc backend handles real float64 matrices (got dtype {local.dtype}); "
                "Debian's PETSc build is real"
            )
        local = local.astype(np.float64, copy=False)
        n = _validate.positive_int(n, "n")
        start = _validate.positive_int(start, "start", minimum=0)
        if local.shape[1] != n or start + local.shape[0] > n:
            raise ShapeError(
                f"local_rows must have shape (m, {n}) with start + m <= {n} "
                f"(got shape {local.shape} and start={start})"
            )
        _validate.check_finite(local, "local_rows")
        local.sort_indices()
        self.local = local
        self.start = start
        self.stop = start + local.shape[0]
        super().__init__(dtype=np.dtype(np.float64), shape=(n, n))

    @classmethod
    def from_builder(cls, build, n: int) -> DistributedMatrix:
        """Call ``build(start, stop)`` for this rank's :func:`row_range` and wrap the rows."""
        start, stop = row_range(n)
        return cls(build(start, stop), start, n)

    @classmethod
    def from_global(cls, A) -> DistributedMatrix:
        """Keep this rank's rows of a matrix every rank holds (or read from a file)."""
        A = _validate.as_matrix(A, square=True)
        A = sp.csr_array(A)
        start, stop = row_range(A.shape[0])
        return cls(A[start:stop], start, A.shape[0])

    @classmethod
    def from_file(cls, path) -> DistributedMatrix:
        """Read a Matrix Market or ``.npz`` file on every rank and keep this rank's rows.

        Every rank parses the file once; on a cluster, see ``docs/mpi.md`` for
        reading by rows instead.
        """
        from .. import io  # the reader, not a backend

        return cls.from_global(io.read(path))

    def _matvec(self, x):
        y = self.local @ np.asarray(x, dtype=np.float64).ravel()
        return _allgather(_petsc(), y, self.shape[0])

    def __repr__(self) -> str:
        return (
            f"DistributedMatrix({self.shape[0]}x{self.shape[1]}, rows {self.start}:{self.stop} "
            f"on this rank, {self.local.nnz} local entries)"
        )


def _allgather(PETSc, local: np.ndarray, n: int) -> np.ndarray:
    """Concatenate every rank's block of a vector, in rank order, on every rank."""
    comm = PETSc.COMM_WORLD
    v = PETSc.Vec().createMPI((local.shape[0], n), comm=comm)
    v.setArray(local)
    scatter, full = PETSc.Scatter.toAll(v)
    scatter.scatter(v, full, PETSc.InsertMode.INSERT, PETSc.ScatterMode.FORWARD)
    out = full.getArray().copy()
    for obj in (scatter, full, v):
        obj.destroy()
    return out


class _Distributed:
    """The PETSc matrix of a problem and the facts the choices need."""

    def __init__(self, PETSc, A, name: str = "A"):
        comm = PETSc.COMM_WORLD
        if isinstance(A, DistributedMatrix):
            local, start, n = A.local, A.start, A.shape[0]
            full = None
        else:
            A = _validate.as_matrix(A, name, square=True)
            if isinstance(A, spla.LinearOperator):
                raise InputValueError(
                    f"{name} is a LinearOperator; the petsc backend needs the matrix entries: "
                    "pass a scipy sparse matrix or a sparsekit.backends.petsc_.DistributedMatrix"
                )
            if A.dtype.kind == "c":
                raise InputValueError(
                    f"{name} is complex ({_validate.describe(A)}); the petsc backend "
                    "(Debian's real PETSc build) handles real matrices only"
                )
            full = sp.csr_array(A, dtype=np.float64)
            n = full.shape[0]
            start, stop = _split(n, comm.getRank(), comm.getSize())
            local = full[start:stop]
            local.sort_indices()
        m = local.shape[0]
        self.n, self.start, self.stop = n, start, start + m
        self.full = full
        csr = (
            local.indptr.astype(PETSc.IntType),
            local.indices.astype(PETSc.IntType),
            local.data.astype(PETSc.ScalarType),
        )
        mat = PETSc.Mat().createAIJ(size=((m, n), (m, n)), csr=csr, comm=comm)
        mat.assemble()
        lo, hi = mat.getOwnershipRange()
        if (lo, hi) != (self.start, self.stop):
            mat.destroy()
            raise ShapeError(
                f"the ranks' row blocks are not contiguous in rank order: this rank holds "
                f"rows {self.start}:{self.stop} but PETSc's layout gives {lo}:{hi}; "
                "build each rank's rows for sparsekit.backends.petsc_.row_range(n)"
            )
        self.mat = mat
        self.local = local

    def facts(self, PETSc, symmetry: bool = True) -> dict:
        """Sign of the diagonal, norm, zero row sums and (when asked) symmetry.

        The symmetry test of a distributed matrix forms its transpose, so it
        is skipped (``symmetric=None``) unless ``symmetry`` or the rows sum to
        zero (a Laplacian, whose constant null vector is then attached).
        """
        d = self.mat.getDiagonal()
        dmin = d.min()[1] if self.n else 1.0
        d.destroy()
        anorm = float(self.mat.norm(PETSc.NormType.INFINITY))
        one = self.mat.createVecRight()
        one.set(1.0)
        row_sums = self.mat.createVecLeft()
        self.mat.mult(one, row_sums)
        zero_rows = anorm > 0 and row_sums.norm(PETSc.NormType.INFINITY) <= 1e-12 * anorm
        for v in (one, row_sums):
            v.destroy()
        symmetric = None
        if symmetry or zero_rows:
            if self.full is not None:
                symmetric = _validate.is_symmetric(self.full)
            else:
                symmetric = bool(self.mat.isSymmetric(1e-10 * anorm))
        return {
            "symmetric": symmetric,
            "positive_diagonal": bool(dmin > 0),
            "nonnegative_diagonal": bool(dmin >= 0),
            "constant_null_space": bool(zero_rows and symmetric),
            "norm_inf": anorm,
        }

    def local_vector(self, v: np.ndarray) -> np.ndarray:
        """The rows of this rank of a full-length vector (or of its columns)."""
        return np.ascontiguousarray(v[self.start : self.stop], dtype=np.float64)

    def destroy(self):
        self.mat.destroy()


# --------------------------------------------------------------------------
# options passed through to PETSc
# --------------------------------------------------------------------------

_PREFIX_COUNT = [0]


def _new_prefix() -> str:
    _PREFIX_COUNT[0] += 1
    return f"sk{_PREFIX_COUNT[0]}_"


def _set_options(PETSc, prefix: str, options) -> list[str]:
    """Put ``options`` under ``prefix`` in PETSc's database; return the full names."""
    if options is None:
        return []
    if not isinstance(options, dict):
        raise InputValueError(
            f"options must be a dict of PETSc option names to values "
            f"(got {type(options).__name__}); e.g. {{'ksp_gmres_restart': 50}}"
        )
    db = PETSc.Options()
    names = []
    for key, value in options.items():
        if not isinstance(key, str) or not key.strip("-"):
            raise InputValueError(f"PETSc option names must be non-empty strings (got {key!r})")
        name = prefix + key.lstrip("-")
        if value is None or value is True:
            db.setValue(name, "")
        elif value is False:
            db.setValue(name, "0")
        else:
            db.setValue(name, str(value))
        names.append(name)
    return names


def _clear_options(PETSc, names) -> None:
    db = PETSc.Options()
    for name in names:
        if db.hasName(name):
            db.delValue(name)


def _unused_options(PETSc, names) -> list[str]:
    """The options of ``names`` that no PETSc object queried (PETSc would ignore them)."""
    if not names:
        return []
    used = _options_used_query(PETSc)
    return [name for name in names if not used(name)]


def _options_used_query(PETSc):
    """A function ``name -> bool`` for PETSc's ``PetscOptionsUsed``."""
    db = PETSc.Options()
    if hasattr(db, "used"):  # newer petsc4py
        return lambda name: bool(db.used(name))
    import ctypes

    lib = _libpetsc(PETSc)
    fn = lib.PetscOptionsUsed
    fn.restype = ctypes.c_int
    fn.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)]

    def used(name: str) -> bool:
        flag = ctypes.c_int(0)
        err = fn(None, name.encode(), ctypes.byref(flag))
        if err:
            raise BackendError(f"PetscOptionsUsed failed with error code {err} for -{name}")
        return bool(flag.value)

    return used


def _libpetsc(PETSc):
    """The PETSc shared library petsc4py is linked against (for PetscOptionsUsed)."""
    import ctypes

    path = PETSc.__file__
    try:
        # the extension module exports nothing itself; its dependencies are global
        return ctypes.CDLL(path)
    except OSError as exc:  # pragma: no cover - depends on the build
        raise BackendError(f"cannot load {path} to check PETSc options: {exc}") from exc


def _unused_error(lib: str, unused, prefix: str, what: str) -> BackendError:
    names = ", ".join("-" + name for name in _shown(unused, prefix))
    return BackendError(
        f"{lib} did not use option(s) {names} for {what}; check the spelling (see the "
        "KSP/PC/EPS/ST manual pages) or that the option applies to this method"
    )


def _petsc_error(exc, what: str, option_names=()) -> BackendError:
    """A BackendError for a PETSc error raised while doing ``what``."""
    code = getattr(exc, "ierr", None)
    lines = [ln.split("] ", 1)[-1].strip() for ln in str(exc).splitlines() if ln.strip()]
    detail = lines[-1] if lines else str(exc)
    opts = ""
    if option_names:
        opts = "; check the options passed: " + ", ".join("-" + o for o in option_names)
    return BackendError(f"PETSc failed while {what}: {detail} (PETSc error code {code}){opts}")


def _shown(names, prefix: str) -> list[str]:
    """Option names as the caller wrote them (without sparsekit's private prefix)."""
    return [name[len(prefix):] for name in names]


def _reason_words(enum_cls, code: int) -> str:
    names = {getattr(enum_cls, k): k for k in dir(enum_cls) if k.isupper()}
    name = names.get(code, f"UNKNOWN_{code}")
    words = _REASON_WORDS.get(name, name.lower().replace("_", " "))
    return f"{words} ({name})"


# --------------------------------------------------------------------------
# solve
# --------------------------------------------------------------------------


def _choose_solver(method: str, precond: str, facts: dict) -> tuple[str, str, list[str]]:
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


# Parallel LU packages in order of preference.  MUMPS pivots (threshold partial
# pivoting inside its fronts), so it is the one for indefinite and nonsymmetric
# matrices; SuperLU_dist pivots statically (it hit a zero pivot on a shifted 1-D
# Laplacian) but its triangular solves were much faster here (2 ranks, Debian's
# PETSc 3.18: shift-invert on the Laplacian of luxembourg_osm, 114k rows, ~30
# solves, 52.7 s of MUMPS MatSolve against 12.6 s), so it is the one for the
# positive definite A - sigma I of the smallest eigenvalues.  See docs/mpi.md.
_DIRECT_SOLVERS = {"general": ("mumps", "superlu_dist"), "definite": ("superlu_dist", "mumps")}


def _direct_solver_type(PETSc, kind: str = "general") -> str | None:
    """The first parallel LU package this PETSc has for ``kind``, else None (PETSc's own LU)."""
    has = getattr(PETSc.Sys, "hasExternalPackage", None)
    for pkg in _DIRECT_SOLVERS[kind]:
        if has is None or has(pkg):
            return pkg
    return None


def _configure_pc(PETSc, pc, precond: str, size: int, kind: str = "general") -> str:
    """Set the PC; return a description of what runs."""
    pc.setType(PC_TYPES[precond])
    if precond in ("direct", "lu"):
        solver = _direct_solver_type(PETSc, kind)
        if solver is None and size > 1:
            raise BackendError(
                "no parallel direct solver (SuperLU_dist, MUMPS) in this PETSc build"
            )
        if solver:
            pc.setFactorSolverType(solver)
        return f"lu ({solver or 'petsc'})"
    if precond == "hypre":
        pc.setHYPREType("boomeramg")
        return "hypre boomeramg"
    if precond == "ilu":
        return "bjacobi + ilu(0)"
    if precond in ("amg", "gamg"):
        return "gamg"
    return precond


class _ShellPC:
    """A user preconditioner ``M`` (applied to the gathered vector) as a PETSc python PC."""

    def __init__(self, M, start, stop, n):
        self.M, self.start, self.stop, self.n = M, start, stop, n

    def apply(self, pc, x, y):
        PETSc = _petsc()
        full = _allgather(PETSc, x.getArray(readonly=True), self.n)
        out = np.asarray(self.M @ full).ravel()
        y.setArray(out[self.start : self.stop])


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
    PETSc = _petsc()
    _validate.check_choice(method, KSP_METHODS, "method")
    _validate.check_choice(precond, PC_TYPES, "precond")
    rtol = _validate.nonnegative_float(rtol, "rtol")
    atol = _validate.nonnegative_float(atol, "atol")
    comm = PETSc.COMM_WORLD
    t0 = time.perf_counter()
    dist = _Distributed(PETSc, A)
    n = dist.n
    b = _validate.as_rhs(b, n)
    if maxiter is None:
        maxiter = 10 * n
    maxiter = _validate.positive_int(maxiter, "maxiter")
    if x0 is not None:
        x0 = _validate.as_rhs(x0, n, "x0")
        if x0.shape != b.shape:
            raise ShapeError(f"x0 must have the shape of b {b.shape} (got {x0.shape})")
    facts = dist.facts(PETSc, symmetry=(method == "auto"))
    if M is not None:
        if method == "direct":
            dist.destroy()
            raise InputValueError("method='direct' takes no preconditioner M (got M)")
        precond = "none"  # only to resolve the method; M replaces the PC below
    method, precond, reasons = _choose_solver(method, precond, facts)

    prefix = _new_prefix()
    option_names = _set_options(PETSc, prefix, options)
    ksp = PETSc.KSP().create(comm=comm)
    notes = list(reasons)
    try:
        if facts["constant_null_space"] and method != "direct":
            ns = PETSc.NullSpace().create(constant=True, comm=comm)
            dist.mat.setNullSpace(ns)
            dist.mat.setTransposeNullSpace(ns)
            notes.append(
                "rows sum to zero (a Laplacian): constants projected out (PETSc null space)"
            )
        ksp.setOperators(dist.mat)
        ksp.setType(KSP_METHODS[method])
        pc = ksp.getPC()
        if M is not None:
            pc.setType("python")
            pc.setPythonContext(_ShellPC(M, dist.start, dist.stop, n))
            pc_desc = "user M"
            precond = "user"
        else:
            pc_desc = _configure_pc(PETSc, pc, precond, comm.getSize())
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
        if callback is not None:
            ksp.setMonitor(_monitor(PETSc, callback, n))
        ksp.setInitialGuessNonzero(x0 is not None)
        ksp.setOptionsPrefix(prefix)
        ksp.setFromOptions()
        ksp.setUp()
    except PETSc.Error as exc:
        ksp.destroy()
        dist.destroy()
        _clear_options(PETSc, option_names)
        what = f"setting up KSP {KSP_METHODS[method]} with PC {precond}"
        raise _petsc_error(exc, what, _shown(option_names, prefix)) from None
    t_setup = time.perf_counter() - t0

    t1 = time.perf_counter()
    cols = b.reshape(n, -1)
    x0c = None if x0 is None else x0.reshape(n, -1)
    bv = dist.mat.createVecLeft()
    xv = dist.mat.createVecRight()
    rv = dist.mat.createVecLeft()
    x_cols, its, rel, conv_all, reason_notes, history = [], 0, 0.0, True, [], np.empty(0)
    try:
        for j in range(cols.shape[1]):
            bv.setArray(dist.local_vector(cols[:, j]))
            xv.setArray(dist.local_vector(x0c[:, j]) if x0c is not None else 0.0)
            ksp.setInitialGuessNonzero(x0c is not None)
            col_its, passes = 0, 0
            while True:
                ksp.solve(bv, xv)
                col_its += ksp.getIterationNumber()
                reason = int(ksp.getConvergedReason())
                hist = np.asarray(ksp.getConvergenceHistory(), dtype=float)
                history = hist if passes == 0 else np.concatenate([history, hist])
                dist.mat.mult(xv, rv)
                rv.aypx(-1.0, bv)
                rnorm, bnorm = rv.norm(), bv.norm()
                ok = _validate.is_converged(rnorm, bnorm, rtol, atol)
                passes += 1
                # PETSc's recursive residual met the tolerance but the true one did
                # not: restart from x (at most twice), as iterative refinement.
                if ok or reason <= 0 or method == "direct" or passes > 2:
                    break
                ksp.setInitialGuessNonzero(True)
            if passes > 1:
                reason_notes.append(
                    f"column {j}: restarted {passes - 1}x from x because the true residual "
                    "was above the tolerance PETSc's recursive residual had met"
                )
            words = _reason_words(PETSc.KSP.ConvergedReason, reason)
            if reason <= 0 or not ok:
                prefix_words = "PETSc stopped: " if reason <= 0 else "PETSc reported: "
                reason_notes.append(
                    f"column {j}: {prefix_words}{words}; true relative residual "
                    f"{rnorm / bnorm if bnorm else rnorm:.3e}"
                )
            elif j == 0:
                reason_notes.append(f"PETSc: {words}")
            conv_all &= ok
            its = max(its, col_its)
            rel = max(rel, rnorm / bnorm if bnorm > 0 else rnorm)
            x_cols.append(_allgather(PETSc, xv.getArray(), n) if gather else xv.getArray().copy())
    except PETSc.Error as exc:
        what = f"solving with KSP {KSP_METHODS[method]}"
        raise _petsc_error(exc, what, _shown(option_names, prefix)) from None
    finally:
        # options such as ksp_view are only read by KSPSolve: judge them after it
        unused = _unused_options(PETSc, option_names)
        _clear_options(PETSc, option_names)
        for obj in (bv, xv, rv, ksp):
            obj.destroy()
        dist.destroy()
    if unused:
        raise _unused_error("PETSc", unused, prefix, f"KSP {KSP_METHODS[method]} with PC {pc_desc}")
    t_solve = time.perf_counter() - t1

    x = np.column_stack(x_cols) if b.ndim == 2 else x_cols[0]
    if not gather:
        notes.append(f"x holds rows {dist.start}:{dist.stop} of this rank (gather=False)")
    if comm.getSize() > 1:
        notes.append(f"distributed over {comm.getSize()} MPI ranks")
    notes.extend(reason_notes)
    result = SolveResult(
        x=x,
        converged=bool(conv_all),
        iterations=0 if method == "direct" else int(its),
        residuals=history,
        relative_residual=float(rel),
        method=method,
        precond=precond,
        backend="petsc",
        timings={"setup": t_setup, "solve": t_solve},
        notes=tuple(notes),
    )
    if not result.converged:
        _not_converged(result, f"PETSc KSP {KSP_METHODS[method]} did not reach rtol={rtol:g}, "
                       f"atol={atol:g} (true relative residual {rel:.3e})", strict)
    return result


def _monitor(PETSc, callback, n):
    def monitor(ksp, its, rnorm):
        if its == 0:
            return
        xk = ksp.buildSolution()
        callback(_allgather(PETSc, xk.getArray(readonly=True), n))

    return monitor


def _not_converged(result, message: str, strict: bool):
    report_nonconvergence(message, result, strict, stacklevel=5)


# --------------------------------------------------------------------------
# eigsh
# --------------------------------------------------------------------------


def eigsh(
    A,
    *,
    k=6,
    which="smallest",
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
    which : {"smallest", "largest", "nearest"} or None, default="smallest"
        Which eigenvalues; ``"nearest"`` (the default when ``sigma`` is given)
        needs ``sigma``.
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
    PETSc = _petsc()
    SLEPc = _slepc()
    _validate.check_choice(method, EPS_METHODS, "method")
    _validate.check_choice(precond, EIG_PRECONDS, "precond")
    if which is None:
        which = "nearest" if sigma is not None else "smallest"
    _validate.check_choice(which, _WHICH, "which")
    if which == "nearest" and sigma is None:
        raise InputValueError("which='nearest' needs sigma= (the target eigenvalue)")
    if sigma is not None:
        if which != "nearest" and which != "smallest":
            raise InputValueError(
                f"sigma={sigma!r} is only used with which='nearest' (got which={which!r})"
            )
        which = "nearest"
        try:
            sigma = float(sigma)
        except (TypeError, ValueError):
            raise InputValueError(f"sigma must be a real number (got {sigma!r})") from None
        if not np.isfinite(sigma):
            raise InputValueError(f"sigma must be finite (got {sigma!r})")
    comm = PETSc.COMM_WORLD
    t0 = time.perf_counter()
    dist = _Distributed(PETSc, A)
    n = dist.n
    k = _validate.positive_int(k, "k")
    if k >= n:
        dist.destroy()
        raise InputValueError(f"k must be < n (got k={k}, n={n}); use a dense eigh for all pairs")
    if tol is not None:
        tol = _validate.nonnegative_float(tol, "tol")
    eps_tol = tol if tol else 1e-12
    judge_tol = tol if tol else 1e-8
    if maxiter is not None:
        maxiter = _validate.positive_int(maxiter, "maxiter")
    facts = dist.facts(PETSc)
    if not facts["symmetric"]:
        dist.destroy()
        raise NotSymmetricError(
            f"A is not symmetric (got {n}x{n}); the petsc eigsh needs a symmetric matrix "
            "(Hermitian eigenproblem)"
        )
    mdist = None
    if M is not None:
        mdist = _Distributed(PETSc, M, "M")
        if mdist.n != n:
            dist.destroy()
            mdist.destroy()
            raise ShapeError(f"M must have the shape of A ({n}, {n}) (got ({mdist.n}, {mdist.n}))")

    notes = []
    shift = sigma
    if method == "auto":
        if sigma is not None:
            method = "shift_invert"
        elif which == "smallest" and facts["nonnegative_diagonal"]:
            method = "shift_invert"
            shift = -_SHIFT * max(facts["norm_inf"], 1e-300)
            notes.append(
                f"nonnegative diagonal, taken as positive semidefinite: shift-invert at "
                f"sigma={shift:.3g} (just below 0)"
            )
        else:
            method = "krylovschur"
    if method == "shift_invert" and shift is None:
        if which == "smallest" and facts["nonnegative_diagonal"]:
            shift = -_SHIFT * max(facts["norm_inf"], 1e-300)
        else:
            dist.destroy()
            raise InputValueError(
                "method='shift_invert' needs sigma (or which='smallest' on a matrix with a "
                "nonnegative diagonal); pass sigma=..."
            )
    eps_type, st_type = EPS_METHODS[method]
    if method == "lobpcg" and which == "nearest":
        dist.destroy()
        raise InputValueError(
            "method='lobpcg' finds the smallest or largest eigenvalues; for those nearest "
            "sigma use method='shift_invert'"
        )
    if precond == "auto":
        precond = "direct" if st_type == "sinvert" else ("jacobi" if method == "lobpcg" else "none")

    prefix = _new_prefix()
    option_names = _set_options(PETSc, prefix, options)
    eps = SLEPc.EPS().create(comm=comm)
    try:
        if mdist is not None:
            eps.setOperators(dist.mat, mdist.mat)
            eps.setProblemType(SLEPc.EPS.ProblemType.GHEP)
        else:
            eps.setOperators(dist.mat)
            eps.setProblemType(SLEPc.EPS.ProblemType.HEP)
        eps.setType(eps_type)
        eps.setDimensions(nev=k)
        eps.setTolerances(tol=eps_tol, max_it=maxiter if maxiter else PETSc.DEFAULT)
        st = eps.getST()
        if st_type == "sinvert":
            st.setType("sinvert")
            eps.setTarget(float(shift))
            eps.setWhichEigenpairs(SLEPc.EPS.Which.TARGET_MAGNITUDE)
            sksp = st.getKSP()
            spc = sksp.getPC()
            if precond in ("direct", "lu"):
                sksp.setType("preonly")
                definite = sigma is None and which == "smallest"  # A - shift I is SPD
                desc = _configure_pc(
                    PETSc, spc, "direct", comm.getSize(), "definite" if definite else "general"
                )
                notes.append(f"shift-invert solves: {desc}")
            else:
                sksp.setType("cg" if precond == "amg" else "gmres")
                spc.setType(EIG_PRECONDS[precond])
                sksp.setTolerances(rtol=1e-12)
                notes.append(f"inexact shift-invert: {sksp.getType()} + {precond} to rtol 1e-12")
        elif st_type == "precond":
            st.setType("precond")
            eps.setWhichEigenpairs(
                SLEPc.EPS.Which.SMALLEST_REAL
                if which == "smallest"
                else SLEPc.EPS.Which.LARGEST_REAL
            )
            st.getKSP().setType("preonly")
            st.getKSP().getPC().setType(EIG_PRECONDS[precond])
        else:
            if sigma is not None:
                eps.setTarget(float(sigma))
                eps.setWhichEigenpairs(SLEPc.EPS.Which.TARGET_MAGNITUDE)
            else:
                eps.setWhichEigenpairs(
                    SLEPc.EPS.Which.SMALLEST_REAL if which == "smallest"
                    else SLEPc.EPS.Which.LARGEST_REAL
                )
        if v0 is not None:
            v0 = _validate.as_rhs(v0, n, "v0")
            if v0.ndim != 1:
                raise ShapeError(f"v0 must have shape ({n},) (got {v0.shape})")
            iv = dist.mat.createVecRight()
            iv.setArray(dist.local_vector(v0))
            eps.setInitialSpace([iv])
        eps.setOptionsPrefix(prefix)
        eps.setFromOptions()
        eps.setUp()
    except PETSc.Error as exc:
        eps.destroy()
        dist.destroy()
        _clear_options(PETSc, option_names)
        what = f"setting up EPS {eps_type} with ST {st_type}"
        raise _petsc_error(exc, what, _shown(option_names, prefix)) from None
    t_setup = time.perf_counter() - t0

    t1 = time.perf_counter()
    try:
        eps.solve()
        nconv = eps.getConverged()
        its = eps.getIterationNumber()
        reason = int(eps.getConvergedReason())
        m = min(nconv, k)
        vals = np.empty(m)
        vecs = []
        v = dist.mat.createVecRight()
        r = dist.mat.createVecLeft()
        w = dist.mat.createVecLeft()
        res = np.empty(m)
        anorm = facts["norm_inf"]
        mnorm = float(mdist.mat.norm(PETSc.NormType.INFINITY)) if mdist else 1.0
        for i in range(m):
            lam = eps.getEigenpair(i, v)
            vals[i] = float(np.real(lam))
            dist.mat.mult(v, r)
            if mdist is not None:
                mdist.mat.mult(v, w)
            else:
                v.copy(w)
            r.axpy(-vals[i], w)
            res[i] = r.norm()
            vecs.append(_allgather(PETSc, v.getArray(readonly=True), n))
        for obj in (v, r, w):
            obj.destroy()
    except PETSc.Error as exc:
        what = f"solving with EPS {eps_type}"
        raise _petsc_error(exc, what, _shown(option_names, prefix)) from None
    finally:
        unused = _unused_options(PETSc, option_names)
        _clear_options(PETSc, option_names)
        eps.destroy()
        dist.destroy()
        if mdist is not None:
            mdist.destroy()
    if unused:
        raise _unused_error("SLEPc", unused, prefix, f"EPS {eps_type} with ST {st_type}")
    t_solve = time.perf_counter() - t1

    order = np.argsort(vals)
    vals, res = vals[order], res[order]
    vectors = np.column_stack([vecs[i] for i in order]) if m else np.empty((n, 0))
    bound = judge_tol * (anorm + np.abs(vals) * mnorm)
    converged = res <= bound
    words = _reason_words(SLEPc.EPS.ConvergedReason, reason)
    notes.append(f"SLEPc: {words}; {nconv} pair(s) converged in {its} iteration(s)")
    if comm.getSize() > 1:
        notes.append(f"distributed over {comm.getSize()} MPI ranks")
    if m < k:
        notes.append(f"only {m} of the {k} pairs asked for converged")
    result = EigenResult(
        values=vals,
        vectors=vectors,
        residuals=res,
        converged=np.concatenate([converged, np.zeros(0, bool)]),
        method=method,
        backend="petsc",
        iterations=int(its),
        timings={"setup": t_setup, "solve": t_solve},
        tol=float(judge_tol * anorm),
        notes=tuple(notes),
    )
    if m < k or not result.all_converged:
        _not_converged(
            result,
            f"SLEPc EPS {eps_type}: {int(np.sum(converged))} of {k} eigenpairs met "
            f"‖A v − λ M v‖ ≤ {judge_tol:g}·(‖A‖ + |λ|‖M‖) ({words})",
            strict,
        )
    return result


# ---- the backend contract (sparsekit.backends._registry) ----------------------------------
SOLVE_METHODS = KSP_METHODS
SOLVE_PRECONDS = PC_TYPES
#: Expert keyword options of ``sk.solve(..., backend="petsc")``.
SOLVE_OPTIONS = {
    "options": "PETSc options database entries for this solve, without prefix "
               "({'ksp_gmres_restart': 100})",
    "gather": "return the full x on every rank (default True), or only this rank's rows",
}
EIGEN_METHODS = EPS_METHODS
EIGEN_PRECONDS = EIG_PRECONDS
#: Expert keyword options of ``sk.eigsh(..., backend="petsc")``.
EIGEN_OPTIONS = {
    "options": "SLEPc/PETSc options database entries, without prefix ({'eps_ncv': 40})",
}


def run_solve(A, b, request):
    """``sk.solve`` on this backend, from a validated :class:`~sparsekit._requests.SolveRequest`."""
    r = request
    return solve(A, b, method=r.method, precond=r.precond, rtol=r.rtol, atol=r.atol,
                 maxiter=r.maxiter, x0=r.x0, M=r.M, callback=r.callback, strict=r.strict,
                 **r.options)


def run_eigsh(A, request):
    """``sk.eigsh`` on this backend, from a validated :class:`~sparsekit._requests.EigenRequest`."""
    r = request
    return eigsh(A, k=r.k, which=r.which, sigma=r.sigma, M=r.M, method=r.method,
                 precond=r.precond, tol=r.tol, maxiter=r.maxiter, v0=r.v0, strict=r.strict,
                 **r.options)
