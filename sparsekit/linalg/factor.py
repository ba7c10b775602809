"""sk.factorize (placeholder: issue 4 builds it)."""

__all__ = ["factorize"]


def factorize(A, kind="auto", **kwargs):
    """Factorize A (not yet implemented)."""
    raise NotImplementedError("sk.factorize: issue 4")
