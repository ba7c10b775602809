"""Finite differences and P1 elements against dense numpy, SciPy's LaplacianNd, scikit-fem."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from hypothesis import given, settings
from hypothesis import strategies as st

import sparsekit as sk

skfem = pytest.importorskip("skfem")
from skfem.models.elasticity import lame_parameters, linear_elasticity  # noqa: E402
from skfem.models.poisson import laplace, mass  # noqa: E402


def dense_1d(n, bc, h, a):
    T = (2 * np.eye(n) - np.eye(n, k=1) - np.eye(n, k=-1)) * a / h**2
    if bc == "neumann":
        T[0, 0] = T[-1, -1] = a / h**2
    return T


def dense_kron_sum(shape, bc, h, a):
    """sum_d I x ... x T_d x ... x I, written with numpy.kron (C order: axis 0 slowest)."""
    N = int(np.prod(shape))
    A = np.zeros((N, N))
    for d, n in enumerate(shape):
        left = np.eye(int(np.prod(shape[:d])))
        right = np.eye(int(np.prod(shape[d + 1:])))
        A += np.kron(np.kron(left, dense_1d(n, bc, h[d], a[d])), right)
    return A


CASES = [((7,), 1.0, 1.0), ((4, 5), 0.25, (1.0, 3.0)),
         ((3, 4, 5), (0.5, 1.0, 2.0), (2.0, 1.0, 0.5))]


@pytest.mark.parametrize("bc", ["dirichlet", "neumann"])
@pytest.mark.parametrize("shape,h,a", CASES)
def test_poisson_matches_dense_kronecker_sum_and_closed_form_spectrum(shape, h, a, bc):
    nd = len(shape)
    hh, aa = np.broadcast_to(h, (nd,)), np.broadcast_to(a, (nd,))
    A = sk.poisson(shape, bc, h=h, coeffs=a)
    ref = dense_kron_sum(shape, bc, hh, aa)
    np.testing.assert_allclose(A.toarray(), ref, rtol=1e-14, atol=1e-12)
    lam = sk.fem.poisson_eigenvalues(shape, bc=bc, h=h, coeffs=a)
    np.testing.assert_allclose(lam, np.linalg.eigvalsh(ref), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(sk.fem.poisson_eigenvalues(shape, 3, bc, h=h, coeffs=a), lam[:3])


@pytest.mark.parametrize("bc", ["dirichlet", "neumann"])
def test_poisson_matches_scipy_laplacian_nd(bc):
    shape = (6, 5, 4)
    ref = -spla.LaplacianNd(shape, boundary_conditions=bc).tosparse()
    assert abs(sk.poisson(shape, bc) - ref).max() == 0
    np.testing.assert_allclose(
        sk.fem.poisson_eigenvalues(shape, bc=bc),
        np.sort(-spla.LaplacianNd(shape, boundary_conditions=bc).eigenvalues()), atol=1e-12)


def test_poisson_matches_the_shipped_dataset_and_large_grid_spectrum():
    assert abs(sk.poisson((64, 64)) - sk.datasets.load("poisson2d_64")).max() == 0
    A = sk.poisson((40, 30), h=1 / 41)
    vals = spla.eigsh(A.tocsc(), k=4, sigma=0, return_eigenvectors=False)
    np.testing.assert_allclose(np.sort(vals), sk.fem.poisson_eigenvalues((40, 30), 4, h=1 / 41),
                               rtol=1e-9)


def test_poisson_rows_block_and_formats():
    full = sk.poisson((5, 6, 7), "neumann")
    for start, stop in [(0, 210), (13, 77), (200, 210), (50, 50)]:
        blk = sk.poisson((5, 6, 7), "neumann", rows=(start, stop))
        assert blk.shape == (stop - start, 210)
        assert abs(blk - full[start:stop]).max() == 0 if stop > start else blk.nnz == 0
    for fmt in ("csr", "csc", "coo"):
        A = sk.poisson((3, 3), format=fmt, dtype=np.float32)
        assert A.format == fmt and A.dtype == np.float32 and isinstance(A, sp.sparray)


def test_finite_differences_live_in_stencil_and_fem_re_exports_them():
    from sparsekit.builders import stencil

    assert sk.poisson is stencil.poisson is sk.fem.poisson
    assert sk.fem.poisson_eigenvalues is stencil.poisson_eigenvalues
    assert {"poisson", "poisson_eigenvalues"} <= set(sk.fem.__all__)


def perturbed_square(n, seed, amount=0.25):
    points, cells = sk.fem.unit_square(n)
    rng = np.random.default_rng(seed)
    inner = np.all((points > 0) & (points < 1), axis=1)
    points = points.copy()
    points[inner] += rng.uniform(-amount, amount, (inner.sum(), 2)) / n
    return points, cells


def skfem_p1(points, cells):
    if points.shape[1] == 2:
        mesh, elem = skfem.MeshTri(points.T.copy(), cells.T.copy()), skfem.ElementTriP1()
    else:
        mesh, elem = skfem.MeshTet(points.T.copy(), cells.T.copy()), skfem.ElementTetP1()
    basis = skfem.Basis(mesh, elem)
    return skfem.asm(laplace, basis), skfem.asm(mass, basis), mesh


def rel_err(A, B):
    return abs(sp.csr_array(A) - sp.csr_array(B)).max() / abs(sp.csr_array(B)).max()


# the large cases go through the sort-based assembly (more than 2**15 entries)
@pytest.mark.parametrize("mesh", ["square", "cube", "circle", "tetmesh", "square_large",
                                  "cube_large"])
def test_p1_matches_scikit_fem(mesh):
    if mesh.startswith("square"):
        points, cells = perturbed_square(12 if mesh == "square" else 110, 0)
    elif mesh.startswith("cube"):
        points, cells = sk.fem.unit_cube(5 if mesh == "cube" else 12)
    elif mesh == "circle":
        m = skfem.MeshTri.init_circle(4)
        points, cells = m.p.T, m.t.T
    else:
        m = skfem.MeshTet.init_ball(2)
        points, cells = m.p.T, m.t.T
    K, M = sk.fem.p1(points, cells)
    K0, M0, m = skfem_p1(points, cells)
    assert rel_err(K, K0) < 1e-12
    assert rel_err(M, M0) < 1e-12
    np.testing.assert_array_equal(sk.fem.boundary_nodes(points, cells),
                                  np.sort(m.boundary_nodes()))
    Kl, Ml = sk.fem.p1(points, cells, mass="lumped")
    assert abs(Kl - K).max() <= 1e-14 * abs(K).max()
    assert Ml.nnz == len(points) and np.all(Ml.indices == np.arange(len(points)))
    np.testing.assert_allclose(Ml.diagonal(), M.sum(axis=1), atol=1e-15)


def test_p1_format_dtype_and_measure():
    points, cells = sk.fem.unit_cube(3)
    K, M = sk.fem.p1(points, cells, format="coo", dtype=np.float32)
    assert K.format == M.format == "coo" and K.dtype == M.dtype == np.float32
    K, M = sk.fem.p1(points, cells)
    assert np.isclose(M.sum(), 1.0)  # the volume
    x = points[:, 0]  # M integrates linear functions exactly: int x = 1/2
    assert np.isclose(np.ones(len(x)) @ M @ x, 0.5)
    assert np.isclose(x @ K @ x, 1.0)  # int |grad x|^2 over the unit cube


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 6), seed=st.integers(0, 10_000))
def test_stiffness_is_symmetric_psd_with_constants_in_null_space(n, seed):
    points, cells = perturbed_square(n, seed, amount=0.3)
    K, M = sk.fem.p1(points, cells)
    Kd = K.toarray()
    np.testing.assert_allclose(Kd, Kd.T, atol=1e-14)
    np.testing.assert_allclose(Kd @ np.ones(len(points)), 0, atol=1e-12)
    ev = np.linalg.eigvalsh(Kd)
    assert ev[0] > -1e-12 and ev[1] > 1e-10  # one-dimensional null space (connected mesh)
    assert np.linalg.eigvalsh(M.toarray())[0] > 0


def test_manufactured_solution_converges_at_second_order():
    """-lap u = 2 pi^2 sin(pi x) sin(pi y) on the unit square, u = 0 on the boundary."""
    errors = []
    for n in (8, 16, 32):
        points, cells = sk.fem.unit_square(n)
        K, M = sk.fem.p1(points, cells)
        x, y = points.T
        u = np.sin(np.pi * x) * np.sin(np.pi * y)
        b = M @ (2 * np.pi**2 * u)
        bnd = sk.fem.boundary_nodes(points, cells)
        A, rhs = sk.fem.apply_dirichlet(K, b, bnd)
        uh = spla.spsolve(A.tocsc(), rhs)
        e = uh - u
        errors.append(np.sqrt(e @ M @ e))
    rates = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all(rates > 1.9), rates


@pytest.mark.parametrize("method", ["eliminate", "penalty"])
def test_apply_dirichlet_matches_the_reduced_system(method):
    points, cells = perturbed_square(6, 3)
    K, M = sk.fem.p1(points, cells)
    n = len(points)
    rng = np.random.default_rng(0)
    b = rng.standard_normal(n)
    bnd = sk.fem.boundary_nodes(points, cells)
    g = rng.standard_normal(bnd.size)
    A, rhs = sk.fem.apply_dirichlet(K, b, bnd, g, method=method)
    u = spla.spsolve(A.tocsc(), rhs)
    inner = np.setdiff1d(np.arange(n), bnd)
    Kd = K.toarray()
    ref = np.empty(n)
    ref[bnd] = g
    ref[inner] = np.linalg.solve(Kd[np.ix_(inner, inner)],
                                 b[inner] - Kd[np.ix_(inner, bnd)] @ g)
    np.testing.assert_allclose(u, ref, rtol=1e-6 if method == "penalty" else 1e-10,
                               atol=1e-6 if method == "penalty" else 1e-10)
    if method == "eliminate":
        np.testing.assert_allclose(A.toarray(), A.toarray().T)
        assert np.linalg.eigvalsh(A.toarray())[0] > 0


@pytest.mark.parametrize("n", [5, 40])
def test_elasticity_matches_scikit_fem_and_has_three_rigid_modes(n):
    points, cells = perturbed_square(n, 1)
    K, B = sk.fem.elasticity(points, cells, E=210.0, nu=0.3)
    mesh = skfem.MeshTri(points.T.copy(), cells.T.copy())
    basis = skfem.Basis(mesh, skfem.ElementVector(skfem.ElementTriP1()))
    assert np.array_equal(basis.nodal_dofs[:, 0], [0, 1])  # same interleaved layout
    K0 = skfem.asm(linear_elasticity(*lame_parameters(210.0, 0.3)), basis)
    assert rel_err(K, K0) < 1e-12
    assert np.abs(K @ B).max() < 1e-10 * abs(K).max()
    if n > 10:
        return
    ev = np.linalg.eigvalsh(K.toarray())
    assert np.all(np.abs(ev[:3]) < 1e-10 * ev[-1]) and ev[3] > 1e-6 * ev[-1]
    assert np.linalg.matrix_rank(B) == 3


# --- bad input --------------------------------------------------------------

def test_cells_indexing_missing_points():
    points, cells = sk.fem.unit_square(2)
    bad = cells.copy()
    bad[3, 1] = len(points)
    with pytest.raises(sk.InputValueError, match="missing points"):
        sk.fem.p1(points, bad)
    bad[3, 1] = -1
    with pytest.raises(sk.InputValueError, match="missing points"):
        sk.fem.p1(points, bad)


def test_degenerate_cells():
    points = np.array([[0.0, 0], [1, 0], [2, 0], [0, 1]])
    cells = np.array([[0, 1, 3], [0, 1, 2]])  # the second is flat
    with pytest.raises(sk.InputValueError, match="degenerate.*cell 1"):
        sk.fem.p1(points, cells)
    with pytest.raises(sk.InputValueError, match="degenerate"):
        sk.fem.p1(points, np.array([[0, 1, 1]]))  # repeated vertex


def test_degenerate_cells_found_past_the_first_block():
    """The triangle loop runs in blocks; the error still counts and names them all."""
    points, cells = sk.fem.unit_square(200)  # 80,000 triangles, several blocks
    cells = cells.copy()
    cells[50_000, 2] = cells[50_000, 0]
    cells[70_001, 1] = cells[70_001, 2]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # raised before any division by zero
        with pytest.raises(sk.InputValueError, match=r"2 degenerate.*cell 50000"):
            sk.fem.p1(points, cells)


def test_other_bad_inputs():
    points, cells = sk.fem.unit_square(2)
    with pytest.raises(sk.ShapeError, match="n_cells, 3"):
        sk.fem.p1(points, cells[:, :2])
    with pytest.raises(sk.ShapeError, match="points"):
        sk.fem.p1(points[:, :1], cells)
    with pytest.raises(sk.UnknownMethodError, match="mass"):
        sk.fem.p1(points, cells, mass="diagonal")
    with pytest.raises(sk.UnknownMethodError, match="bc"):
        sk.poisson(4, "robin")
    with pytest.raises(sk.InputValueError, match="h must"):
        sk.poisson(4, h=0.0)
    with pytest.raises(sk.ShapeError, match="coeffs"):
        sk.poisson((4, 4), coeffs=(1.0, 2.0, 3.0))
    with pytest.raises(sk.InputValueError, match="1, 2 or 3"):
        sk.poisson((2, 2, 2, 2))
    with pytest.raises(sk.InputValueError, match="rows"):
        sk.poisson(4, rows=(2, 9))
    with pytest.raises(sk.InputValueError, match="nu"):
        sk.fem.elasticity(points, cells, nu=0.5)
    with pytest.raises(sk.InputValueError, match="nodes"):
        sk.fem.apply_dirichlet(sp.eye_array(3), np.ones(3), [5])


# ---------------------------------------------------------------------------
# issue 18: dtypes and the memory preflight
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["foo", object, np.float16])
def test_fem_builders_refuse_non_numeric_dtypes(dtype):
    with pytest.raises(sk.InputValueError, match="dtype"):
        sk.poisson((3, 3), dtype=dtype)
    with pytest.raises(sk.InputValueError, match="dtype"):
        sk.fem.p1(*sk.fem.unit_square(2), dtype=dtype)


@pytest.mark.parametrize("build, message", [
    (lambda: sk.poisson((10**6, 10**6)), "1000000x1000000 Poisson"),
    (lambda: sk.poisson(10**12), "1,000,000,000,000 unknowns"),
    (lambda: sk.fem.unit_square(10**6), "square mesh"),
    (lambda: sk.fem.unit_cube(10**5), "cube mesh"),
])
def test_huge_grids_meet_the_memory_preflight(build, message):
    with pytest.raises(sk.errors.InsufficientMemoryError, match=message) as info:
        build()
    assert "would need" in str(info.value) and info.value.needed > 2**40


@pytest.mark.parametrize("shape", [(300, 300), (40, 40, 40)])
def test_the_poisson_preflight_bounds_the_measured_peak(monkeypatch, shape):
    import tracemalloc

    from sparsekit.builders import stencil

    asked = []
    real = stencil.check_memory
    monkeypatch.setattr(stencil, "check_memory",
                        lambda n, what: (asked.append(n), real(n, what)))
    tracemalloc.start()
    sk.poisson(shape)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak <= asked[0] <= 3 * peak


def test_the_p1_preflight_bounds_the_measured_peak(monkeypatch):
    import tracemalloc

    from sparsekit.builders import fem

    asked = []
    real = fem.check_memory
    monkeypatch.setattr(fem, "check_memory", lambda n, what: (asked.append(n), real(n, what)))
    points, cells = sk.fem.unit_square(200)
    tracemalloc.start()
    sk.fem.p1(points, cells)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak <= asked[-1] <= 3 * peak
