"""The click group, the options every command shares, and the exit codes.

Exit codes: 0 success; 1 a solve or eigensolve that did not converge (the
result is still printed, with its residual); 2 bad input or usage (click's
own usage errors are 2 as well); 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import functools
import json
import logging
import sys
import warnings

import click

from .. import __version__
from ..errors import NoConvergence, SparsekitError
from ._output import Output, mpi_rank

__all__ = ["cli", "main", "command", "group", "EXIT_OK", "EXIT_NOT_CONVERGED", "EXIT_BAD_INPUT",
           "EXIT_INTERRUPTED"]

EXIT_OK = 0
EXIT_NOT_CONVERGED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

_logger = logging.getLogger("sparsekit")


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="sparsekit")
def cli():
    r"""Sparse linear algebra on Matrix Market files: inspect, build, solve, compare.

    FILE arguments take .mtx, .mtx.gz or .npz files, or the name of a dataset
    (`sparsekit datasets list`).  Every command takes --json (one JSON object on
    stdout; messages and progress on stderr), --quiet and --verbose.

    Exit codes: 0 success, 1 not converged (result still printed),
    2 bad input or usage, 130 interrupted.

    \b
    Examples:
      sparsekit demo
      sparsekit info bcsstk09.mtx
      sparsekit solve bcsstk09.mtx --rhs ones -o x.mtx
      sparsekit eigs karate.mtx --laplacian combinatorial -k 4
      sparsekit compare poisson2d_64 --json
    """


def _verbatim(cmd: click.Command) -> click.Command:
    r"""Turn the two characters ``\b`` of a raw docstring into click's no-rewrap marker."""
    if cmd.help:
        cmd.help = cmd.help.replace("\\b\n", "\b\n")
    return cmd


_verbatim(cli)


def group(parent: click.Group, name: str) -> click.Group:
    """Make ``fn`` a command group under ``parent`` (its docstring is its help)."""
    def decorate(fn):
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


def _configure_logging(out: Output) -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
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
    error = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            if not out.verbose:
                warnings.simplefilter("ignore", DeprecationWarning)
                warnings.simplefilter("ignore", PendingDeprecationWarning)
            warnings.showwarning = _WarningSink(out)
            code = fn(out, **kwargs) or EXIT_OK
    except click.ClickException as exc:
        out.emit(exc.exit_code, exc)
        exc.json_emitted = out.json_mode
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
    except KeyboardInterrupt as exc:
        error, code = exc, EXIT_INTERRUPTED
        out.error("interrupted; no partial output file was left behind")
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
        Always, with the exit code (0, 1, 2 or 130).
    """
    args = list(sys.argv[1:] if argv is None else argv)
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
    except BrokenPipeError:  # `sparsekit datasets list | head`
        sys.stderr.close()
        code = EXIT_OK
    raise SystemExit(code)
