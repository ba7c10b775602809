"""PETSc's binary format under MPI: every rank writes its rows through PETSc's own viewer.

:func:`write_binary` is collective: each rank hands its block of rows (of a
matrix, or of a vector) to ``PETSc.Viewer().createBinary(path, "w")`` and
``Mat.view``/``Vec.view`` writes one file, readable by PETSc's ``MatLoad`` on
any number of ranks, by :func:`sparsekit._petscbin.read` without PETSc, and
by :meth:`DistributedMatrix.from_file`, where every rank reads only its own
rows.  The file is written under a temporary name beside the destination and
renamed by rank 0 once every rank is done, so a file is never half-written;
PETSc's ``FILE.info`` side file (block-size hints no reader needs) is
removed.

Reading goes through sparsekit's reader, not PETSc's ``MatLoad``: with
PETSc 3.18 a truncated file, or a column index out of range, stops the
rank that reads it with an error while the other ranks wait in the load
forever (measured: ``mpiexec -n 2``, rank 1 still waiting after 20 s),
whereas :func:`sparsekit._rowread.read_local` agrees on every failure before
the next collective call.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ... import _rowread, _validate
from ...errors import BackendError, DataNotFoundError, InputValueError, SparsekitError
from ._distribute import DistributedMatrix, _Distributed, _petsc

__all__ = ["write_binary"]


def _checked_vector(x) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 1:
        raise InputValueError(f"a vector to write must be 1-D (got shape {x.shape}); write "
                              "each column of a block of right-hand sides to its own file")
    if x.dtype.kind not in "biuf":
        raise InputValueError(f"x must be real (got dtype {x.dtype}); Debian's PETSc build "
                              "is real")
    _validate.check_finite(x, "x")
    return np.ascontiguousarray(x, dtype=np.float64)


def _checked(A, local: bool, p: Path):
    """Everything that could fail on one rank, checked before any collective PETSc call."""
    if not p.parent.is_dir():
        raise DataNotFoundError(f"cannot write {str(p)!r}: folder {str(p.parent)!r} does "
                                "not exist")
    if isinstance(A, DistributedMatrix):
        return A
    if sp.issparse(A):
        A = _validate.as_matrix(A, "A", square=True)
        if A.dtype.kind == "c":
            raise InputValueError(f"A is complex ({_validate.describe(A)}); Debian's PETSc "
                                  "build is real: write it with sparsekit._petscbin.write")
        _validate.check_finite(A, "A")
        return A
    if isinstance(A, np.ndarray):
        return _checked_vector(A)
    raise InputValueError(f"A must be a DistributedMatrix, a sparse matrix or a 1-D ndarray "
                          f"(got {_validate.describe(A)})")


def _petsc_object(PETSc, A, local: bool, sizes: list[int]):
    """The PETSc Mat or Vec of this rank's rows (collective; nothing left to fail)."""
    if not isinstance(A, np.ndarray):
        return _Distributed(PETSc, A).mat
    comm = PETSc.COMM_WORLD
    if local:
        n, block = sum(sizes), A
    else:
        n = A.shape[0]
        start, stop = _rowread.row_split(n, comm.getRank(), comm.getSize())
        block = A[start:stop]
    v = PETSc.Vec().createMPI((block.shape[0], n), comm=comm)
    v.setArray(block)
    return v


def write_binary(path, A, *, local: bool = False) -> None:
    """Collective: write a distributed matrix or a vector to one PETSc binary file.

    Parameters
    ----------
    path : str or path-like
        The destination, the same on every rank (sparsekit names such
        files ``.petsc``; PETSc takes any name).
    A : DistributedMatrix, sparse matrix, or 1-D ndarray
        A ``DistributedMatrix`` (each rank's rows), a sparse matrix every
        rank holds whole (each rank writes its rows), or a vector: full length
        on every rank, or, with ``local=True``, this rank's rows only (what
        ``solve(..., gather=False)`` returns), in rank order.
    local : bool, default=False
        ``A`` is a vector holding only this rank's rows.

    Raises
    ------
    SparsekitError
        The same error on every rank: ranks naming different files, a
        missing folder, a complex or non-finite matrix, or PETSc's failure
        to write.

    See Also
    --------
    DistributedMatrix.from_file : every rank reads its own rows back.
    sparsekit._petscbin.write : the serial writer (no PETSc needed).
    """
    PETSc = _petsc()
    comm = PETSc.COMM_WORLD
    mpi = comm.tompi4py()
    rank = mpi.Get_rank()
    p = Path(os.path.abspath(os.fspath(path)))
    checked, seen = _rowread.agree(mpi, lambda: _checked(A, local, p),
                                   summary=lambda a: (str(p), a.shape[0]))
    if len({q for q, _ in seen}) > 1:
        raise InputValueError(f"the ranks name different files ({[q for q, _ in seen]}); "
                              "every rank must write to the same path")
    tmp = _rowread.agree(mpi, lambda: _temporary(p) if rank == 0 else None,
                         summary=lambda t: t)[1][0]
    obj = _petsc_object(PETSc, checked, local, [m for _, m in seen])
    failed = None
    try:
        viewer = PETSc.Viewer().createBinary(tmp, mode="w", comm=comm)
        try:
            obj.view(viewer)
        finally:
            viewer.destroy()
    except PETSc.Error as exc:
        failed = f"PETSc could not write {str(p)!r} (error code {exc.ierr})"
    finally:
        obj.destroy()
    try:
        _rowread.agree(mpi, lambda: _raise_if(failed))
    except SparsekitError:
        if rank == 0:
            _remove(tmp)
        raise
    _rowread.agree(mpi, lambda: _rename(tmp, p) if rank == 0 else None)


def _raise_if(failed: str | None) -> None:
    if failed is not None:
        raise BackendError(failed)


def _temporary(p: Path) -> str:
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    os.close(fd)
    return tmp


def _rename(tmp: str, p: Path) -> None:
    """Rank 0 puts the written file in place, with the permissions a plain open() gives."""
    from ... import io

    os.chmod(tmp, io.new_file_mode(p))
    os.replace(tmp, p)
    _remove(tmp)  # PETSc's tmp.info


def _remove(path: str) -> None:
    for name in (path, path + ".info"):
        if os.path.exists(name):
            os.unlink(name)
