"""The plan of ``sk.solve``: which method and preconditioner ``auto`` runs, and why.

:func:`plan_solve` gathers the facts once (:class:`_Facts`: the O(nnz)
inspection, the mesh dimension, what is cached, the memory of each option)
and tries a chain of small rules in order, as the eigensolver's plan does;
the first rule that applies decides, and every rule that fires adds its
one-line reason.

The thresholds below were MEASURED on this machine by ``scripts/crossover.py``
(table in ``docs/crossover.md``); re-run it on other hardware and update them.

Cost model for large SPD / Laplacian matrices (the 2-D against 3-D Poisson
case, where no fixed rule wins both):

* CG without preconditioner needs about ``C_CG[d] * n**(1/d) * ln(2/rtol)``
  iterations on a d-dimensional discretisation (its condition number grows
  like ``h**-2 = n**(2/d)``).  ``d`` is estimated from how fast a
  breadth-first ball around one unknown grows (``|ball(r)| ~ r**d``); a
  handful of sparse row slices, no mat-vec.
* The AMG hierarchy (PyAMG smoothed aggregation) costs, setup and its ~10
  iterations together, about ``AMG_CG_EQUIV`` plain CG iterations.
* Plain CG wins when its predicted iterations are fewer: 3-D Poisson 64^3
  (~158 predicted, 159 measured in the issue) runs plain CG, 2-D Poisson 1024^2
  (~1,897 predicted, 1,898 measured) runs CG + AMG.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .._components import n_components
from ..results import Plan
from . import factor as _factor
from . import precond as _precond
from ._cache import CACHE, fingerprint
from ._inspect import MatrixProperties, factor_memory, inspect_matrix, mesh_dimension

__all__ = ["plan_solve", "DENSE_MAX_N", "SMALL_DIRECT_N", "DENSE_LSTSQ_MAX_COLS", "DIRECT_MAX_N_2D",
           "DIRECT_MAX_N_NONSYM", "MANY_RHS", "REPEAT_DIRECT_MAX_N", "C_CG", "AMG_CG_EQUIV",
           "AC_MIN_N", "approx_chol_fits"]

# ---- measured by scripts/crossover.py (docs/crossover.md, 2-core machine shared with other
# jobs; medians) ------------------------------------------------------------------------------
#: Square matrices up to this order go to dense LAPACK.  Measured: sparse direct beat
#: sk.dense.solve at every size tried from n = 256 (2-D Poisson 0.5 ms vs 31 ms; random
#: nonsymmetric, 5 per row, 2 ms vs 34 ms), so dense is kept for tiny systems only.
DENSE_MAX_N = 100
#: Rectangular matrices with up to this many columns use dense least squares (gelsd, exact);
#: LSQR/LSMR iteration counts grow with the condition number (not measured: a judgement).
DENSE_LSTSQ_MAX_COLS = 2000
#: 2-D-like SPD matrices up to this order use the sparse Cholesky.  Measured on 2-D Poisson
#: (sk.solve paths, cache cleared, one BLAS thread, medians of 3 interleaved) on the quiet
#: 2-core AMD EPYC: direct took 0.59x the time of CG + AMG at n = 4,096, 0.62x at 9,216,
#: 1.12x at 12,544, 1.24-1.63x at 16,384, 2.1-2.6x from 25,600 to 65,536 (the regret suite's
#: poisson2d_256: 236 ms against 101 ms).  Within ~30% the factorization is preferred: the
#: cache makes every further solve with the matrix cost milliseconds, where CG + AMG costs
#: ~10 V-cycles each time.  (An earlier value, 70,000, came from runs on the machine under
#: a load of 4-7, which slowed the memory-bound AMG cycles more than the factorization.)
DIRECT_MAX_N_2D = 14_000
#: Nonsymmetric matrices up to this order use sparse LU (robust) rather than GMRES + ILU.
#: (Judgement: every nonsymmetric test matrix, up to bayer10 with 13,436 rows, factorizes in
#: under 0.2 s; GMRES + ILU stalls on several of them.)
DIRECT_MAX_N_NONSYM = 200_000
#: With at least this many right-hand sides a factorization is worth it (2-D-like matrices).
#: Measured on 2-D Poisson 128x128: k = 2 took 0.115 s direct vs 0.172 s CG + reused AMG.
MANY_RHS = 2
#: Repeated solves / many right-hand sides switch to a factorization only up to this order
#: at MANY_RHS; beyond it the threshold grows like sqrt(n / REPEAT_DIRECT_MAX_N) (2-D
#: factorization time grows like n^1.5, an AMG solve like n).  Measured on 2-D Poisson:
#: 256^2 factorization 0.97 s vs CG + AMG 0.86 s; 1024^2 factorization 54 s vs CG + AMG ~30 s.
REPEAT_DIRECT_MAX_N = 70_000
#: Square systems up to this order (not Laplacians) are factorized whatever their structure.
#: Measured by scripts/regret.py (docs/regret.md, loaded 2-core machine): the iteration
#: estimates are for meshes and miss badly on other matrices here -- 1138_bus ran CG +
#: Jacobi, 1,016 iterations where ~26 were predicted, 19 ms against 1 ms for spsolve;
#: sherman1 (negative definite) ran MINRES, 679 iterations, 25 ms against 1.6 ms -- while
#: every shared matrix up to n = 5,000 factorizes in under 40 ms.
SMALL_DIRECT_N = 5_000
#: Plain-CG iterations ~= C_CG[d] * n**(1/d) * ln(2/rtol).  Measured: 2-D 0.098, 0.096;
#: 3-D 0.129, 0.129.
C_CG = {1: 0.1, 2: 0.097, 3: 0.129}
#: AMG setup + AMG-preconditioned CG costs about this many plain CG iterations.  Measured:
#: 484, 429 (2-D), 441, 583 (3-D); median 463.
AMG_CG_EQUIV = 463
#: Graph Laplacians of at least this order run CG + randomized approximate Cholesky
#: (approx-chol) instead of the cost model's CG + AMG / plain CG / CG + Jacobi.  Measured
#: (docs/performance.md; sk.solve, cache cleared, rtol 1e-8, one BLAS thread, medians of 3
#: interleaved, load ~5 on the 2-core machine), CG + approx_chol against what auto ran before
#: and against CG + AMG: bcspwr10 (5,300) 7 ms vs 25 ms (CG + Jacobi, 401 its) and 43 ms;
#: fe_4elt2 (11,143) 28 ms vs 51 ms (plain CG, 538 its) and 44 ms; grid_shortcuts_300
#: (90,000) 0.25 s vs 0.28 s; luxembourg_osm (114,599) 0.17 s vs 0.67 s (CG + AMG);
#: grid_shortcuts_1000 (10^6): see docs/performance.md.  Not measured below 5,000 (the
#: cost model keeps those; they take milliseconds either way).  3-D Poisson 64^3, an SDDM
#: matrix but no Laplacian, is the other way round (CG + approx_chol 4.4 s, plain CG 1.9 s):
#: the rule is for Laplacians only.
AC_MIN_N = 5_000
# ------------------------------------------------------------------------------------------

_BYTES_PER_ENTRY = 12  # float64 value + int32 index
_DENSE_MAX_BYTES = 2 * 1024**3


@dataclass
class _Facts:
    """What the rules read (gathered once) and the plan they write."""

    A: Any  # the sparse or dense matrix
    props: MatrixProperties
    n: int
    nrhs: int
    rtol: float
    d: float | None
    cached: dict
    reasons: list
    properties: dict
    memory: dict

    @property
    def symmetric(self) -> bool:
        return bool(self.props.symmetric)

    @property
    def spd_like(self) -> bool:
        return self.symmetric and self.props.diag_sign == "positive"

    @property
    def two_d_like(self) -> bool:
        return self.d is None or self.d <= 2

    def decide(self, method: str, precond: str, reason: str) -> Plan:
        self.reasons.append(reason)
        return Plan("solve", method, precond, "scipy", tuple(self.reasons), self.properties,
                    self.memory)


def _cached(fp: str) -> dict:
    keys = {
        "factorization": [_factor.cache_key(fp, k) for k in ("auto", "lu", "cholesky")],
        "amg": [_precond.cache_key(fp, "amg", {})],
        "approx_chol": [_precond.cache_key(fp, "approx_chol", {})],
    }
    return {what: any(CACHE.contains(k) for k in ks) for what, ks in keys.items()}


def _properties(A, props, nrhs) -> dict:
    ncomp = props.n_components
    if props.laplacian and ncomp is None:
        ncomp = n_components(A)
    return {"shape": tuple(A.shape), "nnz": props.nnz, "density": props.density,
            "symmetric": props.symmetric, "diagonal": props.diag_sign,
            "positive_diagonal": props.diag_sign == "positive",
            "laplacian": props.laplacian, "n_components": ncomp, "nrhs": nrhs}


def _plan_rectangular(A, props, properties, memory) -> Plan:
    m, n = A.shape
    memory["iterative"] = float(props.nnz * _BYTES_PER_ENTRY + 8 * (m + 2 * n))
    if n <= DENSE_LSTSQ_MAX_COLS and memory["dense"] <= _DENSE_MAX_BYTES:
        reason = (f"rectangular {m}x{n} with {n} <= {DENSE_LSTSQ_MAX_COLS} columns: dense "
                  "least squares (LAPACK gelsd) is exact")
        return Plan("solve", "dense", "none", "scipy", (reason,), properties, memory)
    return Plan("solve", "lsmr", "none", "scipy",
                (f"rectangular {m}x{n}: least squares with LSMR (iterative)",),
                properties, memory)


def _facts(A, props, nrhs, rtol, fp, properties, memory) -> _Facts:
    n, nnz = A.shape[0], props.nnz
    sym = bool(props.symmetric)
    reasons = [f"{'symmetric' if sym else 'nonsymmetric'} (relative tolerance 1e-10), "
               f"diagonal {props.diag_sign}, n={n}, nnz={nnz} (density {props.density:.2e})"]
    cached = {"factorization": False, "amg": False, "approx_chol": False}
    if sp.issparse(A) and _factor.signature(A) in _factor.SIGNATURES:
        cached = _cached(fp or fingerprint(A))
    # the breadth-first probe of the mesh dimension (~0.5 ms) only where a rule reads it:
    # systems up to SMALL_DIRECT_N (not Laplacians) are factorized whatever their mesh
    small = n <= SMALL_DIRECT_N and not props.laplacian
    d = mesh_dimension(A) if sp.issparse(A) and n > 4 * DENSE_MAX_N and not small else None
    properties.update(cached=cached, mesh_dimension=d)
    memory["direct"] = factor_memory(n, nnz, d, sym)
    spd_like = sym and props.diag_sign == "positive"
    memory["iterative"] = float(nnz * _BYTES_PER_ENTRY * (2.5 if spd_like else 4) + 8 * n * 30)
    if props.laplacian:
        reasons.append(f"graph Laplacian (zero row sums, off-diagonals <= 0), "
                       f"{properties['n_components']} component(s): singular; the constant "
                       "vector of each component is projected out, b must be orthogonal to it")
    return _Facts(A, props, n, nrhs, rtol, d, cached, reasons, properties, memory)


# --------------------------------------------------------------------------- the rules


def _rule_dense(f: _Facts) -> Plan | None:
    if f.n <= DENSE_MAX_N and f.memory["dense"] <= _DENSE_MAX_BYTES:
        return f.decide("dense", "none", f"n={f.n} <= {DENSE_MAX_N}: dense LAPACK beats "
                        "sparse methods here (measured crossover, docs/crossover.md)")
    return None


def _rule_cached_factor(f: _Facts) -> Plan | None:
    if f.cached["factorization"]:
        return f.decide("direct", "none", "a factorization of this matrix is cached: reuse it")
    return None


def _rule_small_direct(f: _Facts) -> Plan | None:
    if f.n <= SMALL_DIRECT_N and not f.props.laplacian and f.memory["direct"] <= _DENSE_MAX_BYTES:
        kind = "sparse Cholesky-ordered LU" if f.spd_like else "sparse LU"
        return f.decide("direct", "none", f"n={f.n} <= {SMALL_DIRECT_N}: a {kind} (SuperLU) "
                        "costs milliseconds here, where an iterative method's iteration count "
                        "is a guess (measured, docs/regret.md)")
    return None


def _rule_nonsymmetric(f: _Facts) -> Plan | None:
    if f.symmetric:
        return None
    if f.n <= DIRECT_MAX_N_NONSYM:
        return f.decide("direct", "none", f"nonsymmetric with n={f.n} <= "
                        f"{DIRECT_MAX_N_NONSYM}: sparse LU (SuperLU, COLAMD) is robust where "
                        "GMRES + ILU may stall")
    return f.decide("gmres", "ilu", "nonsymmetric and large: GMRES with an incomplete LU")


def _rule_indefinite(f: _Facts) -> Plan | None:
    if f.props.laplacian:
        return None
    if f.props.diag_sign == "negative":
        return f.decide("minres", "none", "symmetric with a negative diagonal (negative "
                        "definite or indefinite): MINRES")
    if not f.spd_like:
        return f.decide("minres", "none", "symmetric with a diagonal that is not positive: "
                        "indefinite -> MINRES")
    return None


def _note_mesh(f: _Facts) -> None:
    if f.d is not None:
        f.reasons.append(f"the mesh looks {int(f.d)}-dimensional (breadth-first ball growth)")


def _rule_many_rhs(f: _Facts) -> Plan | None:
    need = MANY_RHS * math.sqrt(max(1.0, f.n / REPEAT_DIRECT_MAX_N))
    if f.nrhs >= need and f.two_d_like and not f.props.laplacian:
        return f.decide("direct", "none", f"{f.nrhs} right-hand sides >= {need:.0f}: "
                        "factorize once, solve the block")
    return None


def _rule_direct_2d(f: _Facts) -> Plan | None:
    if f.two_d_like and f.n <= DIRECT_MAX_N_2D and not f.props.laplacian:
        return f.decide("direct", "none", f"SPD-like, 2-D-like, n={f.n} <= {DIRECT_MAX_N_2D}: "
                        "sparse Cholesky (SuperLU, symmetric MMD ordering) beats CG + AMG here")
    return None


def _rule_cached_amg(f: _Facts) -> Plan | None:
    if not f.cached["amg"] or f.cached["approx_chol"]:
        return None
    if f.two_d_like and not f.props.laplacian and f.n <= REPEAT_DIRECT_MAX_N \
            and f.memory["direct"] < _DENSE_MAX_BYTES:
        return f.decide("direct", "none", "this matrix was solved before (its AMG hierarchy "
                        "is cached) and is 2-D-like: a factorization pays off over repeated "
                        "solves")
    return f.decide("cg", "amg", "an AMG hierarchy of this matrix is cached: CG + AMG costs "
                    "only its iterations")


def approx_chol_fits(props: MatrixProperties, n: int) -> bool:
    """Whether ``auto`` would precondition with approx-chol: a real Laplacian, ``n >= AC_MIN_N``.

    The one test of the solve plan, the eigen plan and LOBPCG's ``precond="auto"``;
    whether the package imports is asked separately (each says so in its own words).
    """
    return bool(props.laplacian and n >= AC_MIN_N and np.dtype(props.dtype).kind == "f")


def _rule_laplacian(f: _Facts) -> Plan | None:
    if not approx_chol_fits(f.props, f.n):
        return None
    if not _precond.approx_chol_available():
        f.reasons.append("approx-chol is not importable (a broken installation): the "
                         "Laplacian goes to CG + AMG instead of CG + approximate Cholesky")
        return None
    return f.decide("cg", "approx_chol", f"graph Laplacian with n={f.n} >= {AC_MIN_N}: CG + "
                    "randomized approximate Cholesky (approx-chol; measured ahead of CG + AMG "
                    "and of SuperLU on road networks and grids with shortcuts, "
                    "docs/performance.md)")


def _rule_spd_cost_model(f: _Facts) -> Plan:
    if not (f.props.offdiag_nonpositive and f.d is not None):
        return f.decide("cg", "amg", "SPD-like but not an M-matrix of a mesh: CG + AMG "
                        "(smoothed aggregation)")
    its = C_CG.get(int(f.d), C_CG[3]) * f.n ** (1.0 / f.d) * math.log(2.0 / max(f.rtol, 1e-16))
    f.properties["predicted_cg_iterations"] = round(its)
    if its < AMG_CG_EQUIV:
        spread = f.props.diag_spread
        if spread is None:
            d_vals = f.A.diagonal()
            spread = float(np.max(d_vals) / np.min(d_vals))
        pre = "jacobi" if spread > 10 else "none"
        return f.decide("cg", pre, f"cost estimate: plain CG ~{its:.0f} iterations < AMG "
                        f"setup + solve ~{AMG_CG_EQUIV} CG iterations -> CG without AMG")
    return f.decide("cg", "amg", f"cost estimate: plain CG ~{its:.0f} iterations > AMG setup "
                    f"+ solve ~{AMG_CG_EQUIV} CG iterations -> CG + AMG")


#: The rules, tried in order; the first that returns a plan decides.  ``_note_mesh`` only
#: adds a reason (it returns None).
_RULES = (_rule_dense, _rule_cached_factor, _rule_small_direct, _rule_nonsymmetric,
          _rule_indefinite, _note_mesh, _rule_many_rhs, _rule_direct_2d, _rule_cached_amg,
          _rule_laplacian, _rule_spd_cost_model)


def plan_solve(A, *, nrhs: int = 1, rtol: float = 1e-8, props=None, fp=None) -> Plan:
    """The plan for ``sk.solve(A, b)`` with ``nrhs`` right-hand sides (``A`` validated).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.linalg._plan_solve import plan_solve
    >>> plan_solve(np.eye(5) * 2.0).method
    'dense'
    """
    if isinstance(A, spla.LinearOperator):
        return Plan("solve", "gmres", "none", "scipy",
                    ("A is a LinearOperator: only Krylov methods apply, and its symmetry is "
                     "unknown -> GMRES (pass method='cg' for an SPD operator)",),
                    {"n": A.shape[0], "operator": True}, {})
    props = props or inspect_matrix(A, components=False)
    itemsize = 8 if np.dtype(props.dtype).kind != "c" else 16
    memory = {"dense": float(A.shape[0]) * A.shape[1] * itemsize}
    properties = _properties(A, props, nrhs)
    if not props.square:
        return _plan_rectangular(A, props, properties, memory)
    facts = _facts(A, props, nrhs, rtol, fp, properties, memory)
    for rule in _RULES:
        decided = rule(facts)
        if decided is not None:
            return decided
    raise AssertionError("the last rule always decides")  # pragma: no cover
