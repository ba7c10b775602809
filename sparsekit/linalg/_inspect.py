"""Cheap structural inspection of a matrix, shared by the plan and the eigensolvers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.csgraph as csgraph
import scipy.sparse.linalg as spla

__all__ = ["MatrixProperties", "inspect_matrix"]


@dataclass(frozen=True)
class MatrixProperties:
    """What :func:`inspect_matrix` found (all O(nnz) checks).

    ``laplacian`` means: symmetric, off-diagonal entries <= 0, row sums 0 to
    rounding (a combinatorial graph Laplacian, singular with the constant
    vector of each connected component in its null space).
    """

    shape: tuple
    nnz: int
    density: float
    dtype: str
    square: bool
    sparse: bool
    operator: bool
    symmetric: bool | None
    diag_sign: str | None  # "positive", "negative", "mixed", "zero", None (unknown)
    offdiag_nonpositive: bool | None
    zero_row_sums: bool | None
    laplacian: bool
    n_components: int | None

    @property
    def n(self) -> int:
        """Number of rows."""
        return self.shape[0]


def _diag_sign(d: np.ndarray) -> str:
    if d.size == 0 or np.all(d == 0):
        return "zero"
    if np.iscomplexobj(d):
        d = d.real
    if np.all(d > 0):
        return "positive"
    if np.all(d < 0):
        return "negative"
    return "mixed"


def inspect_matrix(A, *, sym_rtol: float = 1e-10, components: bool = True) -> MatrixProperties:
    """Inspect ``A`` (sparse, dense or LinearOperator) cheaply.

    Parameters
    ----------
    A : sparse array, ndarray or LinearOperator
        The matrix to inspect.
    sym_rtol : float, default=1e-10
        Relative tolerance of the symmetry check.
    components : bool, default=True
        Count connected components of the pattern (symmetric square matrices).

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> from sparsekit.linalg._inspect import inspect_matrix
    >>> L = sp.csr_array([[1.0, -1.0], [-1.0, 1.0]])
    >>> inspect_matrix(L).laplacian
    True
    """
    from .._validate import is_symmetric

    shape = tuple(A.shape)
    square = len(shape) == 2 and shape[0] == shape[1]
    if isinstance(A, spla.LinearOperator):
        return MatrixProperties(shape, -1, float("nan"), str(A.dtype), square, False, True,
                                None, None, None, None, False, None)
    sparse = sp.issparse(A)
    nnz = int(A.nnz) if sparse else int(np.count_nonzero(A))
    size = shape[0] * shape[1]
    density = nnz / size if size else 0.0
    if not square:
        return MatrixProperties(shape, nnz, density, str(A.dtype), False, sparse, False,
                                False, None, None, None, False, None)
    symmetric = is_symmetric(A, sym_rtol)
    d = A.diagonal() if sparse else np.diag(A)
    sign = _diag_sign(d)
    if sparse:
        C = sp.csr_array(A)
        if not C.has_canonical_format:
            C = C.copy()
            C.sum_duplicates()
        rowsum = C @ np.ones(C.shape[1], dtype=C.dtype)
        if np.iscomplexobj(C.data):
            offdiag_nonpos = False
        else:
            # canonical (one stored entry per position): every positive entry is a diagonal
            # one exactly when there are as many positive entries as positive diagonal ones
            offdiag_nonpos = bool(np.count_nonzero(C.data > 0) == np.count_nonzero(d > 0))
    else:
        off = np.array(A, copy=True)
        np.fill_diagonal(off, 0)
        rowsum = np.asarray(A).sum(axis=1)
        offdiag_nonpos = False if np.iscomplexobj(off) else bool(np.all(off <= 0))
    absdiag = np.abs(d)
    scale = float(absdiag.max()) if absdiag.size else 0.0
    zero_rows = bool(np.all(np.abs(rowsum) <= 1e-10 * max(scale, 1e-300) * 10)) if scale else False
    laplacian = bool(symmetric and offdiag_nonpos and zero_rows and sign in ("positive", "mixed")
                     and np.all(np.real(d) >= 0))
    ncomp = None
    if components and symmetric:
        G = sp.csr_array(A) if sparse else sp.csr_array(np.asarray(A))
        ncomp = int(csgraph.connected_components(G, directed=False, return_labels=False))
    return MatrixProperties(shape, nnz, density, str(A.dtype), True, sparse, False, symmetric,
                            sign, offdiag_nonpos, zero_rows, laplacian, ncomp)
