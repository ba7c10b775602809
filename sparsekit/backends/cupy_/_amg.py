"""Algebraic multigrid on the device: PyAMG's hierarchy, a V-cycle in the namespace.

cupyx has no AMG.  The hierarchy (aggregates, smoothed prolongators ``P``,
restrictions ``R`` and Galerkin coarse operators ``A``) is set up once on the
host by PyAMG's smoothed aggregation; the operators of every level are moved to
the device explicitly and the V-cycle runs there:

1. pre-smooth ``A x = b`` from ``x = 0`` (damped Jacobi or a Chebyshev
   polynomial in ``D⁻¹A``),
2. restrict the residual, ``b_c = R (b − A x)``, and recurse,
3. prolongate and correct, ``x ← x + P x_c``,
4. post-smooth with the same smoother.

On the coarsest level a dense (pseudo-)inverse, computed once on the host,
is applied by one matrix product.  Both smoothers are symmetric polynomials in
``D⁻¹A`` times ``D⁻¹``, so the V-cycle is a symmetric operator and can
precondition CG, MINRES and LOBPCG.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import scipy.sparse as sp

from ..._validate import check_choice, optional_import, positive_int
from ...errors import InputValueError
from ._namespace import Namespace, is_device, to_device, to_host

__all__ = ["DeviceAMG", "SMOOTHERS", "AMG_OPTIONS"]

log = logging.getLogger(__name__)

#: Smoothers of the device V-cycle.
SMOOTHERS = {
    "jacobi": "damped Jacobi, weight 4 / (3 λmax(D⁻¹A))",
    "chebyshev": "Chebyshev polynomial in D⁻¹A on [0.3 λmax, λmax] (λmax from Lanczos, ×1.1)",
}

#: Expert options of ``sk.solve``/``sk.eigsh`` (``backend="cupy"``), for :meth:`DeviceAMG.setup`.
AMG_OPTIONS = {
    "smoother": "the device AMG's smoother: 'chebyshev' (default) or 'jacobi'",
    "sweeps": "the device AMG smoother's degree (Chebyshev) or sweeps (Jacobi)",
}

# Chebyshev smooths D⁻¹A's spectrum on [0.3 λmax, λmax]: hypre's default eigenvalue ratio.
# Measured on 2-D Poisson 128², SA hierarchy, degree 2: CG iterations 7 (ratio 0.3),
# 9 (0.1), 14 (1/30, MueLu's default) against 8 for PyAMG's own preconditioner.
_CHEB_RATIO = 1.0 / 0.3


def _lanczos_lmax(ns: Namespace, A, dinv, steps: int = 10, seed: int = 0) -> float:
    """Largest eigenvalue of ``D⁻¹A`` from ``steps`` Lanczos steps on ``D^-½ A D^-½``."""
    xp = ns.xp
    n = A.shape[0]
    steps = max(1, min(steps, n))
    s = xp.sqrt(dinv)
    v = xp.random.RandomState(seed).standard_normal(n).astype(A.dtype)
    v /= xp.linalg.norm(v)
    V = xp.empty((steps, n), dtype=A.dtype)
    alphas, betas = [], []
    beta = 0.0
    v_prev = xp.zeros_like(v)
    for j in range(steps):
        V[j] = v
        w = s * (A @ (s * v))
        alpha = float(xp.real(xp.vdot(v, w)))
        w = w - alpha * v - beta * v_prev
        w = w - V[: j + 1].T @ (V[: j + 1].conj() @ w)  # full reorthogonalisation
        alphas.append(alpha)
        beta = float(xp.linalg.norm(w))
        if j == steps - 1 or beta <= 1e-12 * max(abs(alpha), 1e-300):
            break
        betas.append(beta)
        v_prev, v = v, w / beta
    off = betas[: len(alphas) - 1]
    T = np.diag(alphas) + np.diag(off, 1) + np.diag(off, -1)
    return float(np.linalg.eigvalsh(T).max())


class _Level:
    __slots__ = ("A", "P", "R", "dinv", "lmax")

    def __init__(self, A, P, R, dinv, lmax):
        self.A, self.P, self.R, self.dinv, self.lmax = A, P, R, dinv, lmax


class DeviceAMG:
    """A smoothed-aggregation AMG preconditioner whose V-cycle runs in a namespace.

    Build it with :meth:`setup` (PyAMG on the host, then a transfer) or
    :meth:`from_pyamg` (an existing ``pyamg.MultilevelSolver``).  ``solve(b)``
    applies one V-cycle from a zero initial guess (``b`` may be ``(n,)`` or
    ``(n, k)``); :meth:`aslinearoperator` wraps it as a ``LinearOperator`` of
    the namespace, the ``M=`` of CG/MINRES/LOBPCG.

    Parameters
    ----------
    ns : Namespace
        Where the V-cycle runs.
    levels : list
        Device operators per level (built by :meth:`from_pyamg`).
    coarse_inverse : array
        Dense (pseudo-)inverse of the coarsest operator, on the device.
    smoother : {"chebyshev", "jacobi"}
        Smoother of every level.
    sweeps : int
        Jacobi sweeps, or Chebyshev degree, before and after the coarse correction.
    host_setup_time, device_setup_time : float
        Seconds spent in PyAMG on the host, and in the transfers and λmax
        estimates.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> from sparsekit.backends.cupy_ import DeviceAMG, namespace
    >>> T = sp.diags_array([-1.0, 2.0, -1.0], offsets=[-1, 0, 1], shape=(32, 32))
    >>> A = sp.csr_array(sp.kronsum(T, T))
    >>> amg = DeviceAMG.setup(A, namespace("numpy"), max_coarse=50)
    >>> amg.n_levels >= 2, amg.solve(np.ones(1024)).shape
    (True, (1024,))
    """

    def __init__(self, ns: Namespace, levels, coarse_inverse, *, smoother: str = "chebyshev",
                 sweeps: int = 2, host_setup_time: float = 0.0, device_setup_time: float = 0.0,
                 operator_complexity: float = 1.0, notes: tuple[str, ...] = ()):
        self.ns = ns
        self.levels = list(levels)
        self.coarse_inverse = coarse_inverse
        self.smoother = check_choice(smoother, SMOOTHERS, "smoother")
        self.sweeps = positive_int(sweeps, "sweeps")
        self.host_setup_time = float(host_setup_time)
        self.device_setup_time = float(device_setup_time)
        self.operator_complexity = float(operator_complexity)
        self.notes = tuple(notes)
        self.shape = (self.levels[0].A.shape if self.levels else coarse_inverse.shape)
        self.dtype = coarse_inverse.dtype

    # --- construction -----------------------------------------------------------
    @classmethod
    def from_pyamg(cls, ml, ns: Namespace, *, smoother: str = "chebyshev", sweeps: int = 2,
                   host_setup_time: float = 0.0, notes=()) -> DeviceAMG:
        """Move a PyAMG hierarchy's ``A``, ``P``, ``R`` to the namespace and prepare smoothers."""
        check_choice(smoother, SMOOTHERS, "smoother")
        t0 = ns.clock()
        levels = []
        for lvl in ml.levels[:-1]:
            A = to_device(sp.csr_array(lvl.A), ns)
            P = to_device(sp.csr_array(lvl.P), ns)
            R = to_device(sp.csr_array(lvl.R), ns)
            d = A.diagonal()
            if bool((d == 0).any()):
                raise InputValueError(
                    "a level of the AMG hierarchy has a zero diagonal entry, so neither "
                    "Jacobi nor Chebyshev smoothing is defined; use precond='none' or a "
                    "matrix with a nonzero diagonal"
                )
            dinv = 1.0 / d
            lmax = 1.1 * _lanczos_lmax(ns, A, dinv.real if dinv.dtype.kind == "c" else dinv)
            levels.append(_Level(A, P, R, dinv, lmax))
        Ac = ml.levels[-1].A
        Ac = Ac.toarray() if sp.issparse(Ac) else np.asarray(Ac)
        coarse = ns.xp.asarray(to_device(np.linalg.pinv(Ac), ns))
        nnz = [lvl.A.nnz for lvl in ml.levels]
        oc = float(np.sum(nnz) / nnz[0]) if nnz[0] else 1.0
        t1 = ns.clock()
        moved = "moved to the device" if ns.on_device else "kept on the host (numpy substitute)"
        notes = tuple(notes) + (
            f"AMG hierarchy set up on the host by PyAMG (smoothed aggregation, "
            f"{len(ml.levels)} level(s), operator complexity {oc:.2f}); A, P, R of every "
            f"level {moved}; V-cycle with {smoother} smoothing runs in {ns.name}",
        )
        return cls(ns, levels, coarse, smoother=smoother, sweeps=sweeps,
                   host_setup_time=host_setup_time, device_setup_time=t1 - t0,
                   operator_complexity=oc, notes=notes)

    @classmethod
    def setup(cls, A, ns: Namespace, *, B=None, smoother: str = "chebyshev", sweeps: int = 2,
              max_coarse: int = 500, **options) -> DeviceAMG:
        """Set up smoothed aggregation with PyAMG on the host and move it to ``ns``.

        Parameters
        ----------
        A : sparse matrix (host or device)
            Symmetric (positive semi-)definite.  A device matrix is copied to the
            host explicitly for PyAMG (said in :attr:`notes`).
        ns : Namespace
            Where the V-cycle will run.
        B : array, optional
            Near-null-space vectors (host or device), PyAMG's ``B``.
        smoother : {"chebyshev", "jacobi"}, default="chebyshev"
            Smoother of every level.
        sweeps : int, default=2
            Jacobi sweeps, or Chebyshev degree, on each side of the coarse correction.
        max_coarse : int, default=500
            Largest coarsest level (solved by a dense inverse on the device).
        **options
            Passed to ``pyamg.smoothed_aggregation_solver``.
        """
        pyamg = optional_import("pyamg", None, "the AMG preconditioner")
        notes = []
        if is_device(A):
            notes.append("A copied device→host for the PyAMG setup")
            A = to_host(A)
        A = sp.csr_matrix(A)
        if B is not None:
            B = np.asarray(to_host(B))
            B = B.reshape(-1, 1) if B.ndim == 1 else B
        t0 = time.perf_counter()
        ml = pyamg.smoothed_aggregation_solver(A, B=B, max_coarse=max_coarse, **options)
        host = time.perf_counter() - t0
        log.debug("PyAMG setup %.3fs: %s", host, ml)
        return cls.from_pyamg(ml, ns, smoother=smoother, sweeps=sweeps,
                              host_setup_time=host, notes=notes)

    # --- application ------------------------------------------------------------
    @property
    def n_levels(self) -> int:
        """Number of levels, the coarsest included."""
        return len(self.levels) + 1

    @property
    def nbytes(self) -> int:
        """Bytes held on the device by the hierarchy."""
        total = int(self.coarse_inverse.nbytes)
        for lvl in self.levels:
            for M in (lvl.A, lvl.P, lvl.R):
                total += int(M.data.nbytes + M.indices.nbytes + M.indptr.nbytes)
            total += int(lvl.dinv.nbytes)
        return total

    def _smooth(self, lvl: _Level, b, x):
        """Smooth ``A x = b``; ``x=None`` means a zero initial guess."""
        dinv = lvl.dinv if b.ndim == 1 else lvl.dinv[:, None]
        A = lvl.A
        if self.smoother == "jacobi":
            omega = 4.0 / (3.0 * lvl.lmax)
            for _ in range(self.sweeps):
                x = omega * (dinv * b) if x is None else x + omega * (dinv * (b - A @ x))
            return x
        # Chebyshev iteration (Saad, Iterative Methods, Alg. 12.1) preconditioned by D⁻¹.
        upper, lower = lvl.lmax, lvl.lmax / _CHEB_RATIO
        theta, delta = 0.5 * (upper + lower), 0.5 * (upper - lower)
        sigma = theta / delta
        rho = 1.0 / sigma
        r = dinv * (b if x is None else b - A @ x)
        d = r / theta
        x = d if x is None else x + d
        for _ in range(self.sweeps - 1):
            r = r - dinv * (A @ d)
            rho_new = 1.0 / (2.0 * sigma - rho)
            d = (rho_new * rho) * d + (2.0 * rho_new / delta) * r
            rho = rho_new
            x = x + d
        return x

    def _vcycle(self, i: int, b):
        if i == len(self.levels):
            return self.coarse_inverse @ b
        lvl = self.levels[i]
        x = self._smooth(lvl, b, None)
        xc = self._vcycle(i + 1, lvl.R @ (b - lvl.A @ x))
        x = x + lvl.P @ xc
        return self._smooth(lvl, b, x)

    def solve(self, b):
        """Apply one V-cycle to ``b`` (``(n,)`` or ``(n, k)``) from a zero initial guess."""
        b = self.ns.xp.asarray(b)
        if b.ndim == 2 and b.shape[1] == 1:
            return self._vcycle(0, b[:, 0])[:, None]
        return self._vcycle(0, b)

    def aslinearoperator(self):
        """The V-cycle as a symmetric ``LinearOperator`` of the namespace."""
        return self.ns.operator(self.shape, self.solve, self.dtype, matmat=self.solve)

    def __repr__(self) -> str:
        sizes = [lvl.A.shape[0] for lvl in self.levels] + [self.coarse_inverse.shape[0]]
        return (
            f"DeviceAMG({self.ns.backend}: {self.n_levels} levels {sizes}, operator complexity "
            f"{self.operator_complexity:.2f}, smoother={self.smoother!r} x{self.sweeps}, "
            f"setup host {self.host_setup_time:.3g}s + device {self.device_setup_time:.3g}s)"
        )
