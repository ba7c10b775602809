"""COO -> canonical CSR by sorting packed integer keys (the builders' assembly step).

SciPy's ``coo_array.tocsr()`` scatters the entries row by row and then sorts
each row's column indices; for ten million random entries that takes about
1 s on this project's 2-core machine.  When ``row * ncols + col`` and the
entry number fit together in 63 bits, one ``numpy.sort`` of packed ``int64``
keys (a SIMD sort on x86) orders the entries, the entry numbers in the low
bits carry the values along, and duplicates are summed in their original
order of their entry numbers (a mirrored copy counts as its original), which
is SciPy's order up to the rounding of sums of duplicates.
Otherwise SciPy's conversion is used.

Symmetric matrices pass each off-diagonal entry once (``mirror=True``) and
their diagonal as a vector (``diag=``): the mirrored copy shares the entry
number of its original, so a symmetric matrix with ``m`` off-diagonal pairs
needs only ``bit_length(m)`` index bits.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["assemble"]

#: below this many entries SciPy's conversion is as fast and simpler
_SMALL = 1 << 15


def _scipy(rows, cols, data, shape, mirror, diag, mirror_diagonal):
    if mirror:
        off = rows != cols if not mirror_diagonal else slice(None)
        rows, cols, data = (np.concatenate([rows, cols[off]]),
                            np.concatenate([cols, rows[off]]),
                            np.concatenate([data, data[off]]))
    if diag is not None:
        d = np.arange(shape[0])
        rows, cols = np.concatenate([rows, d]), np.concatenate([cols, d])
        data = np.concatenate([data, np.asarray(diag, dtype=data.dtype)])
    A = sp.coo_array((data, (rows, cols)), shape=shape).tocsr()
    A.sum_duplicates()
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
    >>> from sparsekit.build._assemble import assemble
    >>> assemble(np.array([1, 0, 1]), np.array([0, 1, 0]), np.array([1., 2., 3.]),
    ...          (2, 2)).toarray()
    array([[0., 2.],
           [4., 0.]])
    """
    nr, nc = int(shape[0]), int(shape[1])
    rows = np.asarray(rows)
    cols = np.asarray(cols)
    data = np.asarray(data)
    m = int(rows.size)
    nd = nr if diag is not None else 0
    kbits = max(nr * nc - 1, 1).bit_length()
    ibits = max(m + nd - 1, 1).bit_length()
    if m * (2 if mirror else 1) < _SMALL or kbits + ibits > 63:
        return _scipy(rows, cols, data, (nr, nc), mirror, diag, mirror_diagonal)
    total = m + (m if mirror else 0) + nd
    key = np.empty(total, dtype=np.int64)  # filled in place: no concatenation copies
    k = key[:m]
    np.multiply(rows, nc, out=k, dtype=np.int64)
    k += cols
    k <<= ibits
    k |= np.arange(m, dtype=np.int64)
    end = m
    if mirror:
        off = np.flatnonzero(rows != cols) if not mirror_diagonal else np.arange(m)
        k = key[m:m + off.size]
        np.multiply(cols[off], nc, out=k, dtype=np.int64)
        k += rows[off]
        k <<= ibits
        k |= off
        end = m + off.size
        del off
    if diag is not None:
        k = key[end:end + nr]
        np.multiply(np.arange(nr, dtype=np.int64), nc + 1, out=k)
        k <<= ibits
        k |= np.arange(m, m + nr, dtype=np.int64)
        end += nr
        data = np.concatenate([data, np.asarray(diag, dtype=data.dtype)])
    key = key[:end]
    del k
    key.sort()
    perm = key & ((1 << ibits) - 1)
    key >>= ibits
    vals = data[perm]
    del perm
    first = np.empty(key.size, dtype=bool)
    first[0] = True
    np.not_equal(key[1:], key[:-1], out=first[1:])
    dup = np.flatnonzero(~first)
    if dup.size > key.size // 8:
        # many duplicates (finite elements): sum each run
        vals = np.add.reduceat(vals, np.flatnonzero(first))
        key = key[first]
    elif dup.size:
        # few duplicates (graphs): add each to the first entry of its run, in sorted
        # (= input) order; the k-th duplicate at position p belongs to entry p - k - 1
        group = dup - np.arange(1, dup.size + 1)
        dvals = vals[dup]
        vals = vals[first]
        np.add.at(vals, group, dvals)
        key = key[first]
        del group, dvals
    del first, dup
    idx = np.int32 if max(key.size, nr, nc) < 2**31 - 1 else np.int64
    row = key // nc
    indptr = np.zeros(nr + 1, dtype=idx)
    np.cumsum(np.bincount(row, minlength=nr), out=indptr[1:])
    row *= nc
    key -= row
    del row
    A = sp.csr_array((vals, key.astype(idx), indptr), shape=(nr, nc))
    A.has_sorted_indices = True
    A.has_canonical_format = True
    return A


def _bincount(index, weights, n):
    if np.iscomplexobj(weights):
        return (np.bincount(index, weights.real, minlength=n)
                + 1j * np.bincount(index, weights.imag, minlength=n))
    return np.bincount(index, weights, minlength=n).astype(weights.dtype, copy=False)


def assemble_symmetric(rows, cols, data, n, *, diag=None):
    """Symmetric ``W + W^T``-style matrix from entries listed once, sorting only half.

    Each off-diagonal ``(i, j, w)`` adds ``w`` at ``(i, j)`` and ``(j, i)``; a
    diagonal one adds ``w`` once; ``diag`` is added to the diagonal.  The
    entries are oriented into the strict upper triangle ``U`` (one sort of
    ``m`` keys instead of ``2m``), the diagonal is a ``bincount``, and the
    result is ``U + U^T + D`` by SciPy's linear-time transpose and merge.
    Equal to ``assemble(rows, cols, data, (n, n), mirror=True, diag=diag)``
    up to the rounding of sums of duplicates.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.build._assemble import assemble_symmetric
    >>> assemble_symmetric(np.array([1, 0]), np.array([0, 0]), np.array([2., 5.]), 2,
    ...                    diag=np.ones(2)).toarray()
    array([[6., 2.],
           [2., 1.]])
    """
    rows = np.asarray(rows)
    cols = np.asarray(cols)
    data = np.asarray(data)
    lo = np.minimum(rows, cols)
    hi = np.maximum(rows, cols)
    on = lo == hi
    dvec = np.zeros(n, dtype=data.dtype)
    if diag is not None:
        dvec = dvec + np.asarray(diag, dtype=data.dtype)
    if on.any():
        dvec = dvec + _bincount(lo[on], data[on], n)
        keep = ~on
        lo, hi, data = lo[keep], hi[keep], data[keep]
    del on
    U = assemble(lo, hi, data, (n, n))
    del lo, hi, data
    S = U + U.T
    del U
    if diag is not None or dvec.any():
        S = S + sp.diags_array(dvec, format="csr")
    S = sp.csr_array(S)
    S.sort_indices()
    return S
