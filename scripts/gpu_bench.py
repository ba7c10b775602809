"""Record the GPU figures of issue 10 in one run: JSON + a markdown table.

On a machine with an NVIDIA GPU (cupy installed, pyamg importable)::

    python scripts/gpu_bench.py --out results/gpu_figures

On the CPU, a tiny smoke version runs the same code with numpy substituted
for cupy (sizes of a few thousand unknowns; it checks that nothing crashes)::

    python scripts/gpu_bench.py --cpu-smoke --out /tmp/gpu_smoke

Figures (``--only`` picks some):

* ``poisson``: 2-D Poisson (5-point, h = 1) at 2,048² and 4,096² unknowns,
  rtol 1e-8: sparsekit's device AMG-CG, cupyx CG + Jacobi, and PyAMG-CG on the
  host CPU; setup and solve timed apart (device synchronised), iterations and
  true residuals.
* ``eigen``: the 8 smallest Laplacian eigenpairs of ``grid_shortcuts_1000``
  (a 1,000 × 1,000 grid plus 2,000 random long-range edges, 10⁶ nodes) on the
  device (LOBPCG + device AMG) and on the CPU path, with residuals.
* ``builders``: Laplacian from 5,000,000 edges on 1,000,000 nodes, and
  co-occurrence of 10,000,000 Zipf tokens (vocabulary 50,000, window 5), on
  the device against the CPU builders, with a check that they agree.
* ``dense``: 10,000 stacked 8 × 8 complex matrices, batched solve and SVD on
  the device against numpy on the CPU.

Every timing of device work is taken after ``cupy.cuda.Device().synchronize()``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import scipy
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sparsekit as sk  # noqa: E402
from sparsekit.backends import cupy_  # noqa: E402

FULL = {
    "poisson": [2048, 4096],
    "eigen_grid": 1000,
    "lap_nodes": 1_000_000,
    "lap_edges": 5_000_000,
    "tokens": 10_000_000,
    "vocab": 50_000,
    "batch": 10_000,
}
SMOKE = {
    "poisson": [48, 64],
    "eigen_grid": 30,
    "lap_nodes": 2_000,
    "lap_edges": 10_000,
    "tokens": 20_000,
    "vocab": 500,
    "batch": 1_000,
}


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def timed(ns, fn, repeat=1):
    """(median seconds, last result) of ``fn()``, device synchronised around each call."""
    times, out = [], None
    for _ in range(repeat):
        t0 = ns.clock()
        out = fn()
        times.append(ns.clock() - t0)
    return statistics.median(times), out


def relres(A, x, b):
    return float(np.linalg.norm(b - A @ x) / np.linalg.norm(b))


def cpu_builder(fn, *args, **kwargs):
    """The CPU (scipy) builder when implemented; None while it is a placeholder."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        return None


# ------------------------------------------------------------------ figures


