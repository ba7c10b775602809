"""What a command prints, and where.

Human output (rich tables) goes to stdout; warnings, logs and progress go to
stderr.  With ``--json`` stdout carries exactly one JSON object, written when
the command ends (also when it fails: ``{"ok": false, "error": ...}``).  Under
MPI only rank 0 prints; the rank is read from the launcher's environment so
that the command line never imports an MPI module itself.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table
from rich.text import Text

__all__ = ["Output", "mpi_rank", "jsonable", "fmt_bytes", "fmt_seconds", "fmt_float", "fmt_sci",
           "ResidualProgress"]

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

    @property
    def interactive(self) -> bool:
        """Whether a live progress display makes sense (a terminal on stderr)."""
        return (self.rank == 0 and not self.quiet and sys.stderr.isatty())

    # -- human output --------------------------------------------------------
    def print(self, *things: Any) -> None:
        """Print details (not with --quiet or --json)."""
        if not self.quiet:
            self.out.print(*things)

    def summary(self, text: str) -> None:
        """Print the one line that --quiet keeps (not with --json)."""
        self.out.print(Text(text), soft_wrap=True)

    def note(self, text: str) -> None:
        """A remark on stderr (not with --quiet)."""
        if not self.quiet:
            self.err.print(Text(text))

    def warn(self, text: str) -> None:
        """A warning: on stderr always, and in the JSON object."""
        self.warnings.append(text)
        self.err.print(Text.assemble(("warning: ", "yellow"), text))

    def error(self, text: str) -> None:
        """An error message on stderr."""
        self.err.print(Text.assemble(("error: ", "bold red"), text))

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


class ResidualProgress:
    """A live residual display on stderr, fed by a solver callback.

    It appears only on an interactive terminal and only once the solve has run
    for ``delay`` seconds; updates are throttled so that recomputing a residual
    from an iterate costs a negligible share of the solve.  The bar measures
    progress in digits: ``log(res) / log(rtol)``.
    """

    def __init__(self, output: Output, A, b, rtol: float, delay: float = 0.5,
                 interval: float = 0.1):
        self.output = output
        self.A = A
        # One right-hand side: the residual of an iterate.  Several: iterations only.
        self.b = b if np.ndim(b) == 1 else None
        self.bnorm = float(np.linalg.norm(b)) or 1.0
        self.target = math.log10(rtol) if rtol and rtol < 1 else -8.0
        self.delay = delay
        self.interval = interval
        self.enabled = output.interactive
        self.iteration = 0
        self._start = time.perf_counter()
        self._last = 0.0
        self._progress = None
        self._task = None

    def __call__(self, *args, **kwargs) -> None:
        """Solver callback: an iterate ``xk`` or a residual norm."""
        self.iteration += 1
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self._start < self.delay or now - self._last < self.interval:
            return
        self._last = now
        res = self._relative_residual(args[0] if args else None)
        self._show(res)

    def _relative_residual(self, arg) -> float | None:
        if self.b is not None and isinstance(arg, np.ndarray) and arg.shape == (self.A.shape[1],):
            r = self.b - self.A @ arg
            return float(np.linalg.norm(r)) / self.bnorm
        if isinstance(arg, (float, np.floating)) or (isinstance(arg, np.ndarray) and arg.size == 1):
            return float(arg)
        return None

    def _show(self, res: float | None) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        if self._progress is None:
            self._progress = Progress(
                TextColumn("[bold]solving[/bold]"), BarColumn(),
                TextColumn("{task.fields[status]}"), TimeElapsedColumn(),
                console=self.output.err, transient=True)
            self._progress.start()
            self._task = self._progress.add_task("solve", total=100, status="")
        done = 0.0
        status = f"iteration {self.iteration}"
        if res is not None and res > 0:
            done = min(100.0, max(0.0, 100 * math.log10(res) / self.target))
            status += f", relative residual {res:.2e}"
        self._progress.update(self._task, completed=done, status=status)

    def close(self) -> None:
        """Remove the display."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
