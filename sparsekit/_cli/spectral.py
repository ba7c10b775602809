"""``sparsekit spectral fiedler|embedding|clustering|resistance`` on graph files."""

from __future__ import annotations

import click
import numpy as np
from rich import box
from rich.table import Table
from rich.text import Text

import sparsekit as sk

from ..errors import InputValueError
from ._app import cli, command, group
from ._files import Graph, check_output, read_edge_list, read_graph, resolve, write_csv
from ._output import Output, fmt_float, kv_table

__all__ = ["spectral_group"]

GRAPH_HELP = ("GRAPH is an adjacency matrix (.mtx, .mtx.gz, .npz, or a dataset name) or an edge "
              "list (.csv, .tsv, .txt: source, target, optional weight per line).")


@group(cli, "spectral")
def spectral_group():
    r"""Graph spectral methods: Fiedler vector, embedding, clustering, resistance.

    GRAPH is an adjacency matrix (.mtx, .mtx.gz, .npz, or a dataset name) or an
    edge list (.csv, .tsv, .txt: source, target, optional weight per line;
    integer ids from 0, or any labels).  Weights are conductances: a heavier
    edge pulls its ends closer.

    \b
    Examples:
      sparsekit spectral fiedler karate.mtx -o fiedler.csv
      sparsekit spectral embedding roads.csv -n 2 -o xy.csv
      sparsekit spectral clustering karate.mtx --n-clusters 2 --assign cluster_qr
      sparsekit spectral resistance karate.mtx --pair 0 33 --pair 0 1
    """



def graph_options(f):
    """The graph reading options shared by the spectral commands."""
    f = click.option("--symmetrize", is_flag=True,
                     help="Make a directed edge list undirected (A + Aᵀ).")(f)
    f = click.option("--header/--no-header", "header", default=None,
                     help="Whether an edge list's first line is a header (default: guessed).")(f)
    f = click.option("--force", is_flag=True, help="Allow an output path equal to an input.")(f)
    f = click.option("-o", "--output", "csv_out", type=click.Path(dir_okay=False), default=None,
                     help="Write the per-node result here (.csv).")(f)
    return click.argument("graph_file", metavar="GRAPH")(f)


def _prepare(out: Output, graph_file, csv_out, force, header, symmetrize):
    src = resolve(graph_file)
    target = csv_out and check_output(csv_out, [src], force=force, suffixes=(".csv",),
                                      what="-o")
    g = read_graph(src, header=header, symmetrize=symmetrize)
    out.set(file=str(src.path) if src.path else None, dataset=src.dataset, n=g.n)
    return g, target


def _node_column(g: Graph):
    return g.labels if g.labels is not None else np.arange(g.n)


def _write_nodes(out: Output, target, g: Graph, columns: dict, what: str) -> None:
    if target and out.rank == 0:
        write_csv(target, {"node": _node_column(g), **columns})
        out.wrote(target, what)


@command(spectral_group, "fiedler")
@graph_options
@click.option("--normalized", is_flag=True, help="Use the normalized Laplacian.")
def fiedler(out: Output, graph_file, csv_out, force, header, symmetrize, normalized):
    r"""The Fiedler value and vector (algebraic connectivity) of a graph.

    \b
    Examples:
      sparsekit spectral fiedler karate.mtx
      sparsekit spectral fiedler edges.csv --normalized -o fiedler.csv --json
    """
    g, target = _prepare(out, graph_file, csv_out, force, header, symmetrize)
    value, vector = sk.spectral.fiedler(g.adjacency, normalized=normalized)
    vector = np.asarray(vector)
    side = vector >= 0
    out.set(value=float(value), vector=vector, normalized=normalized,
            partition_sizes=[int(np.count_nonzero(~side)), int(np.count_nonzero(side))])
    out.print(kv_table([
        ("graph", f"{g.source.label}  ({g.n:,} nodes)"),
        ("Laplacian", "normalized" if normalized else "combinatorial"),
        ("Fiedler value", f"{float(value):.12g}"),
        ("sign split", f"{int(np.count_nonzero(~side)):,} nodes < 0, "
                       f"{int(np.count_nonzero(side)):,} nodes >= 0"),
    ]))
    if out.quiet:
        out.summary(f"fiedler value {float(value):.12g}")
    _write_nodes(out, target, g, {"fiedler": vector}, "fiedler vector")


@command(spectral_group, "embedding")
@graph_options
@click.option("-n", "--n-components", type=click.IntRange(min=1), default=2,
              show_default=True, help="Embedding dimension.")
@click.option("--normalized/--unnormalized", default=True, show_default=True,
              help="Normalized (scikit-learn's convention) or combinatorial Laplacian.")
