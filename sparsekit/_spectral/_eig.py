"""Smallest eigenpairs of a graph matrix, and the deterministic sign conventions.

Everything goes through :func:`sparsekit.eigsh` (which deflates Laplacian null
spaces and reports every pair's residual), except matrices so small that a
Krylov or LOBPCG method cannot even be set up (``n <= DENSE_MAX``, a few
kilobytes): those use ``scipy.linalg.eigh`` directly, residuals included.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp

from .. import linalg

__all__ = ["Pairs", "smallest", "flip_first", "flip_max"]

#: Below this size the dense ``eigh`` is used directly (an 64 x 64 matrix: 32 KiB).
DENSE_MAX = 64


@dataclass(frozen=True)
class Pairs:
    """Eigenpairs: values ascending, vectors as columns, residuals, converged flags."""

    values: np.ndarray
    vectors: np.ndarray
    residuals: np.ndarray
    converged: np.ndarray
    method: str


def smallest(A, k: int, *, M=None, tol=None, method: str = "auto") -> Pairs:
    """The ``k`` smallest eigenpairs of the symmetric matrix ``A`` (generalized with ``M``)."""
    n = A.shape[0]
    if n <= DENSE_MAX or k >= n - 1:  # ARPACK needs k < n - 1; n_components < n bounds n
        Ad = A.toarray() if sp.issparse(A) else np.asarray(A, dtype=float)
        Md = None if M is None else (M.toarray() if sp.issparse(M) else np.asarray(M))
        w, V = la.eigh(Ad, Md, subset_by_index=[0, k - 1])
        R = Ad @ V - (V if Md is None else Md @ V) * w
        res = np.linalg.norm(R, axis=0)
        scale = max(float(np.abs(Ad).sum(axis=1).max()), 1.0)
        return Pairs(w, V, res, res <= 1e-8 * scale, "dense")
    kwargs = {"which": "smallest", "method": method}
    if M is not None:
        kwargs["M"] = M
    if tol is not None:
        kwargs["tol"] = tol
    e = linalg.eigsh(A, k=k, **kwargs)
    return Pairs(np.asarray(e.values), np.asarray(e.vectors), np.asarray(e.residuals),
                 np.asarray(e.converged, dtype=bool), e.method)


def flip_first(V: np.ndarray, rel: float = 1e-6) -> np.ndarray:
    """Flip each column so that its first entry with ``|v_i| > rel·max|v|`` is positive.

    Robust to solver noise: an entry that is exactly zero in exact arithmetic
    is skipped, and a tie between entries of equal magnitude cannot flip it.
    """
    V = np.array(V, dtype=float, copy=True)
    one = V.ndim == 1
    V2 = V[:, None] if one else V
    big = np.abs(V2) > rel * np.abs(V2).max(axis=0, initial=0.0)
    first = np.argmax(big, axis=0)
    signs = np.sign(V2[first, np.arange(V2.shape[1])])
    signs[signs == 0] = 1.0
    V2 *= signs
    return V2[:, 0] if one else V2


def flip_max(V: np.ndarray) -> np.ndarray:
    """Flip each column so that its entry of largest magnitude is positive (scikit-learn's rule)."""
    V = np.array(V, dtype=float, copy=True)
    idx = np.argmax(np.abs(V), axis=0)
    signs = np.sign(V[idx, np.arange(V.shape[1])])
    signs[signs == 0] = 1.0
    return V * signs
