"""``sparsekit compare``: the sparse path and the dense ``numpy.linalg`` path side by side."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import click
import numpy as np
import scipy.sparse as sp
from rich import box
from rich.table import Table
from rich.text import Text

import sparsekit as sk

from .._progress import report
from .._validate import is_symmetric
from ._app import EXIT_NOT_CONVERGED, Finite, cli, command
from ._files import read_matrix, resolve
from ._output import Output, fmt_bytes, fmt_float, fmt_sci, fmt_seconds
from ._shared import (
    RHS_HELP,
    eigen_dict,
    make_rhs,
    relative_residuals,
    solve_dict,
    timed,
    traced_peak,
)

if TYPE_CHECKING:
    from rich.console import JustifyMethod

__all__ = ["compare", "Run", "solve_both", "eigs_both", "comparison_table"]


@dataclass
class Run:
    """One path of a comparison: its result, median time, peak memory, or why skipped."""

    path: str
    result: Any = None  # a SolveResult, an EigenResult, or the dense path's result
    seconds: float | None = None
    peak_bytes: int | None = None
    skipped: str | None = None
    times: list = field(default_factory=list)
    relative: Any = None  # eigsh: residuals relative to ‖A‖₁ + |λ|

    def as_dict(self, describe) -> dict:
        """JSON-ready form; ``describe`` turns the result into plain values."""
        d = {"path": self.path, "seconds": self.seconds, "times": self.times,
             "peak_bytes": self.peak_bytes, "skipped": self.skipped}
        if self.result is not None:
            d["result"] = describe(self.result)
        return d


def _repeat(path: str, fn, repeat: int, task: str = "solve") -> Run:
    """Time ``fn`` ``repeat`` times, then trace one more run for its peak memory.

    Every run starts from a cold cache (no factorization or AMG hierarchy left
    over from the previous one), so each pays the full setup.
    """
    times, value = [], None
    try:
        for i in range(repeat):
            sk.clear_cache()
            report("compare", what=f"{task}, {path} path, run {i + 1} of {repeat}")
            value, seconds = timed(fn)
            times.append(seconds)
        sk.clear_cache()
        report("compare", what=f"{task}, {path} path, traced run (peak memory)")
        peak = traced_peak(fn)
    except sk.DenseTooLargeError as exc:
        return Run(path, skipped=f"{exc} (on the command line: --dense-max-gib)")
    finally:
        sk.clear_cache()
    return Run(path, value, statistics.median(times), peak, times=times)


def solve_both(A, b, *, repeat: int = 1, max_bytes: float | None = None) -> tuple[Run, Run]:
    """``sk.solve`` (auto) and the dense path (``sk.dense.solve`` or ``lstsq``) on A x = b."""
    square = A.shape[0] == A.shape[1]
    sparse_run = _repeat("sparse", lambda: sk.solve(A, b), repeat)
    dense_fn = sk.dense.solve if square else sk.dense.lstsq
    limit: dict[str, Any] = {} if max_bytes is None else {"max_bytes": max_bytes}
    dense_run = _repeat("dense", lambda: dense_fn(A, b, **limit), repeat)
    return sparse_run, dense_run


def eigs_both(A, k: int, *, repeat: int = 1, max_bytes: float | None = None
              ) -> tuple[Run, Run]:
    """``sk.eigsh`` (auto, smallest) and ``sk.dense.eigh`` on the same matrix."""
    sparse_run = _repeat("sparse", lambda: sk.eigsh(A, k=k, which="smallest"), repeat, "eigsh")
    limit: dict[str, Any] = {} if max_bytes is None else {"max_bytes": max_bytes}
    dense_run = _repeat("dense", lambda: sk.dense.eigh(A, k=k, **limit), repeat, "eigsh")
    for run in (sparse_run, dense_run):
        if run.result is not None:
            run.relative = relative_residuals(run.result, A)
    return sparse_run, dense_run


def _relative_difference(a, b) -> float | None:
    a, b = np.asarray(a), np.asarray(b)
    scale = float(np.linalg.norm(b))
    return float(np.linalg.norm(a - b)) / scale if scale else None


def solve_agreement(s: Run, d: Run) -> float | None:
    """‖x_sparse − x_dense‖ / ‖x_dense‖ when both ran."""
    if s.result is None or d.result is None:
        return None
    return _relative_difference(s.result.x, d.result.x)


def eigs_agreement(s: Run, d: Run) -> float | None:
    """Relative eigenvalue gap: max |λ_sparse − λ_dense| / max |λ_dense| (None if absent)."""
    if s.result is None or d.result is None:
        return None
    ls, ld = np.asarray(s.result.values), np.asarray(d.result.values)
    if ls.shape != ld.shape:
        return None
    scale = float(np.max(np.abs(ld))) or 1.0
    return float(np.max(np.abs(ls - ld))) / scale


CAPTION = ("time: wall clock from a cold cache (median of the runs); *memory: tracemalloc "
           "peak (numpy and Python allocations, not SuperLU's own)")


def comparison_table(title: str, runs, kind: str) -> Table:
    """Sparse and dense rows: method, time, memory, accuracy."""
    t = Table(title=Text(title), box=box.SIMPLE_HEAD, title_justify="left",
              pad_edge=False, caption=Text(CAPTION), caption_justify="left")
    accuracy = "relative residual" if kind == "solve" else "max rel. residual"
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("path", "left"), ("method", "left"), ("time", "right"), ("peak memory*", "right"),
        (accuracy, "right"), ("iterations" if kind == "solve" else "converged", "right"))
    for col, justify in columns:
        t.add_column(col, justify=justify)
    for run in runs:
        if run.skipped is not None:  # the reason is printed below the table
            t.add_row(run.path, Text("skipped", style="yellow"), "-", "-", "-", "-")
            continue
        r = run.result
        if kind == "solve":
            method = r.method + (f" + {r.precond}" if r.precond not in ("none", "") else "")
            acc, last = fmt_sci(r.relative_residual), str(r.iterations)
        else:
            method = r.method
            acc = fmt_sci(float(np.max(run.relative))) if len(r.values) else "-"
            last = f"{int(np.sum(r.converged))}/{len(r.values)}"
        t.add_row(run.path, Text(method), fmt_seconds(run.seconds), fmt_bytes(run.peak_bytes),
                  acc, last)
    return t


def speed_note(s: Run, d: Run) -> str | None:
    """One line: which path was faster, and which used less memory, by how much."""
    if not (s.seconds and d.seconds):
        return None
    if d.seconds >= s.seconds:
        line = f"the sparse path was {d.seconds / s.seconds:,.1f}x faster"
    else:
        line = f"the dense path was {s.seconds / d.seconds:,.1f}x faster"
    if s.peak_bytes and d.peak_bytes:
        ratio = d.peak_bytes / s.peak_bytes
        if 1 / 1.5 < ratio < 1.5:
            line += "; both used about the same memory"
        elif ratio >= 1.5:
            line += f"; the sparse path used {ratio:,.0f}x less memory"
        else:
            line += f"; the dense path used {1 / ratio:,.0f}x less memory"
    return line


def skip_note(*runs: Run) -> str | None:
    """Why a path was skipped."""
    for run in runs:
        if run.skipped is not None:
            return f"{run.path} path skipped: {run.skipped}"
    return None


def agreement_note(agree: float | None, what: str = "x") -> str | None:
    """One line: how far apart the two answers are."""
    if agree is None:
        return None
    if what == "x":
        return f"the two solutions agree: ‖x_sparse − x_dense‖ / ‖x_dense‖ = {fmt_float(agree)}"
    return f"the eigenvalues agree: max |λ_sparse − λ_dense| / max |λ_dense| = {fmt_float(agree)}"


@command(cli, "compare")
@click.argument("file")
@click.option("--rhs", default=None, metavar="FILE|ones|random", help=RHS_HELP)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of --rhs random.")
@click.option("-k", "k", type=click.IntRange(min=1), default=6, show_default=True,
              help="Eigenpairs for the eigsh comparison.")
@click.option("--eigs/--no-eigs", "with_eigs", default=True, show_default=True,
              help="Also compare the smallest eigenpairs (symmetric matrices).")
@click.option("--repeat", type=click.IntRange(min=1), default=1, show_default=True,
              help="Runs per path (cache cleared before each); the median time is shown.")
@click.option("--dense-max-gib", type=Finite(0, low_open=True), default=None,
              help="Memory limit of the dense path in GiB (default: sk.dense's own, 2 GiB).")
def compare(out: Output, file, rhs, seed, k, with_eigs, repeat, dense_max_gib):
    r"""The same solve (and eigsh) on the sparse path and the dense path, side by side.

    Time is wall clock (median of --repeat runs, each from a cold cache); peak
    memory is what tracemalloc sees (numpy arrays and Python objects; SuperLU's
    own allocations are not counted).  The dense path is skipped, with the
    reason, when it would not fit in memory.

    \b
    Examples:
      sparsekit compare poisson2d_64
      sparsekit compare bcsstk13.mtx --repeat 3 --json
      sparsekit compare illc1033.mtx --no-eigs
    """
    src = resolve(file)
    A = read_matrix(src)
    b, b_label = make_rhs(rhs, src, A.shape[0], seed)
    n_rows, n_cols = A.shape
    out.print(Text(f"{src.label}: {n_rows:,} x {n_cols:,}, "
                   f"{A.nnz if sp.issparse(A) else np.count_nonzero(A):,} nonzeros; "
                   f"b = {b_label}"))
    max_bytes = None if dense_max_gib is None else dense_max_gib * 1024**3
    s, d = solve_both(A, b, repeat=repeat, max_bytes=max_bytes)
    agree = solve_agreement(s, d)
    out.print(comparison_table("solve A x = b", (s, d), "solve"))
    for line in filter(None, (speed_note(s, d), agreement_note(agree), skip_note(s, d))):
        out.print(Text("  " + line))
    report = {"file": str(src.path) if src.path else None, "dataset": src.dataset,
              "shape": [n_rows, n_cols], "rhs": b_label, "repeat": repeat,
              "solve": {"sparse": s.as_dict(solve_dict), "dense": d.as_dict(solve_dict),
                        "x_relative_difference": agree}}
    ok = s.result is not None and s.result.converged
    if with_eigs:
        if n_rows != n_cols or not is_symmetric(A):
            reason = "the matrix is not square and symmetric; eigsh needs a symmetric matrix"
            report["eigsh"] = {"skipped": reason}
            out.print(Text(f"eigsh: skipped ({reason})"))
        elif k >= n_rows:
            reason = f"k={k} is not below n={n_rows}"
            report["eigsh"] = {"skipped": reason}
            out.print(Text(f"eigsh: skipped ({reason})"))
        else:
            es, ed = eigs_both(A, k, repeat=repeat, max_bytes=max_bytes)
            agree_e = eigs_agreement(es, ed)
            out.print(comparison_table(f"eigsh: {k} smallest eigenpairs", (es, ed), "eigsh"))
            for line in filter(None, (speed_note(es, ed), agreement_note(agree_e, "values"),
                                      skip_note(es, ed))):
                out.print(Text("  " + line))
            report["eigsh"] = {"k": k,
                               "sparse": es.as_dict(lambda e: eigen_dict(e, es.relative)),
                               "dense": ed.as_dict(lambda e: eigen_dict(e, ed.relative)),
                               "values_relative_difference": agree_e}
            ok = ok and es.result is not None and es.result.all_converged
    out.set(**report)
    if out.quiet:
        out.summary(f"solve: sparse {fmt_seconds(s.seconds) if s.seconds else '-'}, dense "
                    f"{fmt_seconds(d.seconds) if d.seconds else 'skipped'}")
    return 0 if ok else EXIT_NOT_CONVERGED
