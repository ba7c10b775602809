"""The null space of a graph Laplacian: the constant vector of each connected component.

A combinatorial Laplacian (symmetric, off-diagonal <= 0, zero row sums) is
singular: the indicator vector of every connected component is in its null
space.  ``sk.solve`` projects it out of ``b`` and ``x`` (the minimum-norm
solution) or grounds one node per component (direct methods); ``sk.eigsh``
returns those vectors exactly and deflates them from the iteration.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._components import component_labels

__all__ = ["NullSpace", "laplacian_null_space"]


class NullSpace:
    """The constant vectors of the connected components of a Laplacian's graph.

    Parameters
    ----------
    labels : ndarray of int, shape (n,)
        Component of every node (``0 .. n_components − 1``).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.linalg._nullspace import NullSpace
    >>> ns = NullSpace(np.array([0, 0, 1]))
    >>> ns.project(np.array([1.0, 3.0, 5.0]))
    array([2., 2., 5.])
    """

    def __init__(self, labels: np.ndarray):
        self.labels = np.asarray(labels)
        self.counts = np.bincount(self.labels)

    @property
    def n_components(self) -> int:
        """Number of connected components (the dimension of the null space)."""
        return int(self.counts.size)

    def project(self, v: np.ndarray) -> np.ndarray:
        """The part of ``v`` (1-D, or 2-D by columns) along the constant vectors."""
        if v.ndim == 2:
            return np.column_stack([self.project(v[:, j]) for j in range(v.shape[1])])
        ncomp = self.counts.size
        means = np.bincount(self.labels, weights=v.real, minlength=ncomp) / self.counts
        if np.iscomplexobj(v):
            means = means + 1j * np.bincount(self.labels, weights=v.imag,
                                             minlength=ncomp) / self.counts
        return means[self.labels]

    def vectors(self, M=None) -> np.ndarray:
        """The indicator vectors as columns, ``M``-orthonormal (``Yᵀ M Y = I``)."""
        n = self.labels.size
        Y = np.zeros((n, self.counts.size))
        Y[np.arange(n), self.labels] = 1.0
        MY = Y if M is None else M @ Y
        return Y / np.sqrt(np.einsum("ij,ij->j", Y, MY))

    def grounded(self, A):
        """``A`` without one node per component (the first): a nonsingular reduced Laplacian.

        Returns ``(R, keep)`` with ``keep`` the indices of the rows kept.
        """
        first = np.zeros(self.labels.size, dtype=bool)
        first[np.unique(self.labels, return_index=True)[1]] = True
        keep = np.flatnonzero(~first)
        if sp.issparse(A):
            R = sp.csr_array(A)[keep][:, keep]
        else:
            R = np.asarray(A)[np.ix_(keep, keep)]
        return R, keep


def laplacian_null_space(A) -> NullSpace:
    """The null space of the Laplacian ``A`` (its components, from the pattern)."""
    _, labels = component_labels(A if sp.issparse(A) else np.asarray(A))
    return NullSpace(labels)
