"""The distributed backend (issues 11 and 22): PETSc/SLEPc under ``mpiexec -n 2``.

One ``mpiexec -n 2`` run of ``tests/mpi/worker.py`` (module fixture) calls the
backend on both ranks for every case; each rank reports what it saw and rank 0
saves the arrays.  The file cases (``tests/mpi/io_cases.py``: every rank reads
only its rows, PETSc's binary format both ways with petsc4py's viewer, bad
files failing every rank alike) read inputs this module writes before the
launch (``prepare_inputs``) and save each rank's block of rows.  The assertions
here compare those reports with references computed outside MPI by SciPy
(``spsolve``, ``eigsh``, dense ``eigh``, ``mmread``) and with the true residual
recomputed here.  Without petsc4py/slepc4py/mpiexec the MPI tests skip with the
reason; the missing-dependency error is tested always.
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import sparsekit as sk
from sparsekit import _rowread
from sparsekit.backends import petsc_  # imports no petsc4py

ROOT = Path(__file__).resolve().parent.parent
WORKER = ROOT / "tests" / "mpi" / "worker.py"
NRANKS = 2
MPIEXEC = shutil.which("mpiexec")
HAVE_PETSC = (
    importlib.util.find_spec("petsc4py") is not None
    and importlib.util.find_spec("slepc4py") is not None
    and MPIEXEC is not None
)
needs_mpi = pytest.mark.skipif(
    not HAVE_PETSC,
    reason="petsc4py, slepc4py or mpiexec missing: run `bash scripts/install-petsc.sh` "
    "(or `make install-petsc`)",
)
pytestmark = pytest.mark.mpi


def mpiexec_command(n: int) -> list[str]:
    """``mpiexec -n N``, with Open MPI's flags for root and for more ranks than cores."""
    cmd = [MPIEXEC, "-n", str(n)]
    version = subprocess.run([MPIEXEC, "--version"], capture_output=True, text=True).stdout
    if "Open MPI" in version or "OpenRTE" in version:
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-run-as-root")
        # more ranks than free cores is fine.  (Not mpi_yield_when_idle: on a loaded
        # machine it made each MUMPS triangular solve cost about a second.)
        cmd.append("--oversubscribe")
    return cmd


def load_real(name):
    if not sk.datasets.available(name):
        pytest.skip(f"{name} not in {sk.datasets.data_dir()}")
    return sp.csr_array(sk.datasets.load(name))


def seeded_rhs(n, seed):
    return np.random.default_rng(seed).standard_normal(n)


def pattern_laplacian(A):
    """L = D - W of the pattern adjacency, built here independently of the worker."""
    A = sp.coo_array(A)
    off = A.row != A.col
    r, c = A.row[off], A.col[off]
    W = sp.coo_array((np.ones(2 * r.size), (np.r_[r, c], np.r_[c, r])), shape=A.shape).tocsr()
    W.data[:] = 1.0  # duplicates summed above; back to a 0/1 pattern
    return sp.csr_array(sp.diags(np.asarray(W.sum(axis=1)).ravel()) - W)


def _shared(name):
    return sk.datasets.path(name) if sk.datasets.available(name) else None


def write_mm_text(path, A, symmetry="general", seed=0):
    """Matrix Market text of A's entries (one triangle if symmetric) in a shuffled order."""
    A = sp.coo_array(sp.tril(A) if symmetry == "symmetric" else A)
    order = np.random.default_rng(seed).permutation(A.nnz)
    body = np.column_stack([A.row[order] + 1, A.col[order] + 1, A.data[order]])
    with open(path, "w") as fh:
        fh.write(f"%%MatrixMarket matrix coordinate real {symmetry}\n"
                 f"{A.shape[0]} {A.shape[1]} {A.nnz}\n")
        np.savetxt(fh, body, fmt=["%d", "%d", "%.17g"])


def prepare_inputs(inp: Path) -> None:
    """The worker's input files (issue 22), from the shared matrices where present."""
    from sparsekit import _petscbin

    inp.mkdir()
    if _shared("bcsstk13"):
        write_mm_text(inp / "shuffled.mtx", load_real("bcsstk13"), "symmetric")
    for name in ("bcsstk09", "gr_30_30"):
        if _shared(name):
            (inp / f"{name}.mtx.gz").write_bytes(gzip.compress(_shared(name).read_bytes()))
    if _shared("gr_30_30"):
        sp.save_npz(inp / "gr_30_30.npz", load_real("gr_30_30"))
    if _shared("orsirr_1"):
        _petscbin.write(inp / "sk_written.petsc", load_real("orsirr_1"))
        raw = (inp / "sk_written.petsc").read_bytes()
        (inp / "truncated.petsc").write_bytes(raw[:-100])
        (inp / "swapped.petsc").write_bytes(
            np.frombuffer(raw[:16], ">i4").astype("<i4").tobytes() + raw[16:])
        header = np.frombuffer(raw[:16], ">i4").copy()
        header[3] += 10
        (inp / "claims_more.petsc").write_bytes(header.tobytes() + raw[16:])
    _petscbin.write(inp / "sk_vec.petsc", np.sin(np.arange(37.0)))
    for r, name in enumerate(("west0479", "Erdos971")):
        if _shared(name):
            (inp / f"rank{r}.mtx").write_bytes(_shared(name).read_bytes())
    T = sp.csr_array(sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(300, 300)))
    write_mm_text(inp / "claims_more.mtx", T)
    text = (inp / "claims_more.mtx").read_text().replace("300 300 898", "300 300 910", 1)
    (inp / "claims_more.mtx").write_text(text)
    lines = (inp / "claims_more.mtx").read_text().replace("300 300 910", "300 300 898").split("\n")
    lines[2 + 800] = "17 x 1.0"  # line 803, in rank 1's half of the bytes
    (inp / "bad_line.mtx").write_text("\n".join(lines))
    sp.save_npz(inp / "rect.npz", sp.random_array((5, 4), density=0.5, rng=0, format="csr"))


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    """Run every worker case once under mpiexec; return (out_dir, [report of each rank])."""
    if not HAVE_PETSC:
        pytest.skip("petsc4py/slepc4py/mpiexec missing: run `bash scripts/install-petsc.sh`")
    out = tmp_path_factory.mktemp("mpi")
    prepare_inputs(out / "in")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    proc = subprocess.run(
        [*mpiexec_command(NRANKS), sys.executable, str(WORKER), str(out)],
        capture_output=True, text=True, timeout=400, env=env, cwd=ROOT,
    )
    assert proc.returncode == 0, f"mpiexec failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    reports = [json.loads((out / f"rank{r}.json").read_text()) for r in range(NRANKS)]
    return out, reports


