"""GPU backend benchmarks (issue 9/10): device AMG-CG, LOBPCG, builders, batched dense.

Each class has an ``xp`` parameter: ``"cupy"`` (skipped via NotImplementedError
where cupy or a CUDA device is missing) and ``"numpy"`` (the same code with
numpy substituted; run in quick mode only, so CI exercises the code path).
The anchors (PyAMG-CG on the CPU, numpy.linalg) are values of the ``method``
parameter in the same class.  Device timings synchronise the device.
"""

import numpy as np
import scipy.sparse as sp

from ._common import QUICK, relres, sizes


def _namespace(xp):
    """The backend namespace, or NotImplementedError (asv's skip) without it."""
    from sparsekit import BackendError, MissingDependencyError
    from sparsekit.backends import cupy_

    if xp == "numpy" and not QUICK:
        raise NotImplementedError("the numpy substitute only runs in quick mode")
    try:
        return cupy_.namespace(xp)
    except (MissingDependencyError, BackendError) as exc:
        raise NotImplementedError(str(exc)) from None


class PoissonAMGCG:
    """2-D Poisson, rtol 1e-8: device AMG-CG vs CG + Jacobi vs PyAMG-CG on the CPU."""

    params = (["cupy", "numpy"], ["sparsekit-amg-cg", "cg-jacobi", "pyamg-cg-cpu"],
              sizes(quick=[64], full=[1024, 2048]))
    param_names = ["xp", "method", "m"]
    timeout = 900

    def setup(self, xp, method, m):
        from sparsekit.backends import cupy_

        self.ns = _namespace(xp)
        self.A_host = cupy_.poisson((m, m), h=1.0, xp_name="numpy")
        self.b_host = np.ones(self.A_host.shape[0])
        if method == "pyamg-cg-cpu":
            import pyamg

            self.ml = pyamg.smoothed_aggregation_solver(sp.csr_matrix(self.A_host))
            return
        self.A = cupy_.to_device(self.A_host, self.ns)
        self.b = cupy_.to_device(self.b_host, self.ns)
        self.M = (cupy_.DeviceAMG.setup(self.A_host, self.ns) if method == "sparsekit-amg-cg"
                  else None)
        self.result = self._run()  # accuracy check before a time counts
        if not self.result[2]:
            raise NotImplementedError(f"{method} did not converge at m={m}")

    def _run(self):
        from sparsekit.backends import cupy_

        if self.M is None:
            r = cupy_.solve(self.A, self.b, method="cg", precond="jacobi", rtol=1e-8,
                            maxiter=100_000, xp_name=self.ns.name)
        else:
            r = cupy_.solve(self.A, self.b, method="cg", M=self.M, rtol=1e-8,
                            xp_name=self.ns.name)
        self.ns.sync()
        return r.iterations, r.relative_residual, r.converged

    def _run_cpu(self):
        res = []
        x = self.ml.solve(self.b_host, tol=1e-8, accel="cg", residuals=res)
        return len(res) - 1, relres(self.A_host, x, self.b_host), True

    def time_solve(self, xp, method, m):
        self._run_cpu() if method == "pyamg-cg-cpu" else self._run()

    def track_iterations(self, xp, method, m):
        return (self._run_cpu() if method == "pyamg-cg-cpu" else self.result)[0]

    def track_relative_residual(self, xp, method, m):
        return (self._run_cpu() if method == "pyamg-cg-cpu" else self.result)[1]

    track_iterations.unit = "iterations"
    track_relative_residual.unit = "relative residual"


class AMGSetup:
    """Device AMG setup: PyAMG on the host + transfer, against PyAMG's setup alone."""

    params = (["cupy", "numpy"], ["sparsekit-device-amg", "pyamg"],
              sizes(quick=[64], full=[1024, 2048]))
    param_names = ["xp", "method", "m"]
    timeout = 900

    def setup(self, xp, method, m):
        from sparsekit.backends import cupy_

        self.ns = _namespace(xp)
        self.A = sp.csr_matrix(cupy_.poisson((m, m), h=1.0, xp_name="numpy"))

    def time_setup(self, xp, method, m):
        import pyamg

        from sparsekit.backends import cupy_

        if method == "pyamg":
            pyamg.smoothed_aggregation_solver(self.A, max_coarse=500)
        else:
            cupy_.DeviceAMG.setup(self.A, self.ns)
            self.ns.sync()


