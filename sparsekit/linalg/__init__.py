"""Solving: linear systems, eigenproblems, factorizations, preconditioners, the dense path."""

from . import dense
from ._cache import cache_info, clear_cache, set_cache_limit
from ._condest import condest
from ._eigen import eigs, eigsh, svds
from ._pca import pca
from ._rank import matrix_rank, null_space
from .factor import Factorization, factorize
from .plan import plan
from .precond import preconditioner
from .solve import solve

__all__ = ["solve", "plan", "factorize", "Factorization", "preconditioner", "eigsh", "eigs",
           "svds", "dense", "condest", "pca", "null_space", "matrix_rank", "clear_cache",
           "cache_info", "set_cache_limit"]
