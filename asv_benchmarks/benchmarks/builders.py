"""Builders beside their anchors: graph Laplacians, Poisson, P1 stiffness, co-occurrence.

Sizes are the issue's in full mode; ``SPARSEKIT_BENCH_QUICK=1`` runs small ones.
Each class checks in ``setup`` that sparsekit's matrix equals the anchor's
before any time counts: on the same input, or on a smaller one of the same
kind where a full-size check would set the peak memory ``peakmem_`` reports
(asv measures the peak of the whole process, ``setup`` included).
"""

import numpy as np
import scipy.sparse as sp

import sparsekit as sk

from ._common import QUICK, sizes, speedup


def _edges(n, m, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, n, m), rng.integers(0, n, m), rng.uniform(0.5, 2.0, m)


def _csgraph_laplacian(r, c, w, n):
    """Anchor: symmetrise a COO adjacency, then scipy.sparse.csgraph.laplacian."""
    from scipy.sparse.csgraph import laplacian

    A = sp.coo_array((w, (r, c)), shape=(n, n))
    return laplacian((A + A.T).tocsr())


def _coo_bincount_laplacian(r, c, w, n):
    """Anchor: one COO with the mirrored edges and a bincount diagonal."""
    deg = np.bincount(r, w, n) + np.bincount(c, w, n)
    d = np.arange(n)
    return sp.coo_array((np.concatenate([-w, -w, deg]),
                         (np.concatenate([r, c, d]), np.concatenate([c, r, d]))),
                        shape=(n, n)).tocsr()


def _networkx_laplacian(r, c, w, n):
    """Anchor: build a networkx graph from the edges and call laplacian_matrix."""
    import networkx as nx

    G = nx.MultiGraph()
    G.add_nodes_from(range(n))
    G.add_weighted_edges_from(zip(r.tolist(), c.tolist(), w.tolist(), strict=True))
    return nx.laplacian_matrix(G, nodelist=range(n))


