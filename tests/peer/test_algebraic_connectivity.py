"""networkx's algebraic-connectivity tests, ported to ``sk.spectral``.

Source: ``networkx/linalg/tests/test_algebraic_connectivity.py`` (networkx 3.6):
``algebraic_connectivity``, ``fiedler_vector`` (``sk.spectral.fiedler(...).vector``),
``spectral_ordering`` and ``spectral_bisection``, with networkx's graphs, expected
values and eigenvector check, every networkx ``method`` name (sparsekit accepts
them: TraceMIN runs sparsekit's own choice, ``"lanczos"`` is ARPACK) and ``seed``.

Deliberate differences (each asserted below):

* directed graphs are refused unless ``symmetrize=True`` (networkx raises
  ``NetworkXNotImplemented`` for ``algebraic_connectivity`` and silently
  treats a directed graph as undirected in ``spectral_ordering``);
* negative edge weights are refused (weights are conductances); networkx takes
  their absolute values, so its multigraph case with weights 1 and -2 is run
  here with 1 and 2;
* ``spectral_ordering`` returns node positions (map them with ``list(G)``) and
  ``spectral_bisection`` a 0/1 array, where networkx returns labels;
* the unknown-method errors are :class:`~sparsekit.UnknownMethodError`, the
  graph errors :class:`~sparsekit.InputValueError`,
  :class:`~sparsekit.NotSymmetricError` (directed) and
  :class:`~sparsekit.DisconnectedGraphError` (``NetworkXError`` or
  ``NetworkXNotImplemented`` there).

Not ported: ``_tracemin_fiedler``'s private solver argument.
"""

from math import sqrt

import networkx as nx
import numpy as np
import pytest

import sparsekit as sk
from sparsekit import spectral

SOURCE = "networkx/linalg/tests/test_algebraic_connectivity.py"
METHODS = ("tracemin_pcg", "tracemin_lu", "lanczos", "lobpcg")


def _labels(G, order):
    nodes = list(G)
    return [nodes[i] for i in order]


def check_eigenvector(A, lam, x):
    """networkx's check: x nonzero, A x collinear with x, ‖A x‖ = λ ‖x‖."""
    nx_ = np.linalg.norm(x)
    assert nx_ != pytest.approx(0, abs=1e-07)
    y = A @ x
    ny = np.linalg.norm(y)
    assert x @ y == pytest.approx(nx_ * ny, abs=1e-7)
    assert ny == pytest.approx(lam * nx_, abs=1e-7)


@pytest.mark.parametrize("call", [spectral.algebraic_connectivity, spectral.fiedler,
                                  spectral.spectral_ordering])
def test_tracemin_chol_is_refused(call):
    """test_algebraic_connectivity/fiedler_vector/spectral_ordering_tracemin_chol."""
    with pytest.raises(sk.UnknownMethodError, match="tracemin_chol"):
        call(nx.barbell_graph(5, 4), method="tracemin_chol")


def test_spectral_bisection():
    """test_spectral_bisection: barbell halves, and after relabelling (labels mapped)."""
    G = nx.barbell_graph(3, 0)
    part = spectral.spectral_bisection(G)
    halves = ({v for v, p in zip(G, part, strict=True) if p == 1},
              {v for v, p in zip(G, part, strict=True) if p == 0})
    assert halves == ({0, 1, 2}, {3, 4, 5})
    mapping = dict(enumerate("badfec"))
    H = nx.relabel_nodes(G, mapping)
    f = spectral.fiedler(H)
    assert {v for v, x in f.to_dict().items() if x >= 0} == {mapping[0], mapping[1],
                                                             mapping[2]}


@pytest.mark.parametrize("method", METHODS)
def test_directed(method):
    """TestAlgebraicConnectivity.test_directed: refused without symmetrize=True."""
    G = nx.DiGraph([(0, 1), (1, 2)])
    with pytest.raises(sk.NotSymmetricError, match="symmetrize"):
        spectral.algebraic_connectivity(G, method=method)
    with pytest.raises(sk.NotSymmetricError, match="symmetrize"):
        spectral.fiedler(G, method=method)


