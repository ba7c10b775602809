"""Measure the dense / sparse-direct / iterative crossover on this machine.

Writes docs/crossover.md (the tables the rules of sparsekit/linalg/plan.py cite).
Runs in about two minutes: python scripts/crossover.py [--out docs/crossover.md]
Times are medians of a few runs (wall clock, time.perf_counter); dense LAPACK
keeps all BLAS threads, Krylov loops run with one (as sk.solve does).
"""

import argparse
import math
import os
import platform
import statistics
import time

import numpy as np
import pyamg
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from threadpoolctl import threadpool_info, threadpool_limits

import sparsekit as sk


def nonsym(n, seed=0):
    rng = np.random.default_rng(seed)
    R = sp.random_array((n, n), density=4.0 / n, rng=rng)
    return sp.csr_array(R + sp.diags_array(4 + rng.random(n)))


def med(fn, repeat):
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def chol_splu(A):
    return spla.splu(sp.csc_array(A), permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                     options=dict(SymmetricMode=True))


def cg_count(A, b, M=None):
    it = [0]

    def cb(_):
        it[0] += 1

    with threadpool_limits(1, user_api="blas"):
        spla.cg(A, b, rtol=1e-8, M=M, maxiter=20000, callback=cb)
    return it[0]


def dense_vs_sparse(lines):
    lines += ["## 1. Dense LAPACK against sparse direct (single right-hand side)", "",
              "2-D Poisson (SPD; `sk.dense.solve` (Cholesky) vs SuperLU with the symmetric "
              "ordering) and a random nonsymmetric matrix with ~5 entries per row "
              "(`sk.dense.solve` (LU) vs SuperLU COLAMD). `sk.dense.solve` uses one BLAS "
              "thread below n = 1024 and all threads from there; the last column is plain "
              "`cho_factor` with all BLAS threads, for comparison. Median of 3.", "",
              "| n | SPD dense (s) | SPD sparse Cholesky (s) | nonsym dense LU (s) | "
              "nonsym sparse LU (s) | SPD dense, all threads (s) |",
              "|---|---|---|---|---|---|"]
    rows = []
    for m in (16, 24, 32, 45, 64):
        A = sk.poisson((m, m))
        n = A.shape[0]
        b = np.ones(n)
        Ad = A.toarray()
        t_dc = med(lambda Ad=Ad, b=b: sk.dense.solve(Ad, b), 3)
        t_all = med(lambda Ad=Ad, b=b: sla.cho_solve(sla.cho_factor(Ad), b), 3)
        t_sc = med(lambda A=A, b=b: chol_splu(A).solve(b), 3)
        N = nonsym(n)
        Nd = N.toarray()
        t_dl = med(lambda Nd=Nd, b=b: sk.dense.solve(Nd, b), 3)
        t_sl = med(lambda N=N, b=b: spla.splu(sp.csc_array(N)).solve(b), 3)
        rows.append((n, t_dc, t_sc, t_dl, t_sl))
        lines.append(f"| {n} | {t_dc:.4f} | {t_sc:.4f} | {t_dl:.4f} | {t_sl:.4f} | "
                     f"{t_all:.4f} |")
    lines.append("")
    spd_x = max([r[0] for r in rows if r[1] <= r[2]], default=0)
    ns_x = max([r[0] for r in rows if r[3] <= r[4]], default=0)
    lines += [f"Largest n where dense won: SPD {spd_x}, nonsymmetric {ns_x}.", ""]
    return spd_x, ns_x


def direct_vs_amg(lines):
    lines += ["## 2. Sparse direct against CG + AMG on 2-D Poisson (single right-hand side)", "",
              "The plain SciPy/PyAMG calls, and the two `sk.solve` paths `auto` chooses between "
              "(`method=\"direct\"` and `method=\"cg\", precond=\"amg\"`, cache cleared "
              "before each: inspection, residual check and sparsekit's CSR-level AMG "
              "included); the rule follows the `sk.solve` columns.", "",
              "| n | sparse Cholesky (s) | fill | PyAMG SA setup + CG (s) | CG+AMG iterations "
              "| sk direct (s) | sk CG + AMG (s) |",
              "|---|---|---|---|---|---|---|"]
    rows = []
    for m in (96, 160, 256, 362, 512):
        A = sk.poisson((m, m))
        n = A.shape[0]
        b = np.ones(n)
        rep = 3 if m <= 256 else 1
        t_d = med(lambda A=A, b=b: chol_splu(A).solve(b), rep)
        fill = chol_splu(A).nnz / A.nnz

        def amg(A=A, b=b):
            with threadpool_limits(1, user_api="blas"):
                ml = pyamg.smoothed_aggregation_solver(sp.csr_matrix(A))
                spla.cg(A, b, rtol=1e-8, M=ml.aspreconditioner())

        t_a = med(amg, rep)
        with threadpool_limits(1, user_api="blas"):
            ml = pyamg.smoothed_aggregation_solver(sp.csr_matrix(A))
        its = cg_count(A, b, ml.aspreconditioner())
        def sk_solve(method, A=A, b=b, **kw):
            sk.clear_cache()
            sk.solve(A, b, method=method, **kw)

        t_skd = med(lambda: sk_solve("direct"), rep)
        t_ska = med(lambda: sk_solve("cg", precond="amg"), rep)
        rows.append((n, t_skd, t_ska))
        lines.append(f"| {n} | {t_d:.3f} | {fill:.1f} | {t_a:.3f} | {its} | {t_skd:.3f} | "
                     f"{t_ska:.3f} |")
    lines.append("")
    x = max([r[0] for r in rows if r[1] <= r[2]], default=0)
    x30 = max([r[0] for r in rows if r[1] <= 1.3 * r[2]], default=0)
    lines += [f"Largest n where sk's sparse Cholesky won: {x}; where it was within 30% of "
              f"CG + AMG (the allowance a reusable factorization gets): {x30}.", ""]
    return x, x30


