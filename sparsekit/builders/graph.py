"""Graph adjacency and Laplacian matrices.

A graph is a networkx graph, a square scipy sparse adjacency, or edge arrays
``(rows, cols)`` / ``(rows, cols, weights)`` with ``n=``.  Edge weights are
conductances (affinities): ``W[i, j] = w`` and ``L = D - W`` with
``D = diag(W.sum(axis=1))``.  Everything is assembled in COO and summed by
SciPy; there is no Python loop over edges (a networkx graph is converted by
``networkx.to_scipy_sparse_array``).

Conventions (the same as ``networkx.laplacian_matrix``):

* **edge arrays** list *undirected* edges: ``(i, j, w)`` sets ``W[i, j]`` and
  ``W[j, i]``.  Listing both ``(i, j)`` and ``(j, i)`` therefore doubles the
  weight; duplicate edges are summed.
* a **self-loop** ``(i, i, w)`` puts ``w`` once on the diagonal of ``W`` and
  adds ``w`` once to the degree of ``i``, so it cancels in the combinatorial
  Laplacian and shows in the others.
* an **isolated node** (degree 0) has an all-zero row and column in every
  Laplacian: the normalized and random-walk kinds use the pseudo-inverse of
  ``D`` (``D^+``), as networkx and ``scipy.sparse.csgraph.laplacian`` do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from .. import _progress
from .._choices import BUILDER_BACKENDS, FORMATS, LAPLACIAN_KINDS, NONNEGATIVE_KINDS, SYMMETRIZE
from .._choices import symmetrize_mode as _symmetrize_mode
from .._guards import check_memory
from .._validate import (
    check_choice,
    check_edge_array_options,
    checked_sparse,
    describe,
    is_networkx,
    positive_int,
    sparse_dtype,
)
from ..backends import _registry
from ..errors import InputValueError, NotSquareError, NotSymmetricError, ShapeError
from ._assemble import assemble, assemble_symmetric, assemble_upper, orient, upper_buffers

if TYPE_CHECKING:
    from collections.abc import Hashable, Sequence

    import numpy.typing as npt

    from .._typing import GraphLike

__all__ = ["laplacian", "adjacency"]

def _cupy_builders(graph, backend: str):
    """The GPU builders when the call runs there, else None (decided once, by type)."""
    if _registry.resolve(graph, backend, allowed=BUILDER_BACKENDS) == "cupy":
        return _registry.load("cupy")
    return None


#: peak bytes per edge and per node of the assembly from edge arrays (measured: 85 for
#: a combinatorial Laplacian of 5e6 random edges, 50 for an adjacency), with a margin
_BYTES_PER_ITEM = 96


def _preflight(n, m, what):
    check_memory(_BYTES_PER_ITEM * (float(n) + float(m)),
                 lambda: f"building the {what} of a graph with {n:,} nodes and {m:,} edges")


def _check_dtype(dtype, kind=None):
    dt = sparse_dtype(dtype)
    if kind in NONNEGATIVE_KINDS and dt.kind not in "fc":
        raise InputValueError(
            f"kind={kind!r} has non-integer entries; pass a floating dtype (got dtype={dt})"
        )
    return dt


def _check_weights(w, name="weights"):
    if w.dtype.kind not in "biufc":
        raise InputValueError(f"{name} must be numbers (got dtype {w.dtype})")
    if w.dtype.kind in "fc" and not np.isfinite(w).all():
        bad = int(np.count_nonzero(~np.isfinite(w)))
        raise InputValueError(
            f"{name} contain {bad} NaN or Inf value(s); remove those edges or give them "
            "finite weights"
        )


def _edge_arrays(graph, n, weight):
    """``(rows, cols[, weights])`` -> validated int64 ids, float weights, n."""
    if len(graph) not in (2, 3):
        raise ShapeError(
            f"edge arrays must be (rows, cols) or (rows, cols, weights) "
            f"(got a tuple of length {len(graph)})"
        )
    rows = np.asarray(graph[0])
    cols = np.asarray(graph[1])
    for name, a in (("rows", rows), ("cols", cols)):
        if a.ndim != 1:
            raise ShapeError(f"{name} must be 1-D (got {describe(a)})")
        if a.size and a.dtype.kind not in "iu":
            raise InputValueError(f"{name} must hold integer node ids (got dtype {a.dtype})")
    if rows.shape != cols.shape:
        raise ShapeError(
            f"rows and cols must have the same length (got {rows.size} and {cols.size})"
        )
    if len(graph) == 3 and weight is not None:
        w = np.asarray(graph[2])
        if w.ndim == 0:
            w = np.full(rows.shape, w)
        if w.shape != rows.shape:
            raise ShapeError(
                f"weights must have one value per edge (got {w.size} weights for "
                f"{rows.size} edges)"
            )
        _check_weights(w)
    else:
        w = None
    if rows.size:
        lo = min(int(rows.min()), int(cols.min()))
        hi = max(int(rows.max()), int(cols.max()))
    else:
        lo, hi = 0, -1
    if lo < 0:
        raise InputValueError(f"node ids must be >= 0 (got a node id {lo})")
    if n is None:
        n = hi + 1
    else:
        n = positive_int(n, "n", minimum=0)
        if hi >= n:
            raise InputValueError(
                f"node ids must be < n={n} (got a node id {hi}); pass a larger n"
            )
    _preflight(n, rows.size, "matrix")
    return rows, cols, w, n


def _graph_to_w(graph, *, weight, nodelist, n, symmetrize, dtype):
    """Any accepted graph -> symmetric W as (rows, cols, data) COO parts, n.

    Edge arrays come back *unsymmetrised* (``undirected=True``) so the caller
    can build ``W + W^T`` and ``L`` in one COO pass.
    """
    mode = _symmetrize_mode(symmetrize)
    if isinstance(graph, tuple):
        check_edge_array_options(nodelist, mode, symmetrize)
        rows, cols, w, n = _edge_arrays(graph, n, weight)
        return ("edges", rows, cols, w, n)
    if is_networkx(graph):
        import networkx as nx

        if n is not None:
            raise InputValueError("n applies to edge arrays only; a networkx graph knows "
                                  "its nodes (use nodelist= to order or select them)")
        if graph.is_directed() and mode is None:
            raise NotSymmetricError(
                f"the graph is directed ({type(graph).__name__}); pass symmetrize=True "
                f"(or one of {sorted(SYMMETRIZE)}) or an undirected graph"
            )
        W = _networkx_w(nx, graph, nodelist, weight)
        _check_weights(W.data, "edge weights")
        if graph.is_directed():
            W = _symmetrize(W, mode)
        return ("matrix", W)
    if sp.issparse(graph):
        if nodelist is not None:
            raise InputValueError("nodelist applies to networkx graphs only")
        if graph.ndim != 2 or graph.shape[0] != graph.shape[1]:
            raise NotSquareError(f"an adjacency matrix must be square (got {describe(graph)})")
        if n is not None and n != graph.shape[0]:
            raise ShapeError(f"n={n} does not match the adjacency shape {graph.shape}")
        graph = checked_sparse(graph, "graph")  # the input gate, before SciPy converts it
        W = sp.csr_array(graph)
        if W is graph:
            W = W.copy()
        if W.dtype.kind not in "biufc":
            raise InputValueError(f"adjacency must hold numbers (got dtype {W.dtype})")
        if weight is None:
            W.data = np.ones_like(W.data, dtype=np.float64)
        W = W.astype(np.float64) if W.dtype.kind in "biu" else W
        _check_weights(W.data, "adjacency entries")
        W.sum_duplicates()
        if mode is None:
            asym = W - W.T
            if asym.nnz and np.abs(asym.data).max() > 1e-12 * np.abs(W.data).max():
                raise NotSymmetricError(
                    f"the adjacency is not symmetric (got {describe(graph)}); it is a "
                    "directed graph: pass symmetrize=True (W + W^T) or one of "
                    f"{sorted(SYMMETRIZE)}"
                )
        else:
            W = _symmetrize(W, mode)
        return ("matrix", W)
    if isinstance(graph, np.ndarray):
        raise InputValueError(
            f"a dense ndarray is not accepted as a graph (got {describe(graph)}); pass "
            "scipy.sparse.csr_array(A) or edge arrays (rows, cols[, weights])"
        )
    raise InputValueError(
        f"graph must be a networkx graph, a scipy sparse adjacency or edge arrays "
        f"(rows, cols[, weights]) (got {type(graph).__name__})"
    )


def _networkx_w(nx, graph, nodelist, weight):
    """``networkx.to_scipy_sparse_array`` with its errors as sparsekit's (an empty graph: 0 x 0)."""
    try:
        nodelist = None if nodelist is None else list(nodelist)
    except TypeError:
        raise InputValueError(f"nodelist must be a list of nodes (got {nodelist!r})") from None
    if len(graph) == 0 and not nodelist:
        return sp.csr_array((0, 0), dtype=np.float64)
    _preflight(len(graph if nodelist is None else nodelist), 2 * graph.number_of_edges(),
               "adjacency")
    try:
        return nx.to_scipy_sparse_array(graph, nodelist=nodelist, weight=weight,
                                        dtype=np.float64, format="csr")
    except nx.NetworkXError as exc:
        raise InputValueError(f"cannot read the graph's adjacency: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise InputValueError(f"edge weights (attribute {weight!r}) must be real numbers "
                              f"({exc})") from None


