"""``sparsekit eigs``: a few eigenpairs of a matrix (symmetric or not) or a graph's Laplacian."""

from __future__ import annotations

import click
import numpy as np
from rich import box
from rich.table import Table

import sparsekit as sk

from .._choices import BACKENDS, EIGS_CODES, EIGSH_CODES, LAPLACIAN_KINDS, WHICH
from .._progress import report
from .._validate import is_symmetric
from ..errors import InputValueError
from ..linalg._eigen import EIGS_METHODS, METHODS, PRECONDS
from . import _plots
from ._app import EXIT_NOT_CONVERGED, Finite, cli, command
from ._distributed import read_for_backend
from ._files import MATRIX_SUFFIXES, check_output, read_graph, read_matrix, resolve, write_matrix
from ._output import Output, fmt_sci, fmt_seconds, kv_table
from ._shared import check_choices, eigen_dict, names_of, relative_residuals

__all__ = ["eigs", "WHICH_CHOICES"]

#: --which: sparsekit's words, then SciPy's codes of eigsh and of eigs (each checked by the
#: solver that runs: 'LR' is refused for a symmetric matrix, 'BE' for a nonsymmetric one).
WHICH_CHOICES = [*WHICH, *EIGSH_CODES, *(c for c in EIGS_CODES if c not in EIGSH_CODES)]


def values_table(e, relative, title: str | None = None) -> Table:
    """The eigenvalues with their residuals (absolute and relative) and converged flags."""
    t = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    complex_values = np.iscomplexobj(e.values) and np.any(np.imag(e.values) != 0)
    cols = ["#", "Re λ", "Im λ"] if complex_values else ["#", "eigenvalue"]
    for col in (*cols, "‖A v − λ M v‖", "relative*", "converged"):
        t.add_column(col, justify="right" if col != "converged" else "left")
    rel = relative if relative is not None else [None] * len(e.values)
    for i, (lam, res, r, ok) in enumerate(zip(np.asarray(e.values), np.asarray(e.residuals),
                                              rel, np.asarray(e.converged), strict=True)):
        shown = ([f"{float(np.real(lam)):.12g}", f"{float(np.imag(lam)):.6g}"]
                 if complex_values else [f"{float(np.real(lam)):.12g}"])
        t.add_row(str(i), *shown, fmt_sci(res), fmt_sci(r), "yes" if ok else "NO")
    t.caption = "*divided by ‖A‖ + |λ| ‖M‖, as tol is"
    t.caption_justify = "left"
    return t


def _advice(e, relative, method: str, sigma) -> str | None:
    """What to try when a pair missed tol (on the command line's options)."""
    if e.all_converged:
        return None
    tries = []
    if e.iterations:
        tries.append(f"--maxiter {2 * int(e.iterations)} (more restarts)")
    else:
        tries.append("--maxiter (more restarts than the method's default)")
    if "shift_invert" not in e.method and method in ("auto", "arpack", "lobpcg"):
        tries.append("--method shift_invert (a factorization of A - sigma M: few iterations "
                     "for the eigenvalues nearest sigma" + ("" if sigma is not None
                                                            else " or the smallest") + ")")
    if relative is not None and len(relative):
        worst = float(np.max(relative))
        tries.append(f"--tol {10 ** np.ceil(np.log10(max(worst, 1e-300))):.0e} (the worst "
                     f"pair reached {worst:.1e}), if that is accurate enough")
    return "to try: " + "; ".join(tries)


def _symmetric(A, M, lap_kind, no_check: bool, distributed: bool) -> bool:
    """Whether sk.eigsh runs (else sk.eigs): a Laplacian, --no-check, or checked (O(nnz))."""
    if lap_kind is not None or no_check or distributed or A.shape[0] != A.shape[1]:
        return True  # (a rectangular A: sk.eigsh says why it cannot)
    return bool(is_symmetric(A) and (M is None or is_symmetric(M)))


