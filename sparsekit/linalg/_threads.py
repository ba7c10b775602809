"""BLAS thread control: Krylov loops run with one BLAS thread.

Measured (issue 4): SciPy's CG on a 65,536-unknown Poisson problem took 5.1 s
with two OpenBLAS threads on a busy 2-core machine against 0.28 s with one.
Sparse mat-vecs do not use BLAS threads; the small dense vector operations in
a Krylov loop only lose to thread synchronisation.
"""

from __future__ import annotations

from contextlib import contextmanager

from threadpoolctl import threadpool_limits

__all__ = ["single_thread_blas"]


@contextmanager
def single_thread_blas():
    """Limit every BLAS thread pool to one thread inside the block."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield
