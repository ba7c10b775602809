"""Time the builders beside their anchors, interleaved in one process (issue 3 targets).

python scripts/bench_builders.py [--repeat 7] [--only p1|laplacian]

Uses the anchors of asv_benchmarks/benchmarks/builders.py on the same inputs:
P1 stiffness on unit_square(1000) (2,000,000 triangles) against scikit-fem's
asm(laplace) and the hand-vectorised numpy COO assembly; the combinatorial
Laplacian of 1,000,000 nodes and 5,000,000 random edges against csgraph and
one COO with a bincount diagonal.  Each round calls every method once, in
turn, so a change of load on a shared machine hits all of them; the table
gives medians and the ratio anchor median / sparsekit median.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "asv_benchmarks"))

from benchmarks.builders import (  # noqa: E402
    _coo_bincount_laplacian,
    _csgraph_laplacian,
    _edges,
    _numpy_coo_stiffness,
)

import sparsekit as sk  # noqa: E402


def p1_cases():
    import skfem
    from skfem.models.poisson import laplace

    points, cells = sk.fem.unit_square(1000)
    basis = skfem.Basis(skfem.MeshTri(points.T.copy(), cells.T.copy()), skfem.ElementTriP1())
    K = sk.fem.p1(points, cells, mass="lumped")[0]
    ref = _numpy_coo_stiffness(points, cells)
    assert abs(K - ref).max() < 1e-12 * abs(ref).max()
    return {"sparsekit p1(mass='lumped')": lambda: sk.fem.p1(points, cells, mass="lumped"),
            "scikit-fem asm(laplace)": lambda: skfem.asm(laplace, basis),
            "numpy COO": lambda: _numpy_coo_stiffness(points, cells)}


def laplacian_cases():
    n = 1_000_000
    r, c, w = _edges(n, 5_000_000)
    assert abs(sk.laplacian((r, c, w), n=n) - _csgraph_laplacian(r, c, w, n)).max() < 1e-12
    return {"sparsekit laplacian": lambda: sk.laplacian((r, c, w), n=n),
            "scipy csgraph": lambda: _csgraph_laplacian(r, c, w, n),
            "numpy COO + bincount": lambda: _coo_bincount_laplacian(r, c, w, n)}


def run(cases, repeat):
    times = {name: [] for name in cases}
    for _ in range(repeat):
        for name, fn in cases.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    mine = next(iter(times))
    base = statistics.median(times[mine])
    for name, ts in times.items():
        med = statistics.median(ts)
        runs = " ".join(f"{t:.2f}" for t in ts)
        ratio = "" if name == mine else f"  anchor/sparsekit {med / base:.2f}x"
        print(f"  {name:28s} median {med:.3f} s  [{runs}]{ratio}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--only", choices=["p1", "laplacian"])
    args = ap.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}, repeats: {args.repeat}")
    for name, make in (("p1", p1_cases), ("laplacian", laplacian_cases)):
        if args.only in (None, name):
            print(name)
            run(make(), args.repeat)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
