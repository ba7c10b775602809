"""Print the headline ratios of an asv run: sparsekit beside each anchor.

Reads ``asv_benchmarks/results`` (the latest result file of one machine) and,
for every ``time_*`` benchmark with a ``method`` parameter, pairs each
sparsekit row with each anchor row of the same case (same values of the other
parameters).  The ratio is anchor time / sparsekit time, both asv medians: above
1 means sparsekit is faster.  The summary has one line per benchmark, sparsekit
variant and anchor: the geometric mean of the ratio over the cases, its range,
and the largest case's times.  ``--full`` lists every case.

Rows are told apart by the ``method`` value (``asv_benchmarks/benchmarks/_common.py``
states the convention): values starting with ``sparsekit``, ``sk.``, ``sparse-``
(sparsekit's sparse paths beside its dense one) or ``petsc`` (the PETSc backend)
are sparsekit's; every other value is an anchor.  A sparsekit variant named
``sparsekit<sep>X`` is paired with the anchors whose names end in ``X`` where
there are such (``sparsekit_K_and_M`` with ``scikit-fem_K_and_M``,
``sparsekit-loop`` with ``spsolve-loop``), otherwise with every anchor; plain
``sparsekit`` is paired with the anchors that no variant claims.

Usage::

    python scripts/bench_table.py [--results DIR] [--machine NAME] [--markdown FILE] [--full]
"""

import argparse
import ast
import itertools
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPARSEKIT_PREFIXES = ("sparsekit", "sk.", "sk:", "sparse-", "petsc")


def is_sparsekit(method):
    """Whether a ``method`` value names a sparsekit row (the rest are anchors)."""
    return str(method).lower().startswith(SPARSEKIT_PREFIXES)


def _variant(method):
    """``sparsekit_K_and_M`` -> ``K_and_M``; ``sparsekit`` -> ``""``."""
    m = str(method)
    return m[len("sparsekit"):].lstrip("-_:.") if m.startswith("sparsekit") else ""


def pairs(methods):
    """(sparsekit method, anchor) pairs that compare like with like within one case."""
    sks = [m for m in methods if is_sparsekit(m)]
    anchors = [m for m in methods if not is_sparsekit(m)]
    claimed = {_variant(s) for s in sks if _variant(s)}
    out = []
    for s in sks:
        v = _variant(s)
        if v:
            mine = [a for a in anchors if str(a).endswith(v)]
            out += [(s, a) for a in (mine or anchors)]
        else:
            out += [(s, a) for a in anchors if not any(str(a).endswith(c) for c in claimed)]
    return out


def _value(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def latest_results(results_dir, machine=None):
    """(machine, {benchmark: (values, params, commit)}) from one machine's result files.

    The machine defaults to the one with the newest file.  Each benchmark's
    entry comes from the newest file that has it, so a run of some benchmarks
    (``asv run -b``) on a later commit updates those and keeps the others.
    """
    files = []
    for d in sorted(p for p in Path(results_dir).iterdir() if p.is_dir()):
        if machine is not None and d.name != machine:
            continue
        for f in d.glob("*.json"):
            if f.name != "machine.json":
                data = json.loads(f.read_text(), parse_constant=lambda c: math.nan)
                files.append((data.get("date") or 0, f.stat().st_mtime, d.name, data))
    if not files:
        where = f" for machine {machine!r}" if machine else ""
        raise SystemExit(f"bench_table: no asv results{where} in {results_dir} (run `make bench`)")
    files.sort(key=lambda t: (t[0], t[1]))
    name = files[-1][2]
    merged = {}
    for _, _, machine_name, data in files:
        if machine_name != name:
            continue
        columns = data.get("result_columns", ["result", "params"])
        for bench, entry in data.get("results", {}).items():
            params = entry[columns.index("params")] if "params" in columns else []
            merged[bench] = (entry[columns.index("result")], params, data.get("commit_hash", "?"))
    return name, merged


def cases(name, entry, benchmarks):
    """Yield (other_params, method, value) for one benchmark's stored results."""
    values, params, _ = entry
    names = benchmarks[name].get("param_names", [])
    if not params or "method" not in names:
        return
    k = names.index("method")
    for value, combo in zip(values, itertools.product(*params), strict=True):
        combo = [_value(c) for c in combo]
        others = tuple((n, c) for i, (n, c) in enumerate(zip(names, combo, strict=True)) if i != k)
        yield others, combo[k], value


def ratios(results, benchmarks):
    """Rows: benchmark, sparsekit method, anchor, case, sparsekit time, anchor time, ratio."""
    rows = []
    for name in sorted(results):
        if name not in benchmarks or not name.split(".")[-1].startswith("time_"):
            continue
        by_case = {}
        for others, method, value in cases(name, results[name], benchmarks):
            if value is not None and math.isfinite(value):
                by_case.setdefault(others, {})[method] = value
        for others, times in by_case.items():
            for sk_method, anchor in pairs(list(times)):
                sk_time, anchor_time = times[sk_method], times[anchor]
                if sk_time > 0:
                    rows.append((name, sk_method, anchor, others, sk_time, anchor_time,
                                 anchor_time / sk_time))
    return rows


def fmt_time(seconds):
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if seconds >= scale or unit == "ns":
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds:.3g} s"


