"""Matrix builders: graph Laplacians, finite elements and differences, co-occurrence."""

from . import fem
from .cooccurrence import cooccurrence, document_cooccurrence, ppmi
from .fem import poisson
from .graph import adjacency, laplacian

__all__ = ["laplacian", "adjacency", "poisson", "fem", "cooccurrence",
           "document_cooccurrence", "ppmi"]
