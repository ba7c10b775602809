"""The GPU backend (sparsekit.backends.cupy_), run with numpy/scipy substituted and with cupy.

Every test body takes the ``ns`` fixture: ``namespace("numpy")`` on every
machine, and ``namespace("cupy")`` marked ``gpu`` (skipped with the reason
where cupy or a CUDA device is missing).  References are computed on the host
with numpy/scipy/networkx, analytic spectra, plain loops, or the scipy backend
(``sk.solve``/``sk.eigsh``/``sk.laplacian``... once they are implemented).
"""

import re
import subprocess
import sys
import types
from pathlib import Path

import networkx as nx
import numpy as np
import pyamg
import pytest
import scipy.linalg as la
import scipy.sparse as sp
import scipy.sparse.csgraph as csgraph
import scipy.sparse.linalg as spla

import sparsekit as sk
from sparsekit.backends import cupy_
from sparsekit.backends.cupy_ import to_device, to_host

XP = [pytest.param("numpy", id="numpy"), pytest.param("cupy", id="cupy", marks=pytest.mark.gpu)]
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(params=XP)
def ns(request):
    try:
        return cupy_.namespace(request.param)
    except (sk.MissingDependencyError, sk.BackendError) as exc:
        pytest.skip(f"{request.param} namespace unavailable: {exc}")


def hx(x):
    """Host copy as numpy / scipy (to compare with references)."""
    x = to_host(x)
    return x.toarray() if sp.issparse(x) else np.asarray(x)


def poisson2d(m):
    T = sp.diags_array([-1.0, 2.0, -1.0], offsets=[-1, 0, 1], shape=(m, m))
    return sp.csr_array(sp.kronsum(T, T))


def grid_laplacian(m):
    P = sp.diags_array([np.ones(m - 1), np.ones(m - 1)], offsets=[-1, 1])
    W = sp.kronsum(P, P)
    return sp.csr_array(sp.diags_array(np.asarray(W.sum(axis=1)).ravel()) - W)


def path_eigenvalues(m):
    return 2.0 - 2.0 * np.cos(np.pi * np.arange(m) / m)


def reference_solve(A, b):
    """The scipy backend when it exists, else a direct solve."""
    try:
        return np.asarray(sk.solve(A, b, backend="scipy", method="direct").x)
    except NotImplementedError:
        return spla.spsolve(sp.csc_array(A), b)


def reference_eigvals(A, k, which="smallest", M=None):
    """The scipy backend's dense eigh when it exists, else scipy.linalg.eigh."""
    try:
        return np.asarray(sk.dense.eigh(A, k=k, which=which, M=M).values)
    except (NotImplementedError, TypeError, AttributeError):
        Ad = A.toarray() if sp.issparse(A) else A
        Md = None if M is None else (M.toarray() if sp.issparse(M) else M)
        w = la.eigh(Ad, Md, eigvals_only=True)
        return w[:k] if which == "smallest" else w[-k:]


# --------------------------------------------------------------------- namespace


def test_numpy_namespace_is_numpy_scipy():
    ns = cupy_.namespace("numpy")
    assert (ns.xp, ns.xsp, ns.xspla) == (np, sp, spla)
    assert ns.backend == "numpy-substitute" and not ns.on_device


def test_unknown_namespace():
    with pytest.raises(sk.UnknownMethodError, match="xp_name"):
        cupy_.namespace("torch")


def test_missing_cupy_names_the_gpu_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # import cupy -> ImportError
    with pytest.raises(sk.MissingDependencyError, match=r"sparsekit\[gpu\]"):
        cupy_.namespace("cupy")
    with pytest.raises(sk.MissingDependencyError):
        cupy_.solve(poisson2d(4), np.ones(16))


def test_cupy_without_device_is_a_backend_error(monkeypatch):
    def no_device():
        raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")

    fake = types.ModuleType("cupy")
    fake.__version__ = "0.0-fake"
    fake.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=no_device))
    monkeypatch.setitem(sys.modules, "cupy", fake)
    with pytest.raises(sk.BackendError, match="no usable CUDA device"):
        cupy_.namespace("cupy")


def test_transfers_round_trip(ns):
    A = poisson2d(5)
    D = to_device(A, ns)
    assert ns.issparse(D)
    np.testing.assert_array_equal(hx(D), A.toarray())
    x = np.arange(4.0)
    np.testing.assert_array_equal(hx(to_device(x, ns)), x)
    assert cupy_.is_device(D) == ns.on_device


# --------------------------------------------------------------------- solve

SOLVE_CASES = [(m, p) for m in ("cg", "minres", "gmres") for p in ("none", "jacobi", "amg")]


@pytest.mark.parametrize(("method", "precond"), SOLVE_CASES)
def test_solve_poisson_agrees_with_scipy(ns, method, precond):
    A = poisson2d(24)
    b = np.random.default_rng(0).standard_normal(A.shape[0])
    r = cupy_.solve(to_device(A, ns), to_device(b, ns), method=method, precond=precond,
                    rtol=1e-9, maxiter=4000, xp_name=ns.name)
    assert r.converged and r.method == method and r.precond == precond
    assert r.backend == ns.backend
    x_ref = reference_solve(A, b)
    np.testing.assert_allclose(hx(r.x), x_ref, rtol=1e-6, atol=1e-8 * np.abs(x_ref).max())
    assert np.linalg.norm(b - A @ hx(r.x)) <= 1e-9 * np.linalg.norm(b) * (1 + 1e-6)
    assert r.relative_residual <= 1e-9


def test_solve_many_rhs_and_x0(ns):
    A = poisson2d(16)
    B = np.random.default_rng(1).standard_normal((A.shape[0], 3))
    r = cupy_.solve(to_device(A, ns), to_device(B, ns), x0=to_device(np.ones_like(B), ns),
                    xp_name=ns.name)
    assert hx(r.x).shape == (256, 3) and r.converged
    np.testing.assert_allclose(hx(r.x), spla.spsolve(sp.csc_array(A), B), rtol=1e-6)