class GraphLaplacian:
    """Edge arrays -> combinatorial Laplacian; (nodes, edges)."""

    params = [sizes(quick=[(2_000, 10_000)], full=[(100_000, 500_000), (1_000_000, 5_000_000)]),
              ["sparsekit", "scipy.csgraph", "numpy.coo_bincount", "networkx"]]
    param_names = ["size", "method"]
    timeout = 600

    def setup(self, size, method):
        n, m = size
        if method == "networkx" and n > 100_000:
            raise NotImplementedError("networkx is run at 100,000 nodes only")
        r, c, w = _edges(n, m)
        self.fn = {
            "sparsekit": lambda: sk.laplacian((r, c, w), n=n),
            "scipy.csgraph": lambda: _csgraph_laplacian(r, c, w, n),
            "numpy.coo_bincount": lambda: _coo_bincount_laplacian(r, c, w, n),
            "networkx": lambda: _networkx_laplacian(r, c, w, n),
        }[method]
        if method == "sparsekit":
            # the largest graph is checked on a tenth of its size: the check (two
            # Laplacians and their difference) would set the peak peakmem_ reports
            k = 10 if n > 100_000 else 1
            rs, cs, ws = _edges(n // k, m // k)
            err = abs(sk.laplacian((rs, cs, ws), n=n // k)
                      - _csgraph_laplacian(rs, cs, ws, n // k)).max()
            assert err < 1e-12, err

    def time_laplacian(self, size, method):
        self.fn()

    def peakmem_laplacian(self, size, method):
        self.fn()


class GraphLaplacianSpeedup:
    """scipy.csgraph time / sparsekit time (``track_speedup``); networkx / sparsekit too."""

    params = [sizes(quick=[(2_000, 10_000)], full=[(100_000, 500_000), (1_000_000, 5_000_000)])]
    param_names = ["size"]
    timeout = 900

    def setup(self, size):
        self.n = size[0]
        self.edges = _edges(*size)

    def track_speedup(self, size):
        r, c, w = self.edges
        return speedup(lambda: sk.laplacian((r, c, w), n=self.n),
                       lambda: _csgraph_laplacian(r, c, w, self.n))

    track_speedup.unit = "x"

    def track_speedup_vs_networkx(self, size):
        if self.n > 100_000:
            return float("nan")
        r, c, w = self.edges
        return speedup(lambda: sk.laplacian((r, c, w), n=self.n),
                       lambda: _networkx_laplacian(r, c, w, self.n), repeat=1)

    track_speedup_vs_networkx.unit = "x"


class Poisson:
    """Finite-difference Poisson against SciPy's LaplacianNd and a kron sum."""

    params = [sizes(quick=[(64, 64), (16, 16, 16)], full=[(1000, 1000), (100, 100, 100)]),
              ["sparsekit", "scipy.LaplacianNd", "scipy.kron"]]
    param_names = ["shape", "method"]

    def setup(self, shape, method):
        from scipy.sparse.linalg import LaplacianNd

        def kron():
            out = None
            for d, n in enumerate(shape):
                T = sp.diags_array([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)],
                                   offsets=[-1, 0, 1])
                term = sp.kron(sp.kron(sp.eye_array(int(np.prod(shape[:d]))), T),
                               sp.eye_array(int(np.prod(shape[d + 1:]))))
                out = term if out is None else out + term
            return out.tocsr()

        self.fn = {
            "sparsekit": lambda: sk.poisson(shape),
            "scipy.LaplacianNd": lambda: LaplacianNd(shape, boundary_conditions="dirichlet")
            .tosparse().tocsr(),
            "scipy.kron": kron,
        }[method]
        if method == "sparsekit":
            ref = LaplacianNd(shape, boundary_conditions="dirichlet").tosparse()
            assert abs(self.fn() + ref).max() == 0

    def time_poisson(self, shape, method):
        self.fn()


class P1Stiffness:
    """P1 stiffness on unit_square(n): 2 n^2 triangles (n=1000: 2,000,000).

    sparsekit's row is ``p1(mass="lumped")``: the stiffness, with the lumped
    mass beside it costing one bincount.
    """

    params = [sizes(quick=[60], full=[1000]), ["sparsekit", "scikit-fem", "numpy.coo"]]
    param_names = ["n", "method"]
    timeout = 600

    def setup(self, n, method):
        points, cells = sk.fem.unit_square(n)
        if method == "scikit-fem":
            import skfem
            from skfem.models.poisson import laplace

            basis = skfem.Basis(skfem.MeshTri(points.T.copy(), cells.T.copy()),
                                skfem.ElementTriP1())
            self.fn = lambda: skfem.asm(laplace, basis)
        elif method == "numpy.coo":
            self.fn = lambda: _numpy_coo_stiffness(points, cells)
        else:
            self.fn = lambda: sk.fem.p1(points, cells, mass="lumped")
            # checked on a smaller mesh: at full size the numpy COO anchor run here would
            # set the peak that peakmem_p1 reports for sparsekit
            pts, cls = sk.fem.unit_square(min(n, 200))
            K = sk.fem.p1(pts, cls, mass="lumped")[0]
            ref = _numpy_coo_stiffness(pts, cls)
            assert abs(K - ref).max() < 1e-12 * abs(ref).max()

    def time_p1(self, n, method):
        self.fn()

    def peakmem_p1(self, n, method):
        self.fn()


class P1StiffnessAndMass:
    """P1 stiffness and consistent mass together on unit_square(n)."""

    params = [sizes(quick=[60], full=[1000]), ["sparsekit", "scikit-fem"]]
    param_names = ["n", "method"]
    timeout = 600

    def setup(self, n, method):
        points, cells = sk.fem.unit_square(n)
        if method == "scikit-fem":
            import skfem
            from skfem.models.poisson import laplace, mass

            basis = skfem.Basis(skfem.MeshTri(points.T.copy(), cells.T.copy()),
                                skfem.ElementTriP1())
            self.fn = lambda: (skfem.asm(laplace, basis), skfem.asm(mass, basis))
        else:
            self.fn = lambda: sk.fem.p1(points, cells)

    def time_p1(self, n, method):
        self.fn()


def _numpy_coo_stiffness(points, cells):
    """Anchor: the hand-vectorised numpy assembly, 9 entries per triangle through COO."""
    x = points[cells]
    e1, e2 = x[:, 1] - x[:, 0], x[:, 2] - x[:, 0]
    det = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
    G = np.empty((len(cells), 3, 2))
    G[:, 1] = np.column_stack([e2[:, 1], -e2[:, 0]]) / det[:, None]
    G[:, 2] = np.column_stack([-e1[:, 1], e1[:, 0]]) / det[:, None]
    G[:, 0] = -G[:, 1] - G[:, 2]
    Ke = 0.5 * np.abs(det)[:, None, None] * np.einsum("cid,cjd->cij", G, G)
    rows = np.repeat(cells, 3, axis=1).ravel()
    cols = np.tile(cells, (1, 3)).ravel()
    n = len(points)
    return sp.coo_array((Ke.ravel(), (rows, cols)), shape=(n, n)).tocsr()


class P1Speedup:
    """scikit-fem stiffness time / sparsekit p1 time (lumped mass, i.e. the stiffness)."""

    params = [sizes(quick=[60], full=[1000])]
    param_names = ["n"]
    timeout = 900

    def setup(self, n):
        import skfem
        from skfem.models.poisson import laplace

        points, cells = sk.fem.unit_square(n)
        basis = skfem.Basis(skfem.MeshTri(points.T.copy(), cells.T.copy()),
                            skfem.ElementTriP1())
        self.mine = lambda: sk.fem.p1(points, cells, mass="lumped")
        self.anchor = lambda: skfem.asm(laplace, basis)

    def track_speedup(self, n):
        return speedup(self.mine, self.anchor)

    track_speedup.unit = "x"


def _zipf_tokens(n_tokens, vocab, seed=0):
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, vocab + 1)
    return rng.choice(vocab, n_tokens, p=p / p.sum()).astype(np.int32)


def _coo_shifted_pairs(t, window, V):
    """Anchor: one COO of all shifted pairs, then C + C^T."""
    r = np.concatenate([t[:-d] for d in range(1, window + 1)])
    c = np.concatenate([t[d:] for d in range(1, window + 1)])
    C = sp.coo_array((np.ones(r.size), (r, c)), shape=(V, V)).tocsr()
    return (C + C.T).tocsr()


def _naive_loop(t, window, V):
    """Anchor: the plain Python loop over tokens (small inputs only)."""
    counts = {}
    n = len(t)
    tl = t.tolist()
    for i in range(n):
        for j in range(i + 1, min(i + window + 1, n)):
            a, b = tl[i], tl[j]
            counts[a, b] = counts.get((a, b), 0) + 1
            counts[b, a] = counts.get((b, a), 0) + 1
    keys = np.array(list(counts), dtype=np.int64).reshape(-1, 2)
    return sp.coo_array((np.array(list(counts.values()), dtype=float),
                         (keys[:, 0], keys[:, 1])), shape=(V, V)).tocsr()


class Cooccurrence:
    """Token stream -> symmetric window-5 counts; (tokens, vocabulary), Zipf tokens."""

    params = [sizes(quick=[(20_000, 1_000), (200_000, 5_000)],
                    full=[(20_000, 1_000), (10_000_000, 50_000)]),
              ["sparsekit", "numpy.coo_shifted_pairs", "naive_loop"]]
    param_names = ["size", "method"]
    timeout = 600

    def setup(self, size, method):
        n_tokens, V = size
        if method == "naive_loop" and n_tokens > 20_000:
            raise NotImplementedError("the Python loop runs on the small input only")
        t = _zipf_tokens(n_tokens, V)
        self.fn = {
            "sparsekit": lambda: sk.cooccurrence(t, 5, vocab_size=V),
            "numpy.coo_shifted_pairs": lambda: _coo_shifted_pairs(t, 5, V),
            "naive_loop": lambda: _naive_loop(t, 5, V),
        }[method]
        if method == "sparsekit" and (QUICK or n_tokens <= 20_000):
            assert abs(self.fn() - _coo_shifted_pairs(t, 5, V)).max() == 0

    def time_cooccurrence(self, size, method):
        self.fn()

    def peakmem_cooccurrence(self, size, method):
        self.fn()


class CooccurrenceSpeedup:
    """coo_shifted_pairs time / sparsekit time, same process, medians."""

    params = [sizes(quick=[(200_000, 5_000)], full=[(10_000_000, 50_000)])]
    param_names = ["size"]
    timeout = 900

    def setup(self, size):
        self.t = _zipf_tokens(*size)
        self.V = size[1]

    def track_speedup(self, size):
        return speedup(lambda: sk.cooccurrence(self.t, 5, vocab_size=self.V),
                       lambda: _coo_shifted_pairs(self.t, 5, self.V))

    track_speedup.unit = "x"