def fig_poisson(ns, sizes, args):
    import pyamg

    rows = []
    for m in sizes:
        log(f"poisson {m}x{m}: build")
        A_host = cupy_.poisson((m, m), h=1.0, xp_name="numpy")
        b_host = np.ones(A_host.shape[0])
        A = cupy_.to_device(A_host, ns)
        b = cupy_.to_device(b_host, ns)
        n = A_host.shape[0]
        common = {"grid": f"{m}x{m}", "n": n, "nnz": int(A_host.nnz), "rtol": 1e-8}

        log("  device AMG-CG")
        t_setup, amg = timed(ns, lambda A_host=A_host: cupy_.DeviceAMG.setup(A_host, ns))
        r = cupy_.solve(A, b, method="cg", M=amg, rtol=1e-8, maxiter=args.maxiter,
                        xp_name=ns.name)
        rows.append({**common, "solver": f"sparsekit AMG-CG ({ns.backend})",
                     "setup_s": t_setup, "setup_host_s": amg.host_setup_time,
                     "setup_device_s": amg.device_setup_time, "solve_s": r.timings["solve"],
                     "iterations": r.iterations, "relative_residual": r.relative_residual,
                     "converged": r.converged, "levels": amg.n_levels,
                     "operator_complexity": amg.operator_complexity})
        del amg

        log("  cupyx CG + Jacobi")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", sk.ConvergenceWarning)
            r = cupy_.solve(A, b, method="cg", precond="jacobi", rtol=1e-8,
                            maxiter=args.maxiter, xp_name=ns.name)
        rows.append({**common, "solver": f"CG + Jacobi ({ns.backend})",
                     "setup_s": r.timings["setup"], "solve_s": r.timings["solve"],
                     "iterations": r.iterations, "relative_residual": r.relative_residual,
                     "converged": r.converged})
        del A, b

        log("  CPU PyAMG-CG")
        Ah = sp.csr_matrix(A_host)
        t0 = time.perf_counter()
        ml = pyamg.smoothed_aggregation_solver(Ah)
        t1 = time.perf_counter()
        res = []
        x = ml.solve(b_host, tol=1e-8, accel="cg", maxiter=args.maxiter, residuals=res)
        t2 = time.perf_counter()
        rows.append({**common, "solver": "PyAMG-CG (host CPU)", "setup_s": t1 - t0,
                     "solve_s": t2 - t1, "iterations": len(res) - 1,
                     "relative_residual": relres(Ah, x, b_host),
                     "converged": relres(Ah, x, b_host) <= 1e-8, "levels": len(ml.levels),
                     "operator_complexity": float(ml.operator_complexity())})
        del ml, Ah, A_host
        cpu = rows[-1]["setup_s"] + rows[-1]["solve_s"]
        gpu = rows[-3]["setup_s"] + rows[-3]["solve_s"]
        rows[-3]["speedup_vs_cpu_pyamg"] = cpu / gpu
        rows[-3]["solve_speedup_vs_cpu_pyamg"] = rows[-1]["solve_s"] / rows[-3]["solve_s"]
    return rows


def fig_eigen(ns, grid, args):
    k = 8
    if grid == 1000:
        W = sk.datasets.load("grid_shortcuts_1000")
        name = "grid_shortcuts_1000"
    else:
        W = sk.datasets._grid_shortcuts(grid, 2 * grid)  # the generator of grid_shortcuts_*
        name = f"grid {grid}x{grid} + {2 * grid} shortcuts"
    log(f"eigen {name}: n={W.shape[0]}")
    L_host = cupy_.laplacian(W, xp_name="numpy")
    L = cupy_.to_device(L_host, ns)
    rows = []
    t, e = timed(ns, lambda: cupy_.eigsh(L, k=k, which="smallest", xp_name=ns.name))
    rows.append({"graph": name, "n": int(W.shape[0]), "k": k,
                 "path": f"sparsekit eigsh LOBPCG + device AMG ({ns.backend})", "total_s": t,
                 "setup_s": e.timings["setup"], "solve_s": e.timings["solve"],
                 "iterations": e.iterations, "max_residual": float(e.residuals.max()),
                 "tol": e.tol, "all_converged": e.all_converged,
                 "values": [float(v) for v in e.values]})
    log("  CPU path")
    try:
        t, c = timed(ns, lambda: sk.eigsh(L_host, k=k, which="smallest", backend="scipy"))
        label = f"sk.eigsh (scipy backend, {c.method})"
    except NotImplementedError:
        npns = cupy_.namespace("numpy")
        t, c = timed(npns, lambda: cupy_.eigsh(L_host, k=k, xp_name="numpy"))
        label = "same code, numpy substituted (sk.eigsh not yet implemented)"
    rows.append({"graph": name, "n": int(W.shape[0]), "k": k, "path": f"CPU: {label}",
                 "total_s": t, "setup_s": c.timings.get("setup", float("nan")),
                 "solve_s": c.timings.get("solve", float("nan")), "iterations": c.iterations,
                 "max_residual": float(np.max(c.residuals)), "tol": float(c.tol),
                 "all_converged": bool(np.all(c.converged)),
                 "values": [float(v) for v in c.values]})
    rows[0]["max_value_difference_vs_cpu"] = float(np.max(np.abs(e.values - c.values)))
    rows[0]["speedup_vs_cpu"] = rows[1]["total_s"] / rows[0]["total_s"]
    return rows


