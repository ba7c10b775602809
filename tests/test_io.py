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


def _symmetry_cases(rng, n=40):
    """Square sparse matrices with and without each symmetry, and near misses."""
    M = sp.random_array((n, n), density=0.2, rng=rng, format="csr")
    S = sp.csr_array(M + M.T)
    K = sp.csr_array(M - M.T)
    Z = (M + 1j * sp.random_array((n, n), density=0.2, rng=rng, format="csr")).tocsr()
    H = sp.csr_array(Z + Z.conj().T)
    near = S.copy()
    near.data[np.flatnonzero(near.indices != np.repeat(np.arange(n), np.diff(near.indptr)))[0]] *= 2
    zeros = S.copy()
    zeros.data[:5] = 0  # stored zeros: symmetric only where their mirror is stored too
    nan = S.copy()
    nan.data[0] = np.nan
    pattern = sp.csr_array((np.ones(3), ([0, 1, 2], [1, 2, 0])), shape=(n, n))  # a cycle
    return {"symmetric": S, "skew": K, "hermitian": H, "near": near, "zeros": zeros,
            "nan": nan, "general": sp.csr_array(M), "pattern": pattern,
            "int": sp.csr_array(S.astype(np.int64) * 0 + (S != 0).astype(np.int64))}


def _dense_symmetry(D):
    """The symmetry a reader of the file must find, from the dense matrix (NaN never equal)."""
    if D.shape[0] != D.shape[1]:
        return "general"
    for kind, T in (("symmetric", D.T), ("hermitian", D.conj().T), ("skew-symmetric", -D.T)):
        if (kind != "hermitian" or np.iscomplexobj(D)) and np.array_equal(D, T):
            return kind
    return "general"


@pytest.mark.parametrize("direct", [False, True])
def test_symmetry_test_agrees_with_the_dense_definition(tmp_path, monkeypatch, direct):
    """The O(nnz) test (counts, then one transpose) against ``D == D^T`` on dense copies.

    ``direct``: fmm writes the file itself and the entry lines are counted after.
    """
    from sparsekit.io import _matrices

    if direct:
        monkeypatch.setattr(_matrices, "_DIRECT_WRITE", 0)
    for name, A in _symmetry_cases(np.random.default_rng(4)).items():
        p = tmp_path / f"{name}.mtx"
        sk.io.write(p, A)
        D = A.toarray()
        expect = _dense_symmetry(D)
        if np.isnan(D).any():
            assert sk.io.info(p).symmetry == "general", name
        else:
            assert sk.io.info(p).symmetry == expect, name
        back = scipy.io.mmread(p).toarray()
        np.testing.assert_array_equal(back, D)
        assert list(tmp_path.glob(".*")) == []  # no temporary left


def test_a_direct_write_cut_short_raises_and_keeps_the_old_file(tmp_path, monkeypatch):
    """fmm writing the path itself ignores its write errors: a short file must not pass."""
    from sparsekit.io import _matrices

    monkeypatch.setattr(_matrices, "_DIRECT_WRITE", 0)
    target = tmp_path / "keep.mtx"
    sk.io.write(target, sp.eye_array(3))
    before = target.read_bytes()
    real = _matrices._writer()

    def short(path, *a, **k):  # what a full disk leaves: the file ends early
        real(path, *a, **k)
        with open(path, "r+b") as fh:
            fh.truncate(os.path.getsize(path) - 7)

    monkeypatch.setattr(_matrices, "_writer", lambda: short)
    A = sp.random_array((50, 50), density=0.2, rng=np.random.default_rng(1), format="csr")
    with pytest.raises(OSError, match="stopped early"):
        sk.io.write(target, A)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.mtx"]
    monkeypatch.setattr(_matrices, "_writer", lambda: real)
    sk.io.write(target, A)  # and the same write, whole, passes the count
    assert (sk.io.read(target) != A).nnz == 0


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
    "truncated": (BANNER + "3 3 3\n1 1 1.0\n2 2 2.0\n", 2),  # the header claims too much
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
    from sparsekit.io import _matrices

    target = tmp_path / "keep.mtx"
    sk.io.write(target, sp.eye_array(2))
    before = target.read_bytes()

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(_matrices, "_writer", lambda: boom)
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
    except sk.MatrixMarketError as exc:
        assert exc.line is not None, exc  # every rejection names its line


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


