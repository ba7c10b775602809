import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import sparsekit as sk
from sparsekit.datasets import _poisson2d
from sparsekit.linalg._cache import CACHE

# every test starts and ends with an empty cache, dense references on one BLAS thread
pytestmark = pytest.mark.usefixtures("fresh_cache")


def _spd(n, seed=0):
    rng = np.random.default_rng(seed)
    R = sp.random_array((n, n), density=0.05, rng=rng)
    return sp.csr_array(R @ R.T + n * sp.eye_array(n))


@pytest.mark.parametrize("name", ["bcsstk09", "nos6", "1138_bus", "494_bus", "gr_30_30"])
def test_cholesky_real_spd_matches_dense(real, name):
    A = real(name)
    F = sk.factorize(A, cache=False)
    assert F.kind == "cholesky" and F.ordering == "MMD_AT_PLUS_A"
    b = np.random.default_rng(1).standard_normal(A.shape[0])
    x_ref = np.linalg.solve(A.toarray(), b)
    x = F.solve(b)
    # backward error at rounding level, and the dense solution to the digits cond(A) allows
    anorm = np.abs(A).sum(axis=0).max()
    assert np.linalg.norm(b - A @ x) <= 1e-13 * anorm * np.linalg.norm(x)
    np.testing.assert_allclose(x, x_ref, rtol=1e-5, atol=1e-5 * np.abs(x_ref).max())


def test_symmetric_ordering_beats_colamd_fill(real):
    A = real("bcsstk13")
    F = sk.factorize(A, "cholesky", cache=False)
    colamd = spla.splu(sp.csc_array(A))
    assert F.fill_ratio < 0.75 * colamd.nnz / A.nnz


@pytest.mark.parametrize("name", ["west0479", "orsirr_1", "sherman5"])
def test_lu_nonsymmetric_real(real, name):
    A = real(name)
    F = sk.factorize(A, cache=False)
    assert F.kind == "lu" and F.ordering == "COLAMD"
    B = np.random.default_rng(2).standard_normal((A.shape[0], 3))
    X = F.solve(B)
    assert X.shape == B.shape
    X_ref = np.linalg.solve(A.toarray(), B)
    np.testing.assert_allclose(X, X_ref, rtol=1e-6, atol=1e-8 * np.abs(X_ref).max())


def test_negative_definite_auto_falls_back_to_lu(real):
    A = real("sherman1")  # symmetric, negative definite
    F = sk.factorize(A, cache=False)
    assert F.kind == "lu" and F.ordering == "MMD_AT_PLUS_A"
    b = np.ones(A.shape[0])
    np.testing.assert_allclose(F.solve(b), np.linalg.solve(A.toarray(), b), rtol=1e-8)
    with pytest.raises(sk.NotSPDError):
        sk.factorize(A, "cholesky", cache=False)


def test_indefinite_positive_diagonal_falls_back():
    A = sp.csr_array(np.array([[1.0, 2.0], [2.0, 1.0]]))
    F = sk.factorize(A)
    assert F.kind == "lu"
    np.testing.assert_allclose(F.solve([3.0, 3.0]), [1.0, 1.0])


def test_cholesky_needs_symmetric():
    A = sp.csr_array(np.array([[2.0, 1.0], [0.0, 2.0]]))
    with pytest.raises(sk.NotSymmetricError, match="kind='lu'"):
        sk.factorize(A, "cholesky")


def test_shift_and_mass_matrix_match_dense():
    A = _spd(60)
    M = sp.diags_array(np.linspace(1, 2, 60)).tocsr()
    sigma = 3.7
    F = sk.factorize(A, shift=sigma, M=M)
    b = np.arange(60.0)
    np.testing.assert_allclose(F.solve(b), np.linalg.solve((A - sigma * M).toarray(), b), rtol=1e-9)
    assert "shift=3.7" in repr(F)


