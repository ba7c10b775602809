"""PETSc CG + GAMG (the petsc backend, one rank) against SciPy/PyAMG CG + smoothed aggregation.

Both solve the same 2-D Poisson problem (5-point, Dirichlet, ``m x m`` grid)
to ``rtol=1e-8``, setup included (AMG hierarchy + solve).  The anchor is
``method="scipy_pyamg"`` in the same class.  Skipped (NotImplementedError)
where petsc4py is not installed (``bash scripts/install-petsc.sh``).  The
multi-rank scaling figures are in ``docs/mpi.md`` (asv runs one process).
``ReadRows``: reading one rank's rows of a file against each format's own
reader of the whole file (issue 22).
"""

import importlib.util
import tempfile
from pathlib import Path

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


# ---- reading by rows (issue 22): what one rank of two reads, against reading the file whole


def _files(m, folder):
    """The m x m Poisson matrix as .mtx (one triangle, column by column), .npz and .petsc."""
    import scipy.io

    import sparsekit as sk
    from sparsekit import _petscbin

    A = sp.csr_array(sk.poisson((m, m)))
    base = Path(folder) / f"poisson{m}"
    scipy.io.mmwrite(f"{base}.mtx", sp.csc_array(sp.tril(A)), symmetry="symmetric")
    sp.save_npz(f"{base}.npz", A)
    _petscbin.write(f"{base}.petsc", A)
    return A, base


def _whole_then_rows(method, path, stop):
    if method == "scipy.io.mmread":
        import scipy.io

        return sp.csr_array(scipy.io.mmread(path))[:stop]
    if method == "scipy.sparse.load_npz":
        return sp.csr_array(sp.load_npz(path))[:stop]
    import petsc4py

    petsc4py.init([])
    from petsc4py import PETSc

    viewer = PETSc.Viewer().createBinary(str(path), mode="r", comm=PETSc.COMM_SELF)
    M = PETSc.Mat().create(comm=PETSc.COMM_SELF)
    M.setType("aij")
    M.load(viewer)
    ai, aj, av = M.getValuesCSR()
    shape = M.getSize()
    M.destroy()
    viewer.destroy()
    return sp.csr_array((av, aj, ai), shape=shape)[:stop]


class ReadRows:
    """Rank 0's half of the rows of a file (``sparsekit._rowread.read_rows``, no MPI needed).

    The anchors read the whole file with what each format's own reader is
    (SciPy's ``mmread``, ``load_npz``, petsc4py's ``MatLoad``) and slice the
    rows: ``peakmem_`` shows what reading by rows saves, ``time_`` what it costs
    (a Matrix Market file is scanned whole either way; a ``.petsc`` or CSR
    ``.npz`` file is read only where the rows lie).
    """

    params = [sizes(quick=[96], full=[512, 1024]), ["mtx", "npz", "petsc"],
              ["sparsekit", "scipy.io.mmread", "scipy.sparse.load_npz", "petsc4py"]]
    param_names = ["m", "suffix", "method"]
    timeout = 300
    _ANCHOR = {"mtx": "scipy.io.mmread", "npz": "scipy.sparse.load_npz", "petsc": "petsc4py"}

    def setup_cache(self):
        folder = tempfile.mkdtemp(prefix="sk-rows-")
        for m in self.params[0]:
            _files(m, folder)
        return folder

    def setup(self, folder, m, suffix, method):
        if method != "sparsekit" and method != self._ANCHOR[suffix]:
            raise NotImplementedError("each format against its own reader")
        if method == "petsc4py" and importlib.util.find_spec("petsc4py") is None:
            raise NotImplementedError("petsc4py not installed (bash scripts/install-petsc.sh)")
        from sparsekit import _rowread

        self.path = Path(folder) / f"poisson{m}.{suffix}"
        self.stop = (m * m + 1) // 2  # rank 0 of 2 (PETSc's split)
        self.fn = ((lambda: _rowread.read_rows(self.path, 0, self.stop)) if method == "sparsekit"
                   else (lambda: _whole_then_rows(method, self.path, self.stop)))
        # an accuracy check before any time counts: the rows of the matrix written
        import sparsekit as sk

        want = sp.csr_array(sk.poisson((m, m)))[:self.stop]
        if (self.fn() != want).nnz:
            raise RuntimeError(f"{method} read wrong rows of {self.path.name}")

    def time_read_half(self, folder, m, suffix, method):
        self.fn()

    def peakmem_read_half(self, folder, m, suffix, method):
        self.fn()
