"""The regret suite's machinery (``scripts/regret.py``): who counts as fastest, and the ratio.

Nothing here asserts a time: the contenders are built so that their accuracy
is known (an exact solve, a perturbed one, exact eigenpairs that are not the
wanted ones), and the ratio is checked against the samples the row records.
"""

import importlib.util
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "regret.py"


@pytest.fixture(scope="module")
def regret():
    spec = importlib.util.spec_from_file_location("regret_suite", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


def _tridiag(n):
    return sp.csr_array(sp.diags_array([-np.ones(n - 1), 2.5 * np.ones(n), -np.ones(n - 1)],
                                       offsets=[-1, 0, 1]))


def test_inaccurate_or_failing_rival_is_not_fastest_and_ratio_is_auto_over_fastest(regret):
    A = _tridiag(300)
    b = np.random.default_rng(1).standard_normal(300)
    x = spla.spsolve(sp.csc_array(A), b)
    wrong = x + 1e-4 * np.linalg.norm(x)  # relative residual far above 1e-8

    def boom():
        raise RuntimeError("no")

    C = regret.Contender
    cands = [C("auto", lambda: (spla.spsolve(sp.csc_array(A), b), "direct")),
             C("exact", lambda: (spla.spsolve(sp.csc_array(A), b), "")),
             C("fast but wrong", lambda: (wrong, "")),
             C("raises", boom)]
    row = regret.measure(regret.Case("tridiag", "solve"), A, cands, b, repeat=3)
    assert row["fastest"] == "exact"
    assert not row["rivals"]["fast but wrong"]["accurate"]
    assert "inaccurate" in row["rivals"]["fast but wrong"]["error"]
    assert "RuntimeError" in row["rivals"]["raises"]["error"]
    assert row["auto_accurate"] and row["auto"] == "direct"
    expected = (statistics.median(row["auto_samples"])
                / statistics.median(row["rivals"]["exact"]["samples"]))
    assert row["ratio"] == pytest.approx(expected)
    # a millisecond case gets SHORT_REPEAT samples, interleaved with the live rivals'
    assert len(row["auto_samples"]) == max(3, regret.SHORT_REPEAT)
    assert len(row["rivals"]["exact"]["samples"]) == len(row["auto_samples"])
    assert row["auto_accuracy"] == pytest.approx(
        np.linalg.norm(b - A @ spla.spsolve(sp.csc_array(A), b)) / np.linalg.norm(b),
        rel=1e-6, abs=1e-15)


def test_exact_pairs_that_are_not_the_smallest_do_not_count(regret):
    # diag(1..n): eigenpairs known exactly; "skips one" returns true pairs 2..k+1
    n, k = 250, 4
    d = np.arange(1.0, n + 1)
    A = sp.csr_array(sp.diags_array(d))
    E = np.eye(n)
    C = regret.Contender
    cands = [C("auto", lambda: ((d[:k], E[:, :k]), "dense")),
             C("skips one", lambda: ((d[1:k + 1], E[:, 1:k + 1]), "")),
             C("right", lambda: ((d[:k], E[:, :k]), ""))]
    row = regret.measure(regret.Case("diag", "smallest", k), A, cands, repeat=1)
    assert row["rivals"]["skips one"]["accuracy"] == 0.0  # residuals alone cannot tell
    assert not row["rivals"]["skips one"]["accurate"]
    assert "wrong pairs" in row["rivals"]["skips one"]["error"]
    assert row["fastest"] == "right"


def test_auto_that_misses_the_accuracy_is_reported(regret):
    n, k = 250, 3
    d = np.arange(1.0, n + 1)
    A = sp.csr_array(sp.diags_array(d))
    E = np.eye(n)
    V = E[:, -k:] + 1e-3 * E[:, :k]  # largest pairs, perturbed: residual ~1e-3 ‖A‖
    C = regret.Contender
    cands = [C("auto", lambda: ((d[-k:], V), "arpack")),
             C("right", lambda: ((d[-k:], E[:, -k:]), ""))]
    row = regret.measure(regret.Case("diag", "largest", k), A, cands, repeat=1)
    assert not row["auto_accurate"]
    assert row["ratio"] == float("inf")
    s = regret.summary([row, dict(row, ratio=1.1, case="b"), dict(row, ratio=1.3, case="c")])
    assert s["share_within"] == pytest.approx(1 / 3)
    assert s["share_within_2x"] == pytest.approx(2 / 3)
    assert s["worst_case"] == "diag largest k=3"


def test_a_rival_that_hangs_times_out(regret, monkeypatch):
    monkeypatch.setattr(regret, "FLOOR_S", 0.2)
    A = _tridiag(50)
    b = np.ones(50)

    def hang():
        while True:
            time.sleep(0.01)

    C = regret.Contender
    cands = [C("auto", lambda: (spla.spsolve(sp.csc_array(A), b), "direct")),
             C("hangs", hang),
             C("exact", lambda: (spla.spsolve(sp.csc_array(A), b), ""))]
    row = regret.measure(regret.Case("tridiag", "solve"), A, cands, b, repeat=2)
    assert row["rivals"]["hangs"]["error"].startswith("timeout")
    assert row["fastest"] == "exact"


def test_a_real_case_runs_every_contender_and_checks_them(regret):
    row = regret.run_case(regret.Case("nos6", "solve"), repeat=1)
    # every accurate rival's answer was checked against the true residual
    assert row["auto_accurate"] and row["auto_accuracy"] <= 2e-8
    accurate = [name for name, r in row["rivals"].items() if r["accurate"]]
    assert "scipy spsolve" in accurate and "sk direct" in accurate
    assert row["fastest"] in accurate
    assert row["ratio"] == pytest.approx(row["auto_s"] / row["fastest_s"])