def embedding(out: Output, graph_file, csv_out, force, header, symmetrize, n_components,
              normalized):
    r"""The Laplacian-eigenmap embedding of a graph's nodes.

    \b
    Examples:
      sparsekit spectral embedding fe_4elt2.mtx -n 2 -o xy.csv
    """
    g, target = _prepare(out, graph_file, csv_out, force, header, symmetrize)
    X = np.asarray(sk.spectral.embedding(g.adjacency, n_components=n_components,
                                         normalized=normalized))
    if X.ndim == 1:
        X = X[:, None]
    out.set(n_components=n_components, normalized=normalized, embedding=X)
    t = Table(title=Text(f"{g.source.label}: {g.n:,} nodes in {X.shape[1]} dimensions"),
              box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    for col in ("component", "min", "max", "std"):
        t.add_column(col, justify="right")
    for j in range(X.shape[1]):
        t.add_row(str(j), fmt_float(X[:, j].min()), fmt_float(X[:, j].max()),
                  fmt_float(X[:, j].std()))
    out.print(t)
    if out.quiet:
        out.summary(f"{g.n} nodes embedded in {X.shape[1]} dimensions")
    _write_nodes(out, target, g, {f"x{j}": X[:, j] for j in range(X.shape[1])}, "embedding")


@command(spectral_group, "clustering")
@graph_options
@click.option("-c", "--n-clusters", type=click.IntRange(min=2), required=True,
              help="Number of clusters.")
@click.option("--assign", type=click.Choice(["kmeans", "cluster_qr"]), default="cluster_qr",
              show_default=True, help="How eigenvectors become labels.")
def clustering(out: Output, graph_file, csv_out, force, header, symmetrize, n_clusters,
               assign):
    r"""Spectral clustering of a graph's nodes into labels.

    \b
    Examples:
      sparsekit spectral clustering karate.mtx --n-clusters 2
      sparsekit spectral clustering edges.csv -c 4 --assign kmeans -o labels.csv
    """
    g, target = _prepare(out, graph_file, csv_out, force, header, symmetrize)
    labels = np.asarray(sk.spectral.clustering(g.adjacency, n_clusters, assign=assign))
    ids, sizes = np.unique(labels, return_counts=True)
    out.set(n_clusters=n_clusters, assign=assign, labels=labels,
            sizes={int(i): int(c) for i, c in zip(ids, sizes, strict=True)})
    t = Table(title=Text(f"{g.source.label}: {g.n:,} nodes in {len(ids)} clusters ({assign})"),
              box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    t.add_column("cluster", justify="right")
    t.add_column("nodes", justify="right")
    for i, c in zip(ids, sizes, strict=True):
        t.add_row(str(i), f"{c:,}")
    out.print(t)
    if out.quiet:
        out.summary("cluster sizes: " + ", ".join(str(c) for c in sizes))
    _write_nodes(out, target, g, {"label": labels}, "labels")


def _pairs(g: Graph, pair, pairs_file, header):
    """Node pairs from --pair U V options and/or a --pairs file, as index arrays."""
    us, vs = [], []
    if pairs_file is not None:
        rows, cols, _, labels = read_edge_list(resolve(pairs_file).path, header=header)
        if labels is not None:
            us.append(labels[rows])
            vs.append(labels[cols])
        else:
            us.append(rows.astype(str))
            vs.append(cols.astype(str))
    if pair:
        arr = np.array(pair, dtype=str)
        us.append(arr[:, 0])
        vs.append(arr[:, 1])
    if not us:
        raise click.UsageError("give node pairs with --pair U V (repeatable) or --pairs FILE")
    u, v = np.concatenate(us), np.concatenate(vs)
    names = (u, v)
    if g.labels is not None:  # sorted (np.unique), so a binary search finds each label
        labels = g.labels.astype(str)
        iu = np.minimum(np.searchsorted(labels, u), g.n - 1)
        iv = np.minimum(np.searchsorted(labels, v), g.n - 1)
        missing = np.concatenate([u[labels[iu] != u], v[labels[iv] != v]])
        if missing.size:
            raise InputValueError(
                f"pairs name nodes not in {g.source.label}: {sorted(set(missing.tolist()))[:5]}")
    else:
        if not (np.char.isdigit(u).all() and np.char.isdigit(v).all()):
            raise InputValueError("pairs must be integer node ids (0-based) for this graph")
        iu, iv = u.astype(np.int64), v.astype(np.int64)
        bad = (iu >= g.n) | (iv >= g.n)
        if bad.any():
            raise InputValueError(
                f"pair ({u[bad][0]}, {v[bad][0]}) names a node >= n={g.n} of {g.source.label}")
    return iu, iv, names


@command(spectral_group, "resistance")
@graph_options
@click.option("--pair", nargs=2, multiple=True, metavar="U V",
              help="A node pair (repeatable).")
@click.option("--pairs", "pairs_file", default=None, metavar="FILE",
              help="Node pairs, one per line (CSV/TSV, like an edge list).")
def resistance(out: Output, graph_file, csv_out, force, header, symmetrize, pair, pairs_file):
    r"""Effective resistance between node pairs (exact, one factorization for all pairs).

    \b
    Examples:
      sparsekit spectral resistance karate.mtx --pair 0 33 --pair 5 6
      sparsekit spectral resistance roads.csv --pairs queries.csv -o r.csv
    """
    g, target = _prepare(out, graph_file, csv_out, force, header, symmetrize)
    iu, iv, (u, v) = _pairs(g, pair, pairs_file, header)
    values = np.asarray(sk.spectral.effective_resistance(
        g.adjacency, np.column_stack([iu, iv])), dtype=float)
    out.set(pairs=[[a, b] for a, b in zip(u.tolist(), v.tolist(), strict=True)],
            resistance=values)
    t = Table(title=Text(f"{g.source.label}: effective resistance"), box=box.SIMPLE_HEAD,
              title_justify="left", pad_edge=False)
    for col in ("u", "v", "resistance"):
        t.add_column(col, justify="right")
    for a, b, r in zip(u.tolist(), v.tolist(), values.tolist(), strict=True):
        t.add_row(Text(a), Text(b), f"{r:.12g}")
    out.print(t)
    if out.quiet:
        out.summary(" ".join(f"{r:.12g}" for r in values.tolist()))
    if target and out.rank == 0:
        write_csv(target, {"u": u, "v": v, "resistance": values})
        out.wrote(target, "resistances")
