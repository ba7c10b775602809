"""SciPy's Krylov-solver tests, ported to ``sk.solve(method=...)``.

Source: ``scipy/sparse/linalg/_isolve/tests/test_iterative.py`` (SciPy 1.17): its
case registry (``IterativeParams``: the matrices, right-hand sides, which solver
skips which case and which ones break down) and its tests, rewritten to call
sparsekit.  Every test names the SciPy test it ports.  The solvers run with
``precond="none"`` where SciPy passes no ``M`` (sparsekit's default
preconditioner for the nonsymmetric methods is ILU).

Deliberate differences (each is a test below, or said where the test is):

* ``maxiter`` of GMRES counts inner iterations (SciPy: restart cycles, unless
  ``callback_type='legacy'``), so SciPy's ``restart=5, maxiter=1`` is
  sparsekit's ``restart=5, maxiter=5``; ``info > 0`` is the number of
  iterations done;
* sparsekit recomputes the true residual once more than SciPy (and once before
  a refinement restart): two more products with ``A`` at most;
* ``rtol``/``atol`` must be finite (SciPy accepts ``inf``); ``x0="Mb"`` is
  refused (pass ``x0=M @ b``); tfqmr's ``show=True`` (printing) does not exist;
* a positional third argument is ``method`` (SciPy: ``x0``), so
  ``sk.solve(A, b, x0)`` is refused with :class:`~sparsekit.UnknownMethodError`
  (SciPy raises ``TypeError`` for its positional ``rtol``);
* ``converged`` (``info == 0``) is judged on the recomputed true residual:
  SciPy's ``gcrotmk`` with ``maxiter=1`` on poisson1d reports ``info=1`` at a
  true relative residual of 1.5e-13 < ``rtol=1e-12``; sparsekit reports 0;
* ``minres`` takes complex Hermitian matrices (SciPy's is real only): the
  complex Hermitian cases SciPy skips for ``minres`` run here;
* SciPy's ``test_maxiter_worsening`` is an expected failure there (gh-18697) and
  is not ported.
"""

import itertools
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import sparsekit as sk

SOURCE = "scipy/sparse/linalg/_isolve/tests/test_iterative.py"

METHODS = ["bicg", "bicgstab", "cg", "cgs", "gcrotmk", "gmres", "lgmres", "minres", "qmr",
           "tfqmr"]
SYMMETRIC_ONLY = ["minres", "cg"]
POSDEF_ONLY = ["cg"]


class Case:
    """One matrix of SciPy's ``IterativeParams`` (same name, matrix, b, skips)."""

    def __init__(self, name, A, b=None, skip=(), nonconvergence=()):
        self.name, self.A = name, A
        self.b = np.arange(A.shape[0], dtype=float) if b is None else b
        self.skip, self.nonconvergence = list(skip), list(nonconvergence)


def _poisson1d(n=40):
    return sp.dia_array((np.array([[2.0] * n, [-1.0] * n, [-1.0] * n]), [0, -1, 1]),
                        shape=(n, n)).tocsr()


