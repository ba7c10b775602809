"""Token co-occurrence counts and positive pointwise mutual information (PPMI).

``cooccurrence(tokens, window)`` counts, for every pair of positions ``i < j``
in the same document with ``j - i <= window``, the pair of token ids
``(t_i, t_j)``; ``symmetric=True`` counts it both ways (``C + C^T``, as GloVe
and word2vec windows do).  The stream is processed in chunks of
``chunk_size`` tokens: each chunk's pairs are generated for all offsets at
once (vectorised, no loop over tokens), reduced to a sparse matrix by
counting sorts (linear in the pairs; symmetric counts as their upper
triangle, mirrored once at the end), and merged into the running result,
so peak memory is bounded by the chunk's pairs plus the output, not by
``window * len(tokens)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from .. import _progress
from .._choices import BUILDER_BACKENDS, FORMATS, WEIGHTINGS
from .._guards import check_memory
from .._validate import check_choice, checked_sparse, describe, positive_int, sparse_dtype
from ..backends import _registry
from ..errors import InputValueError, ShapeError
from ._assemble import assemble, index_dtype, mirror_upper, orient

if TYPE_CHECKING:
    import numpy.typing as npt

    from .._typing import MatrixLike, SparseMatrix

__all__ = ["cooccurrence", "document_cooccurrence", "ppmi"]


#: default tokens per chunk: with window 5 and uint32 keys, 2 * 5 * 1e6 * 4 B = 40 MB of keys
CHUNK_SIZE = 1_000_000


def _documents(tokens):
    """One document (a 1-D array or a list of ints) or an iterable of documents."""
    if isinstance(tokens, np.ndarray):
        if tokens.ndim == 1:
            return [tokens], True
        if tokens.ndim == 2:
            return list(tokens), True  # rows are documents
        raise ShapeError(f"tokens must be 1-D (or 2-D, rows as documents) "
                         f"(got {describe(tokens)})")
    if isinstance(tokens, (str, bytes)) or not isinstance(tokens, Iterable):
        raise InputValueError(
            f"tokens must be an array of integer token ids or an iterable of such "
            f"arrays (got {type(tokens).__name__}); map words to ids first"
        )
    if isinstance(tokens, (list, tuple)):
        if len(tokens) == 0 or np.ndim(tokens[0]) == 0:
            return [np.asarray(tokens)], True
        return tokens, True
    return tokens, False  # a one-shot iterable (generator) of documents


def _check_ids(t, vocab_size):
    t = np.asarray(t)
    if t.ndim != 1:
        raise ShapeError(f"each document must be a 1-D array of token ids (got {describe(t)})")
    if t.size == 0:
        return t.astype(np.int64)
    if t.dtype.kind not in "iu":
        raise InputValueError(f"token ids must be integers (got dtype {t.dtype}); map "
                              "words to ids, e.g. with numpy.unique(..., return_inverse=True)")
    lo, hi = int(t.min()), int(t.max())
    if lo < 0:
        raise InputValueError(f"token ids must be >= 0 (got {lo})")
    if vocab_size is not None and hi >= vocab_size:
        raise InputValueError(
            f"token ids must be < vocab_size={vocab_size} (got {hi}); pass a larger "
            "vocab_size or leave it None to use max id + 1"
        )
    return t


def _segments(docs, chunk_size, window, vocab_size):
    """Yield ``(t, rem)``: tokens and, per counted position, tokens left in its document.

    ``t`` holds ``len(rem)`` counted positions plus up to ``window`` look-ahead
    tokens of the same document; pairs ``(i, i + d)`` with ``d <= rem[i]`` are
    counted.  Short documents are batched up to ``chunk_size`` tokens; long ones
    are split with look-ahead, so no window crosses a document boundary and no
    pair is lost at a chunk boundary.
    """
    buf, size = [], 0

    def flush():
        t = np.concatenate(buf)
        lens = np.fromiter((b.size for b in buf), dtype=np.int64, count=len(buf))
        ends = np.cumsum(lens)
        rem = np.repeat(ends, lens) - 1 - np.arange(t.size, dtype=np.int64)
        return t, rem

    for doc in docs:
        doc = _check_ids(doc, vocab_size)
        L = doc.size
        if L > chunk_size:
            if buf:
                yield flush()
                buf, size = [], 0
            for s in range(0, L, chunk_size):  # a loop over chunks, not tokens
                own = min(chunk_size, L - s)
                yield doc[s:s + own + window], (L - 1 - s) - np.arange(own, dtype=np.int64)
        elif L:
            buf.append(doc)
            size += L
            if size >= chunk_size:
                yield flush()
                buf, size = [], 0
    if buf:
        yield flush()


def _chunk_counts(t, rem, window, weighting, V, symmetric):
    """The chunk's in-window pairs as a canonical CSR matrix, by counting sorts.

    Directed counts ``X[t_i, t_{i+d}]`` are bucketed by row and summed
    (``builders._assemble.assemble``, linear in the pairs).  Symmetric counts
    are kept as their upper triangle ``U`` (each pair oriented ``lo <= hi``),
    half the entries of ``X + X^T``; :func:`cooccurrence` mirrors the total
    once, at the end, and doubles its diagonal (a token next to itself adds 2).
    Values are 1 per pair (``"count"``) or ``1/d`` (``"harmonic"``).
    """
    own = rem.size
    counts = [int(np.count_nonzero(rem >= d)) for d in range(1, window + 1)]
    n_pairs = sum(counts)
    if n_pairs == 0:
        return None
    idx = index_dtype(n_pairs, V)
    a_all = np.empty(n_pairs, dtype=idx)
    b_all = np.empty(n_pairs, dtype=idx)
    vals = np.ones(n_pairs) if weighting == "count" else np.empty(n_pairs)
    tp = np.zeros(own + window, dtype=t.dtype)
    tp[:t.size] = t
    src = tp[:own]
    pos = 0
    for d in range(1, window + 1):  # a loop over offsets (<= window), not tokens
        k = counts[d - 1]
        if k == 0:
            break
        dst = tp[d:d + own]
        if k != own:
            valid = rem >= d
            a, b = src[valid], dst[valid]
        else:
            a, b = src, dst
        if symmetric:
            orient(a, b, a_all[pos:pos + k], b_all[pos:pos + k])
        else:
            a_all[pos:pos + k] = a
            b_all[pos:pos + k] = b
        if weighting == "harmonic":
            vals[pos:pos + k] = 1.0 / d
        pos += k
    return assemble(a_all, b_all, vals, (V, V))


def _double_diagonal(U):
    """Double the stored diagonal entries of a canonical upper triangle (each opens its row)."""
    first = U.indptr[:-1][U.indptr[1:] > U.indptr[:-1]]
    rows = np.flatnonzero(U.indptr[1:] > U.indptr[:-1])
    at = first[U.indices[first] == rows]
    U.data[at] *= 2
    return U


class _Accumulator:
    """Sum of sparse matrices, merged like a binary counter (similar sizes first).

    Each entry is merged O(log(chunks)) times and at most about twice the
    output is held at once.
    """

    def __init__(self, shape):
        self.shape = shape
        self.stack = []

    def add(self, A):
        self.stack.append(A)
        while len(self.stack) > 1 and self.stack[-2].nnz <= 2 * self.stack[-1].nnz:
            B = self.stack.pop()
            self.stack[-1] = self.stack[-1] + B

    def total(self):
        if not self.stack:
            return sp.csr_array(self.shape, dtype=np.float64)
        A = self.stack.pop()
        while self.stack:
            A = self.stack.pop() + A
        return sp.csr_array(A)


def cooccurrence(tokens: npt.ArrayLike | Iterable[npt.ArrayLike], window: int = 5, *,
                 vocab_size: int | None = None, symmetric: bool = True,
                 weighting: str = "count", min_count: int | None = None,
                 chunk_size: int = CHUNK_SIZE, format: str = "csr",
                 dtype: npt.DTypeLike = np.float64, backend: str = "auto") -> sp.sparray:
    r"""Windowed token co-occurrence matrix ``C`` (vocab_size x vocab_size).

    For every pair of positions ``i < j`` in the same document with
    ``j - i <= window``: ``C[t_i, t_j] += w`` and, if ``symmetric``, also
    ``C[t_j, t_i] += w`` (so a token next to itself adds 2 on the diagonal).
    ``w`` is 1 (``"count"``) or ``1 / (j - i)`` (``"harmonic"``, as GloVe).
    The total of ``C`` is the number of in-window pairs (twice it if
    symmetric) for ``"count"``.

    Parameters
    ----------
    tokens : array_like of int, or iterable of array_like of int
        One document (a 1-D array of token ids), a 2-D array (rows are
        documents) or an iterable of documents (lists or arrays).  Windows
        never cross document boundaries.
    window : int, default=5
        Largest distance ``j - i`` counted (>= 1).
    vocab_size : int, optional
        Number of token ids; default the largest id + 1 (a generator of
        documents is then read into memory once to find it: pass
        ``vocab_size`` to stream it).
    symmetric : bool, default=True
        Count both orders; ``False`` gives the directed (right-context)
        counts ``C[earlier, later]``.
    weighting : {"count", "harmonic"}, default="count"
        Pair weight.
    min_count : int, optional
        Prune rare tokens: the rows and columns of ids that occur fewer than
        ``min_count`` times in ``tokens`` are dropped from the result (the
        shape and the ids are kept; windows are measured in the full stream).
    chunk_size : int, default=1_000_000
        Tokens processed at once.  Peak memory is at most about
        ``50 * window * chunk_size`` bytes of working arrays (the chunk's
        pairs -- two 4-byte ids and an 8-byte value each, one order only --
        and their two counting passes) plus about twice the output matrix
        (12 bytes per stored entry), whatever the length of the stream.
        Measured: 1e7 Zipf tokens, 50,000 words, window 5, 28.8 million
        stored entries: 0.78 GB above the input, against 1.41 GB for one COO
        build of all shifted pairs (docs/performance.md).
    format : {"csr", "csc", "coo"}, default="csr"
        Sparse format of the result.
    dtype : dtype, default=numpy.float64
        Data type of the result.
    backend : {"auto", "scipy", "cupy"}, default="auto"
        ``"auto"`` uses the GPU backend (``sparsekit.backends.cupy_``) for
        cupy input.

    Returns
    -------
    sparse array of shape (vocab_size, vocab_size)

    See Also
    --------
    ppmi : the usual next step.
    document_cooccurrence : co-occurrence within whole documents.

    Examples
    --------
    >>> import numpy as np
    >>> import sparsekit as sk
    >>> C = sk.cooccurrence(np.array([0, 1, 2, 0]), window=1)
    >>> C.toarray()
    array([[0., 1., 1.],
           [1., 0., 1.],
           [1., 1., 0.]])
    >>> sk.cooccurrence([[0, 1], [2, 0]], window=1, symmetric=False).toarray()
    array([[0., 1., 0.],
           [0., 0., 0.],
           [1., 0., 0.]])
    """
    window = positive_int(window, "window")
    chunk_size = positive_int(chunk_size, "chunk_size")
    check_choice(weighting, WEIGHTINGS, "weighting")
    check_choice(format, FORMATS, "format")
    dtype = sparse_dtype(dtype)
    if _registry.resolve(tokens, backend, allowed=BUILDER_BACKENDS) == "cupy":
        return _registry.load("cupy").cooccurrence(
            tokens, window, vocab_size=vocab_size, symmetric=symmetric, weighting=weighting,
            min_count=min_count, chunk_size=chunk_size, format=format, dtype=dtype)
    if min_count is not None:
        min_count = positive_int(min_count, "min_count")
    docs, reusable = _documents(tokens)
    if vocab_size is None:
        if not reusable:
            docs = list(docs)
        hi = -1
        for doc in docs:
            doc = _check_ids(doc, None)
            if doc.size:
                hi = max(hi, int(doc.max()))
        vocab_size = hi + 1
    else:
        vocab_size = positive_int(vocab_size, "vocab_size", minimum=0)
    V = vocab_size
    # per word: counts, the accumulated rows' pointers, the row of each merge
    check_memory(32.0 * V, lambda: f"counting co-occurrences over a vocabulary of {V:,}")
    _progress.report("build", what=f"co-occurrences (window {window}, vocabulary {V:,})")
    idx = np.int32 if V < 2**31 - 1 else np.int64
    acc = _Accumulator((V, V))
    freq = np.zeros(V, dtype=np.int64) if min_count is not None else None
    for t, rem in _segments(docs, chunk_size, window, V):
        t = t.astype(idx, copy=False)
        if freq is not None:
            freq += np.bincount(t[:rem.size], minlength=V)
        A = _chunk_counts(t, rem, window, weighting, V, symmetric)
        if A is not None:
            acc.add(A)
        del A
    C = acc.total()
    if symmetric:
        # the upper triangle's total -> U + strict(U)^T; a token next to itself added its
        # pair once to U[i, i] but counts twice
        C = _double_diagonal(C)
        C = mirror_upper(C)
    if freq is not None and min_count is not None:  # freq is counted for min_count only
        keep = (freq >= min_count).astype(np.float64)
        D = sp.diags_array(keep)
        C = sp.csr_array(D @ C @ D)
        C.eliminate_zeros()
    return C.astype(dtype, copy=False).asformat(format)


def document_cooccurrence(X: MatrixLike, *, binary: bool = False, diagonal: bool = True,
                          format: str = "csr", dtype: npt.DTypeLike = np.float64) -> sp.sparray:
    r"""Term-term co-occurrence ``X^T X`` from a document-term matrix ``X``.

    Parameters
    ----------
    X : sparse array/matrix or ndarray of shape (n_documents, n_terms)
        Term counts per document (e.g. from scikit-learn's ``CountVectorizer``).
    binary : bool, default=False
        Use presence (``X != 0``) instead of counts, so that ``C[i, j]`` is
        the number of documents containing both terms (``C[i, i]``: containing
        term ``i``).  Otherwise ``C[i, j] = sum_d X[d, i] X[d, j]``.
    diagonal : bool, default=True
        Keep the diagonal; ``False`` removes it.
    format : {"csr", "csc", "coo"}, default="csr"
        Sparse format of the result.
    dtype : dtype, default=numpy.float64
        Data type of the result.

    Returns
    -------
    sparse array of shape (n_terms, n_terms)

    Examples
    --------
    >>> import numpy as np
    >>> import sparsekit as sk
    >>> X = np.array([[2, 1, 0], [0, 1, 1]])
    >>> sk.document_cooccurrence(X, binary=True).toarray()
    array([[1., 1., 0.],
           [1., 2., 1.],
           [0., 1., 1.]])
    """
    check_choice(format, FORMATS, "format")
    dtype = sparse_dtype(dtype)
    if sp.issparse(X):
        if np.ndim(X) != 2:
            raise ShapeError(f"X must be 2-D (documents x terms) (got {describe(X)})")
        A = sp.csr_array(checked_sparse(X, "X"))
        if A.dtype.kind not in "biuf":
            raise InputValueError(f"X must hold real numbers (got dtype {A.dtype})")
    else:
        A = np.asarray(X)
        if A.ndim != 2:
            raise ShapeError(f"X must be 2-D (documents x terms) (got {describe(A)})")
        if A.dtype.kind not in "biuf":
            raise InputValueError(f"X must hold numbers (got dtype {A.dtype})")
        A = sp.csr_array(A)
    if A.dtype.kind == "f" and not np.isfinite(A.data).all():
        raise InputValueError("X contains NaN or Inf entries")
    A = A.astype(np.float64)
    if binary:
        A.data = (A.data != 0).astype(np.float64)
    C = sp.csr_array(A.T @ A)
    if not diagonal:
        C.setdiag(0)
    C.eliminate_zeros()
    C.sort_indices()
    return C.astype(dtype, copy=False).asformat(format)


def ppmi(C: SparseMatrix, alpha: float = 0.75, *, shift: float = 1.0, format: str = "csr",
         dtype: npt.DTypeLike = np.float64) -> sp.sparray:
    r"""Positive pointwise mutual information with context smoothing and shift (SPPMI).

    ``PPMI[w, c] = max(log(C[w, c] S / (r_w c_c^alpha)) - log(shift), 0)``,
    with row sums ``r``, column sums ``c`` and ``S = sum_c c_c^alpha``: the
    context distribution is raised to ``alpha`` (Levy, Goldberg & Dagan
    2015); ``alpha=1`` is plain PMI.  ``shift=k`` subtracts ``log k``
    (shifted PPMI, the matrix word2vec with ``k`` negative samples
    factorises).  Only positive entries are stored.

    Parameters
    ----------
    C : sparse array/matrix of shape (n_words, n_contexts)
        Nonnegative co-occurrence counts (e.g. from :func:`cooccurrence`).
    alpha : float, default=0.75
        Context-distribution smoothing exponent (> 0).
    shift : float, default=1.0
        ``k`` in ``- log k`` (>= 1 is usual; > 0 allowed).
    format : {"csr", "csc", "coo"}, default="csr"
        Sparse format of the result.
    dtype : dtype, default=numpy.float64
        Data type of the result.

    Returns
    -------
    sparse array of the shape of ``C``

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> import sparsekit as sk
    >>> C = sp.csr_array(np.array([[0., 4., 1.], [4., 0., 1.], [1., 1., 0.]]))
    >>> P = sk.ppmi(C, alpha=1.0)
    >>> round(float(P[0, 1]), 6) == round(float(np.log(4 * 12 / (5 * 5))), 6)
    True
    """
    check_choice(format, FORMATS, "format")
    dtype = sparse_dtype(dtype)
    if not sp.issparse(C) or C.ndim != 2:
        raise InputValueError(f"C must be a 2-D scipy sparse matrix of counts (got "
                              f"{describe(C)})")
    C = checked_sparse(C, "C")
    if C.dtype.kind not in "biuf":
        raise InputValueError(f"C must hold real counts (got dtype {C.dtype})")
    A = sp.csr_array(C).astype(np.float64)
    A.sum_duplicates()
    if A.nnz and not np.isfinite(A.data).all():
        raise InputValueError("C contains NaN or Inf entries")
    if A.nnz and A.data.min() < 0:
        raise InputValueError(f"C must be nonnegative counts (got an entry {A.data.min():g})")
    try:
        alpha = float(alpha)
        shift = float(shift)
    except (TypeError, ValueError):
        raise InputValueError(f"alpha and shift must be numbers (got {alpha!r}, "
                              f"{shift!r})") from None
    if not (np.isfinite(alpha) and alpha > 0):
        raise InputValueError(f"alpha must be a finite number > 0 (got {alpha!r})")
    if not (np.isfinite(shift) and shift > 0):
        raise InputValueError(f"shift must be a finite number > 0 (got {shift!r}); it is "
                              "k in SPPMI's - log k")
    A.eliminate_zeros()
    if A.nnz == 0:  # no pairs, no PMI (and no log of a zero total)
        return sp.csr_array(A.shape, dtype=dtype).asformat(format)
    r = np.asarray(A.sum(axis=1)).ravel()
    c = np.asarray(A.sum(axis=0)).ravel()
    ca = c**alpha
    S = ca.sum()
    rows = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))
    vals = np.log(A.data) + np.log(S) - np.log(r[rows]) - np.log(ca[A.indices]) - np.log(shift)
    pos = vals > 0
    indptr = np.zeros(A.shape[0] + 1, dtype=A.indptr.dtype)
    np.cumsum(np.bincount(rows[pos], minlength=A.shape[0]), out=indptr[1:])
    P = sp.csr_array((vals[pos], A.indices[pos], indptr), shape=A.shape)
    return P.astype(dtype, copy=False).asformat(format)
