"""The command line, driven through its real entry points.

CliRunner for most cases (in-process, fast); a few subprocesses through
``python -m sparsekit`` for the exit codes the shell sees.  References are
independent of the command under test: scipy.io.mmread, networkx, the
library call itself for --json parity, and residuals recomputed here.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import scipy.io
import scipy.linalg
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
    data = run_json("info", *paths)
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
        assert rep["plans"]["solve"]["method"] == sk.plan(sk.io.read(path)).method
        assert rep["plans"]["solve"]["reasons"]
        assert rep["nnz"] == R.nnz
        lengths = np.diff(R.indptr)
        assert rep["row_lengths"]["max"] == lengths.max()
        assert rep["row_lengths"]["empty_rows"] == np.count_nonzero(lengths == 0)
        assert rep["memory_dense"] == R.shape[0] * R.shape[1] * R.dtype.itemsize
        if R.shape[0] == R.shape[1]:
            exact_sym = (R != R.T).nnz == 0
            if symmetry != "general" or exact_sym:
                assert rep["symmetric"] is True
            if rep["symmetric"]:
                assert rep["plans"]["eigsh"]["method"] == sk.plan(
                    sk.io.read(path), task="eigsh").method
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


def test_outputs_get_ordinary_permissions(tmp_path):
    # mkstemp makes private files; an atomic write must not leave its result 0o600
    mask = os.umask(0o022)
    try:
        dst, png = tmp_path / "A.mtx", tmp_path / "spy.png"
        assert run("convert", "poisson2d_64", dst).exit_code == 0
        assert (dst.stat().st_mode & 0o777) == 0o644
        if __import__("importlib").util.find_spec("matplotlib"):
            assert run("info", "poisson2d_64", "--no-plan", "--spy", png).exit_code == 0
            assert (png.stat().st_mode & 0o777) == 0o644
    finally:
        os.umask(mask)


def test_existing_output_beside_a_new_one(tmp_path):
    # regression: comparing an existing output with a not-yet-written one
    tokens = tmp_path / "t.txt"
    tokens.write_text("a b a c")
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("old")
    r = run("build", "cooccurrence", tokens, "-o", tmp_path / "C.mtx", "--vocab", vocab)
    assert r.exit_code == 0, r.stderr
    assert vocab.read_text().split() == ["a", "b", "c"]


def test_interrupted_write_leaves_no_file(tmp_path, monkeypatch):
    from sparsekit.io import _matrices

    dst = tmp_path / "A.mtx"
    real_write = _matrices._writer()

    def write_then_interrupt(target, *args, **kwargs):
        real_write(target, *args, **kwargs)  # the temporary file is complete ...
        raise KeyboardInterrupt  # ... and Ctrl-C comes before the rename

    monkeypatch.setattr(_matrices, "_writer", lambda: write_then_interrupt)
    r = run("convert", "poisson2d_64", dst)
    assert r.exit_code == 130 and "interrupted" in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_during_a_solve_leaves_no_file(tmp_path):
    import signal
    import time

    xfile = tmp_path / "x.mtx"
    e = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    # plain CG to an unreachable tolerance: it runs until interrupted
    p = subprocess.Popen([sys.executable, "-m", "sparsekit", "solve", "poisson2d_256",
                          "--method", "cg", "--precond", "none", "--rtol", "1e-300",
                          "--maxiter", "10000000", "-o", str(xfile)],
                         env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(4)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode in (130, -signal.SIGINT)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------
# MPI: only rank 0 prints
# ---------------------------------------------------------------------------

def _mpiexec(n):
    import shutil

    exe = shutil.which("mpiexec")
    cmd = [exe, "-n", str(n)]
    version = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout
    if "Open MPI" in version or "OpenRTE" in version:
        if os.geteuid() == 0:
            cmd.append("--allow-run-as-root")
        cmd += ["--oversubscribe", "--mca", "mpi_yield_when_idle", "1"]
    return cmd


@pytest.mark.mpi
@needs_real
def test_under_mpiexec_only_rank_0_prints_and_writes(tmp_path):
    import importlib.util
    import shutil

    if not (shutil.which("mpiexec") and importlib.util.find_spec("petsc4py")
            and importlib.util.find_spec("mpi4py")):
        pytest.skip("mpiexec or petsc4py missing (extra 'mpi')")
    xfile = tmp_path / "x.mtx"
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    p = subprocess.run([*_mpiexec(2), sys.executable, "-m", "sparsekit", "solve",
                        str(real_path("bcsstk09")), "--backend", "petsc", "-o", str(xfile),
                        "--json"], env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)  # exactly one JSON object: rank 1 printed nothing
    assert data["backend"] == "petsc" and data["converged"]
    x = np.asarray(scipy.io.mmread(xfile)).ravel()
    assert _residual(real_path("bcsstk09"), x, np.ones(x.size)) <= 1e-8
    assert sorted(tmp_path.iterdir()) == [xfile]


@pytest.mark.parametrize("var", ["OMPI_COMM_WORLD_RANK", "PMI_RANK"])
def test_only_rank_0_prints(var):
    quiet = run("info", "poisson2d_64", "--no-plan", env={var: "1"})
    assert quiet.exit_code == 0 and quiet.stdout == ""
    loud = run("info", "poisson2d_64", "--no-plan", env={var: "0"})
    assert "4,096" in loud.stdout
    failed = run("info", "no-such.mtx", "--json", env={var: "3"})
    assert failed.exit_code == 2 and failed.stdout == "" and failed.stderr == ""


# ---------------------------------------------------------------------------
# solve: x checked against the residual computed here
# ---------------------------------------------------------------------------

def _residual(path, x, b):
    A = sp.csr_array(scipy.io.mmread(path))
    return np.linalg.norm(b - A @ x) / np.linalg.norm(b)


@needs_real
@pytest.mark.parametrize("name", ["nos6", "orsirr_1"])
def test_solve_writes_an_x_that_solves(tmp_path, name):
    path = real_path(name)
    xfile = tmp_path / "x.mtx"
    data = run_json("solve", path, "-o", xfile)
    assert data["converged"] is True and data["outputs"]["x"] == str(xfile)
    x = np.asarray(scipy.io.mmread(xfile)).ravel()
    b = np.ones(x.size)
    rel = _residual(path, x, b)
    assert rel <= 1e-8
    assert rel == pytest.approx(data["relative_residual"], rel=1e-6, abs=1e-16)


@needs_real
def test_solve_least_squares_reaches_the_minimal_residual(tmp_path):
    path, rhs = real_path("illc1033"), real_path("illc1033_rhs1")
    xfile = tmp_path / "x.npz"
    data = run_json("solve", path, "-o", xfile)  # the registry pairs illc1033 with its rhs
    assert data["rhs"] == "illc1033_rhs1"
    A = scipy.io.mmread(path).toarray()
    b = np.asarray(scipy.io.mmread(rhs)).ravel()
    x = np.asarray(sk.io.read(xfile)).ravel()
    x_ref = np.linalg.lstsq(A, b, rcond=None)[0]
    best = np.linalg.norm(b - A @ x_ref)
    assert np.linalg.norm(b - A @ x) <= best * (1 + 1e-6)
    assert np.linalg.norm(b - A @ x) / np.linalg.norm(b) == pytest.approx(
        data["relative_residual"], rel=1e-6)


@needs_real
def test_solve_json_carries_the_library_numbers():
    path = real_path("bcsstk09")
    sk.clear_cache()
    data = run_json("solve", path, "--rhs", "random", "--seed", "3")
    sk.clear_cache()  # the in-process CLI run cached a factorization; start cold again
    A = sk.io.read(path)
    b = np.random.default_rng(3).standard_normal(A.shape[0])
    r = sk.solve(A, b)
    assert (data["method"], data["precond"], data["backend"]) == (r.method, r.precond,
                                                                  r.backend)
    assert data["iterations"] == r.iterations and data["converged"] == r.converged
    assert data["relative_residual"] == pytest.approx(r.relative_residual, rel=1e-6, abs=1e-15)
    assert data["plan"]["method"] == r.plan.method
    assert data["plan"]["reasons"] == list(r.plan.reasons)


def test_solve_not_converged_exits_1_and_still_writes(tmp_path):
    xfile = tmp_path / "x.mtx"
    args = ("solve", "poisson2d_64", "--method", "cg", "--precond", "none", "--maxiter", "3",
            "-o", xfile)
    data = run_json(*args, code=1)
    assert data["converged"] is False and data["iterations"] <= 3
    assert any("ConvergenceWarning" in w for w in data["warnings"])
    x = np.asarray(sk.io.read(xfile)).ravel()
    A = sk.datasets.load("poisson2d_64")
    rel = np.linalg.norm(1 - A @ x) / np.sqrt(A.shape[0])
    assert rel == pytest.approx(data["relative_residual"], rel=1e-6) and rel > 1e-8
    human = run(*args, "--force")
    assert human.exit_code == 1 and "NOT converged" in human.stdout
    assert f"{data['relative_residual']:.2e}" in human.stdout


def test_solve_history_and_plot(tmp_path):
    hist, png = tmp_path / "h.csv", tmp_path / "h.png"
    data = run_json("solve", "poisson2d_64", "--method", "cg", "--precond", "none",
                    "--history", hist, "--plot", png)
    table = np.loadtxt(hist, delimiter=",", skiprows=1, ndmin=2)
    assert hist.read_text().splitlines()[0] == "iteration,relative_residual,residual"
    np.testing.assert_allclose(table[:, 2], data["residuals"], rtol=1e-15)
    np.testing.assert_allclose(table[:, 1], table[:, 2] / 64.0)  # ‖b‖ = ‖ones(4096)‖ = 64
    np.testing.assert_array_equal(table[:, 0], np.arange(1, data["iterations"] + 1))
    assert table[-1, 1] == pytest.approx(data["relative_residual"], rel=1e-9)
    assert png.read_bytes()[:4] == b"\x89PNG"


@needs_real
def test_solve_shape_mismatched_rhs_exits_2():
    r = run("solve", real_path("nos6"), "--rhs", real_path("sherman1_rhs1"))
    assert r.exit_code == 2
    assert "sherman1_rhs1" in r.stderr and "675" in r.stderr and "1000" in r.stderr


def test_solve_refuses_to_overwrite_its_input(tmp_path):
    p = tmp_path / "A.mtx"
    sk.io.write(p, sk.datasets.load("poisson2d_64"))
    before = p.read_bytes()
    r = run("solve", p, "-o", p)
    assert r.exit_code == 2 and "--force" in r.stderr and p.read_bytes() == before


def test_solve_unknown_method_exits_2_listing_the_choices():
    r = run("solve", "poisson2d_64", "--method", "magic")
    assert r.exit_code == 2 and "magic" in r.stderr and "cg" in r.stderr


# ---------------------------------------------------------------------------
# eigs: values against dense LAPACK and networkx, vectors through residuals
# ---------------------------------------------------------------------------

@needs_real
def test_eigs_spd_matches_dense_and_writes_vectors(tmp_path):
    path = real_path("gr_30_30")
    vfile = tmp_path / "v.mtx"
    data = run_json("eigs", path, "-k", "4", "-o", vfile)
    A = scipy.io.mmread(path).toarray()
    ref = np.linalg.eigvalsh(A)[:4]
    np.testing.assert_allclose(data["values"], ref, rtol=1e-8)
    V = np.asarray(scipy.io.mmread(vfile))
    assert V.shape == (900, 4)
    res = np.linalg.norm(A @ V - V * np.asarray(data["values"]), axis=0)
    np.testing.assert_allclose(res, data["residuals"], rtol=1e-5, atol=1e-12)
    assert all(data["converged"]) and data["all_converged"]
    scale = np.abs(A).sum(axis=0).max() + np.abs(data["values"])  # ‖A‖₁ + |λ|
    np.testing.assert_allclose(data["relative_residuals"], np.asarray(data["residuals"]) / scale,
                               rtol=1e-12)


@needs_real
def test_eigs_of_a_graph_laplacian_matches_networkx():
    path = real_path("karate")
    data = run_json("eigs", path, "--laplacian", "combinatorial", "-k", "5", "--which",
                    "largest")
    G = nx.from_scipy_sparse_array(scipy.io.mmread(path))
    ref = np.sort(nx.laplacian_spectrum(G))[-5:]
    np.testing.assert_allclose(data["values"], ref, rtol=1e-8)
    small = run_json("eigs", path, "--laplacian", "normalized", "-k", "2")
    ref_n = np.sort(nx.normalized_laplacian_spectrum(G))[:2]
    np.testing.assert_allclose(small["values"], ref_n, rtol=1e-8, atol=1e-10)


@needs_real
def test_eigs_json_carries_the_library_numbers():
    path = real_path("bcsstk09")
    data = run_json("eigs", path, "-k", "3", "--which", "largest")
    e = sk.eigsh(sk.io.read(path), k=3, which="largest")
    assert data["method"] == e.method
    np.testing.assert_allclose(data["values"], e.values, rtol=1e-10)
    np.testing.assert_allclose(data["residuals"], e.residuals, rtol=1e-3, atol=1e-10)


def test_eigs_generalized_with_a_mass_file(tmp_path):
    K, M = sk.fem.p1(*sk.fem.unit_square(8))
    kf, mf = tmp_path / "K.mtx", tmp_path / "M.mtx"
    sk.io.write(kf, K)
    sk.io.write(mf, M)
    data = run_json("eigs", kf, "--mass", mf, "-k", "3")
    ref = scipy.linalg.eigh(K.toarray(), M.toarray(), eigvals_only=True)[:3]
    np.testing.assert_allclose(data["values"], ref, rtol=1e-8, atol=1e-10)


def test_eigs_not_converged_exits_1():
    data = run_json("eigs", "poisson2d_64", "-k", "4", "--method", "lobpcg", "--precond",
                    "none", "--maxiter", "2", code=1)
    assert not data["all_converged"] and max(data["residuals"]) > 0


def test_eigs_bad_input_exits_2():
    assert run("eigs", "poisson2d_64", "-k", "5000").exit_code == 2  # k >= n
    r = run("eigs", "poisson2d_64", "--which", "nearest")
    assert r.exit_code == 2 and "--sigma" in r.stderr


# ---------------------------------------------------------------------------
# compare and demo
# ---------------------------------------------------------------------------

@needs_real
def test_compare_sparse_and_dense_agree():
    data = run_json("compare", real_path("494_bus"), "-k", "3")
    s, d = data["solve"]["sparse"], data["solve"]["dense"]
    assert s["result"]["converged"] and d["result"]["converged"]
    assert data["solve"]["x_relative_difference"] < 1e-6
    assert s["seconds"] > 0 and d["peak_bytes"] >= 494 * 494 * 8  # the dense copy at least
    e = data["eigsh"]
    A = scipy.io.mmread(real_path("494_bus")).toarray()
    ref = np.linalg.eigvalsh(A)[:3]
    np.testing.assert_allclose(e["sparse"]["result"]["values"], ref, rtol=1e-8)
    np.testing.assert_allclose(e["dense"]["result"]["values"], ref, rtol=1e-8)
    assert e["values_relative_difference"] < 1e-8


def test_compare_skips_the_dense_path_with_the_reason():
    data = run_json("compare", "poisson2d_64", "--no-eigs", "--dense-max-gib", "0.01")
    dense = data["solve"]["dense"]
    assert dense["skipped"] and "GiB" in dense["skipped"] or "MiB" in dense["skipped"]
    assert dense["seconds"] is None and data["solve"]["sparse"]["result"]["converged"]
    r = run("compare", "poisson2d_64", "--no-eigs", "--dense-max-gib", "0.01")
    assert r.exit_code == 0 and "skipped" in r.stdout


def test_demo_is_the_main_job():
    p = shell("demo", "--json")
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    A = sk.datasets.load("poisson2d_64")
    assert data["plan"]["method"] == sk.plan(A, np.ones(A.shape[0])).method
    assert data["sparse"]["result"]["converged"] and data["dense"]["result"]["converged"]
    assert data["x_relative_difference"] < 1e-8
    # and the dense solution is right, by a residual computed here
    assert data["dense"]["result"]["relative_residual"] < 1e-10


# ---------------------------------------------------------------------------
# build
# ---------------------------------------------------------------------------

def test_build_poisson_matches_a_kron_stencil(tmp_path):
    out = tmp_path / "A.mtx"
    data = run_json("build", "poisson", "6", "5", "-o", out)
    T = [sp.diags_array([-np.ones(m - 1), 2 * np.ones(m), -np.ones(m - 1)], offsets=[-1, 0, 1])
         for m in (6, 5)]
    ref = sp.kron(T[0], sp.eye_array(5)) + sp.kron(sp.eye_array(6), T[1])
    A = sp.csr_array(scipy.io.mmread(out))
    assert data["shape"] == [30, 30] and abs(A - ref).max() == 0


def test_build_laplacian_from_a_labelled_edge_list_matches_networkx(tmp_path):
    edges = tmp_path / "e.csv"
    edges.write_text("source,target,weight\nann,bob,2.0\nbob,cy,1.5\ncy,ann,1\ncy,dee,0.25\n")
    out = tmp_path / "L.mtx"
    r = run("build", "laplacian", edges, "-o", out)
    assert r.exit_code == 0, r.stderr
    G = nx.Graph()
    G.add_weighted_edges_from([("ann", "bob", 2.0), ("bob", "cy", 1.5), ("cy", "ann", 1.0),
                               ("cy", "dee", 0.25)])
    ref = nx.laplacian_matrix(G, nodelist=sorted(G)).toarray()
    np.testing.assert_allclose(scipy.io.mmread(out).toarray(), ref, rtol=0, atol=1e-15)


def test_build_fem_writes_what_the_library_builds(tmp_path):
    K_out, M_out = tmp_path / "K.mtx", tmp_path / "M.npz"
    assert run("build", "fem", "--n", "6", "-o", K_out, "--mass", M_out).exit_code == 0
    K, M = sk.fem.p1(*sk.fem.unit_square(6))
    assert abs(sk.io.read(K_out) - K).max() == 0 and abs(sk.io.read(M_out) - M).max() == 0
    # stiffness annihilates constants, mass integrates 1 to the unit area
    assert np.abs(sk.io.read(K_out) @ np.ones(K.shape[0])).max() < 1e-12
    assert sk.io.read(M_out).sum() == pytest.approx(1.0)


@needs_real
def test_build_directed_graph_needs_symmetrize(tmp_path):
    r = run("build", "laplacian", real_path("west0479"), "-o", tmp_path / "L.mtx")
    assert r.exit_code == 2 and "--symmetrize" in r.stderr
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------
# spectral: against networkx and dense LAPACK, and planted structure
# ---------------------------------------------------------------------------

TWO_TRIANGLES = ("source,target,weight\nann,bob,2.0\nbob,cy,1.5\ncy,ann,1\ncy,dee,0.25\n"
                 "dee,eve,1\neve,fay,2\nfay,dee,1\n")


def _triangles(tmp_path):
    p = tmp_path / "edges.csv"
    p.write_text(TWO_TRIANGLES)
    G = nx.Graph()
    for line in TWO_TRIANGLES.splitlines()[1:]:
        a, b, w = line.split(",")
        G.add_edge(a, b, weight=float(w))
    return p, G


@needs_real
def test_fiedler_matches_dense_laplacian_of_networkx(tmp_path):
    path = real_path("karate")
    out = tmp_path / "f.csv"
    data = run_json("spectral", "fiedler", path, "-o", out)
    G = nx.from_scipy_sparse_array(scipy.io.mmread(path))
    w, V = np.linalg.eigh(nx.laplacian_matrix(G, nodelist=range(34)).toarray())
    assert data["value"] == pytest.approx(w[1], rel=1e-8)
    table = np.loadtxt(out, delimiter=",", skiprows=1)
    np.testing.assert_array_equal(table[:, 0], np.arange(34))
    assert abs(table[:, 1] @ V[:, 1]) == pytest.approx(1.0, abs=1e-8)


def test_fiedler_splits_two_triangles_by_labels(tmp_path):
    edges, G = _triangles(tmp_path)
    out = tmp_path / "f.csv"
    data = run_json("spectral", "fiedler", edges, "-o", out)
    assert data["value"] == pytest.approx(nx.algebraic_connectivity(G, tol=1e-12), rel=1e-7)
    rows = [line.split(",") for line in out.read_text().splitlines()[1:]]
    sign = {name: float(v) > 0 for name, v in rows}
    assert sign["ann"] == sign["bob"] == sign["cy"] != sign["dee"] == sign["eve"] == sign["fay"]


@needs_real
def test_fiedler_on_a_disconnected_graph(tmp_path):
    path = real_path("Erdos971")
    r = run("spectral", "fiedler", path)
    assert r.exit_code == 2 and "42" in r.stderr
    data = run_json("spectral", "fiedler", path, "--components")
    assert len(data["components"]) == 42
    assert sum(c["nodes"] for c in data["components"]) == 472


@needs_real
def test_embedding_and_clustering_carry_the_library_numbers():
    path = real_path("karate")
    A = sk.io.read(path)
    emb = run_json("spectral", "embedding", path, "-n", "3")
    np.testing.assert_allclose(emb["embedding"], sk.spectral.embedding(A, n_components=3),
                               rtol=1e-6, atol=1e-10)
    lab = run_json("spectral", "clustering", path, "-c", "2", "--seed", "1")
    np.testing.assert_array_equal(lab["labels"], sk.spectral.clustering(A, 2, random_state=1))


def test_clustering_recovers_two_planted_triangles(tmp_path):
    edges, _ = _triangles(tmp_path)
    out = tmp_path / "labels.csv"
    r = run("spectral", "clustering", edges, "-c", "2", "--assign", "cluster_qr", "-o", out)
    assert r.exit_code == 0, r.stderr
    label = dict(line.split(",") for line in out.read_text().splitlines()[1:])
    assert label["ann"] == label["bob"] == label["cy"] != label["dee"] == label["eve"]


def test_resistance_matches_networkx(tmp_path):
    edges, G = _triangles(tmp_path)
    data = run_json("spectral", "resistance", edges, "--pair", "ann", "fay", "--pair",
                    "bob", "cy")
    ref = [nx.resistance_distance(G, a, b, weight="weight", invert_weight=False)
           for a, b in (("ann", "fay"), ("bob", "cy"))]
    np.testing.assert_allclose(data["resistance"], ref, rtol=1e-9)
    every = run_json("spectral", "resistance", edges)
    assert len(every["resistance"]) == G.number_of_edges()
    for (a, b), value in zip(every["pairs"], every["resistance"], strict=True):
        assert value == pytest.approx(
            nx.resistance_distance(G, a, b, weight="weight", invert_weight=False), rel=1e-9)
    bad = run("spectral", "resistance", edges, "--pair", "ann", "zed")
    assert bad.exit_code == 2 and "zed" in bad.stderr


# ---------------------------------------------------------------------------
# build cooccurrence: against a plain loop
# ---------------------------------------------------------------------------

def test_build_cooccurrence_matches_a_plain_loop(tmp_path):
    text = "the cat sat on the mat\nthe dog sat\n\nthe cat ran"
    tokens = tmp_path / "corpus.txt"
    tokens.write_text(text)
    out, vocab = tmp_path / "C.mtx", tmp_path / "vocab.txt"
    r = run("build", "cooccurrence", tokens, "--window", "2", "-o", out, "--vocab", vocab)
    assert r.exit_code == 0, r.stderr
    words = vocab.read_text().split()
    assert words == sorted(set(text.split()))
    index = {w: i for i, w in enumerate(words)}
    ref = np.zeros((len(words), len(words)))
    for doc in text.split("\n\n"):  # windows do not cross documents
        ids = [index[w] for w in doc.split()]
        for i in range(len(ids)):
            for j in range(i + 1, min(i + 3, len(ids))):
                ref[ids[i], ids[j]] += 1
                ref[ids[j], ids[i]] += 1
    np.testing.assert_array_equal(scipy.io.mmread(out).toarray(), ref)


# ---------------------------------------------------------------------------
# help and the shared options
# ---------------------------------------------------------------------------

def _commands(group, prefix=()):
    import click

    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*prefix, name))
        else:
            yield (*prefix, name)


@pytest.mark.parametrize("path", list(_commands(cli)), ids=" ".join)
def test_every_command_has_help_with_examples_and_the_shared_options(path):
    r = run(*path, "--help")
    assert r.exit_code == 0
    assert "Examples:" in r.stdout and f"sparsekit {' '.join(path)}" in r.stdout
    for option in ("--json", "--quiet", "--verbose"):
        assert option in r.stdout


def test_verbose_logs_the_library_on_stderr():
    sk.clear_cache()
    r = run("solve", "poisson2d_64", "--method", "direct", "-v")
    assert r.exit_code == 0 and "sparsekit: sparsekit.linalg" in r.stderr  # logger names
    sk.clear_cache()
    quiet = run("solve", "poisson2d_64", "--method", "direct", "-q")
    assert quiet.stdout.count("\n") == 1 and quiet.stderr == ""


def test_speed_note_names_the_lighter_path():
    from sparsekit._cli.compare import Run, speed_note

    # dense faster but heavier: the note must not credit it with the memory saving
    line = speed_note(Run("sparse", seconds=2.0, peak_bytes=1_000),
                      Run("dense", seconds=1.0, peak_bytes=12_000))
    assert line == "the dense path was 2.0x faster; the sparse path used 12x less memory"
    line = speed_note(Run("sparse", seconds=1.0, peak_bytes=1_000),
                      Run("dense", seconds=3.0, peak_bytes=1_100))
    assert line == "the sparse path was 3.0x faster; both used about the same memory"


# ---------------------------------------------------------------------------
# issue 18: every failure exits 2 with the error in the JSON object; a bug exits 3
# in one line; SIGTERM cleans up like Ctrl-C and exits 143
# ---------------------------------------------------------------------------

def _small_mtx(tmp_path):
    p = tmp_path / "A.mtx"
    sk.io.write(p, sk.poisson(5))
    return p


@pytest.mark.parametrize("args", [
    ("solve", "{A}", "--rtol", "-1"), ("solve", "{A}", "--rtol", "nan"),
    ("solve", "{A}", "--atol", "inf"), ("compare", "{A}", "--dense-max-gib", "nan"),
    ("eigs", "{A}", "--tol", "-1"), ("eigs", "{A}", "--sigma", "nan"),
    ("spectral", "resistance", "{A}", "--eps", "nan"),
    ("build", "cooccurrence", "{A}", "--alpha", "nan", "-o", "{out}"),
])
def test_bad_numbers_exit_2_with_the_error_in_json(tmp_path, capsys, args):
    from sparsekit.cli import main

    a = _small_mtx(tmp_path)
    with pytest.raises(SystemExit) as exit_:  # main(): what the installed script runs
        main([x.format(A=a, out=tmp_path / "o.mtx") for x in args] + ["--json"])
    out, err = capsys.readouterr()
    assert exit_.value.code == 2, (out, err)
    data = json.loads(out)
    assert data["ok"] is False and data["exit_code"] == 2
    assert "is not a finite number" in data["error"]["message"]
    assert "Traceback" not in err


def test_bad_files_exit_2_with_the_error_in_json(tmp_path):
    cases = {"notzip.npz": ("hello", "not a zip archive"),
             "three.npz": (dict(dense=np.ones((2, 2, 2))), "3-D float64 array"),
             "objects.npz": (dict(dense=np.array([1, "a"], dtype=object)), "pickle"),
             "oob.npz": (dict(format=np.array("csr"), shape=np.array([3, 3]), data=np.ones(3),
                              indices=np.array([0, 1, 10**9]), indptr=np.array([0, 1, 2, 3])),
                         "outside [0, 3)")}
    for name, (content, message) in cases.items():
        p = tmp_path / name
        if isinstance(content, str):
            p.write_text(content)
        else:
            np.savez(p, **content, allow_pickle=True)
        for command in ("info", "solve"):
            # a subprocess, as a user runs it: the .npz with index 10^9 crashed the process
            r = shell(command, p, "--json")
            assert r.returncode == 2, (name, command, r.returncode, r.stderr[-2000:])
            data = json.loads(r.stdout)
            assert data["exit_code"] == 2 and message in data["error"]["message"], (name, data)
            assert "Traceback" not in r.stderr


def test_a_valid_empty_matrix_file(tmp_path):
    z = tmp_path / "zero.mtx"
    z.write_text("%%MatrixMarket matrix coordinate real general\n0 0 0\n")
    data = run_json("info", z)
    assert data["files"][0]["shape"] == [0, 0] == list(scipy.io.mmread(z).shape)
    data = run_json("convert", z, tmp_path / "zero.npz")
    assert data["shape"] == [0, 0] and sk.io.read(tmp_path / "zero.npz").shape == (0, 0)


def test_a_huge_build_meets_the_memory_preflight(tmp_path):
    out = tmp_path / "P.mtx"
    data = run_json("build", "poisson", "100000", "100000", "-o", out, code=2)
    assert data["error"]["type"] == "InsufficientMemoryError"
    assert re.search(r"would need [\d,.]+ GiB, [\d,.]+ GiB available", data["error"]["message"])
    assert list(tmp_path.iterdir()) == []


def test_an_internal_error_is_one_line_with_its_own_exit_code(tmp_path, monkeypatch):
    a = _small_mtx(tmp_path)

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(sk.io, "read", broken)
    r = run("info", a, "--json")
    assert r.exit_code == 3, (r.exit_code, r.stderr)
    assert json.loads(r.stdout)["error"] == {"type": "ZeroDivisionError", "message": "a bug"}
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "internal error: ZeroDivisionError: a bug" in lines[0]
    assert "Traceback" not in r.stderr and "please report it" in lines[0]
    r = run("--debug", "info", a)
    assert r.exit_code == 3 and "Traceback" in r.stderr and "ZeroDivisionError" in r.stderr
    r = run("info", a, env={"SPARSEKIT_DEBUG": "1"})
    assert r.exit_code == 3 and "Traceback" in r.stderr

    def out_of_memory(*args, **kwargs):
        raise MemoryError()

    monkeypatch.setattr(sk.io, "read", out_of_memory)
    r = run("info", a, "--json")
    assert r.exit_code == 2 and json.loads(r.stdout)["error"]["type"] == "MemoryError"


def test_sigterm_during_a_solve_exits_143_and_leaves_no_file(tmp_path):
    import signal
    import time

    xfile = tmp_path / "x.mtx"
    e = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    p = subprocess.Popen([sys.executable, "-m", "sparsekit", "solve", "poisson2d_256",
                          "--method", "cg", "--precond", "none", "--rtol", "1e-300",
                          "--maxiter", "10000000", "-o", str(xfile), "--json"],
                         env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(4)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 143, (p.returncode, err[-2000:])
    assert json.loads(out)["error"]["type"] == "Terminated" and "SIGTERM" in err
    assert list(tmp_path.iterdir()) == []


SIGTERM_MIDWAY = """
import os, signal, sys
from sparsekit import _guards
real = _guards.Checked.write
state = {"bytes": 0}
def write(self, b):
    state["bytes"] += len(b)
    if state["bytes"] > 20000 and not state.get("sent"):
        state["sent"] = True
        os.kill(os.getpid(), signal.SIGTERM)  # as `timeout` sends it, in the middle of a write
    return real(self, b)
