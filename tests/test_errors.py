import pytest

import sparsekit as sk
from sparsekit import errors


@pytest.mark.parametrize("cls, builtin", [
    (sk.ShapeError, ValueError), (sk.NotSquareError, ValueError),
    (sk.InputValueError, ValueError), (sk.NotSymmetricError, ValueError),
    (sk.NotSPDError, ValueError), (sk.SingularMatrixError, ValueError),
    (sk.InconsistentSystemError, ValueError), (sk.MatrixMarketError, ValueError),
    (sk.UnknownMethodError, ValueError), (sk.DenseTooLargeError, MemoryError),
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
