"""Input checks and cheap structural inspection done where the matrix lives.

``sk.solve``/``sk.eigsh`` (and this backend's keyword functions) validate
every argument that does not need the matrix's entries once, in
:mod:`sparsekit._requests`, before the backend runs.  What needs the entries
(finiteness, symmetry, the Laplacian structure) cannot go through the host
checks without a copy, so it runs here in the namespace, with the same error
classes; the right-hand side goes through the one rule,
:func:`sparsekit._validate.as_rhs`, computed with the namespace's array module.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..._components import component_labels
from ..._validate import as_rhs
from ...errors import InputValueError, NotSquareError, ShapeError
from ._namespace import Namespace, to_host

__all__ = ["check_matrix", "check_entries", "check_rhs", "DeviceProperties", "inspect_device",
           "components"]


def _describe(A) -> str:
    kind = type(A).__name__
    shape = getattr(A, "shape", None)
    nnz = getattr(A, "nnz", None)
    extra = f" with {nnz} stored entries" if nnz is not None else ""
    return f"{kind} of shape {shape}{extra}"


def _data(ns: Namespace, A):
    return A.data if ns.issparse(A) else A


def check_matrix(ns: Namespace, A, name: str = "A", *, square: bool = True) -> None:
    """Raise ``NotSquareError``/``ShapeError``/``InputValueError`` for unusable ``A``."""
    shape = getattr(A, "shape", None)
    if shape is None or len(shape) != 2:
        raise ShapeError(f"{name} must be a 2-D matrix (got {_describe(A)})")
    if square and shape[0] != shape[1]:
        raise NotSquareError(
            f"{name} must be square (got shape {shape}); the GPU backend has no "
            "least-squares method, use backend='scipy' with method='lsqr'"
        )
    check_entries(ns, A, name)


def check_entries(ns: Namespace, A, name: str = "A") -> None:
    """Raise ``InputValueError`` if the matrix ``A`` holds NaN or Inf (a LinearOperator passes)."""
    if isinstance(A, ns.xspla.LinearOperator):
        return
    data = _data(ns, A)
    if data.dtype.kind in "fc" and not bool(ns.xp.isfinite(data).all()):
        bad = int(ns.xp.count_nonzero(~ns.xp.isfinite(data)))
        raise InputValueError(
            f"{name} contains {bad} NaN or Inf entr{'y' if bad == 1 else 'ies'} "
            f"(got {_describe(A)}); remove or replace them before solving"
        )


def check_rhs(ns: Namespace, b, n: int, name: str = "b"):
    """Return ``b`` as a float array of shape ``(n,)`` or ``(n, k)`` of the namespace, or raise.

    The rule is :func:`sparsekit._validate.as_rhs`'s, computed with ``ns.xp``
    (``b`` must already live on the namespace's side).
    """
    return as_rhs(b, n, name, xp=ns.xp)


@dataclass(frozen=True)
class DeviceProperties:
    """What :func:`inspect_device` found (O(nnz) checks in the namespace)."""

    n: int
    nnz: int
    symmetric: bool
    positive_diagonal: bool
    laplacian: bool
    norm1: float


def inspect_device(ns: Namespace, A, *, sym_rtol: float = 1e-10) -> DeviceProperties:
    """Symmetry, diagonal sign, Laplacian structure and ``‖A‖₁`` of a sparse matrix.

    ``laplacian`` has the meaning of ``sparsekit.linalg._inspect``: symmetric,
    off-diagonal entries <= 0 and zero row sums (to rounding), so the constant
    vector of each connected component spans the null space.
    """
    xp = ns.xp
    n = A.shape[0]
    C = ns.csr(A)
    absdata = xp.abs(C.data)
    scale = float(absdata.max()) if C.nnz else 0.0
    D = ns.csr(C - ns.csr(C.T).conj())
    diff = float(xp.abs(D.data).max()) if D.nnz else 0.0
    symmetric = diff <= sym_rtol * scale
    d = C.diagonal()
    real_d = d.real if d.dtype.kind == "c" else d
    positive = bool((real_d > 0).all()) if n else False
    norm1 = float(xp.asarray(abs(C).sum(axis=0)).max()) if C.nnz else 0.0
    laplacian = False
    if symmetric and C.dtype.kind != "c" and scale > 0:
        off = ns.csr(C - ns.diags(d))
        offdiag_nonpos = bool((off.data <= 0).all()) if off.nnz else True
        rowsum = xp.asarray(C.sum(axis=1)).ravel()
        dmax = float(xp.abs(d).max())
        zero_rows = bool((xp.abs(rowsum) <= 1e-9 * max(dmax, 1e-300)).all())
        laplacian = bool(offdiag_nonpos and zero_rows and bool((d >= 0).all()))
    return DeviceProperties(n, int(C.nnz), bool(symmetric), positive, laplacian, norm1)


def components(ns: Namespace, A):
    """Connected-component labels of a symmetric pattern, computed on the host.

    cupyx has no dependable connected-components routine (it needs
    pylibcugraph), so the pattern (indptr, indices; no values) is copied to the
    host explicitly and labelled by :func:`sparsekit._components.component_labels`.
    Returns ``(n_components, labels)`` with ``labels`` a host ndarray.
    """
    C = ns.csr(A)
    indptr = to_host(C.indptr)
    indices = to_host(C.indices)
    n = C.shape[0]
    G = sp.csr_array((np.ones(len(indices), dtype=bool), indices, indptr), shape=(n, n))
    return component_labels(G)
