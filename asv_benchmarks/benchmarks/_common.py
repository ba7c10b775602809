"""Conventions shared by every benchmark module.

* ``SPARSEKIT_BENCH_QUICK=1`` (CI) selects the small parameter sets:
  ``sizes(quick=[...], full=[...])``.
* The anchor runs in the same class as sparsekit, as one value of the
  ``method`` parameter, so the dashboard shows both side by side.
* ``setup`` raises ``NotImplementedError`` to skip a combination (asv's rule).
* ``track_*`` record iterations, the true residual and speed ratios, so a fast
  wrong answer cannot look good.
"""

import os
import statistics
import time

import numpy as np

QUICK = os.environ.get("SPARSEKIT_BENCH_QUICK", "") not in ("", "0")


def sizes(quick, full):
    """The parameter list for this run: small in quick mode, full otherwise."""
    return list(quick) if QUICK else list(full)


def real(name):
    """Load a SuiteSparse matrix through sparsekit.datasets or skip (NotImplementedError)."""
    import sparsekit as sk

    if not sk.datasets.available(name):
        raise NotImplementedError(f"{name} not in {sk.datasets.data_dir()}")
    return sk.datasets.load(name)


def median_time(fn, repeat=3):
    """Median wall time of ``fn()`` over ``repeat`` calls (for track_ ratios)."""
    times = []
    for _ in range(repeat if not QUICK else 1):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def speedup(fn_sparsekit, fn_anchor, repeat=3):
    """Anchor time / sparsekit time, measured in the same process, medians."""
    return median_time(fn_anchor, repeat) / median_time(fn_sparsekit, repeat)


def relres(A, x, b):
    """True relative residual ‖b − A x‖ / ‖b‖ (worst column)."""
    r = np.linalg.norm(b - A @ x, axis=0)
    return float(np.max(r / np.linalg.norm(b, axis=0)))