def _symmetrize(W, mode):
    if mode == "sum":
        return (W + W.T).tocsr()
    if mode == "max":
        return W.maximum(W.T).tocsr()
    return ((W + W.T) * 0.5).tocsr()


def _parts(graph, *, weight, nodelist, n, symmetrize, degrees=True):
    """COO parts of the symmetric W, its degree vector, and whether to mirror.

    Edge arrays come back as given (``mirror=True``: the assembly adds each
    off-diagonal entry transposed too, a self-loop once); matrices come back
    with both triangles (``mirror=False``).  ``degrees=False`` skips the
    degrees of edge arrays (``None`` comes back).
    """
    got = _graph_to_w(graph, weight=weight, nodelist=nodelist, n=n,
                      symmetrize=symmetrize, dtype=np.float64)
    if got[0] == "edges":
        _, r, c, w, n = got
        if w is None:
            w = np.ones(r.shape, dtype=np.float64)
        else:
            w = w.astype(np.float64, copy=False)
        deg = None
        if degrees:
            deg = np.bincount(r, weights=w, minlength=n)
            deg += np.bincount(c, weights=np.where(r == c, 0.0, w), minlength=n)
        return r, c, w, deg, n, True
    W = got[1]
    n = W.shape[0]
    deg = np.asarray(W.sum(axis=1)).ravel()
    C = W.tocoo()
    return C.row, C.col, C.data, deg, n, False


