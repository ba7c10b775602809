"""The comparison page of the asv dashboard: every headline case, sparsekit beside its anchors.

Reads the stored asv results (the newest of one machine, as ``bench_table.py``
does) and writes ``HTML_DIR/sparsekit.html``: for every benchmark class with a
``method`` parameter, one table per case with each method's time (asv median),
the ratio anchor time / sparsekit time (> 1: sparsekit faster), its accuracy
(the class's ``track_*`` residual or error, on a log scale) and its peak
memory (the class's ``peakmem_*``), with the machine, the date and the commit.
Every number links to asv's own graph of it, opened with ``x-axis=method``
(and a log axis for accuracy).  It also makes asv's landing page say what the
dashboard is (title, a banner linking here) and adds ``sparsekit-dashboard.js``,
which opens accuracy graphs on a log axis (asv 0.6 reads ``y-axis-scale``
from the URL but never applies it).

    python scripts/bench_page.py [HTML_DIR] [--results DIR] [--machine NAME]

Running it twice is harmless.  Each table row carries its numbers in
``data-*`` attributes, which the dashboard test compares with the stored results.
"""

from __future__ import annotations

import argparse
import html
import json
import math
import os
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_table  # noqa: E402  (a sibling script)

ROOT = Path(__file__).resolve().parent.parent
PAGE = "sparsekit.html"
SCRIPT = "sparsekit-dashboard.js"
_ACCURACY_WORDS = ("relres", "residual", "error")
_BANNER_ID = "sparsekit-banner"


def machine_facts() -> dict:
    """This host as asv's ``machine`` command records it (for ``asv machine --machine X``)."""
    ram = ""
    try:
        ram = str(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        pass
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"arch": platform.machine(), "cpu": cpu or "unknown",
            "num_cpu": str(os.cpu_count() or ""),
            "os": f"{platform.system()} {platform.release()}", "ram": ram}


def is_accuracy(name: str) -> bool:
    """Whether a benchmark name is an accuracy track (a residual or an error)."""
    last = name.split(".")[-1]
    return last.startswith("track_") and any(w in last for w in _ACCURACY_WORDS)


def graph_url(bench: str, case, x_axis: str = "method", log: bool = False) -> str:
    """asv's graph page of ``bench`` for one case, ``x-axis`` and (optionally) a log axis."""
    parts = [("x-axis", x_axis)] + [(f"p-{n}", v) for n, v in case]
    if log:
        parts.append(("y-axis-scale", "log"))
    return "index.html#" + bench + "?" + "&".join(
        f"{quote(k, safe='')}={quote(str(v), safe='')}" for k, v in parts)


def _raw_cases(name, entry, benchmarks):
    """(case as raw asv strings, method, value) of one stored benchmark."""
    values, params, _ = entry
    names = benchmarks[name].get("param_names", [])
    if values is None or not params or "method" not in names:
        return  # a benchmark whose every case failed is stored as None
    import itertools

    k = names.index("method")
    for value, combo in zip(values, itertools.product(*params), strict=True):
        case = tuple((n, c) for i, (n, c) in enumerate(zip(names, combo, strict=True)) if i != k)
        yield case, combo[k], value


def collect(results, benchmarks):
    """{class: {case: {method: {"time": (bench, s), "accuracy": (bench, v), "memory": ...}}}}."""
    out: dict = {}
    for name in sorted(results):
        if name not in benchmarks:
            continue
        cls, last = name.rsplit(".", 1)
        kind = ("time" if last.startswith("time_") else "memory" if last.startswith("peakmem_")
                else "accuracy" if is_accuracy(name) else None)
        if kind is None:
            continue
        for case, method, value in _raw_cases(name, results[name], benchmarks):
            if value is None or not math.isfinite(value):
                continue
            slot = out.setdefault(cls, {}).setdefault(case, {}).setdefault(method, {})
            slot.setdefault(kind, (name, float(value)))
    # a class is a comparison only when a case has sparsekit and an anchor timed
    return {cls: cases for cls, cases in out.items()
            if any(sum(1 for m in ms if "time" in ms[m]) > 1
                   and any(bench_table.is_sparsekit(bench_table._value(m)) for m in ms)
                   for ms in cases.values())}


