"""Conventions shared by every benchmark module.

* ``SPARSEKIT_BENCH_QUICK=1`` (CI) selects the small parameter sets:
  ``sizes(quick=[...], full=[...])``.
* The anchor runs in the same class as sparsekit, as one value of the
  ``method`` parameter, so the dashboard shows both side by side.  Name
  sparsekit's rows ``"sparsekit"`` or ``"sparsekit-<variant>"`` (``sparse-...``
  for sparsekit's sparse paths beside its dense one, ``petsc...`` for the PETSc
  backend), and each anchor after what it calls (``"scipy-cg"``,
  ``"pyamg-sa-cg"``, ``"networkx"``, ``"numpy-anchor"``, ``"dense"``):
  ``scripts/bench_table.py`` pairs each sparsekit row with the anchors of the
  same case (a variant ``sparsekit-X`` with the anchors ending in ``X``, where
  there are such) and reports anchor time / sparsekit time from the ``time_*``
  medians.
* ``setup`` raises ``NotImplementedError`` to skip a combination (asv's rule).
* ``track_*`` record iterations, the true residual and speed ratios, so a fast
  wrong answer cannot look good.  Give each a ``unit`` attribute that says
  which way a ratio reads (e.g. ``"x (anchor time / this time)"``).
* Anchors that call BLAS run inside ``one_blas_thread()``, as sparsekit's own
  loops do: on a shared machine two BLAS threads contend with the other jobs
  and inflate the anchor's time, not sparsekit's.
* Real matrices come from ``sparsekit.datasets``; when ``SPARSEKIT_DATA`` is not
  set, the shared SuiteSparse folder beside the checkout is used (as in the
  tests' ``conftest.py``), and ``real`` skips a combination whose file is absent.
"""

import os
import statistics
import time
from pathlib import Path

import numpy as np

QUICK = os.environ.get("SPARSEKIT_BENCH_QUICK", "") not in ("", "0")

_SHARED = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "mtx"
if "SPARSEKIT_DATA" not in os.environ and _SHARED.is_dir():
    os.environ["SPARSEKIT_DATA"] = str(_SHARED)


def sizes(quick, full):
    """The parameter list for this run: small in quick mode, full otherwise."""
    return list(quick) if QUICK else list(full)


def real(name):
    """Load a SuiteSparse matrix through sparsekit.datasets or skip (NotImplementedError)."""
    import sparsekit as sk

    if not sk.datasets.available(name):
        raise NotImplementedError(f"{name} not in {sk.datasets.data_dir()}")
    return sk.datasets.load(name)


def real_path(name):
    """The file of a SuiteSparse matrix through sparsekit.datasets or skip (NotImplementedError)."""
    import sparsekit as sk

    if not sk.datasets.available(name):
        raise NotImplementedError(f"{name} not in {sk.datasets.data_dir()}")
    return sk.datasets.path(name)


def median_time(fn, repeat=3):
    """Median wall time of ``fn()`` over ``repeat`` calls (for track_ ratios)."""
    times = []
    for _ in range(repeat if not QUICK else 1):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def speedup(fn_sparsekit, fn_anchor, repeat=3):
    """Anchor time / sparsekit time: called in turn in the same process, medians.

    Interleaving keeps a change of load on a shared machine from landing on
    one side only.
    """
    anchor, mine = [], []
    for _ in range(repeat if not QUICK else 1):
        for fn, ts in ((fn_anchor, anchor), (fn_sparsekit, mine)):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
    return statistics.median(anchor) / statistics.median(mine)


def relres(A, x, b):
    """True relative residual ‖b − A x‖ / ‖b‖ (worst column)."""
    r = np.linalg.norm(b - A @ x, axis=0)
    return float(np.max(r / np.linalg.norm(b, axis=0)))


def one_blas_thread():
    """One BLAS thread for an anchor, as sparsekit's Krylov and LOBPCG loops use.

    sparsekit's own ``single_thread_blas`` (one reused threadpool controller, so
    the ~3 ms library scan of a new one does not land in the anchor's time).
    Measured on the shared 2-core machine beside one other job: scikit-learn's
    AMG embedding of luxembourg_osm took 1.9–2.2 s with two BLAS threads against
    0.92–1.1 s with one; PyAMG's setup on a 16,384-unknown Poisson matrix
    2.0–3.6 s against 0.14–0.16 s (docs/solvers.md).
    """
    from sparsekit.linalg._threads import single_thread_blas

    return single_thread_blas()