def case(ranks, name):
    """Both ranks' reports for a case (no errors allowed) and rank 0's arrays."""
    out, reports = ranks
    entries = [rep[name] for rep in reports]
    for r, e in enumerate(entries):
        if e.get("error") == "DataNotFoundError":
            pytest.skip(e["message"])
        assert "error" not in e, f"rank {r}: {e.get('traceback')}"
    path = out / f"{name}.npz"
    arrays = dict(np.load(path)) if path.exists() else {}
    return entries, arrays


def error_case(ranks, name):
    entries = [rep[name] for rep in ranks[1]]
    for e in entries:
        if e.get("error") == "DataNotFoundError":
            pytest.skip(e["message"])
    return entries


def relres(A, x, b):
    return float(np.max(np.linalg.norm(b - A @ x, axis=0) / np.linalg.norm(b, axis=0)))


# ------------------------------------------------------------------ the ranks


@needs_mpi
def test_both_ranks_ran_with_petsc_split(ranks):
    entries, _ = case(ranks, "comm")
    assert sorted(e["rank"] for e in entries) == list(range(NRANKS))
    assert all(e["size"] == NRANKS for e in entries)
    # PETSc's default split of 10 rows over 2 ranks
    by_rank = sorted(entries, key=lambda e: e["rank"])
    assert [e["row_range_10"] for e in by_rank] == [[0, 5], [5, 10]]


# ------------------------------------------------------------------ solve


@needs_mpi
def test_poisson_512_distributed_rows(ranks):
    entries, arr = case(ranks, "poisson512")
    m = 512
    T = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(m, m))
    A = sp.csr_array(sp.kron(sp.eye(m), T) + sp.kron(T, sp.eye(m)))  # reference stencil
    x, b, x_true = arr["x"], arr["b"], arr["x_true"]
    # the collective matvec of the per-rank row blocks equals SciPy's product
    np.testing.assert_allclose(b, A @ x_true, rtol=0, atol=1e-12 * np.abs(b).max())
    # the rows were split, not duplicated
    rows = sorted(tuple(e["rows"]) for e in entries)
    assert rows[0][0] == 0 and rows[-1][1] == m * m and rows[0][1] == rows[1][0]
    rr = relres(A, x, b)
    assert rr <= 1e-10 * (1 + 1e-6)
    assert all(e["converged"] and e["backend"] == "petsc" for e in entries)
    assert entries[0]["relative_residual"] == pytest.approx(rr, rel=1e-4)
    assert (entries[0]["method"], entries[0]["precond"]) == ("cg", "amg")
    # forward error within cond(A) * rtol (cond of the 5-point Laplacian, analytic)
    h = np.pi / (m + 1)
    cond = (np.sin(m * h / 2) / np.sin(h / 2)) ** 2
    assert np.linalg.norm(x - x_true) <= 2 * cond * 1e-10 * np.linalg.norm(x_true)
    assert entries[0]["n_history"] == entries[0]["iterations"] + 1


@needs_mpi
@pytest.mark.parametrize("name", ["bcsstk09", "nos6", "gr_30_30", "494_bus"])
def test_real_spd_matches_scipy(ranks, name):
    entries, arr = case(ranks, name)
    A = load_real(name)
    b = seeded_rhs(A.shape[0], 2)
    np.testing.assert_array_equal(arr["b"], b)
    x_ref = spla.spsolve(sp.csc_matrix(A), b)
    x = arr["x"]
    assert relres(A, x, b) <= 1e-10 * (1 + 1e-6)
    assert all(e["converged"] for e in entries)
    # SPD: ‖x − x*‖ ≤ ‖r‖ / λ_min, for both solutions (a bound that is a theorem)
    lam_min = spla.eigsh(sp.csc_matrix(A), k=1, sigma=0, which="LM", return_eigenvectors=False)[0]
    r_both = np.linalg.norm(b - A @ x) + np.linalg.norm(b - A @ x_ref)
    assert np.linalg.norm(x - x_ref) <= 1.01 * r_both / lam_min


