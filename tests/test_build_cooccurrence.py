"""Co-occurrence counts against plain Python loops; PPMI against its dense formula."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import sparsekit as sk


def loop_cooccurrence(docs, window, V, symmetric=True, weighting="count"):
    """The definition, one pair at a time."""
    C = np.zeros((V, V))
    for doc in docs:
        doc = list(doc)
        for i in range(len(doc)):
            for j in range(i + 1, min(i + window, len(doc) - 1) + 1):
                w = 1.0 if weighting == "count" else 1.0 / (j - i)
                C[doc[i], doc[j]] += w
                if symmetric:
                    C[doc[j], doc[i]] += w
    return C


def random_docs(seed, n_docs=6, V=9, max_len=40):
    rng = np.random.default_rng(seed)
    lens = rng.integers(0, max_len, n_docs)
    lens[0] = 0  # empty and tiny documents too
    lens[1] = 1
    return [rng.integers(0, V, L) for L in lens]


@pytest.mark.parametrize("symmetric", [True, False])
@pytest.mark.parametrize("window", [1, 3, 7])
@pytest.mark.parametrize("chunk_size", [5, 17, 1_000_000])
def test_counts_equal_the_plain_loop_with_document_boundaries(symmetric, window, chunk_size):
    docs = random_docs(window * 100 + chunk_size % 97)
    C = sk.cooccurrence(docs, window, vocab_size=9, symmetric=symmetric, chunk_size=chunk_size)
    np.testing.assert_array_equal(C.toarray(), loop_cooccurrence(docs, window, 9, symmetric))


@pytest.mark.parametrize("chunk_size", [4, 1000])
def test_harmonic_weights_equal_the_plain_loop(chunk_size):
    docs = random_docs(3)
    for symmetric in (True, False):
        C = sk.cooccurrence(docs, 4, vocab_size=9, symmetric=symmetric, weighting="harmonic",
                            chunk_size=chunk_size)
        np.testing.assert_allclose(C.toarray(),
                                   loop_cooccurrence(docs, 4, 9, symmetric, "harmonic"),
                                   rtol=1e-14)


def test_long_stream_goes_through_the_sort_based_assembly():
    """50,000 tokens, small vocabulary: the packed-key path, chunked, against a dense loop."""
    rng = np.random.default_rng(8)
    V = 30
    t = rng.zipf(1.5, 50_000) % V
    C = sk.cooccurrence(t, 5, vocab_size=V, chunk_size=12_345)
    ref = np.zeros((V, V))
    for d in range(1, 6):  # the loop over offsets: an independent vectorised reference
        np.add.at(ref, (t[:-d], t[d:]), 1)
    np.testing.assert_array_equal(C.toarray(), ref + ref.T)


def test_input_forms_agree():
    rng = np.random.default_rng(1)
    docs = [rng.integers(0, 6, 12) for _ in range(4)]
    ref = loop_cooccurrence(docs, 2, 6)
    as_lists = [d.tolist() for d in docs]
    for form in (docs, as_lists, tuple(docs), (d for d in docs), np.stack(docs)):
        np.testing.assert_array_equal(sk.cooccurrence(form, 2).toarray(), ref)
    np.testing.assert_array_equal(sk.cooccurrence(docs[0], 2).toarray(),
                                  loop_cooccurrence([docs[0]], 2, int(docs[0].max()) + 1))
    np.testing.assert_array_equal(sk.cooccurrence(docs[0].tolist(), 2, vocab_size=6).toarray(),
                                  loop_cooccurrence([docs[0]], 2, 6))


def test_min_count_prunes_rare_tokens():
    t = np.array([0, 1, 0, 2, 0, 1, 3, 0])  # counts: 0:4, 1:2, 2:1, 3:1
    C = sk.cooccurrence(t, 2, min_count=2)
    ref = loop_cooccurrence([t], 2, 4)
    ref[2:, :] = 0
    ref[:, 2:] = 0
    np.testing.assert_array_equal(C.toarray(), ref)
    assert C.shape == (4, 4)


def test_format_and_dtype():
    t = np.arange(10) % 4
    for fmt in ("csr", "csc", "coo"):
        C = sk.cooccurrence(t, 2, format=fmt, dtype=np.float32)
        assert C.format == fmt and C.dtype == np.float32 and isinstance(C, sp.sparray)


@settings(max_examples=40, deadline=None)
@given(docs=st.lists(st.lists(st.integers(0, 7), max_size=30), max_size=5),
       window=st.integers(1, 8), chunk=st.integers(1, 50), symmetric=st.booleans())
def test_total_is_the_number_of_in_window_pairs(docs, window, chunk, symmetric):
    C = sk.cooccurrence(docs, window, vocab_size=8, chunk_size=chunk, symmetric=symmetric)
    pairs = sum(max(len(d) - k, 0) for d in docs for k in range(1, window + 1))
    assert C.sum() == (2 if symmetric else 1) * pairs
    if symmetric:
        assert abs(C - C.T).max() == 0 if C.nnz else True


# --- document co-occurrence and PPMI ------------------------------------------

def test_document_cooccurrence_against_countvectorizer_and_a_loop():
    fe = pytest.importorskip("sklearn.feature_extraction.text")
    corpus = ["the cat sat on the mat", "the dog sat", "a cat and a dog", "mat mat mat"]
    X = fe.CountVectorizer().fit_transform(corpus)
    Xd = X.toarray()
    V = Xd.shape[1]
    ref = np.zeros((V, V))
    both = np.zeros((V, V))
    for row in Xd:
        for i in range(V):
            for j in range(V):
                ref[i, j] += row[i] * row[j]
                both[i, j] += (row[i] > 0) and (row[j] > 0)
    np.testing.assert_array_equal(sk.document_cooccurrence(X).toarray(), ref)
    np.testing.assert_array_equal(sk.document_cooccurrence(Xd, binary=True).toarray(), both)
    np.testing.assert_array_equal(sk.document_cooccurrence(X, diagonal=False).toarray(),
                                  ref - np.diag(np.diag(ref)))


def dense_ppmi(C, alpha, shift):
    C = np.asarray(C, dtype=float)
    r = C.sum(axis=1, keepdims=True)
    ca = C.sum(axis=0, keepdims=True) ** alpha
    p_wc = C / C.sum()
    p_w = r / C.sum()
    p_c = ca / ca.sum()
    with np.errstate(divide="ignore"):
        pmi = np.log(p_wc / (p_w * p_c)) - np.log(shift)
    return np.where(C > 0, np.maximum(pmi, 0), 0)


@pytest.mark.parametrize("alpha,shift", [(1.0, 1.0), (0.75, 1.0), (0.75, 5.0), (0.5, 2.0)])
def test_ppmi_matches_the_dense_formula(alpha, shift):
    docs = random_docs(4, V=12, max_len=60)
    C = sk.cooccurrence(docs, 3, vocab_size=12)
    P = sk.ppmi(C, alpha, shift=shift)
    np.testing.assert_allclose(P.toarray(), dense_ppmi(C.toarray(), alpha, shift),
                               rtol=1e-12, atol=1e-12)
    assert P.nnz == np.count_nonzero(dense_ppmi(C.toarray(), alpha, shift))
    Cr = sp.random_array((7, 11), density=0.5, rng=np.random.default_rng(0)) * 10
    np.testing.assert_allclose(sk.ppmi(Cr, alpha, shift=shift).toarray(),
                               dense_ppmi(Cr.toarray(), alpha, shift), rtol=1e-12, atol=1e-12)


# --- bad input ---------------------------------------------------------------

def test_window_below_one():
    with pytest.raises(sk.InputValueError, match="window"):
        sk.cooccurrence(np.arange(5), 0)


def test_token_id_not_below_vocab_size():
    with pytest.raises(sk.InputValueError, match="vocab_size=4"):
        sk.cooccurrence(np.array([0, 1, 4]), 2, vocab_size=4)
    with pytest.raises(sk.InputValueError, match="vocab_size=4"):
        sk.cooccurrence([np.array([0, 1]), np.array([2, 7])], 2, vocab_size=4, chunk_size=1)


def test_other_bad_tokens_and_options():
    with pytest.raises(sk.InputValueError, match=">= 0"):
        sk.cooccurrence(np.array([0, -1, 2]), 2)
    with pytest.raises(sk.InputValueError, match="integers"):
        sk.cooccurrence(np.array([0.5, 1.0]), 2)
    with pytest.raises(sk.InputValueError, match="ids"):
        sk.cooccurrence("the cat sat", 2)
    with pytest.raises(sk.UnknownMethodError, match="weighting"):
        sk.cooccurrence(np.arange(4), 2, weighting="glove")
    with pytest.raises(sk.InputValueError, match="min_count"):
        sk.cooccurrence(np.arange(4), 2, min_count=0)


def test_ppmi_bad_input():
    with pytest.raises(sk.InputValueError, match="nonnegative"):
        sk.ppmi(sp.csr_array(np.array([[1.0, -1.0], [0.0, 2.0]])))
    with pytest.raises(sk.InputValueError, match="NaN"):
        sk.ppmi(sp.csr_array(np.array([[1.0, np.nan], [0.0, 2.0]])))
    with pytest.raises(sk.InputValueError, match="alpha"):
        sk.ppmi(sp.eye_array(3), alpha=0)
    with pytest.raises(sk.InputValueError, match="shift"):
        sk.ppmi(sp.eye_array(3), shift=-1)


def test_issue_18_refusals_and_the_empty_ppmi():
    with pytest.raises(sk.InputValueError, match="dtype"):
        sk.cooccurrence(np.array([0, 1]), dtype="foo")
    with pytest.raises(sk.errors.InsufficientMemoryError, match="vocabulary of 1,000,000,000,000"):
        sk.cooccurrence(np.array([0, 1, 2]), window=2, vocab_size=10**12)
    bad = sp.csr_array(np.ones((2, 2)))
    bad.indices[0] = 7
    with pytest.raises(sk.InputValueError, match="outside"):
        sk.ppmi(bad)
    P = sk.ppmi(sk.cooccurrence(np.array([0]), window=2))  # no pairs: no PMI, no warning
    assert P.shape == (1, 1) and P.nnz == 0
