"""Peer test suites, ported: SciPy's and networkx's cases (matrices, expected values and
properties, rewritten here) run against sparsekit, each naming the file it comes from.
Cases sparsekit answers differently on purpose are listed in docs/scipy.md."""
