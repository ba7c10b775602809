"""Reading and writing matrices (Matrix Market, ``.npz``, PETSc binary), edge lists and tokens.

* :func:`read`, :func:`read_coo`, :func:`info` and :func:`write`: Matrix
  Market files (``.mtx``, ``.mtx.gz``), ``.npz`` and PETSc's binary format
  (``.petsc``, read and written without petsc4py); ``read(path, comm=...)``
  gives each MPI rank only its rows (:class:`RowBlock`).
* :func:`read_edges`: an edge list (CSV/TSV/whitespace; source, target,
  optional weight) as arrays :func:`sparsekit.adjacency` takes.
* :func:`read_tokens`: a text file of tokens as the ids
  :func:`sparsekit.cooccurrence` takes.
* :func:`atomic_path`: a temporary path renamed over the destination only
  when the writing succeeded.

Parsing is fast_matrix_market's, called directly (``scipy.io.mmread`` wraps
the same parser; median of 7 here: bcsstk33 16 ms against 25 ms, bcsstk13
6.5 ms both, luxembourg_osm 9.6 ms against 8.0 ms).

Files are untrusted input (``docs/refusals.md``).  Matrix Market files pass
the front guard of :mod:`sparsekit._guards` before fmm parses them, so no
file crashes the process and every rejection is a
:class:`~sparsekit.MatrixMarketError` naming the file and the line.  An
``.npz`` has each member's ``.npy`` header read before its data (numbers only,
no more bytes than the member holds or memory has), and its index arrays pass
the input gate of :mod:`sparsekit._validate` before SciPy sees them.  A
malformed edge list or token file is an :class:`~sparsekit.InputValueError`
naming the file.  Writes are checked before the first byte, go through a
checked file object into a temporary file beside the destination, are
``fsync``'d and renamed into place: a failed write raises and leaves the old
file intact, with no temporary file behind.
"""

from .._guards import atomic_path, new_file_mode
from .._rowread import RowBlock
from ._matrices import MatrixInfo, info, read, read_coo, write
from ._text import read_edges, read_tokens

__all__ = ["read", "read_coo", "write", "info", "MatrixInfo", "RowBlock", "read_edges",
           "read_tokens", "atomic_path", "new_file_mode"]
