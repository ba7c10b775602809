"""Smallest Laplacian eigenpairs: sk.eigsh(auto) beside scikit-learn, SciPy and networkx.

Issue 5's targets: on luxembourg_osm and grid_shortcuts_300, the 8 smallest
Laplacian eigenpairs at least 1.5x faster than scikit-learn's
``spectral_embedding(eigen_solver="amg")`` and SciPy's shift-invert ``eigsh``,
every residual below 1e-6 ‖L‖; the Fiedler pair at least 10x faster than
networkx's ``fiedler_vector`` with the eigenvalue to 1e-8 relative.
``track_*`` record the worst residual ‖L v − λ v‖ / ‖L‖₂ of every anchor, so
a fast wrong answer cannot look good.

Issue 23's cases, beside SciPy: ``ComplexHermitian`` (the 6 smallest pairs of a
complex Hermitian magnetic Laplacian on an 80 × 80 grid, sparsekit's ``auto``
against SciPy's ``eigsh(which='SA')`` and its shift-invert ``eigsh(sigma=0)``;
target: within 1.5x of ``'SA'``, the same residuals) and ``Nonsymmetric``
(``sk.eigs`` against SciPy's ``eigs`` on real nonsymmetric SuiteSparse matrices,
the largest magnitudes and the pairs nearest 0), each with a residual track.
"""

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import sparsekit as sk

from ._common import QUICK, one_blas_thread, real, sizes, speedup

K = 8


def _grid_graph(m, shortcuts):
    from sparsekit.datasets import _grid_shortcuts

    return _grid_shortcuts(m, shortcuts)