def test_shift_at_eigenvalue_is_singular():
    A = sp.diags_array([1.0, 2.0, 3.0]).tocsc()
    with pytest.raises(sk.SingularMatrixError, match="sigma"):
        sk.factorize(A, shift=2.0)
    with pytest.raises(sk.SingularMatrixError):
        sk.factorize(A.toarray(), kind="lu", shift=2.0)


def test_cache_hit_and_miss_on_edit():
    A = _poisson2d(20)
    F1 = sk.factorize(A)
    assert sk.factorize(A.tocoo()) is F1
    assert sk.cache_info().entries == 1 and sk.cache_info().nbytes == F1.nbytes
    A2 = A.copy()
    A2.data[0] += 1.0
    assert sk.factorize(A2) is not F1
    assert sk.factorize(A, shift=0.5) is not F1
    assert sk.factorize(A, cache=False) is not F1
    sk.clear_cache()
    assert sk.factorize(A) is not F1


def test_cache_bounded_by_memory():
    A = _poisson2d(20)
    nb = sk.factorize(A, cache=False).nbytes
    old = CACHE.limit
    try:
        sk.set_cache_limit(nb + 10)
        sk.factorize(A)
        sk.factorize(A, shift=0.1)
        assert sk.cache_info().entries == 1
        assert sk.cache_info().nbytes <= nb + 10
    finally:
        sk.set_cache_limit(old)


def test_two_d_and_complex_rhs_and_operator():
    A = _spd(40, seed=3)
    F = sk.factorize(A)
    Ad = A.toarray()
    B = np.random.default_rng(0).standard_normal((40, 4))
    np.testing.assert_allclose(F.solve(B), np.linalg.solve(Ad, B), rtol=1e-9)
    bc = B[:, 0] + 1j * B[:, 1]
    np.testing.assert_allclose(F.solve(bc), np.linalg.solve(Ad, bc), rtol=1e-9)
    op = F.aslinearoperator()
    np.testing.assert_allclose(op @ B[:, 2], np.linalg.solve(Ad, B[:, 2]), rtol=1e-9)
    np.testing.assert_allclose(op.rmatvec(B[:, 2]), np.linalg.solve(Ad.T, B[:, 2]), rtol=1e-9)


def test_transpose_solve_nonsymmetric(real):
    A = real("west0479")
    F = sk.factorize(A)
    b = np.ones(A.shape[0])
    x = F.solve(b, trans="T")
    assert np.linalg.norm(A.T @ x - b) <= 1e-6 * np.linalg.norm(b) * np.linalg.norm(x)


@pytest.mark.parametrize("kind", ["auto", "lu", "cholesky"])
def test_dense_input(kind):
    A = _spd(30, seed=4).toarray()
    F = sk.factorize(A, kind)
    assert F.ordering == "lapack"
    b = np.ones(30)
    np.testing.assert_allclose(F.solve(b), np.linalg.solve(A, b), rtol=1e-10)
    np.testing.assert_allclose(F.solve(b, trans="T"), np.linalg.solve(A.T, b), rtol=1e-10)


def test_repr_has_statistics():
    F = sk.factorize(_poisson2d(10))
    r = repr(F)
    for word in ("cholesky", "fill_ratio", "nbytes", "setup_time", "(100, 100)"):
        assert word in r


def test_bad_inputs():
    A = _poisson2d(5)
    with pytest.raises(sk.UnknownMethodError, match="cholesky"):
        sk.factorize(A, kind="qr")
    with pytest.raises(sk.UnknownMethodError, match="COLAMD"):
        sk.factorize(A, ordering="metis")
    with pytest.raises(sk.NotSquareError):
        sk.factorize(sp.random_array((4, 5), density=0.5))
    B = A.copy()
    B.data[3] = np.nan
    with pytest.raises(sk.InputValueError, match="NaN"):
        sk.factorize(B)
    with pytest.raises(sk.ShapeError):
        sk.factorize(A, shift=1.0, M=sp.eye_array(3))
    with pytest.raises(sk.ShapeError):
        sk.factorize(A).solve(np.ones(7))


