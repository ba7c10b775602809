"""Errors and warnings raised by sparsekit.

Every error derives from :class:`SparsekitError` *and* from the builtin a
caller would naturally catch (``ValueError``, ``ImportError``, ...), so both
``except sk.SparsekitError`` and ``except ValueError`` work.  Messages name
the argument, show what was received and say what to do.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import os


__all__ = [
    "SparsekitError",
    "ShapeError",
    "NotSquareError",
    "InputValueError",
    "NotSymmetricError",
    "NotSPDError",
    "SingularMatrixError",
    "InconsistentSystemError",
    "DisconnectedGraphError",
    "MatrixMarketError",
    "MissingDependencyError",
    "UnknownMethodError",
    "DenseTooLargeError",
    "InsufficientMemoryError",
    "BackendError",
    "DataNotFoundError",
    "NoConvergence",
    "ConvergenceWarning",
    "IllConditionedWarning",
    "report_nonconvergence",
]


class SparsekitError(Exception):
    """Base class of every error sparsekit raises."""


class ShapeError(SparsekitError, ValueError):
    """An array or matrix has the wrong shape (``A`` and ``b`` disagree, ...)."""


class NotSquareError(ShapeError):
    """A square matrix was needed and a rectangular one was given."""


class InputValueError(SparsekitError, ValueError):
    """An input holds values that cannot be used (NaN, Inf, negative weights...)."""


class NotSymmetricError(SparsekitError, ValueError):
    """A symmetric (Hermitian) matrix was needed."""


class NotSPDError(SparsekitError, ValueError):
    """A symmetric positive definite matrix was needed."""


class SingularMatrixError(SparsekitError, ValueError):
    """A factorization met an exactly singular matrix (or shift ``sigma``)."""


class InconsistentSystemError(SparsekitError, ValueError):
    """A singular system ``A x = b`` whose ``b`` is not in the range of ``A``."""


class DisconnectedGraphError(SparsekitError, ValueError):
    """A connected graph was needed; carries ``n_components``."""

    def __init__(self, message: str, n_components: int | None = None) -> None:
        super().__init__(message)
        self.n_components = n_components


class MatrixMarketError(SparsekitError, ValueError):
    """A malformed Matrix Market file; carries ``path`` and ``line`` (1-based)."""

    def __init__(self, message: str, path: str | os.PathLike | None = None,
                 line: int | None = None) -> None:
        where = ""
        if path is not None:
            where = f"{path}"
            if line is not None:
                where += f", line {line}"
            where += ": "
        super().__init__(where + message)
        self.path = path
        self.line = line


class MissingDependencyError(SparsekitError, ImportError):
    """A package is missing; the message names the extra to install (None: a core one)."""

    def __init__(self, package: str, extra: str | None, purpose: str = "",
                 hint: str = "") -> None:
        what = f" for {purpose}" if purpose else ""
        how = (f"pip install 'sparsekit[{extra}]'" if extra else
               f"pip install {package} (a dependency of sparsekit itself: the installation "
               "is incomplete)")
        msg = f"{package} is needed{what} but is not installed; install it with: {how}"
        if hint:
            msg += f" ({hint})"
        super().__init__(msg)
        self.package = package
        self.extra = extra


class UnknownMethodError(SparsekitError, ValueError):
    """A ``method=``/``precond=``/``backend=`` string not in its registry."""


class DenseTooLargeError(SparsekitError, MemoryError):
    """The dense path would need more memory than the allowed limit."""


class InsufficientMemoryError(SparsekitError, MemoryError):
    """An allocation would need more memory than the machine has available.

    Raised *before* allocating, by the memory preflight of the readers
    (a header or ``.npz`` member claiming a huge size), the builders and the
    command line (exit 2): the message says "would need X GiB, Y GiB
    available".  Carries ``needed`` and ``available`` (bytes; ``available``
    is what :func:`sparsekit._validate.available_memory` read: free RAM and
    swap, capped by a cgroup memory limit).  Distinct from
    :class:`DenseTooLargeError`, which enforces the caller's own ``max_bytes``
    limit on the dense path.
    """

    def __init__(self, message: str, needed: int | None = None,
                 available: int | None = None) -> None:
        super().__init__(message)
        self.needed = needed
        self.available = available


class BackendError(SparsekitError, RuntimeError):
    """A backend (GPU, PETSc) failed or rejected an option."""


class NoConvergence(SparsekitError, RuntimeError):
    """Raised with ``strict=True`` when a solver did not converge.

    The partial result (a ``SolveResult`` or ``EigenResult``) is in ``result``.
    """

    def __init__(self, message: str, result: Any = None) -> None:
        super().__init__(message)
        self.result = result


class ConvergenceWarning(UserWarning):
    """A solver stopped before reaching its tolerance (``converged=False``)."""


class IllConditionedWarning(UserWarning):
    """A matrix is too ill-conditioned for the working precision."""


class DataNotFoundError(SparsekitError, FileNotFoundError):
    """A file or a named dataset could not be found."""


def report_nonconvergence(message: str, result: Any, strict: bool, stacklevel: int = 3) -> None:
    """The non-convergence policy, in one place.

    ``strict=True`` raises :class:`NoConvergence` carrying the partial result;
    otherwise a :class:`ConvergenceWarning` points at the caller of the public
    function (``stacklevel`` counts this helper).
    """
    if strict:
        raise NoConvergence(message, result)
    warnings.warn(message, ConvergenceWarning, stacklevel=stacklevel)
