"""The ``sparsekit`` command line: Matrix Market files in, answers out.

``sparsekit demo`` (what ``make run`` shows), ``info``, ``solve``, ``eigs``,
``compare``, ``spectral ...``, ``build ...``, ``convert`` and ``datasets ...``.
Thin by design: each command parses its options, calls the public API, prints
(rich tables, or one JSON object with ``--json``) and maps the outcome to an
exit code: 0 success, 1 not converged, 2 bad input or usage (every sparsekit
error), 3 an internal error (a bug, in one line), 130 Ctrl-C, 143 SIGTERM.
See ``docs/cli.md`` and ``docs/refusals.md``.

Examples
--------
>>> from click.testing import CliRunner
>>> from sparsekit.cli import cli
>>> r = CliRunner().invoke(cli, ["datasets", "path", "poisson2d_64"])
>>> r.exit_code, r.stdout.strip().endswith("poisson2d_64.mtx.gz")
(0, True)
"""

# Each command module registers its commands on the group when imported.
from ._cli import build, compare, data, demo, eigs, info, solve, spectral  # noqa: F401
from ._cli._app import cli, main

__all__ = ["cli", "main"]