@needs_mpi
def test_direct_mumps_matches_spsolve(ranks):
    entries, arr = case(ranks, "1138_bus_direct")
    A = load_real("1138_bus")
    b = arr["b"]
    x_ref = spla.spsolve(sp.csc_matrix(A), b)
    assert relres(A, arr["x"], b) <= 1e-10
    np.testing.assert_allclose(arr["x"], x_ref, rtol=0, atol=1e-8 * np.abs(x_ref).max())
    assert entries[0]["method"] == "direct" and entries[0]["iterations"] == 0


@needs_mpi
def test_hypre_boomeramg(ranks):
    entries, arr = case(ranks, "bcsstk09_hypre")
    A = load_real("bcsstk09")
    assert relres(A, arr["x"], arr["b"]) <= 1e-10 * (1 + 1e-6)
    assert entries[0]["precond"] == "hypre" and entries[0]["converged"]


@needs_mpi
def test_gather_false_keeps_local_rows(ranks):
    out, reports = ranks
    entries = [rep["gather_false"] for rep in reports]
    assert all("error" not in e for e in entries), entries
    A = load_real("gr_30_30")
    parts = []
    for e in sorted(entries, key=lambda e: e["rows"][0]):
        rank = [rep["gather_false"] is e for rep in reports].index(True)
        blk = np.load(out / f"gather_false.rank{rank}.npz")
        assert e["local_len"] == e["rows"][1] - e["rows"][0] == blk["x"].shape[0]
        parts.append(blk["x"])
        b = blk["b"]
    x = np.concatenate(parts)
    assert x.shape == (A.shape[0],)
    np.testing.assert_allclose(x, spla.spsolve(sp.csc_matrix(A), b), rtol=1e-6, atol=1e-9)


@needs_mpi
def test_many_rhs_x0_and_callback(ranks):
    entries, arr = case(ranks, "multi_rhs")
    A = load_real("gr_30_30")
    x, B = arr["x"], arr["b"]
    assert x.shape == B.shape == (A.shape[0], 2)
    for j in range(2):
        assert relres(A, x[:, j], B[:, j]) <= 1e-10 * (1 + 1e-6)
    # callback sees every iteration of every column, on every rank
    assert all(e["callback_calls"] >= e["iterations"] >= 1 for e in entries)
    assert entries[0]["precond"] == "jacobi"


@needs_mpi
def test_gmres_nonsymmetric(ranks):
    entries, arr = case(ranks, "gmres")
    A = load_real("orsirr_1")
    assert relres(A, arr["x"], arr["b"]) <= 1e-10 * (1 + 1e-6)
    np.testing.assert_allclose(arr["x"], spla.spsolve(sp.csc_matrix(A), arr["b"]),
                               rtol=1e-5, atol=1e-8)
    assert entries[0]["method"] == "gmres" and entries[0]["precond"] == "ilu"


@needs_mpi
def test_auto_picks_minres_for_symmetric_indefinite_sign(ranks):
    entries, arr = case(ranks, "minres_auto")
    A = load_real("sherman1")
    assert entries[0]["method"] == "minres"  # negative diagonal: not CG
    assert relres(A, arr["x"], arr["b"]) <= 1e-10 * (1 + 1e-6)
    np.testing.assert_allclose(arr["x"], spla.spsolve(sp.csc_matrix(A), arr["b"]),
                               rtol=1e-5, atol=1e-8)


# ------------------------------------------------------------------ failure


@needs_mpi
def test_divergence_reports_reason_and_warns(ranks):
    entries, arr = case(ranks, "not_converged")
    A = load_real("nos6")
    rr = relres(A, arr["x"], arr["b"])
    for e in entries:
        assert e["converged"] is False
        assert any("DIVERGED_" in n and "maximum number of iterations" in n for n in e["notes"])
        assert any(w.startswith("ConvergenceWarning") for w in e["warnings"])
        assert e["relative_residual"] == pytest.approx(rr, rel=1e-6)
    assert rr > 1e-8


@needs_mpi
def test_strict_raises_no_convergence(ranks):
    entries, _ = case(ranks, "strict")
    assert all(e["raised"] == "NoConvergence" and e["partial_converged"] is False for e in entries)


@needs_mpi
@pytest.mark.parametrize(
    ("name", "error", "needle"),
    [
        ("bad_option_name", "BackendError", "ksp_no_such_thing"),
        ("bad_option_value", "BackendError", "ksp_type"),
        ("unknown_method", "UnknownMethodError", "conjugate"),
        ("eig_not_symmetric", "NotSymmetricError", "symmetric"),
        ("eig_bad_option", "BackendError", "eps_no_such_thing"),
    ],
)
def test_bad_input_errors(ranks, name, error, needle):
    for e in error_case(ranks, name):
        assert e.get("error") == error, e
        assert "SparsekitError" in e["error_mro"]
        assert needle in e["message"]


# ------------------------------------------------------------------ eigsh


def _check_eig(entries, arr, L, ref_values):
    vals, V = arr["values"], arr["vectors"]
    scale = abs(L).sum(axis=1).max()
    # 1e-8 relative; the zero eigenvalue of a Laplacian has no relative scale
    assert np.all(np.abs(vals - ref_values) <= 1e-8 * np.abs(ref_values) + 1e-14 * scale), (
        vals, ref_values)
    res = np.linalg.norm(L @ V - V * vals, axis=0)  # recomputed here
    assert np.all(res <= 1e-8 * scale)
    np.testing.assert_allclose(arr["residuals"], res, rtol=1e-3, atol=1e-14 * scale)
    assert all(all(e["converged"]) and len(e["converged"]) == 6 for e in entries)


