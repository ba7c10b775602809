"""The array-module namespace the GPU backend is written against, and explicit transfers.

Every function of the backend resolves one :class:`Namespace` per call and
does all its arithmetic through it: ``(cupy, cupyx.scipy.sparse,
cupyx.scipy.sparse.linalg)`` on a GPU, or ``(numpy, scipy.sparse,
scipy.sparse.linalg)`` substituted, so the same code runs (and is tested) on
machines without a GPU.  CuPy is imported here and nowhere else in sparsekit.

Nothing moves between host and device behind the caller's back: arrays cross
only through :func:`to_device` and :func:`to_host`, and the solvers list every
crossing in ``result.notes``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..._validate import check_choice, optional_import
from ..._validate import is_device as _is_device
from ...errors import BackendError

__all__ = [
    "Namespace",
    "namespace",
    "resolve",
    "NAMESPACES",
    "NAMESPACE_OPTIONS",
    "is_device",
    "to_device",
    "to_host",
]

#: Names accepted by :func:`namespace` (``xp_name=``).
NAMESPACES = {
    "cupy": "cupy, cupyx.scipy.sparse and cupyx.scipy.sparse.linalg on an NVIDIA GPU",
    "numpy": "numpy, scipy.sparse and scipy.sparse.linalg substituted (CPU; tests)",
}

#: The expert option of ``sk.solve``/``sk.eigsh`` (``backend="cupy"``) that picks the namespace.
NAMESPACE_OPTIONS = {
    "xp_name": "the namespace: 'cupy' (default) or 'numpy' (the same code on the CPU)",
}


@dataclass(frozen=True, eq=False)
class Namespace:
    """The modules one call of the GPU backend computes with.

    Attributes
    ----------
    xp : module
        ``cupy`` or ``numpy``.
    xsp : module
        ``cupyx.scipy.sparse`` or ``scipy.sparse``.
    xspla : module
        ``cupyx.scipy.sparse.linalg`` or ``scipy.sparse.linalg``.
    name : str
        ``"cupy"`` or ``"numpy"``.

    Examples
    --------
    >>> from sparsekit.backends.cupy_ import namespace
    >>> ns = namespace("numpy")
    >>> ns.backend, ns.xp.__name__
    ('numpy-substitute', 'numpy')
    """

    xp: ModuleType
    xsp: ModuleType
    xspla: ModuleType
    name: str

    @property
    def on_device(self) -> bool:
        """True when the arrays live on a GPU."""
        return self.name == "cupy"

    @property
    def backend(self) -> str:
        """What ``result.backend`` says: ``"cupy"`` or ``"numpy-substitute"``."""
        return "cupy" if self.on_device else "numpy-substitute"

    def device_name(self) -> str:
        """The GPU's name, or ``"host (numpy substitute)"``."""
        if not self.on_device:
            return "host (numpy substitute)"
        props = self.xp.cuda.runtime.getDeviceProperties(self.xp.cuda.Device().id)
        name = props.get("name", b"?")
        return name.decode() if isinstance(name, bytes) else str(name)

    # --- time and synchronisation -------------------------------------------------
    def sync(self) -> None:
        """Wait for queued device work (a no-op on the host)."""
        if self.on_device:
            self.xp.cuda.Device().synchronize()

    def clock(self) -> float:
        """``time.perf_counter()`` after :meth:`sync`, so device work is counted."""
        self.sync()
        return time.perf_counter()

    # --- constructors that differ between scipy (sparse arrays) and cupyx ---------
    def coo(self, data, rows, cols, shape):
        """A COO sparse matrix of this namespace (duplicates kept until conversion)."""
        if self.on_device:
            return self.xsp.coo_matrix((data, (rows, cols)), shape=shape)
        return sp.coo_array((data, (rows, cols)), shape=shape)

    def csr(self, A):
        """``A`` (a sparse matrix of this namespace) as CSR with duplicates summed."""
        if self.on_device:
            C = A.tocsr() if self.xsp.issparse(A) else self.xsp.csr_matrix(A)
        else:
            C = sp.csr_array(A)
        C.sum_duplicates()
        return C

    def diags(self, d):
        """A sparse CSR matrix with diagonal ``d``.

        Built from COO triplets: ``cupyx.scipy.sparse.diags`` reads a single
        device array as a list of diagonals.
        """
        n = int(d.shape[0])
        i = self.xp.arange(n, dtype=self.xp.int64)
        return self.csr(self.coo(d, i, i, (n, n)))

    def identity(self, n: int, dtype=np.float64):
        """The sparse ``n × n`` identity."""
        if self.on_device:
            return self.xsp.identity(n, dtype=dtype, format="csr")
        return sp.eye_array(n, dtype=dtype, format="csr")

    def kron(self, A, B):
        """Sparse Kronecker product."""
        if self.on_device:
            return self.xsp.kron(A, B, format="csr")
        return sp.kron(A, B, format="csr")

    def asformat(self, A, format: str):
        """``A`` converted to ``"csr"``, ``"csc"`` or ``"coo"``."""
        return {"csr": A.tocsr, "csc": A.tocsc, "coo": A.tocoo}[format]()

    def issparse(self, A) -> bool:
        """Whether ``A`` is a sparse matrix of this namespace."""
        return bool(self.xsp.issparse(A))

    def operator(self, shape, matvec, dtype, matmat=None):
        """A symmetric ``LinearOperator`` of this namespace (``rmatvec = matvec``)."""
        return self.xspla.LinearOperator(shape, matvec=matvec, rmatvec=matvec,
                                         matmat=matmat, rmatmat=matmat, dtype=dtype)

    def asarray(self, x):
        """A dense array of this namespace (x must already live on its side)."""
        return self.xp.asarray(x)

    def scalar(self, x) -> float:
        """A device 0-d value as a host float (a one-number transfer)."""
        return float(x)


