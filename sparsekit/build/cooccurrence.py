"""Co-occurrence counts and PPMI (placeholder: issue 3 builds it)."""

__all__ = ["cooccurrence", "document_cooccurrence", "ppmi"]


def cooccurrence(tokens, window=5, **kwargs):
    """Token co-occurrence counts (not yet implemented)."""
    raise NotImplementedError("sk.cooccurrence: issue 3")


def document_cooccurrence(X, **kwargs):
    """Term-term counts from a document-term matrix (not yet implemented)."""
    raise NotImplementedError("sk.document_cooccurrence: issue 3")


def ppmi(C, alpha=0.75, **kwargs):
    """Positive PMI (not yet implemented)."""
    raise NotImplementedError("sk.ppmi: issue 3")