# ---------------------------------------------------------------------------
# the Matrix Market front guard (issue 18): crashers, huge headers, line numbers
# ---------------------------------------------------------------------------

import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def isolated(code, *args, timeout=120):
    """Run ``code`` in a fresh Python: a crash there fails the test instead of killing pytest."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    p = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                       text=True, timeout=timeout, env=env)
    assert p.returncode == 0, f"the child process died ({p.returncode}): {p.stderr[-3000:]}"
    return json.loads(p.stdout.strip().splitlines()[-1])


READ_IN_CHILD = """
import json, sys
import sparsekit as sk
try:
    A = sk.io.read(sys.argv[1])
    print(json.dumps({"ok": True, "shape": list(A.shape), "dense": A.tolist()
                      if not hasattr(A, "toarray") else A.toarray().tolist()}))
except sk.SparsekitError as exc:
    print(json.dumps({"ok": False, "type": type(exc).__name__, "line": getattr(exc, "line", None),
                      "message": str(exc)}))
"""

PATTERN = "%%MatrixMarket matrix coordinate pattern general\n"
ARRAY = "%%MatrixMarket matrix array real general\n"
CRASHERS = {  # issue 18, item 3: each killed the process (scipy.io.mmread still does)
    "NUL after a value": (BANNER + "3 3 2\n1 1 1.0\0\n2 2 2.0\n", 3, "NUL byte"),
    "pattern entry with a value, no final newline": (PATTERN + "3 3 2\n1 1\n2 2 5.0", None, ""),
    "array of 0 rows with entries": (ARRAY + "0 3\n1.0\n2.0\n", 3, "no value may follow"),
}


@pytest.mark.parametrize("suffix", [".mtx", ".mtx.gz"])
@pytest.mark.parametrize("case", sorted(CRASHERS))
def test_reader_crashers_are_refused_or_read_safely(case, suffix, tmp_path):
    text, line, message = CRASHERS[case]
    p = tmp_path / ("c" + suffix)
    data = text.encode("latin-1")
    p.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    got = isolated(READ_IN_CHILD, p)
    if line is None:  # a well-formed file but for its last line: read as scipy reads it fixed
        fixed = tmp_path / "fixed.mtx"
        fixed.write_bytes(data.rsplit(b" ", 1)[0] + b"\n")
        assert got["ok"] and got["dense"] == scipy.io.mmread(fixed).toarray().tolist()
    else:
        assert got["type"] == "MatrixMarketError" and got["line"] == line
        assert message in got["message"]


@pytest.mark.parametrize("text, line, message", [
    (BANNER + "3 3\0 2\n1 1 1.0\n", 2, "NUL byte"),
    ("%%MatrixMarket matrix coordinate real symmetric\n3 2 1\n3 1 1.0\n", 2, "must be square"),
    ("%%MatrixMarket matrix array real hermitian\n2 3\n1\n2\n3\n", 2, "must be square"),
    (BANNER + "3 3 10000000000000\n1 1 1\n", 2, "claims 10,000,000,000,000 entries"),
    (ARRAY + "1000000000000 1000000000000\n1\n", 2, "values, but the 2 bytes"),
    (BANNER + "%\n3 x 1\n1 1 1\n", 3, "Invalid integer"),
    (BANNER + "2 2 3\n1 1 1\n2 2 2\n", 2, "claims 3 entries"),
    (BANNER + "2 2 2\n1 1 1\n2 2 2 \n" + "%" * 20 + "\n", 5, "Too many lines"),
])
def test_every_rejection_names_its_line(tmp_path, text, line, message):
    p = tmp_path / "bad.mtx"
    p.write_bytes(text.encode())
    with pytest.raises(sk.MatrixMarketError, match=message) as info:
        sk.io.read(p)
    assert info.value.line == line and f"line {line}" in str(info.value)


def test_huge_claimed_sizes_meet_the_memory_preflight(tmp_path):
    # a valid coordinate file of a 10^12 x 10^12 matrix: its CSR index pointer alone is 7 TiB
    p = tmp_path / "huge.mtx"
    p.write_text(BANNER + "1000000000000 1000000000000 1\n5 7 1.5\n")
    with pytest.raises(errors.InsufficientMemoryError, match=r"would need 7,450\.6 GiB, .* "
                       "available") as info:
        sk.io.read(p)
    assert info.value.needed > 2**42 and info.value.available is not None
    A = sk.io.read(p, format="coo")  # triplets need no index pointer: it fits
    assert A.shape == (10**12, 10**12) and A.nnz == 1 and (A.row[0], A.col[0]) == (4, 6)
    g = tmp_path / "huge.mtx.gz"  # a .gz cannot be sized from its bytes: memory refuses it
    g.write_bytes(gzip.compress((BANNER + "3 3 10000000000000\n1 1 1\n").encode()))
    with pytest.raises(errors.InsufficientMemoryError, match="10,000,000,000,000 entries"):
        sk.io.read(g)


def test_files_without_a_final_newline_read_as_with_one(tmp_path):
    cases = [BANNER + "3 3 2\n1 1 1.5\n3 2 -2", BANNER + "3 3 2\n1 1 1.5\n3 2 -2   ",
             ARRAY + "2 1\n1.0\n2.0", "%%MatrixMarket matrix coordinate complex general\n"
             "2 2 1\n2 1 1.0 -3.0"]
    for k, text in enumerate(cases):
        p = tmp_path / f"n{k}.mtx"
        p.write_text(text)
        ref = tmp_path / f"r{k}.mtx"
        ref.write_text(text.rstrip() + "\n")
        R = scipy.io.mmread(ref)
        got = sk.io.read(p)
        got = got.toarray() if sp.issparse(got) else got
        np.testing.assert_array_equal(got, R.toarray() if sp.issparse(R) else R)


def test_empty_arrays_and_info_through_the_guard(tmp_path):
    p = tmp_path / "e.mtx"
    p.write_text(ARRAY + "0 3\n\n  \n")
    x = sk.io.read(p)
    assert x.shape == (0, 3) and x.dtype == np.float64
    z = tmp_path / "z.mtx"
    z.write_text(BANNER + "0 0 0\n")
    assert sk.io.read(z).shape == (0, 0) and sk.io.info(z).shape == (0, 0)
    c = tmp_path / "c.mtx"
    c.write_bytes(BANNER.encode() + b"% a NUL \0 in a comment\n1 1 1\n1 1 2\n")
    with pytest.raises(sk.MatrixMarketError, match="NUL") as info:
        sk.io.info(c)
    assert info.value.line == 2


# ---------------------------------------------------------------------------
# .npz: the input gate on crafted files (issue 18, items 1, 6 and 12)
# ---------------------------------------------------------------------------

def _csr_parts(**change):
    parts = dict(format=np.array("csr"), shape=np.array([3, 3]), data=np.ones(3),
                 indices=np.array([0, 1, 2]), indptr=np.array([0, 1, 2, 3]))
    parts.update(change)
    return parts


CRAFTED = {
    "column index 10^9": (_csr_parts(indices=np.array([0, 1, 10**9])), "outside [0, 3)"),
    "negative column index": (_csr_parts(indices=np.array([0, -1, 2])), "outside [0, 3)"),
    "indptr not monotone": (_csr_parts(indptr=np.array([0, 2, 1, 3])), "decreases"),
    "indptr past the arrays": (_csr_parts(indptr=np.array([0, 1, 2, 9])), "runs from 0 to 9"),
    "indptr too short": (_csr_parts(indptr=np.array([0, 3])), "expected 4"),
    "float indices": (_csr_parts(indices=np.array([0.0, 1.0, 2.0])), "integer array"),
    "coo row out of range": (dict(format=np.array("coo"), shape=np.array([2, 2]),
                                  data=np.ones(2), row=np.array([0, 5]),
                                  col=np.array([0, 1])), "outside [0, 2)"),
    "negative shape": (_csr_parts(shape=np.array([-3, 3])), "two sizes >= 0"),
    "bsr format": (dict(format=np.array("bsr"), shape=np.array([2, 2]), data=np.ones((1, 2, 2)),
                        indices=np.array([0]), indptr=np.array([0, 1])), "'bsr' matrix"),
    "objects": (dict(dense=np.array([1, "a"], dtype=object)), "objects would need pickle"),
    "3-D dense": (dict(dense=np.ones((2, 2, 2))), "3-D float64 array"),
    "strings as data": (_csr_parts(data=np.array(["a", "b", "c"])), "1-D numbers"),
    "nothing of ours": (dict(x=np.ones(3)), "neither 'dense'"),
}


READ_ALL_IN_CHILD = """
import json, sys
import sparsekit as sk
out = {}
for path in sys.argv[1:]:
    try:
        sk.io.read(path)
        out[path] = {"ok": True}
    except sk.SparsekitError as exc:
        out[path] = {"ok": False, "type": type(exc).__name__, "message": str(exc)}