@command(cli, "eigs")
@click.argument("file")
@click.option("-k", "k", type=click.IntRange(min=1), default=6, show_default=True,
              help="Number of eigenpairs.")
@click.option("--which", type=click.Choice(WHICH_CHOICES), default=None,
              help="Which eigenvalues: smallest (the default), largest, or nearest to "
              "--sigma (the default when --sigma is given); or SciPy's codes (eigsh's for a "
              "symmetric matrix, eigs's for a nonsymmetric one).")
@click.option("--sigma", type=Finite(), default=None, help="Shift for --which nearest.")
@click.option("--mass", "mass", default=None, metavar="M.mtx",
              help="Mass matrix M of the generalized problem A x = λ M x (SPD).")
@click.option("--laplacian", "lap_kind", type=click.Choice(sorted(LAPLACIAN_KINDS)),
              default=None,
              help="Treat FILE as a graph (adjacency matrix or edge list) and use this "
              "Laplacian of it.")
@click.option("--method", default="auto", show_default=True,
              help=f"Symmetric (sk.eigsh): {names_of(METHODS, ('auto',))}; nonsymmetric "
              f"(sk.eigs): {names_of(EIGS_METHODS, ('auto',))}.  --backend cupy and petsc "
              "take their own names.")
@click.option("--precond", default="auto", show_default=True,
              help=f"For lobpcg: {names_of(PRECONDS, ('auto',))}.")
@click.option("--backend", type=click.Choice(sorted(BACKENDS)), default="auto",
              show_default=True, help="Where it runs: scipy (CPU), cupy (GPU), petsc (under "
              "mpiexec: every rank reads its own rows); auto: by the input's type.")
@click.option("--tol", type=Finite(0), default=None, help="Residual tolerance (default: the "
              "method's own).")
@click.option("--maxiter", type=click.IntRange(min=1), default=None, help="Iteration limit.")
@click.option("--no-check", "no_check", is_flag=True,
              help="Trust that A is symmetric: no O(nnz) symmetry check (sk.eigsh's "
              "check=False).")
@click.option("-o", "--output", "vec_out", type=click.Path(dir_okay=False), default=None,
              help="Write the eigenvectors (n x k) here (.mtx, .mtx.gz, .npz).")
@click.option("--plot", type=click.Path(dir_okay=False), default=None,
              help="Plot the spectrum and each pair's relative residual with the tol line "
              "(.png, .pdf, .svg; needs matplotlib).")