def _tree_laplacian(n, shift, seed=0):
    import networkx as nx

    L = nx.laplacian_matrix(nx.random_labeled_tree(n, seed=seed)).astype(float)
    return sp.csr_array(L + shift * sp.eye_array(n))


def test_ldl_engine_on_a_tree_matches_dense_and_superlu():
    # a tree's shifted Laplacian stores 3 entries per row: QDLDL's territory
    A = _tree_laplacian(400, 0.05)
    F = sk.factorize(A, cache=False)
    assert (F.kind, F.engine, F.ordering) == ("cholesky", "qdldl", "AMD")
    B = np.random.default_rng(3).standard_normal((400, 3))
    X = F.solve(B)
    assert X.shape == B.shape
    np.testing.assert_allclose(X, np.linalg.solve(A.toarray(), B), rtol=1e-9,
                               atol=1e-12 * np.abs(X).max())
    S = sk.factorize(A, "cholesky", ordering="MMD_AT_PLUS_A", cache=False)
    assert S.engine == "superlu"  # an explicit ordering is SuperLU's
    np.testing.assert_allclose(F.solve(B[:, 0]), S.solve(B[:, 0]), rtol=1e-10)
    # a tree eliminates leaf-first without fill: L has n - 1 entries below its unit diagonal
    assert F.fill_ratio == pytest.approx((2 * 400 - 1) / A.nnz)
    assert "engine='qdldl'" in repr(F)


def test_ldl_engine_on_a_road_network(real):
    L = sk.laplacian(real("luxembourg_osm"))
    A = sp.csr_array(L + 1e-6 * sp.diags_array(L.diagonal()))
    F = sk.factorize(A, cache=False)
    assert F.engine == "qdldl"
    b = np.random.default_rng(4).standard_normal(A.shape[0])
    x = F.solve(b)
    assert np.linalg.norm(A @ x - b) <= 1e-12 * np.abs(A).sum(axis=0).max() * np.linalg.norm(x)
    lu = spla.splu(sp.csc_array(A), permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                   options=dict(SymmetricMode=True))
    np.testing.assert_allclose(x, lu.solve(b), rtol=1e-7, atol=1e-9 * np.abs(x).max())


def test_ldl_engine_indefinite_and_singular():
    A = _tree_laplacian(200, -0.5)  # eigenvalues below 0.5 turn negative: indefinite
    with pytest.raises(sk.NotSPDError, match="non-positive pivot"):
        sk.factorize(A, "cholesky", cache=False)
    F = sk.factorize(A, cache=False)  # auto falls back to LU (SuperLU)
    assert (F.kind, F.engine) == ("lu", "superlu")
    b = np.ones(200)
    np.testing.assert_allclose(A @ F.solve(b), b, atol=1e-8)
    # a path's Laplacian is exactly singular: QDLDL's zero pivot hands it to SuperLU's check
    import networkx as nx

    P = sp.csr_array(nx.laplacian_matrix(nx.path_graph(50)).astype(float))
    with pytest.raises(sk.SingularMatrixError):
        sk.factorize(P, "cholesky", cache=False)


def test_ldl_engine_missing_falls_back(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "qdldl", None)  # import qdldl now raises ImportError
    A = _tree_laplacian(100, 0.1)
    F = sk.factorize(A, cache=False)
    assert (F.kind, F.engine) == ("cholesky", "superlu")
    b = np.arange(100.0)
    np.testing.assert_allclose(F.solve(b), np.linalg.solve(A.toarray(), b), rtol=1e-9)


# ---- issue 23: a Factorization is callable, exposes its factors, has its determinant, ----
# ---- travels by pickle and by file (issue 18: singular LU, shift)                     ----

def _nonsym(n=60, seed=2):
    rng = np.random.default_rng(seed)
    return sp.csr_array(sp.random_array((n, n), density=0.08, rng=rng)
                        + sp.diags_array(rng.standard_normal(n) * 3))


