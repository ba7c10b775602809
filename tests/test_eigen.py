"""sk.eigsh, sk.svds, sk.dense.eigh against dense LAPACK, analytic spectra and FEM.

References that can disagree: dense ``scipy.linalg.eigh`` on the real matrices,
closed-form spectra of path/cycle/grid graphs and Dirichlet Poisson, the
analytic Laplace eigenvalues of the unit square (P1 FEM from scikit-fem),
networkx for component counts, numpy's SVD.  Laplacians and P1 matrices come
from the builders (``sk.laplacian``, ``sk.fem``).  Eigenvalues are compared
relative to the spectral scale ``max |λ|`` (a zero eigenvalue or the tiny
smallest eigenvalue of an ill-conditioned matrix has no relative accuracy of
its own), and every pair is checked through its recomputed residual.
"""

import functools
import os
import warnings

import networkx as nx
import numpy as np
import pytest
import scipy.linalg as sla
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

import sparsekit as sk
from sparsekit.linalg import _dense_eigh, _residuals
from sparsekit.linalg._eigen import DENSE_CROSSOVER, METHODS, plan_eigsh, svds
from sparsekit.results import SVDSResult

SLOW = os.environ.get("SPARSEKIT_SLOW", "") not in ("", "0")
slow = pytest.mark.skipif(not SLOW, reason="dense reference of n > 5000 takes minutes; "
                          "set SPARSEKIT_SLOW=1")


# --------------------------------------------------------------------------- builders


def graph_laplacian(W):
    """L = D − W from an adjacency (the builders' sk.laplacian; self-loops drop out)."""
    return sp.csr_array(sk.laplacian(W))


def path_adjacency(n):
    return sp.diags_array([np.ones(n - 1), np.ones(n - 1)], offsets=[-1, 1])


def cycle_adjacency(n):
    W = sp.lil_array(path_adjacency(n))
    W[0, n - 1] = W[n - 1, 0] = 1.0
    return sp.csr_array(W)


def dirichlet_1d(m):
    return sp.diags_array([-np.ones(m - 1), 2 * np.ones(m), -np.ones(m - 1)], offsets=[-1, 0, 1])


def kron_sum(*mats):
    """A_1 ⊕ A_2 ⊕ ... (the Laplacian of a product grid)."""
    out = mats[0]
    for B in mats[1:]:
        out = sp.kron(out, sp.eye_array(B.shape[0])) + sp.kron(sp.eye_array(out.shape[0]), B)
    return sp.csr_array(out)


@functools.cache
def dense_spectrum(name):
    """All eigenvalues of a real matrix (or its Laplacian), by dense LAPACK."""
    A = _matrix(name)
    with threadpool_limits(1, "blas"):  # the test machine's cores are shared
        return sla.eigh(A.toarray(), eigvals_only=True)


GRAPHS = {"karate", "jazz", "Erdos971", "ca-GrQc", "bcspwr10"}


@functools.cache
def _matrix(name):
    if not sk.datasets.available(name):
        pytest.skip(f"{name} not in {sk.datasets.data_dir()}")
    A = sk.datasets.load(name)
    return graph_laplacian(A) if name in GRAPHS else sp.csr_array(A)


def assert_pairs(r, A, M=None, tol=1e-8):
    """Recompute every residual independently and check M-orthonormality."""
    V = r.vectors
    MV = V if M is None else M @ V
    R = A @ V - MV * r.values
    res = np.linalg.norm(R, axis=0)
    scale = _residuals.matrix_scale(A) + np.abs(r.values) * (
        1.0 if M is None else _residuals.matrix_scale(M))
    assert np.all(res <= tol * scale), (res / scale).max()
    np.testing.assert_allclose(res, r.residuals, rtol=1e-6, atol=1e-14 * scale.max())
    np.testing.assert_allclose(V.conj().T @ MV, np.eye(V.shape[1]), atol=1e-8)
    assert np.all(np.diff(r.values) >= 0)
    assert r.all_converged


def assert_values(got, want, spread):
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-8 * spread)


# --------------------------------------------------------------------------- real matrices

REAL_CASES = [
    ("bcsstk09", "smallest", 6), ("bcsstk09", "largest", 20),
    ("bcsstk13", "smallest", 6), ("bcsstk13", "largest", 1),
    ("nos6", "smallest", 20), ("nos6", "largest", 6),
    ("1138_bus", "smallest", 1), ("1138_bus", "smallest", 20), ("1138_bus", "largest", 6),
    ("karate", "smallest", 6), ("karate", "largest", 1),
    ("jazz", "smallest", 20), ("jazz", "largest", 6),
    ("Erdos971", "smallest", 6), ("Erdos971", "smallest", 20), ("Erdos971", "largest", 20),
]


@pytest.mark.parametrize(("name", "which", "k"), REAL_CASES)
def test_real_matrices_against_dense(name, which, k):
    A = _matrix(name)
    ref = dense_spectrum(name)
    want = ref[:k] if which == "smallest" else ref[-k:]
    with warnings.catch_warnings():
        warnings.simplefilter("error", sk.ConvergenceWarning)
        r = sk.eigsh(A, k=k, which=which)
    assert_values(r.values, want, np.abs(ref).max())
    assert_pairs(r, A)
    assert any(n.startswith("auto:") for n in r.notes)


@pytest.mark.parametrize("method", ["shift_invert", "lobpcg"])
def test_explicit_methods_on_bcsstk09(method):
    A = _matrix("bcsstk09")
    ref = dense_spectrum("bcsstk09")
    r = sk.eigsh(A, k=6, method=method, tol=1e-8)
    assert r.method == method
    assert_values(r.values, ref[:6], np.abs(ref).max())
    assert_pairs(r, A)


def test_arpack_largest_on_nos6():
    A = _matrix("nos6")
    ref = dense_spectrum("nos6")
    r = sk.eigsh(A, k=6, which="largest", method="arpack")
    assert_values(r.values, ref[-6:], np.abs(ref).max())
    assert_pairs(r, A)


@pytest.mark.parametrize("method", ["auto", "shift_invert", "lobpcg"])
def test_erdos971_disconnected_zero_multiplicity(method):
    """42 components: eigenvalue 0 with multiplicity 42, then the spectrum of the rest."""
    A = _matrix("Erdos971")
    G = nx.from_scipy_sparse_array(sk.datasets.load("Erdos971"))
    ncomp = nx.number_connected_components(G)
    assert ncomp == 42
    ref = dense_spectrum("Erdos971")
    r = sk.eigsh(A, k=ncomp + 4, method=method)
    assert_values(r.values, ref[:ncomp + 4], np.abs(ref).max())
    assert np.all(np.abs(r.values[:ncomp]) < 1e-10)
    assert r.values[ncomp] > 1e-3
    assert_pairs(r, A)


def test_ca_grqc_smallest_are_the_355_components():
    """k=20 smallest of a graph with 355 components: all zero (networkx counts them)."""
    A = _matrix("ca-GrQc")
    G = nx.from_scipy_sparse_array(sk.datasets.load("ca-GrQc"))
    G.remove_edges_from(nx.selfloop_edges(G))
    assert nx.number_connected_components(G) == 355
    for k in (1, 20):
        r = sk.eigsh(A, k=k)
        assert_values(r.values, np.zeros(k), 1.0)
        assert_pairs(r, A)


@pytest.mark.parametrize("which", ["smallest", "largest"])
def test_bcspwr10_two_independent_methods(which):
    """n=5300 (dense reference only in the slow run): auto vs LOBPCG, which run differently."""
    A = _matrix("bcspwr10")
    a = sk.eigsh(A, k=6, which=which)
    kb = 6 if which == "smallest" else 3  # unpreconditioned LOBPCG: keep the block small
    b = sk.eigsh(A, k=kb, which=which, method="lobpcg",
                 precond="amg" if which == "smallest" else "none", maxiter=2000)
    assert a.method != b.method
    assert_values(a.values[:kb] if which == "smallest" else a.values[-kb:], b.values,
                  _residuals.matrix_scale(A))
    assert_pairs(a, A)
    assert_pairs(b, A)


@slow
@pytest.mark.parametrize("name", ["ca-GrQc", "bcspwr10"])
@pytest.mark.parametrize(("which", "k"), [("smallest", 1), ("smallest", 20), ("largest", 6)])
def test_large_graphs_against_dense(name, which, k):
    A = _matrix(name)
    ref = dense_spectrum(name)
    r = sk.eigsh(A, k=k, which=which)
    assert_values(r.values, ref[:k] if which == "smallest" else ref[-k:], np.abs(ref).max())
    assert_pairs(r, A)


# --------------------------------------------------------------------------- analytic spectra


def _path_values(n):
    return 2 - 2 * np.cos(np.pi * np.arange(n) / n)


def _dirichlet_values(m):
    return 4 * np.sin(np.pi * np.arange(1, m + 1) / (2 * (m + 1))) ** 2


def _sums(*vals):
    out = np.zeros(1)
    for v in vals:
        out = (out[:, None] + v[None, :]).ravel()
    return np.sort(out)


