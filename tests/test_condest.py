"""sk.condest: the condition number from the factorization, against dense numpy.linalg.cond,
analytic Poisson spectra and SciPy's onenormest."""

import math

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import sparsekit as sk
from sparsekit.linalg._condest import EXACT_MAX_N, block_onenormest, condest, condition_note

# the shared real SPD and nonsymmetric matrices small enough for a quick dense reference
SPD = ["LF10", "Trefethen_20b", "494_bus", "1138_bus", "bcsstk09", "bcsstk13", "gr_30_30",
       "nos6"]
NONSYMMETRIC = ["west0479", "hor_131", "orsirr_1", "nnc1374", "young1c"]


def _within(est, exact):
    """Never above the exact value (up to the solves' rounding), and within 3x below it."""
    slack = 1e-8 + 100 * exact * np.finfo(float).eps
    return exact / 3 <= est <= exact * (1 + slack)


@pytest.mark.parametrize("name", SPD + NONSYMMETRIC + ["sherman1"])
def test_one_norm_on_real_matrices_vs_numpy(real, fresh_cache, name):
    A = real(name)
    exact = np.linalg.cond(A.toarray(), 1)
    c = condest(A)
    assert c.norm == 1 and not c.singular and c.lower_bound
    assert _within(c.cond, exact), (c.cond, exact)
    assert c.anorm == pytest.approx(np.abs(A.toarray()).sum(axis=0).max(), rel=1e-14)
    assert c.exact == (A.shape[0] <= EXACT_MAX_N)
    assert 1 <= c.iterations <= 6 and c.solves >= 1
    assert "κ₁(A) ≈" in c.summary and repr(c).startswith("CondestResult(")


@pytest.mark.parametrize("name", ["494_bus", "bcsstk09", "west0479", "orsirr_1", "young1c"])
def test_two_and_inf_norms_on_real_matrices_vs_numpy(real, fresh_cache, name):
    A = real(name)
    D = A.toarray()
    c2 = condest(A, norm=2)
    assert c2.lower_bound and c2.method == "arpack"
    assert c2.cond == pytest.approx(np.linalg.cond(D), rel=1e-6)
    assert c2.cond <= np.linalg.cond(D) * (1 + 1e-8)
    ci = condest(A, norm=np.inf)
    assert _within(ci.cond, np.linalg.cond(D, np.inf))


def test_poisson_two_norm_is_the_analytic_one(fresh_cache):
    for shape in [(400,), (40, 50), (12, 10, 9)]:
        lam = sk.fem.poisson_eigenvalues(shape)
        c = condest(sk.poisson(shape), norm=2)
        assert c.cond == pytest.approx(lam[-1] / lam[0], rel=1e-7)
        assert c.anorm == pytest.approx(lam[-1], rel=1e-8)


def test_one_dimensional_poisson_one_norm_is_analytic(fresh_cache):
    # tridiag(-1, 2, -1): (A⁻¹)_ij = min(i, j) (n + 1 - max(i, j)) / (n + 1), ‖A‖₁ = 4
    n = 501
    i = np.arange(1, n + 1)
    inv = np.minimum.outer(i, i) * (n + 1 - np.maximum.outer(i, i)) / (n + 1)
    c = condest(sk.poisson((n,)))
    assert c.anorm == 4.0
    assert c.cond == pytest.approx(4.0 * inv.sum(axis=0).max(), rel=1e-10)


def test_block_estimator_is_a_lower_bound_and_beside_scipy():
    rng = np.random.default_rng(0)
    for trial in range(20):
        n = int(rng.integers(5, 60))
        B = rng.standard_normal((n, n)) * (rng.random((n, n)) < 0.3)
        if trial % 3 == 0:
            B = np.abs(B)  # nonnegative: the estimator is exact at the second iteration
        exact = np.linalg.norm(B, 1)
        for t in (1, 2, 3):
            if t >= n:
                continue
            est, its, products = block_onenormest(B.__matmul__, B.T.__matmul__, n, t=t)
            assert est <= exact * (1 + 1e-12)
            assert est >= exact / 3
            assert its <= 6 and products <= 2 * t * 6
            if trial % 3 == 0:
                # nonnegative B: exact, as SciPy's onenormest (the same algorithm) is
                assert est == pytest.approx(exact, rel=1e-12)
                assert est == pytest.approx(spla.onenormest(B, t=t), rel=1e-12)


def test_complex_block_estimator():
    rng = np.random.default_rng(1)
    B = rng.standard_normal((40, 40)) + 1j * rng.standard_normal((40, 40))
    est, _, _ = block_onenormest(lambda X: B @ X, lambda X: B.conj().T @ X, 40, real=False)
    assert np.linalg.norm(B, 1) / 3 <= est <= np.linalg.norm(B, 1) * (1 + 1e-12)


