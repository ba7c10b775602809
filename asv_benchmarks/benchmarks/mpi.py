"""PETSc CG + GAMG (the petsc backend, one rank) against SciPy/PyAMG CG + smoothed aggregation.

Both solve the same 2-D Poisson problem (5-point, Dirichlet, ``m x m`` grid)
to ``rtol=1e-8``, setup included (AMG hierarchy + solve).  The anchor is
``method="scipy_pyamg"`` in the same class.  Skipped (NotImplementedError)
where petsc4py is not installed (``bash scripts/install-petsc.sh``).  The
multi-rank scaling figures are in ``docs/mpi.md`` (asv runs one process).
"""

import importlib.util

import numpy as np
import scipy.sparse as sp

from ._common import relres, sizes, speedup

RTOL = 1e-8


def _poisson2d(m):
    T = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(m, m))
    return sp.csr_array(sp.kron(sp.eye(m), T) + sp.kron(T, sp.eye(m)))


def _petsc_solve(A, b):
    from sparsekit.backends import petsc_

    return petsc_.solve(A, b, method="cg", precond="amg", rtol=RTOL).x


def _pyamg_solve(A, b):
    import pyamg

    ml = pyamg.smoothed_aggregation_solver(A)
    return ml.solve(b, tol=RTOL, accel="cg", maxiter=1000)


class PoissonCGAMG:
    params = [sizes(quick=[64], full=[256, 512, 1024]), ["petsc_gamg", "scipy_pyamg"]]
    param_names = ["m", "method"]
    timeout = 300

    def setup(self, m, method):
        if importlib.util.find_spec("petsc4py") is None:
            raise NotImplementedError("petsc4py not installed (bash scripts/install-petsc.sh)")
        self.A = _poisson2d(m)
        self.b = np.random.default_rng(0).standard_normal(m * m)
        self.fn = _petsc_solve if method == "petsc_gamg" else _pyamg_solve
        # an accuracy check before any time counts
        x = self.fn(self.A, self.b)
        if relres(self.A, x, self.b) > 10 * RTOL:
            raise RuntimeError(f"{method} missed rtol={RTOL} on m={m}")

    def time_solve(self, m, method):
        self.fn(self.A, self.b)

    def peakmem_solve(self, m, method):
        self.fn(self.A, self.b)

    def track_relres(self, m, method):
        return relres(self.A, self.fn(self.A, self.b), self.b)

    track_relres.unit = "relative residual"

    def track_speedup_vs_pyamg(self, m, method):
        if method == "scipy_pyamg":
            return 1.0
        return speedup(lambda: _petsc_solve(self.A, self.b), lambda: _pyamg_solve(self.A, self.b))

    track_speedup_vs_pyamg.unit = "x (PyAMG time / this time)"
