"""Matrices and solutions under ``mpiexec`` with ``--backend petsc``: by rows, in parallel.

Every rank runs the same command.  :func:`read_for_backend` has each rank read
only its own rows of the file (``petsc_.DistributedMatrix.from_file``: the
formats of ``docs/mpi.md``, PETSc's split); :func:`write_solution` writes
``x`` by rows into one ``.petsc`` file, every rank its part
(``petsc_.write_binary(..., local=True)``), or, for any other format, from
the gathered ``x`` on rank 0 alone.  A bad file raises the same sparsekit
error on every rank, so every rank exits 2; only rank 0 prints.  Without
``--backend petsc`` nothing here imports PETSc.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._files import Source, read_matrix, write_matrix
from ._output import Output

__all__ = ["read_for_backend", "write_solution", "ROW_SUFFIXES"]

#: Files every rank can read by its own rows.
ROW_SUFFIXES = (".mtx", ".mtx.gz", ".npz", ".petsc")


def read_for_backend(src: Source, backend: str):
    """``(A, distributed)``: this rank's rows for ``--backend petsc``, else the whole matrix."""
    if backend == "petsc" and src.path is not None \
            and src.path.name.lower().endswith(ROW_SUFFIXES):
        from ..backends import petsc_

        return petsc_.DistributedMatrix.from_file(src.path), True
    return read_matrix(src), False


def write_solution(out: Output, path: Path, r, *, local: bool) -> None:
    """Write ``x``: by rows into a ``.petsc`` file from the PETSc backend, else from rank 0.

    ``local``: ``r.x`` holds this rank's rows only (``gather=False``).
    """
    if r.backend == "petsc" and path.name.lower().endswith(".petsc"):
        from ..backends import petsc_

        petsc_.write_binary(path, np.asarray(r.x), local=local)
        out.wrote(path, "x")
        return
    if out.rank == 0:
        write_matrix(path, np.asarray(r.x))
        out.wrote(path, "x")