def _log_bar(value: float, lo: float = 1e-16, hi: float = 1.0, width: int = 120) -> str:
    """An inline SVG bar whose length is log10(value) between ``lo`` and ``hi``."""
    if value <= 0:
        frac = 0.0
    else:
        frac = (math.log10(value) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
    w = max(1.0, min(1.0, frac) * width)
    return (f'<svg class="bar" width="{width}" height="10" role="img" '
            f'aria-label="{value:.2e} on a log scale from {lo:g} to {hi:g}">'
            f'<rect x="0" y="0" width="{width}" height="10" fill="#eee"/>'
            f'<rect class="ink" x="0" y="0" width="{w:.1f}" height="10" fill="#4a7ab5"/></svg>')


def _time_bar(seconds: float, slowest: float, width: int = 120) -> str:
    w = max(1.0, width * (math.log10(1 + 1e3 * seconds) / math.log10(1 + 1e3 * slowest))
            if slowest > 0 else 1.0)
    return (f'<svg class="bar" width="{width}" height="10" role="img" aria-label="time">'
            f'<rect x="0" y="0" width="{width}" height="10" fill="#eee"/>'
            f'<rect class="ink" x="0" y="0" width="{w:.1f}" height="10" fill="#c86b2a"/></svg>')


def _fmt_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} GiB"


def _case_table(cls, case, methods) -> str:
    esc = html.escape
    order = sorted(methods, key=lambda m: (not bench_table.is_sparsekit(bench_table._value(m)),
                                           str(m)))
    timed = [m for m in order if "time" in methods[m]]
    # each anchor against the sparsekit rows bench_table pairs it with (the fastest of them)
    paired: dict = {}
    for s, a in bench_table.pairs([bench_table._value(m) for m in timed]):
        paired.setdefault(a, []).append(s)
    raw = {bench_table._value(m): m for m in timed}
    slowest = max((methods[m]["time"][1] for m in order if "time" in methods[m]), default=0)
    rows = []
    for m in order:
        d = methods[m]
        label = str(bench_table._value(m))
        sk = bench_table.is_sparsekit(label)
        t = d.get("time")
        acc = d.get("accuracy")
        mem = d.get("memory")
        refs = [methods[raw[s]]["time"][1] for s in paired.get(bench_table._value(m), [])]
        ratio = t[1] / min(refs) if (t and refs and min(refs) > 0) else None
        cells = [f'<td class="method{" sk" if sk else ""}">{esc(label)}</td>']
        if t:
            cells.append(f'<td class="num"><a href="{esc(graph_url(t[0], case))}">'
                         f"{esc(bench_table.fmt_time(t[1]))}</a></td>"
                         f"<td>{_time_bar(t[1], slowest)}</td>")
        else:
            cells.append('<td class="num">—</td><td></td>')
        cells.append(f'<td class="num">{"" if sk else f"{ratio:.2f}x" if ratio else "—"}</td>')
        if acc:
            cells.append(f'<td class="num"><a href="{esc(graph_url(acc[0], case, log=True))}">'
                         f"{acc[1]:.2e}</a></td><td>{_log_bar(abs(acc[1]))}</td>")
        else:
            cells.append('<td class="num">—</td><td></td>')
        if mem:
            cells.append(f'<td class="num"><a href="{esc(graph_url(mem[0], case))}">'
                         f"{esc(_fmt_bytes(mem[1]))}</a></td>")
        else:
            cells.append('<td class="num">—</td>')
        data = {"bench": cls, "case": json.dumps(case), "method": m,
                "time": "" if not t else repr(t[1]),
                "ratio": "" if ratio is None or sk else repr(ratio),
                "accuracy": "" if not acc else repr(acc[1]),
                "memory": "" if not mem else repr(mem[1])}
        attrs = " ".join(f'data-{k}="{esc(str(v))}"' for k, v in data.items())
        rows.append(f'<tr class="{"sk" if sk else "anchor"}" {attrs}>' + "".join(cells) + "</tr>")
    acc_name = next((d["accuracy"][0].rsplit(".", 1)[1] for d in methods.values()
                     if "accuracy" in d), None)
    caption = bench_table.fmt_case([(n, bench_table._value(v)) for n, v in case])
    head = ("<tr><th>method</th><th>time</th><th>(log scale)</th><th>anchor / sparsekit</th>"
            f"<th>accuracy{' (' + esc(acc_name) + ')' if acc_name else ''}</th>"
            "<th>log scale 1e-16 … 1</th><th>peak memory</th></tr>")
    return (f'<table class="case"><caption>{esc(caption)}</caption>{head}'
            + "".join(rows) + "</table>")