@pytest.mark.parametrize("method", METHODS)
def test_null_and_singleton(method):
    """TestAlgebraicConnectivity.test_null_and_singleton."""
    G = nx.Graph()
    for call in (spectral.algebraic_connectivity, spectral.fiedler):
        with pytest.raises(sk.InputValueError):
            call(G, method=method)
    G.add_edge(0, 0)
    for call in (spectral.algebraic_connectivity, spectral.fiedler):
        with pytest.raises(sk.InputValueError, match="at least 2 nodes"):
            call(G, method=method)


@pytest.mark.parametrize("method", METHODS)
def test_disconnected(method):
    """TestAlgebraicConnectivity.test_disconnected: 0.0, and no Fiedler vector."""
    G = nx.Graph()
    G.add_nodes_from(range(2))
    assert spectral.algebraic_connectivity(G) == 0
    with pytest.raises(sk.DisconnectedGraphError):
        spectral.fiedler(G, method=method)
    G.add_edge(0, 1, weight=0)
    assert spectral.algebraic_connectivity(G) == 0
    with pytest.raises(sk.DisconnectedGraphError):
        spectral.fiedler(G, method=method)


def test_unrecognized_method():
    """TestAlgebraicConnectivity.test_unrecognized_method (on a 4-node graph too)."""
    G = nx.path_graph(4)
    for call in (spectral.algebraic_connectivity, spectral.fiedler):
        with pytest.raises(sk.UnknownMethodError, match="unknown"):
            call(G, method="unknown")


@pytest.mark.parametrize("method", METHODS)
def test_two_nodes(method):
    """TestAlgebraicConnectivity.test_two_nodes."""
    G = nx.Graph()
    G.add_edge(0, 1, weight=1)
    A = nx.laplacian_matrix(G)
    assert spectral.algebraic_connectivity(G, tol=1e-12, method=method) == pytest.approx(
        2, abs=1e-7)
    check_eigenvector(A, 2, spectral.fiedler(G, tol=1e-12, method=method).vector)


@pytest.mark.parametrize("method", METHODS)
def test_two_nodes_multigraph(method):
    """TestAlgebraicConnectivity.test_two_nodes_multigraph, with positive weights.

    networkx's case has parallel edges of weights 1 and -2 and reads them as 1 + 2;
    sparsekit sums parallel edges and refuses a negative total (asserted last).
    """
    G = nx.MultiGraph()
    G.add_edge(0, 0, spam=1e8)
    G.add_edge(0, 1, spam=1)
    G.add_edge(0, 1, spam=2)
    A = nx.laplacian_matrix(G, weight="spam")  # networkx: -3 L of its weights 1 and -2
    assert spectral.algebraic_connectivity(G, weight="spam", tol=1e-12,
                                           method=method) == pytest.approx(6, abs=1e-7)
    check_eigenvector(A, 6, spectral.fiedler(G, weight="spam", tol=1e-12,
                                             method=method).vector)
    H = nx.MultiGraph()
    H.add_edge(0, 1, spam=1)
    H.add_edge(0, 1, spam=-2)
    with pytest.raises(sk.InputValueError, match="negative"):
        spectral.algebraic_connectivity(H, weight="spam", method=method)


def test_abbreviation_of_method():
    """TestAlgebraicConnectivity.test_abbreviation_of_method: method="tracemin"."""
    G = nx.path_graph(8)
    sigma = 2 - sqrt(2 + sqrt(2))
    assert spectral.algebraic_connectivity(G, tol=1e-12, method="tracemin") == pytest.approx(
        sigma, abs=1e-7)
    check_eigenvector(nx.laplacian_matrix(G), sigma,
                      spectral.fiedler(G, tol=1e-12, method="tracemin").vector)


