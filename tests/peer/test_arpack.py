"""SciPy's ARPACK suite, ported to ``sk.eigsh`` and ``sk.eigs``.

Source: ``scipy/sparse/linalg/_eigen/arpack/tests/test_arpack.py`` (SciPy 1.17).  The
matrices are built the way that file builds them (6 x 6 products of uniform random
matrices from ``RandomState(2300)``, rounded through single precision so that the float32
and float64 runs share their eigenvalues); the expected values are LAPACK's on the dense
matrices, selected by the SciPy test's own definition of ``which`` (``_pick`` below); the
eigenvectors are checked through ``A v = λ M v``, as there.  Every case runs through
``method="auto"`` (dense for n = 6, sparsekit's choice) and through ``method="arpack"``.

Deliberate differences (docs/scipy.md): no ``mode=`` (``'buckling'``, ``'cayley'``), no
``OPpart`` (a complex ``sigma`` runs in complex arithmetic), ``k >= n`` is refused
rather than solved densely, a LinearOperator ``M`` is refused with an InputValueError
rather than a TypeError, non-convergence is a warning (``strict=True``: ``NoConvergence``)
rather than ``ArpackNoConvergence``, and SciPy's ``ArpackError``-internals tests
(``test_linearoperator_deallocation``) have no counterpart.
"""

import threading
import warnings

import numpy as np
import pytest
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import sparsekit as sk
from sparsekit.linalg._eigen import eigs

SOURCE = "scipy/sparse/linalg/_eigen/arpack/tests/test_arpack.py"

# SciPy's tolerances for the eigenvalues (rtol = atol = 2000 eps in double, 3000 eps in single)
RTOL = {"f": 3000 * np.finfo(np.float32).eps, "d": 2000 * np.finfo(np.float64).eps,
        "F": 3000 * np.finfo(np.float32).eps, "D": 2000 * np.finfo(np.float64).eps}
MATTYPES = [sp.csr_array, spla.aslinearoperator, np.asarray]


def _random_matrix(rng, n, complex_=False, hermitian=False):
    """SciPy's generate_matrix for the dense cases: M = rand (+ i rand); M Mᴴ if Hermitian."""
    M = rng.random((n, n))
    if complex_:
        M = M + 1j * rng.random((n, n))
    if hermitian:
        M = M.conj() @ M.T
    return M


def _symmetric_cases():
    rng = np.random.RandomState(2300)
    Ar = _random_matrix(rng, 6, hermitian=True).astype("f").astype("d")
    M = _random_matrix(rng, 6, hermitian=True).astype("f").astype("d")
    Ac = _random_matrix(rng, 6, complex_=True, hermitian=True).astype("F").astype("D")
    Mc = _random_matrix(rng, 6, complex_=True, hermitian=True).astype("F").astype("D")
    return {"std-symmetric": (Ar, None), "gen-symmetric": (Ar, M),
            "std-hermitian": (Ac, None), "gen-hermitian": (Ac, M),
            "gen-hermitian-Mc": (Ac, Mc)}


def _nonsymmetric_cases():
    rng = np.random.RandomState(2300)
    Ar = _random_matrix(rng, 6).astype("f").astype("d")
    M = _random_matrix(rng, 6, hermitian=True).astype("f").astype("d")
    Ac = _random_matrix(rng, 6, complex_=True).astype("F").astype("D")
    return {"std-real-nonsym": (Ar, None), "gen-real-nonsym": (Ar, M),
            "std-cmplx-nonsym": (Ac, None), "gen-cmplx-nonsym": (Ac, M)}


SYM, NONSYM = _symmetric_cases(), _nonsymmetric_cases()


