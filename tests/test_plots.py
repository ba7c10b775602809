"""Every picture the command line writes, made on a real shared matrix and checked for content.

Each test runs the real command, keeps the matplotlib Figure it saved (the
save function is wrapped, not replaced), and checks what the figure holds
against an independent reference: the entries of the file read by
``scipy.io.mmread`` (spy), the CSV the same command wrote (history,
embedding, labels), ``numpy.linalg.eigvalsh``/``eig`` on the dense matrix
(spectra).  The PNG itself is read back and must be neither blank nor a
solid block.
"""

import json

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp
from click.testing import CliRunner

import sparsekit as sk
from sparsekit._cli import _plots
from sparsekit.cli import cli

pytest.importorskip("matplotlib")
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.image import imread  # noqa: E402


def real_path(name):
    if not sk.datasets.available(name):
        pytest.skip(f"{name} not in {sk.datasets.data_dir()}")
    return sk.datasets.path(name)


@pytest.fixture
def saved(monkeypatch):
    """The figures the command saved, in order (saved for real as well)."""
    figures = []
    original = _plots.save

    def keep(fig, path):
        figures.append(fig)
        original(fig, path)

    monkeypatch.setattr(_plots, "save", keep)
    return figures


def run_json(*args, code=0):
    r = CliRunner().invoke(cli, [str(a) for a in args] + ["--json"], catch_exceptions=False)
    assert r.exit_code == code, (r.stdout, r.stderr)
    return json.loads(r.stdout)


def assert_a_picture(png):
    """The file is a PNG with something drawn, not a blank page nor a solid block."""
    image = imread(png)
    ink = np.mean(image[..., :3] < 0.9)
    assert 0.003 < ink < 0.9, ink


