"""The communicator and the distributed matrix: who owns which rows.

PETSc splits an ``n``-row matrix over the ranks of ``PETSC_COMM_WORLD`` in
contiguous blocks (:func:`row_range`).  :class:`DistributedMatrix` is one
rank's block of rows, as a user builds it; :class:`_Distributed` is the PETSc
``Mat`` assembled from it (or from a matrix every rank holds), with the
facts about it that the choices of KSP and EPS need.  petsc4py is imported
here (:func:`_petsc`, :func:`_slepc`) and nowhere else.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ... import _rowread, _validate
from ..._rowread import row_split
from ...errors import InputValueError, NotSquareError, ShapeError

__all__ = ["available", "comm_rank", "comm_size", "row_range", "DistributedMatrix"]

_HINT = (
    "petsc4py/slepc4py must be built against an MPI PETSc: run "
    "`bash scripts/install-petsc.sh [PYTHON]` (see docs/mpi.md)"
)

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
    return row_split(n, comm_rank(), comm_size())


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
    def from_file(cls, path, *, chunk_bytes: int = _rowread.CHUNK_BYTES) -> DistributedMatrix:
        """Collective: every rank reads only its rows of a matrix file.

        A PETSc binary file (``.petsc``) or a CSR ``.npz`` is read where this
        rank's rows lie; the entry lines of a Matrix Market file (``.mtx``,
        in any order; ``.mtx.gz``) are parsed ``1/P`` per rank, in chunks of
        ``chunk_bytes``, and sent to the ranks that own them
        (:func:`sparsekit._rowread.read_local`; measured in ``docs/mpi.md``).
        The matrix parser runs one thread per rank under ``mpiexec``.

        Raises
        ------
        SparsekitError
            The same error on every rank: a missing, malformed or non-square
            file on any rank, or ranks holding different files.
        """
        mpi = _petsc().COMM_WORLD.tompi4py()
        threads = contextlib.nullcontext()
        if mpi.Get_size() > 1:
            from threadpoolctl import threadpool_limits

            threads = threadpool_limits(1, user_api="scipy")  # the Matrix Market parser
        with threads:
            block = _rowread.read_local(path, mpi, chunk_bytes=chunk_bytes)

        def wrap():
            if block.shape[0] != block.shape[1]:
                raise NotSquareError(f"{block.path!r} holds a {block.shape[0]}x{block.shape[1]} "
                                     "matrix; the petsc backend solves square systems")
            return cls(block.local, block.start, block.shape[0])

        return _rowread.agree(mpi, wrap)[0]  # a NaN on one rank fails every rank

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
            start, stop = row_split(n, comm.getRank(), comm.getSize())
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

    def __enter__(self) -> _Distributed:
        return self

    def __exit__(self, *exc) -> None:
        self.destroy()