ENGINES = {  # name -> (matrix, factorize kwargs, engine expected)
    "superlu-cholesky": (lambda: _spd(80), {}, "superlu"),
    "superlu-lu": (_nonsym, {}, "superlu"),
    "superlu-complex": (lambda: sp.csr_array(_nonsym() + 1j * _nonsym(seed=5)), {}, "superlu"),
    "qdldl": (lambda: _tree_laplacian(120, 0.3), {}, "qdldl"),
    "lapack-cholesky": (lambda: _spd(40).toarray(), {}, "lapack"),
    "lapack-lu": (lambda: _nonsym(40).toarray(), {}, "lapack"),
}


def _dense(A):
    return A.toarray() if sp.issparse(A) else np.asarray(A)


@pytest.mark.parametrize("name", ENGINES)
def test_callable_factors_and_determinant_match_numpy(name):
    make, kw, engine = ENGINES[name]
    A = make()
    F = sk.factorize(A, cache=False, **kw)
    assert F.engine == engine
    Ad = _dense(A)
    b = np.random.default_rng(0).standard_normal(A.shape[0])
    np.testing.assert_allclose(F(b), np.linalg.solve(Ad, b), rtol=1e-8,
                               atol=1e-10 * np.abs(F(b)).max())
    sign, logabs = F.slogdet()
    ref_sign, ref_logabs = np.linalg.slogdet(Ad)
    assert logabs == pytest.approx(ref_logabs, rel=1e-10, abs=1e-9)
    assert sign == pytest.approx(ref_sign, rel=1e-10)
    f = F.factors()
    n = A.shape[0]
    if engine == "qdldl":
        L, D, p = _dense(F.L), F.D, F.perm
        np.testing.assert_allclose(L @ np.diag(D) @ L.T, Ad[np.ix_(p, p)], atol=1e-12)
        np.testing.assert_allclose(np.diag(L), 1.0)
        with pytest.raises(AttributeError, match="perm_r"):
            F.perm_r  # noqa: B018 - the attribute access is the test
    else:
        Pr = np.zeros((n, n))
        Pr[F.perm_r, np.arange(n)] = 1
        Pc = np.zeros((n, n))
        Pc[np.arange(n), F.perm_c] = 1
        np.testing.assert_allclose(Pr @ Ad @ Pc, _dense(F.L) @ _dense(F.U),
                                   atol=1e-12 * np.abs(Ad).max())
        with pytest.raises(AttributeError, match="exposes"):
            F.D  # noqa: B018
        assert set(f) == {"L", "U", "perm_r", "perm_c"}
    if ref_sign > 0 and not np.iscomplexobj(Ad):
        assert F.logdet() == pytest.approx(ref_logabs, rel=1e-10)


def test_logdet_of_a_negative_determinant_and_of_complex_matrices():
    A = sp.csr_array(sp.diags_array([-2.0, 3.0, 4.0]) + 0.1 * sp.eye_array(3, k=1))
    F = sk.factorize(A, cache=False)
    assert F.slogdet() == pytest.approx((-1.0, np.log(24.0)))  # triangular: -2 * 3 * 4
    with pytest.raises(sk.InputValueError, match="slogdet"):
        F.logdet()
    C = sp.csr_array(_nonsym() + 1j * _nonsym(seed=5))
    sign, logabs = np.linalg.slogdet(C.toarray())
    assert sk.factorize(C, cache=False).logdet() == pytest.approx(np.log(sign) + logabs)
    # the shift: log det(A - sigma I)
    S = _spd(50)
    Fs = sk.factorize(S, shift=0.5, cache=False)
    assert Fs.logdet() == pytest.approx(np.linalg.slogdet(S.toarray() - 0.5 * np.eye(50))[1])


