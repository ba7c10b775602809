import pytest

import sparsekit as sk
from sparsekit import errors


@pytest.mark.parametrize("cls, builtin", [
    (sk.ShapeError, ValueError), (sk.NotSquareError, ValueError),
    (sk.InputValueError, ValueError), (sk.NotSymmetricError, ValueError),
    (sk.NotSPDError, ValueError), (sk.SingularMatrixError, ValueError),
    (sk.InconsistentSystemError, ValueError), (sk.MatrixMarketError, ValueError),
    (sk.UnknownMethodError, ValueError), (sk.DenseTooLargeError, MemoryError),
    (errors.InsufficientMemoryError, MemoryError),
    (sk.BackendError, RuntimeError), (sk.NoConvergence, RuntimeError),
    (sk.DataNotFoundError, FileNotFoundError),
])
def test_errors_derive_from_base_and_builtin(cls, builtin):
    assert issubclass(cls, sk.SparsekitError)
    assert issubclass(cls, builtin)


def test_missing_dependency_names_the_extra():
    e = sk.MissingDependencyError("cupy", "gpu", "the GPU backend")
    assert isinstance(e, ImportError)
    assert "pip install 'sparsekit[gpu]'" in str(e) and "cupy" in str(e)


def test_matrix_market_error_carries_path_and_line():
    e = sk.MatrixMarketError("bad value", path="a.mtx", line=7)
    assert (e.path, e.line) == ("a.mtx", 7)
    assert str(e) == "a.mtx, line 7: bad value"


def test_no_convergence_carries_partial_result():
    assert sk.NoConvergence("x", result=42).result == 42


def test_disconnected_graph_error_carries_components():
    assert sk.DisconnectedGraphError("3 components", n_components=3).n_components == 3


def test_all_names_listed():
    for name in errors.__all__:
        assert hasattr(errors, name)


def test_nonconvergence_policy_warns_at_the_callers_line_or_raises():
    import warnings

    import numpy as np

    A = sk.poisson((30, 30))
    b = np.ones(A.shape[0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = sk.solve(A, b, method="cg", precond="none", maxiter=2)
    hits = [w for w in caught if issubclass(w.category, sk.ConvergenceWarning)]
    assert hits and hits[0].filename == __file__
    assert not r.converged and r.relative_residual > 1e-8
    try:
        sk.solve(A, b, method="cg", precond="none", maxiter=2, strict=True)
    except sk.NoConvergence as exc:
        assert exc.result.iterations == r.iterations
    else:
        raise AssertionError("strict=True did not raise")


def test_insufficient_memory_error_carries_needed_and_available():
    e = errors.InsufficientMemoryError("x would need 2.0 GiB, 1.0 GiB available",
                                       needed=2 * 2**30, available=2**30)
    assert (e.needed, e.available) == (2 * 2**30, 2**30)
    assert isinstance(e, MemoryError) and isinstance(e, sk.SparsekitError)


def test_a_missing_core_dependency_is_named_as_a_broken_install():
    e = sk.MissingDependencyError("pyamg", None, "algebraic multigrid")
    assert "pip install pyamg" in str(e) and "sparsekit[" not in str(e)


def test_the_extras_are_optional_features_only():
    from pathlib import Path

    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    meta = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())["project"]
    core = {d.split(">")[0].split("=")[0].strip() for d in meta["dependencies"]}
    for extra, deps in meta["optional-dependencies"].items():
        names = {d.split(">")[0].split("=")[0].split("[")[0].strip() for d in deps}
        assert not names & core, (extra, names & core)  # no extra repeats a core dependency


def test_every_named_extra_exists():
    """``optional_import(module, extra)`` names an extra pyproject.toml defines (or None)."""
    import re
    from pathlib import Path

    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    root = Path(__file__).parent.parent
    extras = set(tomllib.loads((root / "pyproject.toml").read_text())["project"]
                 ["optional-dependencies"])
    named = {m.group(1) for p in (root / "sparsekit").rglob("*.py")
             for m in re.finditer(r'optional_import\(\s*"[\w.]+",\s*"([\w-]+)"', p.read_text())}
    assert named and named <= extras, named - extras
