"""The progress hook (``sparsekit._progress``) and the status line the CLI draws from it.

References: the results the solvers return (the last Krylov report is the
true residual of the returned ``x``, recomputed here), the factorization's
own record of its engine, the file size the operating system reports, a
plain list of events, and runs without a listener (the hook must not change
a single bit of the answer).
"""

import io
import logging
import os
import threading

import numpy as np
import pytest
import scipy.sparse as sp

import sparsekit as sk
from sparsekit import _progress
from sparsekit._cli._status import StatusLine, bar
from sparsekit._progress import ProgressEvent, progress, report
from sparsekit.linalg._inspect import factor_memory


def _collect():
    events = []
    return events, progress(events.append)


def test_nobody_listening_costs_nothing_and_changes_nothing():
    assert not _progress.listening()
    report("read", path="x")  # no listener, no logging: a no-op
    A = sk.poisson((40, 40))
    op = sp.csr_array(A)
    assert _progress.watched(op, "lanczos") is op  # the solver sees its own operator


def test_callbacks_nest_and_are_removed_on_exit():
    outer, inner = [], []
    with progress(outer.append):
        report("plan", n=3)
        with progress(inner.append):
            report("factorize", engine="SuperLU")
        report("solve")
    report("write")
    assert [e.stage for e in outer] == ["plan", "factorize", "solve"]
    assert [e.stage for e in inner] == ["factorize"]
    with pytest.raises(TypeError, match="callable"):
        with progress("not a function"):
            pass


def test_listeners_are_context_local():
    mine, seen_in_thread = [], []

    def other():
        seen_in_thread.append(_progress.listening())
        report("read", path="from another thread")

    with progress(mine.append):
        t = threading.Thread(target=other)
        t.start()
        t.join()
        report("write", path="here")
    assert seen_in_thread == [False]
    assert [e.facts["path"] for e in mine] == ["here"]


def test_events_reach_logging_stages_at_debug_iterations_below():
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    log = logging.getLogger("sparsekit.progress")
    handler, old = Keep(level=1), log.level
    log.addHandler(handler)
    try:
        log.setLevel(logging.DEBUG)
        report("factorize", engine="QDLDL", n=10)
        report("iterate", method="cg", iteration=3, residual=0.5, rtol=1e-8)
        log.setLevel(_progress.TRACE)
        report("iterate", method="cg", iteration=4, residual=0.25, rtol=1e-8)
    finally:
        log.removeHandler(handler)
        log.setLevel(old)
    assert [(r.levelno, r.getMessage()) for r in records] == [
        (logging.DEBUG, "factorizing (QDLDL, n=10)"),
        (_progress.TRACE, "iterating (cg, iteration 4, residual 2.5e-01 -> rtol 1e-08)")]


def test_event_words():
    e = ProgressEvent("lobpcg", {"iteration": 12, "worst": 3e-6, "tol": 5e-9})
    assert str(e) == "LOBPCG (iteration 12, worst residual 3.0e-06 -> tol 5e-09)"
    assert e.iteration and not ProgressEvent("read", {"path": "a"}).iteration
    assert str(ProgressEvent("something new", {"n": 5})) == "something new (n=5)"
    with pytest.raises(TypeError):
        e.facts["worst"] = 0  # frozen, like every result object


# ---------------------------------------------------------------------------
# what the library reports
# ---------------------------------------------------------------------------

def test_krylov_reports_the_true_residual_to_the_end(fresh_cache):
    A = sk.poisson((60, 60))
    b = np.ones(A.shape[0])
    events, listening = _collect()
    with listening:
        r = sk.solve(A, b, method="cg", precond="none")
    its = [e for e in events if e.stage == "iterate"]
    assert [e.stage for e in events[:2]] == ["inspect", "iterate"]
    counts = [e.facts["iteration"] for e in its]
    assert counts == sorted(counts) and counts[-1] == r.iterations  # the last word is the end
    assert its[-1].facts["residual"] == pytest.approx(
        np.linalg.norm(b - A @ r.x) / np.linalg.norm(b), rel=1e-10)
    assert all(e.facts["rtol"] == pytest.approx(1e-8) for e in its)
    # the first report is the first iteration's iterate: x_1 = (b·b / b·Ab) b for CG from 0
    x1 = (b @ b) / (b @ (A @ b)) * b
    assert its[0].facts["residual"] == pytest.approx(
        np.linalg.norm(b - A @ x1) / np.linalg.norm(b), rel=1e-10)
    quiet = sk.solve(A, b, method="cg", precond="none")
    assert np.array_equal(quiet.x, r.x) and quiet.iterations == r.iterations


def test_a_stalled_solve_reports_where_it_stopped_short(fresh_cache):
    # the recursive residual of CG passes, the true one cannot: the bar must not say done
    A = sk.poisson((40, 40)).astype(np.float32)
    b = np.ones(A.shape[0], dtype=np.float32)
    events, listening = _collect()
    with listening, pytest.warns(sk.ConvergenceWarning):
        r = sk.solve(A, b, method="cg", precond="none", rtol=1e-7)
    last = [e for e in events if e.stage == "iterate"][-1]
    assert not r.converged and last.facts["residual"] > 1e-7
    assert last.facts["residual"] == pytest.approx(r.relative_residual, rel=1e-3)
    assert not bar(last).startswith("[" + "#" * 12)