@needs_mpi
@pytest.mark.parametrize("name", ["fe_4elt2", "luxembourg_osm"])
def test_laplacian_smallest_six(ranks, name):
    entries, arr = case(ranks, f"eig_{name}")
    L = pattern_laplacian(load_real(name))
    ref = spla.eigsh(sp.csc_matrix(L), k=6, sigma=-1e-8, which="LM", return_eigenvectors=False)
    _check_eig(entries, arr, L, np.sort(ref))
    assert abs(arr["values"][0]) <= 1e-10  # the constant null vector of a Laplacian


@needs_mpi
def test_bcsstk13_smallest_six(ranks):
    entries, arr = case(ranks, "eig_bcsstk13")
    A = load_real("bcsstk13")
    ref = np.sort(spla.eigsh(sp.csc_matrix(A), k=6, sigma=0, which="LM",
                             return_eigenvectors=False))
    _check_eig(entries, arr, A, ref)


@needs_mpi
def test_lobpcg_poisson_analytic(ranks):
    entries, arr = case(ranks, "eig_lobpcg")
    m = 20
    lam1 = 2 - 2 * np.cos(np.arange(1, m + 1) * np.pi / (m + 1))
    analytic = np.sort(np.add.outer(lam1, lam1).ravel())[:3]
    np.testing.assert_allclose(arr["values"], analytic, rtol=1e-8)
    assert entries[0]["method"] == "lobpcg"


def _path_spectrum(n):
    return 2 - 2 * np.cos(np.arange(1, n + 1) * np.pi / (n + 1))


@needs_mpi
def test_sigma_finds_nearest_analytic(ranks):
    entries, arr = case(ranks, "eig_sigma")
    lam = _path_spectrum(300)
    nearest = np.sort(lam[np.argsort(np.abs(lam - 1.0))[:5]])
    np.testing.assert_allclose(arr["values"], nearest, rtol=1e-10)
    assert all(all(e["converged"]) for e in entries)


@needs_mpi
def test_largest_analytic(ranks):
    entries, arr = case(ranks, "eig_largest")
    np.testing.assert_allclose(arr["values"], _path_spectrum(100)[-3:], rtol=1e-9)
    assert all(all(e["converged"]) and len(e["converged"]) == 3 for e in entries)


@needs_mpi
def test_generalized_against_dense_eigh(ranks):
    entries, arr = case(ranks, "eig_generalized")
    n = 120
    K = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(n, n)).toarray()
    Md = np.diag(np.linspace(1.0, 2.0, n))
    ref = sla.eigh(K, Md, eigvals_only=True, subset_by_index=[0, 3])
    np.testing.assert_allclose(arr["values"], ref, rtol=1e-9)
    V = arr["vectors"]
    np.testing.assert_allclose(K @ V, Md @ V * arr["values"], atol=1e-9)


@needs_mpi
def test_user_preconditioner(ranks):
    entries, arr = case(ranks, "user_M")
    A = load_real("gr_30_30")
    assert relres(A, arr["x"], arr["b"]) <= 1e-10 * (1 + 1e-6)
    assert entries[0]["precond"] == "user" and entries[0]["converged"]


@needs_mpi
def test_public_sk_solve_dispatches_distributed_rows(ranks):
    entries, arr = case(ranks, "sk_solve")
    A = load_real("gr_30_30")
    assert relres(A, arr["x"], arr["b"]) <= 1e-10 * (1 + 1e-6)
    np.testing.assert_allclose(arr["x"], spla.spsolve(sp.csc_matrix(A), arr["b"]),
                               rtol=1e-6, atol=1e-9)
    assert all(e["backend"] == "petsc" and e["converged"] for e in entries)


@needs_mpi
def test_public_sk_eigsh_dispatches(ranks):
    entries, arr = case(ranks, "sk_eigsh")
    # tridiag(-1, 2, -1): the Dirichlet 1-D Laplacian, eigenvalues 2 - 2 cos(j pi / (n + 1))
    np.testing.assert_allclose(arr["values"], _path_spectrum(200)[:4], rtol=1e-9)
    assert all(e["backend"] == "petsc" for e in entries)


# ------------------------------------------- every documented name through the front door

# The worker's lists come from the backend's registries; the test re-derives them here.
SOLVE_METHODS = [m for m in petsc_.SOLVE_METHODS if m != "auto"]
SOLVE_PRECONDS = [p for p in petsc_.SOLVE_PRECONDS if p != "auto"]
FRONT_SOLVES = [(m, p) for m in SOLVE_METHODS if m != "direct" for p in SOLVE_PRECONDS] + [
    ("direct", "direct"), ("direct", "lu")]
EIGEN_PRECONDS = [p for p in petsc_.EIGEN_PRECONDS if p != "auto"]
FRONT_EIGS = ([(m, p) for m in ("shift_invert", "lobpcg") for p in EIGEN_PRECONDS]
              + [(m, "auto") for m in petsc_.EIGEN_METHODS
                 if m not in ("auto", "shift_invert", "lobpcg")]
              + [("lanczos", "jacobi")])