def _registry():
    """SciPy's case list, in its order (minres's skips there are SciPy's, kept)."""
    cases = []
    P1 = _poisson1d()
    cases += [Case("poisson1d", P1), Case("poisson1d-F", P1.astype("f"), skip=["minres"]),
              Case("neg-poisson1d", -P1, skip=POSDEF_ONLY),
              Case("neg-poisson1d-F", (-P1).astype("f"), skip=POSDEF_ONLY + ["minres"])]
    P2 = sp.kronsum(P1, P1).tocsr()
    cases += [Case("poisson2d", P2, skip=["minres"]),
              Case("poisson2d-F", P2.astype("f"), skip=["minres"])]
    D = sp.dia_array((np.array([[6, -5, 2, 7, -1, 10, 4, -3, -8, 9]], dtype="d"), [0]),
                     shape=(10, 10)).tocsr()
    cases += [Case("rand-diag", D, skip=POSDEF_ONLY),
              Case("rand-diag-F", D.astype("f"), skip=POSDEF_ONLY)]
    R = np.random.RandomState(1234).rand(4, 4)
    cases += [Case("rand", R, skip=POSDEF_ONLY + SYMMETRIC_ONLY),
              Case("rand-F", R.astype("f"), skip=POSDEF_ONLY + SYMMETRIC_ONLY)]
    S = R + R.T
    cases += [Case("rand-sym", S, skip=POSDEF_ONLY),
              Case("rand-sym-F", S.astype("f"), skip=POSDEF_ONLY)]
    Q = np.random.RandomState(1234).rand(9, 9)  # SciPy: np.random.seed(1234); rand(9, 9)
    Q = Q.conj() @ Q.T
    cases += [Case("rand-sym-pd", Q), Case("rand-sym-pd-F", Q.astype("f"), skip=["minres"])]
    rng = np.random.RandomState(1234)
    C = rng.rand(4, 4) + 1j * rng.rand(4, 4)
    cases += [Case("rand-cmplx", C, skip=POSDEF_ONLY + SYMMETRIC_ONLY),
              Case("rand-cmplx-F", C.astype("F"), skip=POSDEF_ONLY + SYMMETRIC_ONLY)]
    H = C + C.T.conj()
    # SciPy skips minres here (its minres is real only); sparsekit's runs
    cases += [Case("rand-cmplx-herm", H, skip=POSDEF_ONLY),
              Case("rand-cmplx-herm-F", H.astype("F"), skip=POSDEF_ONLY)]
    rng = np.random.RandomState(1234)
    Z = rng.rand(9, 9) + 1j * rng.rand(9, 9)
    Z = Z.conj() @ Z.T
    cases += [Case("rand-cmplx-sym-pd", Z), Case("rand-cmplx-sym-pd-F", Z.astype("F"))]
    N = sp.dia_array((np.array([[2.0] * 10, [-1.0] * 10]), [0, -1]), shape=(10, 10)).tocsr()
    hard = ["cgs", "qmr", "bicg", "tfqmr"]  # "algorithmic limitation apparently" (SciPy)
    cases += [Case("nonsymposdef", N, skip=SYMMETRIC_ONLY + hard),
              Case("nonsymposdef-F", N.astype("F"), skip=SYMMETRIC_ONLY + hard)]
    K = np.zeros((11, 11))
    K[:5, 5] = [1, 2, 2, 2, 1]
    K[5, :5] = [1, 2, 2, 2, 1]
    K[np.arange(5), np.arange(6, 11)] = -1
    K[np.arange(6, 11), np.arange(5)] = -1
    K[np.arange(6, 11), np.arange(6, 11)] = -1
    b = np.zeros(11)
    b[5] = 1.0
    assert (K == K.T).all()
    cases.append(Case("sym-nonpd", K, b, skip=POSDEF_ONLY,
                      nonconvergence=["cgs", "bicg", "bicgstab", "qmr", "tfqmr"]))
    return cases


CASES = [(c, m) for c in _registry() for m in METHODS if m not in c.skip]
IDS = [f"{c.name}-{m}" for c, m in CASES]


def _matvec(A, x):
    return A @ x


@pytest.mark.parametrize("case,method", CASES, ids=IDS)
def test_maxiter(case, method):
    """SciPy's test_maxiter: maxiter=1 is one iteration, one callback, info == 1."""
    if method in case.nonconvergence:
        pytest.skip(f"{SOURCE}: breakdown case, see gh-8829 (skipped there too)")
    b = case.b
    calls = []

    def callback(x):  # GMRES passes its residual norm (SciPy's legacy callback), not x
        calls.append(x if np.ndim(x) == 0 else np.linalg.norm(b - _matvec(case.A, x)))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sk.ConvergenceWarning)
        x, info = sk.solve(case.A, b, method=method, precond="none", x0=0 * b, rtol=1e-12,
                           maxiter=1, callback=callback)
    assert len(calls) == 1
    if info == 0:
        # judged on the true residual: SciPy's gcrotmk reports info=1 on poisson1d with
        # a true relative residual of 1.5e-13 < rtol (a deliberate difference)
        assert np.linalg.norm(_matvec(case.A, x) - b) <= 1e-12 * np.linalg.norm(b)
    else:
        assert info == 1


