"""The status line: what a command is doing now, on stderr, while it runs.

One line at the bottom of the terminal names the stage the library reported
last (:mod:`sparsekit._progress`: reading, inspecting, factorizing with the
engine and its estimated memory, the AMG setup, Krylov iteration ``k`` with
the true relative residual against ``rtol``, LOBPCG's worst residual against
``tol``, ARPACK's operator applications, writing ...) and the time since the
command started.  A residual against a target also gets a bar, measured in
digits (``log(residual) / log(rtol)``), which stays short of full until the
solver says it is done.

A thread redraws the line five times a second, so the clock moves even while
the library is inside one long call; it appears only once the command has run
for :data:`DELAY` seconds (quick commands print nothing), only on a terminal,
only on rank 0, and never with ``--json`` or ``--quiet``.  Anything else
printed clears it first (:meth:`StatusLine.clear`), and it is erased when the
command ends: piped or redirected output never contains it.
"""

from __future__ import annotations

import math
import shutil
import sys
import threading
import time
from contextlib import AbstractContextManager
from typing import Any

from .. import _progress

__all__ = ["StatusLine", "DELAY", "REFRESH", "bar"]

#: The line appears once a command has run this long (seconds).
DELAY = 0.3

#: Seconds between redraws.
REFRESH = 0.2

_ERASE = "\r\x1b[2K"


def _clock(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    m, s = divmod(int(seconds), 60)
    return f"{m}:{s:02d}" if m < 60 else f"{m // 60}:{m % 60:02d}:{s:02d}"


def bar(event: _progress.ProgressEvent, width: int = 12) -> str:
    """A bar of the digits gained toward the target, ``""`` without residual and target.

    ``log10(residual) / log10(target)``: 0 at a residual of 1 (the start from
    ``x0 = 0``), full at the target; never drawn full (the solver, not the bar,
    says when it is done).

    Examples
    --------
    >>> from sparsekit._progress import ProgressEvent
    >>> bar(ProgressEvent("iterate", {"residual": 1e-4, "rtol": 1e-8}), width=10)
    '[#####.....] '
    >>> bar(ProgressEvent("iterate", {"residual": 1e-9, "rtol": 1e-8}), width=10)
    '[#########.] '
    """
    f = event.facts
    res = next((f[k] for k in ("residual", "estimate", "worst") if f.get(k) is not None), None)
    target = f.get("rtol", f.get("tol"))
    if res is None or not target or not 0 < target < 1 or not res > 0 \
            or not math.isfinite(res):
        return ""
    done = min(max(math.log10(res) / math.log10(target), 0.0), 1.0)
    filled = min(int(round(done * width)), width - 1)
    return "[" + "#" * filled + "." * (width - filled) + "] "


class StatusLine:
    """The live status line of one command (a context manager; inert when not wanted).

    Parameters
    ----------
    enabled : bool
        Whether to show anything (a terminal, rank 0, not ``--json``/``--quiet``).
    command : str
        Shown until the library reports its first stage.
    stream : file, optional
        Where to draw (default: ``sys.stderr`` at draw time).
    """

    def __init__(self, enabled: bool, command: str = "", *, stream=None, delay: float = DELAY,
                 refresh: float = REFRESH):
        self.enabled = enabled
        self.command = command
        self.stream = stream
        self.delay, self.refresh = delay, refresh
        self.event: _progress.ProgressEvent | None = None
        self.visible = False
        self.drawn = 0
        self._quiet = False  # a result was printed: hidden until the next stage
        self._start = time.perf_counter()
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._listening: AbstractContextManager[Any] | None = None

    # -- life cycle ----------------------------------------------------------
    def __enter__(self) -> StatusLine:
        if self.enabled:
            self._start = time.perf_counter()
            self._listening = _progress.progress(self)
            self._listening.__enter__()
            self._thread = threading.Thread(target=self._tick, name="sparsekit-status",
                                            daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop redrawing and erase the line."""
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=2 * self.refresh + 1)
            self._thread = None
        if self._listening is not None:
            self._listening.__exit__(None, None, None)
            self._listening = None
        self.clear()

    # -- events and drawing --------------------------------------------------
    def __call__(self, event: _progress.ProgressEvent) -> None:
        """A progress listener: remember the stage; draw now when it is already showing."""
        with self._lock:
            self.event, self._quiet = event, False
            if self.visible or time.perf_counter() - self._start >= self.delay:
                self._draw()

    def _tick(self) -> None:
        while not self._stop.wait(self.refresh):
            if time.perf_counter() - self._start >= self.delay:
                with self._lock:
                    if not self._stop.is_set() and not self._quiet:
                        self._draw()

    def text(self) -> str:
        """The line as it would be drawn now (without terminal controls)."""
        elapsed = _clock(time.perf_counter() - self._start)
        if self.event is None:
            return f"sparsekit {self.command}: working · {elapsed}"
        return f"{bar(self.event)}{self.event} · {elapsed}"

    def _out(self):
        return self.stream if self.stream is not None else sys.stderr

    def _draw(self) -> None:
        if not self.enabled:
            return
        width = max(shutil.get_terminal_size((100, 24)).columns - 1, 20)
        line = self.text()
        if len(line) > width:
            line = line[: width - 1] + "…"
        try:
            out = self._out()
            out.write(_ERASE + line)
            out.flush()
        except (OSError, ValueError):  # a closed or broken terminal: stop drawing
            self.enabled = False
            return
        self.visible = True
        self.drawn += 1

    def clear(self, *, forget: bool = False) -> None:
        """Erase the line before something else is printed (``forget``: the stage too).

        Forgetting the stage (after a result is printed) keeps a finished stage
        from reappearing; the next report brings the line back.
        """
        with self._lock:
            if forget:
                self.event, self._quiet = None, True
            if not self.visible:
                return
            try:
                out = self._out()
                out.write(_ERASE)
                out.flush()
            except (OSError, ValueError):
                pass
            self.visible = False
