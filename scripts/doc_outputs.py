"""The shell examples of README.md and docs/*.md: run them, and write their real outputs in.

Every fenced ``console`` block is a session: ``$ command`` lines, each followed by
what it prints (and ``$ echo $?`` followed by the exit status; a command not followed by one must
exit 0).  This script runs
each session in a scratch folder (where ``sparsekit datasets examples .`` puts the
shipped example inputs) with the environment the docs are written for (a
100-column terminal, the SuiteSparse matrices in ``$SPARSEKIT_DATA``) and
rewrites every output from what the command printed.  A block marked
``<!-- illustrative: why -->`` on the line above is left alone (set-up commands,
GPU, MPI).  A shown output that ends in a line ``...`` keeps its length: the
fresh output is cut to as many lines, and the ``...`` stays.

    python scripts/doc_outputs.py [--check] [FILE ...]

Paths are written as a reader's machine would print them: the data folder as
``$SPARSEKIT_DATA``, the scratch folder as ``.``, the installed package as
``<sparsekit>`` and the home folder as ``~`` (the docs carry no machine's paths).

``--check`` writes nothing and exits 1 when a block's output no longer matches
(numbers aside); ``tests/test_docs.py`` runs the same comparison in CI.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```\s*$", re.S | re.M)
ILLUSTRATIVE = re.compile(r"<!--\s*illustrative\b[^>]*-->\s*$")
NUMBER = re.compile(r"[-+]?(?:\d[\d,_]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
                    r"(?:\s?(?:ns|µs|us|ms|s|min|h|B|KiB|MiB|GiB|TiB|x|%)\b)?")
BIN = Path(sys.executable).parent


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def blocks(text: str):
    """(match, language, code, line number, illustrative) of every fenced block."""
    for m in FENCE.finditer(text):
        before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        yield (m, m.group(1), m.group(2), text[: m.start()].count("\n") + 1,
               bool(ILLUSTRATIVE.search(before)))


def sessions(code: str) -> list[list]:
    """``[[command, [shown lines]], ...]`` of a console block."""
    steps, current = [], None
    for ln in code.splitlines():
        if ln.startswith("$ "):
            current = [ln[2:].strip(), []]
            steps.append(current)
        elif current is not None:
            current[1].append(ln)
    return steps


def env() -> dict:
    e = dict(os.environ)
    e["PATH"] = f"{BIN}{os.pathsep}{e.get('PATH', '')}"
    e["COLUMNS"] = "100"
    e.setdefault("SPARSEKIT_DATA", str(ROOT.parent / "shared" / "datasets" / "mtx"))
    for key in ("FORCE_COLOR", "CLICOLOR_FORCE"):
        e.pop(key, None)
    e["NO_COLOR"] = "1"
    return e


#: Commands a console block may show besides sparsekit's own: they show a file (cat, head) or
#: write a small input into the scratch folder (printf ... > bad.mtx).
READERS = ("cat ", "head ", "printf ")


def is_sparsekit(command: str) -> bool:
    """Whether a console block's command runs here (sparsekit, a file reader, ``echo $?``)."""
    return (command.startswith(("sparsekit", "python -m sparsekit", *READERS))
            or command == "echo $?")


def _argv(command: str) -> list[str] | None:
    """The arguments of a plain ``sparsekit ...`` command, None for anything else."""
    if any(c in command for c in "|<>;&`$*?"):
        return None  # shell syntax: the shell runs it
    words = shlex.split(command)
    for prefix in (["sparsekit"], ["python", "-m", "sparsekit"]):
        if words[: len(prefix)] == prefix:
            return words[len(prefix):]
    return None


def _serve(commands: list[str], out: Path) -> None:
    """Run ``commands`` in this process, in order; write ``[[status, printed], ...]`` to out.

    Each ``sparsekit`` command runs through ``sparsekit.cli.main`` as the script does
    (its own output, warnings and logging set up and torn down per call), with the
    factorization cache cleared between calls, so a command prints what it prints in a
    fresh process; one interpreter for a whole document saves its start-up per command.
    """
    import contextlib
    import io

    import sparsekit
    from sparsekit.cli import main

    results = []
    for command in commands:
        argv = _argv(command)
        if argv is None:
            proc = subprocess.run(command, shell=True, capture_output=True, text=True,
                                  timeout=900)
            results.append([proc.returncode, proc.stdout + proc.stderr])
            continue
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                main(argv)
            except SystemExit as done:
                status = done.code if isinstance(done.code, int) else 1
        sparsekit.clear_cache()
        results.append([status, stdout.getvalue() + stderr.getvalue()])
    out.write_text(json.dumps(results), encoding="utf-8")


def run_all(commands: list[str], cwd: Path) -> list[tuple[int, str]]:
    """Run a document's commands in order in ``cwd``: (exit status, what it printed) each.

    One fresh interpreter runs them all (``_serve``); what they print has its paths
    made portable.
    """
    if not commands:
        return []
    out = cwd / ".doc_outputs.json"
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--serve", str(out)],
                          input=json.dumps(commands), cwd=cwd, env=env(), capture_output=True,
                          text=True, timeout=1800)
    if proc.returncode != 0 or not out.is_file():
        raise RuntimeError(f"doc_outputs: running the commands failed:\n{proc.stderr}")
    results = json.loads(out.read_text(encoding="utf-8"))
    out.unlink()
    return [(status, portable(printed, cwd)) for status, printed in results]


