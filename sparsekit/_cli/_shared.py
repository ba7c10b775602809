"""Pieces several commands share: choices, right-hand sides, result tables, memory."""

from __future__ import annotations

import gc
import time
import tracemalloc

import numpy as np
import scipy.sparse as sp

from .._validate import check_choice
from ..backends import _registry
from ..errors import ShapeError
from ..results import EigenResult, SolveResult
from ._files import Source, companion_rhs, read_matrix, resolve
from ._output import cli_spelling, fmt_sci, fmt_seconds
from ._plans import plan_dict

__all__ = ["make_rhs", "solve_rows", "solve_dict", "eigen_dict", "timed", "traced_peak",
           "RHS_HELP", "names_of", "check_choices", "relative_residuals"]

RHS_HELP = ("Right-hand side: a matrix file (one column per right-hand side), 'ones', or "
            "'random' (seeded by --seed).  Default: the matrix's own right-hand side when "
            "the dataset registry pairs one with it (sherman1, illc1033), else 'ones'.")


def names_of(registry, first: tuple[str, ...] = ()) -> str:
    """The names of a library registry for an option's help: ``"auto, cg, minres, ..."``.

    The command line lists what the library accepts by reading the library's
    own registry (``first`` names come first), never a copy of it.
    """
    return ", ".join([*first, *(name for name in registry if name not in first)])


def check_choices(task: str, backend: str, **given) -> None:
    """Refuse a ``--method``/``--precond`` the backend asked for does not take, before any read.

    ``task`` is ``"solve"`` or ``"eigen"``; ``given`` maps ``method``/``precond``
    to the option's value.  The registries are the library's: the CPU's in
    ``sparsekit.linalg`` (for ``"eigen"``, ``sk.eigsh``'s and ``sk.eigs``'s
    methods together: which one runs depends on the matrix), the others
    declared by their backend modules (importing one imports neither CuPy nor
    petsc4py).  The error (UnknownMethodError, exit 2) lists the valid names.
    """
    if backend in ("auto", "scipy"):
        if task == "solve":
            from ..linalg.solve import METHODS, PRECONDS

            registries = {"method": {"auto": "", **METHODS}, "precond": PRECONDS}
        else:
            from ..linalg._eigen import EIGS_METHODS, METHODS, PRECONDS

            registries = {"method": {**METHODS, **EIGS_METHODS}, "precond": PRECONDS}
    else:
        mod = _registry.load(backend)
        prefix = "SOLVE" if task == "solve" else "EIGEN"
        registries = {"method": getattr(mod, f"{prefix}_METHODS"),
                      "precond": getattr(mod, f"{prefix}_PRECONDS")}
    for name, value in given.items():
        if value is not None:
            check_choice(value, registries[name], f"--{name}"
                         + ("" if backend in ("auto", "scipy") else f" (backend {backend})"))


def make_rhs(spec: str | None, src: Source, m: int, seed: int = 0):
    """Build ``b`` and say where it came from."""
    if spec is None:
        paired = companion_rhs(src)
        if paired is None:
            return np.ones(m), "ones"
        spec = paired
    if spec == "ones":
        return np.ones(m), "ones"
    if spec == "random":
        return np.random.default_rng(seed).standard_normal(m), f"random (seed {seed})"
    rsrc = resolve(spec)
    b = read_matrix(rsrc)
    if sp.issparse(b):
        b = b.toarray()
    b = np.asarray(b)
    if b.ndim == 2 and b.shape[1] == 1:
        b = b[:, 0]
    if b.shape[0] != m:
        raise ShapeError(
            f"right-hand side {rsrc.label} has {b.shape[0]} rows but the matrix {src.label} "
            f"has {m}; pass a right-hand side with {m} rows")
    return b, rsrc.label


