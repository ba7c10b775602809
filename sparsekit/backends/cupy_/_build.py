"""Matrix builders in the namespace: Laplacians from edge arrays, Poisson stencils, co-occurrence.

Each assembles one COO matrix in the namespace (cupyx or scipy) and lets the
sparse library sum duplicates; no Python loop runs over edges or tokens (only
over window offsets, stencil dimensions and token chunks).  cupyx sparse
matrices hold floating-point data only, so every builder returns float (or
complex) matrices.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..._choices import BOUNDARY_CONDITIONS, FORMATS, LAPLACIAN_KINDS, SYMMETRIZE, WEIGHTINGS
from ..._choices import symmetrize_mode as _symmetrize_mode
from ..._validate import (
    check_choice,
    check_edge_array_options,
    check_row_range,
    grid_shape,
    is_networkx,
    positive_int,
)
from ...errors import InputValueError, NotSquareError, NotSymmetricError, ShapeError
from ._namespace import Namespace, resolve, to_device

__all__ = ["laplacian", "adjacency", "poisson", "cooccurrence"]

# The vocabularies (FORMATS, LAPLACIAN_KINDS, BOUNDARY_CONDITIONS, WEIGHTINGS, SYMMETRIZE)
# come from sparsekit._choices: the same names are accepted on both backends.


def _dtype(dtype):
    dt = np.dtype(dtype)
    if dt.kind not in "fc":
        raise InputValueError(f"dtype must be a float or complex type on the GPU backend "
                              f"(cupyx sparse matrices hold no integers; got {dt})")
    return dt


def _finish(ns: Namespace, C, format: str):
    C = ns.csr(C)
    if hasattr(C, "sort_indices"):
        C.sort_indices()
    return C if format == "csr" else ns.asformat(C, format)


def _edge_arrays(ns, graph, n, weight):
    xp = ns.xp
    if len(graph) not in (2, 3):
        raise InputValueError(f"graph as a tuple must be (rows, cols) or (rows, cols, weights) "
                              f"(got a tuple of {len(graph)})")
    rows = xp.asarray(to_device(graph[0], ns)).ravel()
    cols = xp.asarray(to_device(graph[1], ns)).ravel()
    if rows.shape != cols.shape:
        raise ShapeError(f"rows and cols must have the same length (got {rows.size} and "
                         f"{cols.size})")
    if rows.dtype.kind not in "iu" or cols.dtype.kind not in "iu":
        raise InputValueError(f"rows and cols must be integer node ids (got {rows.dtype} and "
                              f"{cols.dtype})")
    w = None
    if len(graph) == 3:
        w = xp.asarray(to_device(graph[2], ns)).ravel()
        if w.shape != rows.shape:
            raise ShapeError(f"weights must have one entry per edge (got {w.size} for "
                             f"{rows.size} edges)")
        if weight is None:
            w = None  # weight=None: every edge weighs 1, stored values ignored
    m = int(rows.size)
    if n is None:
        n = int(max(int(rows.max()), int(cols.max()))) + 1 if m else 0
    n = positive_int(n, "n", minimum=0)
    if m:
        lo = min(int(rows.min()), int(cols.min()))
        hi = max(int(rows.max()), int(cols.max()))
        if lo < 0 or hi >= n:
            raise InputValueError(f"node ids must lie in [0, n) = [0, {n}) (got ids from "
                                  f"{lo} to {hi}); pass n= the number of nodes")
    return rows.astype(xp.int64), cols.astype(xp.int64), w, n


def _graph_parts(ns, graph, *, weight, nodelist, n, symmetrize, dt):
    """COO parts ``(r, c, w)`` of the symmetric ``W`` (both triangles, self-loops once) and n."""
    xp = ns.xp
    mode = _symmetrize_mode(symmetrize)
    if is_networkx(graph):
        raise InputValueError("the GPU builders take edge arrays or a sparse adjacency, "
                              "not a networkx graph; build it with backend='scipy' and "
                              "move it with sparsekit.backends.cupy_.to_device")
    if isinstance(graph, tuple):
        check_edge_array_options(nodelist, mode, symmetrize)
        r, c, w, n = _edge_arrays(ns, graph, n, weight)
        w = xp.ones(r.size, dtype=dt) if w is None else w.astype(dt)
        off = r != c  # undirected: mirror every edge but a self-loop
        return (xp.concatenate([r, c[off]]), xp.concatenate([c, r[off]]),
                xp.concatenate([w, w[off]]), n)
    if not hasattr(graph, "shape") or (not ns.issparse(graph) and not sp.issparse(graph)):
        raise InputValueError(
            f"graph must be (rows, cols[, weights]) edge arrays or a sparse adjacency "
            f"(got {type(graph).__name__}); a dense array: pass a sparse matrix"
        )
    if nodelist is not None:
        raise InputValueError("nodelist applies to networkx graphs only")
    if len(graph.shape) != 2 or graph.shape[0] != graph.shape[1]:
        raise NotSquareError(f"an adjacency matrix must be square (got shape {graph.shape})")
    if n is not None and n != graph.shape[0]:
        raise ShapeError(f"n={n} does not match the adjacency shape {graph.shape}")
    n = graph.shape[0]
    W = ns.csr(to_device(graph, ns) if not ns.issparse(graph) else graph.copy())
    W = W.astype(dt)
    if weight is None:
        W.data = xp.ones_like(W.data)
    if W.nnz and not bool(xp.isfinite(W.data).all()):
        raise InputValueError("adjacency entries contain NaN or Inf; remove those edges")
    WT = ns.csr(W.T)
    if mode is None:
        D = ns.csr(W - WT)
        scale = float(xp.abs(W.data).max()) if W.nnz else 0.0
        if D.nnz and float(xp.abs(D.data).max()) > 1e-12 * scale:
            raise NotSymmetricError(
                "the adjacency is not symmetric (a directed graph); pass symmetrize=True "
                f"(W + Wᵀ) or one of {sorted(SYMMETRIZE)}"
            )
    elif mode == "sum":
        W = ns.csr(W + WT)
    elif mode == "max":
        W = ns.csr(W.maximum(WT))
    else:
        W = ns.csr((W + WT) * 0.5)
    C = W.tocoo()
    return C.row.astype(xp.int64), C.col.astype(xp.int64), C.data, n


def adjacency(graph, *, weight="weight", nodelist=None, n=None, symmetrize=False,
              format="csr", dtype=np.float64, xp_name=None):
    """Symmetric weighted adjacency ``W`` assembled in the namespace.

    The conventions are :func:`sparsekit.adjacency`'s: edge arrays list
    undirected edges once each (a self-loop ``(i, i, w)`` puts ``w`` once on the
    diagonal), duplicates are summed, ``weight=None`` makes every weight 1, a
    nonsymmetric adjacency needs ``symmetrize=True`` (or ``"sum"``, ``"max"``,
    ``"mean"``).  Arguments as for :func:`laplacian`.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.backends import cupy_
    >>> cupy_.adjacency((np.array([0, 1]), np.array([1, 1])), n=2, xp_name="numpy").toarray()
    array([[0., 1.],
           [1., 1.]])
    """
    ns = resolve(xp_name, *(graph if isinstance(graph, tuple) else (graph,)))
    check_choice(format, FORMATS, "format")
    dt = _dtype(dtype)
    r, c, w, n = _graph_parts(ns, graph, weight=weight, nodelist=nodelist, n=n,
                              symmetrize=symmetrize, dt=dt)
    return _finish(ns, ns.coo(w, r, c, (n, n)), format)


def laplacian(graph, kind="combinatorial", *, weight="weight", nodelist=None, n=None,
              symmetrize=False, format="csr", dtype=np.float64, xp_name=None):
    """Graph Laplacian assembled in the namespace from edge arrays or a sparse adjacency.

    The conventions are :func:`sparsekit.laplacian`'s (``networkx.laplacian_matrix``'s):

    * edge arrays list *undirected* edges, each once: ``(i, j, w)`` sets
      ``W[i, j]`` and ``W[j, i]``; duplicates are summed;
    * a self-loop ``(i, i, w)`` puts ``w`` once on the diagonal of ``W`` and
      once in the degree of ``i``: it cancels in the combinatorial kind and
      shows in the others;
    * an isolated node has an all-zero row and column in every kind (``D⁺``).

    Parameters
    ----------
    graph : (rows, cols) or (rows, cols, weights), or a sparse adjacency
        Edge arrays (host or device) or a square adjacency (scipy or cupyx).
        Weights are conductances (``L = D − W``).  A networkx graph is built on
        the host (``backend="scipy"``) and moved with :func:`to_device`.
    kind : {"combinatorial", "normalized", "random_walk", "signless"}, default="combinatorial"
        ``D − W``, ``I − D^-1/2 W D^-1/2``, ``I − D^-1 W``, ``D + W``.
    weight : str or None, default="weight"
        ``None`` makes every edge weight 1 (stored values ignored); any string
        keeps the given weights (the attribute name matters for networkx only).
    nodelist : None
        networkx only; refused here.
    n : int, optional
        Number of nodes for edge arrays (default: largest id + 1).
    symmetrize : bool or {"sum", "max", "mean"}, default=False
        For a nonsymmetric adjacency: ``True``/``"sum"`` uses ``W + Wᵀ`` (as
        ``scipy.sparse.csgraph.laplacian(symmetrized=True)``); without it a
        nonsymmetric adjacency raises ``NotSymmetricError``.
    format : {"csr", "csc", "coo"}, default="csr"
        Output format.
    dtype : float or complex dtype, default=float64
        Output dtype (cupyx sparse matrices hold no integers).
    xp_name : {"cupy", "numpy"}, optional
        Namespace; default ``"cupy"``.

    Returns
    -------
    cupyx sparse matrix (scipy sparse array with ``xp_name="numpy"``)

    Notes
    -----
    Negative weights are refused for the normalized and random-walk kinds.

    See Also
    --------
    sparsekit.laplacian, scipy.sparse.csgraph.laplacian, networkx.laplacian_matrix

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.backends import cupy_
    >>> L = cupy_.laplacian((np.array([0, 1]), np.array([1, 2])), n=3, xp_name="numpy")
    >>> L.toarray()
    array([[ 1., -1.,  0.],
           [-1.,  2., -1.],
           [ 0., -1.,  1.]])
    """
    ns = resolve(xp_name, *(graph if isinstance(graph, tuple) else (graph,)))
    check_choice(kind, LAPLACIAN_KINDS, "kind")
    check_choice(format, FORMATS, "format")
    dt = _dtype(dtype)
    xp = ns.xp
    r, c, w, n = _graph_parts(ns, graph, weight=weight, nodelist=nodelist, n=n,
                              symmetrize=symmetrize, dt=dt)
    if w.size and not bool(xp.isfinite(w).all()):
        raise InputValueError("edge weights contain NaN or Inf; remove those edges")
    if kind in ("normalized", "random_walk") and w.size and bool((w.real < 0).any()):
        raise InputValueError(f"kind={kind!r} needs nonnegative edge weights (got "
                              f"{int(xp.count_nonzero(w.real < 0))} negative); use "
                              "kind='combinatorial' for a signed graph")
    deg = xp.bincount(r, weights=w.real, minlength=n).astype(dt)  # row sums of W
    if dt.kind == "c":
        deg = deg + 1j * xp.bincount(r, weights=w.imag, minlength=n)
    diag_idx = xp.arange(n, dtype=xp.int64)
    if kind == "combinatorial":
        data = xp.concatenate([-w, deg])
    elif kind == "signless":
        data = xp.concatenate([w, deg])
    else:
        isolated = deg == 0
        safe = xp.where(isolated, 1, deg)
        if kind == "normalized":
            s = 1.0 / xp.sqrt(safe)
            offd = -w * s[r] * s[c]
        else:
            offd = -w / safe[r]
        data = xp.concatenate([offd, xp.where(isolated, 0, 1).astype(dt)])
    rows = xp.concatenate([r, diag_idx])
    cols = xp.concatenate([c, diag_idx])
    return _finish(ns, ns.coo(data.astype(dt), rows, cols, (n, n)), format)


def _stencil_1d(ns: Namespace, m: int, bc: str, h: float, dt):
    """1-D second-difference matrix ``T/h²`` (Dirichlet [-1 2 -1], Neumann ends 1)."""
    xp = ns.xp
    diag = xp.full(m, 2.0, dtype=dt)
    if bc == "neumann":
        diag[0] = diag[-1] = 1.0
        if m == 1:
            diag[0] = 0.0
    i = xp.arange(m - 1, dtype=xp.int64)
    rows = xp.concatenate([xp.arange(m, dtype=xp.int64), i, i + 1])
    cols = xp.concatenate([xp.arange(m, dtype=xp.int64), i + 1, i])
    data = xp.concatenate([diag, -xp.ones(2 * (m - 1), dtype=dt)]) / (h * h)
    return ns.csr(ns.coo(data, rows, cols, (m, m)))


def poisson(shape, bc="dirichlet", *, h=None, coeffs=None, format="csr", dtype=np.float64,
            rows=None, xp_name=None):
    """Finite-difference ``−div(a grad u)`` on a 1-D/2-D/3-D grid, assembled in the namespace.

    The conventions are :func:`sparsekit.poisson`'s: row ``i`` has
    ``Σ_d 2 a_d / h_d²`` on the diagonal and ``−a_d / h_d²`` per neighbour along
    axis ``d``; nodes in C order (last axis fastest).

    Parameters
    ----------
    shape : int or tuple of int
        Interior grid points per axis, ``(nx,)``, ``(nx, ny)`` or ``(nx, ny, nz)``.
    bc : {"dirichlet", "neumann"}, default="dirichlet"
        Dirichlet: zero values one spacing beyond the grid (SPD).  Neumann
        (cell-centred): a boundary row loses the missing neighbour's diagonal
        share, every row sums to zero.
    h : float or tuple of float, optional
        Grid spacing, one value or one per axis; default 1 (the plain stencil;
        pass ``1/(n+1)`` for the unit square with Dirichlet conditions).
    coeffs : float or tuple of float, optional
        Coefficient ``a_d > 0`` per axis (anisotropy); default 1.
    format, dtype, xp_name
        As for :func:`laplacian`.
    rows : (start, stop), optional
        Only these rows: a ``(stop − start, N)`` block.

    Returns
    -------
    cupyx sparse matrix (scipy sparse array with ``xp_name="numpy"``)

    Notes
    -----
    Built as the Kronecker sum ``Σ_d a_d · I ⊗ … ⊗ T_d/h_d² ⊗ … ⊗ I`` of 1-D
    second differences; its Dirichlet eigenvalues are
    ``Σ_d a_d (4/h_d²) sin²(π j_d / (2(n_d+1)))``, ``j_d = 1..n_d``.

    See Also
    --------
    sparsekit.poisson, scipy.sparse.linalg.LaplacianNd

    Examples
    --------
    >>> from sparsekit.backends import cupy_
    >>> cupy_.poisson(3, xp_name="numpy").toarray()
    array([[ 2., -1.,  0.],
           [-1.,  2., -1.],
           [ 0., -1.,  2.]])
    """
    ns = resolve(xp_name)
    check_choice(bc, BOUNDARY_CONDITIONS, "bc")
    check_choice(format, FORMATS, "format")
    dt = _dtype(dtype)
    dims = grid_shape(shape)
    nd = len(dims)

    def per_axis(value, name):
        vals = (1.0,) * nd if value is None else (
            (float(value),) * nd if np.ndim(value) == 0 else tuple(float(x) for x in value))
        if len(vals) != nd:
            raise ShapeError(f"{name} must be a number or one value per axis ({nd}) "
                             f"(got {value!r})")
        if any(not np.isfinite(x) or x <= 0 for x in vals):
            raise InputValueError(f"{name} must be finite and > 0 (got {value!r})")
        return vals

    hs, cs = per_axis(h, "h"), per_axis(coeffs, "coeffs")
    N = int(np.prod(dims))
    start, stop = check_row_range(rows, N)
    A = None
    # Kronecker sum: Σ_d a_d · I ⊗ … ⊗ T_d ⊗ … ⊗ I
    for d in range(nd):
        term = None
        for e in range(nd):
            F = (_stencil_1d(ns, dims[e], bc, hs[e], dt) * cs[d] if e == d
                 else ns.identity(dims[e], dtype=dt))
            term = F if term is None else ns.kron(term, F)
        A = term if A is None else A + term
    A = ns.csr(A)
    if rows is not None:
        A = ns.csr(A[start:stop])
    return _finish(ns, A, format)


def _token_arrays(ns, tokens):
    """Concatenate documents; return (ids, document number per token).

    ``tokens``: one document (a 1-D array or a list of ints), a 2-D array
    (rows are documents), or a sequence of documents (as ``sk.cooccurrence``).
    """
    xp = ns.xp
    if hasattr(tokens, "ndim"):
        if tokens.ndim not in (1, 2):
            raise ShapeError(f"tokens must be 1-D (or 2-D, rows as documents) (got "
                             f"{tokens.ndim}-D)")
        docs = [tokens] if tokens.ndim == 1 else [tokens[i] for i in range(tokens.shape[0])]
    elif isinstance(tokens, (str, bytes)) or not hasattr(tokens, "__iter__"):
        raise InputValueError(f"tokens must be an array of integer token ids or a sequence "
                              f"of such arrays (got {type(tokens).__name__})")
    else:
        docs = list(tokens)
        if not docs or np.ndim(docs[0]) == 0:
            docs = [np.asarray(docs, dtype=np.int64)]
    arrs = [xp.asarray(to_device(np.asarray(d) if isinstance(d, (list, tuple)) else d, ns))
            .ravel() for d in docs]
    for a in arrs:
        if a.dtype.kind not in "iu":
            raise InputValueError(f"token ids must be integers (got dtype {a.dtype})")
    lengths = np.array([a.size for a in arrs], dtype=np.int64)
    ids = xp.concatenate(arrs).astype(xp.int64)
    doc = xp.repeat(xp.arange(len(arrs), dtype=xp.int64), lengths.tolist())  # cupy: host ints
    return ids, doc


def cooccurrence(tokens, window=5, *, vocab_size=None, symmetric=True, weighting="count",
                 min_count=None, chunk_size=1_000_000, format="csr", dtype=np.float64,
                 xp_name=None):
    """Token co-occurrence counts ``C[i, j]`` assembled in the namespace.

    A pair is two tokens at distance ``d = 1..window`` in the same document;
    it adds ``w_d`` (1, or ``1/d`` with ``weighting="harmonic"``) to
    ``C[first, second]`` and, with ``symmetric=True``, also to
    ``C[second, first]`` (so a repeated token adds ``2 w_d`` to its diagonal).

    Parameters
    ----------
    tokens : 1-D integer array or list of ints, 2-D array (rows are documents), or a
        sequence of 1-D arrays (documents)
        Token ids (host or device); windows never cross document boundaries.
    window : int, default=5
        Largest distance counted.
    vocab_size : int, optional
        ``V``; default largest id + 1.
    symmetric : bool, default=True
        Count both orders of each pair.
    weighting : {"count", "harmonic"}, default="count"
        Pair weight.
    min_count : int, optional
        Pairs involving a token that occurs fewer than ``min_count`` times are
        dropped (its row and column are empty; the shape stays ``V × V``).
    chunk_size : int, default=1_000_000
        Tokens per chunk: peak memory is about ``3 · window · chunk_size``
        index/weight entries plus the output matrix.
    format, dtype, xp_name
        As for :func:`laplacian`.

    Returns
    -------
    cupyx sparse matrix (scipy sparse array with ``xp_name="numpy"``), ``V × V``

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.backends import cupy_
    >>> C = cupy_.cooccurrence(np.array([0, 1, 2]), window=1, xp_name="numpy")
    >>> C.toarray()
    array([[0., 1., 0.],
           [1., 0., 1.],
           [0., 1., 0.]])
    """
    ns = resolve(xp_name, tokens if hasattr(tokens, "ndim") else None)
    check_choice(weighting, WEIGHTINGS, "weighting")
    check_choice(format, FORMATS, "format")
    window = positive_int(window, "window")
    chunk_size = positive_int(chunk_size, "chunk_size")
    dt = _dtype(dtype)
    xp = ns.xp
    ids, doc = _token_arrays(ns, tokens)
    N = int(ids.size)
    if N and int(ids.min()) < 0:
        raise InputValueError(f"token ids must be >= 0 (got {int(ids.min())})")
    top = int(ids.max()) if N else -1
    if vocab_size is None:
        vocab_size = top + 1
    V = positive_int(vocab_size, "vocab_size", minimum=0)
    if top >= V:
        raise InputValueError(f"token ids must be < vocab_size={V} (got id {top}); pass a "
                              "larger vocab_size")
    keep = None
    if min_count is not None:
        min_count = positive_int(min_count, "min_count")
        keep = xp.bincount(ids, minlength=V) >= min_count
    total = None
    for start in range(0, N, chunk_size):
        rows, cols, vals = [], [], []
        for d in range(1, window + 1):
            stop = min(start + chunk_size, N - d)  # first token positions p, pair (p, p+d)
            if stop <= start:
                break
            a, b = ids[start:stop], ids[start + d:stop + d]
            same = doc[start:stop] == doc[start + d:stop + d]
            if keep is not None:
                same &= keep[a] & keep[b]
            a, b = a[same], b[same]
            rows.append(a)
            cols.append(b)
            vals.append(xp.full(a.size, 1.0 if weighting == "count" else 1.0 / d, dtype=dt))
        if not rows:
            continue
        r, c, v = xp.concatenate(rows), xp.concatenate(cols), xp.concatenate(vals)
        if symmetric:
            r, c, v = xp.concatenate([r, c]), xp.concatenate([c, r]), xp.concatenate([v, v])
        C = ns.csr(ns.coo(v, r, c, (V, V)))
        total = C if total is None else ns.csr(total + C)
    if total is None:
        total = ns.csr(ns.coo(xp.zeros(0, dtype=dt), xp.zeros(0, xp.int64),
                              xp.zeros(0, xp.int64), (V, V)))
    return _finish(ns, total, format)
