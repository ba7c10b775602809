import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp

import sparsekit as sk


def test_names_and_tags():
    names = sk.datasets.names()
    assert "karate" in names and "poisson2d_64" in names
    assert set(sk.datasets.names("spd")) >= {"bcsstk09", "nos6", "poisson2d_64"}
    assert "west0479" in sk.datasets.names("nonsymmetric")


def test_shipped_poisson_matches_a_numpy_stencil():
    A = sk.datasets.load("poisson2d_64")
    n = 64
    u = np.random.default_rng(0).standard_normal((n, n))
    p = np.pad(u, 1)  # Dirichlet: zero outside the grid
    ref = 4 * u - p[:-2, 1:-1] - p[2:, 1:-1] - p[1:-1, :-2] - p[1:-1, 2:]
    np.testing.assert_allclose(A @ u.ravel(), ref.ravel(), atol=1e-12)
    assert A.nnz == 5 * n * n - 4 * n


def test_generated_grid_shortcuts_is_symmetric_graph():
    W = sk.datasets.load("grid_shortcuts_300")
    assert W.shape == (90000, 90000)
    assert (W != W.T).nnz == 0
    # 2*300*299 grid edges plus at most 200 shortcuts, each stored twice
    assert 2 * 2 * 300 * 299 <= W.nnz <= 2 * (2 * 300 * 299 + 200)
    assert set(np.unique(W.data)) == {1.0}


def test_real_matrix_found_in_data_dir(real):
    A = real("karate")
    ref = scipy.io.mmread(sk.datasets.path("karate"))
    assert (sp.csr_array(ref) != A).nnz == 0


def test_missing_dataset_says_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.setenv("SPARSEKIT_DATA", str(tmp_path))
    assert sk.datasets.data_dir() == tmp_path
    with pytest.raises(sk.DataNotFoundError, match=r"sparse\.tamu\.edu"):
        sk.datasets.load("karate")
    assert not sk.datasets.available("karate")


def test_unknown_dataset_lists_names():
    with pytest.raises(sk.UnknownMethodError, match="karate"):
        sk.datasets.load("no-such-matrix")


def test_file_in_collection_layout(tmp_path, monkeypatch):
    (tmp_path / "tiny").mkdir()
    scipy.io.mmwrite(tmp_path / "tiny" / "tiny.mtx", sp.coo_array(np.eye(2)))
    monkeypatch.setenv("SPARSEKIT_DATA", str(tmp_path))
    monkeypatch.setitem(sk.datasets._REGISTRY, "tiny",
                        sk.datasets.Dataset("tiny", "suitesparse"))
    assert sk.datasets.path("tiny") == tmp_path / "tiny" / "tiny.mtx"