def front_solve_matrix(symmetric, m=20):
    """Written out entry by entry (the worker uses Kronecker products)."""
    conv = 0.0 if symmetric else 0.8  # upwind convection: the lower neighbours weigh more
    entries = {}
    for i in range(m):
        for j in range(m):
            entries[i * m + j, i * m + j] = 4.0 + 2 * conv
            for di, dj, w in ((-1, 0, -1.0 - conv), (1, 0, -1.0), (0, -1, -1.0 - conv),
                              (0, 1, -1.0)):
                if 0 <= i + di < m and 0 <= j + dj < m:
                    entries[i * m + j, (i + di) * m + j + dj] = w
    rows, cols = np.array(list(entries)).T
    return sp.csr_array((list(entries.values()), (rows, cols)), shape=(m * m, m * m))


def front_eig_matrix(m1=12, m2=10):
    """Dense: the m1 x m2 grid Laplacian plus a varying diagonal (SPD, distinct eigenvalues)."""
    n = m1 * m2
    T1 = np.diag(np.full(m1, 2.0)) - np.eye(m1, k=1) - np.eye(m1, k=-1)
    T2 = np.diag(np.full(m2, 2.0)) - np.eye(m2, k=1) - np.eye(m2, k=-1)
    return (np.kron(np.eye(m2), T1) + np.kron(T2, np.eye(m1))
            + np.diag(0.5 + 0.5 * np.sin(np.arange(n))))


def _packages(ranks):
    return case(ranks, "comm")[0][0]["packages"]


def _skip_without(ranks, entries, pkgs, what):
    """Skip when this PETSc lacks every one of ``pkgs``, after checking the refusal says so."""
    have = _packages(ranks)
    if any(have.get(p) is not False for p in pkgs):
        return
    for e in entries:
        assert e.get("error") == "BackendError", e
    pytest.skip(f"this PETSc was built without {' or '.join(pkgs)} "
                f"(PETSc.Sys.hasExternalPackage): {what} cannot run")


def test_front_door_lists_cover_the_registries():
    names = {m for m, _ in FRONT_SOLVES}
    assert names == set(SOLVE_METHODS)
    assert {p for _, p in FRONT_SOLVES} == set(SOLVE_PRECONDS)
    assert {m for m, _ in FRONT_EIGS} == set(petsc_.EIGEN_METHODS) - {"auto"}
    assert {p for m, p in FRONT_EIGS if m == "shift_invert"} == set(EIGEN_PRECONDS)
    assert {p for m, p in FRONT_EIGS if m == "lobpcg"} == set(EIGEN_PRECONDS)
    # the eigensolver's preconditioners are configured through the solver's PC registry
    assert all(petsc_.PC_TYPES[p] == t for p, t in petsc_.EIG_PRECONDS.items())


@needs_mpi
def test_front_door_worker_ran_every_name(ranks):
    report = ranks[1][0]
    assert {f"front_solve_{m}_{p}" for m, p in FRONT_SOLVES} <= set(report)
    assert {f"front_eig_{m}_{p}" for m, p in FRONT_EIGS} <= set(report)


@functools.cache
def _sigma_min(symmetric):
    return np.linalg.svd(front_solve_matrix(symmetric).toarray(), compute_uv=False)[-1]


@needs_mpi
@pytest.mark.parametrize(("method", "precond"), FRONT_SOLVES)
def test_front_door_solve_every_method_and_pc(ranks, method, precond):
    name = f"front_solve_{method}_{precond}"
    raw = [rep[name] for rep in ranks[1]]
    if precond == "hypre":
        _skip_without(ranks, raw, ["hypre"], "precond='hypre'")
    if precond in ("direct", "lu"):
        _skip_without(ranks, raw, ["mumps", "superlu_dist"], f"precond={precond!r}")
    entries, arr = case(ranks, name)
    symmetric = method in ("cg", "minres")
    A = front_solve_matrix(symmetric)
    assert symmetric == (abs(A - A.T).max() == 0)
    x, b = arr["x"], arr["b"]
    rr = relres(A, x, b)  # the true residual, recomputed here
    assert rr <= 1e-10 * (1 + 1e-6)
    x_ref = spla.spsolve(sp.csc_matrix(A), b)
    # ‖x − x*‖ ≤ ‖A⁻¹‖ (‖r‖ + ‖r*‖), with ‖A⁻¹‖ = 1 / σ_min from a dense SVD
    r_both = np.linalg.norm(b - A @ x) + np.linalg.norm(b - A @ x_ref)
    assert np.linalg.norm(x - x_ref) <= 1.01 * r_both / _sigma_min(symmetric)
    for e in entries:
        assert e["converged"] and e["backend"] == "petsc"
        assert (e["method"], e["precond"]) == (method, precond)
        assert e["relative_residual"] == pytest.approx(rr, rel=1e-4)
        ran = f"PETSc ran KSP {petsc_.KSP_METHODS[method]} with PC {petsc_.PC_TYPES[precond]}"
        assert any(n.startswith(ran) for n in e["notes"]), e["notes"]
    assert (entries[0]["iterations"] == 0) == (method == "direct")


