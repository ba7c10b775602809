"""What ``method="auto"`` does, and why: :func:`plan`.

One entry point for every task: :data:`PLANNERS` maps ``task=`` to the
planner of that task, each in its own module (:mod:`._plan_solve` for linear
systems, :mod:`._eigen._plan` for eigenproblems).  A plan inspects the matrix
cheaply and returns the method, preconditioner and backend with one line of
reason per fact that drove the choice and the estimated memory of each option.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from .._validate import as_matrix, as_rhs, check_choice
from ..backends import _registry
from ..results import Plan
from . import _eigen
from ._condest import condition_note
from ._plan_solve import plan_solve
from .factor import working_dtype

if TYPE_CHECKING:
    import numpy.typing as npt

    from .._typing import OperatorLike

__all__ = ["plan", "PLANNERS", "TASKS"]

TASKS = {"solve": "linear systems (sk.solve)", "eigsh": "eigenpairs (sk.eigsh)"}


def _plan_task_solve(A, b=None, **_) -> Plan:
    if _registry.resolve(A, "auto") == "cupy":
        return Plan("solve", "cg", "jacobi", "cupy",
                    ("A is a CuPy array: the GPU backend runs it",), {"n": A.shape[0]}, {})
    A = working_dtype(as_matrix(A, "A", allow_operator=True))
    nrhs = 1
    if b is not None:
        b = as_rhs(b, A.shape[0])  # the shape sk.solve would accept, checked the same way
        nrhs = 1 if b.ndim == 1 else b.shape[1]
    p = plan_solve(A, nrhs=nrhs)
    # the condition estimate costs a few solves only when a factorization is cached
    note = condition_note(A, cached_only=True)
    return replace(p, reasons=p.reasons + (note,)) if note else p


def _plan_task_eigsh(A, b=None, *, k, which, sigma, M) -> Plan:
    return _eigen.plan_eigsh(A, k=k, which=which, sigma=sigma, M=M)


#: ``task=`` -> its planner.
PLANNERS = {"solve": _plan_task_solve, "eigsh": _plan_task_eigsh}


def plan(A: OperatorLike, b: npt.ArrayLike | None = None, *, task: str = "solve", k: int = 6,
         which: str | None = None, sigma: complex | None = None,
         M: OperatorLike | None = None) -> Plan:
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
    >>> p = sk.plan(sk.poisson((100, 100)))
    >>> p.method, p.precond
    ('direct', 'none')
    >>> p.properties["symmetric"], p.properties["mesh_dimension"]
    (True, 2.0)
    """
    check_choice(task, TASKS, "task")
    return PLANNERS[task](A, b, k=k, which=which, sigma=sigma, M=M)
