"""Size limits of the package: no file over 700 lines, no function over 120 lines of code.

A function's lines of code are the lines from its ``def`` to its last
statement, less its docstring, blank lines and comment-only lines (a nested
function counts inside its parent and on its own).  Prints the longest files
and functions, and every violation; exits 1 when there is one.

    python scripts/check_sizes.py [--root sparsekit] [--max-file 700] [--max-function 120]
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path


def _docstring_lines(node) -> set[int]:
    body = getattr(node, "body", None)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        return set(range(body[0].lineno, body[0].end_lineno + 1))
    return set()


def function_sizes(path: Path):
    """``(qualified name, first line, lines of code)`` of every function in ``path``."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    tree = ast.parse(text, filename=str(path))
    out = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    skip = _docstring_lines(child)
                    code = [i for i in range(child.lineno, child.end_lineno + 1)
                            if i not in skip and lines[i - 1].strip()
                            and not lines[i - 1].strip().startswith("#")]
                    out.append((name, child.lineno, len(code)))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=str(Path(__file__).resolve().parent.parent / "sparsekit"))
    ap.add_argument("--max-file", type=int, default=700)
    ap.add_argument("--max-function", type=int, default=120)
    ap.add_argument("--top", type=int, default=5)
    args = ap.parse_args(argv)
    root = Path(args.root)
    files, funcs = [], []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent)
        files.append((len(path.read_text(encoding="utf-8").splitlines()), str(rel)))
        funcs += [(size, f"{rel}:{line} {name}") for name, line, size in function_sizes(path)]
    files.sort(reverse=True)
    funcs.sort(reverse=True)
    bad = [f"file {name}: {n} lines > {args.max_file}" for n, name in files
           if n > args.max_file]
    bad += [f"function {name}: {n} lines of code > {args.max_function}" for n, name in funcs
            if n > args.max_function]
    print(f"check_sizes: {len(files)} files, {len(funcs)} functions under {rel.parts[0]}/")
    print("  longest files:     " + "; ".join(f"{name} {n}" for n, name in files[:args.top]))
    print("  longest functions: " + "; ".join(f"{name} {n}" for n, name in funcs[:args.top]))
    for line in bad:
        print("  TOO LONG: " + line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
