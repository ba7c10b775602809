import dataclasses

import numpy as np
import pytest

import sparsekit as sk


def test_results_are_frozen_and_readable():
    r = sk.SolveResult(x=np.zeros(3), converged=False, iterations=7,
                       residuals=np.array([1.0, 0.1]), relative_residual=0.1,
                       method="cg", precond="amg", timings={"setup": 0.1, "solve": 0.2},
                       notes=("fell back",))
    text = repr(r)
    assert "NOT converged" in text and "'cg'" in text and "1.000e-01" in text
    assert "fell back" in text and len(text.splitlines()) < 20
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.converged = True


def test_eigen_result_repr_and_all_converged():
    e = sk.EigenResult(values=np.arange(10.0), vectors=np.zeros((5, 10)),
                       residuals=np.full(10, 1e-9), converged=np.ones(10, bool),
                       method="lobpcg", tol=1e-6)
    assert e.all_converged
    assert "10/10 converged" in repr(e) and "..." in repr(e)


def test_plan_repr_lists_reasons_and_memory():
    p = sk.Plan("solve", "cg", "amg", "scipy", reasons=("SPD", "large"),
                memory={"dense": 2**30})
    assert "- SPD" in repr(p) and "1.0 GiB" in repr(p)
