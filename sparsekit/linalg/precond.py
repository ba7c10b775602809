"""sk.preconditioner (placeholder: issue 4 builds it)."""

__all__ = ["preconditioner"]


def preconditioner(A, kind="amg", **kwargs):
    """Set up a preconditioner (not yet implemented)."""
    raise NotImplementedError("sk.preconditioner: issue 4")
