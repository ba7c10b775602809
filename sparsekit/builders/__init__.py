"""Matrix builders: graph Laplacians, finite differences and elements, co-occurrence.

``graph``         :func:`adjacency`, :func:`laplacian`
``stencil``       :func:`poisson` (finite differences) and its closed-form spectrum
``fem``           P1 finite elements (``sk.fem.p1``, meshes, Dirichlet, elasticity)
``cooccurrence``  :func:`cooccurrence`, :func:`document_cooccurrence`, :func:`ppmi`
``_assemble``     the COO assembly every builder shares
"""

from . import fem
from .cooccurrence import cooccurrence, document_cooccurrence, ppmi
from .graph import adjacency, laplacian
from .stencil import poisson

__all__ = ["laplacian", "adjacency", "poisson", "fem", "cooccurrence",
           "document_cooccurrence", "ppmi"]