ANALYTIC = {
    "path_400": (lambda: graph_laplacian(path_adjacency(400)), lambda: _path_values(400)),
    "cycle_500": (lambda: graph_laplacian(cycle_adjacency(500)),
                  lambda: np.sort(2 - 2 * np.cos(2 * np.pi * np.arange(500) / 500))),
    "grid_30x20": (lambda: kron_sum(graph_laplacian(path_adjacency(30)),
                                    graph_laplacian(path_adjacency(20))),
                   lambda: _sums(_path_values(30), _path_values(20))),
    "poisson2d_40": (lambda: kron_sum(dirichlet_1d(40), dirichlet_1d(40)),
                     lambda: _sums(_dirichlet_values(40), _dirichlet_values(40))),
    "poisson3d_12": (lambda: kron_sum(dirichlet_1d(12), dirichlet_1d(12), dirichlet_1d(12)),
                     lambda: _sums(*[_dirichlet_values(12)] * 3)),
}


@pytest.mark.parametrize(("case", "method"), [
    (case, method) for case in sorted(ANALYTIC)
    for method in ["auto", "shift_invert", "lobpcg", "dense"]
    if not (method == "dense" and case.startswith("poisson"))  # n > 1500: slow, not needed
])
def test_analytic_smallest(case, method):
    build, values = ANALYTIC[case]
    A, ref = build(), values()
    assert A.shape[0] > DENSE_CROSSOVER  # the sparse methods are what auto runs
    r = sk.eigsh(A, k=8, method=method)
    assert_values(r.values, ref[:8], ref.max())
    assert_pairs(r, A)


@pytest.mark.parametrize(("case", "method"), [
    ("path_400", "auto"), ("path_400", "arpack"),
    ("poisson2d_40", "auto"), ("poisson2d_40", "arpack"), ("poisson2d_40", "lobpcg"),
])
def test_analytic_largest(case, method):
    build, values = ANALYTIC[case]
    A, ref = build(), values()
    r = sk.eigsh(A, k=4, which="largest", method=method, maxiter=5000)
    # path: the top of the spectrum is clustered; the values still match to 1e-8 ‖L‖
    assert_values(r.values, ref[-4:], ref.max())
    assert_pairs(r, A)


def _cycle_laplacian(n):
    W = sp.lil_array(path_adjacency(n))
    W[0, n - 1] = W[n - 1, 0] = 1.0
    return graph_laplacian(sp.csr_array(W))


@pytest.mark.parametrize(("case", "which", "k"), [
    ("poisson3d_12", "largest", 4), ("poisson3d_12", "smallest", 4),
    ("cycle_500", "largest", 4), ("torus_30x20", "largest", 9),
    ("torus_30x20", "smallest", 9)])
def test_regular_arpack_finds_every_copy_of_a_repeated_eigenvalue(case, which, k, monkeypatch):
    # single-vector Lanczos holds one direction of each eigenspace: here it converges
    # without a copy of a double or triple eigenvalue, each residual perfect; the check on
    # the complement of the found vectors (_arpack._missed_copies) adds it, and without the
    # check the same call returns the wrong values (the counter-case that makes this a test)
    from sparsekit.linalg._eigen import _arpack

    if case == "torus_30x20":
        A = kron_sum(_cycle_laplacian(30), _cycle_laplacian(20))
        ref = _sums(np.sort(2 - 2 * np.cos(2 * np.pi * np.arange(30) / 30)),
                    np.sort(2 - 2 * np.cos(2 * np.pi * np.arange(20) / 20)))
    elif case == "cycle_500":
        A, ref = _cycle_laplacian(500), ANALYTIC["cycle_500"][1]()
    else:
        A, ref = ANALYTIC[case][0](), ANALYTIC[case][1]()
    want = ref[-k:] if which == "largest" else ref[:k]
    r = sk.eigsh(A, k=k, which=which, method="arpack")
    assert_values(r.values, want, ref.max())
    assert_pairs(r, A)
    assert any("skipped" in note for note in r.notes), r.notes
    monkeypatch.setattr(_arpack, "_missed_copies",
                        lambda prob, A, which, k, w, V, kw, n: (w, V, True))
    r = sk.eigsh(A, k=k, which=which, method="arpack")
    assert not np.allclose(np.sort(r.values), want, rtol=0, atol=1e-8 * ref.max())


@pytest.mark.parametrize(("case", "k"), [("poisson3d_12", 3), ("poisson2d_40", 4),
                                         ("torus_30x20", 9)])
def test_shift_invert_finds_every_copy_of_a_repeated_eigenvalue(case, k, monkeypatch):
    # the smallest pairs by shift-invert (auto's choice here) skipped a copy of a repeated
    # eigenvalue in these cases, the buffer notwithstanding; the check on the complement of
    # the found vectors (_arpack._missed_copies_inverted) adds it; without it, wrong values
    from sparsekit.linalg._eigen import _arpack

    if case == "torus_30x20":
        A = kron_sum(_cycle_laplacian(30), _cycle_laplacian(20))
        ref = _sums(np.sort(2 - 2 * np.cos(2 * np.pi * np.arange(30) / 30)),
                    np.sort(2 - 2 * np.cos(2 * np.pi * np.arange(20) / 20)))
    else:
        A, ref = ANALYTIC[case][0](), ANALYTIC[case][1]()
    r = sk.eigsh(A, k=k)
    assert r.method == "shift_invert"
    assert_values(r.values, ref[:k], ref.max())
    assert_pairs(r, A)
    assert any("skipped" in note for note in r.notes), r.notes
    monkeypatch.setattr(_arpack, "_missed_copies_inverted",
                        lambda prob, OPinv, sigma, wanted, w, V, notes: (w, V, True))
    r = sk.eigsh(A, k=k)
    assert not np.allclose(np.sort(r.values), ref[:k], rtol=0, atol=1e-8 * ref.max())


def test_a_skipped_copy_check_that_fails_is_reported(monkeypatch):
    # the check for skipped copies not converging: the pairs keep their residuals but are
    # not counted as converged (a wanted copy may be missing), and a warning says so
    from sparsekit.linalg._eigen import _arpack

    def fails(*args, **kwargs):
        raise sp.linalg.ArpackNoConvergence("no convergence", np.zeros(0), np.zeros((1, 0)))

    monkeypatch.setattr(_arpack, "_beyond", fails)
    A = ANALYTIC["poisson2d_40"][0]()
    for which, method in [("largest", "arpack"), ("smallest", "shift_invert")]:
        with pytest.warns(sk.ConvergenceWarning):
            r = sk.eigsh(A, k=4, which=which, method=method)
        assert not r.all_converged
        assert any("did not converge" in note for note in r.notes), r.notes


def test_nearest_sigma_on_poisson():
    A = ANALYTIC["poisson2d_40"][0]()
    ref = ANALYTIC["poisson2d_40"][1]()
    sigma = 1.0
    want = np.sort(ref[np.argsort(np.abs(ref - sigma), kind="stable")[:5]])
    r = sk.eigsh(A, k=5, sigma=sigma)
    assert r.method == "shift_invert"
    assert_values(r.values, want, ref.max())
    assert_pairs(r, A)


# --------------------------------------------------------------------------- generalized (FEM)


def _p1_unit_square(refine):
    """P1 stiffness and mass (sk.fem) on the unit square, h = 2^-refine, Dirichlet nodes removed."""
    points, cells = sk.fem.unit_square(2**refine)
    K, M = sk.fem.p1(points, cells)
    interior = np.setdiff1d(np.arange(len(points)), sk.fem.boundary_nodes(points, cells))
    return (sp.csr_array(K)[interior][:, interior], sp.csr_array(M)[interior][:, interior])


LAPLACE_SQUARE = np.pi**2 * np.array(sorted(i * i + j * j for i in range(1, 6)
                                            for j in range(1, 6)))[:10]


def test_p1_fem_generalized_converges_at_second_order():
    errors = []
    for refine in (3, 4, 5):
        K, M = _p1_unit_square(refine)
        r = sk.eigsh(K, k=10, M=M)
        assert_pairs(r, K, M)
        errors.append(np.abs(r.values - LAPLACE_SQUARE) / LAPLACE_SQUARE)
        # P1 eigenvalues approximate from above
        assert np.all(r.values >= LAPLACE_SQUARE * (1 - 1e-12))
    errors = np.array(errors)
    rates = np.log2(errors[:-1] / errors[1:])
    assert np.all(rates > 1.8), rates  # O(h^2) under refinement
    assert errors[-1].max() < 0.05


@pytest.mark.parametrize("method", ["shift_invert", "lobpcg", "arpack", "dense"])
def test_generalized_methods_agree_with_dense(method):
    K, M = _p1_unit_square(4)
    ref = sla.eigh(K.toarray(), M.toarray(), eigvals_only=True)
    which = "largest" if method == "arpack" else "smallest"
    r = sk.eigsh(K, k=5, M=M, method=method, which=which)
    want = ref[:5] if which == "smallest" else ref[-5:]
    assert_values(r.values, want, np.abs(ref).max())
    assert_pairs(r, K, M)


# --------------------------------------------------------------------------- dense path


def test_dense_eigh_subsets_and_generalized():
    rng = np.random.default_rng(1)
    B = rng.standard_normal((60, 60))
    A = B + B.T
    C = rng.standard_normal((60, 60))
    M = C @ C.T + 60 * np.eye(60)
    ref = np.linalg.eigvalsh(A)
    r = _dense_eigh.eigh(A, 4, which="largest")
    np.testing.assert_allclose(r.values, ref[-4:], rtol=1e-12)
    r = _dense_eigh.eigh(sp.csr_array(A))
    np.testing.assert_allclose(r.values, ref, rtol=1e-10, atol=1e-12)
    assert_pairs(r, A)
    refg = sla.eigvalsh(A, M)  # a different LAPACK driver path than subset_by_index
    r = _dense_eigh.eigh(A, 3, M=M)
    np.testing.assert_allclose(r.values, refg[:3], rtol=1e-10)
    assert_pairs(r, A, M)
    r = _dense_eigh.eigh(A, 3, which="nearest", sigma=0.0)
    np.testing.assert_allclose(np.sort(np.abs(r.values)), np.sort(np.abs(ref))[:3], rtol=1e-10)


