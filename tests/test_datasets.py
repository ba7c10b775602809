import csv
import hashlib
import json
import os
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp
from click.testing import CliRunner

import sparsekit as sk
from sparsekit import datasets
from sparsekit.cli import cli

REAL = [n for n in sk.datasets.names(source="suitesparse") if sk.datasets.available(n)]


def test_names_and_tags():
    names = sk.datasets.names()
    assert "karate" in names and "poisson2d_64" in names
    assert set(sk.datasets.names("spd")) >= {"bcsstk09", "nos6", "poisson2d_64"}
    assert "west0479" in sk.datasets.names("nonsymmetric")


def test_shipped_poisson_matches_a_numpy_stencil():
    A = sk.datasets.load("poisson2d_64")
    n = 64
    u = np.random.default_rng(0).standard_normal((n, n))
    p = np.pad(u, 1)  # Dirichlet: zero outside the grid
    ref = 4 * u - p[:-2, 1:-1] - p[2:, 1:-1] - p[1:-1, :-2] - p[1:-1, 2:]
    np.testing.assert_allclose(A @ u.ravel(), ref.ravel(), atol=1e-12)
    assert A.nnz == 5 * n * n - 4 * n


def test_generated_grid_shortcuts_is_symmetric_graph():
    W = sk.datasets.load("grid_shortcuts_300")
    assert W.shape == (90000, 90000)
    assert (W != W.T).nnz == 0
    # 2*300*299 grid edges plus at most 200 shortcuts, each stored twice
    assert 2 * 2 * 300 * 299 <= W.nnz <= 2 * (2 * 300 * 299 + 200)
    assert set(np.unique(W.data)) == {1.0}


def test_real_matrix_found_in_data_dir(real):
    A = real("karate")
    ref = scipy.io.mmread(sk.datasets.path("karate"))
    assert (sp.csr_array(ref) != A).nnz == 0


def test_missing_dataset_says_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.setenv("SPARSEKIT_DATA", str(tmp_path))
    assert sk.datasets.data_dir() == tmp_path
    with pytest.raises(sk.DataNotFoundError, match=r"sparsekit datasets fetch karate.*"
                       r"sparse\.tamu\.edu"):
        sk.datasets.load("karate")
    assert not sk.datasets.available("karate")


def test_unknown_dataset_lists_names():
    with pytest.raises(sk.UnknownMethodError, match="karate"):
        sk.datasets.load("no-such-matrix")


def test_file_in_collection_layout(tmp_path, monkeypatch):
    (tmp_path / "tiny").mkdir()
    scipy.io.mmwrite(tmp_path / "tiny" / "tiny.mtx", sp.coo_array(np.eye(2)))
    monkeypatch.setenv("SPARSEKIT_DATA", str(tmp_path))
    monkeypatch.setitem(sk.datasets._REGISTRY, "tiny",
                        sk.datasets.Dataset("tiny", "suitesparse"))
    assert sk.datasets.path("tiny") == tmp_path / "tiny" / "tiny.mtx"


# ---------------------------------------------------------------------------
# names of the collection, the content fingerprint, the example inputs
# ---------------------------------------------------------------------------

def test_group_names_and_their_mistakes():
    assert datasets.get("HB/nos6") is datasets.get("nos6")
    assert datasets.get("Newman/karate").group == "Newman"
    with pytest.raises(sk.UnknownMethodError, match=r"'nos6' is HB/nos6 .*not 'SNAP/nos6'"):
        datasets.get("SNAP/nos6")
    with pytest.raises(sk.UnknownMethodError, match="GROUP/NAME"):
        datasets.get("a/b/c")
    with pytest.raises(sk.UnknownMethodError, match="sparsekit datasets fetch HB/west0156"):
        datasets.get("HB/west0156")
    # every real entry knows its group; generated ones have none
    assert all(datasets.get(n).group for n in datasets.names(source="suitesparse"))
    assert datasets.get("poisson2d_64").group is None


def _reference_fingerprint(path):
    """The fingerprint recomputed independently: scipy.io.mmread, a dict of the entries and
    a plain loop over them in (row, col) order."""
    M = scipy.io.mmread(path)
    if not sp.issparse(M):
        M = sp.coo_array(np.asarray(M).reshape(M.shape[0], -1))
    M = sp.coo_array(M)
    entries = {}
    for i, j, v in zip(M.row.tolist(), M.col.tolist(), M.data.tolist(), strict=True):
        entries[(i, j)] = entries.get((i, j), 0) + v
    keys = sorted(k for k, v in entries.items() if v != 0)
    indptr = np.zeros(M.shape[0] + 1, dtype="<i8")
    for i, _ in keys:
        indptr[i + 1] += 1
    indptr = np.cumsum(indptr).astype("<i8")
    h = hashlib.sha256()
    h.update(np.asarray(M.shape, dtype="<i8").tobytes())
    h.update(indptr.tobytes())
    h.update(np.asarray([j for _, j in keys], dtype="<i8").tobytes())
    total = 0
    for k, key in enumerate(keys):
        w = ((k * 2654435761) % 2**32) / 2**32 - 0.5
        total += w * entries[key]
    return h.hexdigest()[:12], complex(total)


