"""Kept for one release: the eigensolvers now live in :mod:`sparsekit.linalg._eigen`.

This module only re-exports the names it held before the split (issue 17);
import them from ``sparsekit`` (``sk.eigsh``, ``sk.svds``, ``sk.plan``) or,
inside the package, from ``sparsekit.linalg._eigen``.  The constants here are
copies: patching one of them changes nothing, patch the module that reads it
(``sparsekit.linalg._eigen._plan``, ``sparsekit.linalg._eigen._arpack``).
"""

from .._choices import BACKENDS
from ..results import SVDSResult
from ._eigen import (
    AUTO_ARPACK_RESTARTS,
    AUTO_DENSE_FALLBACK,
    DENSE_CROSSOVER,
    DIRECT_MAX_BYTES,
    FACTOR_MAX_N,
    LAPLACIAN_SHIFT,
    LOBPCG_CHUNK,
    LOBPCG_EXTRA,
    METHODS,
    PRECONDS,
    SHIFT_INVERT_FIRST_TOL,
    SMALL_WORLD_HOPS,
    SVD_METHODS,
    eigsh,
    plan_eigsh,
    svds,
)

__all__ = ["eigsh", "svds", "plan_eigsh", "METHODS", "PRECONDS", "BACKENDS", "SVDSResult",
           "SVD_METHODS", "DENSE_CROSSOVER", "AUTO_DENSE_FALLBACK", "AUTO_ARPACK_RESTARTS",
           "SMALL_WORLD_HOPS", "DIRECT_MAX_BYTES", "FACTOR_MAX_N", "LAPLACIAN_SHIFT",
           "SHIFT_INVERT_FIRST_TOL", "LOBPCG_CHUNK", "LOBPCG_EXTRA"]
