"""Finite differences and P1 finite elements (placeholder: issue 3 builds it)."""

__all__ = ["poisson"]


def poisson(shape, bc="dirichlet", **kwargs):
    """Finite-difference Poisson (not yet implemented)."""
    raise NotImplementedError("sk.poisson: issue 3")