def test_dense_eigh_refuses_beyond_max_bytes():
    A = sp.eye_array(3000, format="csr")
    with pytest.raises(sk.DenseTooLargeError, match=r"MiB.*max_bytes"):
        _dense_eigh.eigh(A, 2, max_bytes=10 * 1024**2)


# --------------------------------------------------------------------------- behaviour


def test_shift_invert_reuses_the_cached_factorization():
    A = ANALYTIC["poisson2d_40"][0]()
    sk.clear_cache()
    r1 = sk.eigsh(A, k=4, method="shift_invert")
    hits = sk.cache_info().hits
    r2 = sk.eigsh(A, k=6, method="shift_invert")
    assert sk.cache_info().hits > hits
    np.testing.assert_allclose(r1.values, r2.values[:4], rtol=1e-10)


def test_auto_falls_back_and_says_so():
    A = ANALYTIC["path_400"][0]()
    ref = ANALYTIC["path_400"][1]()
    # the top of the path spectrum is clustered: no iterative method gets it in 1 iteration
    r = sk.eigsh(A, k=6, which="largest", maxiter=1)
    assert r.method == "dense"
    assert any("arpack failed" in n for n in r.notes)
    # n <= AUTO_DENSE_FALLBACK: dense is the safety net, tried before LOBPCG
    assert not any("lobpcg" in n for n in r.notes)
    assert_values(r.values, ref[-6:], ref.max())
    assert_pairs(r, A)


def test_auto_bounds_arpack_on_a_clustered_spectrum():
    # nos6's 20 smallest eigenvalues lie within 1e-4 of 1: shift-invert at 0 separates
    # them badly (hundreds of restarts); auto gives ARPACK a bounded budget, then dense.
    from sparsekit.linalg._eigen import AUTO_ARPACK_RESTARTS, AUTO_DENSE_FALLBACK

    A = _matrix("nos6")
    assert A.shape[0] <= AUTO_DENSE_FALLBACK and AUTO_ARPACK_RESTARTS < 100
    ref = dense_spectrum("nos6")
    r = sk.eigsh(A, k=20)
    assert r.method == "dense"
    assert any(n.startswith("shift_invert") for n in r.notes)
    assert_values(r.values, ref[:20], np.abs(ref).max())
    assert_pairs(r, A)


def test_nonconvergence_warns_or_raises_with_strict():
    A = ANALYTIC["poisson2d_40"][0]()
    with pytest.warns(sk.ConvergenceWarning, match="missed the tolerance"):
        r = sk.eigsh(A, k=6, method="lobpcg", precond="none", maxiter=3)
    assert not r.all_converged
    # the residuals reported are the true ones
    res = np.linalg.norm(A @ r.vectors - r.vectors * r.values, axis=0)
    np.testing.assert_allclose(res, r.residuals, rtol=1e-8)
    with pytest.raises(sk.NoConvergence) as info:
        sk.eigsh(A, k=6, method="lobpcg", precond="none", maxiter=3, strict=True)
    assert isinstance(info.value.result, sk.EigenResult)


def test_linear_operator_input():
    A = ANALYTIC["poisson2d_40"][0]()
    ref = ANALYTIC["poisson2d_40"][1]()
    op = sp.linalg.aslinearoperator(A)
    r = sk.eigsh(op, k=3, which="largest")
    assert r.method == "arpack"
    assert_values(r.values, ref[-3:], ref.max())


def test_plan_eigsh_reports_reasons():
    L = ANALYTIC["grid_30x20"][0]()
    p = plan_eigsh(L, k=8)
    assert p.task == "eigsh" and p.method == "shift_invert"
    assert p.properties["laplacian"] and p.properties["n_components"] == 1
    assert any("Laplacian" in r for r in p.reasons)
    assert plan_eigsh(L, k=8, which="largest").method == "arpack"
    assert plan_eigsh(graph_laplacian(path_adjacency(50)), k=3).method == "dense"
    # negative diagonal: not PSD, no positive definite preconditioner: Lanczos (regret suite)
    assert plan_eigsh(-L, k=3).method == "arpack"
    assert set(METHODS) == {"auto", "arpack", "shift_invert", "lobpcg", "dense"}


def test_svds_against_numpy():
    rng = np.random.default_rng(0)
    # a thin matrix goes dense by its flops (219 x 85: max(m, n) min(m, n)² <= 2e6), a
    # wider one of similar size does not (400 x 140)
    for shape, method in [((300, 220), "arpack"), ((3000, 40), "lobpcg"), ((60, 50), "dense"),
                          ((40, 2500), "lobpcg"), ((219, 85), "dense"), ((85, 219), "dense"),
                          ((400, 140), "arpack")]:
        A = sp.random_array(shape, density=0.1, random_state=rng, format="csr")
        s = np.linalg.svd(A.toarray(), compute_uv=False)
        r = svds(A, k=5)
        assert isinstance(r, SVDSResult) and r.method == method
        np.testing.assert_allclose(r.s, s[:5], rtol=1e-8)
        np.testing.assert_allclose(r.U.T @ r.U, np.eye(5), atol=1e-8)
        np.testing.assert_allclose(r.Vh @ r.Vh.T, np.eye(5), atol=1e-8)
        np.testing.assert_allclose(np.linalg.norm(A @ r.Vh.T - r.U * r.s, axis=0),
                                   0, atol=1e-7 * s[0])
        assert r.all_converged


# --------------------------------------------------------------------------- bad input


def test_bad_k_at_least_n():
    A = ANALYTIC["path_400"][0]()
    with pytest.raises(sk.InputValueError, match=r"k must be < n .*\(got k=400, n=400\)"):
        sk.eigsh(A, k=400)
    with pytest.raises(sk.InputValueError, match="k must be"):
        sk.eigsh(A, k=0)
    with pytest.raises(sk.InputValueError, match="k must be < min"):
        svds(A, k=400)


def test_bad_nonsymmetric():
    A = sp.random_array((300, 300), density=0.02, random_state=0, format="csr")
    A = A + sp.eye_array(300)
    with pytest.raises(sk.NotSymmetricError, match="check=False"):
        sk.eigsh(A, k=2)
    # check=False: the caller's responsibility; the residuals still tell the truth
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sk.ConvergenceWarning)
        r = sk.eigsh(A, k=2, which="largest", method="arpack", check=False)
    res = np.linalg.norm(A @ r.vectors - r.vectors * r.values, axis=0)
    np.testing.assert_allclose(res, r.residuals, rtol=1e-8)


def test_bad_mass_matrix_not_spd():
    K, M = _p1_unit_square(3)
    n = K.shape[0]
    Mneg = sp.csr_array(M - 2 * sp.diags_array(M.diagonal()))
    with pytest.raises(sk.NotSPDError, match="diagonal"):
        sk.eigsh(K, k=3, M=Mneg)
    # positive diagonal, but indefinite: caught by the Cholesky of the dense path
    Mind = sp.csr_array(np.eye(n) + 2 * np.eye(n, k=1) + 2 * np.eye(n, k=-1))
    with pytest.raises(sk.NotSPDError, match="positive definite"):
        sk.eigsh(K, k=3, M=Mind, method="dense")
    with pytest.raises(sk.NotSymmetricError, match="M"):
        sk.eigsh(K, k=3, M=sp.csr_array(M + sp.eye_array(n, k=1)))
    with pytest.raises(sk.ShapeError, match="M must have the shape"):
        sk.eigsh(K, k=3, M=sp.eye_array(n + 1))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_bad_nan_inf(bad):
    A = sp.lil_array(ANALYTIC["path_400"][0]())
    A[3, 3] = bad
    with pytest.raises(sk.InputValueError, match="NaN or Inf"):
        sk.eigsh(sp.csr_array(A), k=2)
    K, M = _p1_unit_square(3)
    M = sp.lil_array(M)
    M[0, 0] = bad
    with pytest.raises(sk.InputValueError, match="NaN or Inf"):
        sk.eigsh(K, k=2, M=sp.csr_array(M))


def test_bad_sigma_exactly_at_an_eigenvalue():
    A = sp.diags_array(np.arange(1.0, 301.0)).tocsr()
    with pytest.raises(sk.SingularMatrixError, match=r"sigma=3\.0.*singular"):
        sk.eigsh(A, k=2, sigma=3.0)
    with pytest.raises(sk.SingularMatrixError, match="move sigma"):
        sk.eigsh(A, k=2, sigma=3.0, method="shift_invert")


