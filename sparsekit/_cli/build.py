"""``sparsekit build laplacian|poisson|fem|cooccurrence``: the builders, to Matrix Market."""

from __future__ import annotations

import click
import numpy as np
import scipy.sparse as sp

import sparsekit as sk

from .._choices import BOUNDARY_CONDITIONS, LAPLACIAN_KINDS, WEIGHTINGS
from ._app import Finite, cli, command, group
from ._files import (
    MATRIX_SUFFIXES,
    atomic_path,
    check_output,
    read_graph,
    resolve,
    write_matrix,
)
from ._output import Output, fmt_bytes, kv_table

__all__ = ["build_group"]


@group(cli, "build")
def build_group():
    r"""Build a sparse matrix and write it (.mtx, .mtx.gz, .npz or .petsc).

    \b
    Examples:
      sparsekit build poisson 64 64 -o A.mtx
      sparsekit build laplacian edges.csv --kind normalized -o L.mtx
      sparsekit build fem --n 32 -o K.mtx --mass M.mtx
      sparsekit build cooccurrence corpus.txt --window 5 --ppmi -o P.npz
    """



def _output_option(f):
    f = click.option("--force", is_flag=True, help="Allow an output path equal to an input.")(f)
    return click.option("-o", "--output", "mat_out", type=click.Path(dir_okay=False),
                        required=True, help="Where to write the matrix (.mtx, .mtx.gz, .npz).")(f)


def _report(out: Output, name: str, A, target, extra=()) -> None:
    write_matrix(target, A)
    size = target.stat().st_size
    out.wrote(target, "matrix")
    out.set(shape=list(A.shape), nnz=int(A.nnz), dtype=str(A.dtype), bytes=int(size))
    out.print(kv_table([("built", name), ("shape", f"{A.shape[0]:,} x {A.shape[1]:,}"),
                        ("nonzeros", f"{A.nnz:,}"), *extra,
                        ("written", f"{target} ({fmt_bytes(size)})")]))
    if out.quiet:
        out.summary(f"{target}: {A.shape[0]} x {A.shape[1]}, {A.nnz} nonzeros")


@command(build_group, "laplacian")
@click.argument("graph_file", metavar="GRAPH")
@click.option("--kind", type=click.Choice(sorted(LAPLACIAN_KINDS)), default="combinatorial",
              show_default=True, help="Which Laplacian.")
@click.option("--symmetrize", is_flag=True, help="Make a directed graph undirected first.")
@click.option("--header/--no-header", "header", default=None,
              help="Whether an edge list's first line is a header (default: guessed).")
@_output_option
def laplacian(out: Output, graph_file, kind, symmetrize, header, mat_out, force):
    r"""The Laplacian of a graph (adjacency matrix file or edge list).

    \b
    Examples:
      sparsekit build laplacian karate.mtx -o L.mtx
      sparsekit build laplacian edges.csv --kind normalized -o L.npz
    """
    src = resolve(graph_file)
    target = check_output(mat_out, [src], force=force, suffixes=MATRIX_SUFFIXES, what="-o")
    g = read_graph(src, header=header, symmetrize=symmetrize)
    L = sk.laplacian(g.adjacency, kind=kind)
    out.set(kind=kind, input=str(src.path) if src.path else src.dataset)
    _report(out, f"{kind} Laplacian of {src.label}", L, target)
    if g.labels is not None:
        out.note("node i of the matrix is the i-th label in sorted order "
                 f"(first: {g.labels[0]!s}, last: {g.labels[-1]!s})")


@command(build_group, "poisson")
@click.argument("shape", nargs=-1, required=True, type=click.IntRange(min=1))
@click.option("--bc", type=click.Choice(sorted(BOUNDARY_CONDITIONS)), default="dirichlet",
              show_default=True, help="Boundary condition.")
@_output_option
def poisson(out: Output, shape, bc, mat_out, force):
    r"""The finite-difference Poisson matrix on a 1-D, 2-D or 3-D grid (3/5/7-point).

    \b
    Examples:
      sparsekit build poisson 1000 -o T.mtx
      sparsekit build poisson 64 64 -o A.mtx
      sparsekit build poisson 32 32 32 --bc neumann -o A.npz
    """
    if len(shape) > 3:
        raise click.UsageError(f"SHAPE has 1 to 3 sizes (got {len(shape)}: {shape})")
    target = check_output(mat_out, force=force, suffixes=MATRIX_SUFFIXES, what="-o")
    A = sk.poisson(tuple(shape), bc=bc)
    out.set(grid=list(shape), bc=bc)
    _report(out, f"{'x'.join(map(str, shape))} Poisson, {bc}", A, target)


@command(build_group, "fem")
@click.option("--n", "n", type=click.IntRange(min=1), required=True,
              help="Cells per side of the unit square (unit cube with --dim 3).")
