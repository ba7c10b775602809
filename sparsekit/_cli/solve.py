"""``sparsekit solve``: one linear system (or least-squares problem) from files."""

from __future__ import annotations

from typing import Any

import click
import numpy as np

import sparsekit as sk

from .._choices import BACKENDS
from .._requests import DEFAULT_RTOL, default_rtol
from ..errors import SparsekitError
from ..linalg.solve import METHODS, PRECONDS
from . import _plots
from ._app import EXIT_NOT_CONVERGED, Finite, cli, command
from ._distributed import read_for_backend, write_solution
from ._files import MATRIX_SUFFIXES, check_output, resolve, write_csv
from ._output import Output, fmt_sci, kv_table
from ._plans import PlanView, plan_rows
from ._shared import RHS_HELP, check_choices, make_rhs, names_of, solve_dict, solve_rows

__all__ = ["solve", "solver_options"]


def solver_options(f):
    """--method/--precond/--backend/--rtol/--atol/--maxiter/--no-check, as sk.solve names them."""
    options = [
        click.option("--method", default="auto", show_default=True,
                     help=f"{names_of(METHODS, ('auto',))} (--backend cupy and petsc "
                     "take their own names)."),
        click.option("--precond", default="auto", show_default=True,
                     help=f"{names_of(PRECONDS, ('auto',))} (--backend cupy and petsc "
                     "take their own names)."),
        click.option("--backend", type=click.Choice(sorted(BACKENDS)), default="auto",
                     show_default=True, help="Where it runs: scipy (CPU), cupy (GPU), petsc "
                     "(under mpiexec: every rank reads its own rows); auto: by the input's "
                     "type."),
        click.option("--rtol", type=Finite(0), default=None,
                     help="Relative tolerance: ‖b − A x‖ ≤ max(rtol·‖b‖, atol).  Default: "
                     f"{DEFAULT_RTOL['double']:g}, or {DEFAULT_RTOL['single']:g} for "
                     "a single-precision (float32, complex64) matrix."),
        click.option("--atol", type=Finite(0), default=0.0, show_default=True,
                     help="Absolute tolerance."),
        click.option("--maxiter", type=click.IntRange(min=1), default=None,
                     help="Iteration limit (default: the method's own)."),
        click.option("--no-check", "no_check", is_flag=True,
                     help="Skip the O(nnz) inspection (sk.solve's check=False): CG/MINRES "
                     "run on a matrix the check would refuse."),
    ]
    for opt in reversed(options):
        f = opt(f)
    return f


def _history(out: Output, r, b, rtol: float, atol: float, outputs: dict, title: str) -> None:
    """--history and --plot: the relative residual per iteration, or why there is none."""
    if not (outputs["history"] or outputs["plot"]):
        return
    residuals = np.asarray(r.residuals, dtype=float)
    if residuals.size == 0:
        out.warn(f"no residual history: method {r.method!r} does not iterate, so "
                 + " and ".join(o for o in ("--history", "--plot") if outputs[o.lstrip("-")])
                 + " wrote nothing")
        return
    bnorm = float(np.max(np.linalg.norm(np.asarray(b).reshape(len(b), -1), axis=0))) or 1.0
    relative = residuals / bnorm
    label = ("GMRES's preconditioned residual estimate" if r.method == "gmres"
             else "‖b − A x_k‖ / ‖b‖ (true residual)")
    if outputs["history"]:
        write_csv(outputs["history"], {"iteration": np.arange(1, residuals.size + 1),
                                       "relative_residual": relative, "residual": residuals})
        out.wrote(outputs["history"], "history")
    if outputs["plot"]:
        fig = _plots.history_figure(relative, rtol, title, label,
                                    atol_line=atol / bnorm if atol else None)
        _plots.save(fig, outputs["plot"])
        out.wrote(outputs["plot"], "plot")


@command(cli, "solve")
@click.argument("file")
@click.option("--rhs", default=None, metavar="FILE|ones|random", help=RHS_HELP)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of --rhs random.")
@solver_options
@click.option("-o", "--output", "x_out", type=click.Path(dir_okay=False), default=None,
              help="Write x here (.mtx, .mtx.gz, .npz or .petsc; under mpiexec .petsc is "
              "written by every rank in parallel).")
