"""Connected components of a sparsity pattern: the one helper every layer uses.

A graph Laplacian's null space is spanned by the indicator vectors of its
connected components; the builders, ``linalg`` (solve, eigsh, plan), the
spectral methods, the GPU backend (on the host copy of the pattern) and the
CLI all ask the same question, and ask it here.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.csgraph as csgraph

__all__ = ["component_labels", "n_components"]


def _pattern(A):
    """A CSR/CSC matrix with ``A``'s pattern that csgraph takes as it is (real values)."""
    C = A if sp.issparse(A) and A.format in ("csr", "csc") else sp.csr_array(A)
    if C.dtype.kind not in "fb":  # complex or integer data: the pattern of ones, no cast
        C = type(C)((np.ones(C.nnz), C.indices, C.indptr), shape=C.shape)
    return C


def component_labels(A) -> tuple[int, np.ndarray]:
    """``(n_components, labels)`` of the undirected graph of ``A``'s pattern.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> from sparsekit._components import component_labels
    >>> component_labels(sp.csr_array([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]))
    (2, array([0, 0, 1], dtype=int32))
    """
    ncomp, labels = csgraph.connected_components(_pattern(A), directed=False)
    return int(ncomp), labels


def n_components(A) -> int:
    """The number of connected components of ``A``'s pattern (no labels kept)."""
    return int(csgraph.connected_components(_pattern(A), directed=False, return_labels=False))
