"""sparsekit: sparse and large-scale linear algebra that picks the right method and says why.

Build the matrices you have (graph Laplacians, finite elements and differences,
co-occurrence counts), solve them with the right method on the right hardware,
reuse what is expensive, and compare with the dense ``numpy.linalg`` path.

A tour in five steps (each a doctest):

1. **Build** a matrix from the problem you have:

   >>> import numpy as np
   >>> import networkx as nx
   >>> import sparsekit as sk
   >>> A = sk.poisson((60, 60))                  # 2-D finite differences, 3,600 unknowns
   >>> L = sk.laplacian(nx.path_graph(50))       # a graph Laplacian, from networkx

2. **Plan**: what ``method="auto"`` would do, and why, without solving:

   >>> p = sk.plan(A)
   >>> p.method, p.precond
   ('direct', 'none')

3. **Solve**, with the true residual recomputed whatever the method reported:

   >>> r = sk.solve(A, np.ones(A.shape[0]))
   >>> r.method, bool(r.converged), bool(r.relative_residual < 1e-8)
   ('direct', True, True)

4. **Eigenpairs**, every pair's residual checked (the path graph's spectrum is
   ``2 - 2 cos(pi j / n)``):

   >>> e = sk.eigsh(L, k=3)
   >>> bool(e.all_converged), bool(np.allclose(e.values, 2 - 2 * np.cos(np.pi * np.arange(3) / 50)))
   (True, True)

5. **Compare** with the dense ``numpy.linalg`` path: same arguments, same result objects:

   >>> d = sk.dense.solve(A, np.ones(A.shape[0]))
   >>> d.method, bool(np.allclose(d.x, r.x))
   ('dense', True)

Where each part lives, and what may import what: ``docs/architecture.md``.
"""

import importlib
from typing import TYPE_CHECKING

# The errors are plain Python and cheap: imported at once, so ``except sk.SparsekitError``
# costs nothing.  Everything else is imported on first use (PEP 562): ``import sparsekit``
# costs about what ``import scipy.sparse`` does (measured by asv_benchmarks/benchmarks/imports.py).
from .errors import (
    BackendError,
    ConvergenceWarning,
    DataNotFoundError,
    DenseTooLargeError,
    DisconnectedGraphError,
    IllConditionedWarning,
    InconsistentSystemError,
    InputValueError,
    InsufficientMemoryError,
    MatrixMarketError,
    MissingDependencyError,
    NoConvergence,
    NotSPDError,
    NotSquareError,
    NotSymmetricError,
    ShapeError,
    SingularMatrixError,
    SparsekitError,
    UnknownMethodError,
)

if TYPE_CHECKING:  # what the lazy names are, for type checkers and editors
    from . import datasets, io, spectral
    from ._progress import ProgressEvent, progress
    from .builders import (
        adjacency,
        document_cooccurrence,
        fem,
        laplacian,
        poisson,
        ppmi,
    )
    from .builders.cooccurrence import cooccurrence  # a function named like its module:
    from .linalg import (
        Factorization,
        cache_info,
        clear_cache,
        condest,
        dense,
        eigs,
        eigsh,
        factorize,
        matrix_rank,
        null_space,
        pca,
        preconditioner,
        set_cache_limit,
        svds,
    )
    from .linalg.plan import plan  # imported from it, or a type checker reads ``sk.plan``
    from .linalg.solve import solve  # as the submodule
    from .results import CondestResult, EigenResult, NullSpaceResult, PCAResult, Plan, SolveResult

#: public name -> the module that defines it, imported when the name is first used
_LAZY = {
    **dict.fromkeys(["laplacian", "adjacency", "poisson", "fem", "cooccurrence",
                     "document_cooccurrence", "ppmi"], "sparsekit.builders"),
    **dict.fromkeys(["solve", "plan", "factorize", "Factorization", "preconditioner", "eigsh",
                     "eigs", "svds", "dense", "condest", "pca", "null_space", "matrix_rank",
                     "clear_cache", "cache_info", "set_cache_limit"], "sparsekit.linalg"),
    **dict.fromkeys(["SolveResult", "EigenResult", "Plan", "CondestResult", "PCAResult",
                     "NullSpaceResult"], "sparsekit.results"),
    **dict.fromkeys(["progress", "ProgressEvent"], "sparsekit._progress"),
}
#: subpackages and modules reachable as attributes (``sk.io``, ``sk.linalg``, ...)
_SUBMODULES = frozenset({"spectral", "io", "datasets", "linalg", "builders", "backends",
                         "results", "errors", "cli"})


def __getattr__(name: str):
    """Import a public name's module on first use (PEP 562) and keep the name."""
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | _SUBMODULES)


__version__ = "0.1.0"

__all__ = [
    # builders
    "laplacian",
    "adjacency",
    "poisson",
    "fem",
    "cooccurrence",
    "document_cooccurrence",
    "ppmi",
    # solving
    "solve",
    "plan",
    "factorize",
    "preconditioner",
    "eigsh",
    "eigs",
    "svds",
    "dense",
    "condest",
    "pca",
    "null_space",
    "matrix_rank",
    "clear_cache",
    "cache_info",
    "set_cache_limit",
    "progress",
    "ProgressEvent",
    # graph spectral methods, files and data
    "spectral",
    "io",
    "datasets",
    # results
    "SolveResult",
    "EigenResult",
    "Plan",
    "Factorization",
    "CondestResult",
    "PCAResult",
    "NullSpaceResult",
    # errors and warnings
    "SparsekitError",
    "ShapeError",
    "NotSquareError",
    "InputValueError",
    "NotSymmetricError",
    "NotSPDError",
    "SingularMatrixError",
    "InconsistentSystemError",
    "DisconnectedGraphError",
    "MatrixMarketError",
    "MissingDependencyError",
    "UnknownMethodError",
    "DenseTooLargeError",
    "InsufficientMemoryError",
    "BackendError",
    "DataNotFoundError",
    "NoConvergence",
    "ConvergenceWarning",
    "IllConditionedWarning",
]
