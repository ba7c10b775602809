"""``import sparsekit`` imports almost nothing; every public name still works (PEP 562).

The time it costs is measured by asv (``asv_benchmarks/benchmarks/imports.py``); here the
test is what a fresh interpreter has imported, which does not depend on the machine.
"""

import json
import subprocess
import sys

import sparsekit


def _fresh(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_sparsekit_imports_no_heavy_module():
    got = _fresh("import sys, json, sparsekit; print(json.dumps(sorted(sys.modules)))")
    heavy = ["scipy", "numpy", "networkx", "pyamg", "fast_matrix_market", "qdldl",
             "threadpoolctl", "sparsekit.linalg", "sparsekit.builders", "sparsekit.io"]
    assert [m for m in heavy if m in got] == []
    assert {"sparsekit", "sparsekit.errors"} <= set(got)


def test_first_use_imports_only_what_it_needs():
    got = _fresh("import sys, json, sparsekit as sk; sk.poisson(3); "
                 "print(json.dumps(sorted(sys.modules)))")
    assert "sparsekit.builders" in got and "sparsekit.linalg" not in got


def test_every_public_name_and_submodule_resolves():
    for name in sparsekit.__all__:
        assert getattr(sparsekit, name) is not None, name
    assert set(sparsekit.__all__) <= set(dir(sparsekit))
    assert sparsekit.linalg.solve is sparsekit.solve
    from sparsekit import SparsekitError, solve  # from-imports resolve lazily too

    assert solve is sparsekit.solve and issubclass(SparsekitError, Exception)
    try:
        sparsekit.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("an unknown attribute must raise AttributeError")
