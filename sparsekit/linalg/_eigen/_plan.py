"""``method="auto"`` for eigenproblems: :func:`plan_eigsh` and the fallback order.

The plan is a list of rules tried in order (a LinearOperator, the dense
crossover, the largest or nearest pairs, SciPy's magnitude codes, then the
smallest by structure: definiteness, a cached factor, a small-world pattern,
size, factor memory); each returns a :class:`~sparsekit.Plan` with its
reason.  The constants carry the measurements that set them.  On a matrix
known to be positive semidefinite SciPy's ``'SM'``/``'LM'`` are the smallest
/ largest eigenvalues (:func:`psd_which`), and are planned as such.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..._requests import check_which
from ..._validate import as_matrix, positive_int
from ...backends import _registry
from ...results import Plan, _fmt_bytes
from .. import _dense_eigh
from .._inspect import ball_sizes, factor_memory, inspect_matrix, mesh_dimension
from .._plan_solve import AC_MIN_N, approx_chol_fits
from .._residuals import matrix_scale
from ..precond import approx_chol_available
from ._problem import LAPLACIAN_SHIFT, _factor_cached, _Problem

__all__ = ["plan_eigsh", "psd_which", "DENSE_CROSSOVER", "AUTO_DENSE_FALLBACK",
           "AUTO_ARPACK_RESTARTS", "REGULAR_RESTARTS_PER_N3", "REGULAR_MIN_RESTARTS",
           "SMALL_WORLD_HOPS",
           "DIRECT_MAX_BYTES", "FACTOR_MAX_N", "ONE_PAIR_MAX_COMPONENTS",
           "FILL_MIN_COLUMN_ENTRIES"]

#: Below this order the dense LAPACK path is faster than any sparse method.
#: Measured (2-D Dirichlet Poisson, k=6, median of 3, on the busy 2-core
#: development machine): n=100 dense 0.6 ms vs shift-invert 1.3 ms; n=256
#: dense 9.3 ms vs 1.8 ms; n=484 64 ms vs 25 ms; n=1024 1.8 s vs 57 ms.
DENSE_CROSSOVER = 200

#: While ``n`` is at most this, the dense path is cheap enough to be ``auto``'s
#: safety net: shift-invert ARPACK gets at most ``AUTO_ARPACK_RESTARTS`` restarts and,
#: if it has not converged, ``auto`` goes to dense LAPACK before LOBPCG.  Measured on
#: nos6 (n=675, k=20, the smallest eigenvalues clustered within 1e-4 of 1):
#: shift-invert ARPACK needed ~300 restarts (7.1 s, ~25 ms each) against
#: 0.07 s for ``scipy.linalg.eigh(subset_by_index=...)``.  The regret suite
#: (scripts/regret.py, docs/regret.md) counted the restarts the others need: every
#: smallest-pairs case with n <= 4,000 (bcsstk09, bcsstk13, gr_30_30, 494_bus,
#: 1138_bus, a 3,444-unknown elasticity stiffness, the jazz/karate/Erdos971
#: Laplacians; k = 3 ... 10) converged within 3 restarts, while nos6 does not
#: converge in 30 even for k = 2.  30 restarts wasted 40 ms before the 31 ms dense
#: call on nos6, k = 6 (auto 2.3x the dense call); 5 waste about 7 ms.
AUTO_DENSE_FALLBACK = 4000
AUTO_ARPACK_RESTARTS = 5

#: Regular-mode ARPACK (the largest pairs, no factorization) restarts cheaply, so
#: the shift-invert budget above starved it: the 6 largest pairs of a P1
#: elasticity stiffness (n = 3,528, like bcsstk21's 3,600) need about 20 restarts
#: and got 30 only because a tighter case needed more, then dense LAPACK took 4.4 s
#: where ARPACK with room finishes in 50 ms (issue 19: bcsstk21 at 0.010x SciPy).
#: Its budget is what costs as much as the dense safety net: a restart costs
#: ~0.55 ns per ``ncv (nnz + n ncv)`` and ``eigh`` 0.7-1.1e-10 s per n^3
#: (measured, P1 elasticity n = 968 ... 5,408, one BLAS thread), so
#: ``REGULAR_RESTARTS_PER_N3 * n^3 / (ncv (nnz + n ncv))`` restarts take at most
#: about the dense time, and a hopeless ARPACK then dense costs at most ~2x dense.
REGULAR_RESTARTS_PER_N3 = 0.1
#: ... and never fewer than this many restarts (regular mode restarts cheaply).
REGULAR_MIN_RESTARTS = 30

#: A graph whose middle node reaches half of all nodes within this many hops is
#: "small-world" (social, random, block-model graphs): LU fill there is near dense.
#: Measured on a 4 x 2,500-node block model (p_in 0.02, p_out 0.001), 8 smallest
#: Laplacian pairs: shift-invert 158 s, LOBPCG + AMG 3.4 s, LOBPCG + Jacobi 0.87 s.
#: Meshes and road networks reach a few hundred nodes in 6 hops.
SMALL_WORLD_HOPS = 6

#: Above this many bytes of estimated factor, "auto" prefers LOBPCG + AMG.
DIRECT_MAX_BYTES = 2 * 1024**3

#: One wanted pair above a Laplacian's null space (the Fiedler pair, n >= AC_MIN_N):
#: "auto" runs LOBPCG with a block of one and approx-chol where the graph has at most
#: this many components (each is a constraint vector LOBPCG projects out every
#: iteration).  Measured (medians of 3, one BLAS thread, quiet 2-core AMD EPYC),
#: shift-invert against LOBPCG + approx_chol: bcspwr10 15.5 / 16.0 ms, fe_4elt2 69 / 36 ms,
#: luxembourg_osm 204 / 137 ms, bcsstk33's pattern 442 / 129 ms, grid_shortcuts_300
#: 1.03 / 0.42 s; ca-GrQc (355 components) 129 / 191 ms.  For three wanted pairs
#: shift-invert won on the planar graphs (luxembourg_osm 211 / 386 ms).
ONE_PAIR_MAX_COMPONENTS = 10

#: Several wanted pairs above a Laplacian's null space (n >= AC_MIN_N, at most
#: ONE_PAIR_MAX_COMPONENTS components): "auto" runs LOBPCG with approx-chol instead of
#: shift-invert where the factor is estimated to hold at least this many entries per
#: column (``factor_memory`` with the probed mesh dimension, over 12 n bytes): its cost
#: grows with the square of that count, approx-chol's does not.  Measured (the smallest
#: pairs, medians of 3, one BLAS thread, 2-core AMD EPYC), shift-invert against LOBPCG +
#: approx-chol, with the estimate: a 3-D grid graph 32³ (922), k=4: 2.3 s / 0.22 s; 24³,
#: k=4: 0.44 / 0.15 s; bcsstk33's pattern (887, no mesh dimension), k=4: 435 / 211 ms,
#: k=8: 605 / 315 ms; and the other way, bcspwr10 (274), k=6: 21 / 44 ms; fe_4elt2 (43),
#: k=8: 79 / 133 ms; luxembourg_osm (54), k=8: 302 / 1,023 ms; a 2-D grid graph 150²
#: (46), k=4: 92 / 144 ms.
FILL_MIN_COLUMN_ENTRIES = 400

#: Above this order "auto" prefers LOBPCG + AMG to shift-invert for the smallest
#: pairs of a sparse positive semidefinite matrix, whatever the fill estimate: a
#: few random long-range edges wreck the separators a sparse factorization
#: relies on, and ARPACK needs tens of solves with the factor.  Measured on the
#: busy 2-core machine: luxembourg_osm (n = 114,599) k=2: shift-invert 1.8 s;
#: grid_shortcuts_1000 (n = 10^6, a grid plus 2,000 random edges) k=2:
#: shift-invert did not finish in 11 min (1.5 GB factor), LOBPCG + AMG 37 s.
#: The 2-D Poisson factorization grows like n^1.5 (512^2: 1.9 s; 1024^2: 25 s).
FACTOR_MAX_N = 300_000


def plan_eigsh(A, k=6, which=None, sigma=None, M=None, *, backend="auto") -> Plan:
    """What ``sk.eigsh(A, method="auto")`` would do for ``A``, and why, without solving.

    Parameters
    ----------
    A : sparse matrix or array, ndarray or LinearOperator
        The symmetric matrix.
    k : int, default=6
        Number of eigenpairs.
    which : {"smallest", "largest", "nearest"} or SciPy's code, optional
        Default "smallest", or "nearest" when ``sigma`` is given; SciPy's
        ``'LM'``, ``'SM'``, ``'LA'``, ``'SA'``, ``'BE'`` as in :func:`sparsekit.eigsh`.
    sigma : float, optional
        Target of ``which="nearest"``.
    M : sparse matrix or array, optional
        SPD mass matrix of a generalized problem.
    backend : {"auto", "scipy", "cupy", "petsc"}, default="auto"
        Backend to plan for.

    Returns
    -------
    Plan
        ``task="eigsh"``, the method, preconditioner and backend, one-line
        reasons, the inspected properties and estimated memory per option.

    See Also
    --------
    sparsekit.plan : the same, with ``task="eigsh"``.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> import sparsekit as sk
    >>> from sparsekit.linalg._eigen import plan_eigsh
    >>> L = sp.diags_array([-1.0, 2.0, -1.0], offsets=[-1, 0, 1], shape=(50, 50))
    >>> plan_eigsh(L, k=3).method
    'dense'
    """
    A = as_matrix(A, "A", square=True, allow_operator=True)
    which, sigma = check_which(which, sigma)
    k = positive_int(k, "k")
    backend = _registry.resolve(A, backend)
    props = inspect_matrix(A)
    which, note = psd_which(A, props, which, sigma)
    plan = _plan(A, k, which, sigma, M, props, backend)
    if note is not None:
        plan = Plan(plan.task, plan.method, plan.precond, plan.backend,
                    (note,) + plan.reasons, plan.properties, plan.memory)
    return plan


def psd_which(A, props, which: str, sigma):
    """``which`` as a word where SciPy's magnitude code means one for this matrix.

    On a positive semidefinite matrix (a graph Laplacian, or diagonally
    dominant with a positive diagonal) ``'SM'`` is ``"smallest"`` and ``'LM'``
    ``"largest"``: the same pairs, reachable by every method.  Returns
    ``(which, note or None)``.
    """
    if sigma is not None or which not in ("SM", "LM"):
        return which, None
    evidence = _psd_evidence(A, props)
    if evidence is None:
        return which, None
    word = "smallest" if which == "SM" else "largest"
    return word, (f"which={which!r} on a positive semidefinite matrix ({evidence}) is "
                  f"which={word!r}")


def _plan(A, k, which, sigma, M, props, backend) -> Plan:
    """The rules of ``auto`` in order; the first that applies decides."""
    n = A.shape[0]
    nnz = props.nnz if props.nnz >= 0 else 0
    reasons = []
    memory = {}
    dense_bytes = _dense_eigh.dense_eigh_bytes(n, k, M is not None)
    memory["dense"] = float(dense_bytes)
    if not props.operator:
        memory["direct"] = factor_memory(n, nnz)
    memory["iterative"] = float(12 * max(nnz, n) * 3 + 8 * n * 3 * (k + 2))
    properties = {
        "n": n, "nnz": nnz, "symmetric": props.symmetric, "diag_sign": props.diag_sign,
        "laplacian": props.laplacian, "n_components": props.n_components,
        "generalized": M is not None, "k": k, "which": which, "sigma": sigma,
    }
    if backend != "scipy":
        reasons.append(f"backend {backend!r}: the backend chooses its own method")
        return Plan("eigsh", "auto", "auto", backend, tuple(reasons), properties, memory)
    if props.operator:
        method = "lobpcg" if which == "smallest" else "arpack"
        reasons.append(f"A is a LinearOperator: {method} needs only products A @ x")
        return Plan("eigsh", method, "none", backend, tuple(reasons), properties, memory)
    if n <= DENSE_CROSSOVER and dense_bytes <= _dense_eigh.DEFAULT_MAX_BYTES:
        reasons.append(f"n={n} <= {DENSE_CROSSOVER}: dense LAPACK is faster below the "
                       "measured crossover")
        return Plan("eigsh", "dense", "none", backend, tuple(reasons), properties, memory)
    if which == "largest" and props.sparse and props.diag_sign == "negative" and M is None:
        # sherman1 (n = 1,000, negative definite, not provably so by Gershgorin), 4 largest:
        # Lanczos ran out of its budget (its top end is clustered next to 0), then dense:
        # 150-430 ms against 49-144 ms dense and 16 ms shift-invert at 0 (regret suite)
        reasons.append("largest eigenvalues of a matrix with a negative diagonal: if -A is "
                       "positive definite (its Cholesky factorization exists), they are the "
                       "ones nearest 0: shift-invert at 0 on -A; otherwise Lanczos (ARPACK)")
        return Plan("eigsh", "shift_invert", "none", backend, tuple(reasons), properties,
                    memory)
    if which == "largest":
        reasons.append("largest eigenvalues: Lanczos (ARPACK) converges to the extreme end "
                       "without a factorization")
        return Plan("eigsh", "arpack", "none", backend, tuple(reasons), properties, memory)
    if which == "SM" and sigma is not None:
        reasons.append(f"which='SM' with sigma={sigma:g}: the eigenvalues farthest from sigma, "
                       "ARPACK's largest magnitudes of A - sigma M")
        return Plan("eigsh", "arpack", "none", backend, tuple(reasons), properties, memory)
    if which == "nearest" or sigma is not None:
        what = "nearest" if which == "nearest" else f"ranked by which={which!r} in 1/(λ - sigma)"
        reasons.append(f"eigenvalues {what}, sigma={sigma:g}: shift-invert on a factorization "
                       "of A - sigma M")
        return Plan("eigsh", "shift_invert", "none", backend, tuple(reasons), properties,
                    memory)
    if which in ("LM", "BE"):
        reasons.append(f"which={which!r}: Lanczos (ARPACK) converges at the extreme ends of "
                       "the spectrum without a factorization")
        return Plan("eigsh", "arpack", "none", backend, tuple(reasons), properties, memory)
    if which == "SM":
        reasons.append("which='SM': the smallest magnitudes are the eigenvalues nearest 0: "
                       "shift-invert at sigma=0 (ARPACK's regular mode if A is singular)")
        return Plan("eigsh", "shift_invert", "none", backend, tuple(reasons), properties,
                    memory)
    # smallest
    evidence = _psd_evidence(A, props)
    if props.laplacian:
        reasons.append(f"graph Laplacian with {props.n_components} connected component(s): "
                       "their constant vectors are deflated")
    if evidence is None and props.diag_sign != "positive":
        # no positive definite preconditioner is at hand (Jacobi is not one on a zero or
        # negative diagonal: issue 18), so the two candidates are unpreconditioned Krylov
        # methods: Lanczos (ARPACK's regular mode, 'SA') beat LOBPCG in the regret suite:
        # sherman1 (negative definite, n = 1,000), k=4: 13 ms against 64 ms
        reasons.append(f"diagonal is {props.diag_sign}: A is not positive definite, so "
                       "shift-invert at 0 would not give the smallest and no preconditioner "
                       "is positive definite; Lanczos (ARPACK, regular mode) finds them "
                       "directly")
        return Plan("eigsh", "arpack", "none", backend, tuple(reasons), properties, memory)
    shift = -LAPLACIAN_SHIFT * matrix_scale(A) if props.laplacian else 0.0
    if _factor_cached(A, shift, M):
        reasons.append(f"a factorization of A - ({shift:.3g})M is already in the cache: "
                       "shift-invert ARPACK reuses it")
        properties["cached"] = True
        return Plan("eigsh", "shift_invert", "none", backend, tuple(reasons), properties,
                    memory)
    ncomp = props.n_components or 1
    if (props.laplacian and props.sparse and M is None and k - ncomp == 1
            and ncomp <= ONE_PAIR_MAX_COMPONENTS
            and approx_chol_fits(props, n) and approx_chol_available()):
        reasons.append(f"one pair above the null space of a graph Laplacian with n={n} >= "
                       f"{AC_MIN_N} (the Fiedler pair): LOBPCG with a block of one and "
                       "approximate Cholesky (approx-chol) beats shift-invert's factorization "
                       "(measured, docs/performance.md)")
        return Plan("eigsh", "lobpcg", "approx_chol", backend, tuple(reasons), properties,
                    memory)
    if (props.laplacian and props.sparse and M is None and k - ncomp >= 2
            and ncomp <= ONE_PAIR_MAX_COMPONENTS
            and approx_chol_fits(props, n) and approx_chol_available()):
        per_column = factor_memory(n, props.nnz, mesh_dimension(A)) / (12 * n)
        if per_column >= FILL_MIN_COLUMN_ENTRIES:
            reasons.append(f"graph Laplacian with n={n} >= {AC_MIN_N} whose factor would hold "
                           f"about {per_column:.0f} entries per column (>= "
                           f"{FILL_MIN_COLUMN_ENTRIES}: a 3-D or denser pattern): LOBPCG with "
                           "approximate Cholesky (approx-chol) instead of shift-invert's "
                           "factorization (measured, FILL_MIN_COLUMN_ENTRIES)")
            return Plan("eigsh", "lobpcg", "approx_chol", backend, tuple(reasons), properties,
                        memory)
    if props.sparse and n > AUTO_DENSE_FALLBACK:
        sizes = ball_sizes(A, SMALL_WORLD_HOPS)
        if sizes[-1] >= n // 2:
            reasons.append(f"small-world pattern: {sizes[-1]} of {n} nodes within "
                           f"{len(sizes) - 1} hops, so a sparse factor fills in like a dense "
                           "one; LOBPCG with Jacobi (no factorization, no AMG hierarchy)")
            return Plan("eigsh", "lobpcg", "jacobi", backend, tuple(reasons), properties,
                        memory)
    if props.sparse and n > FACTOR_MAX_N:
        precond = _lobpcg_precond(props, n, reasons)
        reasons.append(f"n={n} > {FACTOR_MAX_N}: a sparse factorization and the tens of "
                       "solves shift-invert needs cost more than a preconditioner's setup "
                       f"(measured crossover); LOBPCG with {_PRECOND_WORDS[precond]}")
        return Plan("eigsh", "lobpcg", precond, backend, tuple(reasons), properties, memory)
    if memory["direct"] <= DIRECT_MAX_BYTES:
        reasons.append(f"the factorization fits in memory (estimated "
                       f"{_fmt_bytes(memory['direct'])} <= {_fmt_bytes(DIRECT_MAX_BYTES)}): "
                       "shift-invert ARPACK, factor kept in the cache")
        return Plan("eigsh", "shift_invert", "none", backend, tuple(reasons), properties,
                    memory)
    precond = _lobpcg_precond(props, n, reasons)
    reasons.append(f"the factorization would not fit (estimated "
                   f"{_fmt_bytes(memory['direct'])}): LOBPCG with {_PRECOND_WORDS[precond]}")
    return Plan("eigsh", "lobpcg", precond, backend, tuple(reasons), properties, memory)


_PRECOND_WORDS = {"amg": "AMG", "approx_chol": "approximate Cholesky (approx-chol)"}


def _lobpcg_precond(props, n: int, reasons: list) -> str:
    """LOBPCG's preconditioner for the smallest pairs: approx-chol on large Laplacians, else AMG.

    Measured on grid_shortcuts_1000 (10^6 nodes, one BLAS thread): one application
    of the approx-chol factor to a vector costs 27 ms against 89 ms for a V-cycle of
    PyAMG's smoothed aggregation, and its setup 1.3 s against 3-4 s (docs/performance.md).
    """
    if not approx_chol_fits(props, n):
        return "amg"
    if not approx_chol_available():
        reasons.append("approx-chol is not importable (a broken installation): AMG instead")
        return "amg"
    return "approx_chol"


def _psd_evidence(A, props):
    """Why ``A`` is known positive semidefinite, or None (cheap checks only)."""
    if props is None or props.operator:
        return None
    if props.laplacian:
        return "a graph Laplacian (positive semidefinite)"
    if props.diag_sign != "positive":
        return None
    d = A.diagonal() if sp.issparse(A) else np.diag(A)
    radius = (np.asarray(abs(A).sum(axis=1)).ravel() if sp.issparse(A)
              else np.abs(A).sum(axis=1)) - np.abs(d)
    if np.all(np.real(d) - radius >= 0):
        return "diagonally dominant with a positive diagonal (Gershgorin)"
    return None


def _dense_net(prob: _Problem) -> bool:
    """Whether dense LAPACK is cheap enough to be ``auto``'s next try after ARPACK."""
    return not prob.props.operator and prob.n <= AUTO_DENSE_FALLBACK


