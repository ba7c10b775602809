"""Edge lists and token files, in the forms sparsekit.adjacency and cooccurrence take.

A malformed file is an :class:`~sparsekit.InputValueError` naming the file.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputValueError
from ._matrices import _existing

if TYPE_CHECKING:
    import os


__all__ = ["read_edges", "read_tokens"]

_COMMENTS = ("#", "%")


def _delimiter(path: Path, first: str) -> str | None:
    name = path.name.lower()
    if name.endswith(".csv") or ("," in first and "\t" not in first):
        return ","
    if name.endswith(".tsv") or "\t" in first:
        return "\t"
    return None  # any whitespace


def _sniff(path: Path, count: int = 2):
    """The first ``count`` data lines (1-based line number, text), skipping comments."""
    found = []
    try:
        with open(path, encoding="utf-8") as fh:
            for number, line in enumerate(fh, start=1):
                if line.strip() and not line.lstrip().startswith(_COMMENTS):
                    found.append((number, line.rstrip("\n")))
                    if len(found) == count:
                        break
    except UnicodeDecodeError:
        raise InputValueError(f"{str(path)!r} is not a text edge list") from None
    return found


def _split(line: str, delim: str | None) -> list[str]:
    return [f.strip() for f in (line.split(delim) if delim else line.split())]


def _first_non_numeric(col: np.ndarray) -> int:
    """Index of the first string that is not a number (error path only)."""
    for i, v in enumerate(col.tolist()):
        try:
            float(v)
        except ValueError:
            return i
    return 0  # pragma: no cover


def _looks_like_header(rows) -> bool:
    if len(rows) < 2 or min(len(rows[0]), len(rows[1])) < 2:
        return False

    def numeric(s):
        try:
            float(s)
            return True
        except ValueError:
            return False

    first, second = rows[0], rows[1]
    if len(first) == 3 and len(second) == 3 and not numeric(first[2]) and numeric(second[2]):
        return True
    return (not numeric(first[0]) and not numeric(first[1])
            and numeric(second[0]) and numeric(second[1]))


def _edge_table(p: Path, header: bool | None, text: bool = False) -> np.ndarray:
    """The edge list's columns: floats if all parse (and not ``text``), else strings."""
    head = _sniff(p)
    if not head:
        raise InputValueError(f"{str(p)!r} holds no edges")
    delim = _delimiter(p, head[0][1])
    fields = [_split(line, delim) for _, line in head]
    if header is None:
        header = _looks_like_header(fields)
    skip = head[0][0] if header else 0
    if header and len(head) < 2:
        raise InputValueError(f"{str(p)!r} holds a header and no edges")
    kwargs: dict[str, Any] = {"delimiter": delim, "comments": list(_COMMENTS), "skiprows": skip,
                              "ndmin": 2}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # numpy's note on blank lines
            try:
                table = np.loadtxt(p, dtype=str if text else np.float64, **kwargs)
            except ValueError:
                table = np.loadtxt(p, dtype=str, **kwargs)
    except ValueError as exc:
        raise InputValueError(f"{str(p)!r}: not an edge list ({exc})") from None
    if table.shape[0] == 0:
        raise InputValueError(f"{str(p)!r} holds no edges")
    if table.shape[1] not in (2, 3):
        raise InputValueError(
            f"{str(p)!r}: expected 2 or 3 columns (source, target, optional weight), "
            f"got {table.shape[1]}")
    return table


