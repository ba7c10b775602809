"""Finite differences: the 3/5/7-point Poisson stencil and its closed-form spectrum.

* :func:`poisson` -- the finite-difference ``-div(a grad u)`` on a 1-D/2-D/3-D
  grid, Dirichlet or Neumann, optionally anisotropic (``coeffs=``) and with any
  spacing per axis (``h=``); ``rows=`` builds one block of rows.
* :func:`poisson_eigenvalues` -- its eigenvalues in closed form (a Kronecker
  sum of 1-D spectra), the oracle the solver and eigensolver tests use.

The matrix is written straight into CSR: the stencil's columns of every row
are known in increasing order, so there is nothing to sort or sum.
``sparsekit.fem`` re-exports both functions (``sk.fem.poisson``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from .. import _progress
from .._choices import BOUNDARY_CONDITIONS, BUILDER_BACKENDS, FORMATS
from .._guards import check_memory
from .._validate import check_choice, check_row_range, grid_shape, positive_int, sparse_dtype
from ..backends import _registry
from ..errors import InputValueError, ShapeError

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy.typing as npt


__all__ = ["poisson", "poisson_eigenvalues"]


def _per_axis(value, ndim, name, default):
    if value is None:
        value = default
    arr = np.broadcast_to(np.asarray(value, dtype=float), (ndim,)) \
        if np.ndim(value) == 0 else np.asarray(value, dtype=float)
    if arr.shape != (ndim,):
        raise ShapeError(f"{name} must be a number or one value per axis ({ndim}) "
                         f"(got {value!r})")
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise InputValueError(f"{name} must be finite and > 0 (got {value!r})")
    return arr


def poisson(shape: int | Sequence[int], bc: str = "dirichlet", *,
            h: float | Sequence[float] | None = None,
            coeffs: float | Sequence[float] | None = None, format: str = "csr",
            dtype: npt.DTypeLike = np.float64, rows: tuple[int, int] | None = None,
            backend: str = "auto") -> sp.sparray:
    r"""Finite-difference ``-div(a grad u)`` on a regular 1-D/2-D/3-D grid.

    The 3/5/7-point stencil: row ``i`` has ``sum_d 2 a_d / h_d^2`` on the
    diagonal and ``-a_d / h_d^2`` for each neighbour along axis ``d``.  Nodes
    are numbered in C order (the last axis fastest), as ``numpy.ravel_multi_index``.

    Parameters
    ----------
    shape : int or tuple of int
        Interior grid points per axis, ``(nx,)``, ``(nx, ny)`` or ``(nx, ny, nz)``.
    bc : {"dirichlet", "neumann"}, default="dirichlet"
        ``"dirichlet"``: zero boundary values one spacing beyond the grid
        (symmetric positive definite).  ``"neumann"``: zero normal derivative
        in the cell-centred sense, so a boundary row loses the missing
        neighbour's diagonal share and every row sums to zero (singular, the
        constants are its null space).
    h : float or sequence of float, optional
        Grid spacing, one value or one per axis.  Default 1: the matrix of
        the plain stencil (integers for the isotropic case), as
        ``scipy.sparse.linalg.LaplacianNd`` (whose sign is opposite) builds.
        For the unit interval/square/cube with Dirichlet conditions pass
        ``h=1/(n+1)``.
    coeffs : float or sequence of float, optional
        Anisotropy: the coefficient ``a_d > 0`` of each axis (default 1).
    format : {"csr", "csc", "coo"}, default="csr"
        Sparse format of the result.
    dtype : dtype, default=numpy.float64
        Data type of the result.
    rows : tuple of int, optional
        ``(start, stop)``: build only these rows, a ``(stop - start, N)``
        block (one MPI rank's rows for the PETSc backend).
    backend : {"auto", "scipy", "cupy"}, default="auto"
        ``"cupy"`` builds on the GPU (``sparsekit.backends.cupy_``).

    Returns
    -------
    sparse array of shape (N, N), or (stop - start, N) with ``rows``

    See Also
    --------
    poisson_eigenvalues : its eigenvalues in closed form.
    scipy.sparse.linalg.LaplacianNd

    Examples
    --------
    >>> import sparsekit as sk
    >>> sk.poisson(3).toarray()
    array([[ 2., -1.,  0.],
           [-1.,  2., -1.],
           [ 0., -1.,  2.]])
    >>> A = sk.poisson((4, 5), bc="neumann")
    >>> A.shape, float(abs(A.sum(axis=1)).max())
    ((20, 20), 0.0)
    """
    check_choice(bc, BOUNDARY_CONDITIONS, "bc")
    check_choice(format, FORMATS, "format")
    dtype = sparse_dtype(dtype)
    if _registry.resolve(None, backend, allowed=BUILDER_BACKENDS) == "cupy":
        return _registry.load("cupy").poisson(shape, bc=bc, h=h, coeffs=coeffs, format=format,
                                              dtype=dtype, rows=rows)
    dims = grid_shape(shape)
    nd = len(dims)
    hh = _per_axis(h, nd, "h", 1.0)
    aa = _per_axis(coeffs, nd, "coeffs", 1.0)
    N = math.prod(dims)
    _progress.report("build", what=f"{'x'.join(map(str, dims))} Poisson", n=N)
    start, stop = check_row_range(rows, N)
    # measured: 56-59 bytes per stencil slot at the peak (the stacked columns, values, masks)
    check_memory(64.0 * (stop - start) * (2 * nd + 1), lambda: (
        f"building the {'x'.join(map(str, dims))} Poisson matrix ({N:,} unknowns)"))
    strides = [math.prod(dims[d + 1:]) for d in range(nd)]
    g = np.arange(start, stop, dtype=np.int64)
    m = g.size
    # columns of each row in increasing order: -stride_0 .. -stride_{nd-1}, 0, +... +stride_0
    cols, vals, keep = [], [], []
    diag = np.zeros(m)
    w = aa / hh**2
    lower, upper = [], []
    for d in range(nd):
        coord = (g // strides[d]) % dims[d]
        has_lo, has_hi = coord > 0, coord < dims[d] - 1
        lower.append((g - strides[d], np.full(m, -w[d]), has_lo))
        upper.append((g + strides[d], np.full(m, -w[d]), has_hi))
        if bc == "dirichlet":
            diag += 2 * w[d]
        else:
            diag += w[d] * (has_lo.astype(float) + has_hi)
    for c, v, k in lower + [(g, diag, np.ones(m, dtype=bool))] + upper[::-1]:
        cols.append(c)
        vals.append(v)
        keep.append(k)
    C = np.stack(cols, axis=1)
    V = np.stack(vals, axis=1)
    K = np.stack(keep, axis=1)
    indptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(K.sum(axis=1), out=indptr[1:])
    idx = np.int32 if max(N, indptr[-1]) < 2**31 - 1 else np.int64
    A = sp.csr_array((V[K].astype(dtype), C[K].astype(idx), indptr.astype(idx)),
                     shape=(m, N))
    A.has_sorted_indices = True
    A.has_canonical_format = True
    return A.asformat(format)


def poisson_eigenvalues(shape: int | Sequence[int], k: int | None = None, bc: str = "dirichlet",
                        *, h: float | Sequence[float] | None = None,
                        coeffs: float | Sequence[float] | None = None) -> np.ndarray:
    r"""Eigenvalues of :func:`poisson` in closed form, ascending.

    The matrix is a Kronecker sum of 1-D matrices, so its eigenvalues are the
    sums ``sum_d lambda_d(j_d)`` of the 1-D ones:

    * Dirichlet: ``lambda(j) = 4 a / h^2 sin^2(pi j / (2 (n + 1)))``, ``j = 1..n``
    * Neumann: ``lambda(j) = 4 a / h^2 sin^2(pi j / (2 n))``, ``j = 0..n-1``

    Parameters
    ----------
    shape, bc, h, coeffs
        As in :func:`poisson`.
    k : int, optional
        Return only the ``k`` smallest (default: all ``N``).

    Returns
    -------
    ndarray of shape (k,) or (N,)

    Examples
    --------
    >>> import numpy as np
    >>> import sparsekit as sk
    >>> lam = sk.fem.poisson_eigenvalues((6, 7), k=3)
    >>> ref = np.linalg.eigvalsh(sk.poisson((6, 7)).toarray())[:3]
    >>> bool(np.allclose(lam, ref))
    True
    """
    check_choice(bc, BOUNDARY_CONDITIONS, "bc")
    dims = grid_shape(shape)
    hh = _per_axis(h, len(dims), "h", 1.0)
    aa = _per_axis(coeffs, len(dims), "coeffs", 1.0)
    total = np.zeros(())
    for n, hd, ad in zip(dims, hh, aa, strict=True):
        if bc == "dirichlet":
            lam = 4 * ad / hd**2 * np.sin(np.pi * np.arange(1, n + 1) / (2 * (n + 1))) ** 2
        else:
            lam = 4 * ad / hd**2 * np.sin(np.pi * np.arange(n) / (2 * n)) ** 2
        total = np.add.outer(total, lam)
    total = np.sort(total.ravel())
    if k is None:
        return total
    k = positive_int(k, "k")
    if k > total.size:
        raise InputValueError(f"k must be <= N={total.size} (got k={k})")
    return total[:k]
