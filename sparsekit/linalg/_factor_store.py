"""A factorization as arrays: what rebuilds it after pickling, and its file.

SciPy's ``SuperLU`` objects and QDLDL's solver can be neither pickled nor
rebuilt from their factors.  So a :class:`~sparsekit.linalg.factor.Factorization`
travels as its factors and permutations (arrays only) and comes back solving
with triangular solves (:func:`scipy.sparse.linalg.spsolve_triangular`, which
calls SuperLU's own triangular kernel): :class:`TriangularLU` for SuperLU's
``Pr A Pc = L U``, :class:`TriangularLDL` for QDLDL's ``P A Pᵀ = L D Lᵀ``.
Dense LAPACK factors are arrays already.

Measured here (one BLAS thread, best of 7, the shared 2-core machine), one
solve with the rebuilt factors against the engine's own: 2-D Poisson 256²
(SuperLU, Cholesky kind) 30 ms against 9.8 ms; a nonsymmetric
convection-diffusion 256² (SuperLU LU) 66 ms against 17 ms; a 10⁵-node tree
(QDLDL) 10 ms against 0.9 ms (``spsolve_triangular`` copies the factor and
rewrites its diagonal on every call, which keeps concurrent solves safe); 20
right-hand sides at once 1.9x to 2.4x.  Nothing is factorized again (rebuilding a ``SuperLU`` by
factorizing the triangular factors with the natural ordering solves within
1.4x, but costs 40-55 % of the original factorization in every process that
unpickles it, and is slower than this on the tree).

The file (:func:`write`, :func:`read`) is an uncompressed ``.npz`` read back
with ``allow_pickle=False``: arrays and strings only, so loading it cannot run
code.  It carries a format name and version, the fingerprint of the matrix
it was made for, and a BLAKE2b checksum of every other array (names, dtypes,
shapes and bytes); the zip's own CRC catches a damaged member.  A loaded file
is then checked for structure before any compiled kernel sees its arrays
(index bounds and monotone pointers, triangular factors, permutations that
are permutations), and the caller checks its fingerprint and one solve.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.sparse.csgraph import connected_components

from ..errors import DataNotFoundError, InputValueError

__all__ = ["TriangularLU", "TriangularLDL", "dense_cho_solve", "dense_lu_solve",
           "factor_arrays", "rebuild", "write", "read", "check_meta", "check_arrays",
           "check_probe", "slogdet", "FORMAT", "VERSION"]

FORMAT = "sparsekit.Factorization"
VERSION = 1

#: Arrays each engine's file holds (besides the metadata).
_ENGINE_ARRAYS = {
    ("superlu", None): ("L_data", "L_indices", "L_indptr", "U_data", "U_indices", "U_indptr",
                        "perm_r", "perm_c"),
    ("qdldl", None): ("L_data", "L_indices", "L_indptr", "D", "perm"),
    ("lapack", "cholesky"): ("c",),
    ("lapack", "lu"): ("lu", "piv"),
}


def _canonical_csc(M) -> sp.csc_array:
    M = sp.csc_array(M)
    if not M.has_canonical_format:
        M = M.copy()
        M.sum_duplicates()
    return M


def _tri(T, b, lower: bool):
    return spla.spsolve_triangular(T, b, lower=lower, unit_diagonal=True)


class TriangularLU:
    """``Pr A Pc = L U`` (SuperLU's factors) solved by two triangular solves.

    ``U`` is held as ``Ũ = U D⁻¹`` with a unit diagonal and ``D = diag(U)``,
    so that every solve is a unit-triangular one (no per-solve rescaling).
    """

    def __init__(self, L, U, perm_r, perm_c):
        self.L = _canonical_csc(L)
        self.d = np.asarray(U.diagonal())
        self.Ut = _canonical_csc(sp.csc_array(U) @ sp.diags_array(1.0 / self.d))
        self.perm_r = np.asarray(perm_r)
        self.perm_c = np.asarray(perm_c)
        self.nnz = self.L.nnz + self.Ut.nnz - self.d.size

    @property
    def U(self):  # noqa: N802 - the factor's name
        """The upper factor ``U = Ũ D``."""
        return sp.csc_array(self.Ut @ sp.diags_array(self.d))

    def solve(self, b, trans: str = "N"):
        """Solve with ``A`` (``"N"``), ``Aᵀ`` (``"T"``) or ``Aᴴ`` (``"H"``)."""
        d = self.d if b.ndim == 1 else self.d[:, None]
        if trans == "N":
            y = np.empty_like(b)
            y[self.perm_r] = b
            w = _tri(self.Ut, _tri(self.L, y, True), False) / d
            return w[self.perm_c]
        conj = np.conj if trans == "H" else (lambda M: M)
        w = np.empty_like(b)
        w[self.perm_c] = b
        Ut = self.Ut.conj().T if trans == "H" else self.Ut.T
        L = self.L.conj().T if trans == "H" else self.L.T
        v = _tri(L, _tri(Ut, w / conj(d), True), False)
        return v[self.perm_r]


class TriangularLDL:
    """``P A Pᵀ = L D Lᵀ`` (QDLDL's factors, ``L`` unit lower) solved by triangular solves."""

    def __init__(self, L, D, perm):
        self.L = _canonical_csc(L)
        self.D = np.asarray(D)
        self.perm = np.asarray(perm)
        self.nnz = self.L.nnz

    def solve(self, b, trans: str = "N"):
        """Solve with ``A`` (symmetric: ``trans`` is moot)."""
        D = self.D if b.ndim == 1 else self.D[:, None]
        z = _tri(self.L, b[self.perm], True) / D
        x = np.empty_like(z)
        x[self.perm] = _tri(self.L.T, z, False)
        return x


def dense_cho_solve(factors, b, trans):
    """Solve with LAPACK's Cholesky factors (``A`` Hermitian: ``Aᵀ x = b`` is ``conj(A) x = b``)."""
    if trans == "T":
        return np.conj(sla.cho_solve(factors, np.conj(b), check_finite=False))
    return sla.cho_solve(factors, b, check_finite=False)


def dense_lu_solve(factors, b, trans):
    """Solve with LAPACK's LU factors."""
    return sla.lu_solve(factors, b, trans={"N": 0, "T": 1, "H": 2}[trans], check_finite=False)


def _csc_arrays(prefix: str, M) -> dict:
    M = _canonical_csc(M)
    return {f"{prefix}_data": M.data, f"{prefix}_indices": M.indices,
            f"{prefix}_indptr": M.indptr}


def factor_arrays(engine: str, kind: str, factors: dict) -> dict:
    """The arrays that rebuild a factorization, from its exposed factors."""
    if engine == "superlu":
        return {**_csc_arrays("L", factors["L"]), **_csc_arrays("U", factors["U"]),
                "perm_r": np.asarray(factors["perm_r"]), "perm_c": np.asarray(factors["perm_c"])}
    if engine == "qdldl":
        return {**_csc_arrays("L", factors["L"]), "D": np.asarray(factors["D"]),
                "perm": np.asarray(factors["perm"])}
    return dict(factors["lapack"])


def _csc(arrays, prefix: str, n: int) -> sp.csc_array:
    return sp.csc_array((arrays[f"{prefix}_data"], arrays[f"{prefix}_indices"],
                         arrays[f"{prefix}_indptr"]), shape=(n, n))


def rebuild(engine: str, kind: str, n: int, arrays: dict):
    """``(solver, dense)`` of a factorization from :func:`factor_arrays`'s arrays."""
    if engine == "superlu":
        return TriangularLU(_csc(arrays, "L", n), _csc(arrays, "U", n), arrays["perm_r"],
                            arrays["perm_c"]), None
    if engine == "qdldl":
        return TriangularLDL(_csc(arrays, "L", n), arrays["D"], arrays["perm"]), None
    if kind == "cholesky":
        return None, (dense_cho_solve, (arrays["c"], False))
    return None, (dense_lu_solve, (arrays["lu"], arrays["piv"]))


# --------------------------------------------------------------------------- the file


def _checksum(arrays: dict) -> str:
    h = hashlib.blake2b(digest_size=32)
    for name in sorted(arrays):
        a = np.asarray(arrays[name])
        h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def write(path, meta: dict, arrays: dict) -> None:
    """Write ``meta`` (strings and numbers) and ``arrays`` to ``path``, atomically."""
    payload = {**{f"meta_{k}": np.asarray(v) for k, v in meta.items()}, **arrays,
               "meta_format": np.asarray(FORMAT), "meta_version": np.asarray(VERSION)}
    payload["checksum"] = np.asarray(_checksum(payload))
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".factorization.", suffix=".npz.tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _bad(path, why: str) -> InputValueError:
    return InputValueError(f"{path} is not a usable sparsekit factorization file: {why}; "
                           "factorize the matrix again (sk.factorize) and save it anew")


def read(path) -> tuple[dict, dict]:
    """``(meta, arrays)`` of a file written by :func:`write`, its format and checksum checked."""
    if not os.path.exists(path):
        raise DataNotFoundError(f"no factorization file at {path}")
    try:
        with np.load(path, allow_pickle=False) as z:
            payload = {name: z[name] for name in z.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise _bad(path, f"it cannot be read as an array archive ({exc})") from None
    if str(payload.get("meta_format", "")) != FORMAT:
        raise _bad(path, "it does not name the sparsekit factorization format")
    version = payload.get("meta_version", np.asarray(-1))
    if version.shape != () or version.dtype.kind not in "iu" or int(version) != VERSION:
        raise _bad(path, f"format version {version!r}, expected {VERSION}")
    stored = str(payload.pop("checksum", ""))
    if stored != _checksum(payload):
        raise _bad(path, "its checksum does not match its contents (damaged or edited)")
    meta = {k[5:]: v[()] for k, v in payload.items() if k.startswith("meta_")}
    arrays = {k: v for k, v in payload.items() if not k.startswith("meta_")}
    return meta, arrays


def _check_triangular(M: sp.csc_array, lower: bool, what: str, path) -> None:
    cols = np.repeat(np.arange(M.shape[1]), np.diff(M.indptr))
    if np.any(M.indices < cols if lower else M.indices > cols):
        raise _bad(path, f"its {what} factor is not {'lower' if lower else 'upper'} triangular")


def _check_perm(p, n: int, name: str, path) -> None:
    if p.shape != (n,) or p.dtype.kind not in "iu" \
            or (n and (p.min() < 0 or p.max() >= n or np.any(np.bincount(p, minlength=n) != 1))):
        raise _bad(path, f"its {name} is not a permutation of 0..{n - 1}")


def check_arrays(engine: str, kind: str, n: int, arrays: dict, path) -> None:
    """Check the structure of loaded arrays before any kernel sees them (O(nnz))."""
    want = _ENGINE_ARRAYS.get((engine, None)) or _ENGINE_ARRAYS.get((engine, kind))
    if want is None or set(want) - set(arrays):
        raise _bad(path, f"engine {engine!r} with kind {kind!r} and arrays {sorted(arrays)}")
    for name in want:
        a = arrays[name]
        numeric = "fc" if not name.endswith(("indices", "indptr", "perm", "perm_r", "perm_c",
                                              "piv")) else "iu"
        if a.dtype.kind not in numeric:
            raise _bad(path, f"array {name} has dtype {a.dtype}")
        if a.dtype.kind in "fc" and not np.all(np.isfinite(a)):
            raise _bad(path, f"array {name} holds NaN or Inf")
    if engine == "lapack":
        key = "c" if kind == "cholesky" else "lu"
        if arrays[key].shape != (n, n):
            raise _bad(path, f"its factor has shape {arrays[key].shape}, not {(n, n)}")
        if kind == "lu":
            piv = arrays["piv"]
            if piv.shape != (n,) or (n and (np.any(piv < np.arange(n)) or piv.max() >= n)):
                raise _bad(path, "its LAPACK pivots are out of range")
        return
    for prefix, lower in (("L", True), ("U", False)):
        if f"{prefix}_data" not in arrays:
            continue
        try:
            M = _csc(arrays, prefix, n)
            M.check_format(full_check=True)
        except (ValueError, TypeError) as exc:
            raise _bad(path, f"its {prefix} factor is not a valid CSC matrix ({exc})") from None
        _check_triangular(M, lower, prefix, path)
        if np.any(M.diagonal() == 0):
            raise _bad(path, f"its {prefix} factor has a zero on its diagonal")
    for name in ("perm", "perm_r", "perm_c"):
        if name in arrays:
            _check_perm(arrays[name], n, name, path)
    if "D" in arrays and (arrays["D"].shape != (n,) or np.any(arrays["D"] == 0)):
        raise _bad(path, "its D has the wrong shape or a zero")


def check_meta(meta: dict, path) -> tuple[int, str, str]:
    """``(n, engine, kind)`` from a loaded file's metadata, or the error saying what is wrong."""
    try:
        shape = np.asarray(meta["shape"])
        n = int(shape[0])
        if shape.shape != (2,) or n != int(shape[1]) or n < 0:
            raise ValueError("shape")
        np.dtype(str(meta["dtype"]))
        return n, str(meta["engine"]), str(meta["kind"])
    except (KeyError, ValueError, TypeError, IndexError):
        raise _bad(path, "its metadata is incomplete") from None


def check_probe(solve, S, path) -> None:
    """One solve with loaded factors must have a small backward error on the matrix ``S``."""
    n = S.shape[0]
    if n == 0:
        return
    b = np.random.default_rng(0).standard_normal(n)
    x = solve(b)
    r = float(np.linalg.norm(S @ x - b))
    scale = float(abs(S).sum(axis=0).max()) if sp.issparse(S) else float(np.abs(S).sum(0).max())
    eta = r / (scale * float(np.linalg.norm(x)) + float(np.linalg.norm(b)))
    if not eta <= 1e-8:
        raise _bad(path, f"its factors do not solve the matrix (backward error {eta:.1e} on "
                         "a test solve)")


def _perm_sign(p) -> int:
    """The sign of a permutation: ``(-1)^(n - number of cycles)`` (cycles as graph components)."""
    p = np.asarray(p)
    n = p.size
    if n == 0:
        return 1
    G = sp.csr_array((np.ones(n), (np.arange(n), p)), shape=(n, n))
    cycles = connected_components(G, directed=True, connection="weak")[0]
    return -1 if (n - cycles) % 2 else 1


def slogdet(factors: dict) -> tuple:
    """``(sign, log|det|)`` from a factorization's exposed factors.

    The diagonals of ``L`` and ``U`` (or ``D``) and the permutations' signs.
    """
    def diag(M):
        return np.asarray(M.diagonal() if sp.issparse(M) else np.diagonal(M))

    # L's diagonal is 1 except LAPACK's Cholesky factor (L = Uᴴ)
    d = diag(factors["L"]) * (factors["D"] if "D" in factors else diag(factors["U"]))
    logabs = float(np.sum(np.log(np.abs(d))))
    sign = np.prod(d / np.abs(d)) if d.size else 1.0
    if "perm_r" in factors:
        sign = sign * _perm_sign(factors["perm_r"]) * _perm_sign(factors["perm_c"])
    return (complex(sign) if np.iscomplexobj(sign) else float(np.real(sign))), logabs
