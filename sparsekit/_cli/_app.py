"""The click group, the options every command shares, and the exit codes.

Exit codes: 0 success; 1 a solve or eigensolve that did not converge (the
result is still printed, with its residual); 2 bad input or usage (click's
own usage errors are 2 as well; every sparsekit error, a file that cannot be
read or written, too little memory); 3 an internal error (a bug: a one-line
message, the traceback with ``--debug`` or ``SPARSEKIT_DEBUG=1``); 130
interrupted (Ctrl-C); 143 terminated (SIGTERM, as ``timeout``, CI cancellation
and schedulers send it).  Ctrl-C and SIGTERM clean up alike: temporary files
removed, old outputs intact.  With ``--json`` the failure is in the object:
``{"ok": false, "exit_code": N, "error": {"type": ..., "message": ...}}``.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import signal
import sys
import traceback
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import click

from .. import __version__
from ..errors import NoConvergence, SparsekitError
from ._output import Output, mpi_rank
from ._status import StatusLine

__all__ = ["cli", "main", "command", "group", "Terminated", "Finite", "EXIT_OK",
           "EXIT_NOT_CONVERGED", "EXIT_BAD_INPUT", "EXIT_INTERNAL", "EXIT_INTERRUPTED",
           "EXIT_TERMINATED"]

EXIT_OK = 0
EXIT_NOT_CONVERGED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM, as a shell reports a process SIGTERM ended


class Terminated(BaseException):
    """SIGTERM, raised in the main thread like Ctrl-C's KeyboardInterrupt.

    A ``BaseException`` (as ``KeyboardInterrupt``) so that no ``except
    Exception`` on the way swallows it; every ``finally`` and the atomic
    writes' cleanup run, then the command exits 143.
    """


class Finite(click.ParamType):
    """A finite number, optionally bounded: ``--rtol``, ``--tol``, ``--eps`` ...

    ``click.FloatRange`` lets ``nan`` through (every comparison with it is
    false) and ``inf``; this refuses both, as a usage error (exit 2).
    """

    name = "number"

    def __init__(self, low: float | None = None, high: float | None = None, *,
                 low_open: bool = False, high_open: bool = False):
        self.low, self.high, self.low_open, self.high_open = low, high, low_open, high_open

    def convert(self, value, param, ctx):
        """The option's value as a float, or a usage error saying which range."""
        try:
            v = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        ok = v == v and abs(v) != float("inf")
        if ok and self.low is not None:
            ok = v > self.low if self.low_open else v >= self.low
        if ok and self.high is not None:
            ok = v < self.high if self.high_open else v <= self.high
        if not ok:
            lo = "" if self.low is None else f"{'>' if self.low_open else '>='} {self.low:g}"
            hi = "" if self.high is None else f"{'<' if self.high_open else '<='} {self.high:g}"
            self.fail(f"{value!r} is not a finite number{' ' if lo or hi else ''}"
                      f"{' and '.join(x for x in (lo, hi) if x)}", param, ctx)
        return v


def _on_sigterm(signum, frame):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: let the cleanup finish
    raise Terminated("SIGTERM")


def _debug() -> bool:
    ctx = click.get_current_context(silent=True)
    root = ctx.find_root() if ctx is not None else None
    flag = bool(root is not None and (root.params or {}).get("debug"))
    return flag or os.environ.get("SPARSEKIT_DEBUG", "") not in ("", "0")


def _internal(exc: BaseException) -> str:
    """The one line an internal error prints (the traceback only with --debug)."""
    if _debug():
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ours = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(package)]
    at = (f" in {os.path.relpath(ours[-1].filename, os.path.dirname(package))}:"
          f"{ours[-1].lineno}" if ours else "")
    first = (str(exc).splitlines() or [""])[0]
    return (f"internal error: {type(exc).__name__}: {first}{at}; this is a bug in sparsekit, "
            "please report it (--debug or SPARSEKIT_DEBUG=1 shows the traceback)")

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