@needs_mpi
@pytest.mark.parametrize(("method", "precond"), FRONT_EIGS)
def test_front_door_eigsh_every_method_and_pc(ranks, method, precond):
    name = f"front_eig_{method}_{precond}"
    if precond in ("direct", "lu"):
        _skip_without(ranks, [rep[name] for rep in ranks[1]], ["mumps", "superlu_dist"],
                      f"precond={precond!r}")
    entries, arr = case(ranks, name)
    A = front_eig_matrix()
    ref = np.linalg.eigh(A)[0][:4]
    scale = np.abs(A).sum(axis=1).max()
    vals, V = arr["values"], arr["vectors"]
    assert vals.shape == (4,) and V.shape == (A.shape[0], 4)
    np.testing.assert_allclose(vals, ref, rtol=0, atol=1e-8 * scale)
    np.testing.assert_allclose(np.linalg.norm(V, axis=0), 1.0, rtol=1e-8)
    res = np.linalg.norm(A @ V - V * vals, axis=0)  # recomputed here
    assert np.all(res <= 1e-8 * scale)
    np.testing.assert_allclose(arr["residuals"], res, rtol=1e-3, atol=1e-13 * scale)
    eps_type, st_type = petsc_.EPS_METHODS[method]
    ran = f"SLEPc ran EPS {eps_type} with ST {st_type}"
    pc = "" if st_type == "shift" else f" with PC {petsc_.EIG_PRECONDS[precond]}"
    for e in entries:
        assert all(e["converged"]) and len(e["converged"]) == 4
        assert e["method"] == method and e["backend"] == "petsc"
        assert any(n.startswith(ran) and pc in n for n in e["notes"]), (ran, pc, e["notes"])
        if st_type == "shift" and precond != "auto":
            assert any(f"precond={precond!r} is not used" in n for n in e["notes"])


@needs_mpi
@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("front_direct_bad_precond", "precond must be 'auto' or 'direct'"),
        ("front_sigma_with_smallest", "only used with which='nearest'"),
    ],
)
def test_front_door_refusals(ranks, name, needle):
    for e in error_case(ranks, name):
        assert e.get("error") == "InputValueError", e
        assert needle in e["message"]


@needs_mpi
def test_options_database_is_left_clean(ranks):
    entries, _ = case(ranks, "options_cleared")
    assert all(e["left"] == [] for e in entries), entries


# ------------------------------------------- files: every rank reads its rows (issue 22)


def blocks(ranks, name):
    """Each rank's saved block of rows, in rank order, after checking no rank failed."""
    case(ranks, name)
    out = ranks[0]
    return [np.load(out / f"{name}.rank{r}.npz") for r in range(NRANKS)]


def block_matrix(blk):
    return sp.csr_array((blk["data"], blk["indices"], blk["indptr"]),
                        shape=(len(blk["indptr"]) - 1, int(blk["ncols"])))


def mmread(name):
    """The whole file read by SciPy: the reference each rank's block is compared with."""
    if not sk.datasets.available(name):
        pytest.skip(f"{name} not in {sk.datasets.data_dir()}")
    A = sp.csr_array(scipy.io.mmread(sk.datasets.path(name)))
    A.sum_duplicates()
    return A


def check_partition(parts, A):
    """Rank r holds exactly rows row_split(n, r) of A, and nothing else."""
    n = A.shape[0]
    for r, blk in enumerate(parts):
        start, stop = _rowread.row_split(n, r, NRANKS)
        assert (int(blk["start"]), int(blk["stop"])) == (start, stop)
        local = block_matrix(blk)
        assert local.shape == (stop - start, A.shape[1])
        assert local.nnz == A[start:stop].nnz
        assert (local != A[start:stop]).nnz == 0
    assert sum(block_matrix(b).nnz for b in parts) == A.nnz


@needs_mpi
@pytest.mark.parametrize(("case_name", "matrix"), [
    ("io_mtx_bcsstk33", "bcsstk33"),      # symmetric pattern, SuiteSparse's column order
    ("io_shuffled", "bcsstk13"),          # one triangle, entries in a random order
    ("io_gz", "bcsstk09"),                # gzip: every rank parses every 2nd chunk
    ("io_npz", "gr_30_30"),               # save_npz, compressed: row slices
    ("io_petsc_sk", "orsirr_1"),          # PETSc binary written by sparsekit: row slices
])
def test_from_file_every_rank_holds_only_its_rows(ranks, case_name, matrix):
    check_partition(blocks(ranks, case_name), mmread(matrix))


@needs_mpi
def test_peak_memory_per_rank_below_a_one_rank_read(ranks):
    """tracemalloc's peak of the same read on 1 rank (here) and on each of 2 ranks."""
    import tracemalloc

    entries, _ = case(ranks, "io_memory")
    A = mmread("bcsstk33")
    check_partition(blocks(ranks, "io_memory"), A)
    tracemalloc.start()
    whole = _rowread.read_local(sk.datasets.path("bcsstk33"), None, chunk_bytes=1 << 18)
    one_rank = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert whole.local.nnz == A.nnz
    for e in entries:
        assert e["local_nnz"] <= 0.6 * A.nnz
        assert e["peak_traced"] <= 0.7 * one_rank, (e["peak_traced"], one_rank)