@pytest.mark.skipif(not REAL, reason="shared SuiteSparse matrices not found (SPARSEKIT_DATA)")
def test_registry_fingerprints_match_the_shared_files():
    for name in REAL:
        d = datasets.get(name)
        pattern, total, scale, shape, nnz = datasets._fingerprint(datasets.load(name))
        assert pattern == d.check[0], name
        assert abs(total - d.check[1]) <= 1e-9 * scale, name
        if os.path.getsize(datasets.path(name)) < 300_000:  # the loop is slow on big ones
            ref_pattern, ref_total = _reference_fingerprint(datasets.path(name))
            assert pattern == ref_pattern, name
            assert abs(total - ref_total) <= 1e-12 * scale, name


def test_fingerprint_ignores_format_and_sees_every_change(tmp_path, real):
    A = real("bcsstk09")
    base = datasets._fingerprint(A)
    # another file of the same matrix: general symmetry, entries shuffled, other comments,
    # values printed with 17 digits -- as the collection's current files differ from
    # SOURCES.md's copies (header lines), nothing of this may matter
    C = sp.coo_array(A)
    order = np.random.default_rng(0).permutation(C.nnz)
    with open(tmp_path / "b.mtx", "w") as f:
        f.write("%%MatrixMarket matrix coordinate real general\n% another header\n")
        f.write(f"{A.shape[0]} {A.shape[1]} {C.nnz}\n")
        for i, j, v in zip((C.row[order] + 1).tolist(), (C.col[order] + 1).tolist(),
                           C.data[order].tolist(), strict=True):
            f.write(f"{i} {j} {v!r}\n")
    again = datasets._fingerprint(sk.io.read(tmp_path / "b.mtx"))
    assert again[0] == base[0] and abs(again[1] - base[1]) <= 1e-12 * base[2]
    # an explicit zero is not an entry
    Z = sp.coo_array((np.append(C.data, 0.0), (np.append(C.row, 0), np.append(C.col, 5))),
                     shape=A.shape)
    assert datasets._fingerprint(Z)[0] == base[0]
    # what the values' check sees: a change of 1e-6 of the largest entry (the sum is
    # compared to 1e-9 of sum |w_k a_k|), a large and a small value swapped
    big, small = np.argmax(np.abs(A.data)), np.argmin(np.abs(A.data))
    B = sp.csr_array(A, copy=True)
    B.data[big] *= 1 + 1e-6
    assert abs(datasets._fingerprint(B)[1] - base[1]) > 1e-9 * base[2]
    B = sp.csr_array(A, copy=True)
    B.data[[big, small]] = B.data[[small, big]]
    assert abs(datasets._fingerprint(B)[1] - base[1]) > 1e-9 * base[2]
    # one entry of row 0 moved to a column of row 0 that holds nothing
    free = np.setdiff1d(np.arange(A.shape[1]), A.indices[A.indptr[0]:A.indptr[1]])[0]
    rows, cols = C.row.copy(), C.col.copy()
    first = np.flatnonzero(rows == 0)[0]
    cols[first] = free
    B = sp.coo_array((C.data, (rows, cols)), shape=A.shape)
    assert datasets._fingerprint(B)[0] != base[0]


