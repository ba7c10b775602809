"""Private implementation of :mod:`sparsekit.spectral` (one module per family of methods)."""