def test_solve_auto_picks_by_structure(ns):
    n = 400
    conv = sp.diags_array([-1.3, 2.0, -0.7], offsets=[-1, 0, 1], shape=(n, n), format="csr")
    b = np.ones(n)
    r = cupy_.solve(to_device(conv, ns), to_device(b, ns), xp_name=ns.name)
    assert r.method == "gmres" and r.converged
    np.testing.assert_allclose(hx(r.x), reference_solve(conv, b), rtol=1e-6)
    indef = sp.csr_array(sp.diags_array(np.r_[np.ones(n // 2), -np.ones(n // 2)] * 3.0)
                         + sp.diags_array([-1.0, -1.0], offsets=[-1, 1], shape=(n, n)))
    r = cupy_.solve(to_device(indef, ns), to_device(b, ns), xp_name=ns.name)
    assert r.method == "minres" and r.converged
    np.testing.assert_allclose(hx(r.x), reference_solve(indef, b), rtol=1e-6)
    spd = poisson2d(12)
    r = cupy_.solve(to_device(spd, ns), to_device(np.ones(144), ns), xp_name=ns.name)
    assert (r.method, r.precond) == ("cg", "amg")
    assert any("PyAMG" in note for note in r.notes)


def test_solve_real_matrices(ns, real):
    A = real("nos6")  # SPD, condition ~ 8e6
    b = A @ np.ones(A.shape[0])
    r = cupy_.solve(to_device(A, ns), to_device(b, ns), method="cg", precond="amg",
                    rtol=1e-10, maxiter=2000, xp_name=ns.name)
    assert r.converged
    np.testing.assert_allclose(hx(r.x), reference_solve(A, b), rtol=1e-4)
    S = real("sherman1")  # nonsymmetric
    rhs = real("sherman1_rhs1")
    bs = np.asarray(rhs.toarray() if sp.issparse(rhs) else rhs).ravel()
    r = cupy_.solve(to_device(S, ns), to_device(bs, ns), method="gmres", precond="jacobi",
                    rtol=1e-8, maxiter=5000, xp_name=ns.name)
    assert r.converged
    assert np.linalg.norm(bs - S @ hx(r.x)) <= 1e-8 * np.linalg.norm(bs) * (1 + 1e-6)


def test_solve_singular_laplacian_projects_null_space(ns, real):
    W = real("karate")
    L = sp.csr_array(csgraph.laplacian(sp.csr_array(W)))
    b = np.random.default_rng(2).standard_normal(L.shape[0])
    b -= b.mean()
    r = cupy_.solve(to_device(L, ns), to_device(b, ns), rtol=1e-10, xp_name=ns.name)
    assert r.converged and any("Laplacian" in note for note in r.notes)
    x_ref = np.linalg.pinv(L.toarray()) @ b  # minimum-norm solution
    np.testing.assert_allclose(hx(r.x), x_ref, atol=1e-7 * np.abs(x_ref).max())
    with pytest.raises(sk.InconsistentSystemError, match="null space"):
        cupy_.solve(to_device(L, ns), to_device(b + 1.0, ns), xp_name=ns.name)


def test_solve_disconnected_laplacian(ns):
    L = sp.csr_array(sp.block_diag([grid_laplacian(6), grid_laplacian(4)]))
    b = np.random.default_rng(3).standard_normal(L.shape[0])
    b[:36] -= b[:36].mean()
    b[36:] -= b[36:].mean()
    r = cupy_.solve(to_device(L, ns), to_device(b, ns), rtol=1e-10, xp_name=ns.name)
    assert r.converged and "2 connected component" in " ".join(r.notes)
    np.testing.assert_allclose(hx(r.x), np.linalg.pinv(L.toarray()) @ b, atol=1e-7)


def test_device_amg_cuts_cg_iterations_like_pyamg(ns):
    A = poisson2d(64)
    b = np.random.default_rng(4).standard_normal(A.shape[0])

    def cg_iterations(M):
        count = [0]
        x, _ = spla.cg(A, b, rtol=1e-8, M=M, maxiter=5000,
                       callback=lambda xk: count.__setitem__(0, count[0] + 1))
        assert np.linalg.norm(b - A @ x) <= 1e-8 * np.linalg.norm(b) * 1.0001
        return count[0]

    plain = cg_iterations(None)
    pyamg_its = cg_iterations(pyamg.smoothed_aggregation_solver(A).aspreconditioner())
    for smoother in ("chebyshev", "jacobi"):
        amg = cupy_.DeviceAMG.setup(A, ns, smoother=smoother)
        r = cupy_.solve(to_device(A, ns), to_device(b, ns), M=amg, rtol=1e-8, xp_name=ns.name)
        assert r.converged and r.precond == "amg"
        assert r.iterations <= 2 * pyamg_its, (smoother, r.iterations, pyamg_its)
        assert 5 * r.iterations <= plain, (smoother, r.iterations, plain)
        assert amg.n_levels >= 2 and "levels" in repr(amg)


def test_device_amg_is_symmetric(ns):
    A = poisson2d(20)
    amg = cupy_.DeviceAMG.setup(A, ns, max_coarse=40)
    rng = np.random.default_rng(5)
    v, w = rng.standard_normal(400), rng.standard_normal(400)
    Mv, Mw = hx(amg.solve(to_device(v, ns))), hx(amg.solve(to_device(w, ns)))
    assert abs(w @ Mv - v @ Mw) <= 1e-10 * abs(w @ Mv)
    V = np.stack([v, w], axis=1)  # a block gives the columns' results
    np.testing.assert_allclose(hx(amg.solve(to_device(V, ns))), np.stack([Mv, Mw], axis=1),
                               rtol=1e-12)
    assert v @ Mv > 0  # positive definite for an SPD A


def test_solve_nonconvergence_warns_or_raises(ns):
    A, b = poisson2d(20), np.ones(400)
    with pytest.warns(sk.ConvergenceWarning, match="did not converge"):
        r = cupy_.solve(to_device(A, ns), to_device(b, ns), method="cg", precond="none",
                        maxiter=3, xp_name=ns.name)
    assert not r.converged
    true = np.linalg.norm(b - A @ hx(r.x)) / np.linalg.norm(b)
    assert r.relative_residual == pytest.approx(true, rel=1e-10)
    with pytest.raises(sk.NoConvergence) as info:
        cupy_.solve(to_device(A, ns), to_device(b, ns), method="cg", precond="none",
                    maxiter=3, strict=True, xp_name=ns.name)
    assert info.value.result is not None and not info.value.result.converged


def test_solve_callback_and_timings(ns):
    seen = []
    r = cupy_.solve(to_device(poisson2d(10), ns), to_device(np.ones(100), ns), method="cg",
                    precond="jacobi", callback=seen.append, xp_name=ns.name)
    assert len(seen) == r.iterations > 0
    assert set(r.timings) == {"setup", "solve"}


def test_solve_bad_input(ns):
    A = to_device(poisson2d(6), ns)
    b = to_device(np.ones(36), ns)
    with pytest.raises(sk.NotSquareError):
        cupy_.solve(to_device(sp.random_array((5, 4), density=0.5, random_state=0), ns),
                    to_device(np.ones(5), ns), xp_name=ns.name)
    with pytest.raises(sk.ShapeError, match=r"\(36,\)"):
        cupy_.solve(A, to_device(np.ones(5), ns), xp_name=ns.name)
    with pytest.raises(sk.ShapeError, match="x0"):
        cupy_.solve(A, b, x0=to_device(np.ones(3), ns), xp_name=ns.name)
    bad = poisson2d(6)
    bad.data[3] = np.nan
    with pytest.raises(sk.InputValueError, match="NaN"):
        cupy_.solve(to_device(bad, ns), b, xp_name=ns.name)
    with pytest.raises(sk.InputValueError, match="NaN"):
        cupy_.solve(A, to_device(np.full(36, np.inf), ns), xp_name=ns.name)
    with pytest.raises(sk.UnknownMethodError, match="method"):
        cupy_.solve(A, b, method="bicgstab", xp_name=ns.name)
    with pytest.raises(sk.UnknownMethodError, match="precond"):
        cupy_.solve(A, b, precond="ilu", xp_name=ns.name)
    zero_diag = sp.csr_array(np.array([[0.0, 1.0], [1.0, 0.0]]))
    with pytest.raises(sk.InputValueError, match="zero diagonal"):
        cupy_.solve(to_device(zero_diag, ns), to_device(np.ones(2), ns), precond="jacobi",
                    xp_name=ns.name)


# --------------------------------------------------------------------- eigsh


def poisson_eigenvalues(m):
    j = np.arange(1, m + 1)
    t = 4.0 * np.sin(np.pi * j / (2 * (m + 1))) ** 2
    return np.sort(np.add.outer(t, t).ravel())


@pytest.mark.parametrize(("which", "method"), [("smallest", "lobpcg"), ("largest", "lanczos"),
                                               ("smallest", "lanczos"),
                                               ("largest", "lobpcg")])
def test_eigsh_poisson_analytic(ns, which, method):
    m, k = 30, 5
    A = poisson2d(m)
    e = cupy_.eigsh(to_device(A, ns), k=k, which=which, method=method, tol=1e-8,
                    maxiter=400, xp_name=ns.name)
    exact = poisson_eigenvalues(m)
    exact = exact[:k] if which == "smallest" else exact[-k:]
    assert e.all_converged and e.method == method and e.backend == ns.backend
    np.testing.assert_allclose(e.values, exact, rtol=1e-7)
    V = hx(e.vectors)
    np.testing.assert_allclose(np.linalg.norm(A @ V - V * e.values, axis=0), e.residuals,
                               rtol=1e-6, atol=1e-12)


def test_eigsh_auto_smallest_is_lobpcg_amg(ns):
    A = poisson2d(30)
    e = cupy_.eigsh(to_device(A, ns), k=4, xp_name=ns.name)
    assert e.method == "lobpcg" and "LOBPCG preconditioner: amg" in e.notes
    np.testing.assert_allclose(e.values, poisson_eigenvalues(30)[:4], rtol=1e-6)


def test_eigsh_laplacian_null_space_per_component(ns):
    m = 24
    L = sp.csr_array(sp.block_diag([grid_laplacian(m), grid_laplacian(m)]))
    path = path_eigenvalues(m)
    exact = np.sort(np.concatenate([np.add.outer(path, path).ravel()] * 2))
    e = cupy_.eigsh(to_device(L, ns), k=6, method="lobpcg", tol=1e-8, xp_name=ns.name)
    assert e.all_converged and "2 connected component" in " ".join(e.notes)
    np.testing.assert_allclose(e.values, exact[:6], atol=1e-9)
    V = hx(e.vectors)
    np.testing.assert_allclose(V.T @ V, np.eye(6), atol=1e-6)
    e2 = cupy_.eigsh(to_device(L, ns), k=1, method="lobpcg", xp_name=ns.name)
    assert e2.values[0] == pytest.approx(0.0, abs=1e-12)


def test_eigsh_real_graph_agrees_with_dense(ns, real):
    W = sp.csr_array(real("jazz"), dtype=float)
    W.data[:] = 1.0
    L = sp.csr_array(csgraph.laplacian(W))
    e = cupy_.eigsh(to_device(L, ns), k=4, method="lobpcg", tol=1e-9, xp_name=ns.name)
    assert e.all_converged
    np.testing.assert_allclose(e.values, reference_eigvals(L, 4), atol=1e-7)
    e = cupy_.eigsh(to_device(L, ns), k=3, which="largest", xp_name=ns.name)
    np.testing.assert_allclose(e.values, reference_eigvals(L, 3, "largest"), rtol=1e-9)


def test_eigsh_shift_invert_host_factor(ns):
    A = poisson2d(20)
    sigma = 0.3
    e = cupy_.eigsh(to_device(A, ns), k=4, sigma=sigma, xp_name=ns.name)
    w = la.eigh(A.toarray(), eigvals_only=True)
    nearest = np.sort(w[np.argsort(np.abs(w - sigma))[:4]])
    assert e.method == "shift_invert" and e.all_converged
    np.testing.assert_allclose(e.values, nearest, rtol=1e-9)
    assert any("factorized on the host" in note for note in e.notes)


def test_eigsh_generalized(ns):
    A = poisson2d(24)
    d = np.random.default_rng(6).uniform(1.0, 2.0, A.shape[0])
    M = sp.diags_array(d, format="csr")
    exact = la.eigh(A.toarray(), np.diag(d), eigvals_only=True)
    e = cupy_.eigsh(to_device(A, ns), k=3, M=to_device(M, ns), tol=1e-9, xp_name=ns.name)
    assert e.method == "lobpcg" and e.all_converged
    np.testing.assert_allclose(e.values, exact[:3], rtol=1e-7)
    V = hx(e.vectors)
    np.testing.assert_allclose(V.T @ (d[:, None] * V), np.eye(3), atol=1e-7)
    e = cupy_.eigsh(to_device(A, ns), k=3, M=to_device(M, ns), sigma=0.0, xp_name=ns.name)
    np.testing.assert_allclose(e.values, exact[:3], rtol=1e-9)
    assert any("entirely on the host" in note for note in e.notes)


def test_eigsh_dense_for_small(ns):
    A = poisson2d(12)
    e = cupy_.eigsh(to_device(A, ns), k=3, which="largest", xp_name=ns.name)
    assert e.method == "dense"
    np.testing.assert_allclose(e.values, poisson_eigenvalues(12)[-3:], rtol=1e-12)


def test_eigsh_nonconvergence(ns):
    A = poisson2d(30)
    with pytest.warns(sk.ConvergenceWarning, match="did not reach"):
        e = cupy_.eigsh(to_device(A, ns), k=4, method="lobpcg", precond="none", maxiter=2,
                        tol=1e-12, xp_name=ns.name)
    assert not e.all_converged
    with pytest.raises(sk.NoConvergence):
        cupy_.eigsh(to_device(A, ns), k=4, method="lobpcg", precond="none", maxiter=2,
                    tol=1e-12, strict=True, xp_name=ns.name)


def test_eigsh_bad_input(ns):
    A = to_device(poisson2d(6), ns)
    with pytest.raises(sk.InputValueError, match="k must be < n"):
        cupy_.eigsh(A, k=36, xp_name=ns.name)
    nonsym = sp.csr_array(np.triu(np.ones((5, 5))))
    with pytest.raises(sk.NotSymmetricError):
        cupy_.eigsh(to_device(nonsym, ns), k=2, xp_name=ns.name)
    with pytest.raises(sk.InputValueError, match="sigma"):
        cupy_.eigsh(A, k=2, which="nearest", xp_name=ns.name)
    with pytest.raises(sk.InputValueError, match="nearest"):
        cupy_.eigsh(A, k=2, which="largest", sigma=1.0, xp_name=ns.name)
    with pytest.raises(sk.SingularMatrixError, match="sigma"):
        cupy_.eigsh(to_device(grid_laplacian(6), ns), k=2, sigma=0.0, xp_name=ns.name)
    bad = poisson2d(6)
    bad.data[0] = np.nan
    with pytest.raises(sk.InputValueError, match="NaN"):
        cupy_.eigsh(to_device(bad, ns), k=2, xp_name=ns.name)
    with pytest.raises(sk.UnknownMethodError):
        cupy_.eigsh(A, k=2, which="middle", xp_name=ns.name)
    with pytest.raises(sk.UnknownMethodError):
        cupy_.eigsh(A, k=2, method="jacobi_davidson", xp_name=ns.name)


# --------------------------------------------------------------------- builders


def random_edges(n=60, m=300, seed=0, loops=True):
    rng = np.random.default_rng(seed)
    r, c = rng.integers(0, n, m), rng.integers(0, n, m)
    if not loops:
        keep = r != c
        r, c = r[keep], c[keep]
    return r, c, rng.uniform(0.5, 2.0, r.size)


def loop_once_adjacency(r, c, w, n):
    """W of undirected edge arrays: off-diagonal edges mirrored, self-loops once (networkx)."""
    off = r != c
    W = sp.coo_array((np.r_[w, w[off]], (np.r_[r, c[off]], np.r_[c, r[off]])), shape=(n, n))
    return W.toarray()


def cpu_builder(fn, *args, **kwargs):
    """The scipy builders once they exist (None until then)."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        return None


@pytest.mark.parametrize("kind", ["combinatorial", "normalized", "random_walk", "signless"])
def test_laplacian_edge_arrays(ns, kind):
    n = 60
    r, c, w = random_edges(n)  # duplicates and self-loops included
    L = cupy_.laplacian((to_device(r, ns), to_device(c, ns), to_device(w, ns)), kind, n=n,
                        xp_name=ns.name)
    W = loop_once_adjacency(r, c, w, n)
    d = W.sum(axis=1)
    pos = d > 0
    dp = np.where(pos, 1 / np.where(pos, d, 1), 0)  # D⁺
    ref = {
        "combinatorial": lambda: np.diag(d) - W,
        "normalized": lambda: np.diag(pos * 1.0) - np.sqrt(dp)[:, None] * W * np.sqrt(dp),
        "random_walk": lambda: np.diag(pos * 1.0) - dp[:, None] * W,
        "signless": lambda: np.diag(d) + W,
    }[kind]()
    np.testing.assert_allclose(hx(L), ref, atol=1e-14)
    np.testing.assert_allclose(hx(L), sk.laplacian((r, c, w), kind, n=n).toarray(), atol=1e-14)
    if kind == "combinatorial":  # self-loops cancel: csgraph (which ignores them) agrees
        np.testing.assert_allclose(hx(L), csgraph.laplacian(sp.csr_array(W)).toarray(),
                                   atol=1e-13)
    Wd = cupy_.adjacency((to_device(r, ns), to_device(c, ns), to_device(w, ns)), n=n,
                         xp_name=ns.name)
    np.testing.assert_allclose(hx(Wd), W, atol=1e-14)


def test_laplacian_matches_networkx(ns):
    G = nx.gnm_random_graph(40, 120, seed=1)
    G.add_node(40)  # an isolated node
    G.add_edge(3, 3)  # a self-loop
    for u, v in G.edges:
        G[u][v]["weight"] = 1.0 + (u * v) % 3
    r, c, w = (np.array(x) for x in zip(*((u, v, d["weight"]) for u, v, d in G.edges(data=True)),
                                                strict=True))
    nodes = sorted(G)
    L = cupy_.laplacian((r, c, w), n=41, xp_name=ns.name)
    np.testing.assert_allclose(hx(L), nx.laplacian_matrix(G, nodelist=nodes).toarray(),
                               atol=1e-14)
    N = cupy_.laplacian((r, c, w), "normalized", n=41, xp_name=ns.name)
    np.testing.assert_allclose(hx(N), nx.normalized_laplacian_matrix(G, nodelist=nodes).toarray(),
                               atol=1e-14)
    W = cupy_.adjacency((r, c), weight=None, n=41, xp_name=ns.name)
    np.testing.assert_array_equal(hx(W), nx.to_numpy_array(G, nodelist=nodes, weight=None))


def test_laplacian_from_adjacency_and_real_graph(ns, real):
    W = sp.csr_array(real("karate"), dtype=float)
    L = cupy_.laplacian(to_device(W, ns), xp_name=ns.name)
    np.testing.assert_allclose(hx(L), csgraph.laplacian(W).toarray(), atol=1e-14)
    D = sp.csr_array(np.triu(W.toarray()))  # directed
    with pytest.raises(sk.NotSymmetricError, match="symmetrize=True"):
        cupy_.laplacian(to_device(D, ns), xp_name=ns.name)
    Ls = cupy_.laplacian(to_device(D, ns), symmetrize=True, format="coo", xp_name=ns.name)
    np.testing.assert_allclose(hx(Ls), csgraph.laplacian(D, symmetrized=True).toarray(),
                               atol=1e-14)
    assert to_host(Ls).format == "coo"
    for mode in ("sum", "max", "mean"):
        Lm = cupy_.laplacian(to_device(D, ns), symmetrize=mode, xp_name=ns.name)
        np.testing.assert_allclose(hx(Lm), sk.laplacian(D, symmetrize=mode).toarray(),
                                   atol=1e-14)


def test_laplacian_bad_input(ns):
    r, c = np.array([0, 1]), np.array([1, 2])
    with pytest.raises(sk.ShapeError, match="same length"):
        cupy_.laplacian((r, np.array([1])), n=3, xp_name=ns.name)
    with pytest.raises(sk.InputValueError, match=r"\[0, 3\)"):
        cupy_.laplacian((r, np.array([1, 3])), n=3, xp_name=ns.name)
    with pytest.raises(sk.InputValueError, match=r"\[0, 3\)"):
        cupy_.laplacian((np.array([-1, 0]), c), n=3, xp_name=ns.name)
    with pytest.raises(sk.InputValueError, match="NaN"):
        cupy_.laplacian((r, c, np.array([1.0, np.nan])), n=3, xp_name=ns.name)
    with pytest.raises(sk.InputValueError, match="nonnegative"):
        cupy_.laplacian((r, c, np.array([1.0, -1.0])), "normalized", n=3, xp_name=ns.name)
    with pytest.raises(sk.ShapeError, match="one entry per edge"):
        cupy_.laplacian((r, c, np.ones(3)), n=3, xp_name=ns.name)
    with pytest.raises(sk.InputValueError, match="networkx"):
        cupy_.laplacian(nx.path_graph(3), xp_name=ns.name)
    with pytest.raises(sk.InputValueError, match="edge arrays"):
        cupy_.laplacian((r, c), n=3, symmetrize=True, xp_name=ns.name)
    with pytest.raises(sk.InputValueError, match="sparse"):
        cupy_.laplacian(to_device(np.eye(3), ns), xp_name=ns.name)
    with pytest.raises(sk.NotSquareError):
        cupy_.laplacian(to_device(sp.csr_array(np.ones((2, 3))), ns), xp_name=ns.name)
    with pytest.raises(sk.InputValueError, match="float"):
        cupy_.laplacian((r, c), n=3, dtype=np.int64, xp_name=ns.name)
    with pytest.raises(sk.UnknownMethodError, match="kind"):
        cupy_.laplacian((r, c), "magnetic", n=3, xp_name=ns.name)


@pytest.mark.parametrize("shape", [(7,), (5, 4), (3, 4, 5)])
@pytest.mark.parametrize("bc", ["dirichlet", "neumann"])
def test_poisson_matches_laplacian_nd(ns, shape, bc):
    A = cupy_.poisson(shape, bc, h=1.0, xp_name=ns.name)
    ref = -spla.LaplacianNd(shape, boundary_conditions=bc).tosparse().toarray()
    np.testing.assert_array_equal(hx(A), ref)
    cpu = cpu_builder(sk.poisson, shape, bc=bc, h=1.0)
    if cpu is not None:
        np.testing.assert_allclose(hx(A), cpu.toarray(), atol=1e-12)


def test_poisson_spacing_anisotropy_and_rows(ns):
    m = 9
    h = 1.0 / (m + 1)
    A = cupy_.poisson((m, m), h=h, xp_name=ns.name)
    j = np.arange(1, m + 1)
    t = 4.0 / h**2 * np.sin(np.pi * j / (2 * (m + 1))) ** 2
    np.testing.assert_allclose(np.linalg.eigvalsh(hx(A)), np.sort(np.add.outer(t, t).ravel()),
                               rtol=1e-12)
    np.testing.assert_array_equal(hx(cupy_.poisson((m, m), xp_name=ns.name)),
                                  hx(A) * h**2)  # default h = 1: the plain stencil
    B = cupy_.poisson((4, 3), h=(0.5, 0.25), coeffs=(2.0, 3.0), xp_name=ns.name)
    T = [-spla.LaplacianNd((k,), boundary_conditions="dirichlet").tosparse().toarray()
         for k in (4, 3)]
    ref = 2.0 * np.kron(T[0] / 0.25, np.eye(3)) + 3.0 * np.kron(np.eye(4), T[1] / 0.0625)
    np.testing.assert_allclose(hx(B), ref, rtol=1e-14)
    np.testing.assert_allclose(hx(B), sk.poisson((4, 3), h=(0.5, 0.25), coeffs=(2.0, 3.0))
                               .toarray(), rtol=1e-14)
    blk = cupy_.poisson((4, 3), h=(0.5, 0.25), coeffs=(2.0, 3.0), rows=(2, 7), xp_name=ns.name)
    np.testing.assert_allclose(hx(blk), ref[2:7], rtol=1e-14)
    with pytest.raises(sk.InputValueError, match="dimensions"):
        cupy_.poisson((2, 2, 2, 2), xp_name=ns.name)
    with pytest.raises(sk.InputValueError):
        cupy_.poisson((0, 3), xp_name=ns.name)
    with pytest.raises(sk.InputValueError, match="> 0"):
        cupy_.poisson((3, 3), h=-1.0, xp_name=ns.name)
    with pytest.raises(sk.ShapeError, match="per axis"):
        cupy_.poisson((3, 3), coeffs=(1.0, 2.0, 3.0), xp_name=ns.name)
    with pytest.raises(sk.InputValueError, match="rows"):
        cupy_.poisson((3, 3), rows=(5, 2), xp_name=ns.name)


def loop_cooccurrence(docs, window, V, symmetric=True, harmonic=False, min_count=None):
    C = np.zeros((V, V))
    counts = np.bincount(np.concatenate(docs), minlength=V)
    for doc in docs:
        for p in range(len(doc)):
            for d in range(1, window + 1):
                if p + d >= len(doc):
                    break
                a, b = doc[p], doc[p + d]
                if min_count is not None and (counts[a] < min_count or counts[b] < min_count):
                    continue
                w = 1.0 / d if harmonic else 1.0
                C[a, b] += w
                if symmetric:
                    C[b, a] += w
    return C


@pytest.mark.parametrize("symmetric", [True, False])
@pytest.mark.parametrize("weighting", ["count", "harmonic"])
def test_cooccurrence_matches_loop(ns, symmetric, weighting):
    rng = np.random.default_rng(7)
    docs = [rng.integers(0, 12, n) for n in (30, 1, 17, 9)]
    C = cupy_.cooccurrence([to_device(d, ns) for d in docs], window=4, vocab_size=15,
                           symmetric=symmetric, weighting=weighting, chunk_size=11,
                           xp_name=ns.name)
    ref = loop_cooccurrence(docs, 4, 15, symmetric, weighting == "harmonic")
    np.testing.assert_allclose(hx(C), ref, atol=1e-13)
    cpu = cpu_builder(sk.cooccurrence, docs, window=4, vocab_size=15, symmetric=symmetric,
                      weighting=weighting)
    if cpu is not None:
        np.testing.assert_allclose(hx(C), cpu.toarray(), atol=1e-12)


def test_cooccurrence_stream_min_count_and_totals(ns):
    tokens = np.random.default_rng(8).zipf(1.5, 500) % 40
    C = cupy_.cooccurrence(to_device(tokens, ns), window=3, vocab_size=40, min_count=5,
                           chunk_size=64, xp_name=ns.name)
    np.testing.assert_allclose(hx(C), loop_cooccurrence([tokens], 3, 40, min_count=5))
    full = cupy_.cooccurrence(to_device(tokens, ns), window=3, xp_name=ns.name)
    assert hx(full).sum() == 2 * sum(len(tokens) - d for d in (1, 2, 3))
    # input forms of sk.cooccurrence: a list of ints is one document, 2-D rows are documents
    one = cupy_.cooccurrence([0, 1, 2, 0], window=1, xp_name=ns.name)
    np.testing.assert_array_equal(hx(one), loop_cooccurrence([np.array([0, 1, 2, 0])], 1, 3))
    rows = np.array([[0, 1, 2], [2, 1, 0]])
    two = cupy_.cooccurrence(to_device(rows, ns), window=2, symmetric=False, xp_name=ns.name)
    np.testing.assert_array_equal(hx(two), loop_cooccurrence(list(rows), 2, 3, symmetric=False))
    cpu = cpu_builder(sk.cooccurrence, rows, window=2, symmetric=False)
    if cpu is not None:
        np.testing.assert_array_equal(hx(two), cpu.toarray())


def test_cooccurrence_bad_input(ns):
    t = np.array([0, 1, 2])
    with pytest.raises(sk.InputValueError, match="window"):
        cupy_.cooccurrence(t, window=0, xp_name=ns.name)
    with pytest.raises(sk.InputValueError, match="vocab_size"):
        cupy_.cooccurrence(t, vocab_size=2, xp_name=ns.name)
    with pytest.raises(sk.InputValueError, match=">= 0"):
        cupy_.cooccurrence(np.array([0, -1]), xp_name=ns.name)
    with pytest.raises(sk.InputValueError, match="integers"):
        cupy_.cooccurrence(np.array([0.5, 1.0]), xp_name=ns.name)
    with pytest.raises(sk.UnknownMethodError, match="weighting"):
        cupy_.cooccurrence(t, weighting="ppmi", xp_name=ns.name)


# --------------------------------------------------------------------- batched dense


def test_dense_solve_batched_complex(ns):
    rng = np.random.default_rng(9)
    A = rng.standard_normal((500, 8, 8)) + 1j * rng.standard_normal((500, 8, 8))
    b = rng.standard_normal((500, 8)) + 1j * rng.standard_normal((500, 8))
    r = cupy_.dense_solve(to_device(A, ns), to_device(b, ns), xp_name=ns.name)
    ref = np.linalg.solve(A, b[..., None])[..., 0]
    np.testing.assert_allclose(hx(r.x), ref, rtol=1e-9, atol=1e-12)
    assert r.converged and r.method == "dense" and r.relative_residual < 1e-10
    B = rng.standard_normal((500, 8, 3))
    r = cupy_.dense_solve(to_device(A, ns), to_device(B, ns), xp_name=ns.name)
    np.testing.assert_allclose(hx(r.x), np.linalg.solve(A, B), rtol=1e-9, atol=1e-12)
    with pytest.raises(sk.NotSquareError):
        cupy_.dense_solve(to_device(A[:, :, :7], ns), to_device(b, ns), xp_name=ns.name)
    with pytest.raises(sk.ShapeError):
        cupy_.dense_solve(to_device(A, ns), to_device(b[:10], ns), xp_name=ns.name)


def test_dense_svd_batched_complex(ns):
    rng = np.random.default_rng(10)
    A = rng.standard_normal((300, 8, 8)) + 1j * rng.standard_normal((300, 8, 8))
    U, s, Vh = (hx(x) for x in cupy_.dense_svd(to_device(A, ns), xp_name=ns.name))
    np.testing.assert_allclose(s, np.linalg.svd(A, compute_uv=False), rtol=1e-10)
    np.testing.assert_allclose((U * s[:, None, :]) @ Vh, A, atol=1e-10)


# --------------------------------------------------------------------- the public API


@pytest.fixture
def substitute(monkeypatch):
    """Make backend='cupy' run this code path with numpy (the dispatch, end to end)."""
    from sparsekit.backends.cupy_ import _namespace

    numpy_ns = _namespace.namespace("numpy")
    monkeypatch.setattr(_namespace, "namespace", lambda name="cupy": numpy_ns)
    return numpy_ns


def test_public_api_dispatches_here_and_agrees_with_scipy(substitute):
    A = poisson2d(24)
    b = np.random.default_rng(11).standard_normal(A.shape[0])
    r = sk.solve(A, b, backend="cupy")
    ref = sk.solve(A, b, backend="scipy")
    assert r.backend == "numpy-substitute" and r.converged
    np.testing.assert_allclose(r.x, ref.x, rtol=1e-6, atol=1e-9)
    direct = sk.solve(A, b, backend="scipy", method="direct")
    for method in ("cg", "minres", "gmres"):
        r = sk.solve(A, b, backend="cupy", method=method, precond="jacobi", rtol=1e-9)
        assert r.converged and r.method == method
        # forward error <= cond(A) * rtol; cond(A) ~ 3e2 here
        assert np.linalg.norm(r.x - direct.x) <= 1e-6 * np.linalg.norm(direct.x)
    edges = random_edges(30, 90)
    np.testing.assert_allclose(sk.laplacian(edges, "normalized", n=30, backend="cupy").toarray(),
                               sk.laplacian(edges, "normalized", n=30).toarray(), atol=1e-14)
    np.testing.assert_allclose(sk.poisson((5, 4), bc="neumann", backend="cupy").toarray(),
                               sk.poisson((5, 4), bc="neumann").toarray(), atol=1e-14)
    try:
        e = sk.eigsh(A, k=4, backend="cupy")
        ref = sk.eigsh(A, k=4, backend="scipy")
    except NotImplementedError:
        return  # sk.eigsh not merged here yet
    assert e.backend == "numpy-substitute"
    np.testing.assert_allclose(e.values, ref.values, rtol=1e-7)


# Every name the backend documents, through the front door (sk.solve / sk.eigsh with
# backend="cupy"), against a reference that could disagree.  The registries are pinned so
# that a name added to one is a visible act, and is then reached by the tests below.
SOLVE_NAMES = {"methods": {"auto", "cg", "minres", "gmres"},
               "preconds": {"auto", "none", "jacobi", "amg"}}
EIGEN_NAMES = {"methods": {"auto", "lanczos", "arpack", "lobpcg", "shift_invert", "dense"},
               "preconds": {"auto", "none", "jacobi", "amg"}}


def test_backend_registries_are_the_documented_names():
    assert set(cupy_.SOLVE_METHODS) == SOLVE_NAMES["methods"]
    assert set(cupy_.SOLVE_PRECONDS) == SOLVE_NAMES["preconds"]
    assert set(cupy_.EIGEN_METHODS) == EIGEN_NAMES["methods"]
    assert set(cupy_.EIGEN_PRECONDS) == EIGEN_NAMES["preconds"]
    assert set(cupy_.SOLVE_OPTIONS) == set(cupy_.EIGEN_OPTIONS) == {"xp_name", "smoother",
                                                                      "sweeps"}
    # the names from before the backend contract still import
    assert cupy_.METHODS is cupy_.SOLVE_METHODS and cupy_.PRECONDS is cupy_.SOLVE_PRECONDS
    assert set(cupy_.WHICH) == {"smallest", "largest", "nearest"}


def spd_variable_diagonal(m, seed):
    """2-D Poisson plus a random positive diagonal: SPD, and Jacobi is not a mere scaling."""
    A = poisson2d(m)
    d = np.random.default_rng(seed).uniform(0.0, 1.0, A.shape[0])
    return sp.csr_array(A + sp.diags_array(d))


@pytest.mark.parametrize("precond", sorted(SOLVE_NAMES["preconds"]))
@pytest.mark.parametrize("method", sorted(SOLVE_NAMES["methods"]))
def test_front_door_reaches_every_solve_name(ns, method, precond):
    A = spd_variable_diagonal(24, 12)
    b = np.random.default_rng(13).standard_normal(A.shape[0])
    r = sk.solve(to_device(A, ns), to_device(b, ns), backend="cupy", method=method,
                 precond=precond, rtol=1e-10, maxiter=4000, xp_name=ns.name)
    ran = "cg" if method == "auto" else method  # SPD with a positive diagonal
    assert (r.method, r.backend, r.converged) == (ran, ns.backend, True)
    assert r.precond == ({"cg": "amg"}.get(ran, "jacobi") if precond == "auto" else precond)
    x = hx(r.x)
    assert np.linalg.norm(b - A @ x) <= 1e-10 * np.linalg.norm(b) * (1 + 1e-6)
    x_ref = spla.spsolve(sp.csc_array(A), b)
    np.testing.assert_allclose(x, x_ref, rtol=0, atol=1e-8 * np.abs(x_ref).max())


@pytest.fixture(scope="module")
def eigen_case():
    """n = 529 > the dense threshold (500), so "auto" has to choose an iterative method."""
    A = spd_variable_diagonal(23, 14)
    return A, np.linalg.eigvalsh(A.toarray())


@pytest.mark.parametrize("precond", sorted(EIGEN_NAMES["preconds"]))
@pytest.mark.parametrize("method", sorted(EIGEN_NAMES["methods"]))
def test_front_door_reaches_every_eigen_name(ns, eigen_case, method, precond):
    A, w_ref = eigen_case
    k = 4
    e = sk.eigsh(to_device(A, ns), k, backend="cupy", method=method, precond=precond,
                 xp_name=ns.name)
    ran = {"auto": "lobpcg", "arpack": "lanczos"}.get(method, method)
    assert (e.method, e.backend) == (ran, ns.backend) and e.all_converged
    np.testing.assert_allclose(e.values, w_ref[:k], rtol=1e-7)
    V = hx(e.vectors)
    true = np.linalg.norm(A @ V - V * e.values, axis=0)
    np.testing.assert_allclose(true, e.residuals, rtol=1e-6, atol=1e-12)
    assert np.all(true <= 1e-8 * np.abs(A).sum(axis=0).max() * (1 + 1e-6))
    np.testing.assert_allclose(V.T @ V, np.eye(k), atol=1e-7)
    if ran == "lobpcg":  # the one method that takes a preconditioner
        assert f"LOBPCG preconditioner: {'amg' if precond == 'auto' else precond}" in e.notes


def test_front_door_passes_the_expert_options(ns):
    A = poisson2d(20)
    b = np.ones(A.shape[0])
    r = sk.solve(to_device(A, ns), to_device(b, ns), backend="cupy", method="cg",
                 precond="amg", smoother="jacobi", sweeps=1, xp_name=ns.name)
    assert r.converged and any("V-cycle with jacobi smoothing" in n for n in r.notes)
    e = sk.eigsh(to_device(A, ns), 2, backend="cupy", method="lobpcg", smoother="jacobi",
                 xp_name=ns.name)
    assert e.all_converged and any("V-cycle with jacobi smoothing" in n for n in e.notes)


@pytest.mark.parametrize(("call", "name", "value", "registry"), [
    ("solve", "method", "bicgstab", "SOLVE_METHODS"),
    ("solve", "precond", "ilu", "SOLVE_PRECONDS"),      # a CPU name, not this backend's
    ("eigsh", "method", "krylovschur", "EIGEN_METHODS"),  # a PETSc name
    ("eigsh", "precond", "ilu", "EIGEN_PRECONDS"),
])
def test_front_door_refuses_a_name_with_the_list_it_accepts(call, name, value, registry):
    A, b = poisson2d(6), np.ones(36)
    accepted = re.escape(str(sorted(getattr(cupy_, registry))))
    calls = {  # the front door, and the keyword function that builds the same request
        "solve": (lambda **kw: sk.solve(A, b, backend="cupy", **kw),
                  lambda **kw: cupy_.solve(A, b, **kw)),
        "eigsh": (lambda **kw: sk.eigsh(A, 2, backend="cupy", **kw),
                  lambda **kw: cupy_.eigsh(A, k=2, **kw)),
    }
    for fn in calls[call]:
        with pytest.raises(sk.UnknownMethodError, match=rf"{name} '{value}'.*{accepted}"):
            fn(xp_name="numpy", **{name: value})


def test_front_door_refuses_an_unknown_option_by_name():
    A, b = poisson2d(6), np.ones(36)
    accepted = re.escape("accepted: ['smoother', 'sweeps', 'xp_name']")
    with pytest.raises(sk.InputValueError, match=rf"unknown option 'restart'.*{accepted}"):
        sk.solve(A, b, backend="cupy", method="gmres", restart=20, xp_name="numpy")
    with pytest.raises(sk.InputValueError, match=rf"unknown option 'nev'.*{accepted}"):
        sk.eigsh(A, 2, backend="cupy", nev=20, xp_name="numpy")


def test_public_api_without_cupy(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)
    with pytest.raises(sk.MissingDependencyError, match=r"sparsekit\[gpu\]"):
        sk.solve(poisson2d(4), np.ones(16), backend="cupy")
    with pytest.raises(sk.MissingDependencyError):
        sk.laplacian((np.array([0]), np.array([1])), n=2, backend="cupy")


# --------------------------------------------------------------------- the benchmark script


def test_gpu_bench_cpu_smoke(tmp_path):
    out = tmp_path / "figures"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gpu_bench.py"), "--cpu-smoke", "--out", str(out)],
        capture_output=True, text=True, timeout=240, cwd=ROOT,
        env={**__import__("os").environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    import json

    data = json.loads((out.with_suffix(".json")).read_text())
    assert {"poisson", "eigen", "builders", "dense"} <= set(data["figures"])
    for row in data["figures"]["poisson"]:
        assert row["relative_residual"] <= 1e-8 * 1.0001
    for row in data["figures"]["eigen"]:
        assert row["all_converged"]
    assert "| " in out.with_suffix(".md").read_text()


def test_no_cupy_import_elsewhere():
    """cupy is imported in the GPU backend's namespace module only (STYLE item 7)."""
    offenders = []
    for path in (ROOT / "sparsekit").rglob("*.py"):
        if path.parent.name == "cupy_":
            continue
        if re.search(r"^\s*(import\s+cupyx?\b(?!_)|from\s+cupyx?[\s.])", path.read_text(),
                     flags=re.MULTILINE):
            offenders.append(str(path))
    assert not offenders
