"""BLAS thread control: Krylov loops run with one BLAS thread.

Measured (issue 4): SciPy's CG on a 65,536-unknown Poisson problem took 5.1 s
with two OpenBLAS threads on a busy 2-core machine against 0.28 s with one.
Sparse mat-vecs do not use BLAS threads; the small dense vector operations in
a Krylov loop only lose to thread synchronisation.
"""

from __future__ import annotations

import contextlib
import contextvars
from contextlib import contextmanager

from threadpoolctl import ThreadpoolController

__all__ = ["single_thread_blas", "threads_for", "SINGLE_THREAD_MAX_N"]

_CONTROLLER: ThreadpoolController | None = None


def _controller() -> ThreadpoolController:
    # Scanning the loaded libraries costs ~3 ms; threadpoolctl recommends one
    # controller reused (made on first use, not at import).
    global _CONTROLLER
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER


#: whether this context is already inside :func:`single_thread_blas`
_INSIDE: contextvars.ContextVar[bool] = contextvars.ContextVar("single_thread_blas",
                                                              default=False)


@contextmanager
def single_thread_blas():
    """Limit every BLAS thread pool to one thread inside the block.

    Nested use is free: each limit costs ~0.2 ms (threadpoolctl re-reads and sets every
    pool), and ``Factorization.solve`` called by ARPACK for every vector sat inside
    ARPACK's own limit (1138_bus, 6 smallest pairs: 43 ms, 31 ms without the nested
    limits; scripts/regret.py).
    """
    if _INSIDE.get():
        yield
        return
    token = _INSIDE.set(True)
    # each BLAS library's own get/set (about 1 us each) instead of ``controller.limit``,
    # which re-reads every pool's info (18 us a limit, a tenth of the overhead of a
    # 494-row direct solve): the same libraries, the ones the controller found
    libs = _blas_libraries()
    old = [lib.num_threads for lib in libs]
    try:
        for lib, threads in zip(libs, old, strict=True):
            if threads != 1:
                lib.set_num_threads(1)
        yield
    finally:
        for lib, threads in zip(libs, old, strict=True):
            if threads != 1:
                lib.set_num_threads(threads)
        _INSIDE.reset(token)


_BLAS: list | None = None


def _blas_libraries() -> list:
    """The BLAS thread pools' controllers (threadpoolctl's ``LibController`` objects)."""
    global _BLAS
    if _BLAS is None:
        _BLAS = list(_controller().select(user_api="blas").lib_controllers)
    return _BLAS


#: Dense matrices smaller than this are factorized with one BLAS thread, larger ones with
#: all.  Measured here (busy 2-core machine, docs/crossover.md): a 256 x 256 Cholesky took
#: 0.34-0.97 s with two OpenBLAS threads against 0.002 s with one; nos6 (675) eigh with
#: subset_by_index 1.6 s against 0.08-0.10 s.  Thread start-up and spinning cost more than
#: they give below about 1,000 unknowns even on an idle machine.
SINGLE_THREAD_MAX_N = 1024


def threads_for(n: int):
    """One BLAS thread for a dense problem of order ``n < SINGLE_THREAD_MAX_N``, else all."""
    return single_thread_blas() if n < SINGLE_THREAD_MAX_N else contextlib.nullcontext()
