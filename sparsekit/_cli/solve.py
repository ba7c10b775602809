"""``sparsekit solve``: one linear system (or least-squares problem) from files."""

from __future__ import annotations

import click
import numpy as np

import sparsekit as sk

from .._choices import BACKENDS
from ..errors import SparsekitError
from ..linalg.solve import METHODS, PRECONDS
from ._app import EXIT_NOT_CONVERGED, Finite, cli, command
from ._files import MATRIX_SUFFIXES, check_output, read_matrix, resolve, write_csv, write_matrix
from ._output import Output, ResidualProgress, fmt_sci, kv_table
from ._plans import PlanView, plan_rows
from ._shared import RHS_HELP, make_rhs, names_of, plot_history, solve_dict, solve_rows

__all__ = ["solve", "solver_options"]


def solver_options(f):
    """--method/--precond/--backend/--rtol/--atol/--maxiter, as sk.solve names them."""
    options = [
        click.option("--method", default="auto", show_default=True,
                     help=f"{names_of(METHODS, ('auto',))} (--backend cupy and petsc "
                     "take their own names)."),
        click.option("--precond", default="auto", show_default=True,
                     help=f"{names_of(PRECONDS, ('auto',))} (--backend cupy and petsc "
                     "take their own names)."),
        click.option("--backend", type=click.Choice(sorted(BACKENDS)), default="auto",
                     show_default=True, help="Where it runs: scipy (CPU), cupy (GPU), petsc "
                     "(under mpiexec); auto: by the input's type."),
        click.option("--rtol", type=Finite(0), default=1e-8, show_default=True,
                     help="Relative tolerance: ‖b − A x‖ ≤ max(rtol·‖b‖, atol)."),
        click.option("--atol", type=Finite(0), default=0.0, show_default=True,
                     help="Absolute tolerance."),
        click.option("--maxiter", type=click.IntRange(min=1), default=None,
                     help="Iteration limit (default: the method's own)."),
    ]
    for opt in reversed(options):
        f = opt(f)
    return f


@command(cli, "solve")
@click.argument("file")
@click.option("--rhs", default=None, metavar="FILE|ones|random", help=RHS_HELP)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of --rhs random.")
@solver_options
@click.option("-o", "--output", "x_out", type=click.Path(dir_okay=False), default=None,
              help="Write x here (.mtx, .mtx.gz or .npz).")
@click.option("--history", type=click.Path(dir_okay=False), default=None,
              help="Write the residual history here (.csv: iteration,residual).")
@click.option("--plot", type=click.Path(dir_okay=False), default=None,
              help="Plot the residual history (.png, .pdf, .svg; needs matplotlib).")
@click.option("--force", is_flag=True, help="Allow an output path equal to an input.")
def solve(out: Output, file, rhs, seed, method, precond, backend, rtol, atol, maxiter,
          x_out, history, plot, force):
    r"""Solve A x = b (least squares when A is rectangular) and report the true residual.

    Prints the plan `auto` follows and why, a residual progress bar on an
    interactive terminal when the solve takes more than a moment, and the
    result.  Exit 1 when the solve did not converge (the result is still
    printed and written).

    \b
    Examples:
      sparsekit solve bcsstk09.mtx
      sparsekit solve sherman5.mtx --method gmres --precond ilu --rtol 1e-10
      sparsekit solve illc1033.mtx --rhs illc1033_rhs1.mtx -o x.mtx
      sparsekit solve poisson2d_64 --history h.csv --plot h.png --json
      mpiexec -n 4 sparsekit solve A.mtx --backend petsc
    """
    src = resolve(file)
    inputs = [src] + ([resolve(rhs)] if rhs not in (None, "ones", "random") else [])
    outputs = {
        "x": x_out and check_output(x_out, inputs, force=force, suffixes=MATRIX_SUFFIXES,
                                    what="-o"),
        "history": history and check_output(history, inputs, force=force, suffixes=(".csv",),
                                            what="--history"),
        "plot": plot and check_output(plot, inputs, force=force,
                                      suffixes=(".png", ".pdf", ".svg"), what="--plot"),
    }
    A = read_matrix(src)
    b, b_label = make_rhs(rhs, src, A.shape[0], seed)
    out.set(file=str(src.path) if src.path else None, dataset=src.dataset,
            shape=list(A.shape), rhs=b_label)
    rows = [("matrix", f"{src.label}  ({A.shape[0]:,} x {A.shape[1]:,})"),
            ("right-hand side", b_label)]
    if method == precond == backend == "auto":  # otherwise the plan is not what runs
        try:
            view = PlanView("solve", sk.plan(A, b))
        except NotImplementedError:
            view = PlanView("solve", unavailable="sk.plan is not available in this build")
        except SparsekitError as exc:  # sk.solve below reports it properly
            view = PlanView("solve", unavailable=str(exc))
        rows += plan_rows("solve", view)
    out.print(kv_table(rows))

    progress = ResidualProgress(out, A, b, rtol)
    # --history/--plot ask the library to record ‖b − A x_k‖ every iteration.
    extra = {"history": True} if (history or plot) else {}
    try:
        r = sk.solve(A, b, method=method, precond=precond, backend=backend, rtol=rtol,
                     atol=atol, maxiter=maxiter, callback=progress, **extra)
    finally:
        progress.close()

    out.set(**solve_dict(r))
    out.print(kv_table(solve_rows(r)))
    status = "converged" if r.converged else "NOT converged"
    if out.quiet:
        out.summary(f"{status}: {r.method}+{r.precond}, {r.iterations} iterations, relative "
                    f"residual {fmt_sci(r.relative_residual)}")
    if out.rank == 0:
        if outputs["x"]:
            write_matrix(outputs["x"], np.asarray(r.x))
            out.wrote(outputs["x"], "x")
        residuals = np.asarray(r.residuals, dtype=float)
        if outputs["history"]:
            write_csv(outputs["history"], {"iteration": np.arange(residuals.size),
                                           "residual": residuals})
            out.wrote(outputs["history"], "history")
        if outputs["plot"]:
            plot_history(outputs["plot"], residuals,
                         f"{src.label}: {r.method} + {r.precond}")
            out.wrote(outputs["plot"], "plot")
    return 0 if r.converged else EXIT_NOT_CONVERGED
