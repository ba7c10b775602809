"""Linear solves: sk.solve(method="auto") beside its anchors (issue 4).

* Poisson2D: 5-point 1024x1024, rtol 1e-8: auto vs PyAMG SA + CG (used directly),
  SciPy cg (no preconditioner) and spsolve.
* Poisson3D: 7-point 64^3: auto vs SciPy cg, PyAMG SA + CG and splu.
* ManyRHS: 2-D 256x256 with 50 right-hand sides: one block solve and 50 separate
  sk.solve calls (the cache at work) vs 50 spsolve calls.
* KrylovMethods (issue 23): every SciPy Krylov method through sk.solve beside the same
  SciPy call, on a 2-D convection-diffusion matrix, with the true residual each reaches.
* RestoredFactorization (issue 23): a pickled factorization's solve (triangular solves)
  beside SuperLU's own solve and beside factorizing again.
* GraphLaplacian (issue 19): a graph Laplacian system to rtol 1e-8 (luxembourg_osm;
  grid_shortcuts_1000, 10^6 nodes; full mode only): auto vs approximate-Cholesky PCG used
  directly (approx-chol's Factor as SciPy cg's M), PyAMG SA-CG and SuperLU on the
  grounded Laplacian.
"""

import numpy as np
import pyamg
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import sparsekit as sk

from ._common import one_blas_thread, relres, sizes, speedup


def _sparsekit_auto(A, b, rtol):
    sk.clear_cache()  # end to end: no hierarchy or factorization left from a previous call
    return sk.solve(A, b, rtol=rtol).x


def _pyamg_sa_cg(A, b, rtol):
    with one_blas_thread():
        ml = pyamg.smoothed_aggregation_solver(sp.csr_matrix(A))
        return ml.solve(b, tol=rtol, accel="cg", maxiter=500)


def _scipy_cg(A, b, rtol):
    with one_blas_thread():
        return spla.cg(A, b, rtol=rtol, maxiter=20000)[0]


#: method -> one end-to-end solve (setup included) returning x (SciPy's benchmark mapping)
SOLVERS = {
    "sparsekit-auto": _sparsekit_auto,
    "pyamg-sa-cg": _pyamg_sa_cg,
    "scipy-cg": _scipy_cg,
    "spsolve": lambda A, b, rtol: spla.spsolve(sp.csc_array(A), b),
    "splu": lambda A, b, rtol: spla.splu(sp.csc_array(A)).solve(b),
}


def _run(method, A, b, rtol=1e-8):
    """One end-to-end solve (setup included); returns x."""
    return SOLVERS[method](A, b, rtol)


class _Solve:
    timeout = 600
    number = 1  # one solve per sample: each takes seconds at the full sizes
    repeat = (1, 3, 120.0)
    warmup_time = 0
    anchor = "pyamg-sa-cg"

    def setup(self, n, method):
        self.A = self.make(n)
        self.b = np.ones(self.A.shape[0])

    def time_solve(self, n, method):
        _run(method, self.A, self.b)

    def track_relres(self, n, method):
        return relres(self.A, _run(method, self.A, self.b), self.b)

    track_relres.unit = "relative residual"

    def track_speedup_vs_anchor(self, n, method):
        if method == self.anchor:
            return 1.0
        return speedup(lambda: _run(method, self.A, self.b),
                       lambda: _run(self.anchor, self.A, self.b), repeat=1)

    track_speedup_vs_anchor.unit = "anchor time / this time"


class Poisson2D(_Solve):
    params = [sizes(quick=[64], full=[1024]),
              ["sparsekit-auto", "pyamg-sa-cg", "scipy-cg", "spsolve"]]
    param_names = ["grid", "method"]

    @staticmethod
    def make(n):
        return sk.poisson((n, n))


class Poisson3D(_Solve):
    params = [sizes(quick=[16], full=[64]),
              ["sparsekit-auto", "scipy-cg", "pyamg-sa-cg", "splu"]]
    param_names = ["grid", "method"]
    anchor = "scipy-cg"

    @staticmethod
    def make(n):
        return sk.poisson((n, n, n))

    def setup(self, n, method):
        if method == "splu" and n > 32:
            # measured here: splu on 48^3 took 100 s (fill 138); 64^3 does not fit the timeout
            raise NotImplementedError("splu on 3-D Poisson beyond 32^3 exceeds the timeout")
        super().setup(n, method)


class ManyRHS:
    """50 right-hand sides on the 2-D Poisson."""

    timeout = 600
    number = 1
    repeat = (1, 3, 120.0)
    warmup_time = 0
    params = [sizes(quick=[32], full=[256]), ["sparsekit-block", "sparsekit-loop", "spsolve-loop"]]
    param_names = ["grid", "method"]

    def setup(self, n, method):
        self.A = sk.poisson((n, n))
        self.B = np.random.default_rng(0).standard_normal((self.A.shape[0], 50))

    def _run(self, method):
        if method == "sparsekit-block":
            sk.clear_cache()
            return sk.solve(self.A, self.B).x
        if method == "sparsekit-loop":
            sk.clear_cache()
            return np.column_stack([sk.solve(self.A, self.B[:, j]).x for j in range(50)])
        Ac = sp.csc_array(self.A)
        return np.column_stack([spla.spsolve(Ac, self.B[:, j]) for j in range(50)])

    def time_solve(self, n, method):
        self._run(method)

    def track_relres(self, n, method):
        return relres(self.A, self._run(method), self.B)

    track_relres.unit = "relative residual"

    def track_speedup_vs_spsolve(self, n, method):
        if method == "spsolve-loop":
            return 1.0
        return speedup(lambda: self._run(method), lambda: self._run("spsolve-loop"), repeat=1)

    track_speedup_vs_spsolve.unit = "spsolve time / this time"


