"""The asv suite runs, and its published dashboard renders in a real browser.

One quick pass of every benchmark (``SPARSEKIT_BENCH_QUICK=1 asv run --quick``,
results in a temporary folder) must finish with no failed benchmark; then
``asv publish`` + ``scripts/asv_offline.py`` build the dashboard, which headless
Chromium (Debian's package, driven by Playwright) opens over http on 127.0.0.1.
The assertions are on the rendered page: every benchmark module (family) has
its group in the benchmark grid, and its graph page draws the measured points
where asv's own results put them.  Nothing here is timed.
"""

import functools
import http.server
import json
import math
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parent.parent
ASV_DIR = ROOT / "asv_benchmarks"
BENCH_DIR = ASV_DIR / "benchmarks"
MACHINE = "sparsekit-quick"
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_FLAGS = [
    "--no-sandbox", "--headless", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# the whole quick run of every family; CI's share for it is about 4 minutes
QUICK_RUN_LIMIT_S = 600

pytest.importorskip("asv", reason="asv is not installed (pip install -e '.[bench]')")

sys.path.insert(0, str(ROOT / "scripts"))
import bench_page  # noqa: E402  (the comparison page's writer)


def families():
    """Benchmark modules: each is one family and one group on the dashboard."""
    return sorted(p.stem for p in BENCH_DIR.glob("*.py") if not p.stem.startswith("_"))


def asv(args, workdir, timeout=QUICK_RUN_LIMIT_S, quick=True, code=ROOT):
    """Run ``python -m asv ARGS`` on the config in ``workdir``, sparsekit from ``code``."""
    env = dict(os.environ)
    env["HOME"] = str(workdir)  # asv's machine file lives in $HOME; keep it out of the user's
    env["ASV_PYTHONPATH"] = os.pathsep.join(
        [str(code)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    if quick:
        env["SPARSEKIT_BENCH_QUICK"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "asv", *args, "--config", str(workdir / "asv.conf.json")],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout,
    )


def _tail(proc, n=6000):
    return (proc.stdout + proc.stderr)[-n:]


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    """A copy of asv.conf.json with absolute paths and results/html in a temporary folder."""
    work = tmp_path_factory.mktemp("asv")
    conf = asv_conf()
    conf.update(repo=str(ROOT), benchmark_dir=str(BENCH_DIR),
                results_dir=str(work / "results"), html_dir=str(work / "html"),
                env_dir=str(work / "env"))
    (work / "asv.conf.json").write_text(json.dumps(conf, indent=2))
    proc = asv(["machine", "--yes", "--machine", MACHINE], work, timeout=60)
    assert proc.returncode == 0, _tail(proc)
    # asv 0.6 records none of this machine's facts under a name of our own (its --cpu,
    # --num_cpu, --ram flags are dropped with --yes): write them where it reads them
    machine_file = work / ".asv-machine.json"
    known = json.loads(machine_file.read_text())
    known[MACHINE].update(bench_page.machine_facts())
    machine_file.write_text(json.dumps(known, indent=4))
    return work


def asv_conf():
    """asv.conf.json as a dict (asv allows // comments in it)."""
    lines = (ASV_DIR / "asv.conf.json").read_text().splitlines()
    return json.loads("\n".join(ln for ln in lines if not ln.lstrip().startswith("//")))


def _previous_commit():
    """The parent of HEAD, or None (a shallow clone, or no git)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        return None
    out = subprocess.run(["git", "rev-parse", "--verify", "-q", "HEAD~1"], cwd=ROOT,
                         capture_output=True, text=True, timeout=30)
    return out.stdout.strip() or None


@pytest.fixture(scope="module")
def previous_run(suite, tmp_path_factory):
    """The quick run on HEAD's parent too (its code from ``git archive``), so the dashboard's
    lines have two points; None where there is no parent. Failures there are not ours."""
    sha = _previous_commit()
    if sha is None:
        return None
    code = tmp_path_factory.mktemp("previous")
    archive = subprocess.run(["git", "archive", "--format=tar", sha], cwd=ROOT,
                             capture_output=True, timeout=120)
    assert archive.returncode == 0, archive.stderr[-2000:]
    subprocess.run(["tar", "-x", "-C", str(code)], input=archive.stdout, check=True, timeout=120)
    proc = asv(["run", "--python=same", "--quick", f"--set-commit-hash={sha}",
                "--machine", MACHINE], suite, code=code)
    return sha, proc


@pytest.fixture(scope="module")
def quick_run(suite, previous_run):
    """``asv run --quick`` of every benchmark at the quick sizes; returns (proc, results)."""
    proc = asv(["run", "--python=same", "--quick", "--set-commit-hash=HEAD",
                "--machine", MACHINE, "--show-stderr"], suite)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True, timeout=30).stdout.strip()[:8]
    files = [p for p in (suite / "results" / MACHINE).glob(f"{head}*.json")]
    results = json.loads(files[0].read_text(), parse_constant=lambda c: math.nan) if files else {}
    benchmarks = json.loads((suite / "results" / "benchmarks.json").read_text())
    return proc, results, benchmarks


def test_config_is_offline_and_in_place():
    conf = asv_conf()
    assert conf["repo"] == ".."
    assert conf["environment_type"] == "existing" and conf["pythons"] == ["same"]
    for key in ("results_dir", "html_dir", "env_dir"):
        assert not Path(conf[key]).is_absolute() and ".." not in conf[key]
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    for key in ("results_dir", "html_dir", "env_dir"):
        probe = f"asv_benchmarks/{conf[key]}/x.json"
        proc = subprocess.run(["git", "check-ignore", "-q", probe], cwd=ROOT, timeout=30)
        assert proc.returncode == 0, f"{probe} is not ignored by git"


def test_asv_check(suite):
    proc = asv(["check", "--python=same"], suite, timeout=120)
    assert proc.returncode == 0, _tail(proc)
    assert "No problems found" in proc.stdout + proc.stderr


def test_every_family_is_discovered(quick_run):
    _, _, benchmarks = quick_run
    found = {name.split(".")[0] for name in benchmarks if name != "version"}
    assert set(families()) <= found, f"modules without benchmarks: {set(families()) - found}"
    assert "io" in found


def test_quick_run_has_no_failed_benchmark(quick_run):
    proc, results, benchmarks = quick_run
    assert proc.returncode == 0, _tail(proc)
    names = [n for n in benchmarks if n != "version"]
    missing = [n for n in names if n not in results.get("results", {})]
    assert not missing, f"benchmarks with no result: {missing}"
    # asv stores a failed (or timed-out) combination as null, a skipped one as NaN
    failed = [n for n in names if any(v is None for v in results["results"][n][0])]
    assert not failed, f"failed benchmarks: {failed}\n{_tail(proc)}"


def test_quick_run_measures_io_against_its_anchor(quick_run):
    """The io family is measured on the shared matrices: sparsekit, scipy and fmm side by side."""
    _, results, benchmarks = quick_run
    import sparsekit as sk

    if not sk.datasets.available("bcsstk09"):
        pytest.skip(f"bcsstk09 not in {sk.datasets.data_dir()}")
    values, params = results["results"]["io.Read.time_read"][:2]
    matrices, suffixes, methods = params
    assert matrices == ["'bcsstk09'"] and suffixes == ["'.mtx'", "'.mtx.gz'"]
    assert len(values) == 6
    assert methods == ["'sparsekit'", "'scipy.io.mmread'", "'fast_matrix_market'"]
    assert all(v > 0 and math.isfinite(v) for v in values)
    assert "scipy.io.mmread" in benchmarks["io.Read.track_speedup"]["unit"]


# --- the dashboard in a real browser ---------------------------------------

def _browser():
    for exe in CHROMIUM:
        if os.access(exe, os.X_OK):
            return exe
    return None


@pytest.fixture(scope="module")
def browser_exe():
    exe = _browser()
    if exe is None:
        # installs Debian's chromium where it can (root, apt); a no-op elsewhere
        subprocess.run(["bash", str(ROOT / "scripts" / "install-browser.sh")],
                       capture_output=True, timeout=600, check=False)
        exe = _browser()
    if exe is None:
        pytest.skip("no Chromium and none could be installed (scripts/install-browser.sh "
                    "needs root and Debian's apt)")
    return exe


@pytest.fixture(scope="module")
def dashboard(quick_run, suite):
    """Publish the quick results, make the page self-contained, serve it on 127.0.0.1."""
    proc = asv(["publish"], suite, timeout=300)
    assert proc.returncode == 0, _tail(proc)
    html = suite / "html"
    off = subprocess.run([sys.executable, str(ROOT / "scripts" / "asv_offline.py"), str(html)],
                         capture_output=True, text=True, timeout=60)
    assert off.returncode == 0, off.stderr
    page = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench_page.py"), str(html),
                           "--results", str(suite / "results"), "--machine", MACHINE],
                          capture_output=True, text=True, timeout=60)
    assert page.returncode == 0, page.stderr

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def handle(self):
            try:
                super().handle()
            except (BrokenPipeError, ConnectionResetError):
                pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(html)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(dashboard, browser_exe):
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (pip install playwright)")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=browser_exe, args=CHROMIUM_FLAGS)
        pg = browser.new_page(viewport={"width": 1400, "height": 900})
        seen = SimpleNamespace(page=pg, external=[], errors=[])
        # every request must stay on 127.0.0.1; every script must run without error
        pg.on("request", lambda r: None if r.url.startswith(dashboard)
              else seen.external.append(r.url))
        pg.on("pageerror", lambda e: seen.errors.append(str(e)))
        yield seen
        browser.close()


def test_dashboard_grid_shows_every_family(browser, dashboard, quick_run):
    page = browser.page
    page.goto(dashboard + "index.html")
    page.wait_for_selector("#summarygrid-display .benchmark-group h1", timeout=30_000)
    assert "failed to load" not in page.inner_text("body")
    groups = page.eval_on_selector_all(
        "#summarygrid-display .benchmark-group",
        "els => els.map(g => [g.querySelector('h1').innerText,"
        " g.querySelectorAll('.benchmark-container').length,"
        " g.querySelectorAll('.benchmark-plot').length])")
    # (asv draws the thumbnails lazily, when scrolled into view, and with one
    # commit they hold no line: the points are on the graph pages, tested below)
    shown = {name: (n, plots) for name, n, plots in groups}
    _, _, benchmarks = quick_run
    for family in families():
        assert family in shown, f"family {family!r} missing from the grid; shown: {sorted(shown)}"
        expected = sum(1 for b in benchmarks if b.split(".")[0] == family)
        n, plots = shown[family]
        assert n == expected and plots == expected, (family, n, plots, expected)
    assert not browser.external, f"the page fetched from outside: {browser.external}"
    assert not browser.errors, browser.errors


def _measured(results, benchmarks, family):
    """A benchmark of ``family`` with a finite result, time_ first, or None."""
    names = sorted((b for b in benchmarks if b.split(".")[0] == family),
                   key=lambda b: (".time_" not in b, b))
    for name in names:
        values = results["results"].get(name, [[]])[0]
        if any(v is not None and math.isfinite(v) for v in values):
            return name
    return None


# Evaluated in the page: the main graph's flot series, and for the last point
# of each, whether the canvas has ink (a non-background pixel) where flot put it.
_INSPECT = """() => {
  const plot = $('#main-graph').data('plot');
  if (!plot) return null;
  const ctx = $('#main-graph canvas.flot-base')[0].getContext('2d');
  const ratio = window.devicePixelRatio || 1;
  return plot.getData().map(s => {
    const pts = s.data.filter(p => p && p[1] !== null && isFinite(p[1]));
    const pt = pts[pts.length - 1];  // the newest commit's point (HEAD's run)
    if (!pt) return {label: s.label, points: 0, ink: false};
    const o = plot.pointOffset({x: pt[0], y: pt[1], xaxis: s.xaxis.n, yaxis: s.yaxis.n});
    const r = 6;
    const img = ctx.getImageData(Math.round((o.left - r) * ratio), Math.round((o.top - r) * ratio),
                                 Math.round(2 * r * ratio), Math.round(2 * r * ratio)).data;
    let ink = false;
    for (let i = 0; i < img.length; i += 4) {
      const dark = img[i] < 200 || img[i + 1] < 200 || img[i + 2] < 200;
      if (img[i + 3] > 0 && dark) { ink = true; break; }
    }
    return {label: s.label, points: s.data.filter(p => p && p[1] !== null).length, ink: ink,
            y: pt[1]};
  });
}"""


def test_dashboard_draws_a_graph_per_family(browser, dashboard, quick_run):
    page = browser.page
    _, results, benchmarks = quick_run
    unmeasured = []
    for family in families():
        name = _measured(results, benchmarks, family)
        if name is None:
            # every combination skipped here (no GPU, no MPI): the family must
            # still open a graph page, which has nothing to draw
            unmeasured.append(family)
            name = next(b for b in sorted(benchmarks) if b.split(".")[0] == family)
        # a full load per graph: a hash-only change keeps the previous graph's plot
        # object, and the wait below would then read stale series
        page.goto("about:blank")
        page.goto(dashboard + "index.html#" + name)
        page.wait_for_function("() => $('#main-graph').data('plot') !== undefined",
                               timeout=30_000)
        series = page.evaluate(_INSPECT)
        assert series is not None, f"{name}: no graph"
        if family in unmeasured:
            continue
        drawn = [s for s in series if s["points"] > 0]
        assert drawn, f"{name}: graph has no points: {series}"
        assert all(s["ink"] for s in drawn), f"{name}: points not drawn on the canvas: {series}"
        # the plotted values are the measured ones (asv plots time in seconds, as stored)
        stored = sorted(v for v in results["results"][name][0]
                        if v is not None and math.isfinite(v))
        for s in drawn:
            assert any(math.isclose(s["y"], v, rel_tol=1e-6) for v in stored), (name, s, stored)
    measured = [f for f in families() if f not in unmeasured]
    assert "io" in measured
    assert not browser.external, browser.external
    assert not browser.errors, browser.errors


def test_install_browser_script_is_idempotent(browser_exe):
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "install-browser.sh")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert "present" in proc.stdout


def test_offline_rewrite_leaves_no_cdn(dashboard, suite):
    text = (suite / "html" / "index.html").read_text()
    assert "cdn" not in text.lower() and "https://code.jquery" not in text
    for local in ("jquery.min.js", "jquery.flot.js", "bootstrap.min.css"):
        assert (suite / "html" / "vendor" / local).is_file()



def test_bench_table_ratios_match_the_stored_times(quick_run, suite, tmp_path):
    """The table's ratio for each io.Read case is the anchor's stored median over sparsekit's."""
    _, results, _ = quick_run
    out = tmp_path / "table.md"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench_table.py"), "--results",
         str(suite / "results"), "--machine", MACHINE, "--full", "--markdown", str(out)],
        capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    rows = [[c.strip() for c in line.strip("|").split("|")]
            for line in out.read_text().splitlines()[2:]]
    values, (matrices, suffixes, methods) = results["results"]["io.Read.time_read"][:2]
    # asv stores the values in the order of the product of the parameter lists
    grid = {(m, s, meth): v for v, (m, s, meth) in zip(
        values, [(m, s, meth) for m in matrices for s in suffixes for meth in methods],
        strict=True)}
    checked = 0
    for m in matrices:
        for s in suffixes:
            case = f"matrix={m.strip(chr(39))}, suffix={s.strip(chr(39))}"
            for anchor in ("scipy.io.mmread", "fast_matrix_market"):
                want = grid[(m, s, f"'{anchor}'")] / grid[(m, s, "'sparsekit'")]
                got = [r for r in rows if r[0] == "io.Read.time_read" and r[3] == case
                       and r[2] == anchor]
                assert len(got) == 1 and got[0][1] == "sparsekit", got
                assert float(got[0][6].rstrip("x")) == pytest.approx(want, abs=0.006)
                checked += 1
    assert checked == 2 * len(matrices) * len(suffixes)


# --- the comparison page ------------------------------------------------------


def test_grid_lines_have_two_commits(dashboard, suite, previous_run, quick_run):
    """With the parent commit measured too, the grid's thumbnails are lines, not empty."""
    if previous_run is None:
        pytest.skip("no parent commit (shallow clone): one point per benchmark")
    summary = suite / "html" / "graphs" / "summary"
    _, results, _ = quick_run
    two = [p.stem for p in summary.glob("*.json")
           if sum(1 for pt in json.loads(p.read_text()) if pt[1] is not None) >= 2]
    io_read = "io.Read.time_read"
    assert io_read in results["results"] and io_read in two, sorted(two)[:10]
    assert len(two) >= 0.8 * len(list(summary.glob("*.json"))), (len(two), sorted(two)[:20])


def test_landing_page_names_sparsekit_and_links_the_comparison(browser, dashboard):
    page = browser.page
    page.goto("about:blank")
    page.goto(dashboard + "index.html")
    assert "sparsekit" in page.title()
    banner = page.inner_text("#sparsekit-banner")
    assert "sparsekit" in banner and "comparison" in banner.lower()
    assert page.get_attribute("#sparsekit-banner a", "href") == "sparsekit.html"
    assert not browser.external, browser.external


def test_comparison_page_shows_the_stored_numbers(browser, dashboard, quick_run, suite):
    import itertools

    page = browser.page
    page.goto("about:blank")
    page.goto(dashboard + bench_page.PAGE)
    assert "sparsekit" in page.title()
    rows = page.eval_on_selector_all(
        "tr[data-bench]", "els => els.map(e => Object.assign({}, e.dataset))")
    _, results, benchmarks = quick_run
    assert len({r["bench"] for r in rows}) >= 10, rows[:3]
    checked = 0
    for r in rows:
        case = [tuple(c) for c in json.loads(r["case"])]
        for kind, prefix in (("time", "time_"), ("memory", "peakmem_"), ("accuracy", "track_")):
            if not r[kind]:
                continue
            names = [b for b in results["results"] if b.startswith(r["bench"] + "." + prefix)
                     and (kind != "accuracy" or bench_page.is_accuracy(b))]
            found = False
            for bench in names:
                values, params = results["results"][bench][:2]
                pnames = benchmarks[bench]["param_names"]
                for value, combo in zip(values, itertools.product(*params), strict=True):
                    d = dict(zip(pnames, combo, strict=True))
                    if d.get("method") == r["method"] and all(d.get(n) == v for n, v in case):
                        found = found or (value is not None
                                          and math.isclose(value, float(r[kind]), rel_tol=1e-12))
            assert found, (kind, r)
            checked += 1
    assert checked >= 40, checked
    # the ratios are the anchor's stored time over its sparsekit row's
    anchors = [r for r in rows if r["ratio"]]
    assert anchors and all(float(r["ratio"]) > 0 for r in anchors)
    # it draws: every bar has ink
    widths = page.eval_on_selector_all("svg.bar rect.ink",
                                       "els => els.map(e => +e.getAttribute('width'))")
    assert widths and min(widths) > 0
    shots = ROOT / "results" / "dashboard"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "comparison.png"), full_page=True)
    assert not browser.external, browser.external
    assert not browser.errors, browser.errors


def test_accuracy_links_open_asv_on_a_log_axis_by_method(browser, dashboard):
    page = browser.page
    page.goto("about:blank")
    page.goto(dashboard + bench_page.PAGE)
    href = page.eval_on_selector_all(
        "tr[data-accuracy]:not([data-accuracy='']) td a",
        "els => els.map(e => e.getAttribute('href')).filter(h => h.includes('track_'))")
    assert href, "no accuracy link on the comparison page"
    assert "x-axis=method" in href[0] and "y-axis-scale=log" in href[0]
    page.goto("about:blank")
    page.goto(dashboard + href[0])
    page.wait_for_function("() => $('#main-graph').data('plot') !== undefined", timeout=30_000)
    page.wait_for_function("() => $('#log-scale').hasClass('active')", timeout=15_000)
    xaxis = page.evaluate("() => $('#main-graph').data('plot').getAxes().xaxis.options.mode")
    assert xaxis == "categories"  # the methods side by side, not commits
    assert not browser.external, browser.external
