"""``sparsekit info``: what a matrix file holds, and what ``auto`` would do with it."""

from __future__ import annotations

import time

import click
import numpy as np
import scipy.sparse as sp

import sparsekit as sk

from .. import io
from .._components import n_components
from .._progress import report
from ..linalg._inspect import inspect_matrix
from . import _plots
from ._app import cli, command
from ._files import Source, check_output, read_matrix, resolve
from ._output import Output, fmt_bytes, fmt_float, kv_table
from ._plans import plan_rows, plans_for

__all__ = ["info", "matrix_stats"]


def matrix_stats(A, *, header: io.MatrixInfo | None = None) -> dict:
    """Everything ``info`` reports about a matrix (plain values, JSON-ready)."""
    stats: dict = {"shape": list(A.shape), "dtype": str(A.dtype)}
    if header is not None:
        stats["header"] = {"format": header.format, "field": header.field,
                           "symmetry": header.symmetry, "entries": header.nnz}
    m, n = A.shape
    itemsize = np.dtype(A.dtype).itemsize
    stats["memory_dense"] = int(m * n * itemsize)
    if not sp.issparse(A):
        stats["sparse"] = False
        stats["nnz"] = int(np.count_nonzero(A))
        stats["density"] = stats["nnz"] / (m * n) if m * n else 0.0
        stats["memory"] = int(A.nbytes)
        return stats
    C = sp.csr_array(A)
    report("inspect", n=m, nnz=C.nnz)
    stats["sparse"] = True
    stats["nnz"] = int(C.nnz)
    stats["density"] = C.nnz / (m * n) if m * n else 0.0
    stats["memory"] = int(C.data.nbytes + C.indices.nbytes + C.indptr.nbytes)
    lengths = np.diff(C.indptr)
    stats["row_lengths"] = {
        "min": int(lengths.min()) if m else 0,
        "mean": float(lengths.mean()) if m else 0.0,
        "median": float(np.median(lengths)) if m else 0.0,
        "max": int(lengths.max()) if m else 0,
        "empty_rows": int(np.count_nonzero(lengths == 0)),
    }
    if m == n:
        # Integer matrices are inspected as floats, as the solvers will see them.
        props = inspect_matrix(C.astype(np.float64) if C.dtype.kind in "biu" else C,
                               components=False)
        d = C.diagonal()
        stats["square"] = True
        stats["symmetric"] = bool(props.symmetric)
        stats["diagonal"] = {"sign": props.diag_sign,
                             "zeros": int(np.count_nonzero(d == 0))}
        stats["laplacian"] = bool(props.laplacian)
        # Weak components of the pattern (stored entries, zeros included): those of A + A^T.
        # A pattern of ones: csgraph would cast complex entries to real, with a warning.
        stats["components"] = n_components(
            sp.csr_array((np.ones(C.nnz), C.indices, C.indptr), shape=C.shape))
    else:
        stats["square"] = False
    return stats


def _stats_rows(stats: dict, src: Source) -> list[tuple[str, str]]:
    rows = [("file", str(src.path) if src.path is not None else "(generated on demand)")]
    if src.dataset is not None:
        rows.append(("dataset", src.dataset))
    h = stats.get("header")
    if h:
        rows.append(("header", f"{h['format']} {h['field']} {h['symmetry']} "
                               f"({h['entries']:,} entries listed)"))
    m, n = stats["shape"]
    rows.append(("shape", f"{m:,} x {n:,}  ({stats['dtype']})"))
    rows.append(("nonzeros", f"{stats['nnz']:,} stored, density {fmt_float(stats['density'])}"))
    if not stats["sparse"]:
        rows.append(("memory", f"{fmt_bytes(stats['memory'])} (dense array)"))
        return rows
    r = stats["row_lengths"]
    rows.append(("row lengths", f"min {r['min']}, median {r['median']:g}, mean "
                                f"{r['mean']:.3g}, max {r['max']}"
                 + (f"; {r['empty_rows']} empty rows" if r["empty_rows"] else "")))
    if stats["square"]:
        d = stats["diagonal"]
        rows.append(("diagonal", d["sign"] + (f" ({d['zeros']} zeros)" if d["zeros"] else "")))
        rows.append(("symmetric", "yes (checked numerically, rtol 1e-10)" if stats["symmetric"]
                     else "no (checked numerically, rtol 1e-10)"))
        rows.append(("Laplacian", "yes: symmetric, off-diagonal <= 0, zero row sums"
                     if stats["laplacian"] else "no"))
        rows.append(("components", f"{stats['components']:,} (connected components of the "
                                   "pattern)"))
    if "condition" in stats:
        rows.append(("condition", stats["condition"]["summary"]))
    ratio = stats["memory_dense"] / stats["memory"] if stats["memory"] else float("inf")
    rows.append(("memory", f"sparse (CSR) {fmt_bytes(stats['memory'])}, dense "
                           f"{fmt_bytes(stats['memory_dense'])} ({ratio:,.0f}x)"))
    return rows


