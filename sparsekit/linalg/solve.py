"""sk.solve (placeholder: issue 4 builds it)."""

__all__ = ["solve"]


def solve(A, b, **kwargs):
    """Solve A x = b (not yet implemented)."""
    raise NotImplementedError("sk.solve: issue 4")
