"""PETSc's options database, its errors and its converged reasons, in sparsekit's words.

Expert options (``options={"ksp_gmres_restart": 100}``) go into PETSc's
global database under a private prefix per call (``sk7_ksp_gmres_restart``),
so that two solves never see each other's options, and are removed after the
call.  An option that no PETSc object queried would be ignored silently by
PETSc; here it raises :class:`~sparsekit.BackendError`.

:func:`_petsc_object` is the one life cycle of a KSP or an EPS: create it,
put the options in, let the caller configure it, ``setFromOptions`` and
``setUp``, translate PETSc's errors, and destroy it and clear the options
whatever happened.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from ...errors import BackendError, InputValueError

# Words for PETSc's converged reasons (KSPConvergedReason, EPSConvergedReason).
_REASON_WORDS = {
    "CONVERGED_RTOL": "the residual fell below rtol times the norm of b",
    "CONVERGED_ATOL": "the residual fell below atol",
    "CONVERGED_ITS": "the fixed number of iterations was done (direct solve)",
    "CONVERGED_HAPPY_BREAKDOWN": "the Krylov space holds the exact solution",
    "CONVERGED_TOL": "every requested eigenpair met the tolerance",
    "CONVERGED_USER": "a user test declared convergence",
    "DIVERGED_ITS": "the maximum number of iterations was reached",
    "DIVERGED_MAX_IT": "the maximum number of iterations was reached",
    "DIVERGED_DTOL": "the residual grew beyond the divergence tolerance",
    "DIVERGED_BREAKDOWN": "the method broke down (a division by zero in the recurrence)",
    "DIVERGED_BREAKDOWN_BICG": "BiCG broke down",
    "DIVERGED_NONSYMMETRIC": "the operator or preconditioner is not symmetric",
    "DIVERGED_INDEFINITE_PC": "the preconditioner is indefinite (CG needs an SPD one)",
    "DIVERGED_INDEFINITE_MAT": "the matrix is indefinite (CG needs an SPD matrix)",
    "DIVERGED_NANORINF": "a NaN or Inf appeared in the residual",
    "DIVERGED_PC_FAILED": "the preconditioner failed (a zero pivot, or a failed factorization)",
    "DIVERGED_NULL": "the solver could not start",
    "DIVERGED_SYMMETRY_LOST": "symmetry was lost in the Lanczos recurrence",
    "CONVERGED_ITERATING": "the solver was still iterating",
    "ITERATING": "the solver was still iterating",
}

_PREFIX_COUNT = [0]


def _new_prefix() -> str:
    _PREFIX_COUNT[0] += 1
    return f"sk{_PREFIX_COUNT[0]}_"


def _set_options(PETSc, prefix: str, options) -> list[str]:
    """Put ``options`` under ``prefix`` in PETSc's database; return the full names."""
    if options is None:
        return []
    if not isinstance(options, Mapping):
        raise InputValueError(
            f"options must be a dict of PETSc option names to values "
            f"(got {type(options).__name__}); e.g. {{'ksp_gmres_restart': 50}}"
        )
    for key in options:  # every name checked before any is set: nothing left behind
        if not isinstance(key, str) or not key.strip("-"):
            raise InputValueError(f"PETSc option names must be non-empty strings (got {key!r})")
    db = PETSc.Options()
    names = []
    for key, value in options.items():
        name = prefix + key.lstrip("-")
        if value is None or value is True:
            db.setValue(name, "")
        elif value is False:
            db.setValue(name, "0")
        else:
            db.setValue(name, str(value))
        names.append(name)
    return names


def _clear_options(PETSc, names) -> None:
    db = PETSc.Options()
    for name in names:
        if db.hasName(name):
            db.delValue(name)


def _unused_options(PETSc, names) -> list[str]:
    """The options of ``names`` that no PETSc object queried (PETSc would ignore them)."""
    if not names:
        return []
    used = _options_used_query(PETSc)
    return [name for name in names if not used(name)]


def _options_used_query(PETSc):
    """A function ``name -> bool`` for PETSc's ``PetscOptionsUsed``."""
    db = PETSc.Options()
    if hasattr(db, "used"):  # newer petsc4py
        return lambda name: bool(db.used(name))
    import ctypes

    lib = _libpetsc(PETSc)
    fn = lib.PetscOptionsUsed
    fn.restype = ctypes.c_int
    fn.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)]

    def used(name: str) -> bool:
        flag = ctypes.c_int(0)
        err = fn(None, name.encode(), ctypes.byref(flag))
        if err:
            raise BackendError(f"PetscOptionsUsed failed with error code {err} for -{name}")
        return bool(flag.value)

    return used