@pytest.mark.parametrize("case,method", CASES, ids=IDS)
def test_convergence(case, method):
    """SciPy's test_convergence: rtol 1e-8 (1e-2 in single precision); x0 untouched."""
    A, b = case.A, case.b
    rtol = 1e-8 if A.dtype.char in "dD" else 1e-2
    x0 = 0 * b
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sk.ConvergenceWarning)
        x, info = sk.solve(A, b, method=method, precond="none", x0=x0, rtol=rtol)
    np.testing.assert_array_equal(x0, 0 * b)
    if method in case.nonconvergence:
        assert info != 0
        assert np.linalg.norm(_matvec(A, x) - b) <= np.linalg.norm(b)
    else:
        assert info == 0
        assert np.linalg.norm(_matvec(A, x) - b) <= np.linalg.norm(b) * rtol


@pytest.mark.parametrize("case,method", CASES, ids=IDS)
def test_precond_dummy(case, method):
    """SciPy's test_precond_dummy: an identity M (qmr: M1 = M2); A carrying psolve."""
    if method in case.nonconvergence:
        pytest.skip(f"{SOURCE}: breakdown case, see gh-8829 (skipped there too)")
    A, b = case.A, case.b

    def identity(v, which=None):
        return v

    M = spla.LinearOperator(A.shape, identity, rmatvec=identity)
    kw = {"M1": M, "M2": M} if method == "qmr" else {"M": M}
    x, info = sk.solve(A, b, method=method, x0=0 * b, rtol=1e-8, **kw)
    assert info == 0
    assert np.linalg.norm(_matvec(A, x) - b) <= np.linalg.norm(b) * 1e-8
    # a LinearOperator carrying psolve/rpsolve: SciPy's solvers use them as M
    Aop = spla.aslinearoperator(A)
    Aop.psolve = identity
    Aop.rpsolve = identity
    x, info = sk.solve(Aop, b, method=method, x0=0 * b, rtol=1e-8)
    assert info == 0
    assert np.linalg.norm(_matvec(A, x) - b) <= np.linalg.norm(b) * 1e-8


@pytest.mark.parametrize("name", ["poisson1d", "poisson2d"])
def test_precond_inverse(name):
    """SciPy's test_precond_inverse: with M = A^-1 every solver needs almost no products.

    SciPy allows 3 products with A; sparsekit recomputes the true residual (and
    checks it once before any refinement restart): at most 2 more.
    """
    case = next(c for c in _registry() if c.name == name)
    Ad = case.A.toarray()
    count = [0]

    def matvec(v):
        count[0] += 1
        return case.A @ v

    def rmatvec(v):
        count[0] += 1
        return case.A.T @ v

    for method in METHODS:
        if method in case.skip or method == "qmr":
            continue
        A = spla.LinearOperator(case.A.shape, matvec, rmatvec=rmatvec)
        M = spla.LinearOperator(case.A.shape, lambda v: np.linalg.solve(Ad, v),
                                rmatvec=lambda v: np.linalg.solve(Ad.T, v))
        b = case.b
        count[0] = 0  # LinearOperator called matvec once to find its dtype
        x, info = sk.solve(A, b, method=method, M=M, x0=0 * b, rtol=1e-8)
        assert info == 0, method
        assert np.linalg.norm(case.A @ x - b) <= np.linalg.norm(b) * 1e-8
        assert count[0] <= 3 + 2, method