def _numpy_namespace() -> Namespace:
    return Namespace(np, sp, spla, "numpy")


def namespace(name: str = "cupy") -> Namespace:
    """Resolve the array-module namespace ``name`` (``"cupy"`` or ``"numpy"``).

    ``"cupy"`` imports cupy and cupyx here (nowhere else in sparsekit) and
    checks that it finds a CUDA device.

    Parameters
    ----------
    name : {"cupy", "numpy"}, default="cupy"
        Which modules to compute with; ``"numpy"`` substitutes numpy/scipy so
        the GPU code path runs on the CPU.

    Returns
    -------
    Namespace

    Raises
    ------
    MissingDependencyError
        cupy is not installed (names the ``gpu`` extra).
    BackendError
        cupy imports but no CUDA device (or driver) is usable.
    UnknownMethodError
        ``name`` is neither ``"cupy"`` nor ``"numpy"``.

    Examples
    --------
    >>> from sparsekit.backends.cupy_ import namespace
    >>> namespace("numpy").xsp.__name__
    'scipy.sparse'
    """
    check_choice(name, NAMESPACES, "xp_name")
    if name == "numpy":
        return _numpy_namespace()
    cupy = optional_import("cupy", "gpu", "the GPU backend (backend='cupy')",
                           "needs an NVIDIA GPU with a CUDA driver")
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # noqa: BLE001 - cupy raises CUDARuntimeError and others
        raise BackendError(
            f"cupy {cupy.__version__} is installed but found no usable CUDA device "
            f"({type(exc).__name__}: {exc}); run on a machine with an NVIDIA GPU and "
            "driver, or use backend='scipy'"
        ) from exc
    if count < 1:
        raise BackendError(
            f"cupy {cupy.__version__} is installed but reports 0 CUDA devices; run on a "
            "machine with an NVIDIA GPU, or use backend='scipy'"
        )
    xsp = optional_import("cupyx.scipy.sparse", "gpu", "the GPU backend")
    xspla = optional_import("cupyx.scipy.sparse.linalg", "gpu", "the GPU backend")
    return Namespace(cupy, xsp, xspla, "cupy")


def is_device(obj: Any) -> bool:
    """Whether ``obj`` is a cupy array or a cupyx sparse matrix (without importing cupy).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.backends.cupy_ import is_device
    >>> is_device(np.ones(3))
    False
    """
    return _is_device(obj)


def resolve(xp_name: str | None, *objs) -> Namespace:
    """The namespace of one call: ``xp_name`` if given, else ``"cupy"``.

    A cupy input with ``xp_name="numpy"`` is refused: it would need an
    implicit device-to-host copy.
    """
    ns = namespace("cupy" if xp_name is None else xp_name)
    if not ns.on_device:
        for obj in objs:
            if is_device(obj):
                raise BackendError(
                    f"got a device object ({type(obj).__name__}) with xp_name='numpy'; "
                    "move it to the host first with sparsekit.backends.cupy_.to_host"
                )
    return ns


def to_device(obj, ns: Namespace | str = "cupy"):
    """Copy a host array or sparse matrix to the namespace's side (explicit transfer).

    Host ndarrays become cupy arrays and scipy sparse matrices become cupyx
    CSR/CSC/COO matrices (floating-point data; integers become float64).  With
    the numpy namespace it returns numpy arrays and scipy sparse arrays.
    Device objects pass through unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.backends.cupy_ import to_device
    >>> to_device(np.arange(3.0), "numpy")
    array([0., 1., 2.])
    """
    ns = namespace(ns) if isinstance(ns, str) else ns
    if obj is None or (ns.on_device and is_device(obj)):
        return obj
    if not ns.on_device:
        if is_device(obj):
            raise BackendError("to_device with the numpy namespace got a device object; "
                               "use to_host")
        if sp.issparse(obj):
            fmt = obj.format if obj.format in ("csr", "csc", "coo") else "csr"
            out = {"csr": sp.csr_array, "csc": sp.csc_array, "coo": sp.coo_array}[fmt](obj)
            return out.astype(np.float64) if out.dtype.kind in "biu" else out
        return np.asarray(obj)
    if sp.issparse(obj):
        fmt = obj.format if obj.format in ("csr", "csc", "coo") else "csr"
        host = {"csr": sp.csr_matrix, "csc": sp.csc_matrix, "coo": sp.coo_matrix}[fmt](obj)
        if host.dtype.kind in "biu":
            host = host.astype(np.float64)
        cls = {"csr": ns.xsp.csr_matrix, "csc": ns.xsp.csc_matrix, "coo": ns.xsp.coo_matrix}
        return cls[fmt](host)
    return ns.xp.asarray(obj)


def to_host(obj):
    """Copy a device array or sparse matrix to the host (explicit transfer).

    cupy arrays become numpy arrays and cupyx sparse matrices become scipy
    sparse arrays of the same format; host objects pass through unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsekit.backends.cupy_ import to_host
    >>> to_host(np.ones(2))
    array([1., 1.])
    """
    if obj is None or not is_device(obj):
        return obj
    host = obj.get()
    if sp.issparse(host):
        fmt = host.format if host.format in ("csr", "csc", "coo") else "csr"
        return {"csr": sp.csr_array, "csc": sp.csc_array, "coo": sp.coo_array}[fmt](host)
    return host
