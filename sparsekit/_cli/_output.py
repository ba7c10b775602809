"""What a command prints, and where.

Human output (rich tables) goes to stdout; warnings, logs and the status line
(:mod:`._status`) go to stderr.  With ``--json`` stdout carries exactly one
JSON object, written when the command ends (also when it fails: ``{"ok":
false, "error": ...}``).  Output that is not a terminal (a pipe, a file)
carries no trailing padding: rich pads table cells to their column's width,
and those spaces are stripped from every line.  Under MPI only rank 0 prints;
the rank is read from the launcher's environment so that the command line
never imports an MPI module itself.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from ._status import StatusLine

__all__ = ["Output", "mpi_rank", "jsonable", "fmt_bytes", "fmt_seconds", "fmt_float", "fmt_sci",
           "cli_spelling"]

# Open MPI, MPICH/Intel MPI/Hydra (PMI), PMIx launchers, MVAPICH, Slurm's srun.
_RANK_VARS = ("OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", "MV2_COMM_WORLD_RANK",
              "SLURM_PROCID")


def mpi_rank() -> int:
    """The MPI rank the launcher announced to this process (0 when not under MPI)."""
    for var in _RANK_VARS:
        value = os.environ.get(var)
        if value is not None and value.strip().isdigit():
            return int(value)
    return 0


def jsonable(obj: Any) -> Any:
    """Turn numpy scalars/arrays, paths, mappings and dataclasses into JSON values.

    Non-finite floats become ``null`` (JSON has no NaN or infinity).
    """
    if isinstance(obj, (str, bool)) or obj is None:
        return obj
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        return v if math.isfinite(v) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, (complex, np.complexfloating)):
        return {"real": jsonable(obj.real), "imag": jsonable(obj.imag)}
    if isinstance(obj, np.ndarray):
        return [jsonable(v) for v in obj.tolist()] if obj.ndim else jsonable(obj.item())
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        items = sorted(obj) if isinstance(obj, (set, frozenset)) else obj
        return [jsonable(v) for v in items]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    return str(obj)


def fmt_bytes(n: float) -> str:
    """1536 -> '1.5 KiB'."""
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


def fmt_seconds(s: float) -> str:
    """0.00123 -> '1.23 ms'."""
    s = float(s)
    if s < 1e-3:
        return f"{s * 1e6:.0f} µs"
    if s < 1:
        return f"{s * 1e3:.3g} ms"
    return f"{s:.3g} s"


def fmt_sci(v: Any) -> str:
    """A residual or tolerance: always scientific, '3.94e+00', '7.91e-14'."""
    return "-" if v is None else f"{float(v):.2e}"


#: Python's spelling of advice in the library's messages -> the command line's options.
_CHECK = re.compile(r"\bcheck=False\b")
_QUOTED = re.compile(r"\b(method|precond|backend|which|kind|assign)=['\"]([\w-]+)['\"]")
_NUMBER = re.compile(r"\b(rtol|atol|tol|maxiter|sigma)=([-+.\w]+)")


def _options(text: str) -> str:
    text = _QUOTED.sub(lambda m: f"--{m.group(1)} {m.group(2)}", text)
    return _NUMBER.sub(lambda m: f"--{m.group(1)} {m.group(2)}", text)


def cli_spelling(text: str, *, advice: bool = False) -> str:
    """A library message with the advice in it spelled as the command line's options.

    The library speaks Python (``precond='amg'``, ``check=False``); on the
    command line the same advice reads ``--precond amg``, ``--no-check``.
    ``check=False`` is translated everywhere, the other options after "to
    try:" (a failed solve's advice), or everywhere with ``advice`` (errors:
    their ``use method='gmres'`` is advice); facts such as "auto chose
    method='cg'" in other notes keep the library's words.

    Examples
    --------
    >>> cli_spelling("to try: precond='amg'; method='direct'; rtol=2e-10")
    'to try: --precond amg; --method direct; --rtol 2e-10'
    >>> cli_spelling("rtol=1e-08 not met; use method='gmres', or check=False")
    "rtol=1e-08 not met; use method='gmres', or --no-check"
    >>> cli_spelling("use method='gmres', or check=False", advice=True)
    'use --method gmres, or --no-check'
    """
    text = _CHECK.sub("--no-check", text)
    if advice:
        return _options(text)
    head, sep, tail = text.partition("to try:")
    return head + sep + _options(tail) if sep else text


def fmt_float(v: Any, digits: int = 3) -> str:
    """A number in short scientific form; '-' for None."""
    if v is None:
        return "-"
    v = float(v)
    if v == 0 or (1e-3 <= abs(v) < 1e5):
        return f"{v:.{digits + 1}g}"
    return f"{v:.{digits - 1}e}"


class Output:
    """The printer of one command invocation.

    Parameters
    ----------
    command : str
        The command's name, recorded in the JSON object.
    json_mode, quiet, verbose : bool
        The shared options.
    """

    def __init__(self, command: str, *, json_mode: bool = False, quiet: bool = False,
                 verbose: bool = False):
        self.command = command
        self.json_mode = json_mode
        self.quiet = quiet
        self.verbose = verbose
        self.rank = mpi_rank()
        silent = self.rank != 0
        # Consoles read sys.stdout/sys.stderr when printing, so test runners that
        # swap the streams see the output.
        width = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 100
        self.out = Console(highlight=False, quiet=silent or json_mode, width=width)
        # Messages are never wrapped: a line per message, for grep and logs.
        self.err = Console(stderr=True, highlight=False, quiet=silent, soft_wrap=True)
        self.data: dict[str, Any] = {"command": command}
        self.warnings: list[str] = []
        self.written: list[str] = []
        self._emitted = False
        # the command's StatusLine while it runs (_app sets it)
        self.status: _Inert | StatusLine = _Inert()

    @property
    def interactive(self) -> bool:
        """Whether a live status line makes sense.

        A terminal on stderr, rank 0, and neither --json nor --quiet.
        """
        return (self.rank == 0 and not self.quiet and not self.json_mode
                and sys.stderr.isatty())

    # -- human output --------------------------------------------------------
    def _print(self, console: Console, *things: Any, **kwargs: Any) -> None:
        """Print through ``console``; off a terminal, without rich's trailing padding."""
        if console.is_terminal or console.quiet:
            console.print(*things, **kwargs)
            return
        with console.capture() as cap:
            console.print(*things, **kwargs)
        text = "\n".join(line.rstrip() for line in cap.get().split("\n"))
        console.file.write(text)
        console.file.flush()

    def print(self, *things: Any) -> None:
        """Print details (not with --quiet or --json)."""
        if not self.quiet:
            self.status.clear(forget=True)
            self._print(self.out, *things)

    def summary(self, text: str) -> None:
        """Print the one line that --quiet keeps (not with --json)."""
        self.status.clear(forget=True)
        self._print(self.out, Text(text), soft_wrap=True)

    def note(self, text: str) -> None:
        """A remark on stderr (not with --quiet)."""
        if not self.quiet:
            self.status.clear()
            self._print(self.err, Text(cli_spelling(text)))

    def warn(self, text: str) -> None:
        """A warning: on stderr always, and in the JSON object."""
        self.warnings.append(text)
        self.status.clear()
        self._print(self.err, Text.assemble(("warning: ", "yellow"), cli_spelling(text)))

    def error(self, text: str) -> None:
        """An error message on stderr."""
        self.status.clear()
        self._print(self.err, Text.assemble(("error: ", "bold red"),
                                            cli_spelling(text, advice=True)))

    def wrote(self, path, what: str) -> None:
        """Record an output file."""
        self.written.append(str(path))
        self.data.setdefault("outputs", {})[what] = str(path)
        self.note(f"wrote {what} to {path}")

    # -- machine output ------------------------------------------------------
    def set(self, **fields: Any) -> None:
        """Add fields to the JSON object."""
        self.data.update(fields)

    def emit(self, exit_code: int, error: BaseException | None = None) -> None:
        """Print the JSON object (once, rank 0, with --json)."""
        if self._emitted or not self.json_mode or self.rank != 0:
            return
        self._emitted = True
        obj = dict(self.data)
        obj["ok"] = exit_code == 0
        obj["exit_code"] = exit_code
        obj["warnings"] = list(self.warnings)
        if error is not None:
            obj["error"] = {"type": type(error).__name__, "message": str(error)}
        sys.stdout.write(json.dumps(jsonable(obj), allow_nan=False) + "\n")
        sys.stdout.flush()


class _Inert:
    """The status line of a command that shows none."""

    def clear(self, *, forget: bool = False) -> None:
        """Nothing to erase."""


KEY_WIDTH = 17  # "relative residual": key/value tables printed in turn line up


def kv_table(rows, title: str | None = None) -> Table:
    """A two-column table of (name, value) rows."""
    t = Table(title=title, show_header=False, box=None, pad_edge=False, title_justify="left",
              title_style="bold")
    t.add_column(style="bold cyan", no_wrap=True, min_width=KEY_WIDTH)
    t.add_column(overflow="fold")
    for k, v in rows:
        t.add_row(Text(k), Text(v))
    return t