def fig_builders(ns, sizes, args):
    rng = np.random.default_rng(0)
    n, m = sizes["lap_nodes"], sizes["lap_edges"]
    r = rng.integers(0, n, m)
    c = rng.integers(0, n, m)
    rows = []
    log(f"builders: laplacian n={n} m={m}")
    rd, cd = cupy_.to_device(r, ns), cupy_.to_device(c, ns)
    cupy_.laplacian((rd[:100], cd[:100]), n=n, xp_name=ns.name)  # warm-up (kernel compiles)
    t_dev, Ld = timed(ns, lambda: cupy_.laplacian((rd, cd), n=n, xp_name=ns.name), args.repeat)
    t_cpu, Lc = timed(cupy_.namespace("numpy"), lambda: cpu_builder(sk.laplacian, (r, c), n=n),
                      args.repeat)
    label = "sk.laplacian (scipy)"
    if Lc is None:
        t_cpu, Lc = timed(cupy_.namespace("numpy"),
                          lambda: cupy_.laplacian((r, c), n=n, xp_name="numpy"), args.repeat)
        label = "same code, numpy substituted (sk.laplacian not yet implemented)"
    diff = abs(sp.csr_array(cupy_.to_host(Ld)) - sp.csr_array(Lc))
    rows.append({"builder": "laplacian", "size": f"{n:,} nodes, {m:,} edges",
                 "device_s": t_dev, "cpu_s": t_cpu, "cpu_path": label,
                 "speedup": t_cpu / t_dev, "max_abs_difference": float(diff.max())})
    Ld = Lc = None  # free device memory before the next builder

    N, V = sizes["tokens"], sizes["vocab"]
    log(f"builders: cooccurrence tokens={N} vocab={V}")
    tokens = (rng.zipf(1.2, N) - 1) % V
    td = cupy_.to_device(tokens, ns)
    cupy_.cooccurrence(td[:1000], window=5, vocab_size=V, xp_name=ns.name)  # warm-up
    t_dev, Cd = timed(ns, lambda: cupy_.cooccurrence(td, window=5, vocab_size=V,
                                                     chunk_size=args.chunk, xp_name=ns.name),
                      args.repeat)
    t_cpu, Cc = timed(cupy_.namespace("numpy"),
                      lambda: cpu_builder(sk.cooccurrence, tokens, window=5, vocab_size=V),
                      args.repeat)
    label = "sk.cooccurrence (scipy)"
    if Cc is None:
        t_cpu, Cc = timed(cupy_.namespace("numpy"),
                          lambda: cupy_.cooccurrence(tokens, window=5, vocab_size=V,
                                                     xp_name="numpy"), args.repeat)
        label = "same code, numpy substituted (sk.cooccurrence not yet implemented)"
    diff = abs(sp.csr_array(cupy_.to_host(Cd)) - sp.csr_array(Cc))
    rows.append({"builder": "cooccurrence", "size": f"{N:,} tokens, V={V:,}, window 5",
                 "device_s": t_dev, "cpu_s": t_cpu, "cpu_path": label,
                 "speedup": t_cpu / t_dev, "max_abs_difference": float(diff.max())})
    return rows


def fig_dense(ns, batch, args):
    rng = np.random.default_rng(1)
    A = rng.standard_normal((batch, 8, 8)) + 1j * rng.standard_normal((batch, 8, 8))
    b = rng.standard_normal((batch, 8)) + 1j * rng.standard_normal((batch, 8))
    Ad, bd = cupy_.to_device(A, ns), cupy_.to_device(b, ns)
    cupy_.dense_solve(Ad, bd, xp_name=ns.name)  # warm-up
    cupy_.dense_svd(Ad, xp_name=ns.name)
    npns = cupy_.namespace("numpy")
    rows = []
    log(f"dense: {batch} x 8x8 complex")
    t_dev, r = timed(ns, lambda: cupy_.dense_solve(Ad, bd, xp_name=ns.name), args.repeat)
    t_cpu, x = timed(npns, lambda: np.linalg.solve(A, b[..., None])[..., 0], args.repeat)
    rows.append({"op": "solve", "batch": batch, "device_s": t_dev, "cpu_numpy_s": t_cpu,
                 "speedup": t_cpu / t_dev, "relative_residual": r.relative_residual,
                 "max_abs_difference": float(np.abs(cupy_.to_host(r.x) - x).max())})
    t_dev, (U, s, Vh) = timed(ns, lambda: cupy_.dense_svd(Ad, xp_name=ns.name), args.repeat)
    t_cpu, s_ref = timed(npns, lambda: np.linalg.svd(A, compute_uv=True)[1], args.repeat)
    rows.append({"op": "svd", "batch": batch, "device_s": t_dev, "cpu_numpy_s": t_cpu,
                 "speedup": t_cpu / t_dev,
                 "max_abs_difference": float(np.abs(cupy_.to_host(s) - s_ref).max())})
    return rows


