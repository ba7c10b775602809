"""Scaling of the petsc backend: reading by rows, and 2-D Poisson with CG + GAMG (rtol 1e-8).

Run under ``mpiexec -n P python tests/mpi/scaling.py MODE ...``:

* ``strong M [REPEAT]``: one ``M x M`` grid, whatever the number of ranks;
* ``weak M [REPEAT]``: a ``(M * P) x M`` grid, so every rank keeps ``M * M`` rows;
  both build each rank's rows with ``sk.poisson(shape, rows=row_range(N))``;
* ``read FILE new|old [CHUNK] [REPEAT]``: read a matrix file, ``new``: every
  rank only its rows (``DistributedMatrix.from_file``), ``old``: every rank
  parses the whole file (``sk.io.read`` then ``from_global``, the path
  before issue 22); then CG + GAMG on it with ``b = 1`` (``REPEAT=0``: no solve);
* ``files M DIR`` (serial, no mpiexec): write the ``M x M`` Poisson matrix
  to ``DIR/poisson{M}.mtx`` (one triangle, column by column, as SuiteSparse
  writes), ``.npz`` and ``.petsc``.

Rank 0 prints one JSON line: medians over REPEAT runs (default 3) of the
setup time (assembly + GAMG setup) and the solve time, and per rank the
high-water mark of its resident memory (``ru_maxrss``) and, for ``read``,
the read time, the growth of ``ru_maxrss`` during the read and the peak
of ``tracemalloc`` over a second read.  Used for the figures in
``docs/mpi.md``; not a test (tests never time anything).
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import scipy.sparse as sp

import sparsekit as sk
from sparsekit.backends import petsc_


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _gather(obj):
    from petsc4py import PETSc

    return PETSc.COMM_WORLD.tompi4py().allgather(obj)


def _solve(A, n: int, repeat: int) -> dict:
    b = np.ones(n)
    runs = [petsc_.solve(A, b, method="cg", precond="amg", rtol=1e-8, gather=False)
            for _ in range(repeat)]
    return {
        "setup_s": round(statistics.median(r.timings["setup"] for r in runs), 4),
        "solve_s": round(statistics.median(r.timings["solve"] for r in runs), 4),
        "iterations": runs[-1].iterations, "relres": runs[-1].relative_residual,
        "converged": runs[-1].converged,
    }


def grid(kind: str, m: int, repeat: int = 3) -> dict:
    size = petsc_.comm_size()
    shape = (m, m) if kind == "strong" else (m * size, m)
    n = shape[0] * shape[1]
    t0 = time.perf_counter()
    A = petsc_.DistributedMatrix.from_builder(lambda s, e: sk.poisson(shape, rows=(s, e)), n)
    build = time.perf_counter() - t0
    out = {"kind": kind, "ranks": size, "grid": list(shape), "n": n, "rows_per_rank": n // size,
           "build_s": round(build, 4), **_solve(A, n, repeat)}
    out["maxrss_mib_per_rank"] = [round(v, 1) for v in _gather(_rss_mib())]
    return out


def read(path: str, how: str, chunk: int | None = None, repeat: int = 3) -> dict:
    kw = {} if chunk is None else {"chunk_bytes": chunk}

    def once():
        if how == "new":
            return petsc_.DistributedMatrix.from_file(path, **kw)
        return petsc_.DistributedMatrix.from_global(sk.io.read(path))

    rss0 = _rss_mib()
    t0 = time.perf_counter()
    A = once()
    seconds = time.perf_counter() - t0
    growth = _rss_mib() - rss0
    del A
    tracemalloc.start()
    A = once()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    per_rank = _gather({"read_s": round(seconds, 3), "rss_growth_mib": round(growth, 1),
                        "traced_peak_mib": round(peak, 1), "local_nnz": int(A.local.nnz),
                        "maxrss_mib": round(_rss_mib(), 1)})
    out = {"kind": f"read-{how}", "file": Path(path).name, "ranks": petsc_.comm_size(),
           "n": A.shape[0], "per_rank": per_rank}
    if repeat:
        out.update(_solve(A, A.shape[0], repeat))
        out["maxrss_mib_after_solve"] = [round(v, 1) for v in _gather(_rss_mib())]
    return out


def files(m: int, folder: str) -> None:
    from sparsekit import _petscbin

    A = sp.csr_array(sk.poisson((m, m)))
    base = Path(folder) / f"poisson{m}"
    L = sp.csc_array(sp.tril(A))  # one triangle, column by column
    cols = np.repeat(np.arange(L.shape[1]), np.diff(L.indptr))
    with open(f"{base}.mtx", "w") as fh:
        fh.write(f"%%MatrixMarket matrix coordinate real symmetric\n{m * m} {m * m} {L.nnz}\n")
        np.savetxt(fh, np.column_stack([L.indices + 1, cols + 1, L.data]),
                   fmt=["%d", "%d", "%.17g"])
    sp.save_npz(f"{base}.npz", A)
    _petscbin.write(f"{base}.petsc", A)


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "files":
        files(int(args[0]), args[1])
        sys.exit(0)
    _gather(petsc_.comm_size())  # start PETSc and MPI before any clock (5 s here on 2 ranks)
    if mode in ("strong", "weak"):
        result = grid(mode, int(args[0]), int(args[1]) if len(args) > 1 else 3)
    else:
        chunk = int(args[2]) if len(args) > 2 and int(args[2]) > 0 else None
        result = read(args[0], args[1], chunk, int(args[3]) if len(args) > 3 else 3)
    if petsc_.comm_rank() == 0:
        print(json.dumps(result))
