"""The types of what users pass in: one home for the aliases the public signatures use.

Imported only under ``if TYPE_CHECKING:`` (and by ``tests/test_typing.py``, which
evaluates every public annotation), so it costs ``import sparsekit`` nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeAlias

import networkx as nx
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

__all__ = ["SparseMatrix", "MatrixLike", "OperatorLike", "GraphLike", "PathLike", "Seed",
           "Callback"]

#: a SciPy sparse matrix, in either of SciPy's interfaces (``csr_array`` or ``csr_matrix``)
SparseMatrix: TypeAlias = sp.sparray | sp.spmatrix
#: what a solver or a measure accepts as a matrix: sparse, dense or array-like
MatrixLike: TypeAlias = sp.sparray | sp.spmatrix | npt.ArrayLike
#: a matrix or a matrix-free operator (``M=``, ``A`` of the iterative solvers)
OperatorLike: TypeAlias = sp.sparray | sp.spmatrix | LinearOperator | npt.ArrayLike
#: a graph as :func:`sparsekit.laplacian` takes it: a networkx graph, a sparse or dense
#: adjacency, edge arrays ``(rows, cols[, weights])`` or a Matrix Market path
GraphLike: TypeAlias = (nx.Graph | sp.sparray | sp.spmatrix | npt.ArrayLike
                        | tuple[npt.ArrayLike, ...] | str | os.PathLike)
#: a file path
PathLike: TypeAlias = str | os.PathLike
#: a seed as NumPy takes it (``random_state=``, ``seed=``)
Seed: TypeAlias = int | np.random.Generator | np.random.RandomState | None
#: a per-iteration callback (``callback=``), called as SciPy calls it (the iterate or a residual)
Callback: TypeAlias = Callable[..., object]
