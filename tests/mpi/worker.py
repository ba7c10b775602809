"""Runs under ``mpiexec -n N``: each case calls the petsc backend on every rank.

Usage: ``mpiexec -n 2 python tests/mpi/worker.py OUT_DIR [CASE ...]``.

Every rank writes ``OUT_DIR/rank{r}.json`` (what it saw: its rows, the notes,
errors); rank 0 also writes ``OUT_DIR/CASE.npz`` with the arrays (``x``,
eigenvalues...).  ``tests/test_petsc.py`` launches this and compares the
reports with SciPy references computed outside MPI.  Nothing here asserts:
the worker only reports.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp

import sparsekit as sk
from sparsekit.backends import petsc_

REPORT: dict = {}
OUT = Path(".")


def poisson2d_rows(m: int, start: int, stop: int) -> sp.csr_array:
    """Rows start:stop of the 5-point Dirichlet Laplacian on an m x m grid (no global matrix)."""
    rows = np.arange(start, stop)
    i, j = np.divmod(rows, m)
    r, c, v = [rows], [rows], [np.full(rows.size, 4.0)]
    for di, dj in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        ii, jj = i + di, j + dj
        ok = (ii >= 0) & (ii < m) & (jj >= 0) & (jj < m)
        r.append(rows[ok])
        c.append(ii[ok] * m + jj[ok])
        v.append(np.full(int(ok.sum()), -1.0))
    r, c, v = (np.concatenate(a) for a in (r, c, v))
    return sp.csr_array((v, (r - start, c)), shape=(stop - start, m * m))


def pattern_laplacian(A) -> sp.csr_array:
    """L = D - W of the pattern adjacency (off-diagonal entries, weight 1, symmetrised)."""
    W = sp.csr_array(A, dtype=float).copy()
    W.data[:] = 1.0
    W = W + W.T
    W.setdiag(0)
    W.eliminate_zeros()
    W.data[:] = 1.0
    deg = np.asarray(W.sum(axis=1)).ravel()
    return sp.csr_array(sp.diags(deg) - W)


def seeded_rhs(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(n)


def record(name, fn):
    """Run one case on this rank; keep what it returned or the error it raised."""
    entry = {}
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            arrays, info = fn()
        entry.update(info)
        entry["warnings"] = [f"{w.category.__name__}: {w.message}" for w in caught]
        if petsc_.comm_rank() == 0 and arrays:
            np.savez(OUT / f"{name}.npz", **arrays)
    except Exception as exc:  # noqa: BLE001 - reported, the test judges
        entry["error"] = type(exc).__name__
        entry["error_mro"] = [c.__name__ for c in type(exc).__mro__]
        entry["message"] = str(exc)
        entry["traceback"] = traceback.format_exc()[-2000:]
    entry["wall_s"] = round(time.perf_counter() - t0, 3)
    REPORT[name] = entry


def solve_info(r):
    return {
        "converged": bool(r.converged),
        "iterations": int(r.iterations),
        "relative_residual": float(r.relative_residual),
        "method": r.method,
        "precond": r.precond,
        "backend": r.backend,
        "notes": list(r.notes),
        "n_history": int(len(r.residuals)),
    }


def eig_info(e):
    return {
        "converged": [bool(c) for c in e.converged],
        "method": e.method,
        "backend": e.backend,
        "notes": list(e.notes),
        "tol": float(e.tol),
    }


# ---------------------------------------------------------------------- cases


def case_poisson512():
    m = 512
    n = m * m
    # each rank builds only its rows, with the builders' rows= (issue 3)
    A = petsc_.DistributedMatrix.from_builder(lambda s, e: sk.poisson((m, m), rows=(s, e)), n)
    x_true = np.sin(np.linspace(0, 7, n)) + seeded_rhs(n, 1) * 0.1
    # b = A x_true, computed from this rank's rows only, then gathered
    b = A @ x_true
    r = petsc_.solve(A, b, rtol=1e-10)
    info = solve_info(r)
    info["rows"] = [A.start, A.stop]
    return {"x": r.x, "b": b, "x_true": x_true}, info


def _real_solve(name, **kw):
    def run():
        A = sk.datasets.load(name)
        b = seeded_rhs(A.shape[0], 2)
        r = petsc_.solve(A, b, **kw)
        return {"x": r.x, "b": b}, solve_info(r)

    return run


def case_distributed_gather_false():
    A = sk.datasets.load("gr_30_30")
    D = petsc_.DistributedMatrix.from_global(A)
    b = seeded_rhs(A.shape[0], 3)
    r = petsc_.solve(D, b, rtol=1e-10, gather=False)
    info = solve_info(r)
    info["rows"] = [D.start, D.stop]
    info["local_len"] = int(r.x.shape[0])
    # every rank saves its own block; the test reassembles them
    np.savez(OUT / f"gather_false.rank{petsc_.comm_rank()}.npz", x=r.x, b=b)
    return {}, info


def case_multi_rhs_x0_callback():
    A = sk.datasets.load("gr_30_30")
    n = A.shape[0]
    B = np.column_stack([seeded_rhs(n, 4), seeded_rhs(n, 5)])
    seen = []
    r = petsc_.solve(A, B, method="cg", precond="jacobi", rtol=1e-10, x0=np.zeros_like(B),
                     callback=lambda xk: seen.append(float(np.linalg.norm(xk))))
    info = solve_info(r)
    info["callback_calls"] = len(seen)
    return {"x": r.x, "b": B}, info


def case_minres_auto():
    A = sk.datasets.load("sherman1")  # symmetric negative definite
    b = seeded_rhs(A.shape[0], 8)
    r = petsc_.solve(A, b, rtol=1e-10)
    return {"x": r.x, "b": b}, solve_info(r)


def case_gmres_nonsymmetric():
    A = sk.datasets.load("orsirr_1")
    b = seeded_rhs(A.shape[0], 6)
    r = petsc_.solve(A, b, method="gmres", precond="ilu", rtol=1e-10,
                     options={"ksp_gmres_restart": 200})
    return {"x": r.x, "b": b}, solve_info(r)


def case_not_converged():
    A = sk.datasets.load("nos6")
    b = seeded_rhs(A.shape[0], 7)
    r = petsc_.solve(A, b, method="cg", precond="none", maxiter=3)
    return {"x": r.x, "b": b}, solve_info(r)


def case_strict():
    A = sk.datasets.load("nos6")
    b = seeded_rhs(A.shape[0], 7)
    try:
        petsc_.solve(A, b, method="cg", precond="none", maxiter=3, strict=True)
    except sk.NoConvergence as exc:
        return {}, {"raised": "NoConvergence", "partial_converged": bool(exc.result.converged),
                    "message": str(exc)}
    return {}, {"raised": None}


def case_bad_option_name():
    A = sk.datasets.load("nos6")
    petsc_.solve(A, np.ones(A.shape[0]), options={"ksp_no_such_thing": 3})
    return {}, {}


def case_bad_option_value():
    A = sk.datasets.load("nos6")
    petsc_.solve(A, np.ones(A.shape[0]), options={"ksp_type": "no_such_krylov"})
    return {}, {}


def case_unknown_method():
    A = sk.datasets.load("nos6")
    petsc_.solve(A, np.ones(A.shape[0]), method="conjugate")
    return {}, {}


def case_eig_not_symmetric():
    A = sk.datasets.load("west0479")
    petsc_.eigsh(A, k=2)
    return {}, {}


def case_comm():
    return {}, {"rank": petsc_.comm_rank(), "size": petsc_.comm_size(),
                "row_range_10": list(petsc_.row_range(10)), "packages": packages()}


def packages() -> dict:
    """The external packages this PETSc was built with (the tests skip what it lacks)."""
    import petsc4py.PETSc as PETSc  # imported by the backend already

    has = getattr(PETSc.Sys, "hasExternalPackage", None)
    return {pkg: None if has is None else bool(has(pkg))
            for pkg in ("hypre", "mumps", "superlu_dist")}


def _laplacian_eig(name, **kw):
    def run():
        L = pattern_laplacian(sk.datasets.load(name))
        e = petsc_.eigsh(L, k=6, **kw)
        return {"values": e.values, "vectors": e.vectors, "residuals": e.residuals}, eig_info(e)

    return run


def case_eig_bcsstk13():
    A = sk.datasets.load("bcsstk13")
    e = petsc_.eigsh(A, k=6)
    return {"values": e.values, "vectors": e.vectors, "residuals": e.residuals}, eig_info(e)


def case_eig_lobpcg():
    m = 20
    A = petsc_.DistributedMatrix.from_builder(lambda s, e: poisson2d_rows(m, s, e), m * m)
    e = petsc_.eigsh(A, k=3, method="lobpcg", precond="jacobi", tol=1e-9, maxiter=2000)
    return {"values": e.values, "residuals": e.residuals}, eig_info(e)


def path_laplacian_1d(n: int) -> sp.csr_array:
    return sp.csr_array(sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(n, n)))


def case_user_preconditioner():
    A = sk.datasets.load("gr_30_30")
    b = seeded_rhs(A.shape[0], 9)
    M = sp.diags(1.0 / A.diagonal())  # Jacobi, applied by the python PC
    r = petsc_.solve(A, b, method="cg", M=M, rtol=1e-10)
    return {"x": r.x, "b": b}, solve_info(r)


def case_eig_generalized():
    n = 120
    K = path_laplacian_1d(n)
    Md = sp.csr_array(sp.diags(np.linspace(1.0, 2.0, n)))
    e = petsc_.eigsh(K, k=4, M=Md)
    return {"values": e.values, "vectors": e.vectors}, eig_info(e)


def case_eig_sigma():
    e = petsc_.eigsh(path_laplacian_1d(300), k=5, sigma=1.0)
    return {"values": e.values}, eig_info(e)


def case_eig_bad_option():
    petsc_.eigsh(path_laplacian_1d(50), k=2, options={"eps_no_such_thing": 1})
    return {}, {}


def case_eig_largest():
    e = petsc_.eigsh(path_laplacian_1d(100), k=3, which="largest", maxiter=2000)
    return {"values": e.values}, eig_info(e)


def case_sk_solve():
    """Through the public sk.solve dispatch, with rows held per rank."""
    A = sk.datasets.load("gr_30_30")
    D = petsc_.DistributedMatrix.from_global(A)
    b = seeded_rhs(A.shape[0], 10)
    r = sk.solve(D, b, backend="petsc", rtol=1e-10)
    return {"x": r.x, "b": b}, solve_info(r)


def case_sk_eigsh():
    """Through the public sk.eigsh dispatch."""
    e = sk.eigsh(path_laplacian_1d(200), k=4, backend="petsc")
    return {"values": e.values}, eig_info(e)


# ------------------------------------------- every documented name through the front door

# Every name of the backend's registries except "auto" (tested above), so that a name
# added to a registry is tested here without editing this list.
SOLVE_METHOD_NAMES = [m for m in petsc_.SOLVE_METHODS if m != "auto"]
SOLVE_PRECOND_NAMES = [p for p in petsc_.SOLVE_PRECONDS if p != "auto"]
EIGEN_METHOD_NAMES = [m for m in petsc_.EIGEN_METHODS if m != "auto"]
EIGEN_PRECOND_NAMES = [p for p in petsc_.EIGEN_PRECONDS if p != "auto"]
#: Iterative methods cross every PC; a direct solve takes only an LU.
FRONT_SOLVES = [(m, p) for m in SOLVE_METHOD_NAMES if m != "direct"
                for p in SOLVE_PRECOND_NAMES] + [("direct", "direct"), ("direct", "lu")]
#: The methods whose spectral transformation solves systems cross every eigen PC; the
#: Krylov-Schur names run on A itself (auto), and one shows an unused precond is said so.
FRONT_EIGS = ([(m, p) for m in ("shift_invert", "lobpcg") for p in EIGEN_PRECOND_NAMES]
              + [(m, "auto") for m in EIGEN_METHOD_NAMES if m not in ("shift_invert", "lobpcg")]
              + [("lanczos", "jacobi")])


def front_solve_matrix(symmetric: bool, m: int = 20) -> sp.csr_array:
    """The 5-point Laplacian on an m x m grid; plus upwind convection when not symmetric."""
    T = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(m, m))
    eye = sp.eye(m)
    A = sp.kron(eye, T) + sp.kron(T, eye)
    if not symmetric:
        D = sp.diags([-1.0, 1.0], [-1, 0], shape=(m, m))
        A = A + 0.8 * (sp.kron(eye, D) + sp.kron(D, eye))
    return sp.csr_array(A)


def front_eig_matrix(m1: int = 12, m2: int = 10) -> sp.csr_array:
    """An m1 x m2 grid Laplacian plus a varying diagonal: SPD, distinct eigenvalues."""
    T1 = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(m1, m1))
    T2 = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(m2, m2))
    n = m1 * m2
    A = sp.kron(sp.eye(m2), T1) + sp.kron(T2, sp.eye(m1))
    return sp.csr_array(A + sp.diags(0.5 + 0.5 * np.sin(np.arange(n))))


def _front_solve(method, precond):
    def run():
        A = front_solve_matrix(symmetric=method in ("cg", "minres"))
        b = seeded_rhs(A.shape[0], 11)
        r = sk.solve(A, b, backend="petsc", method=method, precond=precond, rtol=1e-10)
        return {"x": r.x, "b": b}, solve_info(r)

    return run


def _front_eig(method, precond):
    def run():
        kw = {"tol": 1e-10, "maxiter": 5000} if method != "shift_invert" else {}
        e = sk.eigsh(front_eig_matrix(), k=4, backend="petsc", method=method, precond=precond,
                     **kw)
        return {"values": e.values, "vectors": e.vectors, "residuals": e.residuals}, eig_info(e)

    return run


def case_front_direct_bad_precond():
    sk.solve(front_solve_matrix(False), np.ones(400), backend="petsc", method="direct",
             precond="jacobi")
    return {}, {}


def case_front_sigma_with_smallest():
    sk.eigsh(front_eig_matrix(), k=2, backend="petsc", which="smallest", sigma=1.0)
    return {}, {}


def case_options_cleared():
    """Run last: no option of any call above (failed ones included) is left in PETSc's database."""
    import petsc4py.PETSc as PETSc

    return {}, {"left": sorted(k for k in PETSc.Options().getAll() if k.startswith("sk"))}