def read_edges(path: str | os.PathLike, *, header: bool | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    r"""Read an edge list: one edge per line, ``source, target[, weight]``.

    Fields are separated by commas (``.csv``, or a first line with commas),
    tabs (``.tsv``, or a first line with tabs) or any whitespace.  Lines
    starting with ``#`` or ``%`` are comments.  Parsing is numpy's
    (``loadtxt``), not a Python loop over the edges.

    Parameters
    ----------
    path : str or path-like
        The text file.
    header : bool, optional
        Whether the first data line is a header.  Default: guessed -- a first
        line whose weight (or both ends) is not numeric while the next line's
        are is taken as a header.

    Returns
    -------
    rows, cols : ndarray of int
        The two ends of each edge.  Node ids that are all non-negative
        integers are used as they are (``n = max id + 1``); any other names
        are numbered in sorted order.
    weights : ndarray of float64 or None
        The third column, if there is one.
    labels : ndarray of str or None
        The node names in sorted order (node ``i`` is ``labels[i]``) when the
        ids are not integers, else None.

    Raises
    ------
    DataNotFoundError
        No such file.
    InputValueError
        Not a text file, no edges, not 2 or 3 columns, or a weight that is
        not a number; the message names the file (and the edge).

    See Also
    --------
    sparsekit.adjacency : takes ``(rows, cols[, weights])`` with ``n=``.
    networkx.read_edgelist

    Examples
    --------
    >>> import os, tempfile
    >>> import sparsekit as sk
    >>> p = os.path.join(tempfile.mkdtemp(), "edges.csv")
    >>> with open(p, "w") as f:
    ...     _ = f.write("source,target,weight\nann,bob,2.0\nbob,cy,0.5\n")
    >>> rows, cols, weights, labels = sk.io.read_edges(p)
    >>> rows.tolist(), cols.tolist(), weights.tolist(), labels.tolist()
    ([0, 1], [1, 2], [2.0, 0.5], ['ann', 'bob', 'cy'])
    >>> sk.adjacency((rows, cols, weights), n=len(labels)).toarray()
    array([[0. , 2. , 0. ],
           [2. , 0. , 0.5],
           [0. , 0.5, 0. ]])
    """
    p = _existing(path)
    table = _edge_table(p, header)
    weights = None
    if table.shape[1] == 3:
        try:
            weights = table[:, 2].astype(np.float64)
        except ValueError:
            bad = _first_non_numeric(table[:, 2])
            raise InputValueError(
                f"{str(p)!r}, edge {bad + 1}: weight {str(table[bad, 2])!r} is not a "
                "number") from None
    ends = table[:, :2]
    labels = None
    if ends.dtype.kind == "f":
        integral = bool(np.all(ends == np.round(ends)) and np.all(ends >= 0)
                        and np.all(ends < 2**53))
    else:  # ids past int64 are names
        integral = bool(np.char.isdigit(ends).all() and (np.char.str_len(ends) <= 18).all())
    if integral:
        ids = ends.astype(np.int64)
        rows, cols = ids[:, 0], ids[:, 1]
    else:  # names: as the file spells them, not as floats print
        ends = ends if ends.dtype.kind != "f" else _edge_table(p, header, text=True)[:, :2]
        labels, inverse = np.unique(ends.astype(str).ravel(), return_inverse=True)
        inverse = inverse.reshape(-1, 2)
        rows, cols = inverse[:, 0], inverse[:, 1]
    return rows, cols, weights, labels


def read_tokens(path: str | os.PathLike
                ) -> tuple[np.ndarray | list[np.ndarray], np.ndarray | None]:
    r"""Read a token file: whitespace-separated tokens, blank lines between documents.

    Parameters
    ----------
    path : str or path-like
        The text file.

    Returns
    -------
    ids : ndarray of int64, or list of them
        When every token is a non-negative integer, the tokens themselves;
        otherwise the words numbered in sorted order.  With more than one
        document (blank lines separate them), a list of arrays, one per
        document, so that co-occurrence windows do not cross documents.
    vocabulary : ndarray of str or None
        The words in sorted order (id ``i`` is ``vocabulary[i]``), or None for
        integer tokens.

    Raises
    ------
    DataNotFoundError
        No such file.
    InputValueError
        Not a UTF-8 text file, or no tokens.

    See Also
    --------
    sparsekit.cooccurrence : takes ``ids`` (with ``vocab_size=len(vocabulary)``).

    Examples
    --------
    >>> import os, tempfile
    >>> import sparsekit as sk
    >>> p = os.path.join(tempfile.mkdtemp(), "corpus.txt")
    >>> with open(p, "w") as f:
    ...     _ = f.write("the cat sat\n\nthe dog")
    >>> ids, vocab = sk.io.read_tokens(p)
    >>> [d.tolist() for d in ids], vocab.tolist()
    ([[3, 0, 2], [3, 1]], ['cat', 'dog', 'sat', 'the'])
    >>> sk.cooccurrence(ids, window=1, vocab_size=len(vocab)).nnz
    6
    """
    p = _existing(path)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputValueError(f"{str(p)!r} is not a text token file") from None
    docs = [d.split() for d in re.split(r"\n[ \t\r]*\n", text)]
    lengths = np.array([len(d) for d in docs], dtype=np.int64)
    words = np.array(text.split(), dtype=str)
    if words.size == 0:
        raise InputValueError(f"{str(p)!r} holds no tokens")
    if np.char.isdigit(words).all() and (np.char.str_len(words) <= 18).all():
        ids, vocab = words.astype(np.int64), None
    else:
        vocab, ids = np.unique(words, return_inverse=True)
    lengths = lengths[lengths > 0]
    if lengths.size == 1:
        return ids, vocab
    return np.split(ids, np.cumsum(lengths)[:-1]), vocab



# --------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------