_logger = logging.getLogger("sparsekit")


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="sparsekit")
@click.option("--debug", is_flag=True,
              help="Show the traceback of an internal error (exit 3); also SPARSEKIT_DEBUG=1.")
def cli(debug):
    r"""Sparse linear algebra on Matrix Market files: inspect, build, solve, compare.

    FILE arguments take .mtx, .mtx.gz, .npz or .petsc files, or the name of a dataset
    (`sparsekit datasets list`).  Every command takes --json (one JSON object on
    stdout; messages and progress on stderr), --quiet and --verbose.

    Exit codes: 0 success, 1 not converged (result still printed),
    2 bad input or usage (any sparsekit error, unreadable or unwritable files,
    too little memory), 3 internal error (a bug; --debug shows the traceback),
    130 interrupted (Ctrl-C), 143 terminated (SIGTERM).

    \b
    Examples:
      sparsekit demo
      sparsekit info bcsstk09.mtx
      sparsekit solve bcsstk09.mtx --rhs ones -o x.mtx
      sparsekit eigs karate.mtx --laplacian combinatorial -k 4
      sparsekit compare poisson2d_64 --json
    """


_Cmd = TypeVar("_Cmd", bound=click.Command)


def _verbatim(cmd: _Cmd) -> _Cmd:
    r"""Turn the two characters ``\b`` of a raw docstring into click's no-rewrap marker."""
    if cmd.help:
        cmd.help = cmd.help.replace("\\b\n", "\b\n")
    return cmd


_verbatim(cli)


def group(parent: click.Group, name: str) -> Callable[[Callable[..., Any]], click.Group]:
    """Make ``fn`` a command group under ``parent`` (its docstring is its help)."""
    def decorate(fn: Callable[..., Any]) -> click.Group:
        g = _verbatim(click.group(name, context_settings=CONTEXT_SETTINGS)(fn))
        parent.add_command(g)
        return g

    return decorate


def _shared_options(f):
    f = click.option("-v", "--verbose", is_flag=True,
                     help="Log what the library does (to stderr).")(f)
    f = click.option("-q", "--quiet", is_flag=True,
                     help="Print only a one-line summary; no tables, no progress.")(f)
    f = click.option("--json", "json_", is_flag=True,
                     help="Print one JSON object on stdout instead of tables.")(f)
    return f


class _WarningSink:
    """``warnings.showwarning`` replacement that reports through the Output."""

    def __init__(self, out: Output):
        self.out = out

    def __call__(self, message, category, filename, lineno, file=None, line=None):
        self.out.warn(f"{category.__name__}: {message}")


class _Handler(logging.StreamHandler):
    """stderr logging that erases the status line before each record."""

    def __init__(self, out: Output):
        super().__init__(sys.stderr)
        self.output = out

    def emit(self, record: logging.LogRecord) -> None:
        """Erase the status line, then write the record."""
        self.output.status.clear()
        super().emit(record)


def _configure_logging(out: Output) -> logging.Handler:
    handler = _Handler(out)
    handler.setFormatter(logging.Formatter("sparsekit: %(name)s: %(message)s"))
    if out.rank != 0:
        handler.setLevel(logging.CRITICAL + 1)
    elif out.verbose:
        handler.setLevel(logging.DEBUG)
    elif out.quiet:
        handler.setLevel(logging.ERROR)
    else:
        handler.setLevel(logging.WARNING)
    _logger.addHandler(handler)
    return handler