def test_a_fetched_name_is_listed_and_loaded(tmp_path, monkeypatch, real):
    A = real("west0479")
    monkeypatch.setenv("SPARSEKIT_DATA", str(tmp_path))
    (tmp_path / "mine").mkdir()
    sk.io.write(tmp_path / "mine" / "mine.mtx", A)
    (tmp_path / "mine" / ".sparsekit-fetch.json").write_text(json.dumps({"group": "Me"}))
    (tmp_path / "notes").mkdir()  # a folder without NAME.mtx is not a dataset
    assert "mine" in datasets.names() and "notes" not in datasets.names()
    assert "mine" not in datasets.names("spd")
    assert datasets.get("Me/mine").group == "Me"
    assert (datasets.load("mine") != A).nnz == 0
    assert datasets.provenance("mine") == {"group": "Me"}
    assert datasets.provenance("poisson2d_64") == {}
    r = CliRunner().invoke(cli, ["datasets", "list", "--json"], catch_exceptions=False)
    listed = {e["name"]: e for e in json.loads(r.stdout)["datasets"]}
    assert listed["mine"]["group"] == "Me" and listed["mine"]["available"]
    assert listed["nos6"]["group"] == "HB" and not listed["nos6"]["available"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG folders are Linux's")
def test_default_data_dir_is_the_user_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("SPARSEKIT_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert datasets.data_dir() == tmp_path / "xdg" / "sparsekit"
    monkeypatch.setenv("SPARSEKIT_DATA", "~/somewhere")
    assert datasets.data_dir() == Path.home() / "somewhere"


def test_missing_file_suggests_the_dataset(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SPARSEKIT_DATA", str(tmp_path / "empty"))
    r = CliRunner().invoke(cli, ["info", "nos6.mtx"], catch_exceptions=False)
    assert r.exit_code == 2
    assert ("no such file 'nos6.mtx'; did you mean the dataset 'nos6'? (sparsekit datasets "
            "fetch nos6 if it is not here yet)") in r.stderr
    r = CliRunner().invoke(cli, ["info", "sub/karate.mtx.gz", "--json"], catch_exceptions=False)
    assert r.exit_code == 2 and "the dataset 'karate'" in json.loads(r.stdout)["error"]["message"]
    r = CliRunner().invoke(cli, ["info", "poisson2d_64.npz"], catch_exceptions=False)
    assert "did you mean the dataset 'poisson2d_64'?" in r.stderr and "fetch" not in r.stderr
    r = CliRunner().invoke(cli, ["info", "nothing_like_it.mtx"], catch_exceptions=False)
    assert r.exit_code == 2 and "did you mean" not in r.stderr
    r = CliRunner().invoke(cli, ["info", "nos6"], catch_exceptions=False)
    assert r.exit_code == 2 and "sparsekit datasets fetch nos6" in r.stderr


def test_examples_are_shipped_and_copied(tmp_path):
    shipped = datasets.examples()
    assert sorted(shipped) == ["corpus.txt", "edges.csv"]
    assert all(p.is_file() for p in shipped.values())
    got = datasets.examples(tmp_path)
    assert got == {n: tmp_path / n for n in shipped}
    for n in shipped:
        assert got[n].read_bytes() == shipped[n].read_bytes()
    got["edges.csv"].write_text("mine\n")
    with pytest.raises(sk.InputValueError, match="refusing to overwrite"):
        datasets.examples(tmp_path)
    assert got["edges.csv"].read_text() == "mine\n"  # nothing was touched
    datasets.examples(tmp_path, force=True)
    assert got["edges.csv"].read_bytes() == shipped["edges.csv"].read_bytes()
    with pytest.raises(sk.DataNotFoundError, match="no such folder"):
        datasets.examples(tmp_path / "missing")


def test_cli_examples_then_the_readme_commands(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    r = runner.invoke(cli, ["datasets", "examples", "."], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "sparsekit spectral fiedler edges.csv" in r.stdout
    r = runner.invoke(cli, ["datasets", "examples", "."], catch_exceptions=False)
    assert r.exit_code == 2 and "refusing to overwrite" in r.stderr
    assert runner.invoke(cli, ["datasets", "examples", "--force"]).exit_code == 0

    # sparsekit spectral fiedler edges.csv against networkx on the same file
    r = runner.invoke(cli, ["spectral", "fiedler", "edges.csv", "--json"],
                      catch_exceptions=False)
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    with open("edges.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["source", "target", "weight"]
    G = nx.Graph()
    G.add_weighted_edges_from((e["source"], e["target"], float(e["weight"])) for e in rows)
    assert G.number_of_nodes() == 6 and all(not n.isdigit() for n in G)
    value = nx.algebraic_connectivity(G, method="tracemin_lu", tol=1e-12)
    assert got["value"] == pytest.approx(value, rel=1e-8)
    ref = nx.fiedler_vector(G, method="tracemin_lu", tol=1e-12)
    order = sorted(G)  # sparsekit numbers named nodes in sorted order
    ref = np.array([ref[list(G).index(n)] for n in order])
    mine = np.array(got["vector"])
    assert abs(abs(mine @ ref) - np.linalg.norm(mine) * np.linalg.norm(ref)) < 1e-8
    assert {n for n, v in zip(order, mine, strict=True) if v > 0} in (
        {"alice", "bob", "carol"}, {"dave", "erin", "frank"})

    # sparsekit build cooccurrence corpus.txt --window 2 --ppmi against a plain loop
    r = runner.invoke(cli, ["build", "cooccurrence", "corpus.txt", "--window", "2", "--ppmi",
                            "-o", "P.npz"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    P = sk.io.read("P.npz").toarray()
    docs = [line.split() for line in open("corpus.txt").read().split("\n\n") if line.strip()]
    assert len(docs) >= 5
    vocab = sorted({w for d in docs for w in d})
    index = {w: i for i, w in enumerate(vocab)}
    C = np.zeros((len(vocab), len(vocab)))
    for d in docs:
        for i in range(len(d)):
            for j in range(i + 1, min(i + 3, len(d))):
                C[index[d[i]], index[d[j]]] += 1
                C[index[d[j]], index[d[i]]] += 1
    r_w, c_c = C.sum(axis=1), C.sum(axis=0)
    S = (c_c ** 0.75).sum()
    with np.errstate(divide="ignore"):
        ref = np.maximum(np.log(C * S / np.outer(r_w, c_c ** 0.75)), 0)
    np.testing.assert_allclose(P, ref, rtol=1e-12, atol=1e-14)
