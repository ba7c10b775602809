"""COO -> canonical CSR by sorting packed integer keys (the builders' assembly step).

SciPy's ``coo_array.tocsr()`` scatters the entries row by row and then sorts
each row's column indices; for ten million random entries that takes about
1 s on this project's 2-core machine.  When the position and the entry
number fit together in 63 bits, one ``numpy.sort`` of packed ``int64`` keys
(a SIMD sort on x86) orders the entries, and the entry numbers in the low
bits carry the values along.  Duplicates are summed in the order of their
entry numbers, which is SciPy's order up to the rounding of sums of
duplicates.  Otherwise SciPy's conversion is used.

* :func:`assemble` -- any COO input.
* :func:`assemble_symmetric` -- symmetric matrices from entries listed once
  (edge lists, element matrices' upper triangles), two ways:

  - both copies of every entry and one slot per diagonal entry in one sort
    (``(row << cbits | col) << ibits | entry``), then SciPy's linear
    ``sum_duplicates``: best for scattered entries (random graphs), where a
    transpose would be a random scatter;
  - ``half=True`` (:func:`assemble_symmetric_keys`): only the upper triangle
    with the diagonal slots, ``U``, is sorted, then ``U + U^T`` by SciPy's
    linear CSR -> CSC transpose and canonical merge: best for finite elements,
    whose entries come in duplicate pairs with local indices.

  A diagonal that is minus the off-diagonal row sum (``row_sum_diag=-1``:
  stiffness matrices, combinatorial Laplacians) is filled in after the sort,
  with no pass over the unsorted entries.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["assemble", "assemble_symmetric", "assemble_symmetric_keys", "pack_upper",
           "symmetric_key_bits"]

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
    >>> from sparsekit.builders._assemble import assemble
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


def symmetric_key_bits(n, m, *, full_diagonal):
    """``(cbits, ibits)`` of the packed upper-triangle keys, or ``None`` (SciPy's path).

    A key is ``(lo << cbits | hi) << ibits | entry``: ``cbits`` bits per node
    id and ``ibits`` for the entry number (the ``m`` entries, then one
    diagonal slot per row with ``full_diagonal``).  ``None`` when the key
    needs more than 63 bits or the input is small.
    """
    nd = n if full_diagonal else 0
    cbits = max(n - 1, 1).bit_length()
    ibits = max(m + nd - 1, 1).bit_length()
    if m < _SMALL or 2 * cbits + ibits > 63:
        return None
    return cbits, ibits


def pack_upper(a, b, first, cbits, ibits, out):
    """Write the keys of entries ``first, first + 1, ...`` at ``(a, b)`` into ``out``.

    The pair is oriented into the upper triangle (``lo = min``, ``hi = max``),
    so ``(i, j)`` and ``(j, i)`` get the same position key.
    """
    np.minimum(a, b, out=out)
    out <<= cbits
    out |= np.maximum(a, b)
    out <<= ibits
    out += np.arange(first, first + out.size, dtype=np.int64)


def assemble_symmetric(rows, cols, data, n, *, diag=None, row_sum_diag=None, half=False):
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
    half : bool, default=False
        Sort only the upper triangle and add its transpose
        (:func:`assemble_symmetric_keys`): faster when the entries have many
        duplicates and local indices (finite elements); the default sorts
        both copies at once, faster for scattered entries (random graphs).

    Returns
    -------
    csr_array
        Canonical: sorted indices, duplicates summed in entry order.  With
        ``diag`` or ``row_sum_diag`` every diagonal entry is stored; with
        ``half`` (SciPy's merge) sums that are exactly zero are not.

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
    rows = np.asarray(rows).ravel()
    cols = np.asarray(cols).ravel()
    data = np.asarray(data).ravel()
    m = rows.size
    full = diag is not None or row_sum_diag is not None
    if half:
        bits = symmetric_key_bits(n, m, full_diagonal=full)
        if bits is None:
            return _symmetric_scipy(rows, cols, data, n, diag, row_sum_diag)
        key = np.empty(m + (n if full else 0), dtype=np.int64)
        pack_upper(rows, cols, 0, *bits, key[:m])
        return assemble_symmetric_keys(key, data, n, *bits, diag=diag,
                                       row_sum_diag=row_sum_diag)
    # both copies in one sort: entries 0..m-1, a zero at m, the diagonal at m+1..m+n
    cbits = max(n - 1, 1).bit_length()
    ibits = (m + n).bit_length()
    if m < _SMALL or 2 * cbits + ibits > 63:
        return _symmetric_scipy(rows, cols, data, n, diag, row_sum_diag)
    loops = np.flatnonzero(rows == cols)
    nd = n if full else 0
    key = np.empty(2 * m + nd, dtype=np.int64)
    ids = np.arange(m, dtype=np.int64)
    for k, (a, b) in enumerate(((rows, cols), (cols, rows))):
        out = key[k * m:(k + 1) * m]
        out[:] = a
        out <<= cbits
        out |= b
        out <<= ibits
        out |= ids
    del ids
    if loops.size:
        # a self-loop is stored once: its mirrored copy points at the zero
        key[m + loops] = ((key[m + loops] >> ibits) << ibits) | m
    if full:
        d = key[2 * m:]
        np.multiply(np.arange(n, dtype=np.int64), (1 << cbits) + 1, out=d)
        d <<= ibits
        d += np.arange(m + 1, m + 1 + n, dtype=np.int64)
        del d
    ext = np.empty(m + 1 + nd, dtype=data.dtype)
    ext[:m] = data
    ext[m] = 0
    if full:
        ext[m + 1:] = 0 if diag is None else diag
    key.sort()
    perm = key & ((1 << ibits) - 1)
    vals = ext[perm]
    del ext
    key >>= ibits
    idx = np.int32 if key.size < 2**31 - 1 else np.int64
    hi = np.empty(key.size, dtype=idx)
    np.bitwise_and(key, (1 << cbits) - 1, out=hi, casting="unsafe")
    key >>= cbits  # the row
    indptr = np.zeros(n + 1, dtype=idx)
    np.cumsum(np.bincount(key, minlength=n), out=indptr[1:])
    if row_sum_diag is not None:
        # row sums before the diagonal is known: rows are sorted, so this bincount
        # streams; remove what sits on the diagonal (the given diag, self-loops)
        s = _bincount(key, vals, n)
        if diag is not None:
            s -= np.asarray(diag, dtype=s.dtype)
        if loops.size:
            s -= _bincount(rows[loops], data[loops], n)
        s *= row_sum_diag
        vals[np.flatnonzero(perm > m)] += s  # the diagonal slots, in row order
        del s
    del key, perm
    A = sp.csr_array((vals, hi, indptr), shape=(n, n))
    A.has_sorted_indices = True
    A.sum_duplicates()
    return A


def assemble_symmetric_keys(key, data, n, cbits, ibits, *, diag=None, row_sum_diag=None):
    """:func:`assemble_symmetric` from keys written by :func:`pack_upper`.

    ``key`` holds the ``m`` entry keys followed, with ``diag`` or
    ``row_sum_diag``, by ``n`` slots this function fills with the diagonal's
    keys; it is sorted in place (the caller's buffer is consumed).  ``data``
    holds the ``m`` values, or ``m + n`` with the diagonal's (zeros, say)
    already after them, which saves a copy.

    The upper triangle with the diagonal, ``U``, comes out of one sort: the
    unique positions in CSR order, duplicates summed in entry order.  The
    result is ``U + (U - diag U)^T``: SciPy's linear-time CSR -> CSC
    transpose and its merge of two canonical matrices.
    """
    data = np.asarray(data).ravel()
    full = diag is not None or row_sum_diag is not None
    m = key.size - n if full else key.size
    if full:
        d = key[m:]
        np.multiply(np.arange(n, dtype=np.int64), (1 << cbits) + 1, out=d)
        d <<= ibits
        d += np.arange(m, m + n, dtype=np.int64)
        del d
        if data.size == m:
            dvals = np.zeros(n, dtype=data.dtype) if diag is None \
                else np.asarray(diag, dtype=data.dtype)
            data = np.concatenate([data, dvals])
            del dvals
        elif diag is not None:
            data = data.copy()
            data[m:] += diag
    key.sort()
    vals = data[key & ((1 << ibits) - 1)]
    del data
    key >>= ibits
    total = key.size
    idx = np.int32 if 2 * total < 2**31 - 1 else np.int64
    hi = np.empty(total, dtype=idx)
    np.bitwise_and(key, (1 << cbits) - 1, out=hi, casting="unsafe")
    key >>= cbits  # the row, lo
    Uptr = np.zeros(n + 1, dtype=idx)
    np.cumsum(np.bincount(key, minlength=n), out=Uptr[1:])
    del key
    U = sp.csr_array((vals, hi, Uptr), shape=(n, n))
    del vals, hi
    U.has_sorted_indices = True
    # duplicates sit next to each other: SciPy sums each run in one linear pass, in
    # sorted (= entry) order
    U.sum_duplicates()
    if row_sum_diag is not None:
        # every row opens with its diagonal; U 1 + U^T 1 counts it twice
        at = U.indptr[:-1]
        one = np.ones(n, dtype=U.dtype)
        s = U @ one
        s += U.T @ one
        s -= 2 * U.data[at]
        s *= row_sum_diag
        U.data[at] += s
        del s, at, one
    C = U.tocsc()  # U^T in CSR: column j of U lists rows <= j, the diagonal last
    last = C.indptr[1:] - 1
    if full:
        C.data[last] = 0
    else:
        j = np.flatnonzero(C.indptr[1:] > C.indptr[:-1])
        j = j[C.indices[last[j]] == j]
        C.data[last[j]] = 0
    L = sp.csr_array((C.data, C.indices, C.indptr), shape=(n, n))
    del C
    L.has_sorted_indices = True
    L.has_canonical_format = True
    S = U + L
    S.has_sorted_indices = True
    S.has_canonical_format = True
    return S


def _symmetric_scipy(rows, cols, data, n, diag, row_sum_diag):
    """:func:`assemble_symmetric` through SciPy's COO -> CSR (small or huge input)."""
    off = rows != cols
    dvals = np.zeros(n, dtype=data.dtype) if diag is None \
        else np.asarray(diag, dtype=data.dtype).copy()
    if row_sum_diag is not None:
        dvals += row_sum_diag * (_bincount(rows[off], data[off], n)
                                 + _bincount(cols[off], data[off], n))
    full = diag is not None or row_sum_diag is not None
    d = np.arange(n) if full else np.arange(0)
    A = sp.coo_array((np.concatenate([data, data[off], dvals[d]]),
                      (np.concatenate([rows, cols[off], d]),
                       np.concatenate([cols, rows[off], d]))), shape=(n, n)).tocsr()
    A.sum_duplicates()
    return A