@pytest.mark.parametrize("method", [m for m in METHODS if m not in ("minres", "tfqmr")])
def test_atol(method):
    """SciPy's test_atol: every (rtol, atol) pair, with badly scaled preconditioners.

    SciPy also tries ``inf``: sparsekit refuses a non-finite tolerance (checked last).
    """
    rng = np.random.default_rng(168441431005389)
    A = rng.uniform(size=[10, 10])
    A = A @ A.T + 10 * np.eye(10)
    b = 1e3 * rng.uniform(size=10)
    bnorm = np.linalg.norm(b)
    tols = np.r_[0, np.logspace(-9, 2, 7)]
    M0 = rng.standard_normal(size=(10, 10))
    M0 = M0 @ M0.T
    for M, rtol, atol in itertools.product([None, 1e-6 * M0, 1e6 * M0], tols, tols):
        if rtol == 0 and atol == 0:
            continue
        if method == "qmr":
            kw = {} if M is None else {"M1": M, "M2": np.eye(10)}
        else:
            kw = {"M": M, "precond": "auto" if M is not None else "none"}
        x, info = sk.solve(A, b, method=method, rtol=rtol, atol=atol, **kw)
        assert info == 0
        err = np.linalg.norm(A @ x - b)
        assert err <= 1.00025 * max(atol, rtol * bnorm)
    with pytest.raises(sk.InputValueError, match="finite"):
        sk.solve(A, b, method=method, rtol=np.inf)


@pytest.mark.parametrize("method", METHODS)
def test_zero_rhs(method):
    """SciPy's test_zero_rhs: b = 0 gives x = 0, whatever the tolerance and x0."""
    rng = np.random.default_rng(1684414984100503)
    A = rng.random(size=[10, 10])
    A = A @ A.T + 10 * np.eye(10)
    b = np.zeros(10)
    for tol in np.logspace(-10, 2, 7):
        x, info = sk.solve(A, b, method=method, rtol=tol)
        assert info == 0
        np.testing.assert_allclose(x, 0.0, atol=1e-15)
        x, info = sk.solve(A, b, method=method, rtol=tol, x0=np.ones(10))
        assert info == 0
        np.testing.assert_allclose(x, 0.0, atol=tol)
        x, info = sk.solve(A, b, method=method, rtol=tol, atol=0, x0=np.ones(10))
        if info == 0:
            np.testing.assert_allclose(x, 0)
        for atol in (tol, 0):
            x, info = sk.solve(A, b, method=method, rtol=tol, atol=atol)
            assert info == 0
            np.testing.assert_allclose(x, 0, atol=1e-300)


@pytest.mark.parametrize("method", METHODS)
def test_x0_working(method):
    """SciPy's test_x0_working: an easy SPD problem, with and without a starting guess."""
    rng = np.random.default_rng(1685363802304750)
    A = rng.random(size=[10, 10])
    A = A @ A.T
    b = rng.random(10)
    x0 = rng.random(10)
    x, info = sk.solve(A, b, method=method, precond="none", atol=0, rtol=1e-6)
    assert info == 0
    assert np.linalg.norm(A @ x - b) <= 1e-6 * np.linalg.norm(b)
    x, info = sk.solve(A, b, method=method, precond="none", x0=x0, atol=0, rtol=1e-6)
    assert info == 0
    assert np.linalg.norm(A @ x - b) <= 1e-5 * np.linalg.norm(b)


@pytest.mark.parametrize("method", METHODS)
def test_x0_solves_problem_exactly(method):
    """SciPy's test_x0_solves_problem_exactly (gh-19948)."""
    rhs = np.array([-1.0, -1.0])
    sol, info = sk.solve(np.eye(2), rhs, method=method, x0=rhs)
    np.testing.assert_allclose(sol, rhs)
    assert info == 0


def test_x0_equals_Mb_is_refused():  # noqa: N802 - SciPy's test name
    """SciPy's test_x0_equals_Mb: x0='Mb' is a deliberate difference (pass x0=M @ b)."""
    A = _poisson1d()
    with pytest.raises(sk.ShapeError, match="x0"):
        sk.solve(A, np.ones(40), method="cg", x0="Mb")


def test_show_is_not_an_option():
    """SciPy's test_show (tfqmr's show=True prints): library code never prints here."""
    with pytest.raises(sk.InputValueError, match="show"):
        sk.solve(_poisson1d(), np.ones(40), method="tfqmr", show=True)


@pytest.mark.parametrize("method", METHODS)
def test_positional_error(method):
    """SciPy's test_positional_error: the third positional argument is ``method`` here."""
    rng = np.random.default_rng(1685363802304750)
    A = rng.random(size=[10, 10])
    A = A @ A.T
    with pytest.raises(sk.UnknownMethodError):
        sk.solve(A, rng.random(10), rng.random(10), 1e-5)