def _convection_diffusion(n):
    """A nonsymmetric 2-D convection-diffusion matrix (5-point Poisson + central convection)."""
    P = sk.poisson((n, n))
    S = sp.diags_array([np.ones(n * n - 1)], offsets=[1])
    return sp.csr_array(P + 0.3 * (S - S.T))


class KrylovMethods:
    """Every SciPy Krylov method through sk.solve beside the same SciPy call (issue 23).

    Both sides run without a preconditioner on the same nonsymmetric matrix and
    tolerance: the difference is sparsekit's work around SciPy's (validation,
    the true residual recomputed, refinement restarts where SciPy's own test
    passed too early).  ``track_relres`` is the TRUE residual each side's x has.
    """

    timeout = 600
    number = 1
    repeat = (1, 3, 60.0)
    warmup_time = 0
    params = [sizes(quick=[24], full=[128]),
              sizes(quick=["bicg", "tfqmr"],  # CI's quick pass: two of them
                    full=["bicg", "bicgstab", "cgs", "gcrotmk", "gmres", "lgmres", "qmr",
                          "tfqmr"]),
              ["sparsekit", "scipy"]]
    param_names = ["grid", "krylov", "method"]

    def setup(self, n, krylov, method):
        self.A = _convection_diffusion(n)
        self.b = np.ones(self.A.shape[0])

    def _run(self, krylov, method):
        if method == "sparsekit":
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", sk.ConvergenceWarning)
                return sk.solve(self.A, self.b, method=krylov, precond="none", rtol=1e-8,
                                maxiter=5000).x
        fn = getattr(spla, krylov)
        with one_blas_thread():
            return fn(self.A, self.b, rtol=1e-8, maxiter=5000)[0]

    def time_solve(self, n, krylov, method):
        self._run(krylov, method)

    def track_relres(self, n, krylov, method):
        return relres(self.A, self._run(krylov, method), self.b)

    track_relres.unit = "relative residual (true)"


class RestoredFactorization:
    """A factorization's solve after pickling (triangular solves on its factors, issue 23),
    beside SuperLU's own solve and beside factorizing again: a loaded solve must not be
    pathological."""

    timeout = 600
    number = 1
    repeat = (1, 5, 60.0)
    warmup_time = 0
    params = [sizes(quick=[64], full=[256]),
              sizes(quick=["superlu-solve", "sparsekit-restored"],
                    full=["superlu-solve", "sparsekit-restored", "splu"])]
    param_names = ["grid", "method"]

    def setup(self, n, method):
        import pickle

        self.A = _convection_diffusion(n)
        self.b = np.random.default_rng(0).standard_normal(self.A.shape[0])
        self.F = sk.factorize(self.A, cache=False)
        self.G = pickle.loads(pickle.dumps(self.F))

    def _run(self, method):
        if method == "superlu-solve":
            return self.F.solve(self.b)
        if method == "sparsekit-restored":
            return self.G.solve(self.b)
        with one_blas_thread():  # the anchor: factorize again and solve
            return spla.splu(sp.csc_array(self.A)).solve(self.b)

    def time_solve(self, n, method):
        self._run(method)

    def track_relres(self, n, method):
        return relres(self.A, self._run(method), self.b)

    track_relres.unit = "relative residual"


def _approx_chol_pcg(L, b, rtol):
    import approx_chol

    with one_blas_thread():
        return spla.cg(L, b, rtol=rtol, M=approx_chol.factorize(sp.csr_array(L)))[0]


def _grounded_splu(L, b, rtol):
    x = np.zeros_like(b)
    x[1:] = spla.splu(sp.csc_array(L[1:, 1:])).solve(b[1:])  # node 0 grounded
    return x


SOLVERS["approx-chol-pcg"] = _approx_chol_pcg
SOLVERS["splu-grounded"] = _grounded_splu


class GraphLaplacian(_Solve):
    """A graph Laplacian (singular; b orthogonal to the constants) solved to rtol 1e-8."""

    params = [sizes(quick=["grid_shortcuts_60"], full=["luxembourg_osm", "grid_shortcuts_1000"]),
              ["sparsekit-auto", "approx-chol-pcg", "pyamg-sa-cg", "splu"]]
    param_names = ["graph", "method"]
    anchor = "approx-chol-pcg"
    timeout = 1200

    def setup(self, graph, method):
        from ._common import real

        if method == "splu" and graph == "grid_shortcuts_1000":
            raise NotImplementedError("SuperLU of the 1e6-node Laplacian: minutes (measured)")
        if graph == "grid_shortcuts_60":
            from sparsekit.datasets import _grid_shortcuts

            W = _grid_shortcuts(60, 10)
        elif graph.startswith("grid_shortcuts_"):
            W = sk.datasets.load(graph)
        else:
            W = real(graph)
        self.A = sp.csr_array(sk.laplacian(W))
        b = np.random.default_rng(0).standard_normal(self.A.shape[0])
        self.b = b - b.mean()
        self.method = "splu-grounded" if method == "splu" else method

    def time_solve(self, graph, method):
        _run(self.method, self.A, self.b)

    def track_relres(self, graph, method):
        return relres(self.A, _run(self.method, self.A, self.b), self.b)

    track_relres.unit = "relative residual"

    def track_speedup_vs_anchor(self, graph, method):
        if method == self.anchor:
            return 1.0
        return speedup(lambda: _run(self.method, self.A, self.b),
                       lambda: _run(self.anchor, self.A, self.b), repeat=1)

    track_speedup_vs_anchor.unit = "anchor time / this time"
