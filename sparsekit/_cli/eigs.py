"""``sparsekit eigs``: a few eigenpairs of a symmetric matrix (or a graph's Laplacian)."""

from __future__ import annotations

import click
import numpy as np
from rich import box
from rich.table import Table

import sparsekit as sk

from .._choices import BACKENDS, LAPLACIAN_KINDS, WHICH
from ..linalg._eigen import METHODS, PRECONDS
from ._app import EXIT_NOT_CONVERGED, Finite, cli, command
from ._files import (
    MATRIX_SUFFIXES,
    check_output,
    read_graph,
    read_matrix,
    resolve,
    write_matrix,
)
from ._output import Output, fmt_sci, fmt_seconds, kv_table
from ._shared import eigen_dict, names_of, relative_residuals

__all__ = ["eigs"]


def values_table(e, relative, title: str | None = None) -> Table:
    """The eigenvalues with their residuals (absolute and relative) and converged flags."""
    t = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left",
              pad_edge=False)
    for col in ("#", "eigenvalue", "‖A v − λ M v‖", "relative*", "converged"):
        t.add_column(col, justify="right" if col != "converged" else "left")
    for i, (lam, res, rel, ok) in enumerate(zip(np.asarray(e.values), np.asarray(e.residuals),
                                                relative, np.asarray(e.converged),
                                                strict=True)):
        t.add_row(str(i), f"{float(np.real(lam)):.12g}", fmt_sci(res), fmt_sci(rel),
                  "yes" if ok else "NO")
    t.caption = "*divided by ‖A‖₁ + |λ| ‖M‖₁, as tol is"
    t.caption_justify = "left"
    return t


@command(cli, "eigs")
@click.argument("file")
@click.option("-k", "k", type=click.IntRange(min=1), default=6, show_default=True,
              help="Number of eigenpairs.")
@click.option("--which", type=click.Choice(sorted(WHICH)),
              default=None, help="Which eigenvalues: smallest (the default), largest, or "
              "nearest to --sigma (the default when --sigma is given).")
@click.option("--sigma", type=Finite(), default=None, help="Shift for --which nearest.")
@click.option("--mass", "mass", default=None, metavar="M.mtx",
              help="Mass matrix M of the generalized problem A x = λ M x (SPD).")
@click.option("--laplacian", "lap_kind", type=click.Choice(sorted(LAPLACIAN_KINDS)),
              default=None,
              help="Treat FILE as a graph (adjacency matrix or edge list) and use this "
              "Laplacian of it.")
@click.option("--method", default="auto", show_default=True,
              help=f"{names_of(METHODS, ('auto',))} (--backend cupy and petsc take their "
              "own names).")
@click.option("--precond", default="auto", show_default=True,
              help=f"For lobpcg: {names_of(PRECONDS, ('auto',))}.")
@click.option("--backend", type=click.Choice(sorted(BACKENDS)), default="auto",
              show_default=True, help="Where it runs: scipy (CPU), cupy (GPU), petsc (under "
              "mpiexec); auto: by the input's type.")
@click.option("--tol", type=Finite(0), default=None, help="Residual tolerance (default: the "
              "method's own).")
@click.option("--maxiter", type=click.IntRange(min=1), default=None, help="Iteration limit.")
@click.option("-o", "--output", "vec_out", type=click.Path(dir_okay=False), default=None,
              help="Write the eigenvectors (n x k) here (.mtx, .mtx.gz, .npz).")
@click.option("--force", is_flag=True, help="Allow an output path equal to an input.")
def eigs(out: Output, file, k, which, sigma, mass, lap_kind, method, precond, backend, tol,
         maxiter, vec_out, force):
    r"""Eigenpairs of a symmetric matrix: values ascending, every residual computed.

    Exit 1 when a pair did not converge (the pairs are still printed, with
    their residuals).

    \b
    Examples:
      sparsekit eigs bcsstk09.mtx -k 6
      sparsekit eigs 1138_bus.mtx --which largest -k 3 --json
      sparsekit eigs karate.mtx --laplacian combinatorial -k 4
      sparsekit eigs K.mtx --mass M.mtx -k 10 -o modes.mtx
      sparsekit eigs nos6.mtx --which nearest --sigma 100
    """
    if which is None:
        which = "smallest" if sigma is None else "nearest"
    if which == "nearest" and sigma is None:
        raise click.UsageError("--which nearest needs --sigma")
    src = resolve(file)
    msrc = resolve(mass) if mass is not None else None
    inputs = [src] + ([msrc] if msrc else [])
    target = vec_out and check_output(vec_out, inputs, force=force, suffixes=MATRIX_SUFFIXES,
                                      what="-o")
    if lap_kind is not None:  # FILE is a graph: adjacency matrix or edge list
        A = sk.laplacian(read_graph(src).adjacency, kind=lap_kind)
    else:
        A = read_matrix(src)
    M = read_matrix(msrc) if msrc is not None else None
    out.set(file=str(src.path) if src.path else None, dataset=src.dataset,
            shape=list(A.shape), k=k, which=which, sigma=sigma, laplacian=lap_kind,
            mass=str(msrc.path) if msrc and msrc.path else None)
    e = sk.eigsh(A, k=k, which=which, sigma=sigma, M=M, method=method, precond=precond,
                 backend=backend, tol=tol, maxiter=maxiter)
    relative = relative_residuals(e, A, M)
    out.set(**eigen_dict(e, relative))
    what = f"{src.label}" + (f" ({lap_kind} Laplacian)" if lap_kind else "")
    rows = [("matrix", f"{what}  ({A.shape[0]:,} x {A.shape[1]:,})"),
            ("method", f"{e.method} (backend {e.backend})"
                       + (f", {e.iterations} iterations" if e.iterations else "")),
            ("converged", f"{int(np.sum(e.converged))} of {len(e.values)} pairs (tol "
                          f"{fmt_sci(e.tol)})")]
    if e.timings:
        rows.append(("time", ", ".join(f"{key} {fmt_seconds(v)}" for key, v in
                                       e.timings.items())))
    rows += [("note", n) for n in e.notes]
    out.print(kv_table(rows))
    out.print(values_table(e, relative))
    if out.quiet:
        vals = ", ".join(f"{float(np.real(v)):.8g}" for v in e.values)
        out.summary(f"{int(np.sum(e.converged))}/{len(e.values)} converged: {vals}")
    if target and out.rank == 0:
        write_matrix(target, np.asarray(e.vectors))
        out.wrote(target, "vectors")
    return 0 if e.all_converged else EXIT_NOT_CONVERGED
