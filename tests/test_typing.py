"""The public API is typed, and the type checker agrees with the code (issue 21).

Two checks:

* ``mypy`` (configured by ``[tool.mypy]`` in ``pyproject.toml``) passes on the whole
  package: this is the CI check that the annotations and the code agree.
* Every public callable (each name in ``__all__`` of the public modules, and the public
  methods of the public classes) annotates all its parameters and its return, and the
  annotations resolve to real objects: ``typing.get_type_hints`` evaluates each one,
  names imported under ``if TYPE_CHECKING:`` included (those imports are run here, as a
  type checker reads them).  ``mypy`` alone would not catch a missing annotation, since
  an unannotated function is simply not checked.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import importlib.util
import inspect
import os
import subprocess
import sys
import types
import typing
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: the modules a user meets: ``sk.*``, ``sk.io``, ``sk.datasets``, ``sk.dense``, ``sk.linalg``,
#: ``sk.spectral``, the builders (``sk.fem`` included), the results and the errors
PUBLIC_MODULES = [
    "sparsekit",
    "sparsekit.io",
    "sparsekit.datasets",
    "sparsekit.linalg",
    "sparsekit.linalg.dense",
    "sparsekit.spectral",
    "sparsekit.builders",
    "sparsekit.builders.fem",
    "sparsekit.results",
    "sparsekit.errors",
]

#: methods a class defines that a user calls although their names start with ``_``
_DUNDERS_CALLED = {"__init__", "__call__", "__iter__", "__int__", "__index__", "__len__",
                   "__getitem__", "__enter__", "__exit__"}


def _type_checking_namespace(module: types.ModuleType) -> dict:
    """The names a module imports under ``if TYPE_CHECKING:``, imported here."""
    source = inspect.getsource(module)
    ns: dict = {}
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.If) and isinstance(node.test, ast.Name)
                and node.test.id == "TYPE_CHECKING"):
            continue
        for stmt in node.body:
            if isinstance(stmt, ast.Import | ast.ImportFrom):
                code = compile(ast.Module(body=[stmt], type_ignores=[]), module.__name__, "exec")
                exec(code, {"__name__": module.__name__, "__package__": module.__package__}, ns)
    return ns


_NAMESPACES: dict[str, dict] = {}


def _hints(obj, module_name: str) -> dict:
    if module_name not in _NAMESPACES:
        module = importlib.import_module(module_name)
        _NAMESPACES[module_name] = {**_type_checking_namespace(module), **vars(module)}
    return typing.get_type_hints(obj, globalns=_NAMESPACES[module_name])


def _function_offences(fn, label: str) -> list[str]:
    """What ``fn`` leaves unannotated, or an annotation that does not resolve."""
    fn = inspect.unwrap(fn)
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # a builtin: nothing of ours to annotate
        return []
    missing = [p.name for i, p in enumerate(sig.parameters.values())
               if p.annotation is inspect.Parameter.empty
               and not (i == 0 and p.name in ("self", "cls"))]
    out = [f"{label}: parameter {name!r} not annotated" for name in missing]
    if sig.return_annotation is inspect.Signature.empty:
        out.append(f"{label}: return not annotated")
    try:
        _hints(fn, fn.__module__)
    except Exception as exc:  # an annotation that names nothing real
        out.append(f"{label}: annotations do not resolve ({type(exc).__name__}: {exc})")
    return out


def _class_offences(cls: type, label: str) -> list[str]:
    out = []
    for name, member in vars(cls).items():
        if name.startswith("_") and name not in _DUNDERS_CALLED:
            continue
        if isinstance(member, property):
            member = member.fget
        elif isinstance(member, staticmethod | classmethod):
            member = member.__func__
        if inspect.isfunction(member) and member.__module__ == cls.__module__:
            if dataclasses.is_dataclass(cls) and name == "__init__":
                continue  # generated from the fields, checked below
            out += _function_offences(member, f"{label}.{name}")
    if dataclasses.is_dataclass(cls):
        try:
            hints = _hints(cls, cls.__module__)
        except Exception as exc:
            return out + [f"{label}: field annotations do not resolve ({exc})"]
        for f in dataclasses.fields(cls):
            if hints[f.name] in (object, typing.Any):
                out.append(f"{label}.{f.name}: field typed {hints[f.name]!r}, not its type")
    return out


def public_offences() -> list[str]:
    """Every public callable of the public modules that is not fully annotated."""
    out: list[str] = []
    seen: set[int] = set()
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if isinstance(obj, types.ModuleType) or id(obj) in seen:
                continue
            seen.add(id(obj))
            label = f"{module_name}.{name}"
            if inspect.isclass(obj):
                if obj.__module__.startswith("sparsekit"):
                    out += _class_offences(obj, label)
            elif inspect.isfunction(obj):
                out += _function_offences(obj, label)
    return out


def test_every_public_callable_is_annotated():
    assert public_offences() == []


def test_the_check_finds_an_unannotated_function():
    # the check itself can fail: a function missing one annotation, one whose hint names
    # nothing, and a fully annotated one
    def bare(a, b: int) -> int:
        return b

    def fine(a: int, *args: float, **kw: str) -> None:
        return None

    def dangling(a: NoSuchType) -> None:  # noqa: F821
        return None

    fine.__module__ = bare.__module__ = dangling.__module__ = "sparsekit.errors"
    assert _function_offences(bare, "bare") == ["bare: parameter 'a' not annotated"]
    assert _function_offences(fine, "fine") == []
    assert "do not resolve" in _function_offences(dangling, "dangling")[0]


#: a user's script: the public names as ``import sparsekit as sk`` reaches them (the lazy
#: names included, typed through ``sparsekit/__init__.py``'s ``if TYPE_CHECKING:`` block),
#: with one deliberate mistake on the line marked ``# wrong``: mypy must find it and only it
_USER_SCRIPT = """\
import numpy as np
import sparsekit as sk

A = sk.poisson((8, 8))
b = np.ones(A.shape[0])
p: sk.Plan = sk.plan(A, b)
r: sk.SolveResult = sk.solve(A, b, method=p.method)
x: np.ndarray = r.x
F: sk.Factorization = sk.factorize(A)
y: np.ndarray = F(b) + F.solve(b)
C = sk.cooccurrence(np.array([0, 1, 2, 1]), window=1)
e: sk.EigenResult = sk.eigsh(A, k=2, which="smallest")
ok: bool = r.converged and bool(e.all_converged)
n: str = r.iterations  # wrong
"""


def _mypy(args: list[str], cache: Path) -> subprocess.CompletedProcess:
    # the configuration ([tool.mypy]: files, python_version, untyped dependencies) is read
    # from pyproject.toml in the repository root
    env = {**os.environ, "MYPY_FORCE_COLOR": "0"}
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(cache), "--no-error-summary",
         "--hide-error-context", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is in the dev extra")
def test_mypy_reads_the_public_api_as_a_user_does(tmp_path):
    script = tmp_path / "user_script.py"
    script.write_text(_USER_SCRIPT)
    out = _mypy([str(script)], tmp_path / "mypy_cache")
    wrong = _USER_SCRIPT.splitlines().index('n: str = r.iterations  # wrong') + 1
    errors = [line for line in out.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1 and f"user_script.py:{wrong}:" in errors[0] \
        and "[assignment]" in errors[0], out.stdout + out.stderr


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is in the dev extra")
def test_mypy_passes_on_the_package(tmp_path):
    out = _mypy([], tmp_path / "mypy_cache")
    assert out.returncode == 0, out.stdout + out.stderr
