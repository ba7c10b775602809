import numpy as np
import scipy.sparse as sp

import sparsekit as sk
from sparsekit.linalg._cache import CACHE, SEEN_MIN_NNZ, _hash, _MemoryBoundedCache, fingerprint
from sparsekit.linalg._inspect import inspect_matrix


def test_fingerprint_depends_on_content_not_format():
    A = sp.random_array((20, 20), density=0.2, rng=np.random.default_rng(0))
    assert fingerprint(A.tocsr()) == fingerprint(A.tocsc()) == fingerprint(A.tocoo())
    B = A.tocsr().copy()
    B.data[0] += 1e-12
    assert fingerprint(B) != fingerprint(A)
    assert fingerprint(A.toarray()) != fingerprint(A)


def test_remembered_fingerprint_follows_in_place_edits():
    # large enough to be remembered: a repeat over the same buffers is compared, not hashed
    A = sk.poisson((80, 80))
    assert A.nnz >= SEEN_MIN_NNZ
    f0 = fingerprint(A)
    wrapper = sp.csr_array((A.data, A.indices, A.indptr), shape=A.shape)  # same buffers
    assert fingerprint(wrapper) == f0 == _hash(A.copy())
    A.data[7] += 1.0  # edited in place: same buffers, new content
    assert fingerprint(A) == _hash(A.copy()) != f0
    A.indices[[0, 1]] = A.indices[[1, 0]]  # the pattern edited in place: another matrix again
    assert fingerprint(A) == _hash(A.copy())


def test_cached_factorization_not_reused_after_in_place_edit():
    sk.clear_cache()
    A = sk.poisson((80, 80))
    b = np.ones(A.shape[0])
    sk.solve(A, b, method="direct")
    A.data[A.indices == np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))] += 1.0
    r = sk.solve(A, b, method="direct")
    assert np.linalg.norm(b - A @ r.x) <= 1e-10 * np.linalg.norm(b)
    assert not any("reused" in n for n in r.notes)


def test_cache_is_bounded_by_bytes_lru():
    c = _MemoryBoundedCache(limit=100)
    c.put("a", 1, 60)
    c.put("b", 2, 30)
    assert c.get("a") == 1  # a is now most recent
    c.put("c", 3, 30)       # evicts b (least recent)
    assert c.get("b") is None and c.get("a") == 1 and c.get("c") == 3
    c.put("huge", 4, 1000)  # larger than the limit: not kept
    assert c.get("huge") is None and c.info().nbytes == 90
    assert CACHE.limit > 0


def test_inspect_laplacian_and_components():
    # two disjoint paths: a Laplacian with 2 components
    W = sp.block_diag([sp.diags_array([np.ones(3), np.ones(3)], offsets=[-1, 1])] * 2)
    L = sp.diags_array(np.asarray(W.sum(axis=1)).ravel()) - W
    p = inspect_matrix(sp.csr_array(L))
    assert p.laplacian and p.symmetric and p.n_components == 2
    q = inspect_matrix(sp.csr_array(L + sp.eye_array(8)))
    assert not q.laplacian and q.diag_sign == "positive"
    r = inspect_matrix(sp.csr_array(np.triu(np.ones((4, 4)))))
    assert r.symmetric is False


def test_single_thread_blas_limits_every_loaded_blas():
    import scipy.linalg  # noqa: F401  (scipy's own OpenBLAS is loaded)
    from threadpoolctl import threadpool_info

    from sparsekit.linalg._threads import single_thread_blas

    with single_thread_blas():
        blas = [p for p in threadpool_info() if p["user_api"] == "blas"]
        assert blas and all(p["num_threads"] == 1 for p in blas)