def _dense_is_safety_net(prob: _Problem) -> bool:
    """Whether ``auto`` caps ARPACK at :data:`AUTO_ARPACK_RESTARTS` before dense LAPACK.

    Not when :func:`_fallbacks` already gave regular-mode ARPACK its own budget.
    """
    return _dense_net(prob) and prob.arpack_maxiter is None


def regular_arpack_budget(prob: _Problem) -> int:
    """Restarts of regular-mode ARPACK that cost about one dense ``eigh`` (at least 30)."""
    n = prob.n
    nnz = max(prob.props.nnz, n)
    ncv = min(n, max(2 * (prob.k + 2) + 1, 20))
    units = ncv * (nnz + n * ncv)
    return max(REGULAR_MIN_RESTARTS, int(REGULAR_RESTARTS_PER_N3 * float(n) ** 3 / units))


def _fallbacks(method, prob: _Problem):
    """The methods tried, in order, when ``method="auto"`` picked ``method``.

    When dense LAPACK is the safety net and the plan is regular-mode ARPACK,
    this also sets ARPACK's restart budget (:func:`regular_arpack_budget`).
    """
    order = [method]
    if prob.which == "nearest" or prob.sigma is not None:
        rest = ["dense"]
    elif prob.which == "largest":
        # after shift-invert on -A (not negative definite after all): Lanczos, then dense
        rest = ["arpack", "lobpcg", "dense"] if method == "shift_invert" else ["lobpcg", "dense"]
    elif prob.which in ("LM", "BE", "SM"):
        rest = ["arpack", "dense"]
    else:
        rest = ["lobpcg", "shift_invert", "arpack", "dense"]
    regular = "arpack" if prob.which == "largest" else method
    if _dense_net(prob):
        if method != "shift_invert" or prob.which != "largest":
            rest = ["dense"] + [m for m in rest if m != "dense"]
        if (regular == "arpack" and prob.maxiter is None and prob.sigma is None
                and prob.which in ("largest", "smallest", "LA", "LM", "BE")):
            prob.arpack_maxiter = regular_arpack_budget(prob)
    for m in rest:
        if m not in order:
            order.append(m)
    if prob.props.operator:
        order = [m for m in order if m in ("arpack", "lobpcg")]
    return order