@pytest.mark.parametrize("name", ENGINES)
def test_pickle_round_trip_solves_the_same(name):
    import pickle

    make, kw, engine = ENGINES[name]
    A = make()
    F = sk.factorize(A, cache=False, **kw)
    G = pickle.loads(pickle.dumps(F))
    assert (G.kind, G.engine, G.shape, G.fingerprint) == (F.kind, F.engine, F.shape,
                                                          F.fingerprint)
    assert G.restored == (engine != "lapack")
    B = np.random.default_rng(1).standard_normal((A.shape[0], 3))
    for trans in ("N", "T", "H"):
        np.testing.assert_allclose(G.solve(B, trans), F.solve(B, trans), rtol=1e-9,
                                   atol=1e-12 * np.abs(F.solve(B, trans)).max())
    assert G.slogdet() == pytest.approx(F.slogdet())


def test_factorization_in_a_multiprocessing_pool():
    import multiprocessing

    A = _nonsym(200)
    F = sk.factorize(A, cache=False)
    rhs = [np.random.default_rng(k).standard_normal(200) for k in range(4)]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        xs = pool.map(F, rhs)  # F is pickled to each worker, which calls F(b)
    for b, x in zip(rhs, xs, strict=True):
        np.testing.assert_allclose(A @ x, b, atol=1e-9)


@pytest.mark.parametrize("name", ENGINES)
def test_save_and_load_round_trip(tmp_path, name):
    from sparsekit.linalg.factor import Factorization

    make, kw, engine = ENGINES[name]
    A = make()
    F = sk.factorize(A, cache=False, **kw)
    path = tmp_path / "F.npz"
    F.save(path)
    with np.load(path, allow_pickle=False) as z:  # arrays and strings only
        assert all(z[k].dtype != object for k in z.files)
    G = Factorization.load(path, A)
    assert (G.kind, G.engine) == (F.kind, F.engine)
    b = np.random.default_rng(2).standard_normal(A.shape[0])
    np.testing.assert_allclose(G(b), F(b), rtol=1e-9, atol=1e-12 * np.abs(F(b)).max())
    assert [p.name for p in tmp_path.iterdir()] == ["F.npz"]  # no temporary left behind


def test_load_refuses_another_matrix_and_a_shifted_one(tmp_path):
    from sparsekit.linalg.factor import Factorization

    A = _spd(60)
    path = tmp_path / "F.npz"
    sk.factorize(A, cache=False).save(path)
    B = A.copy()
    B.data[0] += 1e-9  # one entry edited
    with pytest.raises(sk.InputValueError, match="another matrix"):
        Factorization.load(path, B)
    with pytest.raises(sk.InputValueError, match="another matrix"):
        Factorization.load(path, _spd(61))
    with pytest.raises(sk.InputValueError, match="another matrix"):
        Factorization.load(path, A, M=sp.eye_array(60))  # made without M
    sk.factorize(A, shift=0.25, M=sp.eye_array(60), cache=False).save(path)
    G = Factorization.load(path, A, M=sp.eye_array(60))
    b = np.ones(60)
    np.testing.assert_allclose((A - 0.25 * sp.eye_array(60)) @ G(b), b, atol=1e-10)


def _rewrite(path, edit):
    """Rewrite the archive with ``edit(arrays)`` applied (valid zip, contents changed)."""
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k].copy() for k in z.files}
    edit(arrays)
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def _resign(arrays):
    from sparsekit.linalg import _factor_store

    arrays.pop("checksum")
    arrays["checksum"] = np.asarray(_factor_store._checksum(arrays))