def _package_dir() -> str:
    spec = importlib.util.find_spec("sparsekit")
    if spec is None or spec.origin is None:
        return str(ROOT / "sparsekit")
    return str(Path(spec.origin).resolve().parent)


def portable(text: str, cwd: Path) -> str:
    """``text`` with this machine's folders replaced by the names the docs use for them."""
    folders = {env()["SPARSEKIT_DATA"]: "$SPARSEKIT_DATA", str(cwd): ".",
               _package_dir(): "<sparsekit>", str(Path.home()): "~"}
    for real in list(folders):
        folders.setdefault(os.path.realpath(real), folders[real])
    for real in sorted(folders, key=len, reverse=True):  # the longest (most specific) first
        if real and real != os.sep:
            text = text.replace(real.rstrip(os.sep), folders[real])
    return text


def normal(line: str) -> list[str]:
    """The words of a line, every number (with its unit: 702 ms, 1.1 s, 2.1 MiB) one token."""
    return NUMBER.sub("#", line).replace("─", "").split()


def mismatch(shown: list[str], printed: str) -> str | None:
    """None when every shown line's words appear, in order, in what was printed.

    The comparison runs on the stream of words, so a table cell or a note that wraps
    at another word (its numbers grew a digit) still matches; ``...`` lines are skipped.
    """
    got = [w for ln in printed.splitlines() for w in normal(ln)]
    i = 0
    for want in shown:
        words = normal(want)
        if want.strip() == "..." or not words:
            continue
        n = len(words)
        while i + n <= len(got) and got[i:i + n] != words:
            i += 1
        if i + n > len(got):
            return want
        i += n
    return None

def _fresh(shown: list[str], printed: str) -> list[str]:
    lines = [ln.rstrip() for ln in printed.rstrip("\n").splitlines()]
    if shown and shown[-1].strip() == "...":
        keep = max(len(shown) - 1, 1)
        return lines[:keep] + (["..."] if len(lines) > keep else [])
    return lines


def _runnable(path: Path, text: str, problems: list[str]) -> list:
    """(match, line, steps) of the console blocks of a document that run here."""
    found = []
    for m, lang, code, line, marked in blocks(text):
        steps = sessions(code) if lang in ("console", "shell-session") and not marked else []
        bad = [command for command, _ in steps if not is_sparsekit(command)]
        if bad:
            problems.append(f"{path.name}:{line}: `{bad[0]}` is not a sparsekit command: "
                            "mark the block <!-- illustrative: why -->")
        elif steps:
            found.append((m, line, steps))
    return found


def _compare(path: Path, line: int, steps: list, results: list, problems: list[str]) -> list:
    """The block's fresh lines; its problems appended (``results`` is consumed in order)."""
    out_lines, status = [], 0
    for i, (command, shown) in enumerate(steps):
        if command == "echo $?":
            out_lines += ["$ echo $?", str(status)]
            if shown and shown[0].strip() != str(status):
                problems.append(f"{path.name}:{line}: exit status {status}, the docs show "
                                f"{shown[0].strip()}")
            continue
        status, printed = results.pop(0)
        shows_status = i + 1 < len(steps) and steps[i + 1][0] == "echo $?"
        if status != 0 and not shows_status:
            problems.append(f"{path.name}:{line}: `{command}` exited {status}; show it with "
                            f"`$ echo $?` or fix the example; it printed:\n{printed}")
        miss = mismatch(shown, printed)
        if miss is not None:
            problems.append(f"{path.name}:{line}: `{command}` no longer prints {miss!r}; "
                            f"it printed:\n{printed}")
        out_lines += [f"$ {command}", *_fresh(shown, printed)]
    return out_lines


def regenerate(path: Path, check: bool) -> list[str]:
    """Rewrite (or with ``check`` only compare) the outputs of one document; the problems.

    The document's blocks run in order, in one scratch folder of its own.
    """
    text = path.read_text(encoding="utf-8")
    problems: list[str] = []
    found = _runnable(path, text, problems)
    commands = [c for _, _, steps in found for c, _ in steps if c != "echo $?"]
    with tempfile.TemporaryDirectory() as tmp:
        results = run_all(commands, Path(tmp))
    pieces, last = [], 0
    for m, line, steps in found:
        out_lines = _compare(path, line, steps, results, problems)
        pieces.append(text[last:m.start(2)] + "\n".join(out_lines) + "\n")
        last = m.end(2)
    pieces.append(text[last:])
    if not check:
        path.write_text("".join(pieces), encoding="utf-8")
    return problems


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--serve", type=Path, help=argparse.SUPPRESS)  # run_all's worker
    ap.add_argument("files", nargs="*")
    args = ap.parse_args(argv)
    if args.serve is not None:
        _serve(json.loads(sys.stdin.read()), args.serve)
        return 0
    paths = [Path(f).resolve() for f in args.files] or documents()
    problems = []
    for p in paths:
        problems += regenerate(p, args.check)
        print(f"doc_outputs: {'checked' if args.check else 'wrote'} {p.relative_to(ROOT)}")
    for line in problems:
        print("  " + line)
    return 1 if (problems and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
