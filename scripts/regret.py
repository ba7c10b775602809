"""Regret suite: is ``auto`` ever much slower than the best choice it could have made?

For every case (a matrix from the shared SuiteSparse folder or a generated one,
times one operation: ``solve``, the smallest eigenpairs, the largest eigenpairs,
``svds``) the suite times sparsekit's ``auto`` against every explicit sparsekit
method that applies (``method=`` each registered choice, with the
preconditioners for ``solve`` and LOBPCG) and the plain SciPy call a user
would write (``spsolve``, ``cg``/``minres``/``gmres`` at ``rtol=1e-8``,
``eigsh(which="SA"/"LA")``, ``eigsh(sigma=0)``, ``svds``).  The *regret* of a
case is auto's median time over the fastest rival's, counting only rivals
that reach the same accuracy:

* solve: the true relative residual ``‖b − A x‖ / ‖b‖ <= 1e-8`` (x ``SLACK``);
* eigenpairs / singular triplets: every pair's recomputed residual
  ``‖A v − λ v‖ <= 1e-8 (‖A‖₁ + |λ|)`` (triplets: ``sqrt(‖Av − su‖² + ‖Aᴴu − sv‖²)
  <= 1e-8 sqrt(‖A‖₁ ‖A‖∞)``), x ``SLACK``, *and* the right pairs: the k values
  must match, to ``VALUE_RTOL |λ| + VALUE_ATOL ‖A‖₁``, the elementwise extreme of every
  residual-accurate answer (a set of true eigenvalues sorted ascending is
  elementwise >= the k smallest, so a method that skipped one is caught).

Protocol: one BLAS thread (threadpoolctl), ``sk.clear_cache()`` before every
sample, samples interleaved (auto, each rival, auto, ...), medians of
``--repeat`` (default 3) rounds (``SHORT_REPEAT`` where auto takes less than
``SHORT_S``: a millisecond case is at the mercy of the load).  The first round times every contender
under a per-call timeout of ``PRUNE x`` the best accurate time so far (at
least ``FLOOR_S``, at most ``CAP_S``; a SIGALRM interrupts Python-level loops
such as ARPACK's and the Krylov callbacks; a single compiled call, such as a
factorization, finishes first), and rivals that time out, miss the accuracy or
take more than ``PRUNE x`` the best are not sampled again: they cannot be the
fastest.  Rivals that may run long cap ``maxiter`` as well.

Usage::

    python scripts/regret.py            # the whole suite (~12 min on 2 cores)
    python scripts/regret.py --quick    # a subset (< 2 min)
    python scripts/regret.py --json out.json --only bcsstk
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from threadpoolctl import threadpool_limits

_SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "mtx"
if "SPARSEKIT_DATA" not in os.environ and _SHARED.is_dir():
    os.environ["SPARSEKIT_DATA"] = str(_SHARED)

import sparsekit as sk  # noqa: E402

RTOL = 1e-8          # solve: sk.solve's default in double precision
TOL = 1e-8           # eigsh / svds: sparsekit's default, relative to ‖A‖₁ + |λ|
SLACK = 2.0          # an answer counts as accurate up to SLACK x the tolerance
VALUE_RTOL = 1e-6    # eigenvalues / singular values against the elementwise extreme:
VALUE_ATOL = 1e-12   # |λ − ref| <= VALUE_RTOL |ref| + VALUE_ATOL ‖A‖₁
WITHIN = 1.25        # the goal: auto within this factor of the fastest rival
PRUNE = 3.0          # a rival slower than this x the best in round one is dropped
FLOOR_S = 0.5        # per-call timeout bounds (seconds)
CAP_S = 30.0
SHORT_S = 0.05       # cases where auto takes less than this get SHORT_REPEAT samples
SHORT_REPEAT = 7
DENSE_MAX_N = 6000   # dense rivals only up to this order (a LAPACK call cannot be stopped)


class _Timeout(BaseException):
    """Raised by SIGALRM inside a timed call (a BaseException: no ``except Exception`` eats it)."""


# --------------------------------------------------------------------------- matrices


def _laplacian(name):
    W = sk.datasets.load(name)
    W = sp.csr_array(abs(W).astype(float))
    W = sp.csr_array(W + W.T)
    W.setdiag(0)
    W.eliminate_zeros()
    return sp.csr_array(sk.laplacian(W))


def _elasticity():
    """bcsstk21-like: plane-strain P1 elasticity, 1,764 points, clamped on x = 0 (n = 3,444)."""
    P, T = sk.fem.unit_square(41)
    K, _ = sk.fem.elasticity(P, T, E=1.0, nu=0.3)
    clamped = np.flatnonzero(np.isclose(P[:, 0], 0.0))
    dofs = np.concatenate([2 * clamped, 2 * clamped + 1])
    keep = np.setdiff1d(np.arange(K.shape[0]), dofs)
    return sp.csr_array(K[keep][:, keep])


MATRICES: dict[str, Callable] = {
    "elasticity_3444": _elasticity,
    "poisson2d_128": lambda: sp.csr_array(sk.poisson((128, 128))),
    "poisson2d_256": lambda: sp.csr_array(sk.poisson((256, 256))),
    "poisson3d_32": lambda: sp.csr_array(sk.poisson((32, 32, 32))),
    "grid_shortcuts_300/L": lambda: sp.csr_array(sk.laplacian(
        sk.datasets.load("grid_shortcuts_300"))),
}
for _g in ("karate", "jazz", "Erdos971", "ca-GrQc", "bcspwr10", "fe_4elt2", "luxembourg_osm",
           "bcsstk33"):
    MATRICES[f"{_g}/L"] = (lambda g: lambda: _laplacian(g))(_g)

_LOADED: dict = {}


def matrix(name):
    """The matrix ``name`` (a generated one, ``graph/L`` a graph's Laplacian, or a file)."""
    if name not in _LOADED:
        _LOADED.clear()  # one matrix in memory at a time
        A = MATRICES[name]() if name in MATRICES else sk.datasets.load(name)
        if np.dtype(A.dtype).kind not in "fc":
            A = A.astype(float)
        _LOADED[name] = sp.csr_array(A)
    return _LOADED[name]


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    """One row of the table: a matrix, an operation, ``k`` and whether ``--quick`` runs it."""

    matrix: str
    op: str          # "solve", "smallest", "largest", "svds", "svds-smallest"
    k: int = 6
    quick: bool = False

    @property
    def name(self) -> str:
        """``matrix op [k]``."""
        return f"{self.matrix} {self.op}" + ("" if self.op == "solve" else f" k={self.k}")


def _cases():
    c = []
    quick_solve = {"bcsstk13", "sherman5", "fe_4elt2/L"}
    for m in ("bcsstk09", "bcsstk13", "nos6", "gr_30_30", "494_bus", "1138_bus", "LF10",
              "Trefethen_20b", "sherman1", "west0479", "sherman5", "orsirr_1", "hor_131",
              "add32", "nnc1374", "bayer10", "young1c", "bcspwr10/L", "fe_4elt2/L",
              "luxembourg_osm/L", "poisson2d_256", "poisson3d_32", "elasticity_3444"):
        c.append(Case(m, "solve", quick=m in quick_solve))
    smallest = [("bcsstk09", 6), ("bcsstk13", 6), ("nos6", 6), ("gr_30_30", 4),
                ("494_bus", 6), ("1138_bus", 6), ("sherman1", 4), ("karate/L", 3),
                ("jazz/L", 4), ("Erdos971/L", 6), ("ca-GrQc/L", 4), ("bcspwr10/L", 6),
                ("fe_4elt2/L", 8), ("luxembourg_osm/L", 8), ("bcsstk33/L", 4),
                ("poisson2d_128", 6), ("elasticity_3444", 6), ("grid_shortcuts_300/L", 2)]
    quick_small = {"nos6", "fe_4elt2/L"}
    c += [Case(m, "smallest", k, quick=m in quick_small) for m, k in smallest]
    largest = [("bcsstk09", 6), ("bcsstk13", 6), ("nos6", 6), ("gr_30_30", 4),
               ("494_bus", 6), ("1138_bus", 6), ("sherman1", 4), ("ca-GrQc/L", 4),
               ("bcspwr10/L", 6), ("fe_4elt2/L", 8), ("luxembourg_osm/L", 4),
               ("bcsstk33/L", 4), ("poisson2d_128", 6), ("elasticity_3444", 6)]
    quick_large = {"elasticity_3444", "1138_bus"}
    c += [Case(m, "largest", k, quick=m in quick_large) for m, k in largest]
    svds = [("west0479", 6), ("sherman5", 6), ("orsirr_1", 6), ("add32", 6), ("bayer10", 4),
            ("nnc1374", 6), ("hor_131", 6), ("illc1033", 6), ("ash219", 3),
            ("lp_ship04l", 6), ("bcsstk13", 6), ("young1c", 4)]
    c += [Case(m, "svds", k, quick=m in {"illc1033", "sherman5"}) for m, k in svds]
    c += [Case(m, "svds-smallest", k) for m, k in (("illc1033", 3), ("ash219", 3))]
    return c


CASES = _cases()


# --------------------------------------------------------------------------- properties


def _props(A):
    """``(symmetric, spd_like, laplacian)`` of a square matrix, cheaply."""
    sym = A.shape[0] == A.shape[1] and abs(A - A.conj().T).max() <= 1e-12 * abs(A).max()
    d = A.diagonal().real if A.shape[0] == A.shape[1] else np.zeros(1)
    offsum = np.asarray(abs(A).sum(axis=1)).ravel() - np.abs(d)
    laplacian = bool(sym and np.all(np.abs(np.asarray(A.sum(axis=1)).ravel())
                                    <= 1e-12 * abs(A).max()) and np.all(d >= 0))
    # positive diagonal and symmetric: taken as SPD when the suite's own Cholesky agrees
    return bool(sym), bool(sym and np.all(d > 0)), laplacian, bool(np.all(d - offsum >= 0))


def rhs(A, laplacian):
    """A fixed right-hand side (orthogonal to the constants per component for a Laplacian)."""
    rng = np.random.default_rng(42)
    b = rng.standard_normal(A.shape[0])
    if np.dtype(A.dtype).kind == "c":
        b = b + 1j * rng.standard_normal(A.shape[0])
    if laplacian:
        _, labels = sp.csgraph.connected_components(A, directed=False)
        means = np.bincount(labels, weights=b) / np.bincount(labels)
        b = b - means[labels]
    return b


# --------------------------------------------------------------------------- contenders


@dataclass
class Contender:
    """A named call; ``run()`` returns what :func:`accuracy` judges."""

    name: str
    run: Callable
    times: list = field(default_factory=list)
    error: str | None = None
    accurate: bool | None = None
    accuracy: float = math.nan
    values: np.ndarray | None = None
    chose: str = ""


def _solve_contenders(A, case):
    sym, spd, lap, dd = _props(A)
    b = rhs(A, lap)
    n = A.shape[0]
    cap = max(1000, 2 * n)

    def sk_solve(**kw):
        def run():
            r = sk.solve(A, b, rtol=RTOL, **kw)
            return r.x, f"{r.method}+{r.precond}"
        return run

    out = [Contender("auto", sk_solve())]
    out.append(Contender("sk direct", sk_solve(method="direct")))
    if n <= DENSE_MAX_N:
        out.append(Contender("sk dense", sk_solve(method="dense")))
    if spd:
        pre = ["none", "jacobi", "ilu", "amg"] + (["approx_chol"] if lap or dd else [])
        out += [Contender(f"sk cg+{p}", sk_solve(method="cg", precond=p, maxiter=cap))
                for p in pre]
    if sym:
        out += [Contender(f"sk minres+{p}", sk_solve(method="minres", precond=p, maxiter=cap))
                for p in (["none", "jacobi"] if spd else ["none"])]
    else:
        for m in ("gmres", "bicgstab", "lgmres", "gcrotmk", "tfqmr", "cgs", "bicg", "qmr"):
            out += [Contender(f"sk {m}+{p}", sk_solve(method=m, precond=p, maxiter=cap))
                    for p in ("none", "ilu")]
    out.append(Contender("scipy spsolve", lambda: (spla.spsolve(sp.csc_array(A), b), "")))
    krylov = spla.cg if spd else spla.minres if sym else spla.gmres
    out.append(Contender(f"scipy {krylov.__name__}",
                         lambda: (krylov(A, b, rtol=RTOL, maxiter=cap)[0], "")))
    return out, b


def _eigen_contenders(A, case):
    sym, spd, lap, dd = _props(A)
    k, n = case.k, A.shape[0]
    which = "smallest" if case.op == "smallest" else "largest"

    def sk_eig(**kw):
        def run():
            r = sk.eigsh(A, k=k, which=which, **kw)
            pre = [x for x in r.notes if x.startswith("preconditioner:")]
            return (r.values, r.vectors), r.method + ("+" + pre[0].split(": ")[1] if pre else "")
        return run

    out = [Contender("auto", sk_eig()), Contender("sk arpack", sk_eig(method="arpack"))]
    if which == "smallest":
        out.append(Contender("sk shift_invert", sk_eig(method="shift_invert")))
        pre = ["amg", "jacobi", "ilu", "none"] if np.all(A.diagonal().real > 0) else ["none"]
        pre += ["approx_chol"] if lap else []
        out += [Contender(f"sk lobpcg+{p}", sk_eig(method="lobpcg", precond=p, maxiter=2000))
                for p in pre]
    else:
        out.append(Contender("sk lobpcg", sk_eig(method="lobpcg", maxiter=2000)))
        # shift-invert on -A: the largest pairs of a negative definite matrix (refused else)
        out.append(Contender("sk shift_invert", sk_eig(method="shift_invert")))
    if n <= DENSE_MAX_N:
        out.append(Contender("sk dense", sk_eig(method="dense")))
    code = "SA" if which == "smallest" else "LA"
    out.append(Contender(f"scipy eigsh {code}",
                         lambda: (spla.eigsh(A, k=k, which=code), "")))
    if which == "smallest":
        out.append(Contender("scipy eigsh sigma=0",
                             lambda: (spla.eigsh(A, k=k, sigma=0), "")))
    return out, None


def _svds_contenders(A, case):
    k = case.k
    which = "smallest" if case.op == "svds-smallest" else "largest"

    def sk_svd(**kw):
        def run():
            r = sk.svds(A, k=k, which=which, **kw)
            return (r.U, r.s, r.Vh), r.method
        return run

    out = [Contender("auto", sk_svd()), Contender("sk arpack", sk_svd(method="arpack")),
           Contender("sk lobpcg", sk_svd(method="lobpcg", maxiter=2000))]
    if which == "smallest":
        out.append(Contender("sk shift_invert", sk_svd(method="shift_invert")))
    if max(A.shape) <= DENSE_MAX_N:
        out.append(Contender("sk dense", sk_svd(method="dense")))
    code = "SM" if which == "smallest" else "LM"
    out.append(Contender("scipy svds", lambda: (spla.svds(A, k=k, which=code), "")))
    return out, None


def contenders(A, case):
    """``(list of Contender, rhs or None)`` for ``case``; auto first."""
    if case.op == "solve":
        return _solve_contenders(A, case)
    if case.op in ("smallest", "largest"):
        return _eigen_contenders(A, case)
    return _svds_contenders(A, case)


# --------------------------------------------------------------------------- accuracy


def _norm1(A):
    return float(abs(A).sum(axis=0).max())


def accuracy(A, case, out, b):
    """``(relative error measure, values or None)``: the quantity compared with the tolerance.

    solve: ‖b − A x‖ / ‖b‖.  eigen: max over pairs of ‖A v − λ v‖ / (‖A‖₁ + |λ|), ``v``
    normalised.  svds: max over triplets of the triplet residual / sqrt(‖A‖₁ ‖A‖∞).
    A wrong shape or count of pairs is infinitely inaccurate.
    """
    if case.op == "solve":
        x = np.asarray(out).ravel()
        if x.shape != b.shape or not np.all(np.isfinite(x)):
            return math.inf, None
        return float(np.linalg.norm(b - A @ x) / np.linalg.norm(b)), None
    if case.op in ("smallest", "largest"):
        w, V = out
        w, V = np.asarray(w, dtype=float), np.asarray(V)
        if w.shape != (case.k,) or V.shape != (A.shape[0], case.k):
            return math.inf, None
        V = V / np.linalg.norm(V, axis=0)
        R = np.linalg.norm(A @ V - V * w, axis=0) / (_norm1(A) + np.abs(w))
        return float(np.max(R)), np.sort(w)
    U, s, Vh = out
    s = np.asarray(s, dtype=float)
    if s.shape != (case.k,):
        return math.inf, None
    V = Vh.conj().T
    R = np.sqrt(np.linalg.norm(A @ V - U * s, axis=0) ** 2
                + np.linalg.norm(A.conj().T @ U - V * s, axis=0) ** 2)
    scale = math.sqrt(_norm1(A) * _norm1(sp.csr_array(A.conj().T)))
    return float(np.max(R) / scale), np.sort(s)


def judge_values(A, case, cands):
    """Mark as inaccurate the residual-accurate answers whose values are not the wanted ones.

    The reference is the elementwise minimum (smallest) or maximum (largest)
    of the sorted values of every residual-accurate answer.
    """
    ok = [c for c in cands if c.accurate and c.values is not None]
    if case.op == "solve" or not ok:
        return
    stack = np.vstack([c.values for c in ok])
    small = case.op in ("smallest", "svds-smallest")
    ref = stack.min(axis=0) if small else stack.max(axis=0)
    bound = VALUE_RTOL * np.abs(ref) + VALUE_ATOL * _norm1(A)
    for c in ok:
        off = np.abs(c.values - ref)
        if np.any(off > bound):
            c.accurate = False
            c.error = f"wrong pairs (a value off by {np.max(off):.2e})"


# --------------------------------------------------------------------------- timing


def _alarm(signum, frame):
    raise _Timeout()


def timed(c: Contender, timeout: float):
    """One sample of ``c`` with caches cleared, under ``timeout``; returns (seconds, output)."""
    sk.clear_cache()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            out, chose = c.run()
            t = time.perf_counter() - t0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    if chose:
        c.chose = chose
    return t, out


def _first_round(A, case, cands, b, tol):
    """Every contender once; accuracy judged; a rival beyond ``PRUNE x`` the best times out.

    The accuracy asked is ``SLACK x tol``, or ``SLACK x`` the best any contender reached
    where none reached ``tol`` (an ill-conditioned system no method solves to 1e-8).
    """
    best = math.inf
    for c in cands:
        limit = CAP_S if c.name == "auto" else min(CAP_S, max(FLOOR_S, PRUNE * best))
        try:
            t, out = timed(c, limit)
        except _Timeout:
            c.error = f"timeout ({limit:.2g}s)"
            continue
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # noqa: BLE001 - a rival that fails does not count
            c.error = f"{type(exc).__name__}: {str(exc)[:60]}"
            continue
        c.times.append(t)
        c.accuracy, c.values = accuracy(A, case, out, b)
        if c.accuracy <= tol * SLACK:
            best = min(best, t)
    reached = [c.accuracy for c in cands if c.times and np.isfinite(c.accuracy)]
    target = SLACK * max(tol, min(reached, default=tol))
    for c in cands:
        c.accurate = bool(c.times) and bool(c.accuracy <= target)
        if c.times and not c.accurate:
            c.error = f"inaccurate ({c.accuracy:.1e})"
    judge_values(A, case, cands)
    return target


def run_case(case: Case, repeat: int = 3) -> dict:
    """Time ``case``; returns the row: auto's choice and time, the fastest rival, the ratio."""
    A = matrix(case.matrix)
    cands, b = contenders(A, case)
    return measure(case, A, cands, b, repeat)


def measure(case, A, cands, b=None, repeat=3) -> dict:
    """The row of ``case`` from the contenders ``cands`` (auto first) on ``A`` (and ``b``)."""
    tol = RTOL if case.op == "solve" else TOL
    target = _first_round(A, case, cands, b, tol)
    r = finish_case(case, A, cands, b, repeat)
    r["target"] = target
    return r


def finish_case(case, A, cands, b, repeat):
    """Rounds 2..repeat over auto and the rivals still in contention, then the row."""
    auto, rivals = cands[0], cands[1:]
    best = min([min(c.times) for c in cands if c.accurate] or [math.inf])
    live = [auto] + [c for c in rivals if c.accurate and min(c.times) <= PRUNE * best]
    if auto.times and min(auto.times) < SHORT_S:
        repeat = max(repeat, SHORT_REPEAT)  # milliseconds: the load's noise needs more samples
    for _ in range(repeat - 1):
        for c in live:
            try:
                t, _ = timed(c, CAP_S)
            except _Timeout:
                continue
            c.times.append(t)
    return row(case, A, auto, rivals)


def row(case, A, auto, rivals) -> dict:
    """The table row of a case (medians; the fastest accurate rival)."""
    acc = [c for c in rivals if c.accurate]
    fastest = min(acc, key=lambda c: statistics.median(c.times)) if acc else None
    t_auto = statistics.median(auto.times) if auto.times else math.inf
    t_best = statistics.median(fastest.times) if fastest else math.nan
    ratio = (t_auto / t_best if auto.accurate and fastest else
             math.inf if not auto.accurate else 1.0)
    return {
        "case": case.name, "op": case.op, "matrix": case.matrix, "k": case.k,
        "n": A.shape[0], "nnz": int(A.nnz), "auto": auto.chose, "auto_s": t_auto,
        "auto_accuracy": auto.accuracy, "auto_accurate": bool(auto.accurate),
        "auto_error": auto.error,
        "fastest": fastest.name if fastest else None, "fastest_s": t_best,
        "fastest_accuracy": fastest.accuracy if fastest else math.nan, "ratio": ratio,
        "auto_samples": list(auto.times),
        "rivals": {c.name: {"s": statistics.median(c.times) if c.times else None,
                            "accuracy": c.accuracy, "accurate": bool(c.accurate),
                            "error": c.error, "samples": list(c.times)} for c in rivals},
    }


# --------------------------------------------------------------------------- report


def summary(rows) -> dict:
    """Share of cases within ``WITHIN`` of the fastest, the worst ratio and its case."""
    ratios = [r["ratio"] for r in rows]
    worst = max(rows, key=lambda r: r["ratio"]) if rows else None
    return {"cases": len(rows), "within": WITHIN,
            "share_within": sum(x <= WITHIN for x in ratios) / len(rows) if rows else math.nan,
            "share_within_2x": sum(x <= 2.0 for x in ratios) / len(rows) if rows else math.nan,
            "worst_ratio": worst["ratio"] if worst else math.nan,
            "worst_case": worst["case"] if worst else None}


def format_row(r) -> str:
    """One line of the table."""
    return (f"{r['case']:<34} {r['auto'][:26]:<26} {r['auto_s'] * 1e3:9.1f} "
            f"{(r['fastest'] or '-')[:22]:<22} {r['fastest_s'] * 1e3:9.1f} {r['ratio']:6.2f}"
            f"  {r['auto_accuracy']:.1e}" + ("" if r["auto_accurate"] else
                                              f"  AUTO INACCURATE: {r['auto_error']}"))


HEADER = (f"{'case':<34} {'auto chose':<26} {'auto ms':>9} {'fastest rival':<22} "
          f"{'its ms':>9} {'ratio':>6}  accuracy")


def markdown(rows, s) -> str:
    """The table and the summary as Markdown (docs/regret.md)."""
    lines = ["| case | n | auto chose | auto (ms) | fastest accurate rival | its time (ms) | "
             "ratio | auto's accuracy |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        acc = f"{r['auto_accuracy']:.1e}" + ("" if r["auto_accurate"] else
                                             f" (missed: {r['auto_error']})")
        lines.append(f"| {r['case']} | {r['n']:,} | {r['auto']} | {r['auto_s'] * 1e3:.1f} | "
                     f"{r['fastest'] or '-'} | {r['fastest_s'] * 1e3:.1f} | "
                     f"{r['ratio']:.2f} | {acc} |")
    lines += ["", f"{s['cases']} cases: {100 * s['share_within']:.0f}% within {WITHIN}x of the "
              f"fastest, {100 * s['share_within_2x']:.0f}% within 2x; worst "
              f"{s['worst_ratio']:.2f}x ({s['worst_case']})."]
    return "\n".join(lines) + "\n"


def run(cases, repeat=3, out=sys.stdout):
    """Run ``cases`` with one BLAS thread; print the table and the summary; return the rows."""
    rows = []
    print(HEADER, file=out, flush=True)
    with threadpool_limits(1, user_api="blas"):
        for case in cases:
            r = run_case(case, repeat)
            rows.append(r)
            print(format_row(r), file=out, flush=True)
    s = summary(rows)
    print(f"\n{s['cases']} cases: {100 * s['share_within']:.0f}% within {WITHIN}x of the "
          f"fastest, {100 * s['share_within_2x']:.0f}% within 2x; worst {s['worst_ratio']:.2f}x "
          f"({s['worst_case']})", file=out, flush=True)
    return rows, s


def quick_cases():
    """The ``--quick`` subset."""
    return [c for c in CASES if c.quick]


def main(argv=None):
    """The command line (``--help``)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="a subset of the cases (< 2 min)")
    p.add_argument("--json", metavar="OUT", help="write the rows and the summary here")
    p.add_argument("--markdown", metavar="OUT", help="write the table as Markdown here")
    p.add_argument("--from-json", metavar="IN", help="no run: format the rows of a --json file")
    p.add_argument("--only", metavar="SUBSTRING", help="only cases whose name contains it")
    p.add_argument("--ops", metavar="OP[,OP]", help="only these operations (solve, smallest, "
                   "largest, svds, svds-smallest)")
    p.add_argument("--repeat", type=int, default=3, help="samples per contender (median)")
    args = p.parse_args(argv)
    if args.from_json:
        data = json.loads(Path(args.from_json).read_text())
        text = markdown(data["rows"], data["summary"])
        if args.markdown:
            Path(args.markdown).write_text(text)
        else:
            print(text)
        return 0
    cases = quick_cases() if args.quick else CASES
    if args.ops:
        cases = [c for c in cases if c.op in args.ops.split(",")]
    if args.only:
        cases = [c for c in cases if args.only in c.name]
    t0 = time.perf_counter()
    rows, s = run(cases, max(1, args.repeat))
    print(f"({time.perf_counter() - t0:.0f} s)")
    if args.markdown:
        Path(args.markdown).write_text(markdown(rows, s))
    if args.json:
        Path(args.json).write_text(json.dumps({"summary": s, "rows": rows}, indent=1,
                                              default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