def _libpetsc(PETSc):
    """The PETSc shared library petsc4py is linked against (for PetscOptionsUsed)."""
    import ctypes

    path = PETSc.__file__
    try:
        # the extension module exports nothing itself; its dependencies are global
        return ctypes.CDLL(path)
    except OSError as exc:  # pragma: no cover - depends on the build
        raise BackendError(f"cannot load {path} to check PETSc options: {exc}") from exc


def _unused_error(lib: str, unused, prefix: str, what: str) -> BackendError:
    names = ", ".join("-" + name for name in _shown(unused, prefix))
    return BackendError(
        f"{lib} did not use option(s) {names} for {what}; check the spelling (see the "
        "KSP/PC/EPS/ST manual pages) or that the option applies to this method"
    )


def _petsc_error(exc, what: str, option_names=()) -> BackendError:
    """A BackendError for a PETSc error raised while doing ``what``."""
    code = getattr(exc, "ierr", None)
    lines = [ln.split("] ", 1)[-1].strip() for ln in str(exc).splitlines() if ln.strip()]
    detail = lines[-1] if lines else str(exc)
    opts = ""
    if option_names:
        opts = "; check the options passed: " + ", ".join("-" + o for o in option_names)
    return BackendError(f"PETSc failed while {what}: {detail} (PETSc error code {code}){opts}")


def _shown(names, prefix: str) -> list[str]:
    """Option names as the caller wrote them (without sparsekit's private prefix)."""
    return [name[len(prefix):] for name in names]


def _reason_words(enum_cls, code: int) -> str:
    names = {getattr(enum_cls, k): k for k in dir(enum_cls) if k.isupper()}
    name = names.get(code, f"UNKNOWN_{code}")
    words = _REASON_WORDS.get(name, name.lower().replace("_", " "))
    return f"{words} ({name})"


class _PetscObject:
    """A KSP or EPS inside :func:`_petsc_object`: the object, its prefix, what it is doing."""

    def __init__(self, obj, prefix: str, option_names: list[str], about: str):
        self.obj = obj
        self.prefix = prefix
        self.option_names = option_names
        #: What the object is, for messages (``"KSP cg with PC gamg"``); the caller may refine it.
        self.about = about
        self.doing = "setting up"

    def set_up(self) -> None:
        """Apply the options under this object's prefix (they override the caller's settings)."""
        self.obj.setOptionsPrefix(self.prefix)
        self.obj.setFromOptions()
        self.obj.setUp()
        self.doing = "solving with"


@contextmanager
def _petsc_object(PETSc, kind, options, lib: str, about: str) -> Iterator[_PetscObject]:
    """Create a PETSc object with ``options`` under a fresh prefix; destroy it on the way out.

    The caller configures ``handle.obj``, calls ``handle.set_up()`` and solves
    inside the ``with`` block.  A PETSc error becomes a
    :class:`~sparsekit.BackendError` that says whether setup or the solve
    failed (and lists the options passed); options the object never queried
    raise one after a successful block (``ksp_view`` and the like are only
    read by the solve, so unused options are judged at the end).

    Parameters
    ----------
    PETSc : module
        ``petsc4py.PETSc``.
    kind : class
        ``PETSc.KSP`` or ``SLEPc.EPS``, created on ``PETSC_COMM_WORLD``.
    options : dict or None
        The caller's options, without prefix.
    lib : str
        ``"PETSc"`` or ``"SLEPc"``, for messages.
    about : str
        What the object is, for messages (``handle.about`` may refine it).
    """
    prefix = _new_prefix()
    option_names = _set_options(PETSc, prefix, options)
    try:
        handle = _PetscObject(kind().create(comm=PETSc.COMM_WORLD), prefix, option_names, about)
    except BaseException:
        _clear_options(PETSc, option_names)
        raise
    unused = []
    try:
        yield handle
        unused = _unused_options(PETSc, option_names)
    except PETSc.Error as exc:
        raise _petsc_error(exc, f"{handle.doing} {handle.about}",
                           _shown(option_names, prefix)) from None
    finally:
        _clear_options(PETSc, option_names)
        handle.obj.destroy()
    if unused:
        raise _unused_error(lib, unused, prefix, handle.about)