def _graph(name):
    if name.startswith("grid_shortcuts_"):
        m = int(name.rsplit("_", 1)[1])
        if m == 300:
            return sk.datasets.load(name)
        return _grid_graph(m, max(1, (200 * m * m) // 90000))
    return real(name)


def _laplacian(W):
    return sp.csr_array(sk.laplacian(W))


def _norm2(L):
    """‖L‖₂ (the largest eigenvalue of a Laplacian), by ARPACK."""
    return float(spla.eigsh(L, k=1, which="LA", tol=1e-6, return_eigenvectors=False)[0])


def _worst_residual(L, V, norm):
    V = V / np.linalg.norm(V, axis=0)
    lam = np.einsum("ij,ij->j", V, L @ V)
    return float(np.max(np.linalg.norm(L @ V - V * lam, axis=0)) / norm), lam


class _Solvers:
    """The 8 smallest eigenpairs of L by sparsekit and its anchors."""

    def __init__(self, W, L):
        self.W, self.L = W, L

    def sparsekit(self):
        sk.clear_cache()  # every timing pays for its own factorization
        r = sk.eigsh(self.L, k=K, which="smallest")
        return r.vectors

    def sklearn_amg(self):
        from sklearn.manifold import spectral_embedding

        with one_blas_thread():
            E = spectral_embedding(sp.csr_matrix(self.W), n_components=K, eigen_solver="amg",
                                   norm_laplacian=False, drop_first=False, random_state=0)
        return E

    def scipy_shift_invert(self):
        # a careful user's call: sigma=0 is singular for a Laplacian, so a small negative shift
        _, V = spla.eigsh(self.L, k=K, sigma=-1e-4, which="LM")
        return V

    def scipy_lobpcg_pyamg(self):
        import pyamg

        # a careful user's call: without the constant vector as a constraint, LOBPCG with
        # AMG on the singular L breaks down at iteration 0 (seen on grid_shortcuts_60)
        n = self.L.shape[0]
        ml = pyamg.smoothed_aggregation_solver(sp.csr_matrix(self.L))
        Y = np.ones((n, 1)) / np.sqrt(n)
        X = np.random.default_rng(0).standard_normal((n, K - 1))
        _, V = spla.lobpcg(self.L, X, M=ml.aspreconditioner(), Y=Y, largest=False, tol=1e-6,
                           maxiter=200)
        return np.hstack([Y, V])


class LaplacianSmallest:
    """8 smallest Laplacian eigenpairs (luxembourg_osm, grid_shortcuts_300)."""

    params = (sizes(quick=["grid_shortcuts_60"], full=["luxembourg_osm", "grid_shortcuts_300"]),
              ["sparsekit", "sklearn_amg", "scipy_shift_invert", "scipy_lobpcg_pyamg"])
    param_names = ["graph", "method"]
    number = 1
    repeat = (1, 3, 60.0)
    timeout = 600

    def setup(self, graph, method):
        W = sp.csr_array(_graph(graph))
        W.setdiag(0)
        W.eliminate_zeros()
        L = _laplacian(W)
        self.L = L
        self.solvers = _Solvers(W, L)
        self.fn = getattr(self.solvers, method)
        self.norm = _norm2(L)

    def time_smallest(self, graph, method):
        self.fn()

    def track_worst_residual(self, graph, method):
        return _worst_residual(self.L, self.fn(), self.norm)[0]

    track_worst_residual.unit = "residual / ||L||_2"

    def track_speedup_vs_anchor(self, graph, method):
        """Median anchor time / median sparsekit time (1 for sparsekit itself)."""
        if method == "sparsekit":
            return 1.0
        return speedup(self.solvers.sparsekit, self.fn)

    track_speedup_vs_anchor.unit = "x"


class Fiedler:
    """The Fiedler pair of a grid graph with shortcuts, sparsekit vs networkx (tracemin_pcg)."""

    params = (sizes(quick=[20], full=[60, 100]), ["sparsekit", "networkx"])
    param_names = ["m", "method"]
    number = 1
    repeat = (1, 3, 60.0)
    timeout = 600

    def setup(self, m, method):
        W = sp.csr_array(_grid_graph(m, max(1, (200 * m * m) // 90000)))
        self.L = _laplacian(W)
        n = self.L.shape[0]
        # reference: shift-invert far below the spectrum with the null space known, tol 1e-14
        w = spla.eigsh(self.L + sp.eye_array(n) / n, k=2, sigma=0.0, which="LM", tol=1e-14,
                       return_eigenvectors=False)
        self.reference = float(np.sort(w)[1] - 1.0 / n)
        if method == "networkx":
            import networkx as nx

            self.G = nx.from_scipy_sparse_array(W)

    def _run(self, method):
        if method == "sparsekit":
            sk.clear_cache()
            r = sk.eigsh(self.L, k=2)
            return float(r.values[1])
        import networkx as nx

        v = nx.fiedler_vector(self.G, seed=0)  # default method: tracemin_pcg
        v = v / np.linalg.norm(v)
        return float(v @ (self.L @ v))

    def time_fiedler(self, m, method):
        self._run(method)

    def track_relative_error(self, m, method):
        return abs(self._run(method) - self.reference) / self.reference

    track_relative_error.unit = "relative"

    def track_speedup_vs_networkx(self, m, method):
        if method == "sparsekit":
            return 1.0
        return speedup(lambda: self._run("sparsekit"), lambda: self._run("networkx"))

    track_speedup_vs_networkx.unit = "x"


class Shapes:
    """sk.eigsh(auto) vs the dense path on small real matrices (the crossover)."""

    params = (sizes(quick=["bcsstk09"], full=["nos6", "bcsstk09", "bcsstk13"]),
              ["sparsekit", "dense"], [6])
    param_names = ["matrix", "method", "k"]

    def setup(self, matrix, method, k):
        self.A = sp.csr_array(real(matrix))
        if QUICK and method == "dense" and self.A.shape[0] > 1500:
            raise NotImplementedError("dense on n > 1500 skipped in quick mode")

    def time_smallest(self, matrix, method, k):
        if method == "dense":
            sk.dense.eigh(self.A, k)
        else:
            sk.clear_cache()
            sk.eigsh(self.A, k=k)


def magnetic_laplacian(m, flux=0.1):
    """Magnetic Laplacian of an m x m grid (Landau gauge, ``flux`` quanta per plaquette).

    The edge (x, y)-(x+1, y) carries the phase exp(2πi·flux·y), vertical edges none:
    a complex Hermitian positive definite matrix whose lowest (Landau) level is
    degenerate, the case that sent complex input to the dense path before issue 23.
    """
    idx = np.arange(m * m).reshape(m, m)
    a, b = idx[:, :-1].ravel(), idx[:, 1:].ravel()
    c, d = idx[:-1, :].ravel(), idx[1:, :].ravel()
    phase = np.exp(2j * np.pi * flux * np.repeat(np.arange(m), m - 1))
    W = sp.csr_array((np.concatenate([phase, phase.conj(), np.ones(c.size), np.ones(c.size)]),
                      (np.concatenate([a, b, c, d]), np.concatenate([b, a, d, c]))),
                     shape=(m * m, m * m))
    deg = np.asarray(abs(W).sum(axis=1)).ravel()
    return sp.csr_array(sp.diags_array(deg) - W)


def _pair_residual(A, w, V, norm):
    """Worst ``‖A v − λ v‖ / (‖v‖ · norm)`` over the pairs."""
    V = V / np.linalg.norm(V, axis=0)
    return float(np.max(np.linalg.norm(A @ V - V * w, axis=0)) / norm)


class ComplexHermitian:
    """The 6 smallest pairs of a complex Hermitian matrix: sk.eigsh beside SciPy's eigsh.

    Before issue 23 sparsekit sent complex Hermitian input to the dense path (181 s at
    n = 6,400 against 0.86 s for SciPy's ``eigsh(which='SA')``).
    """

    params = (sizes(quick=[30], full=[80]),
              ["sparsekit", "sparsekit-tol0", "scipy-eigsh-SA", "scipy-eigsh-shift-invert"])
    param_names = ["m", "method"]
    number = 1
    repeat = (1, 5, 60.0)
    timeout = 300

    def setup(self, m, method):
        self.H = magnetic_laplacian(m)
        self.norm = float(sp.linalg.norm(self.H, 1))

    def _run(self, method):
        if method.startswith("sparsekit"):
            sk.clear_cache()  # every timing pays for its own factorization
            # sparsekit-tol0: SciPy's default tol=0 (machine precision), like for like
            return sk.eigsh(self.H, k=6, tol=0 if method == "sparsekit-tol0" else None)
        with one_blas_thread():
            if method == "scipy-eigsh-SA":
                return spla.eigsh(self.H, k=6, which="SA")
            return spla.eigsh(self.H, k=6, sigma=0.0, which="LM")

    def time_smallest(self, m, method):
        self._run(method)

    def track_worst_residual(self, m, method):
        w, V = self._run(method)
        return _pair_residual(self.H, w, V, self.norm)

    track_worst_residual.unit = "residual / ||H||_1"

    def track_speedup_vs_anchor(self, m, method):
        """Median anchor time / median sparsekit time (1 for sparsekit itself)."""
        if method.startswith("sparsekit"):
            return 1.0
        return speedup(lambda: self._run("sparsekit"), lambda: self._run(method))

    track_speedup_vs_anchor.unit = "x (anchor time / sparsekit time)"


class Nonsymmetric:
    """6 eigenpairs of a real nonsymmetric matrix: sk.eigs beside SciPy's eigs.

    ``which``: ``"LM"`` (ARPACK's regular mode on both sides) and ``"sigma0"`` (the 6
    nearest 0: shift-invert on an LU of A, sparsekit's from its cache).
    """

    params = (sizes(quick=["orsirr_1"], full=["orsirr_1", "sherman5", "add32"]),
              ["LM", "sigma0"], ["sparsekit", "sparsekit-tol0", "scipy-eigs"])
    param_names = ["matrix", "which", "method"]
    number = 1
    repeat = (1, 5, 60.0)
    timeout = 300

    def setup(self, matrix, which, method):
        self.A = sp.csr_array(real(matrix)).astype(float)
        self.norm = float(np.sqrt(sp.linalg.norm(self.A, 1) * sp.linalg.norm(self.A, np.inf)))
        self.kw = {"which": "LM"} if which == "LM" else {"sigma": 0.0}

    def _run(self, method):
        if method.startswith("sparsekit"):
            from sparsekit.linalg._eigen import eigs

            sk.clear_cache()
            # sparsekit-tol0: SciPy's default tol=0 (machine precision), like for like
            return eigs(self.A, k=6, tol=0 if method == "sparsekit-tol0" else None, **self.kw)
        with one_blas_thread():
            return spla.eigs(self.A, k=6, **self.kw)

    def time_eigs(self, matrix, which, method):
        self._run(method)

    def track_worst_residual(self, matrix, which, method):
        w, V = self._run(method)
        return _pair_residual(self.A, w, V, self.norm)

    track_worst_residual.unit = "residual / sqrt(||A||_1 ||A||_inf)"

    def track_speedup_vs_anchor(self, matrix, which, method):
        """Median anchor time / median sparsekit time (1 for sparsekit itself)."""
        if method.startswith("sparsekit"):
            return 1.0
        return speedup(lambda: self._run("sparsekit"), lambda: self._run(method))

    track_speedup_vs_anchor.unit = "x (anchor time / sparsekit time)"
