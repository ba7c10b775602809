"""Dense against sparse: sk.dense.solve beside sk.solve for n from 256 to 4,096 (issue 4).

2-D Poisson with n unknowns; the dashboard shows where dense LAPACK stops winning.
"""

import numpy as np
import scipy.linalg as sla

import sparsekit as sk

from ._common import relres, sizes


class DenseVsSparse:
    timeout = 300
    params = [sizes(quick=[256], full=[256, 1024, 4096]),
              ["dense", "sparse-auto", "sparse-direct", "numpy-anchor"]]
    param_names = ["n", "method"]

    def setup(self, n, method):
        m = int(round(np.sqrt(n)))
        self.A = sk.poisson((m, m))
        self.Ad = self.A.toarray()
        self.b = np.ones(self.A.shape[0])

    def _run(self, method):
        if method == "dense":
            return sk.dense.solve(self.Ad, self.b).x
        if method == "numpy-anchor":
            return np.linalg.solve(self.Ad, self.b)
        sk.clear_cache()
        if method == "sparse-auto":
            return sk.solve(self.A, self.b).x
        return sk.solve(self.A, self.b, method="direct").x

    def time_solve(self, n, method):
        self._run(method)

    def peakmem_solve(self, n, method):
        self._run(method)

    def track_relres(self, n, method):
        return relres(self.A, self._run(method), self.b)

    track_relres.unit = "relative residual"


class BatchedSmall:
    """10,000 channel matrices of 8 x 8: one batched call against a Python loop of scipy."""

    params = [sizes(quick=[1000], full=[10000]), ["sparsekit-batched", "scipy-loop"]]
    param_names = ["count", "method"]

    def setup(self, count, method):
        rng = np.random.default_rng(0)
        self.H = rng.standard_normal((count, 8, 8)) + 8 * np.eye(8)
        self.y = rng.standard_normal((count, 8))

    def time_solve(self, count, method):
        if method == "sparsekit-batched":
            sk.dense.solve(self.H, self.y)
        else:
            for i in range(count):
                sla.solve(self.H[i], self.y[i])
