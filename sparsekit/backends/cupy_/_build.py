"""Matrix builders in the namespace: Laplacians from edge arrays, Poisson stencils, co-occurrence.

Each assembles one COO matrix in the namespace (cupyx or scipy) and lets the
sparse library sum duplicates; no Python loop runs over edges or tokens (only
over window offsets, stencil dimensions and token chunks).  cupyx sparse
matrices hold floating-point data only, so every builder returns float (or
complex) matrices.
"""

from __future__ import annotations

import numpy as np

from ..._validate import check_choice, positive_int
from ...errors import InputValueError, NotSymmetricError, ShapeError
from ._namespace import Namespace, resolve, to_device

__all__ = ["laplacian", "poisson", "cooccurrence", "KINDS", "FORMATS", "BCS", "WEIGHTINGS"]

KINDS = {
    "combinatorial": "D − W",
    "normalized": "I − D^-1/2 W D^-1/2 (0 on the diagonal of isolated nodes)",
    "random_walk": "I − D^-1 W (0 on the diagonal of isolated nodes)",
    "signless": "D + W",
}
FORMATS = {"csr": "compressed rows", "csc": "compressed columns", "coo": "triplets"}
BCS = {"dirichlet": "u = 0 outside the grid", "neumann": "zero normal derivative"}
WEIGHTINGS = {"count": "every pair in the window counts 1",
              "harmonic": "a pair at distance d counts 1/d (GloVe)"}


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


def _edge_arrays(ns, graph, n):
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
    if len(graph) == 3:
        w = xp.asarray(to_device(graph[2], ns)).ravel()
        if w.shape != rows.shape:
            raise ShapeError(f"weights must have one entry per edge (got {w.size} for "
                             f"{rows.size} edges)")
    else:
        w = None
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