def test_bad_choices_and_arguments():
    A = ANALYTIC["path_400"][0]()
    with pytest.raises(sk.UnknownMethodError, match=r"unknown method 'foo'; expected one of"):
        sk.eigsh(A, method="foo")
    with pytest.raises(sk.UnknownMethodError, match="precond"):
        sk.eigsh(A, precond="bar")
    with pytest.raises(sk.UnknownMethodError, match="which"):
        sk.eigsh(A, which="XX")
    with pytest.raises(sk.InputValueError, match="needs sigma"):
        sk.eigsh(A, which="nearest")
    with pytest.raises(sk.InputValueError, match="only used with which='nearest'"):
        sk.eigsh(A, which="largest", sigma=1.0)
    with pytest.raises(sk.InputValueError, match="v0 must have shape"):
        sk.eigsh(A, v0=np.ones(3))
    with pytest.raises(sk.InputValueError, match="LOBPCG .* not which='nearest'"):
        sk.eigsh(A, sigma=0.5, method="lobpcg")
    with pytest.raises(sk.NotSquareError):
        sk.eigsh(sp.random_array((5, 4), density=0.5, random_state=0), k=1)


def test_backend_dispatch_without_the_backend(monkeypatch):
    import sys

    A = ANALYTIC["path_400"][0]()
    # hide petsc4py (installed where the MPI tests run) so the missing-extra path is taken
    monkeypatch.setitem(sys.modules, "petsc4py", None)
    monkeypatch.setitem(sys.modules, "slepc4py", None)
    with pytest.raises(sk.MissingDependencyError, match=r"sparsekit\[mpi\]"):
        sk.eigsh(A, k=2, backend="petsc")


def test_complex_hermitian_runs_sparse_and_matches_dense():
    # n = 250 is above the dense crossover: auto takes a sparse method (it went dense before)
    rng = np.random.default_rng(3)
    B = rng.standard_normal((250, 250)) + 1j * rng.standard_normal((250, 250))
    H = sp.csr_array(B + B.conj().T)
    ref = np.linalg.eigvalsh(H.toarray())
    r = sk.eigsh(H, k=3)
    assert r.method != "dense"
    np.testing.assert_allclose(r.values, ref[:3], rtol=0, atol=1e-10 * np.abs(ref).max())
    res = np.linalg.norm(H @ r.vectors - r.vectors * r.values, axis=0)
    np.testing.assert_allclose(res, r.residuals, rtol=1e-6, atol=1e-12)
    assert r.all_converged and np.iscomplexobj(r.vectors)


def test_options_only_with_petsc_backend():
    A = sk.poisson((10,))
    with pytest.raises(sk.InputValueError, match="backend='petsc'"):
        sk.eigsh(A, k=2, options={"eps_type": "krylovschur"})


def test_auto_avoids_factorizing_a_small_world_graph():
    # a random 6-regular graph is an expander: LU fill would be near dense
    import scipy.sparse.linalg as spla

    from sparsekit.linalg._eigen import AUTO_DENSE_FALLBACK

    G = nx.random_regular_graph(6, AUTO_DENSE_FALLBACK + 200, seed=3)
    L = sk.laplacian(G)
    p = sk.plan(L, task="eigsh", k=5)
    assert (p.method, p.precond) == ("lobpcg", "jacobi")
    assert any("small-world" in r for r in p.reasons)
    r = sk.eigsh(L, k=5)
    assert r.method == "lobpcg" and r.all_converged
    # independent reference: ARPACK on the largest eigenvalues of 12 I - L (Gershgorin bound)
    shifted = 12.0 * sp.eye_array(L.shape[0]) - L
    ref = np.sort(12.0 - spla.eigsh(shifted, k=5, which="LA", tol=1e-12)[0])
    np.testing.assert_allclose(r.values, ref, atol=1e-7 * 12)
    assert_pairs(r, L)


# --------------------------------------------------------------------------- LOBPCG's cascade start


def _shortcut_pencil(m=60, shortcuts=10):
    from sparsekit.datasets import _grid_shortcuts

    W = _grid_shortcuts(m, shortcuts)
    d = np.asarray(W.sum(axis=1)).ravel()
    return graph_laplacian(W), sp.diags_array(d, format="csr")


def test_lobpcg_amg_cascade_start_against_dense():
    # 8 clustered pairs of L u = λ D u (a grid with random shortcuts): LOBPCG starts from
    # the AMG hierarchy's coarse eigenvectors and must still land on LAPACK's pairs
    L, D = _shortcut_pencil()
    ref = sla.eigh(L.toarray(), D.toarray(), eigvals_only=True, subset_by_index=[0, 8])
    r = sk.eigsh(L, k=9, M=D, method="lobpcg", precond="amg")
    assert any("cascade" in note for note in r.notes), r.notes
    assert r.all_converged
    np.testing.assert_allclose(r.values, ref, rtol=0, atol=1e-9 * ref[-1])
    res = np.linalg.norm(L @ r.vectors - (D @ r.vectors) * r.values, axis=0)
    np.testing.assert_allclose(res, r.residuals, rtol=1e-6, atol=1e-14)


def test_lobpcg_loose_tol_may_stop_at_the_cascade_start_and_says_so():
    # a loose tol the cascade's Ritz pairs already meet: no fine iteration, yet every pair's
    # recomputed residual meets tol, and the Ritz values stay near LAPACK's (within 5%)
    L, D = _shortcut_pencil()
    ref = sla.eigh(L.toarray(), D.toarray(), eigvals_only=True, subset_by_index=[0, 8])
    r = sk.eigsh(L, k=9, M=D, method="lobpcg", precond="amg", tol=1e-2)
    assert r.iterations == 0 and any("already met tol" in note for note in r.notes)
    res = np.linalg.norm(L @ r.vectors - (D @ r.vectors) * r.values, axis=0)
    scale = sp.linalg.norm(L, 1) + np.abs(r.values) * sp.linalg.norm(D, 1)
    assert np.all(res <= 1e-2 * scale) and r.all_converged
    np.testing.assert_allclose(r.values[1:], ref[1:], rtol=0.05)
    tight = sk.eigsh(L, k=9, M=D, method="lobpcg", precond="amg", tol=1e-3)
    assert tight.iterations >= 1  # the start does not meet 1e-3: LOBPCG runs
    assert np.max(np.abs(tight.values[1:] - ref[1:]) / ref[1:]) < np.max(
        np.abs(r.values[1:] - ref[1:]) / ref[1:])


def test_shift_invert_loose_first_run_and_rerun(monkeypatch):
    # 60 eigenvalues 1e-3 apart at the bottom: a loose ARPACK run leaves visible residuals
    rng = np.random.default_rng(0)
    n = 400
    d = np.concatenate([1 + 1e-3 * np.arange(60), np.linspace(2, 100, n - 60)])
    R = sp.random_array((n, n), density=0.01, rng=rng)
    A = sp.csr_array(sp.diags_array(d) + 0.01 * (R + R.T))
    w_ref = np.linalg.eigvalsh(A.toarray())[:6]
    from sparsekit.linalg._eigen import _arpack as eigen

    r = sk.eigsh(A, k=6, which="smallest", method="shift_invert")
    assert r.all_converged
    assert any("ARPACK at tol=1e-04" in note for note in r.notes)
    np.testing.assert_allclose(r.values, w_ref, rtol=1e-9)
    sk.clear_cache()
    monkeypatch.setattr(eigen, "SHIFT_INVERT_FIRST_TOL", 0.1)
    r = sk.eigsh(A, k=6, which="smallest", method="shift_invert")
    assert any("rerun at tol=" in note for note in r.notes)  # 0.1 is too loose: rerun
    assert r.all_converged
    np.testing.assert_allclose(r.values, w_ref, rtol=1e-11)
    res = np.linalg.norm(A @ r.vectors - r.vectors * r.values, axis=0)
    assert np.all(res <= 1e-8 * abs(A).sum(axis=0).max())


# ------------------------------------------------------------------- issue 23: SciPy's names