def _condition(A) -> dict:
    """``sk.condest``'s answer, as the JSON report carries it."""
    c = sk.condest(A)
    return {"cond": float(c.cond), "norm": c.norm, "lower_bound": bool(c.lower_bound),
            "exact": bool(c.exact), "iterations": int(c.iterations), "summary": c.summary}


@command(cli, "info")
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option("--plan/--no-plan", "with_plan", default=True, show_default=True,
              help="Show the plan `auto` would follow for solve and eigsh.")
@click.option("--spy", "spy", type=click.Path(dir_okay=False), default=None,
              help="Draw the sparsity pattern to this image, every entry counted into its "
              "pixel (.png, .pdf, .svg; needs matplotlib).")
@click.option("--cond/--no-cond", "with_cond", default=False, show_default=True,
              help="Estimate the 1-norm condition number (sk.condest: one factorization and a "
                   "few solves; square matrices).")
@click.option("--force", is_flag=True, help="Allow an output path equal to an input.")
def info(out: Output, files, with_plan, spy, force, with_cond):
    r"""Shape, entries, symmetry, structure, memory and the automatic plan of matrices.

    \b
    Examples:
      sparsekit info bcsstk09.mtx
      sparsekit info *.mtx --no-plan --json
      sparsekit info karate.mtx --spy karate.png
      sparsekit info bcsstk13 --cond
    """
    sources = [resolve(f) for f in files]
    spy_path = None
    if spy is not None:
        if len(sources) != 1:
            raise click.UsageError("--spy draws one matrix; give exactly one FILE")
        spy_path = check_output(spy, sources, force=force,
                                suffixes=_plots.IMAGE_SUFFIXES, what="--spy image")
        _plots.require("--spy")
    reports = []
    for src in sources:
        t0 = time.perf_counter()
        header: io.MatrixInfo | None = None
        if src.path is not None and src.path.name.lower().endswith((".mtx", ".mtx.gz")):
            found = io.info(src.path)  # a Matrix Market header, by the suffix
            header = found if isinstance(found, io.MatrixInfo) else None
        A = read_matrix(src)
        t_read = time.perf_counter() - t0
        stats = matrix_stats(A, header=header)
        stats["file"] = str(src.path) if src.path is not None else None
        stats["dataset"] = src.dataset
        stats["read_seconds"] = t_read
        if with_cond and A.shape[0] == A.shape[1] and A.shape[0] > 0:
            report("condition", n=A.shape[0])
            stats["condition"] = _condition(A)
        if with_plan and A.shape[1] > 1:
            report("plan", n=A.shape[0])
        plans = plans_for(A, stats) if with_plan and A.shape[1] > 1 else {}
        stats["plans"] = {task: p.as_dict() for task, p in plans.items()}
        reports.append(stats)
        rows = _stats_rows(stats, src)
        for task, p in plans.items():
            rows += plan_rows(task, p)
        out.print(kv_table(rows))
        out.print()
        kind = ("symmetric" if stats.get("symmetric") else
                "nonsymmetric" if stats.get("square") else "rectangular")
        if out.quiet:
            m, n = stats["shape"]
            out.summary(f"{src.label}: {m} x {n}, {stats['nnz']} nonzeros, {kind}")
        if spy_path is not None:
            _plots.save(_plots.spy_figure(A, src.label), spy_path)
            out.wrote(spy_path, "spy")
    out.set(files=reports)
