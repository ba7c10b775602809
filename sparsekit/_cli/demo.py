"""``sparsekit demo``: the main job that ``make run`` shows, on a matrix that ships."""

from __future__ import annotations

from typing import Any

import numpy as np
from rich.text import Text

import sparsekit as sk

from .. import datasets
from ._app import EXIT_NOT_CONVERGED, cli, command
from ._output import Output, fmt_sci, fmt_seconds, kv_table
from ._plans import PlanView, plan_dict, plan_rows
from ._shared import solve_dict, solve_rows
from .compare import (
    agreement_note,
    comparison_table,
    skip_note,
    solve_agreement,
    solve_both,
    speed_note,
)

__all__ = ["demo", "DEMO_DATASET"]

DEMO_DATASET = "poisson2d_64"


@command(cli, "demo", short_help="Solve a matrix that ships with sparsekit, sparse and dense.")
def demo(out: Output):
    r"""Solve the shipped 64 x 64 Poisson problem: the plan, the result, the dense path beside it.

    No arguments, no files to find: the matrix (the 5-point finite-difference
    Laplacian on a 64 x 64 grid, 4,096 unknowns) ships inside the package.
    Shows the plan `method="auto"` chose and why, the result of sk.solve, and
    sk.dense.solve on the same system: time (one run each, cold cache), peak
    memory (tracemalloc) and the true residual.

    \b
    Examples:
      sparsekit demo
      sparsekit demo --json
    """
    A: Any = datasets.load(DEMO_DATASET)  # a sparse array: the demo matrix is sparse
    n = A.shape[0]
    b = np.ones(n)
    out.print(Text.assemble(("sparsekit demo", "bold"), ": A x = b solved with method=\"auto\", "
                            "and on the dense numpy/LAPACK path beside it\n"))
    p = sk.plan(A, b)
    rows = [("matrix", f"{DEMO_DATASET}: {datasets.get(DEMO_DATASET).description}"),
            ("", f"{n:,} x {n:,}, {A.nnz:,} nonzeros"),
            ("right-hand side", "ones")]
    out.print(kv_table(rows + plan_rows("auto", PlanView("solve", p))))
    s, d = solve_both(A, b)
    r = s.result
    out.print(kv_table(solve_rows(r)))
    out.print()
    out.print(comparison_table("the same system on the sparse and the dense (LAPACK) path",
                               (s, d), "solve"))
    agree = solve_agreement(s, d)
    for line in (speed_note(s, d), agreement_note(agree), skip_note(s, d)):
        if line:
            out.print(Text("  " + line))
    out.set(dataset=DEMO_DATASET, shape=[n, n], nnz=int(A.nnz), rhs="ones", plan=plan_dict(p),
            sparse=s.as_dict(solve_dict), dense=d.as_dict(solve_dict),
            x_relative_difference=agree)
    if out.quiet:
        dense_time = fmt_seconds(d.seconds) if d.seconds is not None else "skipped"
        sparse_time = fmt_seconds(s.seconds) if s.seconds is not None else "skipped"
        out.summary(f"{r.method}+{r.precond}: relative residual "
                    f"{fmt_sci(r.relative_residual)} in {sparse_time}; dense path "
                    f"{dense_time}")
    return 0 if r.converged else EXIT_NOT_CONVERGED