def laplacian(graph, kind="combinatorial", *, weight="weight", nodelist=None, n=None,
              symmetrize=False, format="csr", dtype=np.float64, xp_name=None):
    """Graph Laplacian assembled in the namespace from edge arrays or a sparse adjacency.

    Parameters
    ----------
    graph : (rows, cols) or (rows, cols, weights), or a sparse adjacency
        Edge arrays (host or device) of an undirected graph, each edge listed
        once (listing it in both directions doubles its weight), or a square
        adjacency matrix (scipy or cupyx).  Weights are conductances
        (``L = D − W``).  networkx graphs are built on the host
        (``backend="scipy"``) and moved with :func:`to_device`.
    kind : {"combinatorial", "normalized", "random_walk", "signless"}, default="combinatorial"
        See :data:`KINDS`.  Isolated nodes get 0 on the diagonal of the
        normalized and random-walk kinds (as networkx and csgraph).
    weight, nodelist
        networkx options, accepted for signature parity and unused here.
    n : int, optional
        Number of nodes for edge arrays (default: largest id + 1).
    symmetrize : bool, default=False
        For a nonsymmetric adjacency, use ``W + Wᵀ`` (as
        ``scipy.sparse.csgraph.laplacian(symmetrized=True)``); otherwise a
        nonsymmetric adjacency is an error.
    format : {"csr", "csc", "coo"}, default="csr"
        Output format.
    dtype : float or complex dtype, default=float64
        Output dtype.
    xp_name : {"cupy", "numpy"}, optional
        Namespace; default ``"cupy"``.

    Returns
    -------
    cupyx sparse matrix (scipy sparse array with ``xp_name="numpy"``)

    Notes
    -----
    Self-loops are ignored (``scipy.sparse.csgraph.laplacian`` ignores the
    diagonal of the adjacency too); duplicate edges are summed.  Negative
    weights are refused for the normalized and random-walk kinds.

    See Also
    --------
    scipy.sparse.csgraph.laplacian, networkx.laplacian_matrix

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
    check_choice(kind, KINDS, "kind")
    check_choice(format, FORMATS, "format")
    dt = _dtype(dtype)
    xp = ns.xp
    if isinstance(graph, tuple):
        r, c, w, n = _edge_arrays(ns, graph, n)
        w = xp.ones(r.size, dtype=dt) if w is None else w.astype(dt)
        # each undirected edge contributes W[r, c] and W[c, r]
        r, c, w = xp.concatenate([r, c]), xp.concatenate([c, r]), xp.concatenate([w, w])
    elif type(graph).__module__.split(".")[0] == "networkx":
        raise InputValueError("the GPU builders take edge arrays or a sparse adjacency, "
                              "not a networkx graph; build it with backend='scipy' and "
                              "move it with sparsekit.backends.cupy_.to_device")
    elif hasattr(graph, "shape"):
        W = to_device(graph, ns) if not ns.issparse(graph) else graph
        W = W if ns.issparse(W) else ns.csr(W)
        if W.ndim != 2 or W.shape[0] != W.shape[1]:
            raise ShapeError(f"an adjacency matrix must be square (got shape {W.shape})")
        n = W.shape[0]
        W = ns.csr(W).astype(dt)
        WT = ns.csr(W.T)
        D = ns.csr(W - WT)
        if D.nnz and float(xp.abs(D.data).max()) > 0:
            if not symmetrize:
                raise NotSymmetricError(
                    "the adjacency is not symmetric (a directed graph); pass "
                    "symmetrize=True to use W + Wᵀ"
                )
            W = ns.csr(W + WT)
        Wc = W.tocoo()
        r, c, w = Wc.row.astype(xp.int64), Wc.col.astype(xp.int64), Wc.data
    else:
        raise InputValueError(
            f"graph must be (rows, cols[, weights]) edge arrays or a sparse adjacency "
            f"(got {type(graph).__name__}); a networkx graph is built on the host"
        )
    if w.size and not bool(xp.isfinite(w).all()):
        raise InputValueError("edge weights contain NaN or Inf; remove those edges")
    if kind in ("normalized", "random_walk") and w.size and bool((w.real < 0).any()):
        raise InputValueError(f"kind={kind!r} needs nonnegative weights (got "
                              f"{int(xp.count_nonzero(w.real < 0))} negative entries)")
    off = r != c  # self-loops are ignored
    r, c, w = r[off], c[off], w[off]
    deg = xp.bincount(r, weights=w.real, minlength=n).astype(dt)
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
            xp_name=None):
    """Finite-difference Laplacian ``−∇·(c∇u)`` on a 1-D/2-D/3-D grid, in the namespace.

    Parameters
    ----------
    shape : int or tuple of int
        Grid points per dimension, ``(nx,)``, ``(nx, ny)`` or ``(nx, ny, nz)``;
        unknowns are ordered with the last index fastest (C order).
    bc : {"dirichlet", "neumann"}, default="dirichlet"
        Dirichlet: the 3/5/7-point stencil ``[-1, 2, -1]/h²`` per dimension.
        Neumann: the ends of each dimension get 1 instead of 2 (rows sum to 0,
        the constant vector spans the null space).
    h : float or tuple of float, optional
        Grid spacing per dimension; default ``1/(n+1)`` (Dirichlet: unit
        interval, boundary points excluded) or ``1/n`` (Neumann: cell centres).
    coeffs : tuple of float, optional
        Diffusion coefficient per dimension (anisotropy); default all 1.
    format, dtype, xp_name
        As for :func:`laplacian`.

    Returns
    -------
    cupyx sparse matrix (scipy sparse array with ``xp_name="numpy"``)

    Notes
    -----
    The Dirichlet eigenvalues are ``Σ_d c_d (4/h_d²) sin²(π j_d / (2(n_d+1)))``,
    ``j_d = 1..n_d``.

    See Also
    --------
    scipy.sparse.linalg.LaplacianNd

    Examples
    --------
    >>> from sparsekit.backends import cupy_
    >>> cupy_.poisson(3, h=1.0, xp_name="numpy").toarray()
    array([[ 2., -1.,  0.],
           [-1.,  2., -1.],
           [ 0., -1.,  2.]])
    """
    ns = resolve(xp_name)
    check_choice(bc, BCS, "bc")
    check_choice(format, FORMATS, "format")
    dt = _dtype(dtype)
    dims = (shape,) if np.isscalar(shape) else tuple(shape)
    if not 1 <= len(dims) <= 3:
        raise ShapeError(f"shape must have 1, 2 or 3 dimensions (got {shape!r})")
    dims = tuple(positive_int(m, "shape") for m in dims)
    nd = len(dims)
    if h is None:
        hs = tuple(1.0 / (m + 1) if bc == "dirichlet" else 1.0 / m for m in dims)
    else:
        hs = (float(h),) * nd if np.isscalar(h) else tuple(float(x) for x in h)
    cs = (1.0,) * nd if coeffs is None else tuple(float(x) for x in coeffs)
    if len(hs) != nd or len(cs) != nd:
        raise ShapeError(f"h and coeffs need one value per dimension ({nd}); got h={h!r}, "
                         f"coeffs={coeffs!r}")
    if any(not np.isfinite(x) or x <= 0 for x in hs + cs):
        raise InputValueError(f"h and coeffs must be finite and > 0 (got h={hs}, coeffs={cs})")
    N = int(np.prod(dims))
    A = None
    # Kronecker sum: Σ_d c_d · I ⊗ … ⊗ T_d ⊗ … ⊗ I
    for d in range(nd):
        term = None
        for e in range(nd):
            F = (_stencil_1d(ns, dims[e], bc, hs[e], dt) * cs[d] if e == d
                 else ns.identity(dims[e], dtype=dt))
            term = F if term is None else ns.kron(term, F)
        A = term if A is None else A + term
    if A.shape != (N, N):  # pragma: no cover - the Kronecker sum is N × N by construction
        raise ShapeError(f"internal error: Poisson matrix of shape {A.shape}, expected {N}")
    return _finish(ns, A, format)


def _token_arrays(ns, tokens):
    """Concatenate documents; return (ids, document number per token)."""
    xp = ns.xp
    docs = [tokens] if (hasattr(tokens, "ndim") and tokens.ndim == 1) else list(tokens)
    if not docs:
        raise InputValueError("tokens is empty: give a 1-D array of token ids or a list of "
                              "documents")
    arrs = [xp.asarray(to_device(d, ns)).ravel() for d in docs]
    for a in arrs:
        if a.dtype.kind not in "iu":
            raise InputValueError(f"token ids must be integers (got dtype {a.dtype})")
    lengths = np.array([a.size for a in arrs], dtype=np.int64)
    ids = xp.concatenate(arrs).astype(xp.int64) if arrs else xp.zeros(0, xp.int64)
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
    tokens : 1-D integer array, or a sequence of them (documents)
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
    ns = resolve(xp_name, *((tokens,) if hasattr(tokens, "ndim") else tuple(tokens)))
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
