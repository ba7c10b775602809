"""``sparsekit spectral fiedler|embedding|clustering|resistance`` on graph files."""

from __future__ import annotations

import click
import numpy as np
import scipy.sparse as sp
from rich import box
from rich.table import Table
from rich.text import Text

import sparsekit as sk

from .._spectral._eig import eigen_method
from .._spectral._embed import ASSIGN
from .._spectral._resistance import RESISTANCE_METHODS
from ..errors import InputValueError
from . import _plots
from ._app import EXIT_NOT_CONVERGED, Finite, cli, command, group
from ._files import FileGraph, check_output, read_graph, resolve, write_csv
from ._output import Output, fmt_float, fmt_sci

__all__ = ["spectral_group"]


@group(cli, "spectral")
def spectral_group():
    r"""Graph spectral methods: Fiedler vector, embedding, clustering, resistance.

    GRAPH is an adjacency matrix (.mtx, .mtx.gz, .npz, or a dataset name) or an
    edge list (.csv, .tsv, .txt: source, target, optional weight per line, each
    undirected edge once; integer ids from 0, or any labels, numbered in sorted
    order).  Weights are conductances: a heavier edge pulls its ends closer.

    The count is -k everywhere (embedding: dimensions, clustering: clusters, as
    in `sparsekit eigs -k`); -n/--n-components and -c/--n-clusters still work.

    \b
    Examples:
      sparsekit spectral fiedler karate.mtx -o fiedler.csv
      sparsekit spectral embedding roads.csv -k 2 -o xy.csv --plot xy.png
      sparsekit spectral clustering karate.mtx -k 2 --assign cluster_qr --plot c.png
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


def _prepare(out: Output, graph_file, csv_out, force, header, symmetrize, plot=None):
    """Resolve GRAPH, check the outputs (and matplotlib for --plot), then read the graph."""
    src = resolve(graph_file)
    target = csv_out and check_output(csv_out, [src], force=force, suffixes=(".csv",),
                                      what="-o")
    picture = plot and check_output(plot, [src] + ([target] if target else []), force=force,
                                    suffixes=_plots.IMAGE_SUFFIXES, what="--plot")
    if picture:
        _plots.require("--plot")
    g = read_graph(src, header=header, symmetrize=symmetrize)
    out.set(file=str(src.path) if src.path else None, dataset=src.dataset, n=g.n)
    return g, target, picture


def _plot_option(what: str):
    return click.option("--plot", type=click.Path(dir_okay=False), default=None,
                        help=f"Draw {what} (.png, .pdf, .svg; needs matplotlib).")


def _node_column(g: FileGraph):
    return g.labels if g.labels is not None else np.arange(g.n)


def _write_nodes(out: Output, target, g: FileGraph, columns: dict, what: str) -> None:
    if target and out.rank == 0:
        write_csv(target, {"node": _node_column(g), **columns})
        out.wrote(target, what)


def _labels(g: FileGraph, idx):
    """Node names for printing: labels of an edge list, else the integer ids."""
    return g.labels[idx] if g.labels is not None else np.asarray(idx)


@command(spectral_group, "fiedler")
@graph_options
@click.option("--normalized", is_flag=True, help="Use the normalized Laplacian.")
@click.option("--components", "per_component", is_flag=True,
              help="For a disconnected graph: one Fiedler pair per component (else exit 2).")
@click.option("--method", default="auto", show_default=True,
              help="Eigensolver (sk.eigsh's method).")
def fiedler(out: Output, graph_file, csv_out, force, header, symmetrize, normalized,
            per_component, method):
    r"""The Fiedler value and vector (algebraic connectivity) of a graph.

    The vector's sign is fixed (its first clearly nonzero entry is positive);
    its sign pattern is the spectral bisection.  Exit 1 if the eigensolver did
    not converge.

    \b
    Examples:
      sparsekit spectral fiedler karate.mtx
      sparsekit spectral fiedler edges.csv --normalized -o fiedler.csv --json
      sparsekit spectral fiedler Erdos971.mtx --components
    """
    eigen_method(method)  # a typo is refused before the graph is read
    g, target, _ = _prepare(out, graph_file, csv_out, force, header, symmetrize)
    try:
        res = sk.spectral.fiedler(g.adjacency, normalized=normalized, method=method,
                                  disconnected="components" if per_component else "raise")
    except sk.DisconnectedGraphError as exc:
        raise sk.DisconnectedGraphError(f"{g.source.label}: {exc} (on the command line: "
                                        "--components)", exc.n_components) from None
    parts = res.parts
    vector = np.full(g.n, np.nan)
    component = np.zeros(g.n, dtype=np.int64)
    kind = "normalized" if normalized else "combinatorial"
    out.print(Text(f"{g.source.label}: {g.n:,} nodes, {kind} Laplacian"))
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("component", "nodes", "Fiedler value", "residual", "split (<0 / >=0)",
                "method"):
        t.add_column(col, justify="left" if col == "method" else "right")
    report = []
    for c, f in enumerate(parts):
        nodes = np.asarray(f.nodes)
        vector[nodes] = np.asarray(f.vector)
        component[nodes] = c
        report.append({"value": f.value, "residual": f.residual, "converged": f.converged,
                       "nodes": int(nodes.size), "method": f.method,
                       "first_node": _labels(g, nodes[:1]).tolist()[0]})
    # the largest components first: singletons have no Fiedler pair (nan)
    order = sorted(range(len(parts)), key=lambda c: -len(parts[c].nodes))
    for c in order[:20]:
        f = parts[c]
        neg = int(np.count_nonzero(np.asarray(f.vector) < 0))
        t.add_row(str(c), f"{len(f.nodes):,}", f"{f.value:.12g}", fmt_sci(f.residual),
                  f"{neg:,} / {len(f.nodes) - neg:,}", Text(f.method))
    if len(parts) > 20:
        t.add_row("...", f"{len(parts) - 20} more", "", "", "", "")
    ok = all(f.converged for f in parts)
    out.set(normalized=normalized, components=report, vector=vector,
            value=report[0]["value"] if len(parts) == 1 else None)
    out.print(t)
    if out.quiet:
        out.summary("Fiedler value" + ("s " if len(parts) > 1 else " ")
                    + ", ".join(f"{f.value:.12g}" for f in parts[:20]))
    columns = {"fiedler": vector}
    if per_component:
        columns["component"] = component
    _write_nodes(out, target, g, columns, "fiedler vector")
    return 0 if ok else EXIT_NOT_CONVERGED


@command(spectral_group, "embedding")
@graph_options
@click.option("-k", "-n", "--n-components", "n_components", type=click.IntRange(min=1),
              default=2, show_default=True, help="Embedding dimension.")
@click.option("--normalized/--unnormalized", default=True, show_default=True,
              help="Normalized Laplacian (scikit-learn's convention) or L = D − W.")
@click.option("--allow-disconnected", is_flag=True,
              help="Embed a disconnected graph anyway (else exit 2).")
@_plot_option("the nodes at their first two coordinates (three: the three pairs)")
def embedding(out: Output, graph_file, csv_out, force, header, symmetrize, n_components,
              normalized, allow_disconnected, plot):
    r"""The Laplacian-eigenmap embedding of a graph's nodes (scikit-learn's conventions).

    \b
    Examples:
      sparsekit spectral embedding fe_4elt2.mtx -k 2 -o xy.csv
      sparsekit spectral embedding fe_4elt2.mtx -k 3 --plot xyz.png
    """
    g, target, picture = _prepare(out, graph_file, csv_out, force, header, symmetrize, plot)
    try:
        X = np.asarray(sk.spectral.embedding(
            g.adjacency, n_components=n_components, normalized=normalized,
            disconnected="allow" if allow_disconnected else "raise"))
    except sk.DisconnectedGraphError as exc:
        raise sk.DisconnectedGraphError(f"{g.source.label}: {exc} (on the command line: "
                                        "--allow-disconnected)", exc.n_components) from None
    if X.ndim == 1:
        X = X[:, None]
    out.set(n_components=n_components, normalized=normalized, embedding=X)
    out.print(Text(f"{g.source.label}: {g.n:,} nodes in {X.shape[1]} dimensions"))
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("coordinate", "min", "max", "std"):
        t.add_column(col, justify="right")
    for j in range(X.shape[1]):
        t.add_row(f"x{j}", fmt_float(X[:, j].min()), fmt_float(X[:, j].max()),
                  fmt_float(X[:, j].std()))
    out.print(t)
    if out.quiet:
        out.summary(f"{g.n} nodes embedded in {X.shape[1]} dimensions")
    _write_nodes(out, target, g, {f"x{j}": X[:, j] for j in range(X.shape[1])}, "embedding")
    if picture and out.rank == 0:
        _plots.save(_plots.embedding_figure(X, f"{g.source.label}: spectral embedding "
                                            f"({'normalized' if normalized else 'L = D - W'})"),
                    picture)
        out.wrote(picture, "plot")


@command(spectral_group, "clustering")
@graph_options
@click.option("-k", "-c", "--n-clusters", "n_clusters", type=click.IntRange(min=2),
              required=True, help="Number of clusters.")
@click.option("--assign", type=click.Choice(sorted(ASSIGN)), default="kmeans",
              show_default=True, help="How eigenvectors become labels (cluster_qr: "
              "deterministic, no restarts).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of k-means.")
@_plot_option("the nodes at their first two (three) embedding coordinates, coloured by "
              "cluster (one more eigensolve)")
def clustering(out: Output, graph_file, csv_out, force, header, symmetrize, n_clusters,
               assign, seed, plot):
    r"""Spectral clustering of a graph's nodes into labels.

    \b
    Examples:
      sparsekit spectral clustering karate.mtx -k 2
      sparsekit spectral clustering edges.csv -k 4 --assign cluster_qr -o labels.csv
      sparsekit spectral clustering fe_4elt2.mtx -k 4 --plot clusters.png
    """
    g, target, picture = _prepare(out, graph_file, csv_out, force, header, symmetrize, plot)
    labels = np.asarray(sk.spectral.clustering(g.adjacency, n_clusters, assign=assign,
                                               random_state=seed))
    ids, sizes = np.unique(labels, return_counts=True)
    out.set(n_clusters=n_clusters, assign=assign, seed=seed, labels=labels,
            sizes={int(i): int(c) for i, c in zip(ids, sizes, strict=True)})
    out.print(Text(f"{g.source.label}: {g.n:,} nodes in {len(ids)} clusters ({assign})"))
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    t.add_column("cluster", justify="right")
    t.add_column("nodes", justify="right")
    t.add_column("first nodes", justify="left")
    for i, c in zip(ids, sizes, strict=True):
        first = _labels(g, np.flatnonzero(labels == i)[:6]).tolist()
        t.add_row(str(i), f"{c:,}", Text(", ".join(map(str, first)) + (", ..." if c > 6 else "")))
    out.print(t)
    if out.quiet:
        out.summary("cluster sizes: " + ", ".join(str(c) for c in sizes))
    _write_nodes(out, target, g, {"label": labels}, "labels")
    if picture and out.rank == 0:
        # the coordinates clustering labels: the eigenmap, less the (near-)constant first
        X = np.asarray(sk.spectral.embedding(g.adjacency, n_components=min(n_clusters, 3),
                                             disconnected="allow"))
        _plots.save(_plots.embedding_figure(X, f"{g.source.label}: {len(ids)} spectral "
                                            f"clusters ({assign})", labels=labels), picture)
        out.wrote(picture, "plot")


def _pairs(g: FileGraph, pair, pairs_file, header):
    """Node pairs from --pair U V options and/or a --pairs file: (ids u, ids v, names u, v)."""
    us, vs = [], []
    if pairs_file is not None:
        src = resolve(pairs_file)
        rows, cols, _, labels = sk.io.read_edges(src.path or src.spec, header=header)
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
    u, v = np.concatenate(us), np.concatenate(vs)
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
    return iu, iv, u, v


@command(spectral_group, "resistance")
@graph_options
@click.option("--pair", nargs=2, multiple=True, metavar="U V",
              help="A node pair (repeatable).")
@click.option("--pairs", "pairs_file", default=None, metavar="FILE",
              help="Node pairs, one per line (CSV/TSV, like an edge list).")
@click.option("--method", type=click.Choice(sorted(RESISTANCE_METHODS)), default="exact",
              show_default=True, help="exact: one factorization for all pairs; sketch: "
              "Spielman-Srivastava random projections.")
@click.option("--eps", type=Finite(0, 1, low_open=True, high_open=True), default=0.3,
              show_default=True, help="Target relative error of --method sketch.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the sketch.")
def resistance(out: Output, graph_file, csv_out, force, header, symmetrize, pair, pairs_file,
               method, eps, seed):
    r"""Effective resistance between node pairs (default: across every edge).

    Weights are conductances: an edge of weight w is a resistor of 1/w ohm.

    \b
    Examples:
      sparsekit spectral resistance karate.mtx --pair 0 33 --pair 5 6
      sparsekit spectral resistance roads.csv --pairs queries.csv -o r.csv
      sparsekit spectral resistance fe_4elt2.mtx --method sketch --eps 0.2 -o edges.csv
    """
    g, target, _ = _prepare(out, graph_file, csv_out, force, header, symmetrize)
    if pair or pairs_file:
        iu, iv, u, v = _pairs(g, pair, pairs_file, header)
        values = np.asarray(sk.spectral.effective_resistance(
            g.adjacency, np.column_stack([iu, iv]), method=method, eps=eps,
            random_state=seed), dtype=float)
    else:  # every edge: the library returns them on the graph's pattern
        R = sp.triu(sk.spectral.effective_resistance(g.adjacency, method=method, eps=eps,
                                                     random_state=seed), k=1).tocoo()
        order = np.lexsort((R.col, R.row))
        iu, iv, values = R.row[order], R.col[order], R.data[order]
        u, v = _labels(g, iu).astype(str), _labels(g, iv).astype(str)
    out.set(method=method, eps=eps if method == "sketch" else None,
            pairs=np.column_stack([u, v]), resistance=values)
    out.print(Text(f"{g.source.label}: effective resistance ({method})"))
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("u", "v", "resistance"):
        t.add_column(col, justify="right")
    for a, b, r in zip(u[:30].tolist(), v[:30].tolist(), values[:30].tolist(), strict=True):
        t.add_row(Text(a), Text(b), f"{r:.12g}")
    if values.size > 30:
        t.add_row("...", "", f"{values.size - 30:,} more" + (" (see -o)" if not target else ""))
    out.print(t)
    if out.quiet:
        out.summary(" ".join(f"{r:.12g}" for r in values[:30].tolist()))
    if target and out.rank == 0:
        write_csv(target, {"u": u, "v": v, "resistance": values})
        out.wrote(target, "resistances")
