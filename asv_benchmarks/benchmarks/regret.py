"""``auto`` against the fastest choice it could have made: the regret suite's summary.

Issue 19: ``auto`` is never pathological.  ``scripts/regret.py`` times
``auto`` against every explicit sparsekit method and the plain SciPy call on
each case, at equal accuracy (docs/regret.md); here its ``--quick`` subset
runs once per benchmark run (``setup_cache``) and the dashboard tracks

* ``track_share_within``: the share of cases where ``auto`` is within 1.25x
  of the fastest accurate rival (goal: at least 0.9);
* ``track_worst_ratio``: auto's time over the fastest rival's in the worst
  case (goal: at most 2; ``inf`` where ``auto`` missed the accuracy).

``SPARSEKIT_BENCH_QUICK=1`` (CI) runs two cases, one sample each.
"""

import importlib.util
import io
import sys
from pathlib import Path

from ._common import QUICK

_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "regret.py"

#: CI's quick run: a direct solve and the bcsstk21-like largest pairs (issue 19's case).
_CI_CASES = ("bcsstk13 solve", "elasticity_3444 largest k=6")


def _suite():
    spec = importlib.util.spec_from_file_location("sparsekit_regret", _SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


class Regret:
    """The summary of the regret suite's quick subset (``scripts/regret.py --quick``)."""

    timeout = 600

    def setup_cache(self):
        if not _SCRIPT.is_file():
            raise NotImplementedError(f"{_SCRIPT} is not in this checkout")
        suite = _suite()
        cases = suite.quick_cases()
        if QUICK:
            cases = [c for c in cases if c.name in _CI_CASES]
        _, summary = suite.run(cases, repeat=1 if QUICK else 3, out=io.StringIO())
        return summary

    def track_share_within(self, summary):
        return summary["share_within"]

    track_share_within.unit = "share of cases with auto within 1.25x of the fastest"

    def track_worst_ratio(self, summary):
        return summary["worst_ratio"]

    track_worst_ratio.unit = "x (auto time / fastest rival's time)"
