"""Time asv benchmark cases on two commits of sparsekit in one interleaved run.

Each commit is checked out in a git worktree; every sample runs in a fresh
process that imports sparsekit from that worktree (the editable install's
finder is removed first) and the *current* checkout's asv benchmark code, so
the same benchmark body measures both library versions.  Samples alternate
A, B, A, B, ... so drifts of a shared machine fall on both sides.

    python scripts/ab_commits.py BASE HEAD [--repeat 5] [--case MODULE:CLASS:METHOD:PARAMS]...

PARAMS is a Python literal tuple of the benchmark's parameters, e.g.
``solve:Poisson2D:time_solve:(1024,"sparsekit-auto")``.  Prints a table of
medians (seconds) and the ratio HEAD / BASE (< 1: HEAD faster).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The headline cases of issue 17's "no change in speed" check.
HEADLINE = [
    'solve:Poisson2D:time_solve:(1024, "sparsekit-auto")',
    'solve:ManyRHS:time_solve:(256, "sparsekit-block")',
    'eigen:LaplacianSmallest:time_smallest:("luxembourg_osm", "sparsekit")',
    'builders:GraphLaplacian:time_laplacian:((1_000_000, 5_000_000), "sparsekit")',
    'builders:GraphLaplacian:time_laplacian:((100_000, 500_000), "sparsekit")',
]

_CHILD = r"""
import importlib, json, sys, time
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
sys.path.insert(0, {tree!r})
sys.path.insert(0, {bench!r})
import sparsekit
assert sparsekit.__file__.startswith({tree!r}), sparsekit.__file__
mod = importlib.import_module("benchmarks." + {module!r})
obj = getattr(mod, {cls!r})()
params = {params!r}
obj.setup(*params)
t0 = time.perf_counter()
getattr(obj, {method!r})(*params)
print(json.dumps(time.perf_counter() - t0))
"""


def _worktree(commit: str, base: Path) -> Path:
    sha = subprocess.run(["git", "rev-parse", "--short", commit], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.strip()
    tree = base / sha
    if not tree.exists():
        subprocess.run(["git", "worktree", "add", "-q", "--detach", str(tree), sha], cwd=ROOT,
                       check=True)
    return tree


def _sample(tree: Path, case: str) -> float:
    module, cls, method, params = case.split(":", 3)
    code = _CHILD.format(tree=str(tree), bench=str(ROOT / "asv_benchmarks"), module=module,
                         cls=cls, method=method, params=ast.literal_eval(params))
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=str(tree))
    if out.returncode:
        raise RuntimeError(f"{case} on {tree.name}: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("base")
    ap.add_argument("head")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--case", action="append", default=None)
    ap.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "sparsekit-ab"))
    args = ap.parse_args(argv)
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    trees = [_worktree(args.base, work), _worktree(args.head, work)]
    rows = []
    for case in args.case or HEADLINE:
        times = {0: [], 1: []}
        for _ in range(args.repeat):
            for side in (0, 1):
                times[side].append(_sample(trees[side], case))
        a, b = statistics.median(times[0]), statistics.median(times[1])
        rows.append((case, a, b, b / a))
        print(f"{case}\n  base {trees[0].name}: {a:.3f} s  head {trees[1].name}: {b:.3f} s  "
              f"head/base {b / a:.2f}  (samples {sorted(round(t, 3) for t in times[0])} | "
              f"{sorted(round(t, 3) for t in times[1])})", flush=True)
    print("\n| case | base s | head s | head / base |\n|---|---|---|---|")
    for case, a, b, r in rows:
        print(f"| `{case}` | {a:.3f} | {b:.3f} | {r:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