@click.option("--force", is_flag=True, help="Allow an output path equal to an input.")
def eigs(out: Output, file, k, which, sigma, mass, lap_kind, method, precond, backend, tol,
         maxiter, no_check, vec_out, plot, force):
    r"""Eigenpairs of a matrix: values ascending, every residual recomputed.

    A symmetric matrix (checked numerically; a --laplacian always is) goes to
    sk.eigsh, a nonsymmetric one to sk.eigs (complex eigenvalues, SciPy's
    'LR', 'SR', 'LM', 'SM', 'LI', 'SI' codes with --which).  Exit 1 when a pair
    did not converge (the pairs are still printed, with their residuals, and
    what to try).

    \b
    Examples:
      sparsekit eigs bcsstk09.mtx -k 6
      sparsekit eigs 1138_bus.mtx --which largest -k 3 --json
      sparsekit eigs karate.mtx --laplacian combinatorial -k 4 --plot spectrum.png
      sparsekit eigs K.mtx --mass M.mtx -k 10 -o modes.mtx
      sparsekit eigs nos6.mtx --which nearest --sigma 100
      sparsekit eigs west0479.mtx --which LM -k 4
    """
    check_choices("eigen", backend, method=method, precond=precond)
    if which is None:
        which = "smallest" if sigma is None else "nearest"
    if which == "nearest" and sigma is None:
        raise click.UsageError("--which nearest needs --sigma")
    src = resolve(file)
    msrc = resolve(mass) if mass is not None else None
    inputs = [src] + ([msrc] if msrc else [])
    target = vec_out and check_output(vec_out, inputs, force=force, suffixes=MATRIX_SUFFIXES,
                                      what="-o")
    picture = plot and check_output(plot, inputs, force=force, suffixes=_plots.IMAGE_SUFFIXES,
                                    what="--plot")
    if picture:
        _plots.require("--plot")
    distributed = False
    if lap_kind is not None:  # FILE is a graph: adjacency matrix or edge list
        A = sk.laplacian(read_graph(src).adjacency, kind=lap_kind)
    else:
        A, distributed = read_for_backend(src, backend)
    M = read_matrix(msrc) if msrc is not None else None
    symmetric = _symmetric(A, M, lap_kind, no_check, distributed)
    out.set(file=str(src.path) if src.path else None, dataset=src.dataset,
            shape=list(A.shape), k=k, which=which, sigma=sigma, laplacian=lap_kind,
            mass=str(msrc.path) if msrc and msrc.path else None, symmetric=symmetric)
    if symmetric:
        e = sk.eigsh(A, k=k, which=which, sigma=sigma, M=M, method=method, precond=precond,
                     backend=backend, tol=tol, maxiter=maxiter, check=not no_check)
    else:
        if backend not in ("auto", "scipy"):
            raise InputValueError(f"{src.label} is not symmetric: sk.eigs runs on the CPU "
                                  f"only, not --backend {backend}")
        if precond != "auto":
            raise InputValueError(f"{src.label} is not symmetric: sk.eigs (Arnoldi) takes no "
                                  "--precond (it is LOBPCG's, for symmetric matrices)")
        report("arnoldi", n=A.shape[0], k=k, method=method)
        e = sk.eigs(A, k=k, M=M, sigma=sigma, which=which, tol=tol, maxiter=maxiter,
                    method=method)
    relative = None if distributed else relative_residuals(e, A, M, nonsymmetric=not symmetric)
    out.set(**eigen_dict(e, relative))
    what = f"{src.label}" + (f" ({lap_kind} Laplacian)" if lap_kind else "")
    solver = "sk.eigsh" if symmetric else "sk.eigs (nonsymmetric)"
    rows = [("matrix", f"{what}  ({A.shape[0]:,} x {A.shape[1]:,})"),
            ("method", f"{solver}: {e.method} (backend {e.backend})"
                       + (f", {e.iterations} iterations" if e.iterations else "")),
            ("converged", f"{int(np.sum(e.converged))} of {len(e.values)} pairs (tol "
                          f"{fmt_sci(e.tol)})")]
    if e.timings:
        rows.append(("time", ", ".join(f"{key} {fmt_seconds(v)}" for key, v in
                                       e.timings.items())))
    rows += [("note", n) for n in e.notes]
    advice = _advice(e, relative, method, sigma)
    if advice:
        rows.append(("note", advice))
        out.set(advice=advice)
    out.print(kv_table(rows))
    out.print(values_table(e, relative))
    if out.quiet:
        vals = ", ".join(f"{complex(v):.8g}" if np.iscomplexobj(v) and np.imag(v) else
                         f"{float(np.real(v)):.8g}" for v in e.values)
        out.summary(f"{int(np.sum(e.converged))}/{len(e.values)} converged: {vals}")
    if out.rank == 0:
        if target:
            write_matrix(target, np.asarray(e.vectors))
            out.wrote(target, "vectors")
        if picture:
            fig = _plots.spectrum_figure(
                e.values, relative if relative is not None else e.residuals, e.converged,
                e.tol if relative is not None else None, f"{what}: {k} eigenpairs ({e.method})")
            _plots.save(fig, picture)
            out.wrote(picture, "plot")
    return 0 if e.all_converged else EXIT_NOT_CONVERGED