@needs_mpi
def test_petsc4py_loads_sparsekit_files_on_two_ranks(ranks):
    check_partition(blocks(ranks, "io_petsc_load"), mmread("orsirr_1"))
    parts = [np.load(ranks[0] / f"io_petsc_vec.rank{r}.npy") for r in range(NRANKS)]
    np.testing.assert_array_equal(np.concatenate(parts), np.sin(np.arange(37.0)))


@needs_mpi
def test_sparsekit_reads_what_petsc4py_wrote_on_two_ranks(ranks):
    from sparsekit import _petscbin

    case(ranks, "io_petsc_load")
    A = mmread("orsirr_1")
    path = ranks[0] / "petsc_view.petsc"
    assert (_petscbin.read(path) != A).nnz == 0
    raw = path.read_bytes()  # the Vec written after the Mat
    tail = io.BytesIO(raw[_petscbin.info(path).end:])
    np.testing.assert_array_equal(_petscbin.read(tail), np.sin(np.arange(37.0)))
    assert (_petscbin.read_rows(path, 400, 700) != A[400:700]).nnz == 0


@needs_mpi
def test_parallel_writer_through_petscs_viewer(ranks):
    from sparsekit import _petscbin

    entries, _ = case(ranks, "io_write_parallel")
    out = ranks[0]
    A = mmread("orsirr_1")
    assert (_petscbin.read(out / "sk_parallel.petsc") != A).nnz == 0
    x = np.cos(np.arange(entries[0]["n"], dtype=float))
    np.testing.assert_array_equal(_petscbin.read(out / "x_full.petsc"), x)
    np.testing.assert_array_equal(_petscbin.read(out / "x_local.petsc"), x)
    # written under a temporary name and renamed: no temporary or .info file is left
    left = {p.name for p in out.iterdir() if p.name.startswith(".")
            or p.name in ("sk_parallel.petsc.info", "x_full.petsc.info", "x_local.petsc.info")}
    assert left == set()


@needs_mpi
def test_solve_from_file_writes_x_by_rows(ranks):
    from sparsekit import _petscbin

    entries, arr = case(ranks, "io_solve_from_file")
    A = mmread("bcsstk09")
    b = arr["b"]
    x = _petscbin.read(ranks[0] / "x_solve.petsc")
    assert sum(e["local_len"] for e in entries) == x.shape[0] == A.shape[0]
    assert relres(A, x, b) <= 1e-10 * (1 + 1e-6)
    assert all(e["converged"] for e in entries)
    x_ref = spla.spsolve(sp.csc_matrix(A), b)
    lam_min = spla.eigsh(sp.csc_matrix(A), k=1, sigma=0, which="LM", return_eigenvectors=False)[0]
    r_both = np.linalg.norm(b - A @ x) + np.linalg.norm(b - A @ x_ref)
    assert np.linalg.norm(x - x_ref) <= 1.01 * r_both / lam_min


@needs_mpi
def test_eigsh_from_file_matches_scipy(ranks):
    entries, arr = case(ranks, "io_eigsh_from_file")
    A = mmread("gr_30_30")
    ref = np.sort(spla.eigsh(sp.csc_matrix(A), k=4, sigma=0, which="LM",
                             return_eigenvectors=False))
    _check_pairs(arr, A, ref)
    assert all(all(e["converged"]) for e in entries)
    assert [tuple(e["rows"]) for e in entries] == [_rowread.row_split(900, r, NRANKS)
                                                    for r in range(NRANKS)]


def _check_pairs(arr, A, ref):
    vals, V = arr["values"], arr["vectors"]
    scale = abs(A).sum(axis=1).max()
    np.testing.assert_allclose(vals, ref, rtol=1e-8)
    res = np.linalg.norm(A @ V - V * vals, axis=0)  # recomputed here
    assert np.all(res <= 1e-8 * scale)


@needs_mpi
@pytest.mark.parametrize(
    ("name", "inputs", "error", "needle"),
    [
        ("bad_truncated_petsc", ["truncated.petsc"], "InputValueError",
         "claims 6858 entries.*truncated"),
        ("bad_swapped_petsc", ["swapped.petsc"], "InputValueError", "byte-swapped"),
        ("bad_claims_more_petsc", ["claims_more.petsc"], "InputValueError",
         "claims 6868 entries"),
        ("bad_claims_more_mtx", ["claims_more.mtx"], "MatrixMarketError",
         "claims 910 entries but the file holds 898"),
        ("bad_line_mtx", ["bad_line.mtx"], "MatrixMarketError",
         "rank 1 of 2: .*bad_line.mtx, line 803"),
        ("bad_ranks_disagree", ["rank0.mtx", "rank1.mtx"], "InputValueError",
         "different files.*rank0.mtx.*rank1.mtx"),
        ("bad_missing_on_rank1", ["rank0.mtx"], "DataNotFoundError",
         "^rank 1 of 2: no such file.*missing.mtx"),
        ("bad_not_square", ["rect.npz"], "NotSquareError", "5x4 matrix"),
        ("bad_write_disagree", [], "InputValueError", "different files"),
    ],
)
def test_bad_files_fail_every_rank_alike(ranks, name, inputs, error, needle):
    missing = [f for f in inputs if not (ranks[0] / "in" / f).exists()]
    if missing:
        pytest.skip(f"{missing} not made: the shared matrix it comes from is absent")
    entries = [rep[name] for rep in ranks[1]]
    assert [e.get("error") for e in entries] == [error] * NRANKS, entries
    assert len({e["message"] for e in entries}) == 1  # the same words on every rank
    assert "SparsekitError" in entries[0]["error_mro"]
    assert re.search(needle, entries[0]["message"]), entries[0]["message"]