def test_spy_counts_every_entry_into_its_pixel(tmp_path, saved):
    path = real_path("luxembourg_osm")
    png = tmp_path / "spy.png"
    run_json("info", path, "--no-plan", "--spy", png)
    assert_a_picture(png)
    (fig,) = saved
    (image,) = fig.axes[0].images
    shown = np.asarray(image.get_array())
    # the reference: mmread's entries, each (row, column) block counted by a plain set
    C = sp.coo_array(scipy.io.mmread(path))
    C.sum_duplicates()
    block = -(-max(C.shape) // _plots.SPY_PIXELS)
    blocks = set(zip((C.row // block).tolist(), (C.col // block).tolist(), strict=True))
    assert int(np.count_nonzero(np.isfinite(shown))) == len(blocks)
    assert shown.shape == (-(-C.shape[0] // block), -(-C.shape[1] // block))
    # 1.8e-5 dense: most pixels are empty (matplotlib's spy drew a black square)
    assert np.mean(np.isfinite(shown)) < 0.2
    counts, _, _ = _plots.spy_counts(sk.io.read(path))
    assert counts.sum() == C.nnz


def test_spy_of_a_small_matrix_is_one_pixel_per_entry(tmp_path, saved):
    path = real_path("karate")
    run_json("info", path, "--no-plan", "--spy", tmp_path / "k.svg")
    shown = np.asarray(saved[0].axes[0].images[0].get_array())
    A = scipy.io.mmread(path).tocsr()
    np.testing.assert_array_equal(np.isfinite(shown), A.toarray() != 0)


def test_history_plot_is_the_relative_residual_with_the_rtol_line(tmp_path, saved):
    hist, png = tmp_path / "h.csv", tmp_path / "h.png"
    data = run_json("solve", real_path("bcsstk13"), "--method", "cg", "--precond", "jacobi",
                    "--maxiter", "3000", "--history", hist, "--plot", png)
    assert_a_picture(png)
    table = np.loadtxt(hist, delimiter=",", skiprows=1, ndmin=2)
    (ax,) = saved[0].axes
    series, rtol_line = ax.get_lines()
    np.testing.assert_array_equal(series.get_xdata(), table[:, 0])
    np.testing.assert_allclose(series.get_ydata(), table[:, 1], rtol=1e-15)
    assert len(series.get_ydata()) == data["iterations"]
    np.testing.assert_allclose(rtol_line.get_ydata(), 1e-8)
    # relative to ‖b‖ (b = ones), as every table reports it; its end is the recomputed one
    np.testing.assert_allclose(table[:, 1], table[:, 2] / np.sqrt(2003))  # bcsstk13: n = 2003
    assert table[-1, 1] == pytest.approx(data["relative_residual"], rel=1e-6)


def test_a_direct_solve_draws_no_history_and_says_so(tmp_path, saved):
    png, hist = tmp_path / "h.png", tmp_path / "h.csv"
    r = CliRunner().invoke(cli, ["solve", str(real_path("bcsstk09")), "--method", "direct",
                                 "--plot", str(png), "--history", str(hist)])
    assert r.exit_code == 0, r.stderr
    assert "does not iterate" in r.stderr and "--plot" in r.stderr
    assert not saved and not png.exists() and not hist.exists()


def test_spectrum_plot_of_a_symmetric_matrix(tmp_path, saved):
    path = real_path("bcsstk09")
    png = tmp_path / "s.png"
    data = run_json("eigs", path, "-k", "6", "--plot", png)
    assert_a_picture(png)
    ref = np.linalg.eigvalsh(scipy.io.mmread(path).toarray())[:6]
    left, right = saved[0].axes
    points = np.vstack([c.get_offsets() for c in left.collections
                        if isinstance(c, PathCollection) and len(c.get_offsets())])
    np.testing.assert_allclose(np.sort(points[:, 1]), ref, rtol=1e-9)
    (pairs, tol_line) = right.get_lines()
    np.testing.assert_allclose(pairs.get_ydata(), data["relative_residuals"])
    np.testing.assert_allclose(tol_line.get_ydata(), data["tol"])


def test_nonsymmetric_eigs_plots_the_complex_plane(tmp_path, saved):
    path = real_path("west0479")
    data = run_json("eigs", path, "-k", "4", "--which", "LM", "--plot", tmp_path / "w.png")
    assert data["symmetric"] is False and data["all_converged"]
    assert_a_picture(tmp_path / "w.png")
    dense = np.linalg.eigvals(scipy.io.mmread(path).toarray())
    ref = dense[np.argsort(-np.abs(dense))][:4]
    points = np.vstack([c.get_offsets() for c in saved[0].axes[0].collections
                        if isinstance(c, PathCollection) and len(c.get_offsets())])
    got = points[:, 0] + 1j * points[:, 1]
    # each plotted point is an eigenvalue, and they are the 4 largest magnitudes (which tie
    # on a ring of |λ| = 120.9 here, so the magnitudes are compared, not the values)
    for lam in got:
        assert np.min(np.abs(dense - lam)) <= 1e-8 * np.abs(lam)
    np.testing.assert_allclose(np.sort(np.abs(got)), np.sort(np.abs(ref)), rtol=1e-9)


def test_embedding_plot_places_every_node_at_its_coordinates(tmp_path, saved):
    path = real_path("fe_4elt2")
    csv, png = tmp_path / "xy.csv", tmp_path / "xy.png"
    run_json("spectral", "embedding", path, "-k", "2", "-o", csv, "--plot", png)
    assert_a_picture(png)
    table = np.loadtxt(csv, delimiter=",", skiprows=1)
    (ax,) = saved[0].axes
    (points,) = [c for c in ax.collections if len(c.get_offsets())]
    np.testing.assert_allclose(points.get_offsets(), table[:, 1:3])


def test_clustering_plot_colours_the_clusters(tmp_path, saved):
    path = real_path("fe_4elt2")
    csv, png = tmp_path / "labels.csv", tmp_path / "c.png"
    run_json("spectral", "clustering", path, "-k", "4", "-o", csv, "--plot", png)
    assert_a_picture(png)
    labels = np.loadtxt(csv, delimiter=",", skiprows=1, dtype=int)[:, 1]
    axes = saved[0].axes
    assert len(axes) == 3  # the three pairs of the first three coordinates
    (points,) = [c for c in axes[0].collections if len(c.get_offsets()) == labels.size]
    np.testing.assert_array_equal(points.get_array(), labels)
    colours = np.unique(points.get_facecolors(), axis=0)
    assert len(colours) == len(np.unique(labels)) == 4