def test_singular_matrices_give_infinity_with_a_note(fresh_cache):
    exactly = sp.csr_array(np.array([[1.0, 2.0], [2.0, 4.0]]))
    r = condest(exactly)
    assert r.cond == math.inf and r.singular and not r.lower_bound and r.rcond == 0.0
    assert any("singular" in n for n in r.notes) and "inf" in r.summary
    L = sk.laplacian(nx.path_graph(300))  # singular: the constant vector
    for norm in (1, 2):
        r = condest(L, norm=norm)
        assert r.cond == math.inf and r.singular, r
        assert np.linalg.cond(L.toarray(), 1 if norm == 1 else 2) > 1 / np.finfo(float).eps
    zero_col = sp.csr_array(np.diag([1.0, 2.0, 0.0]))
    assert condest(zero_col).cond == math.inf


def test_factorization_is_the_one_solve_reuses(fresh_cache):
    A = sk.poisson((80, 80))
    c = condest(A)
    assert "cached" not in c.factorization
    hits = sk.cache_info().hits
    F = sk.factorize(A)
    assert sk.cache_info().hits == hits + 1  # the factorization condest made
    r = sk.solve(A, np.ones(A.shape[0]), method="direct")
    assert r.converged and sk.cache_info().hits >= hits + 2
    c2 = condest(A)
    assert "cached" in c2.factorization and c2.timings["factorize"] < F.setup_time + 1.0
    assert c2.cond == c.cond


def test_condition_note_for_the_plan_and_the_cli(fresh_cache):
    A = sk.poisson((40, 40))
    assert condition_note(A, cached_only=True) == ""
    sk.factorize(A)
    note = condition_note(A, cached_only=True)
    exact = np.linalg.cond(A.toarray(), 1)
    assert note.startswith("κ₁(A) ≈") and f"{exact:.2e}" in note
    assert condition_note(np.ones((3, 4))) == ""
    assert "inf" in condition_note(sp.csr_array(np.diag([1.0, 0.0])))


def test_dense_and_integer_input(fresh_cache):
    D = np.array([[4, 1, 0], [1, 3, 1], [0, 1, 2]])
    assert condest(D).cond == pytest.approx(np.linalg.cond(D, 1), rel=1e-12)
    assert condest(D).exact
    H = np.eye(100) + np.diag(np.full(99, 0.5), 1)
    assert _within(condest(H).cond, np.linalg.cond(H, 1))


def test_bad_input():
    with pytest.raises(sk.InputValueError, match="NaN"):
        condest(sp.csr_array(np.array([[1.0, np.nan], [0.0, 1.0]])))
    with pytest.raises(sk.NotSquareError):
        condest(sp.random_array((5, 4), density=0.5, random_state=0))
    with pytest.raises(sk.InputValueError, match="norm"):
        condest(np.eye(3), norm=3)
    with pytest.raises(sk.InputValueError, match="norm"):
        condest(np.eye(3), norm="fro")
    with pytest.raises(sk.InputValueError, match="itmax"):
        condest(np.eye(3), itmax=1)
    with pytest.raises(sk.InputValueError, match="t must"):
        condest(np.eye(3), t=0)
    with pytest.raises(sk.InputValueError, match="LinearOperator"):
        condest(spla.aslinearoperator(np.eye(3)))
    with pytest.raises(sk.InputValueError, match="empty"):
        condest(sp.csr_array((0, 0)))


# --- where the estimate is used: sk.plan and a failed sk.solve -------------------------


def _kappa_in_note(notes):
    import re

    got = [n for n in notes if n.startswith("κ₁(A) ≈")]
    assert len(got) == 1, notes
    return float(re.search(r"≈ ([0-9.e+-]+)", got[0]).group(1))


def test_a_failed_solve_explains_itself_with_the_condition(fresh_cache):
    import warnings

    A = sk.poisson((30, 20))
    exact = np.linalg.cond(A.toarray(), 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sk.ConvergenceWarning)
        r = sk.solve(A, np.ones(A.shape[0]), method="cg", precond="none", maxiter=3)
    assert not r.converged
    kappa = _kappa_in_note(r.notes)
    assert exact / 3 <= kappa <= exact * (1 + 5e-3)  # a lower bound, printed to 3 digits
    # the factorization it made is the one a direct retry reuses
    hits = sk.cache_info().hits
    sk.solve(A, np.ones(A.shape[0]), method="direct")
    assert sk.cache_info().hits > hits


def test_plan_states_the_condition_only_when_a_factorization_is_cached(fresh_cache):
    A = sk.poisson((25, 25))
    before = sk.cache_info()
    assert not any(r.startswith("κ₁") for r in sk.plan(A).reasons)
    assert sk.cache_info().entries == before.entries  # planning factorized nothing
    sk.factorize(A)
    kappa = _kappa_in_note(sk.plan(A).reasons)
    exact = np.linalg.cond(A.toarray(), 1)
    assert exact / 3 <= kappa <= exact * (1 + 5e-3)  # a lower bound, printed to 3 digits
