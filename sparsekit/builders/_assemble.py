"""COO -> canonical CSR by counting sorts (the builders' assembly step).

Every pass here is linear in the number of entries: a counting sort by row
(SciPy's ``coo_tocsr``, the kernel behind ``coo_array.tocsr()``), a sort of
each row's few column indices (``csr_sort_indices``), a merge of duplicates
(``csr_sum_duplicates``), a counting-sort transpose (``csr_tocsc``) and a
row-by-row concatenation (``csr_hstack``).  No comparison sort of all the
entries, so the cost does not hang on one CPU's sort speed (``numpy.sort``
of packed ``int64`` keys took 85-97 ns a key on the project's AMD EPYC, a
third of that on an Intel Xeon with AVX-512 sorting), and the kernels are
called with output buffers that are reused, because on the project's VM
touching fresh memory costs as much as the sorting (a new 88 MB array:
about 100 ms, a reused one 5 ms).

* :func:`assemble` -- any COO input.
* :func:`assemble_symmetric` -- symmetric matrices from entries listed once
  (edge lists, element matrices' upper triangles).  Only the upper triangle
  ``U`` (each pair oriented ``lo <= hi``, with one slot per diagonal entry)
  is sorted; the lower triangle is its transpose, and each row of the
  result is the strict lower row followed by the upper row:
  ``U + strict(U)^T``.  Callers that compute their entries in blocks fill
  the buffers of :func:`upper_buffers` in place (:func:`orient`) and call
  :func:`assemble_upper`, so no copy of the entries is made.

  A diagonal that is minus the off-diagonal row sum (``row_sum_diag=-1``:
  stiffness matrices, combinatorial Laplacians) is filled in after the
  sort, from the assembled rows, with no pass over the unsorted entries.
* :func:`mirror_upper` -- ``U + strict(U)^T`` for a canonical upper
  triangle (the co-occurrence counts' last step).

Duplicates are summed in SciPy's order (its per-row sort), and the two
copies of an off-diagonal entry come from one sum, so the result is
exactly symmetric.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse import _sparsetools as _kernels

__all__ = ["assemble", "assemble_symmetric", "assemble_upper", "mirror_upper", "orient",
           "upper_buffers"]


def index_dtype(*sizes):
    """``int32`` when every size (entries, rows, columns) fits, else ``int64``."""
    return np.int32 if max(sizes, default=0) < 2**31 - 1 else np.int64


#: above this many entries per row the rows are sorted by a second counting pass
#: (by column, then a stable transpose) instead of each row's comparison sort:
#: co-occurrence counts (Zipf rows, hundreds of thousands long) took 2.9 s in
#: per-row sorts and 0.8 s in the two passes; graphs and meshes (6-20 per row)
#: sort their short rows faster than a second pass over memory
_LONG_ROWS = 32


def _canonical_rows(n_row, n_col, major, minor, data, Bp, Bj, Bx):
    """Counting sort by ``major`` into ``(Bp, Bj, Bx)``, rows sorted, duplicates summed.

    Returns the number of entries kept (``Bp[-1]``); ``Bj`` and ``Bx`` are
    compacted in place.  Short rows are sorted one by one (SciPy's
    ``csr_sort_indices``); long ones by a least-significant-digit radix
    sort: a counting sort by column, then by row (a transpose), both stable.
    """
    if major.size > _LONG_ROWS * max(n_row, 1):
        Tp = np.empty(n_col + 1, dtype=Bp.dtype)
        Tj = np.empty(major.size, dtype=Bj.dtype)
        Tx = np.empty(major.size, dtype=Bx.dtype)
        _kernels.coo_tocsr(n_col, n_row, major.size, minor, major, data, Tp, Tj, Tx)
        _kernels.csr_tocsc(n_col, n_row, Tp, Tj, Tx, Bp, Bj, Bx)
        del Tp, Tj, Tx
    else:
        _kernels.coo_tocsr(n_row, n_col, major.size, major, minor, data, Bp, Bj, Bx)
        _kernels.csr_sort_indices(n_row, Bp, Bj, Bx)
    _kernels.csr_sum_duplicates(n_row, n_col, Bp, Bj, Bx)
    return int(Bp[-1])


def _csr(data, indices, indptr, shape):
    A = sp.csr_array((data, indices, indptr), shape=shape)
    A.has_sorted_indices = True
    A.has_canonical_format = True
    return A


def assemble(rows, cols, data, shape, *, mirror=False, mirror_diagonal=False, diag=None):
    """Canonical CSR (sorted indices, duplicates summed) from COO parts.

    Parameters
    ----------
    rows, cols : ndarray of int
        Entry coordinates, already checked to be in range.
    data : ndarray
        Entry values; the result has their dtype.
    shape : tuple of int
        Matrix shape.
    mirror : bool, default=False
        Also add every entry transposed (``W + W^T`` for an edge list);
        diagonal entries are added once unless ``mirror_diagonal``.
    mirror_diagonal : bool, default=False
        With ``mirror``, add diagonal entries twice too.
    diag : ndarray, optional
        Values added to the diagonal (square matrices); the diagonal is then
        stored in full, zeros included.

    Returns
    -------
    csr_array

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.builders._assemble import assemble
    >>> assemble(np.array([1, 0, 1]), np.array([0, 1, 0]), np.array([1., 2., 3.]),
    ...          (2, 2)).toarray()
    array([[0., 2.],
           [4., 0.]])
    """
    nr, nc = int(shape[0]), int(shape[1])
    rows, cols, data = np.asarray(rows).ravel(), np.asarray(cols).ravel(), np.asarray(data).ravel()
    if mirror:
        off = rows != cols if not mirror_diagonal else slice(None)
        rows, cols, data = (np.concatenate([rows, cols[off]]), np.concatenate([cols, rows[off]]),
                            np.concatenate([data, data[off]]))
    m = rows.size
    nd = nr if diag is not None else 0
    idx = index_dtype(m + nd, nr, nc)
    if nd == 0 and rows.dtype == idx and cols.dtype == idx:
        major, minor, vals = rows, cols, data
    else:
        major = np.empty(m + nd, dtype=idx)
        minor = np.empty(m + nd, dtype=idx)
        vals = np.empty(m + nd, dtype=data.dtype)
        major[:m], minor[:m], vals[:m] = rows, cols, data
        if nd:
            major[m:] = np.arange(nr, dtype=idx)
            minor[m:] = major[m:]
            vals[m:] = diag
    indptr = np.empty(nr + 1, dtype=idx)
    indices = np.empty(m + nd, dtype=idx)
    out = np.empty(m + nd, dtype=vals.dtype)
    k = _canonical_rows(nr, nc, major, minor, vals, indptr, indices, out)
    del major, minor, vals
    if 4 * k < 3 * (m + nd):  # many duplicates: do not keep the unused tail alive
        return _csr(out[:k].copy(), indices[:k].copy(), indptr, (nr, nc))
    return _csr(out[:k], indices[:k], indptr, (nr, nc))


class UpperBuffers:
    """The buffers of one symmetric assembly, filled by the caller then by :func:`assemble_upper`.

    ``lo``, ``hi`` and ``values`` (length ``m``) take the entries, oriented
    ``lo <= hi`` (:func:`orient`); with ``full_diagonal`` one slot per row
    follows them.  Both index arrays and the values live in buffers of twice
    that length, so the sorted upper triangle and its transpose are written
    next to each other and every later pass reuses memory already touched.
    """

    __slots__ = ("m", "n", "full", "size", "ibuf", "hi_all", "dbuf", "lo", "hi", "values")

    def __init__(self, m, n, dtype, full_diagonal):
        self.m, self.n, self.full = int(m), int(n), bool(full_diagonal)
        self.size = self.m + (self.n if self.full else 0)
        idx = index_dtype(2 * self.size, self.n + 1)
        self.ibuf = np.empty(2 * self.size, dtype=idx)
        self.hi_all = np.empty(self.size, dtype=idx)
        self.dbuf = np.empty(2 * self.size, dtype=dtype)
        self.lo = self.ibuf[:self.m]
        self.hi = self.hi_all[:self.m]
        self.values = self.dbuf[:self.m]


def upper_buffers(m, n, dtype=np.float64, *, full_diagonal=True):
    """Buffers for ``m`` upper-triangle entries of an ``n x n`` symmetric matrix.

    Fill ``buf.lo``, ``buf.hi`` (:func:`orient`) and ``buf.values``, then
    call :func:`assemble_upper`.
    """
    return UpperBuffers(m, n, np.dtype(dtype), full_diagonal)


def orient(a, b, lo, hi):
    """``lo = min(a, b)``, ``hi = max(a, b)``: ``(i, j)`` and ``(j, i)`` get one position."""
    np.minimum(a, b, out=lo, casting="unsafe")
    np.maximum(a, b, out=hi, casting="unsafe")


def assemble_upper(buf, *, diag=None, row_sum_diag=None):
    """The symmetric matrix whose upper triangle holds the entries written into ``buf``.

    Parameters
    ----------
    buf : UpperBuffers
        From :func:`upper_buffers`, its ``lo``, ``hi`` and ``values`` filled;
        consumed.
    diag : ndarray of shape (n,), optional
        Added to the diagonal (needs ``full_diagonal``).
    row_sum_diag : float, optional
        Also add ``row_sum_diag`` times the sum of each row's off-diagonal
        entries to its diagonal (needs ``full_diagonal``).

    Returns
    -------
    csr_array
        Canonical; with ``full_diagonal`` every diagonal entry is stored.
    """
    n, m, size = buf.n, buf.m, buf.size
    lo, hi, vals = buf.ibuf[:size], buf.hi_all, buf.dbuf[:size]
    if buf.full:
        lo[m:] = np.arange(n, dtype=lo.dtype)
        hi[m:] = lo[m:]
        vals[m:] = 0 if diag is None else diag
    Up = np.empty(n + 1, dtype=lo.dtype)
    K = _canonical_rows(n, n, lo, hi, vals, Up, buf.ibuf[size:], buf.dbuf[size:])
    buf.hi_all = buf.hi = hi = None
    return _mirror(Up, buf.ibuf, buf.dbuf, size, K, n, full=buf.full,
                   row_sum_diag=row_sum_diag)


def _mirror(Up, ibuf, dbuf, at, K, n, *, full, row_sum_diag=None):
    """``U + strict(U)^T`` with ``U``'s ``K`` entries at ``ibuf[at:]``/``dbuf[at:]``, ``at >= K``.

    The transpose is written just before ``U`` (``[at - K, at)``) with the
    diagonal entries sent to an extra first row (column ``-1`` of ``U``,
    shifted to 0), so the strict lower triangle and ``U`` are adjacent and one
    ``csr_hstack`` writes each row as its lower part followed by its upper
    part.  With ``full`` (a stored diagonal in every row) and ``row_sum_diag``,
    the diagonal, which sits after each row's lower part, gets ``row_sum_diag``
    times the row's off-diagonal sum added.
    """
    Ui, Ud = ibuf[at:at + K], dbuf[at:at + K]
    first = Up[:-1]
    if full:
        on_diag = first
    else:
        rows = np.flatnonzero(Up[1:] > first)
        on_diag = first[rows][Ui[first[rows]] == rows]
    t = on_diag.size
    saved = Ui[on_diag].copy()
    Ui += 1
    Ui[on_diag] = 0
    Lp = np.empty(n + 2, dtype=Up.dtype)
    _kernels.csr_tocsc(n, n + 1, Up, Ui, Ud, Lp, ibuf[at - K:at], dbuf[at - K:at])
    Ui -= 1
    Ui[on_diag] = saved
    del saved
    cat = np.empty(2 * (n + 1), dtype=Up.dtype)
    np.subtract(Lp[1:], t, out=cat[:n + 1])
    cat[n + 1:] = Up
    N = 2 * K - t
    Sp = np.empty(n + 1, dtype=index_dtype(N, n + 1))
    if Sp.dtype != Up.dtype:
        cat = cat.astype(Sp.dtype)
    Si = np.empty(N, dtype=Sp.dtype)
    Sd = np.empty(N, dtype=dbuf.dtype)
    lo_i = ibuf[at - K + t:at + K]
    if lo_i.dtype != Sp.dtype:
        lo_i = lo_i.astype(Sp.dtype)
    _kernels.csr_hstack(2, n, np.zeros(2, dtype=Sp.dtype), cat, lo_i,
                        dbuf[at - K + t:at + K], Sp, Si, Sd)
    if full and row_sum_diag is not None and n:
        # the diagonal of row i follows its strict lower part: Sp[i] + (L row length)
        at_diag = Sp[:-1] + np.diff(cat[:n + 1])
        d = Sd[at_diag]
        Sd[at_diag] = 0
        s = np.add.reduceat(Sd, Sp[:-1])  # every row holds its diagonal: none is empty
        s *= row_sum_diag
        s += d
        Sd[at_diag] = s
    return _csr(Sd, Si, Sp, (n, n))


def assemble_symmetric(rows, cols, data, n, *, diag=None, row_sum_diag=None):
    """Symmetric matrix from entries listed once: each pair is stored twice.

    Each off-diagonal ``(i, j, w)`` adds ``w`` at ``(i, j)`` and ``(j, i)``; a
    diagonal one adds ``w`` once (a self-loop).

    Parameters
    ----------
    rows, cols : ndarray of int
        Entry coordinates in ``[0, n)``, any orientation.
    data : ndarray
        Entry values (real or complex); the result has their dtype.
    n : int
        Matrix size.
    diag : ndarray of shape (n,), optional
        Added to the diagonal.
    row_sum_diag : float, optional
        Also add ``row_sum_diag`` times the sum of each row's off-diagonal
        entries to its diagonal: ``-1`` gives rows summing to zero (stiffness
        matrices, combinatorial Laplacians) without a pass computing degrees.

    Returns
    -------
    csr_array
        Canonical: sorted indices, duplicates summed.  With ``diag`` or
        ``row_sum_diag`` every diagonal entry is stored.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.builders._assemble import assemble_symmetric
    >>> assemble_symmetric(np.array([1, 0]), np.array([0, 0]), np.array([2., 5.]), 2,
    ...                    diag=np.ones(2)).toarray()
    array([[6., 2.],
           [2., 1.]])
    >>> assemble_symmetric(np.array([0, 1]), np.array([1, 2]), np.array([-1., -1.]), 3,
    ...                    row_sum_diag=-1).toarray()
    array([[ 1., -1.,  0.],
           [-1.,  2., -1.],
           [ 0., -1.,  1.]])
    """
    rows, cols, data = np.asarray(rows).ravel(), np.asarray(cols).ravel(), np.asarray(data).ravel()
    full = diag is not None or row_sum_diag is not None
    buf = upper_buffers(rows.size, n, data.dtype, full_diagonal=full)
    orient(rows, cols, buf.lo, buf.hi)
    buf.values[:] = data
    return assemble_upper(buf, diag=diag, row_sum_diag=row_sum_diag)


def mirror_upper(U):
    """``U + strict(U)^T`` for a canonical CSR upper triangle ``U`` (diagonal optional).

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from sparsekit.builders._assemble import mirror_upper
    >>> mirror_upper(sp.csr_array(np.array([[1., 2.], [0., 3.]]))).toarray()
    array([[1., 2.],
           [2., 3.]])
    """
    n, K = U.shape[0], U.nnz
    idx = index_dtype(2 * K, n + 1)
    ibuf = np.empty(2 * K, dtype=idx)
    dbuf = np.empty(2 * K, dtype=U.dtype)
    ibuf[K:] = U.indices
    dbuf[K:] = U.data
    Up = U.indptr.astype(idx, copy=False)
    return _mirror(Up, ibuf, dbuf, K, K, n, full=False)
