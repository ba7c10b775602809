"""Cheap structural inspection of a matrix, shared by the plans and the eigensolvers.

:func:`inspect_matrix` (symmetry, diagonal, row sums: O(nnz)), the mesh probes
:func:`ball_sizes` and :func:`mesh_dimension` (a few sparse row slices), and the one
estimate of a factorization's memory, :func:`factor_memory`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .._components import n_components

__all__ = ["MatrixProperties", "inspect_matrix", "ball_sizes", "mesh_dimension", "factor_memory"]

_BYTES_PER_ENTRY = 12  # float64 value + int32 index


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
    #: max/min of a positive diagonal (None otherwise): the plan's Jacobi test, read here
    #: so that it does not extract the diagonal a second time
    diag_spread: float | None = None

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
    from .._validate import canonical_csr, is_symmetric

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
    if sparse:
        A = canonical_csr(A)  # one canonical copy (only if needed) for every check below
    symmetric = is_symmetric(A, sym_rtol)
    d = A.diagonal() if sparse else np.diag(A)
    sign = _diag_sign(d)
    if sparse:
        C = A
        rowsum = _row_sums(C)
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
        ncomp = n_components(A if sparse else np.asarray(A))
    spread = float(np.max(d) / np.min(d)) if sign == "positive" and not np.iscomplexobj(d) \
        else None
    return MatrixProperties(shape, nnz, density, str(A.dtype), True, sparse, False, symmetric,
                            sign, offdiag_nonpos, zero_rows, laplacian, ncomp, spread)


def _row_sums(C) -> np.ndarray:
    """Row sums of a CSR matrix: ``C @ 1`` (multiplying by 1.0 is exact).

    SciPy's mat-vec beat ``np.add.reduceat`` over the row segments wherever rows
    are short: luxembourg_osm (240k entries) 0.29 against 1.43 ms, 3-D Poisson 64³
    1.7 against 3.3 ms; on bcsstk33 (68 entries a row) 0.34 against 0.20 ms.
    """
    return C @ np.ones(C.shape[1], dtype=C.data.dtype)


def ball_sizes(A, radius: int) -> list[int]:
    """Sizes of the breadth-first balls of radius 0..radius around the middle node.

    Stops early when the ball stops growing (a component exhausted).  Each BFS
    level is vectorised over its frontier.
    """
    C = sp.csr_array(A)
    n = C.shape[0]
    visited = np.zeros(n, dtype=bool)
    frontier = np.array([n // 2])
    visited[frontier] = True
    sizes = [1]
    indptr, indices = C.indptr, C.indices
    for _ in range(radius):
        starts = indptr[frontier]
        lens = indptr[frontier + 1] - starts
        offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lens)[:-1])), lens)
        nb = indices[offsets + np.arange(lens.sum())]
        nb = np.unique(nb[~visited[nb]])
        if nb.size == 0:
            break
        visited[nb] = True
        frontier = nb
        sizes.append(sizes[-1] + nb.size)
    return sizes


def mesh_dimension(A, radius: int = 10) -> float | None:
    """Estimate the dimension ``d`` of the mesh behind ``A`` from breadth-first ball growth.

    ``|ball(r)| ~ r**d``; returns ``log2(|ball(R)| / |ball(R/2)|)`` rounded up
    from the lattice's lower-order terms (5-point: 1.86 -> 2, 7-point: 2.76 -> 3),
    or None when the graph is too small to tell.

    Examples
    --------
    >>> from sparsekit.datasets import _poisson2d
    >>> from sparsekit.linalg._inspect import mesh_dimension
    >>> mesh_dimension(_poisson2d(100))
    2.0
    """
    n = A.shape[0]
    sizes = ball_sizes(A, radius)
    if len(sizes) <= radius or sizes[-1] >= n // 2:
        return None
    d = math.log2(sizes[radius] / sizes[radius // 2])
    return float(round(d + 0.2))


def factor_memory(n: int, nnz: int, d: float | None = None, symmetric: bool = True) -> float:
    """Estimated bytes of a sparse factorization of an ``n``-row matrix with ``nnz`` entries.

    The one cost model of a factor's memory (the solve plan, the eigensolver
    plan, the fallback after a failed iterative solve all use it):

    * ``d`` known (the mesh dimension, :func:`mesh_dimension`): the growth
      measured on Poisson matrices with nested-dissection-like orderings,
      ``3.2 n log2(n)`` entries in 2-D and ``0.9 n^(5/3)`` in 3-D (measured
      fill 70 at 32³, 138 at 48³);
    * ``d`` unknown: ``log2(n)`` entries per stored entry, a deliberately
      pessimistic guess for patterns whose separators are unknown.

    At least ``nnz`` entries, 12 bytes each (float64 value + int32 index),
    times 1.5 for an LU of a nonsymmetric matrix (two triangles that differ).

    Examples
    --------
    >>> from sparsekit.linalg._inspect import factor_memory
    >>> round(factor_memory(1024**2, 5 * 1024**2, d=2) / 2**20)
    768
    """
    logn = max(math.log2(max(n, 2)), 1.0)
    if d is None:
        entries = max(2.0, logn) * max(nnz, n)
    elif d <= 2:
        entries = 3.2 * n * logn
    else:
        entries = 0.9 * n ** (5 / 3)
    entries = max(entries, nnz)
    return entries * _BYTES_PER_ENTRY * (1 if symmetric else 1.5)
