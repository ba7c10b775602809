"""P1 finite elements: meshes, stiffness and mass, boundary conditions, elasticity.

* :func:`p1` -- P1 (linear) stiffness and mass matrices on triangle and
  tetrahedral meshes; :func:`unit_square` and :func:`unit_cube` make meshes;
  :func:`boundary_nodes` and :func:`apply_dirichlet` impose boundary values.
* :func:`elasticity` -- 2-D plane-strain linear elasticity with P1 vector
  elements and its rigid-body modes (the near-null space AMG needs).
* :func:`poisson` and :func:`poisson_eigenvalues` -- the finite-difference
  model problem and its closed-form spectrum, from
  :mod:`sparsekit.builders.stencil`, re-exported here so that
  ``sk.fem.poisson`` keeps working.

Element matrices are computed for all cells at once (triangles in blocks of
cells that fit in cache; no Python loop over cells) and assembled in COO:
each symmetric matrix is built from its upper-triangle entries with the
diagonal (counting sorts, linear in the entries: ``builders._assemble``),
plus its transpose.  A stiffness diagonal is minus the off-diagonal row sum.
"""
from __future__ import annotations

import math
from itertools import permutations
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from .. import _progress
from .._choices import FORMATS
from .._guards import check_memory
from .._validate import check_choice, describe, positive_int, sparse_dtype
from ..errors import InputValueError, ShapeError
from ._assemble import assemble_symmetric, assemble_upper, orient, upper_buffers
from .stencil import poisson, poisson_eigenvalues  # re-exported: sk.fem.poisson

if TYPE_CHECKING:
    import numpy.typing as npt

    from .._typing import SparseMatrix

__all__ = [
    "poisson",
    "poisson_eigenvalues",
    "p1",
    "unit_square",
    "unit_cube",
    "boundary_nodes",
    "apply_dirichlet",
    "elasticity",
]

MASS = {"consistent": "the exact P1 mass matrix", "lumped": "its row sums, diagonal"}
DIRICHLET = {
    "eliminate": "zero the boundary rows and columns, 1 on the diagonal, move K g to b",
    "penalty": "add penalty * I on boundary nodes and penalty * g to b",
}


# --------------------------------------------------------------------------
# meshes
# --------------------------------------------------------------------------

