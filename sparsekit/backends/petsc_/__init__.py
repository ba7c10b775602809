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

One private module per concern: :mod:`._distribute` (the communicator and
the distributed matrix, which every rank reads from a file by its own rows
with :meth:`DistributedMatrix.from_file`; petsc4py is imported there only),
:mod:`._binary` (writing PETSc's binary format through PETSc's viewer),
:mod:`._options`
(PETSc's options database, errors and converged reasons, and the life cycle
of a KSP or EPS), :mod:`._ksp` (the linear solve) and :mod:`._eps` (the
eigensolve).  ``sk.solve``/``sk.eigsh`` validate their arguments against
the registries below and call :func:`run_solve`/:func:`run_eigsh`; the
keyword functions :func:`solve`/:func:`eigsh` do the same.

Examples
--------
>>> from sparsekit.backends import petsc_
>>> sorted(petsc_.KSP_METHODS)
['auto', 'bicgstab', 'cg', 'direct', 'gmres', 'minres']
"""

from ._binary import write_binary
from ._distribute import DistributedMatrix, available, comm_rank, comm_size, row_range
from ._eps import EIG_PRECONDS, EIGEN_OPTIONS, EPS_METHODS, eigsh, run_eigsh
from ._ksp import KSP_METHODS, PC_TYPES, SOLVE_OPTIONS, run_solve, solve

# ---- the backend contract (sparsekit.backends._registry) ----------------------------------
SOLVE_METHODS = KSP_METHODS
SOLVE_PRECONDS = PC_TYPES
EIGEN_METHODS = EPS_METHODS
EIGEN_PRECONDS = EIG_PRECONDS

__all__ = [
    "solve",
    "eigsh",
    "comm_rank",
    "comm_size",
    "row_range",
    "DistributedMatrix",
    "write_binary",
    "available",
    "KSP_METHODS",
    "PC_TYPES",
    "EPS_METHODS",
    "EIG_PRECONDS",
    "SOLVE_METHODS",
    "SOLVE_PRECONDS",
    "SOLVE_OPTIONS",
    "EIGEN_METHODS",
    "EIGEN_PRECONDS",
    "EIGEN_OPTIONS",
    "run_solve",
    "run_eigsh",
]