def test_load_refuses_damaged_and_tampered_files(tmp_path):
    from sparsekit.linalg.factor import Factorization

    A = _nonsym(80)
    good = tmp_path / "good.npz"
    sk.factorize(A, cache=False).save(good)
    raw = good.read_bytes()

    def variant(name, data):
        p = tmp_path / name
        p.write_bytes(data)
        return p

    cases = [
        (variant("truncated.npz", raw[: len(raw) // 2]), "cannot be read"),
        (variant("flipped.npz", raw[:300] + bytes([raw[300] ^ 0xFF]) + raw[301:]),
         "not a usable sparsekit factorization file"),
        (variant("notzip.npz", b"not an archive at all" * 10), "cannot be read"),
    ]
    edited = variant("edited.npz", raw)
    _rewrite(edited, lambda a: a.__setitem__("U_data", a["U_data"] * 1.001))
    cases.append((edited, "checksum"))
    oob = variant("oob.npz", raw)
    _rewrite(oob, lambda a: (a["L_indices"].__setitem__(3, 10**6), _resign(a)))
    cases.append((oob, "valid CSC"))
    perm = variant("perm.npz", raw)
    _rewrite(perm, lambda a: (a["perm_r"].__setitem__(0, a["perm_r"][1]), _resign(a)))
    cases.append((perm, "permutation"))
    numbers = variant("numbers.npz", raw)
    _rewrite(numbers, lambda a: (a.__setitem__("U_data", a["U_data"] * 1.001), _resign(a)))
    cases.append((numbers, "do not solve"))
    version = variant("version.npz", raw)
    _rewrite(version, lambda a: (a.__setitem__("meta_version", np.asarray(99)), _resign(a)))
    cases.append((version, "version"))
    objects = tmp_path / "objects.npz"
    np.savez(objects, meta_format=np.asarray("sparsekit.Factorization"),
             L_data=np.array([{"x": 1}], dtype=object))
    cases.append((objects, "cannot be read"))
    for path, match in cases:
        with pytest.raises(sk.InputValueError, match=match):
            Factorization.load(path, A)
    with pytest.raises(sk.DataNotFoundError):
        Factorization.load(tmp_path / "missing.npz", A)
    np.testing.assert_allclose(A @ Factorization.load(good, A)(np.ones(80)), 1.0, atol=1e-10)


def test_factorize_refuses_a_non_numeric_shift():
    A = _spd(20)
    for shift in ("1", True, None, [1.0], np.nan):
        with pytest.raises(sk.InputValueError, match="shift"):
            sk.factorize(A, shift=shift)
    F = sk.factorize(A, shift=np.float32(0.5), cache=False)
    np.testing.assert_allclose((A.toarray() - 0.5 * np.eye(20)) @ F(np.ones(20)), 1.0)


def test_structurally_singular_nonsymmetric_is_a_singular_matrix_error():
    # SciPy's splu says "failed to factorize matrix at line ... dpanel_bmod.c" here, not
    # "singular" (issue 18): sparsekit raises SingularMatrixError
    rng = np.random.RandomState(12)
    a = rng.rand(30, 30)
    a[a < 0.95] = 0
    a[:, 0] = 0
    with pytest.raises(RuntimeError):
        spla.splu(sp.csc_array(a))
    for kind in ("auto", "lu"):
        with pytest.raises(sk.SingularMatrixError, match="singular"):
            sk.factorize(sp.csc_array(a), kind, cache=False)
    with pytest.raises(sk.SingularMatrixError):
        sk.solve(sp.csr_array(a), np.ones(30), method="direct")


def test_float16_is_factorized_in_float64():
    A16 = _spd(30).toarray().astype(np.float16)
    F = sk.factorize(A16, cache=False)
    assert F.dtype == np.float64
    np.testing.assert_allclose(A16.astype(float) @ F(np.ones(30)), 1.0, atol=1e-10)


def test_single_precision_factorization_takes_double_rhs():
    # SuperLU's float32 factors refused float64 vectors (a raw TypeError, the fuzz suite's)
    S = _spd(30).astype(np.float32)
    F = sk.factorize(S, cache=False)
    assert F.dtype == np.float32
    b = np.random.default_rng(0).standard_normal(30)
    x = F.solve(b)
    assert x.dtype == np.float64
    np.testing.assert_allclose(x, np.linalg.solve(S.toarray().astype(float), b), rtol=1e-4)
    np.testing.assert_allclose(F.solve(b + 1j * b), x + 1j * x, rtol=1e-6)