def _summary(results, benchmarks) -> str:
    """At a glance: one line per benchmark, sparsekit row and anchor (``bench_table``'s summary)."""
    esc = html.escape
    header, table = bench_table.summary(bench_table.ratios(results, benchmarks))
    if not table:
        return ""
    header, table = header[:6], [row[:6] for row in table]  # the slowest case is in the tables
    out = ['<h2 id="summary">At a glance</h2><table class="case summary"><tr>'
           + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr>"]
    for row in table:
        geo = float(row[4].rstrip("x"))
        cls = "faster" if geo >= 1 else "slower"
        link = f'<a href="#{esc(row[0].rsplit(".", 1)[0])}">{esc(row[0])}</a>'
        cells = [link] + [esc(c) for c in row[1:]]
        out.append(f'<tr class="{cls}" data-summary="{esc(row[0])}|{esc(row[1])}|{esc(row[2])}">'
                   + "".join(f'<td{" class=num" if i >= 3 else ""}>{c}</td>'
                             for i, c in enumerate(cells)) + "</tr>")
    out.append("</table>")
    return "".join(out)


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em 2em; color: #222; max-width: 1100px; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table.case { border-collapse: collapse; margin: 0.8em 0 1.2em; font-size: 0.92em; }
table.case caption { text-align: left; font-weight: 600; padding: 0.2em 0; }
table.case th, table.case td { padding: 0.25em 0.7em; border-bottom: 1px solid #eee; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.sk td.method { font-weight: 600; color: #1d4f91; }
tr.faster td:nth-child(5) { color: #1a7f37; font-weight: 600; }
tr.slower td:nth-child(5) { color: #b42318; font-weight: 600; }
.meta { color: #555; } .legend { background: #f6f8fa; padding: 0.6em 1em; }
"""


def render(results, benchmarks, machine: str, info: dict) -> str:
    """The whole comparison page."""
    groups = collect(results, benchmarks)
    commits = sorted({results[b][2][:8] for b in results if b in benchmarks})
    esc = html.escape
    ram = str(info.get("ram", ""))
    facts = (f"{esc(info.get('cpu', 'not recorded'))}, {esc(str(info.get('num_cpu', '?')))} "
             f"cores, {_fmt_bytes(float(ram)) if ram.isdigit() else '?'} memory, "
             f"{esc(info.get('os', ''))}")
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<title>sparsekit against its anchors: benchmark comparison</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>sparsekit against its anchors</h1>",
        f"<p class='meta'>machine <b>{esc(machine)}</b>: {facts}. Results of commit "
        f"{', '.join(esc(c) for c in commits) or '?'}; page written {when}. "
        "<a href='index.html'>asv's dashboard</a> (history of every benchmark).</p>",
        "<p class='legend'>Every headline case runs sparsekit and its anchors (plain SciPy, "
        "PyAMG, networkx, scikit-learn, scikit-fem, the dense numpy path) in the same asv run. "
        "<b>anchor / sparsekit</b> is the anchor's time over sparsekit's (asv medians): "
        "<b>above 1 means sparsekit is faster</b>. Accuracy is each method's own answer "
        "judged the same way (true relative residual, eigenpair residual or eigenvalue "
        "error), on a log scale: a fast wrong answer cannot look good. A number links to "
        "asv's graph of it, with the methods side by side.</p>",
    ]
    parts.append(_summary(results, benchmarks))
    for cls in sorted(groups):
        parts.append(f'<h2 id="{esc(cls)}">{esc(cls)}</h2>')
        for case in sorted(groups[cls], key=str):
            parts.append(_case_table(cls, case, groups[cls][case]))
    if not groups:
        parts.append("<p>No benchmark with sparsekit and anchor rows in these results.</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


_JS = """// sparsekit: open accuracy graphs on a log axis (asv 0.6 does not apply y-axis-scale
// from the URL), and every graph with x-axis=method unless the URL chose another axis.
(function () {
  function wanted() {
    var h = window.location.hash || "";
    var name = h.slice(1).split("?")[0];
    var last = name.split(".").pop() || "";
    var acc = /^track_/.test(last) && /(relres|residual|error)/.test(last);
    return {name: name, log: acc || h.indexOf("y-axis-scale=log") >= 0};
  }
  function apply() {
    var w = wanted();
    if (!w.name || !window.$ || !$("#main-graph").data("plot")) { return false; }
    var btn = $("#log-scale");
    if (w.log && btn.length && !btn.hasClass("active")) { btn.click(); }
    return true;
  }
  function poll() {
    var tries = 0;
    var id = setInterval(function () { if (apply() || ++tries > 100) { clearInterval(id); } },
                         100);
  }
  window.addEventListener("hashchange", poll);
  window.addEventListener("load", poll);
})();
"""

_BANNER = (
    f'<div id="{_BANNER_ID}" style="margin:8px 15px;padding:8px 12px;background:#f6f8fa;'
    'border:1px solid #d0d7de;border-radius:4px;font-size:14px">'
    "<b>sparsekit</b>'s performance dashboard: every headline case runs sparsekit beside its "
    "anchor (SciPy, PyAMG, networkx, scikit-learn, the dense path) in the same run, with "
    "accuracy tracked beside time. <a href='sparsekit.html'><b>The comparison page</b></a> "
    "puts them side by side at a glance; below is asv's grid of every benchmark's history."
    "</div>")


def patch_index(html_dir: Path) -> None:
    """Title, banner and the log-scale script in asv's ``index.html`` (idempotent)."""
    index = html_dir / "index.html"
    text = index.read_text(encoding="utf-8")
    text = text.replace("<title>airspeed velocity</title>",
                        "<title>sparsekit benchmarks: sparsekit against its anchors</title>")
    if SCRIPT not in text:
        text = text.replace("</head>", f'  <script src="{SCRIPT}"></script>\n  </head>', 1)
    if _BANNER_ID not in text:
        i = text.find("<body")
        j = text.find(">", i) + 1
        text = text[:j] + "\n" + _BANNER + text[j:]
    index.write_text(text, encoding="utf-8")
    (html_dir / SCRIPT).write_text(_JS, encoding="utf-8")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("html_dir", nargs="?", default=str(ROOT / "asv_benchmarks" / "html"))
    ap.add_argument("--results", default=str(ROOT / "asv_benchmarks" / "results"))
    ap.add_argument("--machine", default=None)
    args = ap.parse_args(argv)
    results_dir, html_dir = Path(args.results), Path(args.html_dir)
    benchmarks = json.loads((results_dir / "benchmarks.json").read_text())
    machine, results = bench_table.latest_results(results_dir, args.machine)
    info = json.loads((results_dir / machine / "machine.json").read_text())
    html_dir.mkdir(parents=True, exist_ok=True)
    (html_dir / PAGE).write_text(render(results, benchmarks, machine, info), encoding="utf-8")
    if (html_dir / "index.html").exists():
        patch_index(html_dir)
    print(f"bench_page: wrote {html_dir / PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
