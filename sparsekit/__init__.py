"""sparsekit: sparse and large-scale linear algebra that picks the right method and says why.

Build the matrices you have (graph Laplacians, finite elements and differences,
co-occurrence counts), solve them with the right method on the right hardware,
reuse what is expensive, and compare with the dense ``numpy.linalg`` path.

Examples
--------
>>> import sparsekit as sk
>>> A = sk.datasets.load("poisson2d_64")
>>> r = sk.solve(A, A @ (0 * A.diagonal() + 1.0))
>>> bool(r.converged)
True
"""

from . import (
    datasets,
    io,
    spectral,  # noqa: E402,I001  (uses builders and linalg)
)
from .builders import adjacency, cooccurrence, document_cooccurrence, fem, laplacian, poisson, ppmi
from .errors import (
    BackendError,
    ConvergenceWarning,
    DataNotFoundError,
    DenseTooLargeError,
    DisconnectedGraphError,
    IllConditionedWarning,
    InconsistentSystemError,
    InputValueError,
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
from .linalg import (
    cache_info,
    clear_cache,
    dense,
    eigsh,
    factorize,
    plan,
    preconditioner,
    set_cache_limit,
    solve,
    svds,
)
from .results import EigenResult, Plan, SolveResult

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
    "svds",
    "dense",
    "clear_cache",
    "cache_info",
    "set_cache_limit",
    # graph spectral methods, files and data
    "spectral",
    "io",
    "datasets",
    # results
    "SolveResult",
    "EigenResult",
    "Plan",
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
    "BackendError",
    "DataNotFoundError",
    "NoConvergence",
    "ConvergenceWarning",
    "IllConditionedWarning",
]