@pytest.mark.parametrize("atol", ["legacy", None, -1])
@pytest.mark.parametrize("method", METHODS)
def test_invalid_atol(method, atol):
    """SciPy's test_invalid_atol (a ValueError there; sparsekit's minres takes atol too)."""
    rng = np.random.default_rng(1685363802304750)
    A = rng.random(size=[10, 10])
    A = A @ A.T
    with pytest.raises(sk.InputValueError):
        sk.solve(A, rng.random(10), method=method, x0=rng.random(10), atol=atol)


def test_qmr_left_right_precond():
    """SciPy's TestQMR.test_leftright_precond: QMR with M1 = L^-1 and M2 = U^-1."""
    n = 100
    dat = np.ones(n)
    A = sp.dia_array(([-2 * dat, 4 * dat, -dat], [-1, 0, 1]), shape=(n, n))
    b = np.arange(n, dtype="d")
    L = spla.splu(sp.dia_array(([-dat / 2, dat], [-1, 0]), shape=(n, n)).tocsc())
    U = spla.splu(sp.dia_array(([4 * dat, -dat], [0, 1]), shape=(n, n)).tocsc())
    M1 = spla.LinearOperator((n, n), matvec=L.solve, rmatvec=lambda v: L.solve(v, "T"))
    M2 = spla.LinearOperator((n, n), matvec=U.solve, rmatvec=lambda v: U.solve(v, "T"))
    x, info = sk.solve(A, b, method="qmr", rtol=1e-8, maxiter=15, M1=M1, M2=M2)
    assert info == 0
    assert np.linalg.norm(A @ x - b) <= 1e-8 * np.linalg.norm(b)


def test_gmres_basic():
    """SciPy's TestGMRES.test_basic: one cycle of 5 (SciPy's maxiter=1 is maxiter=5 here)."""
    A = np.vander(np.arange(10) + 1)[:, ::-1]
    b = np.zeros(10)
    b[0] = 1
    with pytest.warns(sk.ConvergenceWarning):
        x, _ = sk.solve(A, b, method="gmres", precond="none", restart=5, maxiter=5)
    np.testing.assert_allclose(x[0], 0.359, rtol=1e-2)


def test_gmres_callback():
    """SciPy's TestGMRES.test_callback: the residual norms the callback receives."""
    A = sp.csr_array(np.array([[-2, 1, 0, 0, 0, 0], [1, -2, 1, 0, 0, 0], [0, 1, -2, 1, 0, 0],
                               [0, 0, 1, -2, 1, 0], [0, 0, 0, 1, -2, 1], [0, 0, 0, 0, 1, -2]]))
    b = np.ones(6)
    for M, scale in [(None, 1.0), (1e-3 * np.eye(6), 1e-3)]:
        seen = [1.0]
        with pytest.warns(sk.ConvergenceWarning):
            sk.solve(A, b, method="gmres", precond="none" if M is None else "auto", M=M,
                     x0=np.zeros(6), rtol=1e-16, maxiter=1, callback=seen.append)
        np.testing.assert_allclose(seen, [1.0, scale * 0.81649658092772603], rtol=1e-10)


def test_gmres_abi():
    """SciPy's TestGMRES.test_abi: complex GMRES gives the real answer, complex."""
    A, b = np.eye(2), np.ones(2)
    r_x, r_info = sk.solve(A, b, method="gmres")
    x, info = sk.solve(A.astype(complex), b.astype(complex), method="gmres")
    assert np.iscomplexobj(x)
    np.testing.assert_allclose(r_x.astype(complex), x)
    assert r_info == info


def test_gmres_atol_legacy():
    """SciPy's TestGMRES.test_atol_legacy: rtol is relative to ‖b‖, however small b is."""
    x, info = sk.solve(np.eye(2), np.ones(2), method="gmres", rtol=1e-5)
    assert np.linalg.norm(x - 1) <= 1e-8 * np.sqrt(2)
    A = np.random.RandomState(12345).rand(30, 30)
    b = 1e-6 * np.ones(30)
    with pytest.warns(sk.ConvergenceWarning):  # restarted GMRES(20) stagnates there
        x, info = sk.solve(A, b, method="gmres", precond="none", rtol=1e-7, restart=20)
    assert np.linalg.norm(A @ x - b) > 1e-7
    assert info > 0
    b = 1e-10 * np.ones(2)
    x, info = sk.solve(np.eye(2), b, method="gmres", rtol=1e-8, atol=0)
    assert np.linalg.norm(x - b) <= 1e-8 * np.linalg.norm(b)


