"""Progress of long runs: one hook the library reports through, anyone may listen to.

The library says what it is doing at each stage boundary and inside its
iteration loops with one call, :func:`report` (``report("factorize",
engine="SuperLU", n=..., memory=...)``).  Nobody listening costs a context
lookup and a logging level check.  Listeners are:

* the callbacks installed with :func:`progress` (``sk.progress``), a context
  manager; callbacks are context-local (:mod:`contextvars`), so two threads or
  two asyncio tasks each see their own, and nesting adds rather than replaces;
* :mod:`logging`: stage changes go to the logger ``"sparsekit.progress"`` at
  DEBUG, iteration events at level 5 (below DEBUG: ``-v`` does not flood).

Each listener receives a :class:`ProgressEvent` (the stage, its facts, the
time); ``str(event)`` is the one-line description the command line shows
(:data:`STAGES` holds the words).  Iteration events from inside SciPy's loops
(:func:`watched`, :class:`Ticker`) are throttled to one per
:data:`INTERVAL` seconds, the first always reported.

This module is on the bottom floor: it imports nothing of sparsekit's (SciPy's
``LinearOperator`` only inside :func:`watched`).

Examples
--------
>>> from sparsekit._progress import progress, report
>>> seen = []
>>> with progress(seen.append):
...     report("factorize", engine="SuperLU", n=1000, nnz=4960, memory=2.5e6)
>>> str(seen[0])
'factorizing (SuperLU, n=1,000, 4,960 nonzeros, estimated 2.4 MiB)'
>>> report("factorize", engine="SuperLU")   # nobody listening: nothing happens
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import math
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = ["ProgressEvent", "progress", "report", "listening", "watched", "Ticker", "STAGES",
           "INTERVAL", "TRACE", "WATCH_MIN_N"]

#: Iteration events from inside a loop are reported at most once per this many seconds.
INTERVAL = 0.1

#: :func:`watched` leaves operators with fewer rows alone (they finish in well under a second,
#: and SciPy's ARPACK takes a dense path for ``k >= n - 1`` that a LinearOperator refuses).
WATCH_MIN_N = 1000

#: The logging level of iteration events (below DEBUG, so ``-v`` shows only stage changes).
TRACE = 5

_log = logging.getLogger("sparsekit.progress")

#: Every stage the library reports -> the words a status line starts with.
STAGES = {
    "read": "reading",
    "write": "writing",
    "inspect": "inspecting the matrix",
    "plan": "planning",
    "build": "building",
    "factorize": "factorizing",
    "precond": "setting up the preconditioner",
    "iterate": "iterating",
    "solve": "solving",
    "lanczos": "ARPACK Lanczos",
    "arnoldi": "ARPACK Arnoldi",
    "lobpcg": "LOBPCG",
    "cascade": "LOBPCG start from the AMG hierarchy",
    "dense": "dense LAPACK",
    "residuals": "recomputing residuals",
    "condition": "estimating the condition number",
    "cluster": "clustering",
    "fallback": "falling back",
    "compare": "comparing",
    "download": "downloading",
    "verify": "verifying the download",
}


def _bytes(n: float) -> str:
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


def _sci(v) -> str:
    return f"{float(v):.1e}" if v is not None and math.isfinite(float(v)) else "-"


#: How a fact reads in a description: name -> formatter (facts not listed are not shown).
_FACTS: dict[str, Callable[[Any], str]] = {
    "what": str,
    "path": str,
    "method": str,
    "engine": str,
    "kind": str,
    "mode": str,
    "n": lambda v: f"n={int(v):,}",
    "nnz": lambda v: f"{int(v):,} nonzeros",
    "size": lambda v: _bytes(v),
    "k": lambda v: f"k={int(v)}",
    "memory": lambda v: f"estimated {_bytes(v)}",
    "iteration": lambda v: f"iteration {int(v):,}",
    "applications": lambda v: f"{int(v):,} operator applications",
    "residual": lambda v: f"residual {_sci(v)}",
    "estimate": lambda v: f"preconditioned residual {_sci(v)}",
    "worst": lambda v: f"worst residual {_sci(v)}",
}

#: Facts that are a residual, compared with the ``rtol`` or ``tol`` fact.
_RESIDUALS = ("residual", "estimate", "worst")


@dataclass(frozen=True)
class ProgressEvent:
    """One report: what the library is doing now.

    Attributes
    ----------
    stage : str
        A key of :data:`STAGES` (``"read"``, ``"factorize"``, ``"iterate"``, ...).
    facts : mapping
        What the stage knows: ``path``, ``n``, ``nnz``, ``engine``, ``memory``
        (estimated bytes), ``method``, ``iteration``, ``residual`` (relative,
        against ``rtol``), ``worst`` (an eigensolver's worst relative residual,
        against ``tol``), ``applications`` ...
    time : float
        ``time.perf_counter()`` when it was reported.
    """

    stage: str
    facts: Mapping[str, Any] = field(default_factory=dict)
    time: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "facts", MappingProxyType(dict(self.facts)))

    @property
    def iteration(self) -> bool:
        """Whether this is an event from inside a loop (it has an ``iteration`` count)."""
        return "iteration" in self.facts or "applications" in self.facts

    def __str__(self) -> str:
        """One line: ``'factorizing (SuperLU, n=1,000, estimated 2.4 MiB)'``."""
        f = self.facts
        parts = []
        for name, fmt in _FACTS.items():
            if f.get(name) is None:
                continue
            parts.append(fmt(f[name]))
            target = f.get("rtol", f.get("tol"))
            if name in _RESIDUALS and target is not None:
                parts[-1] += f" -> {'rtol' if 'rtol' in f else 'tol'} {float(target):.0e}"
        head = STAGES.get(self.stage, self.stage)
        return f"{head} ({', '.join(parts)})" if parts else head


_LISTENERS: contextvars.ContextVar[tuple] = contextvars.ContextVar(
    "sparsekit_progress_listeners", default=())


def listening(trace: bool = False) -> bool:
    """Whether anyone listens: a callback, or the logger at DEBUG (``trace``: at level 5)."""
    return bool(_LISTENERS.get()) or _log.isEnabledFor(TRACE if trace else logging.DEBUG)


def report(stage: str, /, **facts: Any) -> None:
    """Tell every listener that the library is now at ``stage``, with ``facts``.

    Costs a context lookup and a logging level check when nobody listens.
    """
    listeners = _LISTENERS.get()
    level = TRACE if ("iteration" in facts or "applications" in facts) else logging.DEBUG
    if not listeners and not _log.isEnabledFor(level):
        return
    event = ProgressEvent(stage, facts, time.perf_counter())
    if _log.isEnabledFor(level):
        _log.log(level, "%s", event)
    for callback in listeners:
        callback(event)


@contextlib.contextmanager
def progress(callback: Callable[[ProgressEvent], Any]) -> Iterator[None]:
    """Call ``callback(event)`` for every progress report made inside the ``with`` block.

    Parameters
    ----------
    callback : callable
        Receives a :class:`ProgressEvent` at each stage boundary (reading,
        inspecting, factorizing with the engine and its estimated memory, the
        AMG setup, ...) and, at most every :data:`INTERVAL` seconds, from inside
        iterations (Krylov iteration ``k`` with the true relative residual
        against ``rtol``; LOBPCG's worst residual against ``tol``; ARPACK's
        operator applications).  ``print`` prints one line per event.

    Examples
    --------
    >>> import numpy as np
    >>> import sparsekit as sk
    >>> from sparsekit._progress import progress
    >>> A = sk.poisson((30, 30))
    >>> stages = []
    >>> with progress(lambda e: stages.append(e.stage)):
    ...     r = sk.solve(A, np.ones(900), method="cg", precond="none")
    >>> stages[:2], stages[-1]
    (['inspect', 'iterate'], 'iterate')
    """
    if not callable(callback):
        raise TypeError(f"callback must be callable (got {type(callback).__name__})")
    token = _LISTENERS.set(_LISTENERS.get() + (callback,))
    try:
        yield
    finally:
        _LISTENERS.reset(token)


class Ticker:
    """Throttled iteration reports of one loop: :meth:`due` says when to compute and report.

    ``due()`` is true on its first call and then once per :data:`INTERVAL`
    seconds, and only while someone listens; a loop computes what costs
    (a true residual: one mat-vec) only then.
    """

    def __init__(self, interval: float | None = None):
        self.interval = INTERVAL if interval is None else interval
        self.active = listening(trace=True)
        self._last = -math.inf

    def due(self) -> bool:
        """Whether to report now (and restart the interval)."""
        if not self.active:
            return False
        now = time.perf_counter()
        if now - self._last < self.interval:
            return False
        self._last = now
        return True


def watched(op, stage: str, *, residual_scale: float | None = None, **facts: Any):
    """``op`` wrapped to report its applications (throttled); ``op`` itself when unheard.

    For loops that run inside SciPy (ARPACK, LOBPCG) and so cannot report
    themselves: every call of the operator counts, and at most every
    :data:`INTERVAL` seconds ``report(stage, applications=count, **facts)``
    is made.  With ``residual_scale`` the operator is one applied once per
    iteration to the residual block (LOBPCG's preconditioner): the count is
    reported as ``iteration`` and the block's largest column norm divided by
    ``residual_scale`` as ``worst``.  Nobody listening, or an operator of
    fewer than :data:`WATCH_MIN_N` rows: ``op`` is returned unchanged, so the
    solver runs exactly as without this module.
    """
    if op is None or op.shape[0] < WATCH_MIN_N or not listening(trace=True):
        return op
    import numpy as np
    import scipy.sparse.linalg as spla

    base = spla.aslinearoperator(op)
    ticker = Ticker()
    count = [0]

    def tell(X):
        count[0] += 1
        if not ticker.due():
            return
        if residual_scale is None:
            report(stage, applications=count[0], **facts)
        else:
            worst = float(np.max(np.linalg.norm(np.reshape(X, (X.shape[0], -1)), axis=0)))
            report(stage, iteration=count[0], worst=worst / residual_scale, **facts)

    def matvec(x):
        tell(x)
        return base.matvec(x)

    def matmat(X):
        tell(X)
        return base.matmat(X)

    return spla.LinearOperator(base.shape, matvec=matvec, matmat=matmat,
                               rmatvec=base.rmatvec, dtype=base.dtype)
