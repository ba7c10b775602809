"""Graph adjacency and Laplacian matrices (placeholder: issue 3 builds it)."""

__all__ = ["laplacian", "adjacency"]


def laplacian(graph, kind="combinatorial", **kwargs):
    """Graph Laplacian (not yet implemented)."""
    raise NotImplementedError("sk.laplacian: issue 3")


def adjacency(graph, **kwargs):
    """Graph adjacency (not yet implemented)."""
    raise NotImplementedError("sk.adjacency: issue 3")