def _scipy_pick(w, which, k, sigma=None, real=True):
    """The k eigenvalues SciPy's ``which`` asks for, read off all of them (SciPy's own test
    helper ``argsort_which``, in plain numpy): ranked by ``w``, or by ``1/(w - sigma)``."""
    t = w if sigma is None else 1.0 / (w - sigma)
    if which in ("LM", "SM"):
        key = np.abs(t)
    elif which in ("LI", "SI"):
        key = np.abs(np.imag(t)) if real else np.imag(t)
    else:
        key = np.real(t)
    order = np.argsort(key, kind="stable")
    if which == "BE":
        idx = np.concatenate([order[:k // 2], order[len(order) - (k - k // 2):]])
    elif which.startswith("S"):
        idx = order[:k]
    else:
        idx = order[len(order) - k:]
    return w[idx]


def _same_set(got, want, atol, conj=False):
    """Every value of ``got`` near one of ``want`` and the other way round (complex sets).

    ``conj``: a real matrix's conjugate pair may be split at the boundary of the k wanted, and
    either member is then right (SciPy's own tests allow the conjugate, ``assert_allclose_cc``).
    """
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got, want)
    d = np.abs(got[:, None] - want[None, :])
    if conj:
        d = np.minimum(d, np.abs(got.conj()[:, None] - want[None, :]))
    assert d.min(axis=1).max() <= atol and d.min(axis=0).max() <= atol, (got, want)


def _indefinite(n, seed=1):
    """A sparse real symmetric indefinite matrix with a spread, non-degenerate spectrum."""
    rng = np.random.default_rng(seed)
    B = sp.random_array((n, n), density=4.0 / n, random_state=rng)
    return sp.csr_array(B + B.T + sp.diags_array(rng.uniform(-3, 3, n)))


def _magnetic(m, flux=0.1, potential=0.0, seed=0):
    """Magnetic Laplacian of an m x m grid (Landau gauge: the edge (x, y)-(x+1, y) carries
    the phase exp(2πi·flux·y)), plus a random diagonal potential that splits its degenerate
    Landau levels when asked: a complex Hermitian, positive semidefinite matrix."""
    idx = np.arange(m * m).reshape(m, m)
    a, b = idx[:, :-1].ravel(), idx[:, 1:].ravel()
    c, d = idx[:-1, :].ravel(), idx[1:, :].ravel()
    phase = np.exp(2j * np.pi * flux * np.repeat(np.arange(m), m - 1))
    W = sp.csr_array((np.concatenate([phase, phase.conj(), np.ones(c.size), np.ones(c.size)]),
                      (np.concatenate([a, b, c, d]), np.concatenate([b, a, d, c]))),
                     shape=(m * m, m * m))
    deg = np.asarray(abs(W).sum(axis=1)).ravel()
    V = potential * np.random.default_rng(seed).random(m * m)
    return sp.csr_array(sp.diags_array(deg + V) - W)


WHICH_CASES = [("LM", None), ("SM", None), ("LA", None), ("SA", None), ("BE", None),
               ("LM", 0.7), ("SA", 0.7), ("LA", 0.7), ("SM", 0.7), ("BE", 0.7)]


@pytest.mark.parametrize("kind", ["real", "hermitian"])
@pytest.mark.parametrize(("which", "sigma"), WHICH_CASES)
def test_scipy_which_codes_against_dense(kind, which, sigma):
    # SciPy's meaning, the k pairs read off LAPACK's whole spectrum; auto and explicit ARPACK
    A = (_indefinite(400) if kind == "real"
         else sp.csr_array(_magnetic(20, potential=0.5) - sp.eye_array(400)))
    ref = np.linalg.eigvalsh(A.toarray())
    want = np.sort(_scipy_pick(ref, which, 5, sigma))
    methods = ["auto"] + ([] if (kind, which, sigma) == ("hermitian", "BE", 0.7) else ["arpack"])
    for method in methods:
        r = sk.eigsh(A, k=5, which=which, sigma=sigma, method=method)
        assert_values(r.values, want, np.abs(ref).max())
        assert_pairs(r, A)


def test_scipy_codes_that_are_words():
    L = ANALYTIC["grid_30x20"][0]()
    ref = ANALYTIC["grid_30x20"][1]()
    pairs = [({"which": "SA"}, {"which": "smallest"}), ({"which": "LA"}, {"which": "largest"}),
             ({"which": "LM", "sigma": 2.5}, {"which": "nearest", "sigma": 2.5})]
    for code, word in pairs:
        a, b = sk.eigsh(L, k=4, **code), sk.eigsh(L, k=4, **word)
        np.testing.assert_allclose(a.values, b.values, rtol=0, atol=1e-10)
    # on a positive semidefinite matrix the magnitude codes are the two ends
    r = sk.eigsh(L, k=4, which="SM")
    assert any("is which='smallest'" in n for n in r.notes) and r.method == "shift_invert"
    assert_values(r.values, ref[:4], ref.max())
    assert_pairs(r, L)
    assert plan_eigsh(L, k=4, which="LM").method == "arpack"


def test_which_that_does_not_fit_is_refused():
    from sparsekit.linalg._eigen import eigs

    A = ANALYTIC["path_400"][0]()
    with pytest.raises(sk.InputValueError, match=r"which='LR'.*sk\.eigs"):
        sk.eigsh(A, k=2, which="LR")
    with pytest.raises(sk.InputValueError, match=r"which='SI'.*sk\.eigs"):
        plan_eigsh(A, k=2, which="SI")
    for code in ("LA", "SA", "BE"):
        with pytest.raises(sk.InputValueError, match=rf"which='{code}' is a code of eigsh"):
            eigs(A, k=2, which=code)
    with pytest.raises(sk.UnknownMethodError, match="which"):
        eigs(A, k=2, which="XX")
    with pytest.raises(sk.InputValueError, match="LOBPCG .* not which='BE'"):
        sk.eigsh(A, k=2, which="BE", method="lobpcg")
    with pytest.raises(sk.InputValueError, match="shift_invert .* not which='LM'"):
        sk.eigsh(_indefinite(300), k=2, which="LM", method="shift_invert")
    with pytest.raises(sk.InputValueError, match="farthest from sigma"):
        sk.eigsh(A, k=2, which="SM", sigma=1.0, method="shift_invert")
    with pytest.raises(sk.UnknownMethodError, match="which"):
        svds(A, k=2, which="LA")
    with pytest.raises(sk.InputValueError, match="sigma must be a real number"):
        sk.eigsh(A, k=2, sigma=1j)


def test_bad_ncv_and_ncv_honoured():
    from sparsekit.linalg._eigen import eigs

    A = ANALYTIC["path_400"][0]()
    ref = ANALYTIC["path_400"][1]()
    for ncv in (3, 401, 0):
        with pytest.raises(sk.InputValueError, match=r"ncv"):
            sk.eigsh(A, k=3, ncv=ncv)
    with pytest.raises(sk.InputValueError, match=r"k \+ 1 < ncv <= n .*ncv=4, k=3"):
        eigs(A, k=3, ncv=4)
    with pytest.raises(sk.InputValueError, match=r"k < ncv < min\(m, n\)"):
        svds(A[:, :50], k=3, ncv=50)
    with pytest.raises(sk.InputValueError, match="ncv"):
        sk.eigsh(A, k=3, ncv=2.5)
    for method in ("arpack", "shift_invert"):
        r = sk.eigsh(A, k=3, ncv=40, method=method)
        assert_values(r.values, ref[:3], ref.max())
        assert_pairs(r, A)


def test_return_eigenvectors_false_gives_values_only():
    from sparsekit.linalg._eigen import eigs

    A = ANALYTIC["poisson2d_40"][0]()
    ref = ANALYTIC["poisson2d_40"][1]()
    w = sk.eigsh(A, k=4, which="LM", return_eigenvectors=False)
    assert isinstance(w, np.ndarray) and w.shape == (4,)
    assert_values(w, ref[-4:], ref.max())
    w = eigs(A, k=3, sigma=0.0, return_eigenvectors=False)
    np.testing.assert_allclose(w, ref[:3], atol=1e-10)
    w = svds(A, k=2, return_singular_vectors=False)
    np.testing.assert_allclose(w, ref[::-1][:2], rtol=1e-10)
    # values only, yet every pair is still judged: the policy applies
    with pytest.warns(sk.ConvergenceWarning):
        sk.eigsh(A, k=6, method="lobpcg", precond="none", maxiter=3, return_eigenvectors=False)
    with pytest.raises(sk.InputValueError, match="return_eigenvectors"):
        sk.eigsh(A, k=2, return_eigenvectors="yes")


def test_tol_zero_means_machine_precision():
    from sparsekit._requests import MACHINE_EIGEN_TOL

    A = ANALYTIC["poisson2d_40"][0]()
    r = sk.eigsh(A, k=3, tol=0)
    assert r.tol == MACHINE_EIGEN_TOL and r.all_converged
    assert_pairs(r, A, tol=MACHINE_EIGEN_TOL)


# --------------------------------------------------------------------------- complex Hermitian


@pytest.mark.parametrize("method", ["auto", "arpack", "shift_invert", "lobpcg", "dense"])
def test_complex_hermitian_every_method(method):
    H = _magnetic(24, potential=0.3)
    ref = np.linalg.eigvalsh(H.toarray())
    r = sk.eigsh(H, k=6, method=method)
    assert r.method == method or method == "auto"
    assert_values(r.values, ref[:6], ref.max())
    assert_pairs(r, H)
    if method in ("arpack", "dense"):
        r = sk.eigsh(H, k=4, which="largest", method=method)
        assert_values(r.values, ref[-4:], ref.max())
        assert_pairs(r, H)
    if method in ("arpack", "shift_invert", "dense"):
        r = sk.eigsh(H, k=4, sigma=2.0, method=method)
        assert_values(r.values, np.sort(ref[np.argsort(np.abs(ref - 2.0))[:4]]), ref.max())
        assert_pairs(r, H)


@pytest.mark.parametrize("method", ["arpack", "shift_invert", "lobpcg", "dense"])
def test_complex_hermitian_generalized(method):
    # a complex Hermitian M as well (SciPy's "gen-hermitian-Mc" case)
    H = _magnetic(16, flux=0.15, potential=0.3)
    n = H.shape[0]
    M = sp.csr_array(_magnetic(16, flux=0.05) * 0.1 + sp.eye_array(n))
    ref = sla.eigh(H.toarray(), M.toarray(), eigvals_only=True)
    r = sk.eigsh(H, k=5, M=M, method=method)
    assert_values(r.values, ref[:5], ref.max())
    assert_pairs(r, H, M)


def test_complex_hermitian_real_matrices():
    # the Hermitian part of young1c (complex), and the magnetic Laplacian of the 1138_bus graph
    Y = sp.csr_array(_matrix("young1c"))
    H1 = sp.csr_array((Y + Y.conj().T) / 2)
    W = sp.csr_array(abs(_matrix("1138_bus")))
    W.setdiag(0)
    W.eliminate_zeros()
    T = sp.triu(W, 1, format="coo")
    phase = np.exp(2j * np.pi * np.random.default_rng(0).random(T.nnz))
    U = sp.csr_array((T.data * phase, (T.row, T.col)), shape=W.shape)
    H2 = sp.csr_array(sp.diags_array(np.asarray(W.sum(axis=1)).ravel()) - U - U.conj().T)
    for H in (H1, H2):
        ref = np.linalg.eigvalsh(H.toarray())
        spread = np.abs(ref).max()
        for kw, want in (({}, ref[:6]), ({"which": "largest"}, ref[-6:]),
                         ({"which": "SM"}, np.sort(ref[np.argsort(np.abs(ref))[:6]]))):
            r = sk.eigsh(H, k=6, **kw)
            assert r.method != "dense" or kw  # the largest may fall back to LAPACK
            assert_values(r.values, want, spread)
            assert_pairs(r, H)


def test_complex_hermitian_6400_beside_scipy():
    # the case: auto goes sparse (shift-invert on a complex Cholesky), and its pairs
    # agree with SciPy's eigsh(which='SA'), residuals at least as small (no timing here: asv)
    import scipy.sparse.linalg as spla

    H = _magnetic(80)
    p = plan_eigsh(H, k=6)
    assert p.method == "shift_invert"
    r = sk.eigsh(H, k=6)
    with threadpool_limits(1, "blas"):  # the test machine's cores are shared
        w, V = spla.eigsh(H, k=6, which="SA")
    np.testing.assert_allclose(r.values, np.sort(w), rtol=0, atol=1e-9)
    ref_res = np.linalg.norm(H @ V - V * w, axis=0).max()
    assert r.all_converged and r.residuals.max() <= max(ref_res, 1e-12)
    assert_pairs(r, H)


# --------------------------------------------------------------------------- issue 18 items


def test_auto_indefinite_zero_diagonal_entries_falls_back():
    # symmetric indefinite, a third of the diagonal exactly 0: Jacobi cannot be built, and
    # auto used to raise; now it runs LOBPCG unpreconditioned (or falls back) and is right
    n = 300
    B = sp.random_array((n, n), density=0.02, random_state=1)
    A = sp.lil_array(B + B.T)
    d = np.random.default_rng(0).standard_normal(n)
    d[::3] = 0
    A.setdiag(d)
    A = sp.csr_array(A)
    ref = np.linalg.eigvalsh(A.toarray())
    r = sk.eigsh(A, k=2)
    assert_values(r.values, ref[:2], np.abs(ref).max())
    assert_pairs(r, A)
    with pytest.raises(sk.InputValueError, match="Jacobi"):
        sk.eigsh(A, k=2, method="lobpcg", precond="jacobi")


@pytest.mark.parametrize("which", ["smallest", "largest"])
def test_lobpcg_tiny_generalized_problem(which):
    n = 10
    A = sp.csr_array(dirichlet_1d(n))
    M = sp.diags_array(np.arange(1.0, n + 1), format="csr")
    ref = sla.eigh(A.toarray(), M.toarray(), eigvals_only=True)
    r = sk.eigsh(A, k=3, M=M, method="lobpcg", which=which)
    assert r.method == "lobpcg" and any("too small for LOBPCG" in n for n in r.notes)
    assert_values(r.values, ref[:3] if which == "smallest" else ref[-3:], ref.max())
    assert_pairs(r, A, M)


# --------------------------------------------------------------------------- sk.eigs


def _nonsymmetric(n, complex_=False, seed=0):
    rng = np.random.default_rng(seed)
    A = sp.random_array((n, n), density=5.0 / n, random_state=rng) + sp.diags_array(
        rng.standard_normal(n))
    if complex_:
        A = A + 1j * sp.random_array((n, n), density=5.0 / n, random_state=rng)
    return sp.csr_array(A)


def assert_eigs_pairs(r, A, M=None, tol=1e-8):
    """Unit vectors, every residual recomputed (against sqrt(‖A‖₁‖A‖∞) + |λ|‖M‖)."""
    V = r.vectors
    np.testing.assert_allclose(np.linalg.norm(V, axis=0), 1.0, rtol=1e-10)
    MV = V if M is None else M @ V
    res = np.linalg.norm(A @ V - MV * r.values, axis=0)
    na = np.sqrt(sp.linalg.norm(A, 1) * sp.linalg.norm(A, np.inf))
    nm = 1.0 if M is None else np.sqrt(sp.linalg.norm(M, 1) * sp.linalg.norm(M, np.inf))
    np.testing.assert_allclose(res, r.residuals, rtol=1e-6, atol=1e-15 * na)
    assert np.all(res <= tol * (na + np.abs(r.values) * nm)) and r.all_converged


EIGS_CASES = [("LM", None), ("SM", None), ("LR", None), ("SR", None), ("LI", None),
              ("SI", None), (None, 0.3), (None, 0.3 + 0.2j), ("LR", 0.3), ("SM", 0.3),
              ("smallest", None), ("largest", None)]


@pytest.mark.parametrize("complex_", [False, True])
@pytest.mark.parametrize(("which", "sigma"), EIGS_CASES)
def test_eigs_against_dense_eig(which, sigma, complex_):
    from sparsekit._requests import check_which
    from sparsekit.linalg._eigen import eigs

    A = _nonsymmetric(400, complex_)
    w = np.linalg.eigvals(A.toarray())
    code, target = check_which(which, sigma, func="eigs")
    code = {"smallest": "SR", "largest": "LR", "nearest": "LM"}.get(code, code)
    want = _scipy_pick(w, code, 4, target, real=not complex_)
    r = eigs(A, k=4, which=which, sigma=sigma)
    if code in ("LI", "SI") and not complex_:
        # |Im λ| ties (every real eigenvalue has 0): any of them is right; the keys agree
        np.testing.assert_allclose(np.sort(np.abs(r.values.imag)),
                                   np.sort(np.abs(want.imag)), atol=1e-8)
        _same_set(r.values, w[np.argmin(np.abs(w[:, None] - r.values), axis=0)], 1e-8)
    else:
        _same_set(r.values, want, 1e-8 * np.abs(w).max(), conj=not complex_)
    assert_eigs_pairs(r, A)
    # ascending by what `which` ranks (nearest sigma first for "nearest")
    if sigma is None and code in ("LR", "SR"):
        assert np.all(np.diff(r.values.real) >= -1e-12)
    if code == "LM" and sigma is not None:
        assert np.all(np.diff(np.abs(r.values - sigma)) >= -1e-12)


@pytest.mark.parametrize("method", ["arpack", "shift_invert", "dense"])
def test_eigs_generalized_and_methods(method):
    from sparsekit.linalg._eigen import eigs

    A = _nonsymmetric(300, seed=2)
    n = A.shape[0]
    M = sp.csr_array(sp.diags_array(1.0 + np.arange(n) / n) + 0.1 * dirichlet_1d(n))
    w = sla.eigvals(A.toarray(), M.toarray())
    kw = {"sigma": 0.2} if method == "shift_invert" else {"which": "LM"}
    r = eigs(A, k=5, M=M, method=method, **kw)
    want = _scipy_pick(w, "LM", 5, kw.get("sigma"))
    _same_set(r.values, want, 1e-8 * np.abs(w).max(), conj=True)
    assert_eigs_pairs(r, A, M)


def test_eigs_real_matrices_against_dense():
    from sparsekit.linalg._eigen import eigs

    cases = [("orsirr_1", {"which": "LM"}), ("orsirr_1", {"sigma": 0.0}),
             ("hor_131", {"which": "LR"}), ("hor_131", {"which": "SM"}),
             ("young1c", {"which": "LM"}), ("young1c", {"sigma": -0.5 + 0.5j})]
    spectra = {}
    for name, kw in cases:
        A = sp.csr_array(_matrix(name))
        if name not in spectra:
            with threadpool_limits(1, "blas"):
                spectra[name] = np.linalg.eigvals(A.toarray())
        w = spectra[name]
        code, target = ("LM", kw["sigma"]) if "sigma" in kw else (kw["which"], None)
        r = eigs(A, k=6, **kw)
        assert r.method != "dense", (name, kw, r.notes)
        real = A.dtype.kind != "c"
        _same_set(r.values, _scipy_pick(w, code, 6, target, real=real),
                  1e-7 * np.abs(w).max(), conj=real)
        assert_eigs_pairs(r, A)


def test_eigs_bad_input_and_policy():
    from sparsekit.linalg._eigen import eigs

    A = _nonsymmetric(300)
    with pytest.raises(sk.InputValueError, match=r"k must be < n .*k=300, n=300"):
        eigs(A, k=300)
    with pytest.raises(sk.InputValueError, match="k < n - 1"):
        eigs(A, k=299, method="arpack")
    with pytest.raises(sk.NotSymmetricError, match="M"):
        eigs(A, k=2, M=sp.csr_array(sp.eye_array(300) + sp.eye_array(300, k=1)))
    D = sp.diags_array(np.arange(1.0, 301.0), format="csr")
    with pytest.raises(sk.SingularMatrixError, match="move sigma"):
        eigs(D, k=2, sigma=3.0)
    with pytest.raises(sk.InputValueError, match="LinearOperator"):
        eigs(sp.linalg.aslinearoperator(A), k=2, sigma=0.5)
    # ARPACK out of restarts with 2 of its 8 Ritz pairs: kept, not counted as converged
    with pytest.warns(sk.ConvergenceWarning, match="missed the tolerance"):
        r = eigs(A, k=4, which="LM", method="arpack", maxiter=5)
    assert not r.converged.any() and any("stopped" in n for n in r.notes)
    res = np.linalg.norm(A @ r.vectors - r.vectors * r.values, axis=0)
    np.testing.assert_allclose(res, r.residuals, rtol=1e-8)
    with pytest.raises(sk.NoConvergence):
        eigs(A, k=4, which="LM", method="arpack", maxiter=5, strict=True)
    with pytest.raises(sk.InputValueError, match="converged no eigenpair"):
        eigs(A, k=4, which="LM", method="arpack", maxiter=1)
    # 'SM' of a singular matrix: shift-invert at 0 is impossible; at a tiny shift it finds the
    # 0 that ARPACK's regular mode missed (returning 1 and 2, every residual perfect)
    S = sp.csr_array(sp.diags_array(np.r_[0.0, np.arange(1.0, 300.0)]))
    S = S + sp.diags_array(np.full(299, 1e-3), offsets=1)  # nonsymmetric, same spectrum
    for r in (eigs(S, k=2, which="SM", method="arpack"), eigs(S, k=2, which="SM")):
        _same_set(r.values, [0.0, 1.0], 1e-8 * 300)
        assert any("singular" in n for n in r.notes)
    D = sp.csr_array(sp.diags_array(np.r_[0.0, -0.5, np.arange(1.0, 299.0)]))  # indefinite
    for method in ("auto", "arpack", "shift_invert"):
        r = sk.eigsh(D, k=2, which="SM", method=method)
        assert_values(r.values, [-0.5, 0.0], 300)
        assert any("singular" in n for n in r.notes)


def test_eigs_linear_operator_and_unpacking():
    from sparsekit.linalg._eigen import eigs

    A = _nonsymmetric(300, seed=4)
    w_all = np.linalg.eigvals(A.toarray())
    w, v = eigs(sp.linalg.aslinearoperator(A), k=3, which="LM")
    _same_set(w, _scipy_pick(w_all, "LM", 3), 1e-8 * np.abs(w_all).max(), conj=True)
    np.testing.assert_allclose(np.linalg.norm(A @ v - v * w, axis=0), 0, atol=1e-7)


# --------------------------------------------------------------------------- svds: which, order


@pytest.mark.parametrize("method", ["auto", "dense", "arpack", "lobpcg", "shift_invert"])
@pytest.mark.parametrize("shape", [(300, 120), (120, 300)])
def test_svds_smallest_against_numpy(method, shape):
    rng = np.random.default_rng(5)
    A = sp.random_array(shape, density=0.1, random_state=rng, format="csr")
    A = sp.csr_array(A + sp.eye_array(*shape))  # well away from rank deficiency
    s = np.linalg.svd(A.toarray(), compute_uv=False)
    kw = {"maxiter": 5000} if method in ("arpack", "lobpcg") else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sk.ConvergenceWarning)
        r = svds(A, k=3, which="SM", method=method, **kw)
    np.testing.assert_allclose(r.s, s[-3:], rtol=1e-6 if method == "lobpcg" else 1e-9)
    res = np.hypot(np.linalg.norm(A @ r.Vh.T - r.U * r.s, axis=0),
                   np.linalg.norm(A.T @ r.U - r.Vh.T * r.s, axis=0))
    np.testing.assert_allclose(res, r.residuals, rtol=1e-6, atol=1e-14)
    np.testing.assert_allclose(r.U.T @ r.U, np.eye(3), atol=1e-8)


def test_svds_order_unpacking_and_complex():
    rng = np.random.default_rng(6)
    A = (rng.standard_normal((80, 60)) + 1j * rng.standard_normal((80, 60)))
    s = np.linalg.svd(A, compute_uv=False)
    u, sv, vh = svds(A, k=4)  # descending: numpy's order
    np.testing.assert_allclose(sv, s[:4], rtol=1e-10)
    u, sv, vh = svds(A, k=4, ascending=True)  # SciPy's order
    np.testing.assert_allclose(sv, s[:4][::-1], rtol=1e-10)
    np.testing.assert_allclose(A @ vh.conj().T, u * sv, atol=1e-10 * s[0])
    np.testing.assert_allclose(A.conj().T @ u, vh.conj().T * sv, atol=1e-10 * s[0])
    r = svds(A, k=4, return_singular_vectors="u")
    assert r.Vh is None and r.U.shape == (80, 4)
    r = svds(A, k=4, return_singular_vectors="vh")
    assert r.U is None and r.Vh.shape == (4, 60)
    with pytest.raises(sk.InputValueError, match="return_singular_vectors"):
        svds(A, k=4, return_singular_vectors="both")
    big = sp.random_array((400, 300), density=0.05, random_state=rng, format="csr")
    s = np.linalg.svd(big.toarray(), compute_uv=False)
    u, sv, vh = svds(sp.linalg.aslinearoperator(big), k=3)
    np.testing.assert_allclose(sv, s[:3], rtol=1e-9)


# --------------------------------------------------------------------------- other backends


def test_gpu_backend_which_codes_with_numpy_substituted():
    A = _indefinite(600)
    ref = np.linalg.eigvalsh(A.toarray())
    r = sk.eigsh(A, k=4, which="LM", backend="cupy", xp_name="numpy")
    assert r.method == "lanczos"
    assert_values(r.values, np.sort(_scipy_pick(ref, "LM", 4)), np.abs(ref).max())
    r = sk.eigsh(A, k=4, which="BE", backend="cupy", method="dense", xp_name="numpy")
    assert_values(r.values, np.sort(_scipy_pick(ref, "BE", 4)), np.abs(ref).max())
    with pytest.raises(sk.InputValueError, match="which='SM' cannot run on the GPU backend"):
        sk.eigsh(A, k=4, which="SM", backend="cupy", xp_name="numpy")
    r = sk.eigsh(A, k=4, which="largest", backend="cupy", method="lanczos", ncv=30,
                 xp_name="numpy")
    assert_values(r.values, ref[-4:], np.abs(ref).max())


def test_petsc_backend_refuses_codes_it_cannot_rank():
    # refused before PETSc is touched (so also where petsc4py is missing)
    A = ANALYTIC["path_400"][0]()
    for kw in ({"which": "BE"}, {"which": "SA", "sigma": 0.5},
               {"which": "LM", "method": "shift_invert"}):
        with pytest.raises(sk.InputValueError, match="cannot run on the PETSc backend"):
            sk.eigsh(A, k=2, backend="petsc", **kw)


# --------------------------------------------------------------------------- issue 19 (regret)


def test_auto_returns_null_vectors_without_factorizing():
    # 80 disconnected triangles, k=6 smallest of the Laplacian: all six are null vectors, so
    # no factorization is needed (ca-GrQc/Erdos971 in the regret suite paid for one)
    T = sp.csr_array(np.ones((3, 3)) - np.eye(3))
    L = graph_laplacian(sp.block_diag([T] * 80, format="csr"))
    assert L.shape[0] > DENSE_CROSSOVER
    sk.clear_cache()
    r = sk.eigsh(L, k=6)
    assert r.method == "shift_invert" and sk.cache_info().entries == 0
    assert_values(r.values, np.zeros(6), 1.0)
    assert_pairs(r, L)
    # each vector is constant on each triangle (a combination of component indicators)
    blocks = r.vectors.reshape(80, 3, 6)
    np.testing.assert_allclose(blocks - blocks.mean(axis=1, keepdims=True), 0, atol=1e-12)


def test_auto_largest_finds_double_eigenvalues_of_poisson():
    # the top of the 2-D Dirichlet Poisson spectrum holds double eigenvalues (i, j) and
    # (j, i): regular-mode ARPACK with the buffer and its larger ncv finds both copies
    shape = (40, 40)
    A = sk.poisson(shape)
    ref = np.sort(np.add.outer(*[4 * np.sin(np.pi * np.arange(1, m + 1) / (2 * (m + 1))) ** 2
                                 for m in shape]).ravel())
    r = sk.eigsh(A, k=6, which="largest")
    assert r.method == "arpack"
    assert_values(r.values, ref[-6:], ref.max())
    assert_pairs(r, A)


def test_auto_smallest_of_a_negative_definite_matrix_runs_lanczos():
    # -Poisson (negative diagonal, no trusted shift at 0): plan Lanczos, right pairs
    A = -sk.poisson((30, 20))
    ref = np.linalg.eigvalsh(A.toarray())
    assert plan_eigsh(A, k=4).method == "arpack"
    r = sk.eigsh(A, k=4)
    assert r.method == "arpack" and not any("falling back" in n for n in r.notes)
    assert_values(r.values, ref[:4], np.abs(ref).max())
    assert_pairs(r, A)


def test_auto_gives_up_shift_invert_early_on_nos6():
    # nos6's smallest are clustered (shift-invert does not converge in 30 restarts even for
    # k=2); auto's budget of AUTO_ARPACK_RESTARTS leads to dense LAPACK, which is right
    from sparsekit.linalg._eigen import AUTO_ARPACK_RESTARTS

    A = _matrix("nos6")
    ref = dense_spectrum("nos6")
    r = sk.eigsh(A, k=6)
    assert r.method == "dense" and AUTO_ARPACK_RESTARTS <= 10
    assert any(n.startswith("shift_invert") for n in r.notes)
    assert_values(r.values, ref[:6], np.abs(ref).max())
    assert_pairs(r, A)


def test_auto_largest_of_a_negative_definite_matrix_shift_inverts_minus_a():
    # the largest eigenvalues of a negative definite matrix are those nearest 0: shift-invert
    # on -A (its Cholesky factorization proves it); sherman1 in the regret suite
    A = -sk.poisson((30, 20)) + 0.02 * sp.eye_array(600)  # not NSD by Gershgorin
    ref = np.linalg.eigvalsh(A.toarray())
    assert ref.max() < 0
    assert plan_eigsh(A, k=4, which="largest").method == "shift_invert"
    r = sk.eigsh(A, k=4, which="largest")
    assert r.method == "shift_invert" and any("negative definite" in n for n in r.notes)
    assert_values(r.values, ref[-4:], np.abs(ref).max())
    assert_pairs(r, A)


def test_auto_largest_with_a_negative_diagonal_but_indefinite_falls_back_to_lanczos():
    A = -sk.poisson((30, 20)) + 3.0 * sp.eye_array(600)  # diagonal -1, spectrum in (-5, 3)
    ref = np.linalg.eigvalsh(A.toarray())
    assert ref.min() < 0 < ref.max()
    r = sk.eigsh(A, k=4, which="largest")
    assert r.method == "arpack"
    assert any(n.startswith("shift_invert failed") for n in r.notes)
    assert_values(r.values, ref[-4:], np.abs(ref).max())
    assert_pairs(r, A)
    with pytest.raises(sk.InputValueError, match="negative definite"):
        sk.eigsh(A, k=4, which="largest", method="shift_invert")


# --------------------------------------------------------------------------- LOBPCG + approx-chol


def test_lobpcg_approx_chol_against_dense_plain_and_pencil():
    # randomized approximate Cholesky as LOBPCG's preconditioner: the plain Laplacian (its
    # constant deflated) and the pencil L u = λ D u, both against LAPACK
    L, D = _shortcut_pencil()
    ref = np.linalg.eigvalsh(L.toarray())[:4]
    r = sk.eigsh(L, k=4, method="lobpcg", precond="approx_chol")
    assert "preconditioner: approx_chol" in r.notes
    np.testing.assert_allclose(r.values, ref, rtol=0, atol=1e-9 * ref[-1])
    assert_pairs(r, L)
    ref = sla.eigh(L.toarray(), D.toarray(), eigvals_only=True, subset_by_index=[0, 8])
    r = sk.eigsh(L, k=9, M=D, method="lobpcg", precond="approx_chol")
    np.testing.assert_allclose(r.values, ref, rtol=0, atol=1e-9 * ref[-1])
    assert_pairs(r, L, D)


def test_lobpcg_approx_chol_refuses_a_matrix_that_is_not_sddm():
    # a positive off-diagonal entry: approx-chol cannot factor it, and says what to use
    A = sp.csr_array(np.array([[2.0, 1.0, 0.0], [1.0, 2.0, 1.0], [0.0, 1.0, 2.0]]))
    A = sp.csr_array(sp.kron(sp.eye_array(40), A))
    with pytest.raises(sk.InputValueError, match="approx_chol"):
        sk.eigsh(A, k=2, method="lobpcg", precond="approx_chol")


def test_auto_picks_approx_chol_for_large_laplacians(monkeypatch):
    # the plan above FACTOR_MAX_N: approx-chol for a Laplacian, AMG for another SPD matrix
    # and for a Laplacian when approx-chol does not import; method="lobpcg" alone follows
    from sparsekit.linalg import _plan_solve
    from sparsekit.linalg._eigen import _plan as eplan

    L, D = _shortcut_pencil()
    n = L.shape[0]
    monkeypatch.setattr(eplan, "FACTOR_MAX_N", n - 1)
    monkeypatch.setattr(_plan_solve, "AC_MIN_N", n - 1)  # both plans and LOBPCG read it
    p = plan_eigsh(L, k=3)
    assert (p.method, p.precond) == ("lobpcg", "approx_chol"), p.reasons
    r = sk.eigsh(L, k=3, method="lobpcg")
    assert "preconditioner: approx_chol" in r.notes
    ref = np.linalg.eigvalsh(L.toarray())[:3]
    np.testing.assert_allclose(r.values, ref, rtol=0, atol=1e-9 * ref[-1])
    poisson = kron_sum(dirichlet_1d(60), dirichlet_1d(60))  # SPD, not a Laplacian
    assert plan_eigsh(poisson, k=3).precond == "amg"
    monkeypatch.setattr(eplan, "approx_chol_available", lambda: False)
    p = plan_eigsh(L, k=3)
    assert p.precond == "amg" and any("approx-chol is not importable" in s for s in p.reasons)


def test_auto_runs_lobpcg_approx_chol_for_the_fiedler_pair(monkeypatch):
    # one pair above the null space of a connected Laplacian: LOBPCG (block of one) with
    # approx-chol, against LAPACK; two or more wanted pairs keep shift-invert
    from sparsekit.linalg import _plan_solve

    L, _ = _shortcut_pencil()
    monkeypatch.setattr(_plan_solve, "AC_MIN_N", 1000)
    p = plan_eigsh(L, k=2)
    assert (p.method, p.precond) == ("lobpcg", "approx_chol"), p.reasons
    assert any("Fiedler" in s for s in p.reasons)
    assert plan_eigsh(L, k=4).method == "shift_invert"
    r = sk.eigsh(L, k=2)
    assert r.method == "lobpcg" and "LOBPCG block size 1 for k=1" in r.notes
    ref = np.linalg.eigvalsh(L.toarray())[:2]
    np.testing.assert_allclose(r.values, ref, rtol=0, atol=1e-9 * ref[-1])
    assert_pairs(r, L)


def test_auto_runs_lobpcg_approx_chol_where_the_factor_would_fill(monkeypatch):
    # several pairs of a 3-D grid graph's Laplacian (24³ nodes: a factor of ~500 entries per
    # column): LOBPCG + approx-chol, against the analytic spectrum (sums of three path
    # Laplacian eigenvalues 2 - 2 cos(pi m / N)); a 2-D grid graph keeps shift-invert, as
    # does the 3-D one without approx-chol
    from sparsekit.linalg._eigen import _plan as eplan

    N = 24
    path = sp.csr_array(sk.laplacian(path_adjacency(N)))
    L = kron_sum(path, path, path)
    p = plan_eigsh(L, k=4)
    assert (p.method, p.precond) == ("lobpcg", "approx_chol"), p.reasons
    assert any("entries per column" in s for s in p.reasons)
    r = sk.eigsh(L, k=4)
    mu = 2 - 2 * np.cos(np.pi * np.arange(N) / N)
    ref = np.sort((mu[:, None, None] + mu[None, :, None] + mu[None, None, :]).ravel())[:4]
    np.testing.assert_allclose(r.values, ref, rtol=0, atol=1e-8 * ref[-1])
    assert r.method == "lobpcg" and r.all_converged
    assert_pairs(r, L)
    grid2 = kron_sum(sp.csr_array(sk.laplacian(path_adjacency(100))),
                     sp.csr_array(sk.laplacian(path_adjacency(100))))
    assert plan_eigsh(grid2, k=4).method == "shift_invert"
    monkeypatch.setattr(eplan, "approx_chol_available", lambda: False)
    assert plan_eigsh(L, k=4).method == "shift_invert"


def test_lobpcg_falls_back_to_scipy_when_the_kernel_breaks_down(monkeypatch):
    # the kernel raising LinAlgError (a basis that is not positive definite): SciPy's lobpcg
    # runs instead, says so, and the pairs still match LAPACK
    from sparsekit.linalg._eigen import _lobpcg

    def broken(*args, **kwargs):
        raise np.linalg.LinAlgError("basis not positive definite")

    monkeypatch.setattr(_lobpcg, "block_lobpcg", broken)
    L, D = _shortcut_pencil()
    r = sk.eigsh(L, k=4, M=D, method="lobpcg", precond="amg", tol=1e-9)
    assert any("SciPy's lobpcg instead" in note for note in r.notes), r.notes
    ref = sla.eigh(L.toarray(), D.toarray(), eigvals_only=True, subset_by_index=[0, 3])
    np.testing.assert_allclose(r.values, ref, rtol=0, atol=1e-8 * ref[-1])
    assert_pairs(r, L, D, tol=1e-9)


def test_lobpcg_approx_chol_starts_from_the_amg_cascade_at_loose_tol():
    # several pairs to a loose tol: the AMG hierarchy is built for the cascade start alone
    # (its pairs meet tol here, so approx-chol is never factored); tight: a random start
    L, D = _shortcut_pencil()
    ref = sla.eigh(L.toarray(), D.toarray(), eigvals_only=True, subset_by_index=[0, 8])
    loose = sk.eigsh(L, k=9, M=D, method="lobpcg", precond="approx_chol", tol=1e-2)
    assert any("cascade" in note for note in loose.notes), loose.notes
    res = np.linalg.norm(L @ loose.vectors - (D @ loose.vectors) * loose.values, axis=0)
    scale = sp.linalg.norm(L, 1) + np.abs(loose.values) * sp.linalg.norm(D, 1)
    assert np.all(res <= 1e-2 * scale) and loose.all_converged
    np.testing.assert_allclose(loose.values[1:], ref[1:], rtol=0.05)
    tight = sk.eigsh(L, k=9, M=D, method="lobpcg", precond="approx_chol")
    assert not any("cascade" in note for note in tight.notes)
    assert "preconditioner: approx_chol" in tight.notes
    np.testing.assert_allclose(tight.values, ref, rtol=0, atol=1e-9 * ref[-1])