def test_gmres_defective_precond_breakdown():
    """SciPy's TestGMRES.test_defective_precond_breakdown: no NaN, no false success."""
    M = np.eye(3)
    M[2, 2] = 0
    b = np.array([0.0, 1, 1])
    A = np.diag([2.0, 3, 4])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sk.ConvergenceWarning)
        x, info = sk.solve(A, b, method="gmres", x0=np.array([1.0, 0, 0]), M=M, rtol=1e-15,
                           atol=0)
    assert not np.isnan(x).any()
    if info == 0:
        assert np.linalg.norm(A @ x - b) <= 1e-15 * np.linalg.norm(b)
    np.testing.assert_allclose(M @ (A @ x), M @ b)


def test_gmres_defective_matrix_breakdown():
    """SciPy's TestGMRES.test_defective_matrix_breakdown: singular A, b outside its range."""
    A = np.array([[0.0, 1, 0], [1, 0, 0], [0, 0, 0]])
    b = np.array([1.0, 0, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sk.ConvergenceWarning)
        x, info = sk.solve(A, b, method="gmres", precond="none", rtol=1e-8, atol=0)
    assert not np.isnan(x).any()
    if info == 0:
        assert np.linalg.norm(A @ x - b) <= 1e-8 * np.linalg.norm(b)
    np.testing.assert_allclose(A @ (A @ x), A @ b)


def test_gmres_callback_type():
    """SciPy's TestGMRES.test_callback_type, in inner iterations (SciPy's 'legacy' count)."""
    rs = np.random.RandomState(1)  # SciPy: np.random.seed(1)
    A, b = rs.rand(20, 20), rs.rand(20)
    count = [0]

    def pr_norm_cb(r):
        count[0] += 1
        assert isinstance(r, float)

    def x_cb(x):
        count[0] += 1
        assert isinstance(x, np.ndarray)

    for callback_type in (None, "legacy"):  # 2 inner iterations do not solve it
        count[0] = 0
        kw = {} if callback_type is None else {"callback_type": callback_type}
        with pytest.warns(sk.ConvergenceWarning):
            x, info = sk.solve(A, b, method="gmres", precond="none", rtol=1e-6, atol=0,
                               callback=pr_norm_cb, maxiter=2, restart=50, **kw)
        assert info == 2
        assert count[0] == 2
    count[0] = 0  # SciPy's two restart cycles of 50 (n = 20: one cycle of 20 solves it)
    x, info = sk.solve(A, b, method="gmres", precond="none", rtol=1e-6, atol=0,
                       callback=pr_norm_cb, maxiter=100, restart=50, callback_type="pr_norm")
    assert info == 0 and count[0] > 2
    count[0] = 0
    x, info = sk.solve(A, b, method="gmres", precond="none", rtol=1e-6, atol=0,
                       callback=x_cb, maxiter=100, restart=50, callback_type="x")
    assert info == 0 and count[0] == 1


def test_gmres_callback_x_monotonic():
    """SciPy's TestGMRES.test_callback_x_monotonic: 20 cycles of 10 (maxiter=200 here)."""
    rng = np.random.RandomState(1)
    A = rng.rand(20, 20) + np.eye(20)
    b = rng.rand(20)
    prev, count = [np.inf], [0]

    def x_cb(x):
        r = np.linalg.norm(A @ x - b)
        assert r <= prev[0]
        prev[0] = r
        count[0] += 1

    with pytest.warns(sk.ConvergenceWarning):
        x, info = sk.solve(A, b, method="gmres", precond="none", rtol=1e-6, atol=0,
                           callback=x_cb, maxiter=200, restart=10, callback_type="x")
    assert info == 200
    assert count[0] == 20