class SmallestLaplacianEigenpairs:
    """8 smallest Laplacian eigenpairs of a grid with long-range edges (LOBPCG + device AMG)."""

    params = (["cupy", "numpy"], sizes(quick=["grid_shortcuts_30"],
                                       full=["grid_shortcuts_300", "grid_shortcuts_1000"]))
    param_names = ["xp", "graph"]
    timeout = 1200

    def setup(self, xp, graph):
        import sparsekit as sk
        from sparsekit.backends import cupy_

        self.ns = _namespace(xp)
        if graph == "grid_shortcuts_30":
            W = sk.datasets._grid_shortcuts(30, 60)
        else:
            W = sk.datasets.load(graph)
        self.L = cupy_.to_device(cupy_.laplacian(W, xp_name="numpy"), self.ns)
        self.e = self._run()

    def _run(self):
        from sparsekit.backends import cupy_

        e = cupy_.eigsh(self.L, k=8, which="smallest", xp_name=self.ns.name)
        self.ns.sync()
        return e

    def time_eigsh(self, xp, graph):
        self._run()

    def track_max_residual(self, xp, graph):
        return float(np.max(self.e.residuals))

    track_max_residual.unit = "residual"


class Builders:
    """Laplacian from edge arrays and co-occurrence counts on the device vs the numpy substitute."""

    params = (["cupy", "numpy"], ["laplacian", "cooccurrence"])
    param_names = ["xp", "builder"]
    timeout = 900

    def setup(self, xp, builder):
        from sparsekit.backends import cupy_

        self.ns = _namespace(xp)
        rng = np.random.default_rng(0)
        if builder == "laplacian":
            self.n, m = (2_000, 10_000) if QUICK else (1_000_000, 5_000_000)
            self.r = cupy_.to_device(rng.integers(0, self.n, m), self.ns)
            self.c = cupy_.to_device(rng.integers(0, self.n, m), self.ns)
        else:
            N, self.V = (20_000, 500) if QUICK else (10_000_000, 50_000)
            self.t = cupy_.to_device((rng.zipf(1.2, N) - 1) % self.V, self.ns)
        self.time_build(xp, builder)  # warm-up: kernel compilation is not timed

    def time_build(self, xp, builder):
        from sparsekit.backends import cupy_

        if builder == "laplacian":
            cupy_.laplacian((self.r, self.c), n=self.n, xp_name=self.ns.name)
        else:
            cupy_.cooccurrence(self.t, window=5, vocab_size=self.V, chunk_size=2_000_000,
                               xp_name=self.ns.name)
        self.ns.sync()


class BatchedDense:
    """10,000 stacked 8 x 8 complex matrices: batched solve and SVD, device vs numpy (CPU)."""

    params = (["cupy", "numpy"], ["solve", "svd"], ["sparsekit-device", "numpy-cpu"])
    param_names = ["xp", "op", "method"]

    def setup(self, xp, op, method):
        from sparsekit.backends import cupy_

        self.ns = _namespace(xp)
        rng = np.random.default_rng(1)
        batch = 1_000 if QUICK else 10_000
        self.A = rng.standard_normal((batch, 8, 8)) + 1j * rng.standard_normal((batch, 8, 8))
        self.b = rng.standard_normal((batch, 8)) + 1j * rng.standard_normal((batch, 8))
        self.Ad = cupy_.to_device(self.A, self.ns)
        self.bd = cupy_.to_device(self.b, self.ns)
        self.time_op(xp, op, method)  # warm-up

    def time_op(self, xp, op, method):
        from sparsekit.backends import cupy_

        if method == "numpy-cpu":
            if op == "solve":
                np.linalg.solve(self.A, self.b[..., None])
            else:
                np.linalg.svd(self.A)
            return
        if op == "solve":
            cupy_.dense_solve(self.Ad, self.bd, xp_name=self.ns.name)
        else:
            cupy_.dense_svd(self.Ad, xp_name=self.ns.name)
        self.ns.sync()
