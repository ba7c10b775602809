"""Eigenproblems and singular triplets: :func:`eigsh`, :func:`eigs`, :func:`svds`, plans.

One private module per concern, in the shape of SciPy's
``scipy/sparse/linalg/_eigen``:

* ``_eigsh``: ``eigsh`` itself (validate, plan, run the method chain, judge)
  and the :data:`METHODS`/:data:`PRECONDS` registries;
* ``_problem``: ``make_problem`` (the checks that need the entries) and the
  helpers every method shares;
* ``_plan``: ``method="auto"`` (:func:`plan_eigsh`, the fallback order and
  the measured constants);
* ``_arpack``, ``_lobpcg``: the method families;
* ``_eigs``: :func:`eigs` (nonsymmetric and complex matrices) and its
  :data:`EIGS_METHODS`;
* ``_svds``: :func:`svds`.

The measured constants are re-exported for reading; each is read in the
module that defines it (``_plan.FACTOR_MAX_N``, ``_arpack.SHIFT_INVERT_FIRST_TOL``),
which is where a test patches it.
"""

from ._arpack import SHIFT_INVERT_FIRST_TOL
from ._eigs import EIGS_METHODS, eigs
from ._eigsh import METHODS, PRECONDS, eigsh
from ._lobpcg import LOBPCG_CHUNK, LOBPCG_EXTRA
from ._plan import (
    AUTO_ARPACK_RESTARTS,
    AUTO_DENSE_FALLBACK,
    DENSE_CROSSOVER,
    DIRECT_MAX_BYTES,
    FACTOR_MAX_N,
    SMALL_WORLD_HOPS,
    plan_eigsh,
)
from ._problem import LAPLACIAN_SHIFT
from ._svds import SVD_METHODS, svds

__all__ = [
    "eigsh",
    "eigs",
    "plan_eigsh",
    "svds",
    "METHODS",
    "PRECONDS",
    "EIGS_METHODS",
    "SVD_METHODS",
    "DENSE_CROSSOVER",
    "AUTO_DENSE_FALLBACK",
    "AUTO_ARPACK_RESTARTS",
    "SMALL_WORLD_HOPS",
    "DIRECT_MAX_BYTES",
    "FACTOR_MAX_N",
    "LAPLACIAN_SHIFT",
    "SHIFT_INVERT_FIRST_TOL",
    "LOBPCG_CHUNK",
    "LOBPCG_EXTRA",
]