def unit_square(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Structured triangle mesh of the unit square: ``n x n`` squares, each cut in two.

    Parameters
    ----------
    n : int
        Squares per side; the mesh has ``(n + 1)^2`` points and ``2 n^2``
        counter-clockwise triangles, ``h = 1/n``.

    Returns
    -------
    points : ndarray of shape ((n + 1)^2, 2)
        Point ``i + (n + 1) j`` is ``(i / n, j / n)``.
    cells : ndarray of shape (2 n^2, 3)

    Examples
    --------
    >>> import sparsekit as sk
    >>> points, cells = sk.fem.unit_square(2)
    >>> points.shape, cells.shape
    ((9, 2), (8, 3))
    """
    n = positive_int(n, "n")
    # measured: 176 bytes per point at the peak (the grids, then 2 triangles of 3 ids)
    check_memory(200.0 * (n + 1) ** 2, lambda: f"the {n:,} x {n:,} square mesh")
    x = np.linspace(0.0, 1.0, n + 1)
    X, Y = np.meshgrid(x, x)  # X varies along axis 1: point id i + (n + 1) j
    points = np.column_stack([X.ravel(), Y.ravel()])
    j, i = np.divmod(np.arange(n * n), n)
    v00 = i + (n + 1) * j
    v10, v01 = v00 + 1, v00 + n + 1
    v11 = v01 + 1
    cells = np.concatenate([np.column_stack([v00, v10, v11]),
                            np.column_stack([v00, v11, v01])])
    return points, cells


def unit_cube(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Structured tetrahedral mesh of the unit cube: ``n^3`` cubes, 6 tetrahedra each.

    Every cube is cut into the six Kuhn (Freudenthal) tetrahedra around its
    main diagonal, the same way in every cube, so the mesh is conforming.

    Parameters
    ----------
    n : int
        Cubes per side: ``(n + 1)^3`` points, ``6 n^3`` tetrahedra.

    Returns
    -------
    points : ndarray of shape ((n + 1)^3, 3)
        Point ``i + (n + 1) (j + (n + 1) k)`` is ``(i, j, k) / n``.
    cells : ndarray of shape (6 n^3, 4)

    Examples
    --------
    >>> import sparsekit as sk
    >>> points, cells = sk.fem.unit_cube(2)
    >>> points.shape, cells.shape
    ((27, 3), (48, 4))
    """
    n = positive_int(n, "n")
    # measured: 467 bytes per point at the peak (6 tetrahedra of 4 ids per cube)
    check_memory(512.0 * (n + 1) ** 3, lambda: f"the {n:,}^3 cube mesh")
    x = np.linspace(0.0, 1.0, n + 1)
    Z, Y, X = np.meshgrid(x, x, x, indexing="ij")
    points = np.column_stack([X.ravel(), Y.ravel(), Z.ravel()])
    k, rem = np.divmod(np.arange(n**3), n * n)
    j, i = np.divmod(rem, n)
    v0 = i + (n + 1) * (j + (n + 1) * k)
    step = (1, n + 1, (n + 1) ** 2)
    tets = []
    for p in permutations(range(3)):
        a = v0 + step[p[0]]
        b = a + step[p[1]]
        tets.append(np.column_stack([v0, a, b, b + step[p[2]]]))
    return points, np.concatenate(tets)


def _mesh(points, cells, *, dims=(2, 3)):
    """Validate a simplex mesh; return float points, int64 cells and the dimension."""
    P = np.asarray(points)
    T = np.asarray(cells)
    if P.ndim != 2 or P.shape[1] not in dims:
        raise ShapeError(f"points must have shape (n_points, d) with d in {dims} "
                         f"(got {describe(P)})")
    d = P.shape[1]
    if P.dtype.kind not in "iuf" or not np.isfinite(P).all():
        raise InputValueError(f"points must be finite real coordinates (got {describe(P)})")
    if T.ndim != 2 or T.shape[1] != d + 1:
        raise ShapeError(f"cells of a {d}-D mesh must have shape (n_cells, {d + 1}) "
                         f"(got {describe(T)})")
    if T.size and T.dtype.kind not in "iu":
        raise InputValueError(f"cells must hold integer point indices (got dtype {T.dtype})")
    if T.size == 0:
        raise InputValueError("the mesh has no cells")
    lo, hi = int(T.min()), int(T.max())
    if lo < 0 or hi >= P.shape[0]:
        bad = int(np.count_nonzero((T < 0) | (T >= P.shape[0])))
        raise InputValueError(
            f"cells index missing points: {bad} indices outside [0, {P.shape[0] - 1}] "
            f"(got min {lo}, max {hi}); cells must index rows of points"
        )
    return P.astype(np.float64, copy=False), T.astype(np.int64, copy=False), d


def _degenerate(flat, T, d):
    if flat.any():
        first = int(np.flatnonzero(flat)[0])
        raise InputValueError(
            f"{int(flat.sum())} degenerate (zero-{'area' if d == 2 else 'volume'}) cell(s), "
            f"the first is cell {first} {T[first].tolist()}; remove or repair them"
        )


#: cells per block of the triangle loop: its ~30 temporaries stay in cache
_BLOCK = 1 << 14


def _p1_triangles(P, T, dtype):
    """Off-diagonal stiffness entries of all triangles, and their areas.

    With the edges opposite each vertex, ``E0 = x2 - x1``, ``E1 = x0 - x2``,
    ``E2 = x1 - x0 = -(E0 + E1)``, and ``det = E0 x E1`` (twice the signed
    area), ``K_ab = E_a . E_b / (2 |det|)`` (cotangent formula), so
    ``K_01 = E0.E1 s``, ``K_02 = -(|E0|^2 + E0.E1) s``,
    ``K_12 = -(|E1|^2 + E0.E1) s`` with ``s = 1 / (2 |det|)``; the diagonal is
    minus the off-diagonal row sum.  Cells are processed in blocks of
    :data:`_BLOCK`, so the temporaries stay in cache.  Returns ``Koff`` of
    shape ``(3, n_cells)`` (pairs 01, 02, 12; entry ``p * n_cells + c``), the
    areas, and the assembly's buffers (``builders._assemble.upper_buffers``
    of ``dtype``) that hold ``Koff`` (the real part if complex) and the
    oriented vertex pairs of the ``3 n_cells`` entries.
    """
    px, py = np.ascontiguousarray(P[:, 0]), np.ascontiguousarray(P[:, 1])
    nc, n = T.shape[0], P.shape[0]
    buf = upper_buffers(3 * nc, n, dtype, full_diagonal=True)
    Koff = (buf.values.real if buf.values.dtype.kind == "c" else buf.values).reshape(3, nc)
    area = np.empty(nc)
    pairs = ((0, 1), (0, 2), (1, 2))
    for s in range(0, nc, _BLOCK):
        e = min(s + _BLOCK, nc)
        t = T[s:e]
        t0, t1, t2 = t[:, 0], t[:, 1], t[:, 2]
        x0, x1, x2 = px[t0], px[t1], px[t2]
        ax, bx = x2 - x1, x0 - x2
        del x0, x1, x2
        y0, y1, y2 = py[t0], py[t1], py[t2]
        ay, by = y2 - y1, y0 - y2
        del y0, y1, y2
        det = ax * by
        det -= ay * bx
        ab = ax * bx
        ab += ay * by
        aa = ax * ax
        aa += ay * ay
        bb = bx * bx
        bb += by * by
        # |det| <= |E0| |E1|: a tiny ratio is a flat triangle (squared to skip roots)
        if not (det * det > 1e-24 * aa * bb).all():
            _degenerate(_flat_triangles(px, py, T), T, 2)
        a = area[s:e]
        np.abs(det, out=a)
        a *= 0.5
        sc = np.divide(0.25, a, out=det)  # 1 / (2 |det|)
        k = Koff[:, s:e]
        np.multiply(ab, sc, out=k[0])
        aa += ab
        np.negative(aa, out=aa)
        np.multiply(aa, sc, out=k[1])
        bb += ab
        np.negative(bb, out=bb)
        np.multiply(bb, sc, out=k[2])
        for p, (i, j) in enumerate(pairs):
            orient(t[:, i], t[:, j], buf.lo[p * nc + s:p * nc + e], buf.hi[p * nc + s:p * nc + e])
    return Koff, area, buf


def _flat_triangles(px, py, T):
    """Which triangles are flat (the same test as the blocked loop, all cells at once)."""
    x0, y0 = px[T[:, 0]], py[T[:, 0]]
    ax, ay = px[T[:, 2]] - px[T[:, 1]], py[T[:, 2]] - py[T[:, 1]]
    bx, by = x0 - px[T[:, 2]], y0 - py[T[:, 2]]
    det = ax * by - ay * bx
    return ~(det * det > 1e-24 * (ax * ax + ay * ay) * (bx * bx + by * by))


def _gradients(P, T, d):
    """Barycentric gradients ``(n_cells, d + 1, d)`` and cell volumes.

    With ``J = [x_1 - x_0, ..., x_d - x_0]`` the gradient of ``phi_i``
    (``i >= 1``) is row ``i - 1`` of ``J^{-1}`` and ``grad phi_0 = -sum``.
    Raises on degenerate (zero-volume) cells.
    """
    x = P[T]  # (nc, d + 1, d)
    J = np.swapaxes(x[:, 1:, :] - x[:, :1, :], 1, 2)  # columns are edges
    if d == 2:
        det = J[:, 0, 0] * J[:, 1, 1] - J[:, 0, 1] * J[:, 1, 0]
    else:
        det = np.linalg.det(J)
    # Hadamard: |det| <= product of edge lengths; a tiny ratio is a flat cell.
    scale = np.prod(np.linalg.norm(J, axis=1), axis=1)
    _degenerate(~(np.abs(det) > 1e-12 * scale), T, d)
    if d == 2:
        inv = np.empty_like(J)
        inv[:, 0, 0], inv[:, 0, 1] = J[:, 1, 1] / det, -J[:, 0, 1] / det
        inv[:, 1, 0], inv[:, 1, 1] = -J[:, 1, 0] / det, J[:, 0, 0] / det
    else:
        inv = np.linalg.inv(J)
    G = np.empty((T.shape[0], d + 1, d))
    G[:, 1:, :] = inv
    G[:, 0, :] = -inv.sum(axis=1)
    vol = np.abs(det) / math.factorial(d)
    return G, vol


def _assemble_sym(T, local, diag_local, n):
    """Global matrix from upper-triangle local entries ``(nc, n_pairs)`` and diagonals."""
    a, b = np.triu_indices(T.shape[1], k=1)
    diag = np.bincount(T.ravel(), diag_local.ravel(), minlength=n)
    return assemble_symmetric(T[:, a], T[:, b], local, n, diag=diag)


def p1(points: npt.ArrayLike, cells: npt.ArrayLike, *, mass: str = "consistent",
       format: str = "csr", dtype: npt.DTypeLike = np.float64) -> tuple[sp.sparray, sp.sparray]:
    r"""P1 stiffness and mass matrices on a triangle (2-D) or tetrahedral (3-D) mesh.

    ``K[i, j] = int grad phi_i . grad phi_j`` and ``M[i, j] = int phi_i phi_j``
    for the piecewise-linear hat functions ``phi``, no boundary conditions
    (``K`` is singular with the constants in its null space; see
    :func:`apply_dirichlet`).

    Parameters
    ----------
    points : ndarray of shape (n_points, 2) or (n_points, 3)
        Vertex coordinates.
    cells : ndarray of shape (n_cells, 3) or (n_cells, 4)
        Vertex indices of each triangle or tetrahedron (any orientation).
    mass : {"consistent", "lumped"}, default="consistent"
        The consistent mass ``|T| (1 + delta_ij) / ((d + 1)(d + 2))`` per
        cell, or its row sums on the diagonal (``|T| / (d + 1)``).
    format : {"csr", "csc", "coo"}, default="csr"
        Sparse format of both matrices.
    dtype : dtype, default=numpy.float64
        Data type of both matrices.

    Returns
    -------
    K, M : sparse arrays of shape (n_points, n_points)

    Raises
    ------
    InputValueError
        Cells that index missing points, or degenerate (zero-area/volume) cells.

    See Also
    --------
    skfem.assemble with skfem.models.poisson.laplace and mass

    Examples
    --------
    >>> import numpy as np
    >>> import sparsekit as sk
    >>> K, M = sk.fem.p1(*sk.fem.unit_square(4))
    >>> float(M.sum())  # the area
    1.0
    >>> bool(np.allclose(K @ np.ones(K.shape[0]), 0))
    True
    """
    check_choice(mass, MASS, "mass")
    check_choice(format, FORMATS, "format")
    dtype = sparse_dtype(dtype)
    P, T, d = _mesh(points, cells)
    n, nc, nl = P.shape[0], T.shape[0], d + 1
    # measured: 326 (triangles) and 555 (tetrahedra) bytes per cell at the peak
    check_memory((384.0 if d == 2 else 640.0) * nc + 64.0 * n,
                 lambda: f"P1 matrices on {nc:,} cells")
    _progress.report("build", what=f"P1 matrices on {nc:,} cells", n=n)
    a, b = np.triu_indices(nl, k=1)
    # element entries by pair, shape (n_pairs, n_cells): entry p * n_cells + c
    buf = None
    if d == 2:
        # consistent mass: K + i M assembled together, in one complex buffer
        Koff, vol, buf = _p1_triangles(P, T, np.complex128 if mass == "consistent"
                                       else np.float64)
    else:
        G, vol = _gradients(P, T, d)
        Koff = (vol[:, None] * np.einsum("cid,cid->ci", G[:, a, :], G[:, b, :])).T
        del G
    if mass == "consistent":
        # one assembly for both: K + i M shares the pattern and the sort
        m = vol / (nl * (nl + 1))
        Kd = _local_row_sums(Koff, nl)
        Kd *= -1.0  # a row of an element stiffness sums to zero
        diag = np.bincount(T.T.ravel(), Kd.ravel(), minlength=n) \
            + 1j * np.bincount(T.ravel(), np.repeat(2 * m, nl), minlength=n)
        del Kd
        kw: dict[str, Any] = {"diag": diag}
        if buf is not None:
            buf.values.imag.reshape(3, nc)[:] = m
        else:
            data = Koff + 1j * m
    else:
        data, kw = Koff, {"row_sum_diag": -1.0}
    if buf is not None:
        del Koff
        K = assemble_upper(buf, **kw)
    else:
        K = assemble_symmetric(T.T[a], T.T[b], data, n, **kw)
        del data
    del buf
    if mass == "consistent":
        K, M = _split(K)
    else:
        M = sp.diags_array(np.bincount(T.ravel(), np.repeat(vol / nl, nl), minlength=n),
                           format="csr")
    return K.astype(dtype, copy=False).asformat(format), \
        M.astype(dtype, copy=False).asformat(format)


def _local_row_sums(Koff, nl):
    """Per vertex, the sum of its off-diagonal element entries: ``(nl, n_cells)``."""
    a, b = np.triu_indices(nl, k=1)
    out = np.zeros((nl, Koff.shape[1]), dtype=Koff.dtype)
    for k in range(a.size):
        out[a[k]] += Koff[k]
        out[b[k]] += Koff[k]
    return out


def _split(Z):
    """``K + i M`` assembled together -> ``K, M`` (both keep the full pattern)."""
    K = sp.csr_array((Z.data.real.copy(), Z.indices, Z.indptr), shape=Z.shape)
    M = sp.csr_array((Z.data.imag.copy(), Z.indices.copy(), Z.indptr.copy()), shape=Z.shape)
    for A in (K, M):
        A.has_sorted_indices = True
        A.has_canonical_format = True
    return K, M


def boundary_nodes(points: npt.ArrayLike, cells: npt.ArrayLike) -> np.ndarray:
    """Indices of the points on the boundary of a triangle or tetrahedral mesh.

    A boundary facet (edge of a triangle, face of a tetrahedron) belongs to
    exactly one cell; its vertices are the boundary nodes.

    Parameters
    ----------
    points : ndarray of shape (n_points, d)
        Vertex coordinates (only their number is used).
    cells : ndarray of shape (n_cells, d + 1)
        Vertex indices.

    Returns
    -------
    ndarray of int64
        Sorted boundary point indices.

    Examples
    --------
    >>> import sparsekit as sk
    >>> sk.fem.boundary_nodes(*sk.fem.unit_square(2)).tolist()
    [0, 1, 2, 3, 5, 6, 7, 8]
    """
    P, T, d = _mesh(points, cells)
    # the facet opposite each vertex, vertex ids sorted so shared facets compare equal
    F = np.sort(np.concatenate([np.delete(T, i, axis=1) for i in range(d + 1)]), axis=1)
    _, inverse, counts = np.unique(F, axis=0, return_inverse=True, return_counts=True)
    once = counts[inverse.ravel()] == 1
    return np.unique(F[once])


def apply_dirichlet(K: SparseMatrix, b: npt.ArrayLike, nodes: npt.ArrayLike,
                    values: npt.ArrayLike = 0.0, *, method: str = "eliminate",
                    penalty: float | None = None) -> tuple[sp.sparray, np.ndarray]:
    r"""Impose ``u[nodes] = values`` on ``K u = b``; returns ``(A, rhs)`` of the same size.

    Parameters
    ----------
    K : sparse array of shape (n, n)
        The matrix (e.g. a stiffness matrix from :func:`p1`).
    b : ndarray of shape (n,) or (n, k)
        The right-hand side (not modified).
    nodes : array_like of int
        The constrained unknowns (e.g. :func:`boundary_nodes`).
    values : float or array_like, default=0.0
        Their values ``g``, one or one per node.
    method : {"eliminate", "penalty"}, default="eliminate"
        ``"eliminate"``: symmetric elimination -- ``rhs = b - K g``, then the
        constrained rows and columns are zeroed with 1 on the diagonal and
        ``rhs[nodes] = g``; ``A`` stays symmetric positive definite and the
        solution holds ``g`` exactly.  ``"penalty"``: ``A = K + p I_nodes``,
        ``rhs = b + p g`` with ``p = penalty`` (default ``1e10 * max |diag K|``),
        so ``u[nodes] = g`` to about ``1/p`` relative, at the price of a
        condition number ``~p``.
    penalty : float, optional
        The penalty ``p`` for ``method="penalty"``.

    Returns
    -------
    A : csr_array of shape (n, n)
    rhs : ndarray like ``b``

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse.linalg as spla
    >>> import sparsekit as sk
    >>> points, cells = sk.fem.unit_square(8)
    >>> K, M = sk.fem.p1(points, cells)
    >>> bnd = sk.fem.boundary_nodes(points, cells)
    >>> A, rhs = sk.fem.apply_dirichlet(K, np.zeros(len(points)), bnd, values=1.0)
    >>> u = spla.spsolve(A.tocsc(), rhs)  # harmonic with u = 1 on the boundary
    >>> bool(np.allclose(u, 1.0))
    True
    """
    check_choice(method, DIRICHLET, "method")
    K = sp.csr_array(K)
    n = K.shape[0]
    if K.ndim != 2 or K.shape[1] != n:
        raise ShapeError(f"K must be square (got {describe(K)})")
    b = np.asarray(b)
    if b.shape[:1] != (n,) or b.ndim > 2:
        raise ShapeError(f"b must have shape ({n},) or ({n}, k) (got {b.shape})")
    nodes = np.asarray(nodes)
    if nodes.size and nodes.dtype.kind not in "iu":
        raise InputValueError(f"nodes must be integer indices (got dtype {nodes.dtype})")
    nodes = nodes.astype(np.int64).ravel()
    if nodes.size and (nodes.min() < 0 or nodes.max() >= n):
        raise InputValueError(f"nodes must lie in [0, {n - 1}] "
                              f"(got min {nodes.min()}, max {nodes.max()})")
    g = np.zeros(b.shape, dtype=np.result_type(b.dtype, K.dtype, float))
    vals = np.asarray(values, dtype=g.dtype)
    if vals.ndim and vals.shape[0] != nodes.size:
        raise ShapeError(f"values must be a number or one per node ({nodes.size}) "
                         f"(got shape {vals.shape})")
    g[nodes] = vals if vals.ndim == 0 or b.ndim == vals.ndim else vals.reshape(-1, 1)
    if method == "penalty":
        p = penalty if penalty is not None else 1e10 * max(np.abs(K.diagonal()).max(), 1.0)
        p = float(p)
        if not np.isfinite(p) or p <= 0:
            raise InputValueError(f"penalty must be a finite number > 0 (got {penalty!r})")
        bump = np.zeros(n)
        bump[nodes] = p
        rhs = b + p * g
        return (K + sp.diags_array(bump)).tocsr(), rhs
    mask = np.zeros(n, dtype=bool)
    mask[nodes] = True
    rhs = b - K @ g
    rhs[mask] = g[mask]
    keep = sp.diags_array((~mask).astype(K.dtype))
    A = (keep @ K @ keep + sp.diags_array(mask.astype(K.dtype))).tocsr()
    A.eliminate_zeros()
    return A, rhs


def elasticity(points: npt.ArrayLike, cells: npt.ArrayLike, E: float = 1.0, nu: float = 0.3, *,
               format: str = "csr",
               dtype: npt.DTypeLike = np.float64) -> tuple[sp.sparray, np.ndarray]:
    r"""2-D plane-strain linear elasticity with P1 vector elements, and its rigid-body modes.

    ``K = int eps(v) : C eps(u)`` with Lamé parameters
    ``lambda = E nu / ((1 + nu)(1 - 2 nu))``, ``mu = E / (2 (1 + nu))``.
    Unknowns are interleaved: ``(u_x, u_y)`` of point ``i`` are ``2 i, 2 i + 1``
    (the layout ``pyamg.smoothed_aggregation_solver`` expects with ``B=``).

    Parameters
    ----------
    points : ndarray of shape (n_points, 2)
        Vertex coordinates.
    cells : ndarray of shape (n_cells, 3)
        Triangles.
    E : float, default=1.0
        Young's modulus (> 0).
    nu : float, default=0.3
        Poisson's ratio, in (-1, 0.5).
    format : {"csr", "csc", "coo"}, default="csr"
        Sparse format of ``K``.
    dtype : dtype, default=numpy.float64
        Data type.

    Returns
    -------
    K : sparse array of shape (2 n_points, 2 n_points)
        Singular without boundary conditions: ``K @ B = 0``.
    B : ndarray of shape (2 n_points, 3)
        Rigid-body modes: the two translations and the rotation ``(-y, x)``.

    See Also
    --------
    skfem.models.elasticity.linear_elasticity

    Examples
    --------
    >>> import numpy as np
    >>> import sparsekit as sk
    >>> K, B = sk.fem.elasticity(*sk.fem.unit_square(4), E=210.0, nu=0.3)
    >>> K.shape, B.shape, bool(np.abs(K @ B).max() < 1e-10)
    ((50, 50), (50, 3), True)
    """
    check_choice(format, FORMATS, "format")
    dtype = sparse_dtype(dtype)
    P, T, d = _mesh(points, cells, dims=(2,))
    try:
        E, nu = float(E), float(nu)
    except (TypeError, ValueError):
        raise InputValueError(f"E and nu must be numbers (got E={E!r}, nu={nu!r})") from None
    # four times P1's entries per cell (two unknowns per point)
    check_memory(1536.0 * T.shape[0] + 64.0 * P.shape[0],
                 lambda: f"elasticity matrices on {T.shape[0]:,} cells")
    if not (np.isfinite(E) and E > 0):
        raise InputValueError(f"E must be a finite number > 0 (got {E!r})")
    if not -1.0 < nu < 0.5:
        raise InputValueError(f"nu must lie in (-1, 0.5) for plane strain (got {nu!r})")
    lam = E * nu / ((1 + nu) * (1 - 2 * nu))
    mu = E / (2 * (1 + nu))
    D = np.array([[lam + 2 * mu, lam, 0.0], [lam, lam + 2 * mu, 0.0], [0.0, 0.0, mu]])
    G, vol = _gradients(P, T, 2)
    nc = T.shape[0]
    Bm = np.zeros((nc, 3, 6))  # strain-displacement: (eps_xx, eps_yy, gamma_xy)
    Bm[:, 0, 0::2] = G[:, :, 0]
    Bm[:, 1, 1::2] = G[:, :, 1]
    Bm[:, 2, 0::2] = G[:, :, 1]
    Bm[:, 2, 1::2] = G[:, :, 0]
    Ke = vol[:, None, None] * np.einsum("cki,kl,clj->cij", Bm, D, Bm)
    dofs = np.empty((nc, 6), dtype=np.int64)
    dofs[:, 0::2] = 2 * T
    dofs[:, 1::2] = 2 * T + 1
    a, b = np.triu_indices(6, k=1)
    K = _assemble_sym(dofs, Ke[:, a, b], Ke[:, np.arange(6), np.arange(6)], 2 * len(P))
    B = np.zeros((2 * len(P), 3))
    B[0::2, 0] = 1.0
    B[1::2, 1] = 1.0
    B[0::2, 2] = -P[:, 1]
    B[1::2, 2] = P[:, 0]
    return K.astype(dtype, copy=False).asformat(format), B.astype(dtype, copy=False)
