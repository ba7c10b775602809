"""The house rules, read from the source (no import is executed).

* no import circle between sparsekit's modules (module-level and lazy imports alike);
* nothing in ``sparsekit/backends/`` imports ``sparsekit.linalg`` or ``sparsekit.builders``;
* nothing but the command line (``sparsekit.cli``, ``sparsekit._cli``) imports ``sparsekit._cli``;
* every module with ``>>>`` examples has its doctests collected by the README's test command;
* no file over 700 lines and no function over 120 lines of code (``scripts/check_sizes.py``).
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "sparsekit"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PKG.rglob("*.py")}


def _resolve(mod: str, is_pkg: bool, level: int, target: str | None) -> str:
    """The absolute name of a relative import's base."""
    base = mod.split(".") if is_pkg else mod.split(".")[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def import_graph() -> dict[str, set[str]]:
    """module -> the sparsekit modules it imports (``from pkg import sub`` counts as pkg.sub)."""
    mods = _modules()
    graph = {}
    for mod, path in mods.items():
        is_pkg = path.name == "__init__.py"
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = (_resolve(mod, is_pkg, node.level, node.module) if node.level
                        else node.module or "")
                names = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base
                         for a in node.names]
            else:
                continue
            for name in names:
                # the deepest sparsekit module the name refers to
                while name and name not in mods:
                    name = name.rpartition(".")[0]
                if name.startswith("sparsekit") and name != mod:
                    edges.add(name)
        graph[mod] = edges
    return graph


def _cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_the_graph_reader_sees_relative_and_lazy_imports():
    g = import_graph()
    assert "sparsekit.linalg._krylov" in g["sparsekit.linalg.solve"]       # from . import _krylov
    assert "sparsekit.errors" in g["sparsekit._validate"]                   # from .errors import
    assert "sparsekit.backends._registry" in g["sparsekit.builders.graph"]  # from ..backends import
    # a circle planted in a copy of the graph is found
    planted = {k: set(v) for k, v in g.items()}
    planted["sparsekit.errors"].add("sparsekit._validate")
    assert any({"sparsekit.errors", "sparsekit._validate"} <= set(c) for c in _cycles(planted))


def test_no_import_circle():
    assert _cycles(import_graph()) == []


def test_backends_never_import_linalg_or_builders():
    bad = [(m, e) for m, edges in import_graph().items() if m.startswith("sparsekit.backends")
           for e in edges if e.startswith(("sparsekit.linalg", "sparsekit.builders"))]
    assert bad == []


def test_only_the_cli_imports_cli_internals():
    bad = [(m, e) for m, edges in import_graph().items()
           if not (m == "sparsekit.cli" or m.startswith("sparsekit._cli"))
           for e in edges if e.startswith("sparsekit._cli")]
    assert bad == []


def test_sizes_within_limits():
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "check_sizes.py")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.slow
def test_every_module_with_examples_has_its_doctests_collected():
    with_examples = {str(p.relative_to(ROOT)) for p in PKG.rglob("*.py")
                     if ">>> " in p.read_text(encoding="utf-8")}
    # the README's test command collects from the configured testpaths: ask pytest what it sees
    # (pyproject's addopts already holds -q: one more would hide the node ids)
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only",
                          "-p", "no:cacheprovider"],
                         cwd=ROOT, capture_output=True, text=True)
    collected = {line.split("::")[0] for line in out.stdout.splitlines() if "::" in line}
    assert with_examples, "no module has examples?"
    assert sorted(with_examples - collected) == []