def _problematic():
    G = nx.path_graph(4)
    G.add_edges_from([(4, 2), (5, 1)])
    return G


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("graph,sigma", [
    (nx.path_graph(8), 2 - sqrt(2 + sqrt(2))),   # test_path
    (_problematic(), 0.438447187191),            # test_problematic_graph_issue_2381
    (nx.cycle_graph(8), 2 - sqrt(2)),            # test_cycle
], ids=["path", "issue_2381", "cycle"])
def test_known_values(graph, sigma, method):
    """TestAlgebraicConnectivity.test_path, test_problematic_graph_issue_2381, test_cycle."""
    A = nx.laplacian_matrix(graph)
    assert spectral.algebraic_connectivity(graph, tol=1e-12, method=method) == pytest.approx(
        sigma, abs=1e-7)
    check_eigenvector(A, sigma, spectral.fiedler(graph, tol=1e-12, method=method).vector)


@pytest.mark.parametrize("method", METHODS)
def test_seed_argument(method):
    """TestAlgebraicConnectivity.test_seed_argument: seed is accepted (and unused)."""
    G = nx.cycle_graph(8)
    sigma = 2 - sqrt(2)
    assert spectral.algebraic_connectivity(G, tol=1e-12, method=method,
                                           seed=1) == pytest.approx(sigma, abs=1e-7)
    check_eigenvector(nx.laplacian_matrix(G), sigma,
                      spectral.fiedler(G, tol=1e-12, method=method, seed=1).vector)


BUCKY = [(1, 10), (1, 41), (1, 59), (2, 12), (2, 42), (2, 60), (3, 6), (3, 43), (3, 57),
         (4, 8), (4, 44), (4, 58), (5, 13), (5, 56), (5, 57), (6, 10), (6, 31), (7, 14),
         (7, 56), (7, 58), (8, 12), (8, 32), (9, 23), (9, 53), (9, 59), (10, 15), (11, 24),
         (11, 53), (11, 60), (12, 16), (13, 14), (13, 25), (14, 26), (15, 27), (15, 49),
         (16, 28), (16, 50), (17, 18), (17, 19), (17, 54), (18, 20), (18, 55), (19, 23),
         (19, 41), (20, 24), (20, 42), (21, 31), (21, 33), (21, 57), (22, 32), (22, 34),
         (22, 58), (23, 24), (25, 35), (25, 43), (26, 36), (26, 44), (27, 51), (27, 59),
         (28, 52), (28, 60), (29, 33), (29, 34), (29, 56), (30, 51), (30, 52), (30, 53),
         (31, 47), (32, 48), (33, 45), (34, 46), (35, 36), (35, 37), (36, 38), (37, 39),
         (37, 49), (38, 40), (38, 50), (39, 40), (39, 51), (40, 52), (41, 47), (42, 48),
         (43, 49), (44, 50), (45, 46), (45, 54), (46, 55), (47, 54), (48, 55)]


@pytest.mark.parametrize("normalized,sigma,laplacian_fn", [
    (False, 0.2434017461399311, nx.laplacian_matrix),
    (True, 0.08113391537997749, nx.normalized_laplacian_matrix)])
@pytest.mark.parametrize("method", METHODS)
def test_buckminsterfullerene(normalized, sigma, laplacian_fn, method):
    """TestAlgebraicConnectivity.test_buckminsterfullerene (C60), both Laplacians."""
    G = nx.Graph(BUCKY)
    assert spectral.algebraic_connectivity(G, normalized=normalized, tol=1e-12,
                                           method=method) == pytest.approx(sigma, abs=1e-7)
    x = spectral.fiedler(G, normalized=normalized, tol=1e-12, method=method).vector
    check_eigenvector(laplacian_fn(G), sigma, x)


# --------------------------------------------------------------------------- TestSpectralOrdering


def test_ordering_nullgraph():
    """TestSpectralOrdering.test_nullgraph."""
    with pytest.raises(sk.InputValueError):
        spectral.spectral_ordering(nx.Graph())