def cg_vs_amg(lines):
    lines += ["## 3. Plain CG against CG + AMG (the cost model of the plan)", "",
              "Plain CG iterations to rtol 1e-8, seconds per CG iteration, and AMG "
              "(setup + AMG-preconditioned CG, one BLAS thread as in sk) expressed in plain CG "
              "iterations.", "",
              "| problem | n | CG iterations | C_CG = its / (n^(1/d) ln(2/rtol)) | CG (s) | "
              "AMG setup+solve (s) | AMG in CG iterations |", "|---|---|---|---|---|---|---|"]
    cs, eq = [], []
    for shape in ((128, 128), (256, 256), (24, 24, 24), (40, 40, 40)):
        A = sk.poisson(shape)
        n = A.shape[0]
        d = len(shape)
        b = np.ones(n)
        its = cg_count(A, b)

        def cg(A=A, b=b):
            with threadpool_limits(1, user_api="blas"):
                spla.cg(A, b, rtol=1e-8, maxiter=20000)

        t_cg = med(cg, 1)

        def amg(A=A, b=b):
            with threadpool_limits(1, user_api="blas"):
                ml = pyamg.smoothed_aggregation_solver(sp.csr_matrix(A))
                spla.cg(A, b, rtol=1e-8, M=ml.aspreconditioner())

        t_amg = med(amg, 1)
        c = its / (n ** (1 / d) * math.log(2e8))
        e = t_amg / (t_cg / its)
        cs.append(c)
        eq.append(e)
        lines.append(f"| Poisson {'x'.join(map(str, shape))} | {n} | {its} | {c:.3f} | "
                     f"{t_cg:.3f} | {t_amg:.3f} | {e:.0f} |")
    lines.append("")
    c, e = statistics.median(cs), statistics.median(eq)
    lines += [f"Medians: C_CG = {c:.3f}, AMG_CG_EQUIV = {e:.0f}.", ""]
    return c, e


def many_rhs(lines):
    lines += ["## 4. Many right-hand sides: when does a factorization pay?", "",
              "2-D Poisson 128x128: factorize once + k solves, against k AMG-CG solves with "
              "the hierarchy reused.", "", "| k | direct (s) | CG+AMG, hierarchy reused (s) |",
              "|---|---|---|"]
    A = sk.poisson((128, 128))
    n = A.shape[0]
    with threadpool_limits(1, user_api="blas"):
        ml = pyamg.smoothed_aggregation_solver(sp.csr_matrix(A))
    Mop = ml.aspreconditioner()
    out = None
    for k in (1, 2, 4, 8):
        B = np.random.default_rng(0).standard_normal((n, k))
        t_d = med(lambda B=B: chol_splu(A).solve(B), 3)

        def it(B=B):
            with threadpool_limits(1, user_api="blas"):
                for j in range(B.shape[1]):
                    spla.cg(A, B[:, j], rtol=1e-8, M=Mop)

        t_i = med(it, 3)
        if out is None and t_d <= t_i:
            out = k
        lines.append(f"| {k} | {t_d:.3f} | {t_i:.3f} |")
    lines += ["", f"Smallest k where the factorization won: {out}.", ""]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "docs",
                                                  "crossover.md"))
    args = ap.parse_args()
    t0 = time.perf_counter()
    blas = ", ".join(f"{i['internal_api']} {i['num_threads']} threads"
                     for i in threadpool_info() if i["user_api"] == "blas")
    import scipy

    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = ["# Measured crossover: dense, sparse direct, iterative", "",
             f"Written by `scripts/crossover.py` on {when}"
             f"; {platform.processor() or platform.machine()}, {os.cpu_count()} cores, BLAS: "
             f"{blas}; numpy {np.__version__}, scipy {scipy.__version__}, "
             f"pyamg {pyamg.__version__}. The machine was shared with other jobs: read ratios, "
             "not absolute seconds.", ""]
    spd_x, ns_x = dense_vs_sparse(lines)
    dir_x, dir_x30 = direct_vs_amg(lines)
    c, e = cg_vs_amg(lines)
    k = many_rhs(lines)
    lines += ["## Constants for `sparsekit/linalg/plan.py`", "",
              f"- `DENSE_MAX_N`: dense won up to n = {spd_x} (SPD) / {ns_x} (nonsymmetric)",
              f"- `DIRECT_MAX_N_2D`: sparse Cholesky beat CG + AMG up to n = {dir_x}, and was "
              f"within 30% up to n = {dir_x30}",
              f"- `C_CG` = {c:.3f}, `AMG_CG_EQUIV` = {e:.0f}",
              f"- `MANY_RHS`: a factorization paid from k = {k} right-hand sides", "",
              f"(total run time {time.perf_counter() - t0:.0f} s)", ""]
    with open(args.out, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