def _unmirror(rows, cols, data):
    off = rows != cols
    return (np.concatenate([rows, cols[off]]), np.concatenate([cols, rows[off]]),
            np.concatenate([data, data[off]]))


def _finish(A, format, dtype):
    if A.dtype != dtype:
        A = A.astype(dtype)
    return A.asformat(format)


def adjacency(graph: GraphLike, *, weight: str | None = "weight",
              nodelist: Sequence[Hashable] | None = None, n: int | None = None,
              symmetrize: bool | str = False, format: str = "csr",
              dtype: npt.DTypeLike = np.float64, backend: str = "auto") -> sp.sparray:
    """Symmetric weighted adjacency ``W`` of a graph.

    Parameters
    ----------
    graph : networkx graph, scipy sparse array/matrix, or tuple of arrays
        A networkx ``Graph``/``MultiGraph`` (``DiGraph`` with ``symmetrize=``),
        a square sparse adjacency, or edge arrays ``(rows, cols)`` /
        ``(rows, cols, weights)`` listing undirected edges once each.
    weight : str or None, default="weight"
        The networkx edge attribute holding the weight; ``None`` makes every
        edge weight 1 (for every kind of input: stored values are ignored).
    nodelist : list, optional
        Node order (and selection) for a networkx graph, as in
        ``networkx.to_scipy_sparse_array``.
    n : int, optional
        Number of nodes for edge arrays (default: largest id + 1).
    symmetrize : bool or {"sum", "max", "mean"}, default=False
        How to make directed input undirected; ``True`` means ``"sum"``
        (``W + W^T``, as ``scipy.sparse.csgraph.laplacian(symmetrized=True)``).
        Directed input without it raises :class:`~sparsekit.NotSymmetricError`.
    format : {"csr", "csc", "coo"}, default="csr"
        Sparse format of the result.
    dtype : dtype, default=numpy.float64
        Data type of the result.
    backend : {"auto", "scipy", "cupy"}, default="auto"
        ``"auto"`` picks the GPU backend for cupy input.

    Returns
    -------
    sparse array of shape (n, n)

    See Also
    --------
    networkx.to_scipy_sparse_array

    Examples
    --------
    >>> import numpy as np
    >>> import sparsekit as sk
    >>> W = sk.adjacency((np.array([0, 1]), np.array([1, 2])), n=3)
    >>> W.toarray()
    array([[0., 1., 0.],
           [1., 0., 1.],
           [0., 1., 0.]])
    """
    cupy_ = _cupy_builders(graph, backend)
    if cupy_ is not None:
        return cupy_.adjacency(graph, weight=weight, nodelist=nodelist, n=n,
                               symmetrize=symmetrize, format=format, dtype=dtype)
    dtype = _check_dtype(dtype)
    check_choice(format, FORMATS, "format")
    rows, cols, data, _deg, n, mirror = _parts(graph, weight=weight, nodelist=nodelist,
                                               n=n, symmetrize=symmetrize, degrees=False)
    A = assemble_symmetric(rows, cols, data, n) if mirror else assemble(rows, cols, data, (n, n))
    return _finish(A, format, dtype)


