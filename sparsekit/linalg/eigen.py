"""sk.eigsh and sk.svds (placeholder: issue 5 builds it)."""

__all__ = ["eigsh", "svds"]


def eigsh(A, k=6, **kwargs):
    """Symmetric eigenpairs (not yet implemented)."""
    raise NotImplementedError("sk.eigsh: issue 5")


def svds(A, k=6, **kwargs):
    """Largest singular triplets (not yet implemented)."""
    raise NotImplementedError("sk.svds: issue 5")