# ------------------------------------------------------------------ output


def environment(ns, args):
    env = {
        "date_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "device": ns.device_name(),
        "backend": ns.backend,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
    }
    try:
        import pyamg

        env["pyamg"] = pyamg.__version__
    except ImportError:
        env["pyamg"] = "missing"
    if ns.on_device:
        env["cupy"] = ns.xp.__version__
        env["cuda_runtime"] = ns.xp.cuda.runtime.runtimeGetVersion()
        env["cuda_driver"] = ns.xp.cuda.runtime.driverGetVersion()
    return env


def fmt(v):
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1e4 else f"{v:,.0f}"
    if isinstance(v, list):
        return ", ".join(f"{x:.4g}" for x in v[:8])
    return str(v)


def markdown(data):
    lines = ["# GPU figures (issue 10)", ""]
    for k, v in data["environment"].items():
        lines.append(f"- {k}: `{v}`")
    for name, rows in data["figures"].items():
        lines += ["", f"## {name}", ""]
        if not rows:
            continue
        keys = [k for k in rows[0] if k != "values"]
        for row in rows[1:]:
            keys += [k for k in row if k not in keys and k != "values"]
        lines.append("| " + " | ".join(keys) + " |")
        lines.append("|" + "---|" * len(keys))
        for row in rows:
            lines.append("| " + " | ".join(fmt(row.get(k, "")) for k in keys) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cpu-smoke", action="store_true",
                   help="tiny sizes with numpy substituted for cupy (no GPU needed)")
    p.add_argument("--only", default="poisson,eigen,builders,dense",
                   help="comma-separated figures to record")
    p.add_argument("--poisson-sizes", default=None,
                   help="comma-separated grid sides (default 2048,4096)")
    p.add_argument("--out", default="results/gpu_figures",
                   help="output path without suffix (writes .json and .md)")
    p.add_argument("--repeat", type=int, default=3, help="repeats of the short timings (median)")
    p.add_argument("--maxiter", type=int, default=100_000, help="Krylov iteration limit")
    p.add_argument("--chunk", type=int, default=2_000_000, help="co-occurrence chunk (tokens)")
    args = p.parse_args(argv)

    sizes = SMOKE if args.cpu_smoke else FULL
    ns = cupy_.namespace("numpy" if args.cpu_smoke else "cupy")
    if args.cpu_smoke:
        args.repeat = 1
    poisson_sizes = ([int(s) for s in args.poisson_sizes.split(",")] if args.poisson_sizes
                     else sizes["poisson"])
    wanted = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = set(wanted) - {"poisson", "eigen", "builders", "dense"}
    if unknown:
        p.error(f"unknown figures {sorted(unknown)}")
    data = {"environment": environment(ns, args), "figures": {}}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    runners = {
        "poisson": lambda: fig_poisson(ns, poisson_sizes, args),
        "eigen": lambda: fig_eigen(ns, sizes["eigen_grid"], args),
        "builders": lambda: fig_builders(ns, sizes, args),
        "dense": lambda: fig_dense(ns, sizes["batch"], args),
    }
    for name in wanted:
        data["figures"][name] = runners[name]()
        # write after every figure, so a run cut off at its time limit keeps what it did
        out.with_suffix(".json").write_text(json.dumps(data, indent=2, default=float))
        out.with_suffix(".md").write_text(markdown(data))
    log(f"wrote {out.with_suffix('.json')} and {out.with_suffix('.md')}")
    print(markdown(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