def fmt_case(others):
    return ", ".join(f"{n}={v}" for n, v in others) or "-"


def summary(rows):
    """One line per (benchmark, sparsekit method, anchor): geometric mean, range, largest case."""
    groups = {}
    for row in rows:
        groups.setdefault(row[:3], []).append(row)
    table = []
    for (name, sk_method, anchor), rs in groups.items():
        r = [row[6] for row in rs]
        geo = math.exp(sum(math.log(x) for x in r) / len(r))
        big = max(rs, key=lambda row: row[5])  # the case the anchor found hardest
        table.append([name, sk_method, anchor, str(len(rs)), f"{geo:.2f}x",
                      f"{min(r):.2f}–{max(r):.2f}", fmt_case(big[3]),
                      fmt_time(big[4]), fmt_time(big[5]), f"{big[6]:.2f}x"])
    header = ["benchmark", "sparsekit", "anchor", "cases", "ratio (geo. mean)", "range",
              "largest case", "sparsekit", "anchor", "ratio"]
    return header, table


def full(rows):
    header = ["benchmark", "sparsekit", "anchor", "case", "sparsekit", "anchor", "ratio"]
    return header, [[n, s, a, fmt_case(o), fmt_time(ts), fmt_time(ta), f"{q:.2f}x"]
                    for n, s, a, o, ts, ta, q in rows]


def markdown(header, table):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in table]
    return "\n".join(lines)


def plain(header, table):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *table, strict=True)]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)),
           "  ".join("-" * w for w in widths)]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) for row in table]
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--results", default=str(ROOT / "asv_benchmarks" / "results"))
    ap.add_argument("--machine", default=None)
    ap.add_argument("--markdown", default=None, help="also write the table here as markdown")
    ap.add_argument("--full", action="store_true", help="every case, not the summary")
    args = ap.parse_args(argv)

    benchmarks = json.loads((Path(args.results) / "benchmarks.json").read_text())
    machine, results = latest_results(args.results, args.machine)
    rows = ratios(results, benchmarks)
    header, table = full(rows) if args.full else summary(rows)
    info = json.loads((Path(args.results) / machine / "machine.json").read_text())
    commits = sorted({entry[2][:8] for entry in results.values()})
    title = (f"sparsekit vs anchors: anchor time / sparsekit time (asv medians; >1 = sparsekit "
             f"faster); machine {machine} ({info.get('cpu', '?')}, {info.get('num_cpu', '?')} "
             f"cpus), commit {', '.join(commits)}")
    print(title)
    print(plain(header, table) if table else "(no benchmark with sparsekit and anchor rows)")
    if args.markdown:
        Path(args.markdown).write_text(markdown(header, table) + "\n")
        print(f"markdown: {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
