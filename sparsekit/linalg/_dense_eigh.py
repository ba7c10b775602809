"""Dense symmetric eigensolver (minimal stand-in; the eigen work (issue 5) replaces this file)."""

from __future__ import annotations

import time

import numpy as np
import scipy.linalg as sla

from .._validate import as_matrix
from ..results import EigenResult

__all__ = ["eigh"]


def eigh(A, k=None, *, which="smallest", M=None, max_bytes=None) -> EigenResult:
    """Eigenpairs of a dense symmetric matrix with LAPACK (stand-in until issue 5 lands).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.linalg._dense_eigh import eigh
    >>> eigh(np.diag([3.0, 1.0, 2.0]), k=2).values
    array([1., 2.])
    """
    A = as_matrix(A, square=True)
    A = A.toarray() if hasattr(A, "toarray") else np.asarray(A)
    Md = None if M is None else (M.toarray() if hasattr(M, "toarray") else np.asarray(M))
    t0 = time.perf_counter()
    w, V = sla.eigh(A, Md)
    n = A.shape[0]
    k = n if k is None else int(k)
    sel = slice(0, k) if which == "smallest" else slice(n - k, n)
    w, V = w[sel], V[:, sel]
    R = A @ V - (V * w if Md is None else (Md @ V) * w)
    res = np.linalg.norm(R, axis=0)
    tol = n * np.finfo(float).eps * max(np.abs(w).max() if w.size else 0.0, 1.0) * 10
    return EigenResult(w, V, res, res <= tol, "dense", timings={"setup": 0.0,
                       "solve": time.perf_counter() - t0}, tol=tol)