@click.option("--dim", type=click.Choice(["2", "3"]), default="2", show_default=True,
              help="Triangles on the unit square or tetrahedra on the unit cube.")
@click.option("--mass", "mass_out", type=click.Path(dir_okay=False), default=None,
              help="Also write the P1 mass matrix here.")
@_output_option
def fem(out: Output, n, dim, mass_out, mat_out, force):
    r"""P1 finite-element stiffness (and mass) matrices on a structured mesh.

    \b
    Examples:
      sparsekit build fem --n 32 -o K.mtx --mass M.mtx
      sparsekit build fem --n 8 --dim 3 -o K3.npz
    """
    target = check_output(mat_out, force=force, suffixes=MATRIX_SUFFIXES, what="-o")
    mtarget = mass_out and check_output(mass_out, [target], force=force,
                                        suffixes=MATRIX_SUFFIXES, what="--mass")
    mesh = sk.fem.unit_square if dim == "2" else sk.fem.unit_cube
    points, cells = mesh(n)
    K, M = sk.fem.p1(points, cells)
    out.set(n=n, dim=int(dim), points=int(len(points)), cells=int(len(cells)))
    cell = "triangles" if dim == "2" else "tetrahedra"
    _report(out, f"P1 stiffness, unit {'square' if dim == '2' else 'cube'}", K, target,
            extra=[("mesh", f"{len(points):,} points, {len(cells):,} {cell}")])
    if mtarget:
        write_matrix(mtarget, M)
        out.wrote(mtarget, "mass")


@command(build_group, "cooccurrence")
@click.argument("tokens_file", metavar="TOKENS")
@click.option("--window", type=click.IntRange(min=1), default=5, show_default=True,
              help="Window half-width in tokens.")
@click.option("--weighting", type=click.Choice(sorted(WEIGHTINGS)), default="count",
              show_default=True, help="Count pairs, or weight them by 1/distance (GloVe).")
@click.option("--directed", is_flag=True,
              help="Count only (earlier, later) pairs instead of both orders.")
@click.option("--min-count", type=click.IntRange(min=1), default=None,
              help="Drop the rows and columns of tokens seen fewer times than this.")
@click.option("--ppmi", "with_ppmi", is_flag=True, help="Write positive PMI instead of counts.")
@click.option("--alpha", type=Finite(0, low_open=True), default=0.75, show_default=True,
              help="Context-distribution smoothing of --ppmi.")
@click.option("--vocab", "vocab_out", type=click.Path(dir_okay=False), default=None,
              help="Write the vocabulary (row i = word i) here (.txt), for word tokens.")
@_output_option
def cooccurrence(out: Output, tokens_file, window, weighting, directed, min_count, with_ppmi,
                 alpha, vocab_out, mat_out, force):
    r"""Word co-occurrence counts (or PPMI) from a token file.

    TOKENS is a text file of whitespace-separated tokens: integer ids, or words
    (numbered in sorted order; --vocab writes the order).  Blank lines separate
    documents; windows do not cross them.

    \b
    Examples:
      sparsekit build cooccurrence corpus.txt --window 5 -o C.mtx --vocab vocab.txt
      sparsekit build cooccurrence ids.txt --ppmi -o P.npz
    """
    src = resolve(tokens_file)
    if src.path is None:
        raise click.UsageError(f"TOKENS must be a text file (got dataset {src.dataset!r})")
    target = check_output(mat_out, [src], force=force, suffixes=MATRIX_SUFFIXES, what="-o")
    vtarget = vocab_out and check_output(vocab_out, [src, target], force=force,
                                         suffixes=(".txt",), what="--vocab")
    ids, vocab = sk.io.read_tokens(src.path)
    C = sk.cooccurrence(ids, window=window, weighting=weighting, symmetric=not directed,
                        min_count=min_count,
                        vocab_size=None if vocab is None else len(vocab))
    name = f"co-occurrence ({weighting}, window {window})"
    if with_ppmi:
        C = sk.ppmi(C, alpha=alpha)
        name = f"PPMI (alpha {alpha}) of " + name
    C = sp.csr_array(C)
    n_tokens = int(sum(len(d) for d in ids)) if isinstance(ids, list) else int(len(ids))
    out.set(window=window, weighting=weighting, directed=directed, min_count=min_count,
            ppmi=with_ppmi, tokens=n_tokens, vocabulary=int(C.shape[0]))
    _report(out, name, C, target, extra=[("tokens", f"{n_tokens:,}")])
    if vtarget:
        if vocab is None:
            out.warn("--vocab ignored: the tokens are integer ids, not words")
        else:
            with atomic_path(vtarget) as tmp:
                np.savetxt(tmp, vocab, fmt="%s")
            out.wrote(vtarget, "vocabulary")
