"""Graph spectral methods on top of sparsekit's Laplacians, eigensolvers and factorizations.

Built on :func:`sparsekit.laplacian`, :func:`sparsekit.eigsh` and
:func:`sparsekit.factorize`.  Every function takes a graph as anything
:func:`sparsekit.laplacian` accepts (a networkx graph, a scipy sparse
adjacency, edge arrays ``(rows, cols[, weights])`` with ``n=``) or a Matrix
Market path, plus ``weight=``, ``nodelist=``, ``n=`` and ``symmetrize=`` as the
builder takes them.  Edge weights are conductances
(affinities): a heavier edge pulls its ends closer.  Arrays are indexed by
node position (``nodelist`` order, or ``list(G)`` for networkx graphs);
:class:`FiedlerResult` carries the node labels (``nodes``, ``to_dict()``) and
:func:`pagerank` offers networkx's ``{node: score}`` (``as_dict=True``).

* Fiedler pairs: :func:`fiedler`, :func:`algebraic_connectivity`,
  :func:`spectral_ordering`, :func:`spectral_bisection`.
* Embeddings and clustering: :func:`embedding`, :func:`diffusion_map`,
  :func:`clustering`, :func:`cluster_qr`, :class:`SpectralClustering`.
* Resistance: :func:`effective_resistance` (exact or sketched),
  :func:`commute_time`, :func:`kirchhoff_index`, :func:`kemeny_constant`.
* Diffusion: :func:`heat`, :func:`pagerank`.

Examples
--------
>>> import networkx as nx
>>> import sparsekit as sk
>>> G = nx.karate_club_graph()
>>> f = sk.spectral.fiedler(G, weight=None)
>>> round(f.value, 6) == round(nx.algebraic_connectivity(G, weight=None, tol=1e-12), 6)
True
"""

from ._spectral._diffusion import heat, pagerank
from ._spectral._embed import (
    SpectralClustering,
    cluster_qr,
    clustering,
    diffusion_map,
    embedding,
)
from ._spectral._fiedler import (
    FiedlerResult,
    algebraic_connectivity,
    fiedler,
    spectral_bisection,
    spectral_ordering,
)
from ._spectral._resistance import (
    commute_time,
    effective_resistance,
    kemeny_constant,
    kirchhoff_index,
)

__all__ = [
    "FiedlerResult",
    "fiedler",
    "algebraic_connectivity",
    "spectral_ordering",
    "spectral_bisection",
    "embedding",
    "diffusion_map",
    "clustering",
    "cluster_qr",
    "SpectralClustering",
    "effective_resistance",
    "commute_time",
    "kirchhoff_index",
    "kemeny_constant",
    "heat",
    "pagerank",
]
