"""Every picture the command line draws (matplotlib, the ``plot`` extra).

Each ``*_figure`` function builds a :class:`matplotlib.figure.Figure` (no
pyplot, no display: the Agg canvas) from plain arrays and returns it, so the
tests can count what it holds; :func:`save` writes it atomically.
:func:`require` is called while the options are checked, before any work, so
a missing matplotlib is reported in the first second and not after the solve.

* :func:`spy_figure` — the sparsity pattern aggregated into pixels: every
  entry is counted into the pixel its row and column fall in (one
  ``np.bincount``), and a pixel is drawn when its block holds at least one
  stored entry, darker the more it holds (log scale).  Correct at any density
  (matplotlib's ``spy`` draws one marker per entry, so a sparse road network
  became a solid black square) and fast on 10⁷ entries.
* :func:`history_figure` — the relative residual per iteration with the
  ``rtol`` line: what every table reports.
* :func:`spectrum_figure` — the eigenvalues (on the real line, or in the
  complex plane) and each pair's relative residual with the ``tol`` line.
* :func:`embedding_figure` — the first two embedding coordinates (three: the
  three pairs of them), coloured by cluster when there are labels.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._validate import optional_import
from ._files import atomic_path

__all__ = ["require", "save", "spy_figure", "spy_counts", "history_figure",
           "spectrum_figure", "embedding_figure", "SPY_PIXELS", "IMAGE_SUFFIXES"]

#: The spy image is at most this many pixels on its longer side.
SPY_PIXELS = 600

#: The spy figure's resolution: its axes span more screen pixels than the image has.
SPY_DPI = 150

IMAGE_SUFFIXES = (".png", ".pdf", ".svg")


def require(option: str) -> None:
    """Import matplotlib now, or raise MissingDependencyError naming the ``plot`` extra."""
    optional_import("matplotlib.figure", "plot", option)


def _figure(width: float, height: float):
    figure = optional_import("matplotlib.figure", "plot", "plots")
    return figure.Figure(figsize=(width, height), dpi=100, layout="constrained")


def save(fig, path) -> None:
    """Write ``fig`` to ``path`` atomically, in the format its suffix names (at its dpi)."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=path.suffix.lstrip(".").lower() or "png", dpi=fig.get_dpi())