CASES = {
    "comm": case_comm,
    "poisson512": case_poisson512,
    "bcsstk09": _real_solve("bcsstk09", rtol=1e-10),
    "nos6": _real_solve("nos6", rtol=1e-10),
    "gr_30_30": _real_solve("gr_30_30", rtol=1e-10),
    "494_bus": _real_solve("494_bus", rtol=1e-10),
    "1138_bus_direct": _real_solve("1138_bus", method="direct",
                                   options={"pc_factor_mat_solver_type": "mumps"}),
    "bcsstk09_hypre": _real_solve("bcsstk09", method="cg", precond="hypre", rtol=1e-10),
    "gather_false": case_distributed_gather_false,
    "multi_rhs": case_multi_rhs_x0_callback,
    "gmres": case_gmres_nonsymmetric,
    "minres_auto": case_minres_auto,
    "not_converged": case_not_converged,
    "strict": case_strict,
    "bad_option_name": case_bad_option_name,
    "bad_option_value": case_bad_option_value,
    "unknown_method": case_unknown_method,
    "eig_not_symmetric": case_eig_not_symmetric,
    "eig_fe_4elt2": _laplacian_eig("fe_4elt2", options={"eps_ncv": 20}),
    "eig_luxembourg_osm": _laplacian_eig("luxembourg_osm"),
    "eig_bcsstk13": case_eig_bcsstk13,
    "eig_lobpcg": case_eig_lobpcg,
    "user_M": case_user_preconditioner,
    "eig_generalized": case_eig_generalized,
    "eig_sigma": case_eig_sigma,
    "eig_largest": case_eig_largest,
    "eig_bad_option": case_eig_bad_option,
    "sk_solve": case_sk_solve,
    "sk_eigsh": case_sk_eigsh,
    "front_direct_bad_precond": case_front_direct_bad_precond,
    "front_sigma_with_smallest": case_front_sigma_with_smallest,
    **{f"front_solve_{m}_{p}": _front_solve(m, p) for m, p in FRONT_SOLVES},
    **{f"front_eig_{m}_{p}": _front_eig(m, p) for m, p in FRONT_EIGS},
    "options_cleared": case_options_cleared,  # last
}


if __name__ == "__main__":
    import io_cases  # beside this file

    OUT = Path(sys.argv[1])
    OUT.mkdir(parents=True, exist_ok=True)
    last = CASES.pop("options_cleared")
    CASES.update(io_cases.make_cases(OUT))  # files: read by rows, PETSc binary, bad input
    CASES["options_cleared"] = last
    names = sys.argv[2:] or list(CASES)
    for name in names:
        record(name, CASES[name])
    rank = petsc_.comm_rank()
    (OUT / f"rank{rank}.json").write_text(json.dumps(REPORT, indent=1))