def solve_dict(r: SolveResult) -> dict:
    """A SolveResult as plain values (x left out: it goes to -o)."""
    return {"converged": bool(r.converged), "iterations": int(r.iterations),
            "relative_residual": float(r.relative_residual), "method": r.method,
            "precond": r.precond, "backend": r.backend, "timings": dict(r.timings),
            "residuals": np.asarray(r.residuals, dtype=float), "notes": list(r.notes),
            "plan": plan_dict(r.plan)}


def solve_rows(r: SolveResult) -> list[tuple[str, str]]:
    """Key/value rows describing a solve."""
    rows = [("result", "converged" if r.converged else "NOT converged"),
            ("method", f"{r.method} (precond {r.precond}, backend {r.backend})"),
            ("iterations", str(r.iterations)),
            ("relative residual", f"{fmt_sci(r.relative_residual)}  (true ‖b − A x‖ / ‖b‖, "
                                  "recomputed)")]
    if r.timings:
        rows.append(("time", ", ".join(f"{k} {fmt_seconds(v)}" for k, v in r.timings.items())))
    rows += [("note", cli_spelling(n)) for n in r.notes]
    return rows


def norm1(A) -> float:
    """‖A‖₁, the largest absolute column sum (O(nnz))."""
    if A is None:
        return 0.0
    if sp.issparse(A):
        return float(abs(sp.csr_array(A)).sum(axis=0).max()) if A.nnz else 0.0
    return float(np.abs(np.asarray(A)).sum(axis=0).max()) if np.size(A) else 0.0


def norm_inf(A) -> float:
    """‖A‖∞, the largest absolute row sum (O(nnz))."""
    return norm1(A.T) if A is not None else 0.0


def relative_residuals(e: EigenResult, A, M=None, *, nonsymmetric: bool = False) -> np.ndarray:
    """‖A v − λ M v‖ / (‖A‖ + |λ| ‖M‖): the scale the eigensolver judges ``tol`` against.

    ``sk.eigsh``'s ‖·‖ is ‖·‖₁; ``sk.eigs``'s (``nonsymmetric``) is
    ``sqrt(‖·‖₁ ‖·‖∞)``, a bound of the 2-norm of any matrix.
    """
    lam = np.abs(np.asarray(e.values))
    if nonsymmetric:
        norm_a = float(np.sqrt(norm1(A) * norm_inf(A)))
        norm_m = float(np.sqrt(norm1(M) * norm_inf(M))) if M is not None else 1.0
    else:
        norm_a, norm_m = norm1(A), (norm1(M) if M is not None else 1.0)
    scale = norm_a + lam * norm_m
    scale = np.where(scale > 0, scale, 1.0)
    return np.asarray(e.residuals, dtype=float) / scale


def eigen_dict(e: EigenResult, relative=None) -> dict:
    """An EigenResult as plain values (vectors left out: they go to -o)."""
    extra = {} if relative is None else {"relative_residuals": np.asarray(relative)}
    return {**extra, "values": np.asarray(e.values),
            "residuals": np.asarray(e.residuals, dtype=float),
            "converged": np.asarray(e.converged, dtype=bool), "all_converged": e.all_converged,
            "method": e.method, "backend": e.backend, "iterations": int(e.iterations),
            "tol": float(e.tol), "timings": dict(e.timings), "notes": list(e.notes)}


def timed(fn):
    """Call ``fn`` once: ``(value, wall seconds)``."""
    gc.collect()
    t0 = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t0


def traced_peak(fn) -> int:
    """Call ``fn`` once under tracemalloc: the peak bytes it allocated.

    The peak is what tracemalloc sees: numpy arrays and Python objects (SciPy
    and LAPACK allocate their work arrays through numpy), not memory a C
    library mallocs on its own (SuperLU's factors), so sparse direct solves
    are under-counted.  Tracing slows Python-level loops (2.5x for SciPy's cg
    on a 4,096-unknown problem here), so times are taken in separate, untraced
    runs.
    """
    gc.collect()
    started = tracemalloc.is_tracing()
    if not started:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    try:
        fn()
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        if not started:
            tracemalloc.stop()
    return max(int(peak), 0)