def laplacian(graph: GraphLike, kind: str = "combinatorial", *, weight: str | None = "weight",
              nodelist: Sequence[Hashable] | None = None, n: int | None = None,
              symmetrize: bool | str = False, format: str = "csr",
              dtype: npt.DTypeLike = np.float64, backend: str = "auto") -> sp.sparray:
    r"""Graph Laplacian ``L = D - W`` and its normalized, random-walk and signless kinds.

    Parameters
    ----------
    graph : networkx graph, scipy sparse array/matrix, or tuple of arrays
        As in :func:`adjacency`: a networkx graph, a square sparse adjacency,
        or undirected edge arrays ``(rows, cols[, weights])`` with ``n=``.
    kind : {"combinatorial", "normalized", "random_walk", "signless"}, default="combinatorial"
        ``D - W``; ``I - D^{-1/2} W D^{-1/2}``; ``I - D^{-1} W``; ``D + W``.
        Isolated nodes get zero rows and columns in every kind (``D^+``).
    weight : str or None, default="weight"
        Edge attribute of a networkx graph; ``None`` gives every edge weight 1.
        Weights are conductances.  Negative weights are rejected for
        ``"normalized"`` and ``"random_walk"`` (``D^{-1/2}`` needs ``D >= 0``);
        ``"combinatorial"`` and ``"signless"`` accept them (a signed Laplacian,
        then not positive semidefinite).
    nodelist : list, optional
        Node order for a networkx graph.
    n : int, optional
        Number of nodes for edge arrays (default: largest id + 1).
    symmetrize : bool or {"sum", "max", "mean"}, default=False
        How to make directed input undirected (see :func:`adjacency`).
    format : {"csr", "csc", "coo"}, default="csr"
        Sparse format of the result.
    dtype : dtype, default=numpy.float64
        Data type of the result (floating for the normalized kinds).
    backend : {"auto", "scipy", "cupy"}, default="auto"
        ``"auto"`` picks the GPU backend (``sparsekit.backends.cupy_``) for
        cupy input.

    Returns
    -------
    sparse array of shape (n, n)
        Symmetric except for ``kind="random_walk"``.

    Notes
    -----
    From edge arrays the matrix is assembled in one pass: the edges, their
    mirrors and one diagonal slot per node are ordered by one sort of packed
    integer keys and their duplicates summed by SciPy.  The combinatorial
    diagonal is minus the off-diagonal row sum, read off the sorted entries
    (no separate degree pass).

    See Also
    --------
    networkx.laplacian_matrix, networkx.normalized_laplacian_matrix,
    scipy.sparse.csgraph.laplacian

    Examples
    --------
    A path on three nodes:

    >>> import numpy as np
    >>> import sparsekit as sk
    >>> L = sk.laplacian((np.array([0, 1]), np.array([1, 2])), n=3)
    >>> L.toarray()
    array([[ 1., -1.,  0.],
           [-1.,  2., -1.],
           [ 0., -1.,  1.]])
    >>> bool(abs(L.sum(axis=1)).max() == 0)
    True
    """
    check_choice(kind, LAPLACIAN_KINDS, "kind")
    cupy_ = _cupy_builders(graph, backend)
    if cupy_ is not None:
        return cupy_.laplacian(graph, kind=kind, weight=weight, nodelist=nodelist, n=n,
                               symmetrize=symmetrize, format=format, dtype=dtype)
    dtype = _check_dtype(dtype, kind)
    check_choice(format, FORMATS, "format")
    _progress.report("build", what=f"{kind} Laplacian")
    rows, cols, data, deg, n, mirror = _parts(graph, weight=weight, nodelist=nodelist, n=n,
                                              symmetrize=symmetrize,
                                              degrees=not (kind == "combinatorial"
                                                           and isinstance(graph, tuple)))
    if kind in NONNEGATIVE_KINDS and data.size and data.min() < 0:
        raise InputValueError(
            f"kind={kind!r} needs nonnegative edge weights (got a weight "
            f"{data.min():g}); use kind='combinatorial' for a signed graph"
        )
    if kind == "combinatorial" and deg is None:
        # edge arrays: the diagonal is minus the off-diagonal row sum of -W (no degree
        # pass); a self-loop's -w on the diagonal is cancelled by adding w back
        loops = np.flatnonzero(rows == cols)
        back = np.bincount(rows[loops], data[loops], minlength=n)
        buf = upper_buffers(rows.size, n, np.float64, full_diagonal=True)
        orient(rows, cols, buf.lo, buf.hi)
        np.negative(data, out=buf.values)
        return _finish(assemble_upper(buf, diag=back, row_sum_diag=-1.0), format, dtype)
    if kind == "combinatorial":
        data, d = -data, deg
    elif kind == "signless":
        d = deg
    else:
        # D^+ : zero for isolated nodes, so their rows and columns vanish.
        pos = deg > 0
        s = np.zeros(n)
        if kind == "normalized":
            s[pos] = 1.0 / np.sqrt(deg[pos])
            data = -data * s[rows] * s[cols]  # symmetric: the mirror shares it
        else:
            if mirror:  # D^-1 W is not symmetric: mirror explicitly
                rows, cols, data = _unmirror(rows, cols, data)
                mirror = False
            s[pos] = 1.0 / deg[pos]
            data = -data * s[rows]
        d = pos.astype(np.float64)
    A = assemble_symmetric(rows, cols, data, n, diag=d) if mirror \
        else assemble(rows, cols, data, (n, n), diag=d)
    return _finish(A, format, dtype)