_guards.Checked.write = write
from sparsekit.cli import main
main(sys.argv[1:])
"""


@pytest.mark.parametrize("suffix", [".mtx", ".mtx.gz"])
def test_sigterm_during_a_write_keeps_the_old_file_and_no_temporary(tmp_path, suffix):
    out = tmp_path / ("P" + suffix)
    out.write_text("the old file")
    e = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    p = subprocess.run([sys.executable, "-c", SIGTERM_MIDWAY, "build", "poisson", "60", "60",
                        "-o", str(out), "--force"], env=e, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 143, (p.returncode, p.stderr[-2000:])
    assert out.read_text() == "the old file"
    assert [f.name for f in tmp_path.iterdir()] == [out.name]


def test_convert_to_petsc_binary_and_solve_from_it(tmp_path):
    A = sk.poisson((7, 6))
    src = tmp_path / "A.mtx"
    sk.io.write(src, A)
    r = run("convert", src, tmp_path / "A.petsc")
    assert r.exit_code == 0, r.stderr
    assert abs(sk.io.read(tmp_path / "A.petsc") - A).max() == 0
    got = run_json("solve", tmp_path / "A.petsc", "-o", tmp_path / "x.petsc")
    x = sk.io.read(tmp_path / "x.petsc")
    assert got["converged"] and np.linalg.norm(A @ x - 1) <= 1e-8 * np.sqrt(42)
    bad = run("convert", src, tmp_path / "B.petsc", "--symmetry", "symmetric")
    assert bad.exit_code == 2 and "Matrix Market options" in bad.stderr


def test_info_cond_estimates_the_condition_number():
    path = real_path("nos6")
    got = run_json("info", path, "--cond", "--no-plan")["files"][0]["condition"]
    exact = np.linalg.cond(sk.io.read(path).toarray(), 1)
    assert got["norm"] == 1 and got["lower_bound"]
    assert exact / 3 <= got["cond"] <= exact * (1 + 1e-9)
    assert "κ₁(A)" in got["summary"]
    assert "condition" not in run_json("info", path, "--no-plan")["files"][0]


# ---------------------------------------------------------------------------
# issue 21: CLI polish (--no-check, -k everywhere, choices before reading, no padding in
# pipes, advice in the command line's words), float32 defaults, nonsymmetric eigs
# ---------------------------------------------------------------------------

@needs_real
def test_no_check_is_what_the_messages_offer():
    path = real_path("west0479")  # nonsymmetric: CG is refused by the check
    refused = run("solve", path, "--method", "cg")
    assert refused.exit_code == 2 and "--no-check" in refused.stderr
    assert "check=False" not in refused.stderr
    ran = run_json("solve", path, "--method", "cg", "--precond", "none", "--no-check",
                   "--maxiter", "5", code=1)
    assert ran["method"] == "cg" and ran["iterations"] == 5 and not ran["converged"]


@pytest.mark.parametrize("args,needle", [
    (("solve", "{missing}", "--method", "cgg"), "unknown --method 'cgg'"),
    (("solve", "{missing}", "--precond", "ilu0"), "unknown --precond 'ilu0'"),
    (("solve", "{missing}", "--backend", "petsc", "--method", "lsqr"),
     "unknown --method (backend petsc) 'lsqr'"),
    (("eigs", "{missing}", "--method", "lobpcgg"), "unknown --method 'lobpcgg'"),
    (("eigs", "{missing}", "--which", "middle"), "Invalid value for '--which'"),
    (("spectral", "fiedler", "{missing}", "--method", "tracemn"), "unknown method 'tracemn'"),
])
def test_choices_are_checked_before_any_file_is_read(tmp_path, args, needle):
    missing = tmp_path / "not-there.mtx"  # were it read first, the error would name it
    r = run(*(a.format(missing=missing) for a in args))
    assert r.exit_code == 2
    assert needle in r.stderr + r.stdout and "not-there" not in r.stderr


@needs_real
def test_the_count_option_is_k_everywhere_with_the_old_names_as_aliases():
    path = real_path("karate")
    by_k = run_json("spectral", "embedding", path, "-k", "3")
    for alias in ("-n", "--n-components"):
        assert run_json("spectral", "embedding", path, alias, "3")["embedding"] \
            == by_k["embedding"]
    assert np.asarray(by_k["embedding"]).shape == (34, 3)
    labels = run_json("spectral", "clustering", path, "-k", "2", "--assign", "cluster_qr")
    assert labels["labels"] == run_json("spectral", "clustering", path, "-c", "2", "--assign",
                                        "cluster_qr")["labels"]
    assert len(set(labels["labels"])) == 2


@needs_real
@pytest.mark.parametrize("args", [("info", "bcsstk09"), ("solve", "bcsstk09"),
                                  ("eigs", "bcsstk09", "-k", "3"),
                                  ("spectral", "clustering", "karate", "-k", "2"),
                                  ("datasets", "list")])
def test_piped_output_carries_no_trailing_padding(args):
    r = run(*args)
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) > 2 and not [line for line in lines if line != line.rstrip()]


def test_failed_solve_advice_speaks_the_command_line():
    r = run("solve", "poisson2d_64", "--method", "cg", "--precond", "none", "--maxiter", "20")
    assert r.exit_code == 1
    assert "maxiter=20 reached" in r.stderr  # the warning says why, once
    assert r.stderr.count("after 20 iterations") == 1
    text = " ".join(r.stdout.split())  # the table wraps long notes
    tried = text[text.index("to try:"):]
    assert "--precond amg" in tried and "--method direct" in tried and "--maxiter 40" in tried
    assert "precond='amg'" not in r.stdout
    data = run_json("solve", "poisson2d_64", "--method", "cg", "--precond", "none",
                    "--maxiter", "20", code=1)
    assert any("precond='amg'" in n for n in data["notes"])  # JSON keeps the library's words


@needs_real
def test_float32_file_gets_the_single_precision_rtol(tmp_path):
    A = sp.csr_array(scipy.io.mmread(real_path("sherman1"))).astype(np.float32)
    path = tmp_path / "A32.npz"
    sp.save_npz(path, A)
    data = run_json("solve", path, "--rhs", "ones", "-o", tmp_path / "x.mtx")
    assert data["rtol"] == 1e-4 and data["converged"]
    x = np.asarray(scipy.io.mmread(tmp_path / "x.mtx")).ravel()
    true = np.linalg.norm(1 - A.astype(float) @ x) / np.sqrt(A.shape[0])
    assert 1e-8 < true <= 1e-4  # beyond float64's default, within float32's
    # a float32 factorization cannot reach 1e-8, and the warning says it is the precision
    strict = run_json("solve", path, "--rhs", "ones", "--method", "direct", "--rtol", "1e-8",
                      code=1)
    assert not strict["converged"]
    assert any("below what float32 arithmetic can certify" in w for w in strict["warnings"])


@needs_real
def test_eigs_of_a_nonsymmetric_matrix_runs_sk_eigs_and_matches_numpy():
    path = real_path("west0479")
    dense = np.linalg.eigvals(scipy.io.mmread(path).toarray())
    data = run_json("eigs", path, "-k", "4", "--which", "LR")
    assert data["symmetric"] is False and data["all_converged"]
    got = np.array([v["real"] + 1j * v["imag"] for v in data["values"]])
    ref = np.sort(dense.real)[::-1][:4]  # the largest real parts
    np.testing.assert_allclose(np.sort(got.real)[::-1], ref, rtol=1e-9)
    for lam in got:  # each one an eigenvalue of A, imaginary part included
        assert np.min(np.abs(dense - lam)) <= 1e-8 * max(abs(lam), 1.0)
    assert "Re λ" in run("eigs", path, "-k", "4", "--which", "LR").stdout
    refused = run("eigs", path, "-k", "2", "--precond", "amg")
    assert refused.exit_code == 2 and "not symmetric" in refused.stderr


# ---------------------------------------------------------------------------
# issue 21: the status line, in a real pseudo-terminal
# ---------------------------------------------------------------------------

#: A drawn status line: erase, the stage in words, " · ", the clock.
STATUS = re.compile(rb"\x1b\[2K[^\r\n]*\xc2\xb7 \d+(\.\d)? s")


def _pty_command(args, *, limit=60.0, stop_at_status=True, stdout_pipe=False):
    """Run ``python -m sparsekit ARGS`` with stderr (and stdin, stdout) on a pseudo-terminal.

    Returns ``(seconds from launch to the first status line or None, terminal bytes,
    stdout bytes when piped, exit code)``; with ``stop_at_status`` the command is sent
    SIGTERM once its status line showed (it exits 143, cleaned up).
    """
    import fcntl
    import pty
    import select
    import signal
    import struct
    import termios
    import time

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               LANG="C.UTF-8", TERM="xterm")
    env.pop("COLUMNS", None)
    t0 = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-m", "sparsekit", *map(str, args)], stdin=slave,
                         stdout=subprocess.PIPE if stdout_pipe else slave, stderr=slave,
                         env=env, close_fds=True)
    os.close(slave)
    seen, first = b"", None
    try:
        while time.perf_counter() - t0 < limit:
            ready, _, _ = select.select([master], [], [], 0.02)
            if ready:
                try:
                    chunk = os.read(master, 1 << 16)
                except OSError:  # the child closed the terminal
                    break
                seen += chunk
                if first is None and STATUS.search(seen):
                    first = time.perf_counter() - t0
                    if stop_at_status:
                        p.send_signal(signal.SIGTERM)
            elif p.poll() is not None:
                break
        out = p.stdout.read() if stdout_pipe else b""
        code = p.wait(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
        os.close(master)
    return first, seen, out, code


@pytest.fixture
def startup():
    """Seconds for ``python -m sparsekit --help`` to start, import the CLI and exit (best of 2)."""
    import time

    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    times = []
    for _ in range(2):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "sparsekit", "--help"], env=env,
                       capture_output=True, check=True, timeout=60)
        times.append(time.perf_counter() - t0)
    return min(times)


@pytest.fixture(scope="module")
def long_problems(tmp_path_factory):
    """Inputs on which each command runs for several seconds here."""
    d = tmp_path_factory.mktemp("long")
    P = sk.poisson((700, 700))
    sk.io.write(d / "p700.npz", P)
    sk.io.write(d / "p1000.mtx", sk.poisson((1000, 1000)))
    G = sk.poisson((800, 800))
    sk.io.write(d / "grid800.npz", sp.csr_array(-(G - sp.diags_array(G.diagonal()))))
    return d


@pytest.mark.parametrize("args", [
    ("solve", "{d}/p700.npz", "--method", "cg", "--precond", "none"),
    ("eigs", "{d}/p700.npz", "-k", "4"),
    ("spectral", "fiedler", "{d}/grid800.npz"),
    ("spectral", "embedding", "{d}/grid800.npz", "-k", "2"),
    ("build", "poisson", "1500", "1500", "-o", "{d}/built.npz", "--force"),
    ("convert", "{d}/p1000.mtx", "{d}/converted.npz", "--force"),
    ("compare", "{d}/p700.npz", "--no-eigs"),
    ("info", "{d}/p1000.mtx", "--cond"),
], ids=lambda a: " ".join(a[:2]))
def test_a_terminal_shows_a_status_line_within_two_seconds(long_problems, startup, args):
    first, seen, _, code = _pty_command([a.format(d=long_problems) for a in args])
    assert first is not None, seen[-2000:]
    # counted from the moment the command can work: the interpreter's start and the CLI's
    # import (``startup``, measured beside it) stretch with the machine's load (CI on a busy
    # 2-core machine: 0.4 s quiet, over 1 s under load), the 2 s are the command's own
    assert first - startup < 2.0, f"first status line after {first:.2f} s ({startup:.2f} s start)"
    assert code == 143  # stopped by SIGTERM while it ran: the run was longer than that
    line = STATUS.search(seen).group().decode()
    assert re.search(r"(reading|writing|building|inspecting|iterating|planning|factorizing|"
                     r"comparing|"
                     r"LOBPCG|Lanczos|setting up|estimating|working)", line), line


def test_json_stays_pure_and_nothing_is_drawn_with_json_quiet_or_a_pipe(long_problems):
    args = ["solve", long_problems / "p700.npz", "--method", "cg", "--precond", "none",
            "--maxiter", "200"]
    _, terminal, stdout, code = _pty_command([*args, "--json"], stop_at_status=False,
                                             stdout_pipe=True)
    assert code == 1 and not STATUS.search(terminal)
    data = json.loads(stdout)  # exactly one JSON object, nothing else
    assert data["iterations"] == 200 and stdout.count(b"\n") == 1
    _, terminal, _, code = _pty_command([*args, "--quiet"], stop_at_status=False)
    assert code == 1 and not STATUS.search(terminal) and b"200 iterations" in terminal
    piped = shell(*args)  # stderr a pipe, not a terminal
    assert piped.returncode == 1 and "\x1b[2K" not in piped.stderr
    assert "maxiter=200 reached" in piped.stderr


def test_the_status_line_follows_cg_to_its_end(long_problems):
    _, seen, _, code = _pty_command(["solve", long_problems / "p700.npz", "--method", "cg",
                                     "--precond", "none", "--maxiter", "600"],
                                    stop_at_status=False)
    assert code == 1
    counts = [int(m.replace(b",", b"")) for m in re.findall(rb"iteration ([\d,]+)", seen)]
    assert counts == sorted(counts) and counts[-1] == 600  # the clock and the count move on
    clocks = [float(m) for m in re.findall(rb"\xc2\xb7 (\d+\.\d) s", seen)]
    assert len(set(clocks)) > 2 and clocks == sorted(clocks)
    assert b"[############]" not in seen  # never drawn full while not converged
    last = list(STATUS.finditer(seen))[-1].end()
    assert b"\r\x1b[2K" in seen[last:]  # erased before the result was printed
