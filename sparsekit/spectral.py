"""Graph spectral methods (placeholder: issue 6 builds it)."""

__all__: list[str] = []
