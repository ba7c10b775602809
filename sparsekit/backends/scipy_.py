"""CPU backend: scipy.sparse.linalg and pyamg (placeholder: issue 4 builds it)."""