@pytest.mark.parametrize("graph", [nx.Graph, nx.MultiGraph])
def test_ordering_singleton(graph):
    """TestSpectralOrdering.test_singleton (directed classes: symmetrize=True here)."""
    G = graph()
    G.add_node("x")
    assert _labels(G, spectral.spectral_ordering(G)) == ["x"]
    G.add_edge("x", "x", weight=33)
    G.add_edge("x", "x", weight=33)
    assert _labels(G, spectral.spectral_ordering(G)) == ["x"]
    D = nx.DiGraph([("x", "x")])
    assert _labels(D, spectral.spectral_ordering(D, symmetrize=True)) == ["x"]


def test_ordering_unrecognized_method():
    """TestSpectralOrdering.test_unrecognized_method."""
    with pytest.raises(sk.UnknownMethodError):
        spectral.spectral_ordering(nx.path_graph(4), method="unknown")


@pytest.mark.parametrize("method", METHODS)
def test_ordering_three_nodes(method):
    """TestSpectralOrdering.test_three_nodes: the heavy edge's ends are neighbours."""
    G = nx.Graph()
    G.add_weighted_edges_from([(1, 2, 1), (1, 3, 2), (2, 3, 1)], weight="spam")
    order = _labels(G, spectral.spectral_ordering(G, weight="spam", method=method))
    assert set(order) == set(G)
    assert {1, 3} in (set(order[:-1]), set(order[1:]))


@pytest.mark.parametrize("method", METHODS)
def test_ordering_three_nodes_multigraph(method):
    """TestSpectralOrdering.test_three_nodes_multigraph (a MultiDiGraph: symmetrize=True)."""
    G = nx.MultiDiGraph()
    G.add_weighted_edges_from([(1, 2, 1), (1, 3, 2), (2, 3, 1), (2, 3, 2)])
    order = _labels(G, spectral.spectral_ordering(G, method=method, symmetrize=True))
    assert set(order) == set(G)
    assert {2, 3} in (set(order[:-1]), set(order[1:]))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("seed", [None, 1])
def test_ordering_path(method, seed):
    """TestSpectralOrdering.test_path and test_seed_argument: a shuffled path."""
    path = list(range(10))
    np.random.default_rng(5).shuffle(path)
    G = nx.Graph()
    nx.add_path(G, path)
    order = _labels(G, spectral.spectral_ordering(G, method=method, seed=seed))
    assert order in [path, list(reversed(path))]


@pytest.mark.parametrize("method", METHODS)
def test_ordering_disconnected(method):
    """TestSpectralOrdering.test_disconnected: component by component."""
    G = nx.Graph()
    nx.add_path(G, range(0, 10, 2))
    nx.add_path(G, range(1, 10, 2))
    order = _labels(G, spectral.spectral_ordering(G, method=method))
    assert set(order) == set(G)
    seqs = [list(range(0, 10, 2)), list(range(8, -1, -2)), list(range(1, 10, 2)),
            list(range(9, -1, -2))]
    assert order[:5] in seqs
    assert order[5:] in seqs


@pytest.mark.parametrize("normalized,expected_order", [
    (False, [[1, 2, 0, 3, 4, 5, 6, 9, 7, 8], [8, 7, 9, 6, 5, 4, 3, 0, 2, 1]]),
    (True, [[1, 2, 3, 0, 4, 5, 9, 6, 7, 8], [8, 7, 6, 9, 5, 4, 0, 3, 2, 1]])])
@pytest.mark.parametrize("method", METHODS)
def test_ordering_cycle(normalized, expected_order, method):
    """TestSpectralOrdering.test_cycle: a weighted cycle, both Laplacians."""
    path = list(range(10))
    G = nx.Graph()
    nx.add_path(G, path, weight=5)
    G.add_edge(path[-1], path[0], weight=1)
    order = _labels(G, spectral.spectral_ordering(G, normalized=normalized, method=method))
    assert order in expected_order