def _run(out: Output, fn, kwargs) -> int:
    handler = _configure_logging(out)
    old_level = _logger.level
    if out.verbose:
        _logger.setLevel(logging.DEBUG)
    error: BaseException | None = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            if not out.verbose:
                warnings.simplefilter("ignore", DeprecationWarning)
                warnings.simplefilter("ignore", PendingDeprecationWarning)
            warnings.showwarning = _WarningSink(out)
            with StatusLine(out.interactive, out.command) as out.status:
                code = fn(out, **kwargs) or EXIT_OK
    except click.ClickException as exc:
        out.emit(exc.exit_code, exc)
        # whether the JSON error object went out already; _main reads it back
        setattr(exc, "json_emitted", out.json_mode)  # noqa: B010
        raise
    except (click.exceptions.Exit, click.exceptions.Abort):  # click's own control flow
        raise
    except NoConvergence as exc:
        error, code = exc, EXIT_NOT_CONVERGED
        out.error(str(exc))
    except (SparsekitError, NotImplementedError) as exc:
        error, code = exc, EXIT_BAD_INPUT
        out.error(str(exc))
    except OSError as exc:
        error, code = exc, EXIT_BAD_INPUT
        where = f" {exc.filename!r}" if getattr(exc, "filename", None) else ""
        out.error(f"cannot read or write{where}: {exc.strerror or exc}")
    except MemoryError as exc:  # past the preflight: still the input's size
        error, code = exc, EXIT_BAD_INPUT
        out.error(f"out of memory ({exc or 'MemoryError'}); try a smaller input")
    except KeyboardInterrupt as exc:
        error, code = exc, EXIT_INTERRUPTED
        out.error("interrupted; no partial output file was left behind")
    except Terminated as exc:
        error, code = exc, EXIT_TERMINATED
        out.error("terminated (SIGTERM); no partial output file was left behind")
    except Exception as exc:  # noqa: BLE001 - a bug: one line, its own exit code
        error, code = exc, EXIT_INTERNAL
        out.error(_internal(exc))
    finally:
        _logger.removeHandler(handler)
        _logger.setLevel(old_level)
    out.emit(code, error)
    return code


def command(parent: click.Group, name: str, **settings):
    """Register ``fn(out, **options)`` as a command of ``parent``.

    Adds --json/--quiet/--verbose, builds the :class:`Output`, maps errors to
    exit codes and exits with the code ``fn`` returns (0 when it returns None).
    """
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*, json_: bool, quiet: bool, verbose: bool, **kwargs):
            out = Output(name, json_mode=json_, quiet=quiet, verbose=verbose)
            code = _run(out, fn, kwargs)
            if code:
                click.get_current_context().exit(code)
            return code

        return _verbatim(parent.command(name, **settings)(_shared_options(wrapper)))

    return decorate


def main(argv=None):
    """Run the command line and exit with its code (the ``sparsekit`` script).

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Raises
    ------
    SystemExit
        Always, with the exit code (0, 1, 2, 3, 130 or 143).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread: signals stay as they are
        previous = None
    try:
        code = _main(args)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    raise SystemExit(code)


def _main(args: list[str]) -> int:
    try:
        rv = cli.main(args=args, prog_name="sparsekit", standalone_mode=False)
        code = rv if isinstance(rv, int) else EXIT_OK
    except click.ClickException as exc:
        if mpi_rank() == 0:
            # One JSON object on stdout, even for a usage error.
            if "--json" in args and not getattr(exc, "json_emitted", False):
                click.echo(json.dumps({"ok": False, "exit_code": exc.exit_code, "error": {
                    "type": type(exc).__name__, "message": exc.format_message()}}))
            exc.show()
        code = exc.exit_code
    except click.exceptions.Abort:
        if mpi_rank() == 0:
            click.echo("error: interrupted", err=True)
        code = EXIT_INTERRUPTED
    except Terminated:
        if mpi_rank() == 0:
            click.echo("error: terminated (SIGTERM)", err=True)
        code = EXIT_TERMINATED
    except BrokenPipeError:  # `sparsekit datasets list | head`
        sys.stderr.close()
        code = EXIT_OK
    except Exception as exc:  # noqa: BLE001 - outside a command (option callbacks...)
        if mpi_rank() == 0:
            if "--json" in args:
                click.echo(json.dumps({"ok": False, "exit_code": EXIT_INTERNAL, "error": {
                    "type": type(exc).__name__, "message": str(exc)}}))
            click.echo("error: " + _internal(exc), err=True)
        code = EXIT_INTERNAL
    return code
