"""The fuzz suite's child processes: a crash there fails a test, not pytest.

The standing fuzz suite (issue 18) is bounded, seeded, and crash-proof itself.

Whatever could take a process down (parsing a mutated file, a malformed sparse
structure handed to compiled code) runs in a child process, so a crash is a
failing test naming its input instead of a dead pytest.  Every test here fails
on an exception outside the ``SparsekitError`` family, a child that dies, or a
file left behind.  The whole suite stays under 60 s on the project's 2-core
machine (hypothesis: ``derandomize=True`` and explicit ``max_examples``).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

__all__ = ["run_child", "ROOT"]

ROOT = Path(__file__).resolve().parents[2]


def run_child(code: str, *args, timeout: float = 120) -> dict:
    """Run ``code`` in a fresh Python; return the JSON object it prints last.

    A child that dies (a signal, a non-zero exit) fails the calling test with
    the input it was working on: the child prints ``START <input>`` before
    each one.
    """
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    p = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                       text=True, timeout=timeout, env=env)
    if p.returncode != 0:
        started = [ln for ln in p.stdout.splitlines() if ln.startswith("START ")]
        last = started[-1][6:] if started else "(before the first input)"
        pytest.fail(f"the child process died (exit {p.returncode}) on {last}:\n"
                    f"{p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])
