"""Files under MPI (issue 22): the worker's cases that read and write, run by ``worker.py``.

Every rank reads only its rows (``DistributedMatrix.from_file``), PETSc's
binary format goes both ways between sparsekit and petsc4py's own viewer, a
solve and an eigensolve run on matrices read so, and every bad file fails
every rank with the same error.  The input files are written by
``tests/test_petsc.py`` into ``OUT/in`` before ``mpiexec`` starts; each rank
saves its block as ``OUT/CASE.rank{r}.npz`` and the test compares the blocks
with SciPy's reading of the whole file.  Nothing here asserts.
"""

from __future__ import annotations

import resource
import tracemalloc
from pathlib import Path

import numpy as np
import scipy.sparse as sp

import sparsekit as sk
from sparsekit import _rowread
from sparsekit.backends import petsc_


def _petsc():
    import petsc4py.PETSc as PETSc  # imported by the backend already

    return PETSc


def save_block(out: Path, name: str, local, start: int, stop: int, **extra) -> None:
    local = sp.csr_array(local)
    np.savez(out / f"{name}.rank{petsc_.comm_rank()}.npz", indptr=local.indptr,
             indices=local.indices, data=local.data, ncols=local.shape[1], start=start,
             stop=stop, **extra)


def _maxrss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def make_cases(out: Path) -> dict:
    """The cases, reading their inputs from ``out / "in"`` and saving blocks to ``out``."""
    inp = out / "in"

    def read_block(name, path, chunk_bytes=_rowread.CHUNK_BYTES):
        def run():
            D = petsc_.DistributedMatrix.from_file(path, chunk_bytes=chunk_bytes)
            save_block(out, name, D.local, D.start, D.stop)
            return {}, {"rows": [D.start, D.stop], "local_nnz": int(D.local.nnz)}
        return run

    def memory():
        """Peak traced memory of this rank's read, and the high-water mark of its RSS."""
        path = sk.datasets.path("bcsstk33")
        mpi = _petsc().COMM_WORLD.tompi4py()
        rss0 = _maxrss_kib()
        tracemalloc.start()
        block = _rowread.read_local(path, mpi, chunk_bytes=1 << 18)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        save_block(out, "io_memory", block.local, block.start, block.stop)
        return {}, {"peak_traced": int(peak), "maxrss_growth_kib": _maxrss_kib() - rss0,
                    "local_nnz": int(block.local.nnz), "rows": [block.start, block.stop]}

    def petsc_load():
        """PETSc's own reader (MatLoad, VecLoad) on files sparsekit wrote serially."""
        PETSc = _petsc()
        viewer = PETSc.Viewer().createBinary(str(inp / "sk_written.petsc"), mode="r",
                                             comm=PETSc.COMM_WORLD)
        A = PETSc.Mat().create(comm=PETSc.COMM_WORLD)
        A.setType("aij")
        A.load(viewer)
        lo, hi = A.getOwnershipRange()
        ai, aj, av = A.getValuesCSR()
        local = sp.csr_array((av, aj, ai), shape=(hi - lo, A.getSize()[1]))
        save_block(out, "io_petsc_load", local, lo, hi)
        vviewer = PETSc.Viewer().createBinary(str(inp / "sk_vec.petsc"), mode="r",
                                              comm=PETSc.COMM_WORLD)
        v = PETSc.Vec().load(vviewer)
        vlo, vhi = v.getOwnershipRange()
        np.save(out / f"io_petsc_vec.rank{petsc_.comm_rank()}.npy", v.getArray().copy())
        # and PETSc's own writer, on two ranks, for sparsekit's serial reader
        wviewer = PETSc.Viewer().createBinary(str(out / "petsc_view.petsc"), mode="w",
                                              comm=PETSc.COMM_WORLD)
        A.view(wviewer)
        v.view(wviewer)  # a Mat followed by a Vec, as PETSc's examples keep them
        for obj in (wviewer, viewer, vviewer, A, v):
            obj.destroy()
        return {}, {"rows": [lo, hi], "vec_rows": [vlo, vhi]}

    def write_parallel():
        """sparsekit's parallel writer (PETSc's viewer) of a matrix read by rows, and vectors."""
        D = petsc_.DistributedMatrix.from_file(inp / "sk_written.petsc")
        petsc_.write_binary(out / "sk_parallel.petsc", D)
        n = D.shape[0]
        x = np.cos(np.arange(n, dtype=float))
        petsc_.write_binary(out / "x_full.petsc", x)
        petsc_.write_binary(out / "x_local.petsc", x[D.start:D.stop], local=True)
        return {}, {"rows": [D.start, D.stop], "n": n}

    def solve_from_file():
        """The command line's flow: read by rows, solve, write x by rows (gather=False)."""
        D = petsc_.DistributedMatrix.from_file(sk.datasets.path("bcsstk09"), chunk_bytes=1 << 16)
        b = np.random.default_rng(22).standard_normal(D.shape[0])
        r = sk.solve(D, b, backend="petsc", rtol=1e-10, gather=False)
        petsc_.write_binary(out / "x_solve.petsc", r.x, local=True)
        return {"b": b}, {"converged": bool(r.converged), "rows": [D.start, D.stop],
                          "local_len": int(r.x.shape[0]), "method": r.method,
                          "relative_residual": float(r.relative_residual)}

    def eigsh_from_file():
        D = petsc_.DistributedMatrix.from_file(inp / "gr_30_30.mtx.gz")
        e = sk.eigsh(D, k=4, backend="petsc")
        return ({"values": e.values, "vectors": e.vectors, "residuals": e.residuals},
                {"converged": [bool(c) for c in e.converged], "rows": [D.start, D.stop]})

    def from_file_error(path_of_rank):
        def run():
            petsc_.DistributedMatrix.from_file(path_of_rank(petsc_.comm_rank()), chunk_bytes=4096)
            return {}, {}
        return run

    def write_to_different_paths():
        petsc_.write_binary(out / f"w{petsc_.comm_rank()}.petsc", sp.eye_array(4, format="csr"))
        return {}, {}

    shared = sk.datasets.path
    return {
        "io_memory": memory,
        "io_mtx_bcsstk33": read_block("io_mtx_bcsstk33", shared("bcsstk33"), 1 << 18),
        "io_shuffled": read_block("io_shuffled", inp / "shuffled.mtx", 1 << 16),
        "io_gz": read_block("io_gz", inp / "bcsstk09.mtx.gz", 1 << 15),
        "io_npz": read_block("io_npz", inp / "gr_30_30.npz"),
        "io_petsc_sk": read_block("io_petsc_sk", inp / "sk_written.petsc"),
        "io_petsc_load": petsc_load,
        "io_write_parallel": write_parallel,
        "io_solve_from_file": solve_from_file,
        "io_eigsh_from_file": eigsh_from_file,
        "bad_truncated_petsc": from_file_error(lambda r: inp / "truncated.petsc"),
        "bad_swapped_petsc": from_file_error(lambda r: inp / "swapped.petsc"),
        "bad_claims_more_petsc": from_file_error(lambda r: inp / "claims_more.petsc"),
        "bad_claims_more_mtx": from_file_error(lambda r: inp / "claims_more.mtx"),
        "bad_line_mtx": from_file_error(lambda r: inp / "bad_line.mtx"),
        "bad_ranks_disagree": from_file_error(lambda r: inp / f"rank{r}.mtx"),
        "bad_missing_on_rank1": from_file_error(
            lambda r: inp / ("rank0.mtx" if r == 0 else "missing.mtx")),
        "bad_not_square": from_file_error(lambda r: inp / "rect.npz"),
        "bad_write_disagree": write_to_different_paths,
    }