def spy_counts(A, pixels: int = SPY_PIXELS) -> tuple[np.ndarray, int, int]:
    """Stored entries per pixel: ``(counts, rows per pixel, columns per pixel)``.

    Row ``i`` falls in pixel row ``i // rows per pixel`` (the same block size on
    both axes, so the picture keeps the matrix's aspect).  Vectorised: one
    ``bincount`` over the entries.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> counts, r, c = spy_counts(sp.eye_array(1000), pixels=100)
    >>> counts.shape, r, int((counts > 0).sum()), int(counts.max())
    ((100, 100), 10, 100, 10)
    """
    m, n = A.shape
    block = max(1, -(-max(m, n) // pixels))
    pr, pc = max(1, -(-m // block)), max(1, -(-n // block))
    if sp.issparse(A):
        C = sp.coo_array(A)
        rows, cols = C.row, C.col
    else:
        rows, cols = np.nonzero(np.asarray(A).reshape(m, n))
    flat = (rows // block).astype(np.int64) * pc + cols // block
    counts = np.bincount(flat, minlength=pr * pc).reshape(pr, pc)
    return counts, block, block


def spy_figure(A, title: str, pixels: int = SPY_PIXELS):
    """The sparsity pattern of ``A``, aggregated into pixels (see the module docstring).

    A pixel holding one entry or more is drawn; when a pixel stands for a block
    of rows and columns, its shade is ``log10`` of the entries in the block,
    from mid grey (one entry) to black (the fullest block).  Saved with
    :data:`SPY_DPI`, the axes are wider than :data:`SPY_PIXELS` screen pixels,
    so no image row or column is dropped when it is drawn.
    """
    from matplotlib.colors import ListedColormap

    counts, block, _ = spy_counts(A, pixels)
    m, n = A.shape
    nnz = int(A.nnz) if sp.issparse(A) else int(np.count_nonzero(A))
    fig = _figure(6.4, 6.0)
    fig.set_dpi(SPY_DPI)
    ax = fig.add_subplot()
    shown = np.where(counts > 0, np.log10(np.maximum(counts, 1)), np.nan)
    top = float(np.nanmax(shown)) if nnz else 0.0
    if block == 1 or top == 0:
        cmap = ListedColormap(["black"])
    else:
        cmap = ListedColormap(_greys()(np.linspace(0.45, 1.0, 256)))
    cmap.set_bad("white")
    image = ax.imshow(shown, cmap=cmap, interpolation="nearest", aspect="equal",
                      extent=(-0.5, counts.shape[1] * block - 0.5,
                              counts.shape[0] * block - 0.5, -0.5),
                      vmin=0.0, vmax=max(top, 1e-12))
    ax.set_xlim(-0.5, n - 0.5)
    ax.set_ylim(m - 0.5, -0.5)
    ax.set_xlabel("column")
    ax.set_ylabel("row")
    density = nnz / (m * n) if m * n else 0.0
    ax.set_title(f"{title}\n{m:,} x {n:,}, {nnz:,} stored entries (density {density:.2g})",
                 fontsize=10)
    if block > 1 and top > 0:
        bar = fig.colorbar(image, ax=ax, shrink=0.7)
        bar.set_label(f"log10(stored entries in the {block} x {block} block of a pixel)")
    return fig


def _greys():
    import matplotlib

    return matplotlib.colormaps["Greys"]


def history_figure(relative, rtol: float | None, title: str, label: str, atol_line=None):
    """The relative residual after each iteration (1, 2, ...; semilog) with the ``rtol`` line."""
    res = np.asarray(relative, dtype=float)
    fig = _figure(6.4, 4.2)
    ax = fig.add_subplot()
    ax.semilogy(np.arange(1, res.size + 1), res, marker="." if res.size < 60 else None,
                label=label)
    if rtol:
        ax.axhline(rtol, color="tab:red", linestyle="--", linewidth=1,
                   label=f"rtol = {rtol:.0e}")
    if atol_line:
        ax.axhline(atol_line, color="tab:orange", linestyle=":", linewidth=1,
                   label=f"atol / ‖b‖ = {atol_line:.0e}")
    ax.set_xlabel("iteration")
    ax.set_ylabel("relative residual")
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
    return fig


def spectrum_figure(values, relative, converged, tol: float | None, title: str):
    """Left: the eigenvalues (real line or complex plane); right: each pair's relative residual.

    Pairs that did not converge are drawn in red on both panels.  ``tol=None``:
    ``relative`` holds absolute residuals (no scale at hand), drawn without the
    tol line.
    """
    vals = np.asarray(values)
    rel = np.asarray(relative, dtype=float)
    ok = np.asarray(converged, dtype=bool)
    fig = _figure(9.6, 4.0)
    left, right = fig.subplots(1, 2)
    idx = np.arange(vals.size)
    if np.iscomplexobj(vals) and np.any(np.imag(vals) != 0):
        left.scatter(vals.real[ok], vals.imag[ok], color="tab:blue", label="converged")
        left.scatter(vals.real[~ok], vals.imag[~ok], color="tab:red", marker="x",
                     label="not converged")
        left.axhline(0, color="grey", linewidth=0.5)
        left.set_xlabel("Re λ")
        left.set_ylabel("Im λ")
    else:
        left.scatter(idx[ok], np.real(vals)[ok], color="tab:blue", label="converged")
        left.scatter(idx[~ok], np.real(vals)[~ok], color="tab:red", marker="x",
                     label="not converged")
        left.set_xlabel("pair")
        left.set_ylabel("eigenvalue λ")
    left.set_title("eigenvalues", fontsize=10)
    left.grid(True, alpha=0.3)
    shown = np.where(rel > 0, rel, np.finfo(float).tiny)
    right.semilogy(idx, shown, linestyle="none", marker="o", color="tab:blue",
                   label="relative residual")
    if np.any(~ok):
        right.semilogy(idx[~ok], shown[~ok], linestyle="none", marker="x", color="tab:red",
                       label="not converged")
    if tol is not None:
        right.axhline(tol, color="tab:red", linestyle="--", linewidth=1,
                      label=f"tol = {tol:.0e}")
    right.set_xlabel("pair")
    right.set_ylabel("‖A v − λ M v‖ / (‖A‖ + |λ| ‖M‖)" if tol is not None
                     else "‖A v − λ M v‖")
    right.set_title("residual of each pair", fontsize=10)
    right.grid(True, which="both", alpha=0.3)
    right.legend(loc="best", fontsize=8)
    fig.suptitle(title, fontsize=10)
    return fig


def embedding_figure(X, title: str, labels=None):
    """The first two coordinates of ``X`` (three: the three pairs), coloured by ``labels``."""
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    d = min(X.shape[1], 3)
    pairs = [(0, 1)] if d == 2 else [(0, 1), (0, 2), (1, 2)] if d == 3 else [(0, None)]
    fig = _figure(5.2 * len(pairs), 4.8)
    axes = np.atleast_1d(fig.subplots(1, len(pairs)))
    size = float(np.clip(2e4 / max(X.shape[0], 1), 0.3, 30.0))
    color = None if labels is None else np.asarray(labels)
    for ax, (i, j) in zip(axes, pairs, strict=True):
        y = X[:, j] if j is not None else np.zeros(X.shape[0])
        points = ax.scatter(X[:, i], y, s=size, c=color, cmap="tab10" if color is not None
                            else None, linewidths=0, rasterized=X.shape[0] > 5000)
        ax.set_xlabel(f"x{i}")
        ax.set_ylabel(f"x{j}" if j is not None else "")
        ax.grid(True, alpha=0.3)
    if color is not None:
        ids = np.unique(color)
        handles = [axes[0].scatter([], [], color=points.cmap(points.norm(c)), label=str(c))
                   for c in ids[:10]]
        axes[0].legend(handles=handles, title="cluster", fontsize=8, loc="best")
    fig.suptitle(title, fontsize=10)
    return fig