def test_factorization_reports_its_engine_and_estimated_memory(fresh_cache):
    A = sk.poisson((50, 50))
    events, listening = _collect()
    with listening:
        F = sk.factorize(A)
    (e,) = [e for e in events if e.stage == "factorize"]
    assert e.facts["engine"].lower() == F.engine
    assert e.facts["memory"] == pytest.approx(factor_memory(A.shape[0], A.nnz))
    events, listening = _collect()
    nonsymmetric = sp.csr_array(A) + sp.random_array((2500, 2500), density=1e-3, rng=0)
    with listening:
        G = sk.factorize(nonsymmetric)
    assert G.engine == "superlu"
    assert [e.facts["engine"] for e in events if e.stage == "factorize"] == ["SuperLU"]


def test_amg_setup_and_reading_are_reported(tmp_path, fresh_cache):
    path = tmp_path / "A.mtx"
    sk.io.write(path, sk.poisson((30, 30)))
    events, listening = _collect()
    with listening:
        A = sk.io.read(path)
        sk.preconditioner(A, "amg")
    assert [e.stage for e in events] == ["read", "precond"]
    assert events[0].facts["size"] == os.path.getsize(path)
    assert events[1].facts["kind"] == "amg" and events[1].facts["n"] == 900


def test_lobpcg_reports_its_worst_residual_against_tol(real, fresh_cache):
    L = sk.laplacian(real("luxembourg_osm"))
    events, listening = _collect()
    with listening:
        e = sk.eigsh(L, k=4, method="lobpcg")
    stages = [ev.stage for ev in events]
    assert "precond" in stages and "lobpcg" in stages
    lob = [ev for ev in events if ev.stage == "lobpcg"]
    assert all(ev.facts["tol"] == pytest.approx(0.5e-8) for ev in lob)
    assert all(ev.facts["worst"] > 0 for ev in lob)
    ends = [ev for ev in lob if "iteration" not in ev.facts]  # one per chunk: the k wanted
    if ends:  # the last chunk's worst wanted residual met tol: eigsh reports converged pairs
        assert e.all_converged and ends[-1].facts["worst"] <= ends[-1].facts["tol"]


def test_arpack_reports_operator_applications(fresh_cache):
    A = sk.poisson((60, 60))
    events, listening = _collect()
    with listening:
        sk.eigsh(A, k=4, which="largest", method="arpack")
    lan = [e for e in events if e.stage == "lanczos"]
    counts = [e.facts["applications"] for e in lan]
    assert counts and counts[0] == 1 and counts == sorted(counts)


def test_builders_report_what_they_build():
    W = sk.datasets.load("poisson2d_64") != 0
    events, listening = _collect()
    with listening:
        sk.poisson((20, 30))
        sk.laplacian(W)
    assert [str(e) for e in events] == ["building (20x30 Poisson, n=600)",
                                        "building (combinatorial Laplacian)"]


# ---------------------------------------------------------------------------
# the status line (the command line's renderer)
# ---------------------------------------------------------------------------

def test_status_line_draws_after_its_delay_and_erases_itself():
    stream = io.StringIO()
    with StatusLine(True, "solve", stream=stream, delay=0.0, refresh=0.01) as status:
        report("iterate", method="cg", iteration=7, residual=1e-4, rtol=1e-8)
        assert "iterating (cg, iteration 7, residual 1.0e-04 -> rtol 1e-08)" in status.text()
        assert status.text().startswith("[######......] ")
        status.clear(forget=True)  # a result was printed: no stale stage comes back
        drawn = status.drawn
        threading.Event().wait(0.05)
        assert status.drawn == drawn and not status.visible
    text = stream.getvalue()
    assert text.endswith("\r\x1b[2K") and "iteration 7" in text
    assert not _progress.listening()  # the listener left with the command


def test_status_line_is_inert_off_a_terminal():
    stream = io.StringIO()
    with StatusLine(False, "solve", stream=stream, delay=0.0) as status:
        report("read", path="x")
        assert not _progress.listening()
    assert stream.getvalue() == "" and status.drawn == 0


def test_bar_counts_digits_and_is_never_full():
    assert bar(ProgressEvent("iterate", {"residual": 1.0, "rtol": 1e-8}), 8) == "[........] "
    assert bar(ProgressEvent("iterate", {"residual": 1e-12, "rtol": 1e-8}), 8) == "[#######.] "
    assert bar(ProgressEvent("read", {"path": "x"})) == ""
    assert bar(ProgressEvent("iterate", {"residual": float("nan"), "rtol": 1e-8})) == ""


def test_the_public_face_reports_a_solve():
    import numpy as np

    import sparsekit as sk

    A = sk.poisson((40, 40))
    seen = []
    with sk.progress(seen.append):
        r = sk.solve(A, np.ones(A.shape[0]), method="cg", precond="amg")
    assert r.converged
    assert all(isinstance(e, sk.ProgressEvent) for e in seen)
    assert "precond" in {e.stage for e in seen}
