"""The ``sparsekit`` command line (placeholder: issue 7 builds it)."""

import sys


def main(argv=None):
    """Entry point."""
    print("sparsekit: the command line is not built yet", file=sys.stderr)
    return 2
