"""The README's headline ratios, re-measured here and written from measurements, never typed.

``docs/claims.json`` holds every headline claim of the README and the docs (a
benchmark case of the asv suite, sparsekit's row, the anchor, the ratio anchor
time / sparsekit time) with the machine, date and commit it was measured on.
The README's and ``docs/benchmarks.md``'s claim tables are generated from it,
between ``<!-- claims:begin -->`` and ``<!-- claims:end -->``.

    python scripts/claims.py measure [--repeat 3] [--case SUBSTRING] [--json OUT]
        re-measure every claim on this machine (interleaved: sparsekit, anchor,
        sparsekit, ...; each sample one call of the asv benchmark body; medians),
        print it beside the documented ratio and flag a move of more than 30%;
        exits 1 when a claim moved that much (``make claims``)
    python scripts/claims.py write MEASURED.json
        make MEASURED.json the documented claims and regenerate the tables
    python scripts/claims.py tables
        regenerate the tables from docs/claims.json (no measuring)

Cases are run through the asv benchmark classes themselves (``setup``, then the
``time_*`` body), so a claim measures exactly what the dashboard measures.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLAIMS = ROOT / "docs" / "claims.json"
DOCS = [ROOT / "README.md", ROOT / "docs" / "benchmarks.md"]
BEGIN, END = "<!-- claims:begin -->", "<!-- claims:end -->"
MOVED = 0.30

#: The headline claims: (asv class, time method, params without the method, sparsekit row,
#: anchor rows, samples).  Slow anchors get fewer samples to keep `make claims` near 10 minutes.
HEADLINE = [
    ("builders.GraphLaplacian", "time_laplacian", [[1_000_000, 5_000_000]], "sparsekit",
     ["scipy.csgraph", "numpy.coo_bincount"], 3),
    ("builders.GraphLaplacian", "time_laplacian", [[100_000, 500_000]], "sparsekit",
     ["scipy.csgraph", "numpy.coo_bincount"], 5),
    ("builders.P1Stiffness", "time_p1", [1000], "sparsekit", ["scikit-fem"], 3),
    ("builders.Cooccurrence", "time_cooccurrence", [[10_000_000, 50_000]], "sparsekit",
     ["numpy.coo_shifted_pairs"], 3),
    ("solve.Poisson2D", "time_solve", [1024], "sparsekit-auto",
     ["pyamg-sa-cg", "scipy-cg", "spsolve"], 1),
    ("solve.Poisson3D", "time_solve", [64], "sparsekit-auto", ["scipy-cg"], 3),
    ("solve.ManyRHS", "time_solve", [256], "sparsekit-block", ["spsolve-loop"], 1),
    ("eigen.LaplacianSmallest", "time_smallest", ["luxembourg_osm"], "sparsekit",
     ["sklearn_amg", "scipy_shift_invert", "scipy_lobpcg_pyamg"], 3),
    # issue 19: graph Laplacians at scale (docs/performance.md)
    ("solve.GraphLaplacian", "time_solve", ["grid_shortcuts_1000"], "sparsekit-auto",
     ["approx-chol-pcg", "pyamg-sa-cg"], 3),
    ("solve.GraphLaplacian", "time_solve", ["luxembourg_osm"], "sparsekit-auto",
     ["approx-chol-pcg", "pyamg-sa-cg", "splu"], 3),
    ("spectral.Resistance", "time_resistance", ["grid_shortcuts_300"], "direct",
     ["scipy-splu"], 3),
]


def _case_id(cls, params, sk, anchor):
    return f"{cls}({', '.join(map(str, params))}): {sk} vs {anchor}"


def _bench_class(cls):
    sys.path.insert(0, str(ROOT / "asv_benchmarks"))
    module, name = cls.split(".")
    return getattr(importlib.import_module(f"benchmarks.{module}"), name)


def _params(raw):
    return [tuple(p) if isinstance(p, list) else p for p in raw]


def _time_once(obj, method, args) -> float:
    gc.collect()
    t0 = time.perf_counter()
    getattr(obj, method)(*args)
    return time.perf_counter() - t0


def measure_case(cls, method, params, sk, anchors, samples):
    """Median seconds of sparsekit and each anchor, samples interleaved."""
    Bench = _bench_class(cls)
    rows = [sk] + anchors
    objs = {}
    for row in rows:
        obj = Bench()
        obj.setup(*_params(params), row)
        objs[row] = obj
    times = {row: [] for row in rows}
    for _ in range(samples):
        for row in rows:
            times[row].append(_time_once(objs[row], method, [*_params(params), row]))
    return {row: statistics.median(ts) for row, ts in times.items()}


def _machine() -> dict:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_page import machine_facts

    return machine_facts()


def _commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short=8", "HEAD"], cwd=ROOT,
                         capture_output=True, text=True)
    return out.stdout.strip() or "?"


def measure(args) -> int:
    os.environ.setdefault("SPARSEKIT_DATA", str(ROOT.parent / "shared" / "datasets" / "mtx"))
    documented = {c["id"]: c for c in json.loads(CLAIMS.read_text())["claims"]} \
        if CLAIMS.exists() else {}
    from threadpoolctl import threadpool_limits

    claims, moved = [], []
    print(f"{'claim':<82} {'documented':>10} {'here':>8}  moved")
    with threadpool_limits(1, user_api="blas"):
        for cls, method, params, sk, anchors, samples in HEADLINE:
            if args.case and not any(args.case in x for x in [cls, *anchors]):
                continue
            t = measure_case(cls, method, params, sk, anchors, max(1, args.repeat or samples))
            for anchor in anchors:
                cid = _case_id(cls, params, sk, anchor)
                ratio = t[anchor] / t[sk]
                claims.append({"id": cid, "benchmark": f"{cls}.{method}", "params": params,
                               "sparsekit": sk, "anchor": anchor, "ratio": ratio,
                               "sparsekit_s": t[sk], "anchor_s": t[anchor]})
                doc = documented.get(cid, {}).get("ratio")
                change = None if doc is None else ratio / doc - 1
                flag = "" if change is None or abs(change) <= MOVED else "  <-- MOVED"
                if flag:
                    moved.append(cid)
                print(f"{cid:<82} {'' if doc is None else f'{doc:.2f}x':>10} {ratio:>7.2f}x  "
                      f"{'' if change is None else f'{100 * change:+.0f}%'}{flag}", flush=True)
    out = {"machine": _machine(), "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
           "commit": _commit(), "blas_threads": 1, "claims": claims}
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1) + "\n")
        print(f"measured claims: {args.json}")
    if moved:
        print(f"{len(moved)} claim(s) moved by more than {MOVED:.0%} on this machine: re-measure "
              "on a quiet machine, then `python scripts/claims.py write FILE` to document them")
    return 1 if moved else 0


def table(data) -> str:
    """The markdown table of the documented claims, with the machine they came from."""
    m = data["machine"]
    ram = f"{int(m['ram']) / 2**30:.0f} GiB" if str(m.get("ram", "")).isdigit() else "?"
    lines = [f"Measured by `scripts/claims.py` on {data['date']} at commit `{data['commit']}`: "
             f"{m.get('cpu', '?')}, {m.get('num_cpu', '?')} cores, {ram}, {m.get('os', '')}; "
             "BLAS on one thread; medians of interleaved samples. **Above 1 means sparsekit "
             "is faster.** Re-measure on your machine with `make claims`.", "",
             "| case | sparsekit | anchor | sparsekit time | anchor time | anchor / sparsekit |",
             "|---|---|---|---|---|---|"]
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_table import fmt_time

    for c in data["claims"]:
        case = f"{c['benchmark'].rsplit('.', 1)[0]} ({', '.join(map(str, c['params']))})"
        lines.append(f"| {case} | {c['sparsekit']} | {c['anchor']} | {fmt_time(c['sparsekit_s'])} "
                     f"| {fmt_time(c['anchor_s'])} | {c['ratio']:.2f}x |")
    return "\n".join(lines)


def write_tables(data) -> None:
    text = table(data)
    for doc in DOCS:
        if not doc.exists():
            continue
        s = doc.read_text(encoding="utf-8")
        if BEGIN not in s or END not in s:
            continue
        head, rest = s.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        doc.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}", encoding="utf-8")
        print(f"claims: wrote the table into {doc.relative_to(ROOT)}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("measure")
    m.add_argument("--repeat", type=int, default=0, help="samples per row (default: per case)")
    m.add_argument("--case", default="", help="only claims whose class or anchor contains this")
    m.add_argument("--json", default=None)
    w = sub.add_parser("write")
    w.add_argument("measured")
    sub.add_parser("tables")
    args = ap.parse_args(argv)
    if args.cmd == "measure":
        return measure(args)
    if args.cmd == "write":
        data = json.loads(Path(args.measured).read_text())
        CLAIMS.write_text(json.dumps(data, indent=1) + "\n")
        write_tables(data)
        return 0
    write_tables(json.loads(CLAIMS.read_text()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
