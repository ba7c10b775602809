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
