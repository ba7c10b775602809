"""Shared fixtures: the real SuiteSparse matrices, skipped with a reason where absent."""

import pytest
from threadpoolctl import threadpool_limits

import sparsekit as sk


def load_real(name):
    """Load a SuiteSparse matrix from the data directory, or skip the test."""
    if not sk.datasets.available(name):
        pytest.skip(f"{name} not in data directory {sk.datasets.data_dir()} "
                    "(set SPARSEKIT_DATA to the shared datasets folder)")
    return sk.datasets.load(name)


@pytest.fixture
def real():
    return load_real


@pytest.fixture
def fresh_cache():
    """An empty factorization/AMG cache before and after the test, BLAS on one thread
    (the dense references then do not contend with the solver under test)."""
    sk.clear_cache()
    with threadpool_limits(1, user_api="blas"):
        yield
    sk.clear_cache()