print(json.dumps(out))
"""


def test_crafted_npz_files_are_refused(tmp_path):
    paths = {}
    for k, (case, (arrays, _)) in enumerate(sorted(CRAFTED.items())):
        paths[case] = tmp_path / f"crafted{k}.npz"
        np.savez(paths[case], **arrays, allow_pickle=case == "objects")
    # in one child process: these crashed the process (segfault, heap corruption)
    got = isolated(READ_ALL_IN_CHILD, *paths.values())
    for case, p in paths.items():
        r = got[str(p)]
        assert not r["ok"] and r["type"] in ("InputValueError", "ShapeError"), (case, r)
        assert CRAFTED[case][1] in r["message"], (case, r)


def test_npz_that_is_not_a_zip_or_claims_more_than_it_holds(tmp_path):
    p = tmp_path / "text.npz"
    p.write_text("hello")
    with pytest.raises(sk.InputValueError, match="not a zip archive"):
        sk.io.read(p)
    import io as pyio
    import zipfile

    # a member whose .npy header claims 10^12 values in 100 bytes
    header = pyio.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False,
                                                  "shape": (10**12,)})
    q = tmp_path / "liar.npz"
    with zipfile.ZipFile(q, "w") as z:
        z.writestr("dense.npy", header.getvalue() + b"\0" * 100)
    with pytest.raises(sk.InputValueError, match="holds only"):
        sk.io.read(q)


# ---------------------------------------------------------------------------
# writes that cannot lose data (issue 18, items 2, 4 and 12)
# ---------------------------------------------------------------------------

from sparsekit import _guards, errors  # noqa: E402


class _FullDisk:
    """A file object that takes ``room`` bytes and then fails as a full disk does."""

    def __init__(self, real, room, exc):
        self.real, self.room, self.exc = real, room, exc

    def write(self, b):
        if len(b) > self.room:
            self.real.write(bytes(b)[:self.room])
            self.room = 0
            raise self.exc
        self.room -= len(b)
        return self.real.write(b)

    def __getattr__(self, name):
        return getattr(self.real, name)


def _failing_open(room, exc):
    real_open = open

    def fake(*args, **kwargs):
        return _FullDisk(real_open(*args, **kwargs), room, exc)

    return fake


@pytest.mark.parametrize("suffix", [".mtx", ".mtx.gz", ".npz"])
@pytest.mark.parametrize("exc", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_write_failing_midway_raises_and_keeps_the_old_file(tmp_path, monkeypatch, suffix, exc):
    target = tmp_path / ("keep" + suffix)
    sk.io.write(target, sp.eye_array(3))
    before = target.read_bytes()
    big = sp.random_array((300, 300), density=0.2, rng=np.random.default_rng(0), format="csr")
    monkeypatch.setattr(_guards, "open", _failing_open(4096, exc), raising=False)
    with pytest.raises(type(exc)):
        sk.io.write(target, big)
    monkeypatch.undo()
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


def test_the_file_is_fsynced_before_it_replaces_the_old_one(tmp_path, monkeypatch):
    calls = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (calls.append("replace"),
                                                     real_replace(a, b))[1])
    sk.io.write(tmp_path / "a.mtx", sp.eye_array(2))
    assert calls[:2] == ["fsync", "replace"]


FULL_DISK = """
import json, os, sys
import numpy as np, scipy.sparse as sp
import sparsekit as sk
folder = sys.argv[1]
if len(sys.argv) > 2:  # fmm writes the path itself, the lines are counted after
    from sparsekit.io import _matrices
    _matrices._DIRECT_WRITE = 0
out = {}
rng = np.random.default_rng(0)
big = sp.random_array((400, 400), density=0.3, rng=rng, format="csr")  # ~1 MB as text
for suffix in (".mtx", ".mtx.gz", ".npz"):
    target = os.path.join(folder, "keep" + suffix)
    sk.io.write(target, sp.eye_array(3))
    before = open(target, "rb").read()
    try:
        sk.io.write(target, big)
        out[suffix] = "no error"
    except OSError as exc:
        out[suffix] = [exc.errno, open(target, "rb").read() == before]
    os.unlink(target)
    out[suffix + " left"] = os.listdir(folder)
print(json.dumps(out))
"""


@pytest.mark.parametrize("direct", [False, True])
def test_a_full_disk_raises_and_keeps_the_old_file(tmp_path, direct):
    import shutil

    if not shutil.which("unshare"):
        pytest.skip("no unshare: cannot mount a small tmpfs here")
    disk = tmp_path / "disk"
    disk.mkdir()
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    script = tmp_path / "full_disk.py"
    script.write_text(FULL_DISK)
    p = subprocess.run(["unshare", "-rm", "sh", "-c", 'mount -t tmpfs -o size=160k tmpfs "$1" '
                        '&& exec "$2" "$3" "$1" $4', "sh", str(disk), sys.executable, str(script),
                        "direct" if direct else ""],
                       capture_output=True, text=True, timeout=120, env=env)
    if p.returncode != 0 and ("mount" in p.stderr or "unshare" in p.stderr):
        pytest.skip(f"cannot mount a small tmpfs here: {p.stderr.strip()[-200:]}")
    assert p.returncode == 0, p.stderr[-3000:]
    got = json.loads(p.stdout.strip().splitlines()[-1])
    for suffix in (".mtx", ".mtx.gz", ".npz"):
        assert got[suffix] == [28, True], (suffix, got)  # ENOSPC, and the old file intact
        assert got[suffix + " left"] == [], got


def test_write_never_changes_the_callers_matrix(tmp_path):
    # duplicates and unsorted indices: summed in a copy, as scipy sums them
    A = sp.csr_array((np.array([1.0, 2.0, 3.0, 4.0]), np.array([1, 0, 1, 0]),
                      np.array([0, 3, 4])), shape=(2, 2))
    snapshot = (A.data.copy(), A.indices.copy(), A.indptr.copy())
    for suffix in (".mtx", ".mtx.gz", ".npz"):
        sk.io.write(tmp_path / ("d" + suffix), A)
        np.testing.assert_array_equal(sk.io.read(tmp_path / ("d" + suffix)).toarray(),
                                      A.toarray())
    for got, was in zip((A.data, A.indices, A.indptr), snapshot, strict=True):
        np.testing.assert_array_equal(got, was)
    np.testing.assert_array_equal(scipy.io.mmread(tmp_path / "d.mtx").toarray(), [[2, 4], [4, 0]])


def test_write_refuses_what_would_change_the_values(tmp_path):
    N = sp.csr_array(np.array([[1.0, 2.0], [0.0, 3.0]]))
    with pytest.raises(sk.InputValueError, match="not symmetric.*drop"):
        sk.io.write(tmp_path / "a.mtx", N, symmetry="symmetric")
    with pytest.raises(sk.InputValueError, match="not skew-symmetric"):
        sk.io.write(tmp_path / "a.mtx", N, symmetry="skew-symmetric")
    with pytest.raises(sk.InputValueError, match="would change non-integer values"):
        sk.io.write(tmp_path / "a.mtx", N * 1.5, field="integer")
    with pytest.raises(sk.InputValueError, match="drop the imaginary"):
        sk.io.write(tmp_path / "a.mtx", N * 1j, field="real")
    for precision in (-1, 0, 65, True, 2.5):
        with pytest.raises(sk.InputValueError, match="precision"):
            sk.io.write(tmp_path / "a.mtx", N, precision=precision)
    with pytest.raises(sk.InputValueError, match="NUL"):
        sk.io.write(tmp_path / "a.mtx", N, comment="a\0b")
    assert list(tmp_path.iterdir()) == []
    # what is allowed reads back as scipy reads it
    S = N + N.T
    sk.io.write(tmp_path / "s.mtx", S, symmetry="symmetric", field="integer", precision=3)
    assert sk.io.info(tmp_path / "s.mtx").symmetry == "symmetric"
    np.testing.assert_array_equal(scipy.io.mmread(tmp_path / "s.mtx").toarray(), S.toarray())
    sk.io.write(tmp_path / "p.mtx", sp.csr_array([[1.23456]]), precision=3)
    assert scipy.io.mmread(tmp_path / "p.mtx").toarray()[0, 0] == 1.23


@pytest.mark.parametrize("A, error", [
    (np.array([[1, "a"]], dtype=object), sk.InputValueError),
    (np.array([["a", "b"]]), sk.InputValueError),
    (np.ones((2, 2, 2)), sk.ShapeError),
    (np.float64(3.0), sk.InputValueError),
    (sp.csr_array((np.ones(2), np.array([0, 9]), np.array([0, 1, 2])), shape=(2, 2)),
     sk.InputValueError),
])
@pytest.mark.parametrize("suffix", [".mtx", ".npz"])
def test_write_refuses_objects_strings_and_bad_shapes_before_writing(tmp_path, A, error, suffix):
    with pytest.raises(error):
        sk.io.write(tmp_path / ("x" + suffix), A)
    assert list(tmp_path.iterdir()) == []


def test_write_takes_lil_dok_bool_and_1d_sparse(tmp_path):
    D = np.array([[1.0, 0.0], [2.0, 3.0]])
    for fmt in ("lil", "dok"):
        sk.io.write(tmp_path / f"{fmt}.mtx", getattr(sp, f"{fmt}_array")(D))
        np.testing.assert_array_equal(scipy.io.mmread(tmp_path / f"{fmt}.mtx").toarray(), D)
    sk.io.write(tmp_path / "b.mtx", sp.csr_array(D > 1))
    np.testing.assert_array_equal(scipy.io.mmread(tmp_path / "b.mtx").toarray(), D > 1)
    sk.io.write(tmp_path / "v.mtx", sp.coo_array(np.array([0.0, 5.0, 0.0])))
    np.testing.assert_array_equal(scipy.io.mmread(tmp_path / "v.mtx").toarray(),
                                  [[0.0], [5.0], [0.0]])


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "t.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), sk.io.atomic_path(target) as tmp:
        tmp.write_text("new, half")
        raise RuntimeError("stop")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["t.txt"]


def test_edge_lists_and_tokens_that_crashed_the_readers(tmp_path):
    one = tmp_path / "one.txt"  # a one-field first line: the header guess indexed past it
    one.write_text("x\n1 2\n")
    with pytest.raises(sk.InputValueError):
        sk.io.read_edges(one)
    big = tmp_path / "big.txt"  # ids past int64 are names, numbered in sorted order
    big.write_text("99999999999999999999 1\n1 2\n")
    rows, cols, _, labels = sk.io.read_edges(big)
    assert labels.tolist() == sorted(["99999999999999999999", "1", "2"])
    assert [labels[r] + "-" + labels[c] for r, c in zip(rows, cols, strict=True)] == [
        "99999999999999999999-1", "1-2"]
    inf = tmp_path / "inf.txt"  # float ids that are not exact integers are names too
    inf.write_text("0 1\n1 inf\n")
    rows, cols, _, labels = sk.io.read_edges(inf)
    assert labels is not None and len(labels) == 3
    tok = tmp_path / "tok.txt"
    tok.write_text("5 99999999999999999999 5")
    ids, vocab = sk.io.read_tokens(tok)
    assert vocab.tolist() == ["5", "99999999999999999999"] and ids.tolist() == [0, 1, 0]


# --- PETSc's binary format through sk.io (issue 22) ----------------------------


@pytest.mark.skipif(not MTX, reason="shared SuiteSparse matrices not found (SPARSEKIT_DATA)")
@pytest.mark.parametrize("path", MTX[:12], ids=lambda p: p.name)
def test_petsc_binary_round_trips_through_io(path, tmp_path):
    ref = scipy.io.mmread(path)
    out = tmp_path / "A.petsc"
    sk.io.write(out, sk.io.read(path))
    B = sk.io.read(out, format="csc")
    if sp.issparse(ref):
        R = sp.csr_array(ref).astype(np.result_type(ref.dtype, np.float64))
        R.sum_duplicates()
        assert B.format == "csc" and B.shape == R.shape
        assert (abs(sp.csr_array(B) - R)).max() == 0 if R.nnz else B.nnz == 0
        meta = sk.io.info(out)
        assert (meta.shape, meta.kind) == (R.shape, "Mat")
    else:
        np.testing.assert_array_equal(np.asarray(B).reshape(ref.shape), ref)
    assert list(tmp_path.iterdir()) == [out]


def test_petsc_binary_vector_and_refusals(tmp_path):
    v = np.sin(np.arange(7.0))
    sk.io.write(tmp_path / "v.petsc", v)
    np.testing.assert_array_equal(sk.io.read(tmp_path / "v.petsc"), v)
    A = sk.poisson((4, 3))
    for bad in ({"symmetry": "symmetric"}, {"field": "real"}, {"comment": "x"},
                {"precision": 5}):
        with pytest.raises(sk.InputValueError, match="Matrix Market options"):
            sk.io.write(tmp_path / "A.petsc", A, **bad)
    assert not (tmp_path / "A.petsc").exists()
    with pytest.raises(sk.InputValueError, match="reads Matrix Market files"):
        sk.io.read_coo(tmp_path / "v.petsc")


def test_collective_read_on_one_rank_is_the_whole_matrix(tmp_path):
    """``read(path, comm=...)`` with one rank: its block is every row (the reader's own
    one-rank communicator; the rows each rank of a real one owns are tested under mpiexec
    in test_petsc.py)."""
    from sparsekit._rowread import _SerialComm

    A = sk.poisson((6, 5))
    for suffix in (".mtx", ".npz", ".petsc"):
        p = tmp_path / ("A" + suffix)
        sk.io.write(p, A)
        block = sk.io.read(p, comm=_SerialComm())
        assert (block.start, block.stop, tuple(block.shape)) == (0, 30, (30, 30))
        assert abs(sp.csr_array(block.local) - A).max() == 0


@pytest.mark.parametrize("shape", [(3, 0), (0, 3), (0, 0), (1, 2), (100, 100)])
@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
@pytest.mark.parametrize("suffix", [".mtx", ".mtx.gz"])
def test_write_matrices_with_no_entries(tmp_path, shape, fmt, suffix):
    # fmm's CSR writer never returned on a 1 x 2 CSR with no entries (the fuzz suite found it)
    target = tmp_path / ("e" + suffix)
    sk.io.write(target, sp.csr_array(shape).asformat(fmt))
    got = sk.io.read(target)
    assert got.shape == shape and got.nnz == 0


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("order", ["canonical", "rows", "columns", "shuffled", "duplicates"])
def test_read_gives_canonical_csr_whatever_the_file_order(order, fmt, tmp_path):
    # entries in row order (the triplets become the CSR arrays), in row order with each
    # row's columns shuffled and repeated (the same, then sorted and summed), in column
    # order (the same for CSC), shuffled, or repeated: the matrix read is canonical (sorted
    # minor indices, duplicates summed) and equals SciPy's own conversion
    rng = np.random.default_rng(3)
    n, m = 300, 4000
    rows, cols = rng.integers(0, n, m), rng.integers(0, n, m)
    vals = rng.standard_normal(m)
    if order == "canonical":
        C = sp.coo_array((vals, (rows, cols)), shape=(n, n)).tocsr()
        C.sum_duplicates()
        C = C.tocoo()
        rows, cols, vals = C.row, C.col, C.data
    elif order in ("rows", "columns"):
        major = np.sort(rows)  # repeated (row, column) pairs among them
        p = np.argsort(major if order == "rows" else np.sort(cols), kind="stable")
        rows, cols = (major, cols) if order == "rows" else (rows, np.sort(cols))
        rows, cols = rows[p], cols[p]
    elif order == "shuffled":
        keys = np.unique(rows * n + cols)
        rows, cols, vals = keys // n, keys % n, rng.standard_normal(keys.size)
        p = rng.permutation(keys.size)
        rows, cols, vals = rows[p], cols[p], vals[p]
    lines = [f"{r + 1} {c + 1} {float(v)!r}" for r, c, v in zip(rows, cols, vals, strict=True)]
    path = tmp_path / "a.mtx"
    path.write_text("%%MatrixMarket matrix coordinate real general\n"
                    f"{n} {n} {len(lines)}\n" + "\n".join(lines) + "\n")
    A = sk.io.read(path, format=fmt)
    ref = sp.csr_array(scipy.io.mmread(path)).asformat(fmt)
    ref.sum_duplicates()
    assert A.format == fmt and A.has_canonical_format
    for i in range(n):  # a plain loop: every row's (column's) indices strictly increasing
        seg = A.indices[A.indptr[i]:A.indptr[i + 1]]
        assert np.all(np.diff(seg) > 0)
    np.testing.assert_array_equal(A.indptr, ref.indptr)
    np.testing.assert_array_equal(A.indices, ref.indices)
    np.testing.assert_allclose(A.data, ref.data, rtol=1e-15, atol=0)
