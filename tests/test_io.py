import gzip
import os
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sparsekit as sk

SHARED = Path(os.environ.get("SPARSEKIT_DATA", ""))
MTX = sorted(SHARED.glob("*.mtx")) if SHARED.is_dir() else []


@pytest.mark.skipif(not MTX, reason="shared SuiteSparse matrices not found (SPARSEKIT_DATA)")
@pytest.mark.parametrize("path", MTX, ids=lambda p: p.name)
@pytest.mark.parametrize("suffix", [".mtx", ".mtx.gz", ".npz"])
def test_every_shared_file_round_trips(path, suffix, tmp_path):
    ref = scipy.io.mmread(path)
    A = sk.io.read(path)
    out = tmp_path / ("out" + suffix)
    sk.io.write(out, A)
    B = sk.io.read(out)
    assert B.shape == ref.shape
    assert np.asarray(B.dtype).dtype.kind == np.asarray(ref.dtype).dtype.kind or (
        ref.dtype.kind == "i" and B.dtype.kind == "i")
    if sp.issparse(ref):
        R = sp.csr_array(ref)
        R.sum_duplicates()
        diff = sp.csr_array(B) - R
        assert abs(diff).max() == 0 if diff.nnz else True
        assert sp.csr_array(B).nnz == R.nnz
    else:
        np.testing.assert_array_equal(B, ref)
    if suffix != ".npz":
        header = scipy.io.mminfo(path)
        got = sk.io.info(out)
        if header[4] != "pattern":
            assert got.symmetry == header[5]
        assert got.shape == header[:2]
    assert list(tmp_path.iterdir()) == [out]  # no temporary left behind


def test_write_detects_symmetry_kinds(tmp_path):
    rng = np.random.default_rng(0)
    M = sp.random_array((6, 6), density=0.5, rng=rng).toarray()
    cases = {
        "symmetric": M + M.T,
        "skew-symmetric": M - M.T,
        "general": M + np.eye(6) + np.triu(np.ones((6, 6))),
        "hermitian": (M + 1j * M.T) + (M + 1j * M.T).conj().T + np.diag(np.arange(6.0)),
    }
    for sym, D in cases.items():
        p = tmp_path / f"{sym}.mtx"
        sk.io.write(p, sp.csr_array(D))
        assert sk.io.info(p).symmetry == sym
        np.testing.assert_array_equal(sk.io.read(p).toarray(), D)
        np.testing.assert_array_equal(scipy.io.mmread(p).toarray(), D)


def test_dense_array_format_round_trip(tmp_path):
    x = np.arange(6.0).reshape(3, 2)
    sk.io.write(tmp_path / "x.mtx", x)
    assert sk.io.info(tmp_path / "x.mtx").format == "array"
    np.testing.assert_array_equal(sk.io.read(tmp_path / "x.mtx"), x)
    np.testing.assert_array_equal(scipy.io.mmread(tmp_path / "x.mtx"), x)
    sk.io.write(tmp_path / "x.npz", x)
    np.testing.assert_array_equal(sk.io.read(tmp_path / "x.npz"), x)


def test_gz_is_really_gzip(tmp_path):
    p = tmp_path / "a.mtx.gz"
    sk.io.write(p, sp.eye_array(3))
    with gzip.open(p, "rb") as f:
        assert f.read(14) == b"%%MatrixMarket"


BANNER = "%%MatrixMarket matrix coordinate real general\n"
BAD = {
    "truncated": (BANNER + "3 3 3\n1 1 1.0\n2 2 2.0\n", None),
    "wrong banner": ("%%MatrixMarket matrx coordinate real general\n2 2 1\n1 1 1\n", 1),
    "entry out of range": (BANNER + "2 2 1\n3 1 1.0\n", 3),
    "non-numeric": (BANNER + "2 2 1\n1 1 abc\n", 3),
    "too many entries": (BANNER + "2 2 1\n1 1 1.0\n2 2 1.0\n", 4),
    "empty": ("", 1),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_malformed_files_raise_matrix_market_error(case, tmp_path):
    text, line = BAD[case]
    p = tmp_path / "bad.mtx"
    p.write_text(text)
    with pytest.raises(sk.MatrixMarketError) as info:
        sk.io.read(p)
    assert str(p) in str(info.value)
    assert info.value.line == line
    if line is not None:
        assert f"line {line}" in str(info.value)


def test_gzip_that_is_not_gzip(tmp_path):
    p = tmp_path / "fake.mtx.gz"
    p.write_text(BANNER + "2 2 1\n1 1 1.0\n")
    with pytest.raises(sk.MatrixMarketError, match="gzip"):
        sk.io.read(p)
    with pytest.raises(sk.MatrixMarketError, match="gzip"):
        sk.io.info(p)


def test_missing_file_and_unknown_suffix(tmp_path):
    with pytest.raises(sk.DataNotFoundError, match="no such file"):
        sk.io.read(tmp_path / "nope.mtx")
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(sk.InputValueError, match="suffix"):
        sk.io.read(tmp_path / "a.txt")


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    import fast_matrix_market as fmm

    target = tmp_path / "keep.mtx"
    sk.io.write(target, sp.eye_array(2))
    before = target.read_bytes()

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(fmm, "mmwrite", boom)
    with pytest.raises(RuntimeError):
        sk.io.write(target, sp.eye_array(5))
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.mtx"]


def test_write_bad_arguments(tmp_path):
    with pytest.raises(sk.InputValueError, match="symmetry"):
        sk.io.write(tmp_path / "a.mtx", sp.eye_array(2), symmetry="upper")
    with pytest.raises(sk.InputValueError, match="sparse matrix or an ndarray"):
        sk.io.write(tmp_path / "a.mtx", [[1, 2]])
    with pytest.raises(sk.DataNotFoundError, match="does not exist"):
        sk.io.write(tmp_path / "no" / "a.mtx", sp.eye_array(2))
    assert list(tmp_path.iterdir()) == []


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(str.encode),
    st.lists(st.sampled_from(["%%MatrixMarket", "matrix", "coordinate", "array", "real",
                              "integer", "complex", "pattern", "general", "symmetric",
                              "hermitian", "skew-symmetric", "1", "2", "-1", "3.5", "nan",
                              "1e400", "\n", " ", "%", "0", "99999999999999999999"]),
             max_size=40).map(lambda t: " ".join(t).encode()),
))
def test_garbage_only_raises_matrix_market_error(tmp_path, data):
    p = tmp_path / "g.mtx"
    p.write_bytes(data)
    try:
        sk.io.read(p)
    except sk.MatrixMarketError:
        pass