@click.option("--history", type=click.Path(dir_okay=False), default=None,
              help="Write the residual history here (.csv: iteration, relative_residual, "
              "residual).")
@click.option("--plot", type=click.Path(dir_okay=False), default=None,
              help="Plot the relative residual per iteration with the rtol line (.png, .pdf, "
              ".svg; needs matplotlib).")
@click.option("--force", is_flag=True, help="Allow an output path equal to an input.")
def solve(out: Output, file, rhs, seed, method, precond, backend, rtol, atol, maxiter, no_check,
          x_out, history, plot, force):
    r"""Solve A x = b (least squares when A is rectangular) and report the true residual.

    Prints the plan `auto` follows and why, a status line on a terminal while
    it works (the stage; CG's iteration and true residual against rtol), and
    the result.  A solve that did not converge says why and what to try, and
    exits 1 (the result is still printed and written).

    \b
    Examples:
      sparsekit solve bcsstk09.mtx
      sparsekit solve sherman5.mtx --method gmres --precond ilu --rtol 1e-10
      sparsekit solve illc1033.mtx --rhs illc1033_rhs1.mtx -o x.mtx
      sparsekit solve poisson2d_64 --method cg --history h.csv --plot h.png --json
      mpiexec -n 4 sparsekit solve A.petsc --backend petsc -o x.petsc
    """
    check_choices("solve", backend, method=method, precond=precond)
    src = resolve(file)
    inputs = [src] + ([resolve(rhs)] if rhs not in (None, "ones", "random") else [])
    outputs = {
        "x": x_out and check_output(x_out, inputs, force=force, suffixes=MATRIX_SUFFIXES,
                                    what="-o"),
        "history": history and check_output(history, inputs, force=force, suffixes=(".csv",),
                                            what="--history"),
        "plot": plot and check_output(plot, inputs, force=force,
                                      suffixes=_plots.IMAGE_SUFFIXES, what="--plot"),
    }
    if outputs["plot"]:
        _plots.require("--plot")
    A, _ = read_for_backend(src, backend)
    b, b_label = make_rhs(rhs, src, A.shape[0], seed)
    rtol_used = default_rtol(A.dtype, b.dtype) if rtol is None else rtol
    out.set(file=str(src.path) if src.path else None, dataset=src.dataset,
            shape=list(A.shape), rhs=b_label, rtol=rtol_used)
    rows = [("matrix", f"{src.label}  ({A.shape[0]:,} x {A.shape[1]:,}, {A.dtype})"),
            ("right-hand side", b_label)]
    if method == precond == backend == "auto":  # otherwise the plan is not what runs
        try:
            view = PlanView("solve", sk.plan(A, b))
        except NotImplementedError:
            view = PlanView("solve", unavailable="sk.plan is not available in this build")
        except SparsekitError as exc:  # sk.solve below reports it properly
            view = PlanView("solve", unavailable=str(exc))
        rows += plan_rows("solve", view)
    if rtol is None and rtol_used != DEFAULT_RTOL["double"]:
        rows.append(("rtol", f"{rtol_used:g} (the default for {A.dtype} data)"))
    out.print(kv_table(rows))

    # --history/--plot ask the library to record ‖b − A x_k‖ every iteration.
    extra: dict[str, Any] = {"history": True} if (history or plot) else {}
    by_rows = bool(backend == "petsc" and outputs["x"]
                   and outputs["x"].name.lower().endswith(".petsc"))
    if by_rows:  # x stays by rows: every rank writes its own rows of the .petsc file
        extra["gather"] = False
    r = sk.solve(A, b, method=method, precond=precond, backend=backend, rtol=rtol,
                 atol=atol, maxiter=maxiter, check=not no_check, **extra)

    out.set(**solve_dict(r))
    out.print(kv_table(solve_rows(r)))
    status = "converged" if r.converged else "NOT converged"
    if out.quiet:
        out.summary(f"{status}: {r.method}+{r.precond}, {r.iterations} iterations, relative "
                    f"residual {fmt_sci(r.relative_residual)}")
    if outputs["x"]:
        write_solution(out, outputs["x"], r, local=by_rows)
    if out.rank == 0:
        _history(out, r, b, rtol_used, atol, outputs, f"{src.label}: {r.method} + {r.precond}")
    return 0 if r.converged else EXIT_NOT_CONVERGED