def _pick(w, which, k, sigma=None, real=True):
    """The k eigenvalues `which` asks for (the SciPy file's argsort_which, normal mode)."""
    t = w if sigma is None else 1.0 / (w - sigma)
    if which in ("LM", "SM"):
        key = np.abs(t)
    elif which in ("LI", "SI"):
        key = np.abs(np.imag(t)) if real else np.imag(t)
    else:
        key = np.real(t)
    order = np.argsort(np.round(key, 11), kind="stable")
    if which == "BE":
        return w[np.concatenate([order[:k // 2], order[len(order) - (k - k // 2):]])]
    return w[order[:k]] if which.startswith("S") else w[order[len(order) - k:]]


def _close_cc(got, want, rtol):
    """The two sets equal to rtol, a member of a conjugate pair standing for the other."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape
    for g in got:
        d = np.minimum(np.abs(want - g), np.abs(want - np.conj(g)))
        assert d.min() <= rtol * (1 + np.abs(want).max()), (got, want)


def _tol(typ, mattype):
    """SciPy's bump for ARPACK in single precision on an operator: ``tol = 30 eps32`` there
    (an explicit single-precision matrix is computed in double precision here)."""
    single = typ in ("f", "F") and mattype is spla.aslinearoperator
    return 30 * float(np.finfo(np.float32).eps) if single else None


def _check(r, A, M, typ):
    """The values against LAPACK's and every pair through A v = λ M v, as the SciPy test."""
    V = r.vectors
    rhs = (V if M is None else M @ V) * r.values
    np.testing.assert_allclose(A @ V, rhs, rtol=RTOL[typ], atol=RTOL[typ] * np.abs(A).max())


@pytest.mark.parametrize("method", ["auto", "arpack"])
@pytest.mark.parametrize("sigma", [None, 0.5])
@pytest.mark.parametrize("mattype", MATTYPES)
@pytest.mark.parametrize("which", ["LM", "SM", "LA", "SA", "BE"])
@pytest.mark.parametrize("typ", ["f", "d"])
@pytest.mark.parametrize("name", ["std-symmetric", "gen-symmetric"])
def test_symmetric_modes(name, typ, which, mattype, sigma, method):
    # SOURCE::test_symmetric_modes (mode='normal'; 'buckling'/'cayley' are not offered)
    A, M = SYM[name]
    if mattype is spla.aslinearoperator and sigma is not None:
        pytest.skip("sigma factorizes A - sigma M: sparsekit refuses a LinearOperator there "
                    "(SciPy inverts it iteratively); docs/scipy.md")
    want = _pick(sla.eigh(A, M, eigvals_only=True), which, 2, sigma)
    Mt = None if M is None else M.astype(typ)
    r = sk.eigsh(mattype(A.astype(typ)), k=2, M=Mt, which=which, sigma=sigma, method=method,
                 tol=_tol(typ, mattype))
    np.testing.assert_allclose(r.values, np.sort(want), rtol=RTOL[typ], atol=RTOL[typ])
    _check(r, A, M, typ)


@pytest.mark.parametrize("method", ["auto", "arpack"])
@pytest.mark.parametrize("sigma", [None, 0.5])
@pytest.mark.parametrize("mattype", MATTYPES)
@pytest.mark.parametrize("which", ["LM", "SM", "LA", "SA"])
@pytest.mark.parametrize("typ", ["F", "D"])
@pytest.mark.parametrize("name", ["std-hermitian", "gen-hermitian", "gen-hermitian-Mc"])
def test_hermitian_modes(name, typ, which, mattype, sigma, method):
    # SOURCE::test_hermitian_modes; SciPy skips LA/SA of the generalized problems without
    # sigma ("unreliable"): sparsekit runs them too
    A, M = SYM[name]
    if mattype is spla.aslinearoperator and sigma is not None:
        pytest.skip("sigma factorizes A - sigma M: sparsekit refuses a LinearOperator there "
                    "(SciPy inverts it iteratively); docs/scipy.md")
    want = _pick(sla.eigh(A, M, eigvals_only=True), which, 2, sigma)
    Mt = None if M is None else M.astype(typ)
    r = sk.eigsh(mattype(A.astype(typ)), k=2, M=Mt, which=which, sigma=sigma, method=method,
                 tol=_tol(typ, mattype))
    rtol = RTOL[typ] * (10 if name == "gen-hermitian-Mc" else 1)  # as the SciPy file
    np.testing.assert_allclose(r.values, np.sort(want), rtol=rtol, atol=rtol)
    _check(r, A, M, typ.lower())


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("typ", ["f", "d"])
@pytest.mark.parametrize("name", ["std-symmetric", "gen-symmetric"])
def test_symmetric_starting_vector(name, typ, k):
    # SOURCE::test_symmetric_starting_vector
    A, M = SYM[name]
    v0 = np.random.default_rng(1749532110418901).uniform(size=6).astype(typ)
    want = _pick(sla.eigh(A, M, eigvals_only=True), "LM", k)
    for method in ("auto", "arpack"):
        r = sk.eigsh(A.astype(typ), k=k, M=M, which="LM", v0=v0, method=method)
        np.testing.assert_allclose(r.values, np.sort(want), rtol=RTOL[typ], atol=RTOL[typ])
        _check(r, A, M, typ)


def test_symmetric_no_convergence():
    # SOURCE::test_symmetric_no_convergence: ARPACK out of restarts keeps the pairs it has,
    # each a true eigenpair; sparsekit warns (SciPy raises) and strict=True raises
    rng = np.random.RandomState(1234)
    m = _random_matrix(rng, 30, hermitian=True)
    with pytest.warns(sk.ConvergenceWarning):
        r = sk.eigsh(m, 4, which="LM", v0=m[:, 0], maxiter=5, ncv=9, method="arpack")
    assert len(r.values) > 0 and not r.converged.any()
    np.testing.assert_allclose(m @ r.vectors, r.vectors * r.values, rtol=RTOL["d"], atol=1e-9)
    with pytest.raises(sk.NoConvergence) as info:
        sk.eigsh(m, 4, which="LM", v0=m[:, 0], maxiter=5, ncv=9, method="arpack",
                 strict=True)
    assert isinstance(info.value.result, sk.EigenResult)


@pytest.mark.parametrize("method", ["auto", "arpack"])
@pytest.mark.parametrize("sigma", [None, 0.1, 0.1 + 0.1j])
@pytest.mark.parametrize("mattype", MATTYPES)
@pytest.mark.parametrize("which", ["LM", "LR", "LI"])
@pytest.mark.parametrize("typ", ["f", "d"])
@pytest.mark.parametrize("name", ["std-real-nonsym", "gen-real-nonsym"])
def test_real_nonsymmetric_modes(name, typ, which, mattype, sigma, method):
    # SOURCE::test_real_nonsymmetric_modes (OPpart 'r'/'i' is not needed: a complex sigma
    # runs in complex arithmetic); SciPy skips LR/LI of the generalized problem without
    # sigma, sparsekit runs them
    A, M = NONSYM[name]
    if mattype is spla.aslinearoperator and sigma is not None:
        pytest.skip("sigma factorizes A - sigma M: sparsekit refuses a LinearOperator there "
                    "(SciPy inverts it iteratively); docs/scipy.md")
    want = _pick(sla.eig(A, M, right=False), which, 2, sigma, real=True)
    Mt = None if M is None else M.astype(typ)
    r = eigs(mattype(A.astype(typ)), k=2, M=Mt, which=which, sigma=sigma, method=method,
             tol=_tol(typ, mattype))
    _close_cc(r.values, want, RTOL[typ])
    _check(r, A, M, typ)


@pytest.mark.parametrize("method", ["auto", "arpack"])
@pytest.mark.parametrize("sigma", [None, 0.1, 0.1 + 0.1j])
@pytest.mark.parametrize("mattype", MATTYPES)
@pytest.mark.parametrize("which", ["LM", "LR", "LI"])
@pytest.mark.parametrize("typ", ["F", "D"])
@pytest.mark.parametrize("name", ["std-cmplx-nonsym", "gen-cmplx-nonsym"])
def test_complex_nonsymmetric_modes(name, typ, which, mattype, sigma, method):
    # SOURCE::test_complex_nonsymmetric_modes
    A, M = NONSYM[name]
    if mattype is spla.aslinearoperator and sigma is not None:
        pytest.skip("sigma factorizes A - sigma M: sparsekit refuses a LinearOperator there "
                    "(SciPy inverts it iteratively); docs/scipy.md")
    want = _pick(sla.eig(A, M, right=False), which, 2, sigma, real=False)
    Mt = None if M is None else M.astype(typ)
    r = eigs(mattype(A.astype(typ)), k=2, M=Mt, which=which, sigma=sigma, method=method,
             tol=_tol(typ, mattype))
    np.testing.assert_allclose(np.sort_complex(r.values), np.sort_complex(want),
                               rtol=RTOL[typ], atol=RTOL[typ])
    _check(r, A, M, typ.lower())


@pytest.mark.parametrize("k", [1, 2, 3, 4])
@pytest.mark.parametrize("typ", ["F", "D"])
@pytest.mark.parametrize("name", ["std-cmplx-nonsym", "gen-cmplx-nonsym"])
def test_nonsymmetric_starting_vector(name, typ, k):
    # SOURCE::test_nonsymmetric_starting_vector
    A, M = NONSYM[name]
    v0 = np.random.default_rng(174953366983161).uniform(size=6).astype(typ)
    want = _pick(sla.eig(A, M, right=False), "LM", k, real=False)
    for method in ("auto", "arpack"):
        if method == "arpack" and k >= 6 - 1:
            continue
        r = eigs(A.astype(typ), k=k, M=M, which="LM", v0=v0, method=method)
        np.testing.assert_allclose(np.sort_complex(r.values), np.sort_complex(want),
                                   rtol=RTOL[typ], atol=RTOL[typ])
        _check(r, A, M, typ.lower())


def test_standard_nonsymmetric_no_convergence():
    # SOURCE::test_standard_nonsymmetric_no_convergence: SciPy's ARPACK stops after 5
    # restarts with some pairs; sparsekit's (a buffer of 2 more pairs) may converge
    # there: either way every pair returned is a true eigenpair, and a stop is a warning
    rng = np.random.RandomState(1234)
    m = _random_matrix(rng, 30, complex_=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = eigs(m, 4, which="LM", v0=m[:, 0], maxiter=5, method="arpack")
    warned = any(issubclass(w.category, sk.ConvergenceWarning) for w in caught)
    assert len(r.values) > 0 and warned == (not r.all_converged)
    for w, v in zip(r.values, r.vectors.T, strict=True):
        np.testing.assert_allclose(m @ v, w * v, rtol=RTOL["d"], atol=1e-9)
    want = _pick(np.linalg.eigvals(m), "LM", 4, real=False)
    if r.all_converged:
        np.testing.assert_allclose(np.sort_complex(r.values), np.sort_complex(want),
                                   rtol=RTOL["d"], atol=RTOL["d"] * np.abs(want).max())


def test_eigen_bad_shapes():
    # SOURCE::test_eigen_bad_shapes
    with pytest.raises(ValueError):
        eigs(sp.csc_array(np.zeros((2, 3))))
    with pytest.raises(sk.NotSquareError):
        sk.eigsh(sp.csc_array(np.zeros((2, 3))))


def test_eigen_bad_kwargs():
    # SOURCE::test_eigen_bad_kwargs
    with pytest.raises(ValueError, match="which"):
        eigs(sp.csc_array(np.zeros((8, 8))), which="XX")


def test_ticket_1459_arpack_crash():
    # SOURCE::test_ticket_1459_arpack_crash: no crash, and the pairs are eigenpairs
    rng = np.random.RandomState(2301)
    A = rng.random_sample((6, 6))
    v0 = np.array([-0.71063568258907849895, -0.83185111795729227424, -0.34365925382227402451,
                   0.46122533684552280420, -0.58001341115969040629, -0.78844877570084292984e-01])
    for dtype in (np.float32, np.float64):
        for method in ("auto", "arpack"):
            w, v = eigs(A.astype(dtype), 2, v0=v0.astype(dtype), method=method, which="LM")
            np.testing.assert_allclose(A @ v, v * w, atol=1e-6)


def test_parallel_threads():
    # SOURCE::test_parallel_threads: the same answer from several threads at once
    x = sp.diags_array([1.0, -2.0, 1.0], offsets=[-1, 0, 1], shape=(50, 50))
    v0 = np.random.default_rng(1234).random(50)
    results = []

    def worker():
        results.append(eigs(x, k=3, v0=v0, which="LM", method="arpack").values)
        results.append(sk.eigsh(x, k=3, v0=v0, which="LM", method="arpack").values)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    worker()
    for r in results:
        np.testing.assert_allclose(np.sort(np.real(r)), np.sort(np.real(results[-1])),
                                   atol=1e-10)


def test_reentering():
    # SOURCE::test_reentering: an operator whose product calls eigs again
    def matvec(_):
        x = sp.diags_array([1.0, -2.0, 1.0], offsets=[-1, 0, 1], shape=(50, 50))
        w, v = eigs(x, k=1, which="LM", method="arpack")
        return v[:, 0].real / w[0].real

    A = spla.LinearOperator(matvec=matvec, dtype=float, shape=(50, 50))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sk.ConvergenceWarning)  # a rank-1 operator
        eigs(A, k=1, which="LM")
        sk.eigsh(A, k=1, which="LM", check=False)


def test_regression_arpackng_1315():
    # SOURCE::test_regression_arpackng_1315
    for dtype in (np.float32, np.float64):
        w0 = np.arange(1, 1001).astype(dtype)
        A = sp.diags_array([w0], offsets=[0], shape=(1000, 1000))
        v0 = np.random.RandomState(1234).rand(1000).astype(dtype)
        w, _ = eigs(A, k=9, ncv=2 * 9 + 1, which="LM", v0=v0)
        np.testing.assert_allclose(np.sort(w.real), np.sort(w0[-9:]), rtol=1e-4)


def test_eigs_for_k_greater():
    # SOURCE::test_eigs_for_k_greater: SciPy solves k >= n - 1 densely; sparsekit does so for
    # k = n - 1 (auto) and refuses k >= n, by design
    rng = np.random.RandomState(1234)
    A = _random_matrix(rng, 4)
    M_dense = np.eye(4) + 0.1 * np.ones((4, 4))
    r = eigs(A, M=M_dense, k=3, which="LM")
    want = _pick(sla.eig(A, M_dense, right=False), "LM", 3)
    _close_cc(r.values, want, RTOL["d"])
    for k in (4, 5):
        with pytest.raises(sk.InputValueError, match="k must be < n"):
            eigs(A, M=M_dense, k=k)
    with pytest.raises(sk.InputValueError, match="LinearOperator"):
        eigs(A, M=spla.aslinearoperator(M_dense), k=2)
    with pytest.raises(sk.InputValueError, match="k < n - 1"):
        eigs(spla.aslinearoperator(A), k=3)


def test_eigsh_for_k_greater():
    # SOURCE::test_eigsh_for_k_greater: as above, for eigsh
    rng = np.random.RandomState(1234)
    A = _random_matrix(rng, 4, hermitian=True)
    M_dense = np.eye(4) * 4 + 0.1 * np.ones((4, 4))
    r = sk.eigsh(A, M=M_dense, k=3)
    want = sla.eigh(A, M_dense, eigvals_only=True)
    np.testing.assert_allclose(r.values, want[:3], rtol=0, atol=RTOL["d"] * want.max())
    for k in (4, 5):
        with pytest.raises(sk.InputValueError, match="k must be < n"):
            sk.eigsh(A, M=M_dense, k=k)


def test_real_eigs_real_k_subset():
    # SOURCE::test_real_eigs_real_k_subset: the pairs for k are among those for k + 1
    rng = np.random.default_rng(2)
    n = 10
    A = sp.random_array((n, n), density=0.5, rng=rng)
    A.data *= 2
    A.data -= 1
    A = sp.csr_array(A + A.T)
    v0 = np.ones(n)
    for which in ("LM", "SM", "LR", "SR", "LI", "SI"):
        for sigma in (None, 0, 5):
            prev = np.array([])
            for k in range(1, 9):
                w, z = eigs(A, k=k, which=which, sigma=sigma, v0=v0, tol=0)
                np.testing.assert_allclose(np.linalg.norm(A @ z - z * w), 0, atol=1e-7)
                dist = np.abs(prev[:, None] - w).min(axis=1) if prev.size else np.zeros(0)
                np.testing.assert_allclose(dist, 0, atol=1e-7)
                prev = w


def test_generalized_eigs_non_hermitian_m_raises():
    # SOURCE::test_generalized_eigs_non_hermitian_M_raises
    A = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    M = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    with pytest.raises(sk.NotSymmetricError, match="M"):
        eigs(A, M=M, k=1, which="LM")
    with pytest.raises(sk.NotSymmetricError, match="M"):
        sk.eigsh(A + A.T, M=M, k=1, which="LM")


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
def test_gh24358(dtype):
    # SOURCE::test_gh24358: which='SR' with k=1 on a 3 x 3 matrix with a complex pair
    A = sp.csr_array(np.array([[-1.3, 2.7, 0.2], [0.8, 4.1, 2.2], [2.1, 4.4, -1.9]],
                              dtype=dtype))
    w, z = eigs(A, 1, which="SR")
    np.testing.assert_allclose(w.real, -2.495689365014214, atol=1e-6)
    np.testing.assert_allclose(np.abs(w.imag), 0.5173365219668336, atol=1e-6)
    np.testing.assert_allclose(A @ z, w * z, atol=1e-6)


@pytest.mark.parametrize("func", ["eigs", "eigsh"])
def test_nd(func):
    # SOURCE::test_nD: a 3-D operator is refused cleanly
    fn = eigs if func == "eigs" else sk.eigsh
    with pytest.raises(ValueError):
        A = spla.LinearOperator(shape=(2, 2, 2), matvec=lambda x: x, dtype=np.float64)
        fn(A)
