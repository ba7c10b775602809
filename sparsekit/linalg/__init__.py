"""Solving: linear systems, eigenproblems, factorizations, preconditioners, the dense path."""

from . import dense
from ._cache import cache_info, clear_cache, set_cache_limit
from ._eigen import eigsh, svds
from .factor import factorize
from .plan import plan
from .precond import preconditioner
from .solve import solve

__all__ = ["solve", "plan", "factorize", "preconditioner", "eigsh", "svds", "dense",
           "clear_cache", "cache_info", "set_cache_limit"]
