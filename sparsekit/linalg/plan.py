"""sk.plan (placeholder: issue 4 builds it)."""

__all__ = ["plan"]


def plan(A, b=None, **kwargs):
    """Plan a solve (not yet implemented)."""
    raise NotImplementedError("sk.plan: issue 4")