@needs_mpi
def test_no_rank_was_left_waiting_after_the_bad_files(ranks):
    # every rank went on to the cases after the failures (a rank stuck in a collective
    # call would have stopped them all): the last case ran on each
    assert all("options_cleared" in rep for rep in ranks[1])


# ------------------------------------------------------------------ without petsc4py


def test_missing_petsc4py_names_extra_and_script():
    code = (
        "import sys; sys.modules['petsc4py'] = None\n"
        "import numpy as np, scipy.sparse as sp\n"
        "import sparsekit as sk\n"
        "from sparsekit.backends import petsc_\n"
        "assert petsc_.available() in (True, False)\n"
        "try:\n"
        "    petsc_.solve(sp.eye(3, format='csr'), np.ones(3))\n"
        "except sk.MissingDependencyError as e:\n"
        "    print('MISSING', e.extra, '|', e)\n"
        "try:\n"
        "    petsc_.comm_rank()\n"
        "except ImportError as e:\n"
        "    print('RANK', type(e).__name__)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "MISSING mpi |" in proc.stdout
    assert "sparsekit[mpi]" in proc.stdout and "scripts/install-petsc.sh" in proc.stdout
    assert "RANK MissingDependencyError" in proc.stdout


def test_distributed_matrix_checks_its_block():
    from sparsekit.backends.petsc_ import DistributedMatrix

    with pytest.raises(sk.ShapeError, match="start"):
        DistributedMatrix(sp.eye(3, 4, format="csr"), 2, 4)
    with pytest.raises(sk.InputValueError, match="NaN or Inf"):
        DistributedMatrix(sp.csr_array(np.array([[np.nan, 0.0]])), 0, 2)
    D = DistributedMatrix(sp.eye(2, 5, k=1, format="csr"), 1, 5)
    assert (D.start, D.stop, D.shape) == (1, 3, (5, 5))


# ---------------------------------------------------------------------------
# issue 22, the command line: `mpiexec -n 2 sparsekit solve|eigs FILE --backend petsc`
# reads the file by rows on every rank, writes x by rows, prints on rank 0 only, and every
# rank exits with the same code
# ---------------------------------------------------------------------------

def _cli_under_mpiexec(*args, per_rank=False):
    """``mpiexec -n 2 python -m sparsekit ARGS``; with ``per_rank`` each rank echoes its code."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    command = [sys.executable, "-m", "sparsekit", *map(str, args)]
    if per_rank:  # the shell reports every rank's exit code, not just mpiexec's first
        command = ["sh", "-c", " ".join(f"'{c}'" for c in command)
                   + '; echo "rank-exit=$?"']
    return subprocess.run([*mpiexec_command(NRANKS), *command], env=env, capture_output=True,
                          text=True, timeout=300)


@needs_mpi
def test_cli_solve_reads_and_writes_by_rows_and_matches_scipy(tmp_path):
    A = load_real("bcsstk13")
    x_file = tmp_path / "x.petsc"
    p = _cli_under_mpiexec("solve", sk.datasets.path("bcsstk13"), "--backend", "petsc",
                           "--rtol", "1e-10", "-o", x_file, "--json")
    assert p.returncode == 0, p.stderr[-3000:]
    data = json.loads(p.stdout)  # one object: rank 1 printed nothing
    assert data["backend"] == "petsc" and data["converged"]
    assert any("gather=False" in n for n in data["notes"])  # x stayed by rows
    from sparsekit import _petscbin

    x = _petscbin.read(x_file)
    b = np.ones(A.shape[0])
    assert relres(A, x, b) <= 1e-10 * (1 + 1e-6)
    x_ref = spla.spsolve(sp.csc_matrix(A), b)
    assert np.linalg.norm(x - x_ref) <= 1e-4 * np.linalg.norm(x_ref)  # κ ≈ 1e10 here
    assert sorted(tmp_path.iterdir()) == [x_file]


@needs_mpi
def test_cli_eigs_reads_by_rows_and_matches_scipy():
    A = load_real("bcsstk09")
    p = _cli_under_mpiexec("eigs", sk.datasets.path("bcsstk09"), "--backend", "petsc", "-k",
                           "4", "--json")
    assert p.returncode == 0, p.stderr[-3000:]
    data = json.loads(p.stdout)
    ref = np.sort(spla.eigsh(sp.csc_matrix(A), k=4, sigma=0, which="LM",
                             return_eigenvectors=False))
    np.testing.assert_allclose(np.sort(data["values"]), ref, rtol=1e-8)
    assert data["backend"] == "petsc" and data["all_converged"]


@needs_mpi
def test_cli_bad_file_exits_2_on_every_rank(tmp_path):
    bad = tmp_path / "bad.mtx"
    bad.write_text("%%MatrixMarket matrix coordinate real general\n3 3 2\n1 1 1.0\n9 9 2.0\n")
    p = _cli_under_mpiexec("solve", bad, "--backend", "petsc", "-q", per_rank=True)
    assert p.stdout.count("rank-exit=2") == NRANKS, (p.stdout, p.stderr[-2000:])
    assert "line 4" in p.stderr
    assert p.stderr.count("error:") == 1  # said once, by rank 0
