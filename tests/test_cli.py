"""The command line, driven through its real entry points.

CliRunner for most cases (in-process, fast); a few subprocesses through
``python -m sparsekit`` for the exit codes the shell sees.  References are
independent of the command under test: scipy.io.mmread, networkx, the
library call itself for --json parity, and residuals recomputed here.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import fast_matrix_market as fmm
import networkx as nx
import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp
from click.testing import CliRunner

import sparsekit as sk
from sparsekit.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SHARED = sk.datasets.data_dir()
REAL = [n for n in sk.datasets.names(source="suitesparse") if sk.datasets.available(n)]
needs_real = pytest.mark.skipif(not REAL, reason="shared SuiteSparse matrices not found "
                                "(set SPARSEKIT_DATA)")


def run(*args, env=None):
    """Invoke the CLI in-process; stdout and stderr kept apart."""
    return CliRunner(env=env).invoke(cli, [str(a) for a in args], catch_exceptions=False)


def run_json(*args, code=0, env=None):
    r = run(*args, "--json", env=env)
    assert r.exit_code == code, (r.exit_code, r.stdout, r.stderr)
    return json.loads(r.stdout)


def shell(*args, env=None, timeout=120):
    """Run ``python -m sparsekit`` as a user would."""
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT) + os.pathsep + e.get("PYTHONPATH", "")
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "sparsekit", *map(str, args)], env=e,
                          capture_output=True, text=True, timeout=timeout)


def real_path(name):
    if not sk.datasets.available(name):
        pytest.skip(f"{name} not in {SHARED}")
    return sk.datasets.path(name)


# ---------------------------------------------------------------------------
# info
# ---------------------------------------------------------------------------

@needs_real
def test_info_on_every_shared_file_matches_scipy():
    paths = [sk.datasets.path(n) for n in REAL]
    data = run_json("info", "--no-plan", *paths)
    assert data["ok"] and len(data["files"]) == len(paths)
    for path, rep in zip(paths, data["files"], strict=True):
        ref = scipy.io.mmread(path)
        field, symmetry = scipy.io.mminfo(path)[4:6]
        assert rep["file"] == str(path)
        assert tuple(rep["shape"]) == ref.shape
        assert rep["header"]["field"] == field and rep["header"]["symmetry"] == symmetry
        if not sp.issparse(ref):
            assert rep["sparse"] is False
            continue
        R = sp.csr_array(ref)
        R.sum_duplicates()
        assert rep["nnz"] == R.nnz
        lengths = np.diff(R.indptr)
        assert rep["row_lengths"]["max"] == lengths.max()
        assert rep["row_lengths"]["empty_rows"] == np.count_nonzero(lengths == 0)
        assert rep["memory_dense"] == R.shape[0] * R.shape[1] * R.dtype.itemsize
        if R.shape[0] == R.shape[1]:
            exact_sym = (R != R.T).nnz == 0
            if symmetry != "general" or exact_sym:
                assert rep["symmetric"] is True
            d = R.diagonal()
            assert rep["diagonal"]["zeros"] == np.count_nonzero(d == 0)
            if np.all(d > 0):
                assert rep["diagonal"]["sign"] == "positive"


@needs_real
@pytest.mark.parametrize("name,components", [("Erdos971", 42), ("ca-GrQc", 355)])
def test_info_components_match_the_collection(name, components):
    # The collection's own metadata (SOURCES.md): 42 and 355 components.
    rep = run_json("info", "--no-plan", real_path(name))["files"][0]
    assert rep["components"] == components


@needs_real
def test_info_components_and_degrees_match_networkx():
    path = real_path("jazz")
    G = nx.from_scipy_sparse_array(scipy.io.mmread(path))
    rep = run_json("info", "--no-plan", path)["files"][0]
    assert rep["components"] == nx.number_connected_components(G)
    degrees = np.array([d for _, d in G.degree()])  # jazz has no self-loops
    assert rep["row_lengths"]["max"] == degrees.max()
    assert rep["row_lengths"]["mean"] == pytest.approx(degrees.mean())


def test_info_human_output_names_the_facts():
    r = run("info", "poisson2d_64", "--no-plan")
    assert r.exit_code == 0, r.stderr
    for word in ("4,096 x 4,096", "20,224 stored", "symmetric", "positive", "memory"):
        assert word in r.stdout
    q = run("info", "poisson2d_64", "--no-plan", "-q")
    assert q.stdout.strip().count("\n") == 0 and "4096 x 4096" in q.stdout


def test_info_spy_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "spy.png"
    r = run("info", "poisson2d_64", "--no-plan", "--spy", png)
    assert r.exit_code == 0, r.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(tmp_path.iterdir()) == [png]


def test_info_spy_needs_one_file(tmp_path):
    r = run("info", "poisson2d_64", "poisson2d_64", "--spy", tmp_path / "s.png")
    assert r.exit_code == 2 and "one FILE" in r.stderr


# ---------------------------------------------------------------------------
# bad input: missing, malformed, usage; JSON on failure
# ---------------------------------------------------------------------------

def test_missing_file_exits_2_and_names_it(tmp_path):
    missing = tmp_path / "nope.mtx"
    r = run("info", missing)
    assert r.exit_code == 2
    assert str(missing) in r.stderr and r.stdout == ""


def test_malformed_file_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.mtx"
    bad.write_text("%%MatrixMarket matrix coordinate real general\n3 3 2\n1 1 1.0\n2 x 2.0\n")
    r = run("info", bad)
    assert r.exit_code == 2
    assert str(bad) in r.stderr and "line 4" in r.stderr
    data = run_json("info", bad, code=2)
    assert data["ok"] is False and data["error"]["type"] == "MatrixMarketError"
    assert "line 4" in data["error"]["message"]


def test_usage_error_exits_2():
    r = run("info", "--no-such-option", "x")
    assert r.exit_code == 2
    r = run("info")  # FILE is required
    assert r.exit_code == 2


def test_json_error_object_for_usage_errors_in_the_shell():
    p = shell("info", "--bogus", "--json")
    assert p.returncode == 2
    assert json.loads(p.stdout)["ok"] is False


def test_shell_exit_codes_and_help():
    h = shell("--help")
    assert h.returncode == 0 and "Examples" in h.stdout and "solve" in h.stdout
    assert shell("info", "no/such/file.mtx").returncode == 2


# ---------------------------------------------------------------------------
# datasets and convert
# ---------------------------------------------------------------------------

def test_datasets_list_and_path():
    data = run_json("datasets", "list")
    assert [d["name"] for d in data["datasets"]] == sk.datasets.names()
    spd = run_json("datasets", "list", "--tag", "spd")
    assert {d["name"] for d in spd["datasets"]} == set(sk.datasets.names("spd"))
    r = run("datasets", "path", "poisson2d_64")
    assert r.exit_code == 0 and Path(r.stdout.strip()) == sk.datasets.path("poisson2d_64")
    assert run("datasets", "path", "no_such_dataset").exit_code == 2


@pytest.mark.parametrize("suffix", [".npz", ".mtx.gz", ".mtx"])
def test_convert_round_trips(tmp_path, suffix):
    src = sk.datasets.path("poisson2d_64")
    dst = tmp_path / ("A" + suffix)
    data = run_json("convert", src, dst)
    assert data["output"] == str(dst)
    A = sk.io.read(dst)
    ref = sp.csr_array(scipy.io.mmread(src))
    assert A.shape == ref.shape and abs(A - ref).max() == 0
    if suffix != ".npz":
        assert sk.io.info(dst).symmetry == "symmetric"


@needs_real
def test_convert_keeps_a_pattern_field(tmp_path):
    dst = tmp_path / "k.mtx"
    assert run("convert", real_path("karate"), dst).exit_code == 0
    assert scipy.io.mminfo(dst)[4:6] == ("pattern", "symmetric")
    R = scipy.io.mmread(real_path("karate"))
    assert (sp.csr_array(scipy.io.mmread(dst)) != sp.csr_array(R)).nnz == 0


def test_output_equal_to_input_refused_unless_force(tmp_path):
    p = tmp_path / "A.mtx"
    sk.io.write(p, sk.datasets.load("poisson2d_64"))
    before = p.read_bytes()
    r = run("convert", p, p)
    assert r.exit_code == 2 and "--force" in r.stderr
    assert p.read_bytes() == before
    # Another spelling of the same path is the same file.
    r = run("convert", p, tmp_path / "." / "A.mtx")
    assert r.exit_code == 2
    r = run("convert", p, p, "--force")
    assert r.exit_code == 0
    assert abs(sk.io.read(p) - sk.datasets.load("poisson2d_64")).max() == 0


def test_unwritable_output_exits_2_before_work(tmp_path):
    src = sk.datasets.path("poisson2d_64")
    r = run("convert", src, tmp_path / "missing-folder" / "A.mtx")
    assert r.exit_code == 2 and "does not exist" in r.stderr
    r = run("convert", src, tmp_path)  # a folder
    assert r.exit_code == 2
    r = run("convert", src, tmp_path / "A.txt")  # unknown matrix format
    assert r.exit_code == 2 and ".mtx" in r.stderr
    if Path("/proc/self").is_dir():  # a read-only file system, even for root
        r = run("convert", src, "/proc/sparsekit-test.mtx")
        assert r.exit_code == 2
    assert list(tmp_path.iterdir()) == []


def test_interrupted_write_leaves_no_file(tmp_path, monkeypatch):
    dst = tmp_path / "A.mtx"
    real_write = fmm.mmwrite

    def write_then_interrupt(target, *args, **kwargs):
        real_write(target, *args, **kwargs)  # the temporary file is complete ...
        raise KeyboardInterrupt  # ... and Ctrl-C comes before the rename

    monkeypatch.setattr(fmm, "mmwrite", write_then_interrupt)
    r = run("convert", "poisson2d_64", dst)
    assert r.exit_code == 130 and "interrupted" in r.stderr
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------
# MPI: only rank 0 prints
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("var", ["OMPI_COMM_WORLD_RANK", "PMI_RANK"])
def test_only_rank_0_prints(var):
    quiet = run("info", "poisson2d_64", "--no-plan", env={var: "1"})
    assert quiet.exit_code == 0 and quiet.stdout == ""
    loud = run("info", "poisson2d_64", "--no-plan", env={var: "0"})
    assert "4,096" in loud.stdout
    failed = run("info", "no-such.mtx", "--json", env={var: "3"})
    assert failed.exit_code == 2 and failed.stdout == "" and failed.stderr == ""