# ---------------------------------------------------------------------------
# edge lists and token files
# ---------------------------------------------------------------------------

def _plain_edges(text, sep=None):
    """A plain Python reader: the reference for read_edges (header already removed)."""
    lines = [ln for ln in text.splitlines() if ln.strip() and ln.lstrip()[0] not in "#%"]
    fields = [[f.strip() for f in (ln.split(sep) if sep else ln.split())] for ln in lines]
    names = sorted({f[0] for f in fields} | {f[1] for f in fields})
    index = {name: i for i, name in enumerate(names)}
    rows = [index[f[0]] for f in fields]
    cols = [index[f[1]] for f in fields]
    weights = [float(f[2]) for f in fields] if len(fields[0]) == 3 else None
    return rows, cols, weights, names


@pytest.mark.parametrize("name, text, sep", [
    ("e.csv", "source,target,weight\nann,bob,2.0\nbob,cy,1.5\n# a comment\ncy,ann,1\n", ","),
    ("e.tsv", "% comment\nx\ty\t0.5\ny\tz\t3\n", "\t"),
    ("e.txt", "a  b\nb c\n\nc   d\n", None),
])
def test_read_edges_matches_a_plain_reader(tmp_path, name, text, sep):
    p = tmp_path / name
    p.write_text(text)
    rows, cols, weights, labels = sk.io.read_edges(p)
    body = text.split("\n", 1)[1] if text.startswith("source") else text
    ref_rows, ref_cols, ref_w, ref_names = _plain_edges(body, sep)
    assert rows.tolist() == ref_rows and cols.tolist() == ref_cols
    assert labels.tolist() == ref_names
    assert (weights is None) == (ref_w is None)
    if ref_w is not None:
        assert weights.tolist() == ref_w


def test_read_edges_integer_ids_and_header_override(tmp_path):
    p = tmp_path / "ids.csv"
    p.write_text("0,3\n2,1\n")
    rows, cols, weights, labels = sk.io.read_edges(str(p))  # a str path works too
    assert rows.tolist() == [0, 2] and cols.tolist() == [3, 1]
    assert weights is None and labels is None
    rows, cols, _, _ = sk.io.read_edges(p, header=True)  # the first line is a header
    assert rows.tolist() == [2] and cols.tolist() == [1]


@pytest.mark.parametrize("text, message", [
    ("", "holds no edges"),
    ("# only a comment\n", "holds no edges"),
    ("a,b,c,d\n1,2,3,4\n", "expected 2 or 3 columns"),
    ("a,b,1\nb,c,heavy\n", "edge 2: weight 'heavy' is not a number"),
])
def test_read_edges_refuses_what_is_not_an_edge_list(tmp_path, text, message):
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(sk.InputValueError, match=message) as info:
        sk.io.read_edges(p)
    assert str(p) in str(info.value)


def test_read_edges_header_only_binary_and_missing(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text("source,target\n")
    with pytest.raises(sk.InputValueError, match="holds a header and no edges"):
        sk.io.read_edges(p, header=True)
    b = tmp_path / "b.csv"
    b.write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(sk.InputValueError, match="is not a text edge list"):
        sk.io.read_edges(b)
    with pytest.raises(sk.DataNotFoundError, match="no such file"):
        sk.io.read_edges(tmp_path / "nope.csv")


def test_read_tokens_matches_a_plain_reader(tmp_path):
    text = "the cat sat on the mat\nthe dog sat\n\n  \nthe cat ran\n\n\nend"
    p = tmp_path / "corpus.txt"
    p.write_text(text)
    ids, vocab = sk.io.read_tokens(p)
    words = sorted(set(text.split()))
    assert vocab.tolist() == words
    index = {w: i for i, w in enumerate(words)}
    docs = [[index[w] for w in d.split()] for d in text.split("\n\n") if d.split()]
    assert [d.tolist() for d in ids] == docs


def test_read_tokens_integer_ids_one_document(tmp_path):
    p = tmp_path / "ids.txt"
    p.write_text("3 1 4\n1 5\n")
    ids, vocab = sk.io.read_tokens(str(p))
    assert vocab is None and ids.dtype == np.int64 and ids.tolist() == [3, 1, 4, 1, 5]


def test_read_tokens_refuses_empty_binary_and_missing(tmp_path):
    p = tmp_path / "empty.txt"
    p.write_text(" \n\n")
    with pytest.raises(sk.InputValueError, match="holds no tokens"):
        sk.io.read_tokens(p)
    b = tmp_path / "b.txt"
    b.write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(sk.InputValueError, match="is not a text token file"):
        sk.io.read_tokens(b)
    with pytest.raises(sk.DataNotFoundError, match="no such file"):
        sk.io.read_tokens(tmp_path / "nope.txt")
