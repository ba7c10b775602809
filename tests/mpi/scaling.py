"""Strong and weak scaling of the petsc backend on 2-D Poisson (CG + GAMG, rtol 1e-8).

Run under ``mpiexec -n P python tests/mpi/scaling.py KIND M [REPEAT]``:

* ``strong M``: one ``M x M`` grid, whatever the number of ranks;
* ``weak M``: ``M x (M * P)`` grid, so every rank keeps ``M * M`` rows.

Each rank builds only its own rows.  Rank 0 prints one JSON line with the
median (over REPEAT runs, default 3) of the setup time (assembly + GAMG
setup), the solve time and the total, the iterations and the true relative
residual.  Used for the figures in ``docs/mpi.md``; not a test.
"""

from __future__ import annotations

import json
import statistics
import sys

import numpy as np
import scipy.sparse as sp

from sparsekit.backends import petsc_


def poisson2d_rows(mx: int, my: int, start: int, stop: int) -> sp.csr_array:
    """Rows start:stop of the 5-point Dirichlet Laplacian on an mx-by-my grid (row-major in my)."""
    rows = np.arange(start, stop)
    i, j = np.divmod(rows, mx)
    r, c, v = [rows], [rows], [np.full(rows.size, 4.0)]
    for di, dj in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        ii, jj = i + di, j + dj
        ok = (ii >= 0) & (ii < my) & (jj >= 0) & (jj < mx)
        r.append(rows[ok])
        c.append(ii[ok] * mx + jj[ok])
        v.append(np.full(int(ok.sum()), -1.0))
    r, c, v = (np.concatenate(a) for a in (r, c, v))
    return sp.csr_array((v, (r - start, c)), shape=(stop - start, mx * my))


def main(kind: str, m: int, repeat: int = 3) -> None:
    size = petsc_.comm_size()
    mx, my = (m, m) if kind == "strong" else (m, m * size)
    n = mx * my
    A = petsc_.DistributedMatrix.from_builder(lambda s, e: poisson2d_rows(mx, my, s, e), n)
    b = np.ones(n)
    runs = []
    for _ in range(repeat):
        r = petsc_.solve(A, b, method="cg", precond="amg", rtol=1e-8, gather=False)
        runs.append(r)
    setup = statistics.median(r.timings["setup"] for r in runs)
    solve = statistics.median(r.timings["solve"] for r in runs)
    total = statistics.median(r.timings["setup"] + r.timings["solve"] for r in runs)
    if petsc_.comm_rank() == 0:
        print(json.dumps({
            "kind": kind, "ranks": size, "grid": [mx, my], "n": n, "rows_per_rank": n // size,
            "setup_s": round(setup, 4), "solve_s": round(solve, 4), "total_s": round(total, 4),
            "iterations": runs[-1].iterations, "relres": runs[-1].relative_residual,
            "converged": runs[-1].converged,
        }))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 3)
