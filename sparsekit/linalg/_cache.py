"""Content fingerprints and the memory-bounded cache of factorizations and AMG hierarchies.

One process-wide LRU cache, bounded by the bytes its entries report (default
2 GiB; :func:`set_cache_limit` changes it, :func:`clear_cache` empties it).
Entries are keyed by a content fingerprint of the matrix, so the same matrix
built twice hits the cache while an edited one misses.

Hashing costs O(nnz) (blake2b, about 6 ms for a 65,536-unknown 2-D Poisson
matrix here), which would dominate a cached direct solve (about 5 ms).  So
the last :data:`SEEN_MAX` CSR/CSC matrices of at least :data:`SEEN_MIN_NNZ`
entries that were fingerprinted are remembered with a copy of their three
arrays: when a matrix over the *same buffers* comes back (the same object, or
a new wrapper around the same arrays), its arrays are compared with the copy
(memcmp speed, about 1 ms there) and the fingerprint is reused only if they
are identical, so a matrix edited in place is hashed afresh.  The copies
cost one matrix's memory each; :func:`clear_cache` drops them too.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = ["fingerprint", "CACHE", "clear_cache", "cache_info", "set_cache_limit", "CacheInfo"]

DEFAULT_LIMIT = 2 * 1024**3
#: Matrices remembered with a copy of their arrays (see the module docstring).
SEEN_MAX = 4
#: Smaller matrices are simply hashed again (a few hundred microseconds).
SEEN_MIN_NNZ = 20_000

_SEEN: OrderedDict[tuple, tuple] = OrderedDict()
_SEEN_LOCK = threading.Lock()


def _buffers(A) -> tuple:
    """Where ``A``'s arrays live, its format and shape: a lookup hint, never trusted alone."""
    return (A.format, A.shape, A.dtype.str,
            *((a.__array_interface__["data"][0], a.shape, a.dtype.str)
              for a in (A.data, A.indices, A.indptr)))


def _same_arrays(seen: tuple, A) -> bool:
    return all(np.array_equal(a, c)
               for a, c in zip((A.data, A.indices, A.indptr), seen[1], strict=True))


def fingerprint(A) -> str:
    """A content hash of a sparse or dense matrix (O(nnz), blake2b).

    Two matrices with the same shape, dtype and entries (in canonical CSR form)
    get the same fingerprint.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> from sparsekit.linalg._cache import fingerprint
    >>> fingerprint(sp.eye_array(3).tocsr()) == fingerprint(sp.eye_array(3).tocoo())
    True
    """
    memo = sp.issparse(A) and A.format in ("csr", "csc") and A.nnz >= SEEN_MIN_NNZ
    if memo:
        where = _buffers(A)
        with _SEEN_LOCK:
            seen = _SEEN.get(where)
        if seen is not None and _same_arrays(seen, A):
            return seen[0]
    fp = _hash(A)
    if memo:
        arrays = (A.data.copy(), A.indices.copy(), A.indptr.copy())
        if sum(a.nbytes for a in arrays) <= CACHE.limit // 8:
            with _SEEN_LOCK:
                _SEEN[where] = (fp, arrays)
                _SEEN.move_to_end(where)
                while len(_SEEN) > SEEN_MAX:
                    _SEEN.popitem(last=False)
    return fp


def _hash(A) -> str:
    h = hashlib.blake2b(digest_size=16)
    if sp.issparse(A):
        C = sp.csr_array(A)
        if not C.has_canonical_format:
            C = C.copy()
            C.sum_duplicates()
        h.update(f"sparse{C.shape}{C.dtype.str}".encode())
        for arr in (C.indptr, C.indices, C.data):
            h.update(np.ascontiguousarray(arr).view(np.uint8))  # type: ignore[arg-type]
    else:
        D = np.ascontiguousarray(A)
        h.update(f"dense{D.shape}{D.dtype.str}".encode())
        h.update(D.view(np.uint8))  # type: ignore[arg-type]
    return h.hexdigest()


@dataclass(frozen=True)
class CacheInfo:
    """Cache statistics."""

    entries: int
    nbytes: int
    limit: int
    hits: int
    misses: int


class _MemoryBoundedCache:
    def __init__(self, limit: int = DEFAULT_LIMIT):
        self._data: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.limit = int(limit)
        self.nbytes = 0
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable):
        with self._lock:
            item = self._data.get(key)
            if item is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return item[0]

    def put(self, key: Hashable, value: Any, nbytes: int) -> None:
        nbytes = int(nbytes)
        with self._lock:
            if key in self._data:
                self.nbytes -= self._data.pop(key)[1]
            if nbytes > self.limit:
                return  # too large to keep: the caller still has it
            self._data[key] = (value, nbytes)
            self.nbytes += nbytes
            while self.nbytes > self.limit:
                _, (_, b) = self._data.popitem(last=False)
                self.nbytes -= b

    def contains(self, key: Hashable) -> bool:
        """Whether ``key`` is cached (no hit/miss counted, no LRU reordering)."""
        with self._lock:
            return key in self._data

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.nbytes = 0

    def info(self) -> CacheInfo:
        return CacheInfo(len(self._data), self.nbytes, self.limit, self.hits, self.misses)


CACHE = _MemoryBoundedCache()

#: (shape, nnz, dtype) of every matrix whose factorization or preconditioner was cached:
#: the plan fingerprints a matrix (O(nnz) hashing) only when one like it may be cached.
#: Emptied with the cache, so what a solve does after ``clear_cache()`` does not depend on
#: the matrices seen before it.
SIGNATURES: set = set()


def clear_cache() -> None:
    """Drop every cached factorization and AMG hierarchy (and the remembered matrices)."""
    CACHE.clear()
    SIGNATURES.clear()
    with _SEEN_LOCK:
        _SEEN.clear()


def cache_info() -> CacheInfo:
    """Entries, bytes held, limit, hits and misses of the cache.

    Examples
    --------
    >>> import sparsekit as sk
    >>> sk.clear_cache(); sk.cache_info().entries
    0
    """
    return CACHE.info()


def set_cache_limit(nbytes: int) -> None:
    """Bound the cache at ``nbytes`` (oldest entries are evicted first)."""
    CACHE.limit = int(nbytes)
    CACHE.put("__resize__", None, 0)
    with CACHE._lock:
        CACHE._data.pop("__resize__", None)
