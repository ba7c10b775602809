"""The dense numpy/scipy.linalg path (placeholder: issue 4 builds it)."""

__all__ = ["solve", "lstsq", "cholesky", "eigh", "svd"]


def solve(A, b, **kwargs):
    """Dense solve (not yet implemented)."""
    raise NotImplementedError("sk.dense.solve: issue 4")


def lstsq(A, b, **kwargs):
    """Dense least squares (not yet implemented)."""
    raise NotImplementedError("sk.dense.lstsq: issue 4")


def cholesky(A, **kwargs):
    """Dense Cholesky (not yet implemented)."""
    raise NotImplementedError("sk.dense.cholesky: issue 4")


def eigh(A, k=None, **kwargs):
    """Dense symmetric eigensolver (not yet implemented)."""
    raise NotImplementedError("sk.dense.eigh: issue 4")


def svd(A, **kwargs):
    """Dense SVD (not yet implemented)."""
    raise NotImplementedError("sk.dense.svd: issue 4")
