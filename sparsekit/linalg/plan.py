"""What ``method="auto"`` does, and why: :func:`plan`.

The plan inspects the matrix cheaply (O(nnz): symmetry, diagonal sign, row
sums, connected components, a breadth-first ball around one node) and picks a
method, a preconditioner and a backend, with one line of reason per fact that
drove the choice and the estimated memory of each option.

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

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .._components import n_components
from .._validate import as_matrix, check_choice
from ..results import Plan
from . import factor as _factor
from . import precond as _precond
from ._cache import CACHE, fingerprint
from ._inspect import factor_memory, inspect_matrix, mesh_dimension

__all__ = ["plan", "plan_solve", "TASKS", "DENSE_MAX_N",
           "DENSE_LSTSQ_MAX_COLS", "DIRECT_MAX_N_2D", "DIRECT_MAX_N_NONSYM",
           "MANY_RHS", "REPEAT_DIRECT_MAX_N", "C_CG", "AMG_CG_EQUIV"]

TASKS = {"solve": "linear systems (sk.solve)", "eigsh": "eigenpairs (sk.eigsh)"}

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
#: (sk.solve paths, cache cleared, four runs on the shared machine, scripts/crossover.py):
#: direct won at n = 9,216 and 25,600; at 65,536 direct took 0.72x, 0.77x, 1.09x and 1.28x
#: the time of CG + AMG; at 131,044 1.16x to 1.6x.  Within 30% the factorization is preferred:
#: the cache makes every further solve with the matrix cost milliseconds, where CG + AMG
#: costs ~10 V-cycles each time.
DIRECT_MAX_N_2D = 70_000
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
#: Plain-CG iterations ~= C_CG[d] * n**(1/d) * ln(2/rtol).  Measured: 2-D 0.098, 0.096;
#: 3-D 0.129, 0.129.
C_CG = {1: 0.1, 2: 0.097, 3: 0.129}
#: AMG setup + AMG-preconditioned CG costs about this many plain CG iterations.  Measured:
#: 484, 429 (2-D), 441, 583 (3-D); median 463.
AMG_CG_EQUIV = 463
# ------------------------------------------------------------------------------------------

_BYTES_PER_ENTRY = 12  # float64 value + int32 index


def _cached(fp: str) -> dict:
    keys = {
        "factorization": [_factor.cache_key(fp, k) for k in ("auto", "lu", "cholesky")],
        "amg": [_precond.cache_key(fp, "amg", {})],
    }
    return {what: any(CACHE.contains(k) for k in ks) for what, ks in keys.items()}


def plan_solve(A, *, nrhs: int = 1, rtol: float = 1e-8, props=None, fp=None) -> Plan:
    """The plan for ``sk.solve(A, b)`` with ``nrhs`` right-hand sides (``A`` validated)."""
    reasons: list[str] = []
    if isinstance(A, spla.LinearOperator):
        return Plan("solve", "gmres", "none", "scipy",
                    ("A is a LinearOperator: only Krylov methods apply, and its symmetry is "
                     "unknown -> GMRES (pass method='cg' for an SPD operator)",),
                    {"n": A.shape[0], "operator": True}, {})
    props = props or inspect_matrix(A, components=False)
    m, n = A.shape
    nnz = props.nnz
    itemsize = 8 if np.dtype(props.dtype).kind != "c" else 16
    dense_bytes = float(m) * n * itemsize
    ncomp = props.n_components
    if props.laplacian and ncomp is None:
        ncomp = n_components(A)
    properties = {"shape": (m, n), "nnz": nnz, "density": props.density,
                  "symmetric": props.symmetric, "diagonal": props.diag_sign,
                  "positive_diagonal": props.diag_sign == "positive",
                  "laplacian": props.laplacian, "n_components": ncomp,
                  "nrhs": nrhs}
    memory = {"dense": dense_bytes}
    if not props.square:
        memory["iterative"] = float(nnz * _BYTES_PER_ENTRY + 8 * (m + 2 * n))
        if n <= DENSE_LSTSQ_MAX_COLS and dense_bytes <= 2 * 1024**3:
            reasons.append(f"rectangular {m}x{n} with {n} <= {DENSE_LSTSQ_MAX_COLS} columns: "
                           "dense least squares (LAPACK gelsd) is exact")
            return Plan("solve", "dense", "none", "scipy", tuple(reasons), properties, memory)
        reasons.append(f"rectangular {m}x{n}: least squares with LSMR (iterative)")
        return Plan("solve", "lsmr", "none", "scipy", tuple(reasons), properties, memory)

    sym = bool(props.symmetric)
    reasons.append(f"{'symmetric' if sym else 'nonsymmetric'} (relative tolerance 1e-10), "
                   f"diagonal {props.diag_sign}, n={n}, nnz={nnz} "
                   f"(density {props.density:.2e})")
    spd_like = sym and props.diag_sign == "positive"
    cached = {"factorization": False, "amg": False}
    if sp.issparse(A) and _factor.signature(A) in _factor.SIGNATURES:
        cached = _cached(fp or fingerprint(A))
    properties["cached"] = cached
    d = mesh_dimension(A) if sp.issparse(A) and n > 4 * DENSE_MAX_N else None
    properties["mesh_dimension"] = d
    direct_bytes = factor_memory(n, nnz, d, sym)
    memory["direct"] = direct_bytes
    memory["iterative"] = float(nnz * _BYTES_PER_ENTRY * (2.5 if spd_like else 4) + 8 * n * 30)
    if props.laplacian:
        reasons.append(f"graph Laplacian (zero row sums, off-diagonals <= 0), "
                       f"{ncomp} component(s): singular; the constant vector of "
                       "each component is projected out, b must be orthogonal to it")

    if n <= DENSE_MAX_N and dense_bytes <= 2 * 1024**3:
        reasons.append(f"n={n} <= {DENSE_MAX_N}: dense LAPACK beats sparse methods here "
                       "(measured crossover, docs/crossover.md)")
        return Plan("solve", "dense", "none", "scipy", tuple(reasons), properties, memory)
    if cached["factorization"]:
        reasons.append("a factorization of this matrix is cached: reuse it")
        return Plan("solve", "direct", "none", "scipy", tuple(reasons), properties, memory)
    if not sym:
        if n <= DIRECT_MAX_N_NONSYM:
            reasons.append(f"nonsymmetric with n={n} <= {DIRECT_MAX_N_NONSYM}: sparse LU "
                           "(SuperLU, COLAMD) is robust where GMRES + ILU may stall")
            return Plan("solve", "direct", "none", "scipy", tuple(reasons), properties, memory)
        reasons.append("nonsymmetric and large: GMRES with an incomplete LU")
        return Plan("solve", "gmres", "ilu", "scipy", tuple(reasons), properties, memory)
    if props.diag_sign == "negative" and not props.laplacian:
        reasons.append("symmetric with a negative diagonal (negative definite or indefinite): "
                       "MINRES")
        return Plan("solve", "minres", "none", "scipy", tuple(reasons), properties, memory)
    if not spd_like and not props.laplacian:
        reasons.append("symmetric with a diagonal that is not positive: indefinite -> MINRES")
        return Plan("solve", "minres", "none", "scipy", tuple(reasons), properties, memory)
    if d is not None:
        reasons.append(f"the mesh looks {int(d)}-dimensional (breadth-first ball growth)")
    need_rhs = MANY_RHS * math.sqrt(max(1.0, n / REPEAT_DIRECT_MAX_N))
    if nrhs >= need_rhs and (d is None or d <= 2) and not props.laplacian:
        reasons.append(f"{nrhs} right-hand sides >= {need_rhs:.0f}: factorize once, solve the "
                       "block")
        return Plan("solve", "direct", "none", "scipy", tuple(reasons), properties, memory)
    if (d is None or d <= 2) and n <= DIRECT_MAX_N_2D and not props.laplacian:
        reasons.append(f"SPD-like, 2-D-like, n={n} <= {DIRECT_MAX_N_2D}: sparse Cholesky "
                       "(SuperLU, symmetric MMD ordering) beats CG + AMG here")
        return Plan("solve", "direct", "none", "scipy", tuple(reasons), properties, memory)
    if cached["amg"] and (d is None or d <= 2) and not props.laplacian \
            and n <= REPEAT_DIRECT_MAX_N and direct_bytes < 2 * 1024**3:
        reasons.append("this matrix was solved before (its AMG hierarchy is cached) and is "
                       "2-D-like: a factorization pays off over repeated solves")
        return Plan("solve", "direct", "none", "scipy", tuple(reasons), properties, memory)
    if cached["amg"]:
        reasons.append("an AMG hierarchy of this matrix is cached: CG + AMG costs only "
                       "its iterations")
        return Plan("solve", "cg", "amg", "scipy", tuple(reasons), properties, memory)
    m_matrix = bool(props.offdiag_nonpositive)
    if m_matrix and d is not None:
        its = C_CG.get(int(d), C_CG[3]) * n ** (1.0 / d) * math.log(2.0 / max(rtol, 1e-16))
        properties["predicted_cg_iterations"] = round(its)
        if its < AMG_CG_EQUIV:
            reasons.append(f"cost estimate: plain CG ~{its:.0f} iterations < AMG setup + "
                           f"solve ~{AMG_CG_EQUIV} CG iterations -> CG without AMG")
            d_vals = A.diagonal()
            pre = "jacobi" if np.max(d_vals) > 10 * np.min(d_vals) else "none"
            return Plan("solve", "cg", pre, "scipy", tuple(reasons), properties, memory)
        reasons.append(f"cost estimate: plain CG ~{its:.0f} iterations > AMG setup + solve "
                       f"~{AMG_CG_EQUIV} CG iterations -> CG + AMG")
    else:
        reasons.append("SPD-like but not an M-matrix of a mesh: CG + AMG (smoothed aggregation)")
    return Plan("solve", "cg", "amg", "scipy", tuple(reasons), properties, memory)


def plan(A, b=None, *, task: str = "solve", k: int = 6, which: str | None = None, sigma=None,
         M=None) -> Plan:
    """What ``method="auto"`` would do for ``A`` (and ``b``), with one-line reasons.

    Parameters
    ----------
    A : sparse matrix or array, ndarray or LinearOperator
        The matrix.
    b : array_like, optional
        Right-hand side(s); its number of columns matters (many right-hand
        sides favour a factorization).
    task : {"solve", "eigsh"}, default="solve"
        Plan a linear solve or an eigensolve (then ``k``, ``which``, ``sigma``
        and ``M`` are those of :func:`sparsekit.eigsh`).
    k, which, sigma, M
        Eigenproblem parameters (``task="eigsh"`` only).

    Returns
    -------
    Plan
        ``method``, ``precond``, ``backend``, ``reasons``, ``properties`` and the
        estimated ``memory`` of each option.

    See Also
    --------
    sparsekit.solve

    Examples
    --------
    >>> import sparsekit as sk
    >>> p = sk.plan(sk.datasets.load("poisson2d_64"))
    >>> p.method, p.precond
    ('direct', 'none')
    >>> p.properties["symmetric"], p.properties["mesh_dimension"]
    (True, 2.0)
    """
    check_choice(task, TASKS, "task")
    if task == "eigsh":
        from . import eigen

        return eigen.plan_eigsh(A, k=k, which=which, sigma=sigma, M=M)
    if type(A).__module__.split(".")[0] in ("cupy", "cupyx"):
        return Plan("solve", "cg", "jacobi", "cupy",
                    ("A is a CuPy array: the GPU backend runs it",), {"n": A.shape[0]}, {})
    A = as_matrix(A, "A", allow_operator=True)
    nrhs = 1
    if b is not None:
        b = np.asarray(b)
        nrhs = 1 if b.ndim == 1 else b.shape[1]
    return plan_solve(A, nrhs=nrhs)
