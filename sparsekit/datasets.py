r"""A registry of named matrices, a cache of real ones, and the example inputs.

* **real** matrices of the SuiteSparse Matrix Collection (CC-BY 4.0; cite Davis &
  Hu, ACM TOMS 38(1), 2011), by name or ``Group/Name``, found in :func:`data_dir`
  as ``NAME/NAME.mtx`` (the collection's tarball layout), ``NAME.mtx`` or
  ``NAME.mtx.gz``; :func:`fetch` downloads and verifies them (``docs/datasets.md``);
* **generated** matrices: shipped (small, ``sparsekit/data``) or built on demand;
* **example inputs** (:func:`examples`): a small edge list and a short corpus.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import hashlib
import json
import logging
import os
import re
import shutil
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
import scipy.sparse as sp

from . import io
from .errors import DataNotFoundError, InputValueError, SparsekitError, UnknownMethodError

__all__ = ["Dataset", "names", "load", "path", "get", "data_dir", "available", "fetch",
           "provenance", "examples", "SUITESPARSE_URL"]

_PACKAGE_DATA = Path(__file__).parent / "data"
_EXAMPLES = _PACKAGE_DATA / "examples"

#: The SuiteSparse Matrix Collection's own server (``$SPARSEKIT_SUITESPARSE_URL`` overrides it).
SUITESPARSE_URL = "https://sparse.tamu.edu"

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]*")
_PROVENANCE = ".sparsekit-fetch.json"


@dataclass(frozen=True)
class Dataset:
    """One registry entry.

    Attributes
    ----------
    name, source : str
        The name (the collection's, for real matrices); ``"suitesparse"``,
        ``"shipped"`` or ``"generated"``.
    tags : frozenset of str
        ``spd``, ``graph``, ``nonsymmetric``, ``indefinite``, ``rhs``, ``pattern``...
    description : str
        One line.
    rhs : str or None
        Name of the entry holding this matrix's right-hand side.
    group, archive, member : str or None
        The collection's tarball ``MM/<group>/<archive>.tar.gz`` (``archive``:
        default ``name``) and file ``<archive>/<member>`` (default ``<name>.mtx``).
    check : tuple
        The content fingerprint a download must match (``_fingerprint``), or ``()``.
    """

    name: str
    source: str
    tags: frozenset = field(default_factory=frozenset)
    description: str = ""
    rhs: str | None = None
    build: Callable[[], object] | None = field(default=None, repr=False, compare=False)
    group: str | None = None
    archive: str | None = None
    member: str | None = None
    check: tuple = field(default=(), repr=False)

    @property
    def folder(self) -> str:
        """The tarball's name, and its folder's."""
        return self.archive or self.name

    @property
    def filename(self) -> str:
        """The file in :attr:`folder`."""
        return self.member or f"{self.name}.mtx"


def _real(name, group, tags, description, rhs=None, archive=None, member=None):
    return Dataset(name, "suitesparse", frozenset(tags.split()), description, rhs, group=group,
                   archive=archive, member=member, check=_CHECKS[name])


# Content fingerprints (_fingerprint: pattern sha256[:12], sum of w_k a_k) of the copies in
# shared/datasets/mtx, which SOURCES.md checked against the collection's own metadata.
_CHECKS = {
    "bcsstk09": ("f7ca61a38d07", 7956098.445), "bcsstk13": ("e3afd007236c", 1.143250754e+10),
    "bcsstk33": ("91da51df2b88", -0.09018689767), "nos6": ("46c5b2300b04", -2995237.445),
    "gr_30_30": ("0ca4cf47df7b", -20.18559626), "LF10": ("87f60637d0f6", -93164.4829),
    "Trefethen_20b": ("8d5c42bfdda8", -72.42577893), "494_bus": ("f3f3a88c3de5", 10134.65756),
    "1138_bus": ("a3ee1007fd39", 30318.23235), "karate": ("ea81099b22f1", 0.03090006718),
    "Erdos971": ("dc49f669e6c2", -0.07781123975), "jazz": ("0c6d7e546a60", -0.9635173744),
    "ca-GrQc": ("e7cf0e71a4e7", -0.9805913982), "bcspwr10": ("c11949aae03f", -0.5882663333),
    "fe_4elt2": ("6545ed0ee766", -0.4337384426), "luxembourg_osm": ("92481c3d0690", -0.5968056195),
    "west0479": ("8da0344d3cbc", -220934.232), "sherman5": ("ff2725d85475", 843.0849203),
    "orsirr_1": ("dc1dc8bf5284", 521767.1879), "hor_131": ("d730a266f4ed", 0.7266985213),
    "add32": ("b4b7214de8c4", -0.1710893493), "nnc1374": ("837989d0066d", 2548.106398),
    "bayer10": ("96166b5e3c96", -31355.88586), "sherman1": ("f3373a45806c", 19.65170165),
    "young1c": ("b7a01253d15e", -187.7237556 + 5.07520332j),
    "sherman1_rhs1": ("6d635e0c8b72", 0.5515938028),
    "illc1033": ("25e12d5eb240", -0.06226026733), "illc1033_rhs1": ("01ae86a48b79", 118.7001834),
    "ash219": ("d1014474ad78", -0.2933640091), "lp_ship04l": ("8a9fdb2a1092", -3.356100937),
}

_REAL = [
    _real("bcsstk09", "HB", "spd", "FEM structural stiffness, square plate (1083)"),
    _real("bcsstk13", "HB", "spd", "FEM stiffness, fluid flow; cond ~1e10 (2003)"),
    _real("bcsstk33", "HB", "graph pattern", "pattern of a large FEM stiffness (8738, 592k nnz)"),
    _real("nos6", "HB", "spd", "Poisson on an L-shaped domain, mixed BC (675)"),
    _real("gr_30_30", "HB", "spd", "9-point finite-difference Laplacian, 30x30 grid (900)"),
    _real("LF10", "Oberwolfach", "spd", "FEM 1-D beam, tiny (18)"),
    _real("Trefethen_20b", "JGD_Trefethen", "spd integer", "Trefethen primes-on-diagonal (19)"),
    _real("494_bus", "HB", "spd", "power-network admittance (494)"),
    _real("1138_bus", "HB", "spd", "power-network admittance (1138)"),
    _real("karate", "Newman", "graph pattern", "Zachary karate club (34 nodes)"),
    _real("Erdos971", "Pajek", "graph pattern", "Erdos collaboration network, 42 components (472)"),
    _real("jazz", "Arenas", "graph integer", "jazz musicians, integer weights (198)"),
    _real("ca-GrQc", "SNAP", "graph pattern", "arXiv GR-QC co-authorship, 355 components (5242)"),
    _real("bcspwr10", "HB", "graph pattern", "US western power grid (5300)"),
    _real("fe_4elt2", "DIMACS10", "graph pattern", "2-D finite-element mesh graph (11143)"),
    _real("luxembourg_osm", "DIMACS10", "graph pattern", "OpenStreetMap road network (114599)"),
    _real("west0479", "HB", "nonsymmetric", "chemical process simulation; cond ~3e11 (479)"),
    _real("sherman5", "HB", "nonsymmetric", "oil reservoir, 3-D black oil (3312)"),
    _real("orsirr_1", "HB", "nonsymmetric", "oil reservoir, irregular grid (1030)"),
    _real("hor_131", "HB", "nonsymmetric", "flow network (434)"),
    _real("add32", "Hamm", "nonsymmetric", "circuit simulation, 32-bit adder (4960)"),
    _real("nnc1374", "HB", "nonsymmetric", "nuclear reactor core model (1374)"),
    _real("bayer10", "Grund", "nonsymmetric", "chemical process simulation (13436)"),
    _real("young1c", "HB", "nonsymmetric complex", "acoustic scattering, complex (841)"),
    _real("sherman1", "HB", "indefinite", "oil reservoir; negative definite (1000)",
          rhs="sherman1_rhs1"),
    _real("sherman1_rhs1", "HB", "rhs", "right-hand side of sherman1", archive="sherman1",
          member="sherman1_b.mtx"),
    _real("illc1033", "HB", "least_squares", "tall ill-conditioned least squares (1033x320)",
          rhs="illc1033_rhs1"),
    _real("illc1033_rhs1", "HB", "rhs", "right-hand side of illc1033", archive="illc1033",
          member="illc1033_b.mtx"),
    _real("ash219", "HB", "least_squares pattern", "tall pattern least squares (219x85)"),
    _real("lp_ship04l", "LPnetlib", "least_squares", "wide LP constraint matrix (402x2166)"),
]


def _poisson2d(n: int):
    """5-point Dirichlet Laplacian on an n x n grid (h = 1), built with kron."""
    T = sp.diags_array([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)], offsets=[-1, 0, 1])
    eye = sp.eye_array(n)
    return sp.csr_array(sp.kron(T, eye) + sp.kron(eye, T))


def _grid_shortcuts(m: int, shortcuts: int, seed: int = 0):
    """Adjacency of an m x m grid graph plus random long-range edges (weights 1)."""
    P = sp.diags_array([np.ones(m - 1), np.ones(m - 1)], offsets=[-1, 1])
    eye = sp.eye_array(m)
    G = sp.kron(P, eye) + sp.kron(eye, P)
    rng = np.random.default_rng(seed)
    n = m * m
    r = rng.integers(0, n, shortcuts)
    c = rng.integers(0, n, shortcuts)
    keep = r != c
    S = sp.coo_array((np.ones(keep.sum()), (r[keep], c[keep])), shape=(n, n))
    W = (G + S + S.T).tocsr()
    W.data[:] = 1.0  # a shortcut that doubles a grid edge stays weight 1
    return W


_GENERATED = [
    Dataset("poisson2d_64", "shipped", frozenset({"spd"}),
            "5-point Dirichlet Poisson on a 64x64 grid (4096); ships with the package"),
    Dataset("grid_shortcuts_300", "generated", frozenset({"graph"}),
            "300x300 grid graph plus 200 random long-range edges (90000 nodes)",
            build=lambda: _grid_shortcuts(300, 200)),
    Dataset("grid_shortcuts_1000", "generated", frozenset({"graph"}),
            "1000x1000 grid graph plus 2000 random long-range edges (1e6 nodes)",
            build=lambda: _grid_shortcuts(1000, 2000)),
    Dataset("poisson2d_256", "generated", frozenset({"spd"}),
            "5-point Dirichlet Poisson on a 256x256 grid (65536)",
            build=lambda: _poisson2d(256)),
]

_REGISTRY = {d.name: d for d in _REAL + _GENERATED}


def data_dir() -> Path:
    r"""``$SPARSEKIT_DATA``, else the user cache folder (:func:`pooch.os_cache`).

    That is ``~/.cache/sparsekit`` on Linux (``$XDG_CACHE_HOME`` honoured),
    ``~/Library/Caches/sparsekit`` on macOS, ``%LOCALAPPDATA%\sparsekit\sparsekit\Cache``
    on Windows.
    """
    env = os.environ.get("SPARSEKIT_DATA")
    if env:
        return Path(env).expanduser()
    import pooch

    return Path(pooch.os_cache("sparsekit"))


def _split(spec: str) -> tuple[str | None, str]:
    """``"HB/nos6"`` -> ``("HB", "nos6")``, ``"nos6"`` -> ``(None, "nos6")``; names checked."""
    if not isinstance(spec, str):
        raise UnknownMethodError(f"a dataset name must be a string (got {type(spec).__name__})")
    parts = spec.split("/")
    if len(parts) > 2 or not all(_NAME.fullmatch(p) for p in parts):
        raise UnknownMethodError(
            f"{spec!r} is not a dataset name: expected NAME or GROUP/NAME as the SuiteSparse "
            "Matrix Collection spells them (letters, digits, '_', '-', '.', '+'), e.g. "
            "'nos6' or 'HB/nos6'")
    return (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])


def _provenance(folder: Path) -> dict:
    with contextlib.suppress(OSError, ValueError, TypeError):
        return dict(json.loads((folder / _PROVENANCE).read_text(encoding="utf-8")))
    return {}


def _cached(name: str) -> Dataset | None:
    """A matrix of the collection in the data directory that the registry does not know."""
    folder = data_dir() / name
    if not (folder / f"{name}.mtx").is_file():
        return None
    group = _provenance(folder).get("group")
    group = group if isinstance(group, str) and _NAME.fullmatch(group) else None
    where = f"{group}/{name}" if group else name
    return Dataset(name, "suitesparse", frozenset(), f"{where}, SuiteSparse Matrix Collection "
                   "(fetched; not in sparsekit's registry)", group=group)


def get(name: str) -> Dataset:
    """The registry entry for ``name``, ``"Group/Name"`` or a matrix :func:`fetch` got.

    Examples
    --------
    >>> import sparsekit as sk
    >>> sk.datasets.get("HB/nos6").name, sk.datasets.get("nos6").group
    ('nos6', 'HB')
    """
    group, base = _split(name)
    d = _REGISTRY.get(base)
    if d is not None and group is not None and d.group != group:
        raise UnknownMethodError(
            f"dataset {base!r} is {d.group}/{base} in the SuiteSparse Matrix Collection, "
            f"not {name!r}" if d.group else f"dataset {base!r} is not from the collection")
    d = d or _cached(base)
    if d is None:
        hint = f"sparsekit datasets fetch {name}" if group else "e.g. HB/west0156"
        raise UnknownMethodError(f"unknown dataset {name!r}; expected one of {sorted(_REGISTRY)}"
                                 f", or a matrix of the collection fetched as GROUP/NAME ({hint})")
    return d


def names(tag: str | None = None, *, source: str | None = None) -> list[str]:
    """Names in the registry and of matrices fetched into the data directory.

    Only those with ``tag`` (``"spd"``, ``"graph"``, ...) or ``source``
    (``"suitesparse"``, ``"shipped"``, ``"generated"``) when given.

    Examples
    --------
    >>> import sparsekit as sk
    >>> "karate" in sk.datasets.names("graph")
    True
    """
    entries = list(_REGISTRY.values())
    if tag is None and source in (None, "suitesparse"):
        with contextlib.suppress(OSError):  # no data directory (yet), or an unreadable one
            entries += [d for p in data_dir().iterdir() if p.name not in _REGISTRY
                        and _NAME.fullmatch(p.name) and (d := _cached(p.name)) is not None]
    return sorted(d.name for d in entries
                  if (tag is None or tag in d.tags) and (source is None or d.source == source))


def _find(d: Dataset) -> Path | None:
    if d.source == "shipped":
        p = _PACKAGE_DATA / f"{d.name}.mtx.gz"
        return p if p.is_file() else None
    if d.source != "suitesparse":
        return None
    root = data_dir()
    for cand in (root / d.folder / d.filename, root / d.name / f"{d.name}.mtx",
                 root / f"{d.name}.mtx", root / f"{d.name}.mtx.gz"):
        if cand.is_file():
            return cand
    return None


def available(name: str) -> bool:
    """Whether ``load(name)`` can succeed without building or downloading."""
    d = get(name)
    return d.build is not None or _find(d) is not None


def path(name: str) -> Path:
    """Path of the file behind ``name``.

    Raises
    ------
    DataNotFoundError
        Not in the data directory (the message says where it looked and how
        to fetch it), or built on demand.
    """
    d = get(name)
    found = _find(d)
    if found is not None:
        return found
    if d.build is not None:
        raise DataNotFoundError(f"dataset {name!r} is generated on demand and has no file; "
                                "use sparsekit.datasets.load()")
    raise DataNotFoundError(
        f"dataset {d.name!r} is not here yet (looked in {str(data_dir())!r} for "
        f"{d.folder}/{d.filename}, {d.name}.mtx, {d.name}.mtx.gz); fetch it with `sparsekit "
        f"datasets fetch {d.name}` or sparsekit.datasets.fetch({d.name!r}) (from the SuiteSparse "
        f"Matrix Collection, {SUITESPARSE_URL}), or set SPARSEKIT_DATA to a folder holding it")


def load(name: str, *, format: str = "csr") -> sp.sparray | np.ndarray:
    """Load a named matrix (:func:`names`, or ``"Group/Name"``); it never downloads.

    Parameters
    ----------
    name : str
        A name from :func:`names`, or ``"Group/Name"``.
    format : {"csr", "csc", "coo"}, default="csr"
        Sparse format of the result.

    Returns
    -------
    sparse array or ndarray
        Right-hand sides (``*_rhs1``) come back as ndarrays.

    Examples
    --------
    >>> import sparsekit as sk
    >>> sk.datasets.load("poisson2d_64").shape
    (4096, 4096)
    """
    d = get(name)
    if d.build is not None:
        return sp.csr_array(d.build()).asformat(format)
    return io.read(path(name), format=format)


def _fingerprint(A) -> tuple:
    """``(pattern sha256[:12], sum w_k a_k, sum |w_k a_k|, shape, nonzeros)`` of a matrix.

    Duplicates are summed and explicit zeros dropped; the pattern is the shape and
    the sorted CSR index arrays (int64, little-endian); ``w_k`` in [-1/2, 1/2) is
    Knuth's multiplicative hash of the position ``k``: moving or changing a value
    moves the sum.  Neither comments, number format nor entry order matter.
    """
    A = np.asarray(A).reshape(-1, 1) if not sp.issparse(A) and np.ndim(A) == 1 else A
    A = sp.csr_array(A, copy=True)
    A.sum_duplicates()
    A.eliminate_zeros()
    A.sort_indices()
    h = hashlib.sha256()
    for a in (np.asarray(A.shape), A.indptr, A.indices):
        h.update(np.ascontiguousarray(a, dtype="<i8").tobytes())
    k = np.arange(A.nnz, dtype=np.uint64)
    w = ((k * np.uint64(2654435761)) & np.uint64(0xFFFFFFFF)).astype(np.float64) / 2**32 - 0.5
    return (h.hexdigest()[:12], complex(np.sum(w * A.data)),
            float(np.sum(np.abs(w) * np.abs(A.data))), A.shape, int(A.nnz))


def _check_content(file: Path, d: Dataset, label: str) -> None:
    """Read ``file`` through the guarded reader and compare it with ``d.check``."""
    pattern, total, scale, shape, nnz = _fingerprint(io.read(file))
    what = (f"pattern fingerprint {pattern}, expected {d.check[0]}; it is {shape[0]:,} x "
            f"{shape[1]:,} with {nnz:,} nonzeros" if pattern != d.check[0] else None)
    if what is None and abs(total - d.check[1]) > 1e-9 * max(scale, 1e-300):
        what = f"values fingerprint {total.real:.10g}, expected {complex(d.check[1]).real:.10g}"
    if what is not None:
        raise DataNotFoundError(
            f"{label}: the downloaded {d.filename} is not the matrix sparsekit knows as "
            f"{d.name!r} ({what}); nothing was kept. The server may hold another matrix under "
            "this name, or the file was altered")


def _server(server: str | None) -> str:
    url = (server or os.environ.get("SPARSEKIT_SUITESPARSE_URL") or SUITESPARSE_URL).strip()
    if not re.match(r"https?://[^/\s]+", url):
        where = "server=" if server else "SPARSEKIT_SUITESPARSE_URL"
        raise InputValueError(f"server {url!r} (from {where}) is not an http:// or https:// "
                              f"URL; expected something like {SUITESPARSE_URL}")
    return url.rstrip("/")


def _target(name: str) -> tuple[Dataset, str]:
    """The entry to fetch and its group: the registry's, or ``Group/Name`` as given."""
    group, base = _split(name)
    d = _REGISTRY.get(base)
    if d is not None:
        get(name)  # a group that contradicts the registry's is refused
        if d.source != "suitesparse":
            raise InputValueError(f"dataset {base!r} is {d.source} by sparsekit: nothing to "
                                  "fetch (sparsekit.datasets.load reads it)")
        return d, d.group
    if group is None:
        cached = _cached(base)
        if cached is not None and cached.group:
            return cached, cached.group
        raise DataNotFoundError(
            f"{base!r} is not in sparsekit's registry, so its group in the SuiteSparse Matrix "
            f"Collection is unknown; fetch it as GROUP/NAME (look it up on {SUITESPARSE_URL}, "
            f"e.g. HB/{base}), or pick a registry name: `sparsekit datasets list`")
    return Dataset(base, "suitesparse", frozenset(), f"{group}/{base}", group=group), group


def _disk_error(exc: OSError, root: Path, label: str) -> SparsekitError:
    """A failed write in the data directory, as the error a user can act on."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DataNotFoundError(f"{label}: no space left in the data directory {str(root)!r}"
                                 f" ({exc.strerror}); nothing was kept. Free some space, or set "
                                 "SPARSEKIT_DATA to a folder on another disk")
    return InputValueError(f"{label}: cannot write to the data directory {str(root)!r} ("
                           f"{exc.strerror or exc}); set SPARSEKIT_DATA to a writable folder")


def _workspace(root: Path, label: str) -> Path:
    """A private folder in the data directory for one fetch; stale ones removed."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        if not os.access(root, os.W_OK | os.X_OK):
            raise PermissionError(errno.EACCES, "permission denied", str(root))
        for old in root.glob(".fetch-*"):  # a day old: left by a killed fetch
            if time.time() - old.stat().st_mtime > 86400:
                shutil.rmtree(old, ignore_errors=True)
        return Path(tempfile.mkdtemp(prefix=".fetch-", dir=root))
    except OSError as exc:
        raise _disk_error(exc, root, label) from exc


def _download(url: str, work: Path, known_hash: str | None, label: str) -> Path:
    """Download ``url`` into ``work`` with pooch; every failure as a DataNotFoundError."""
    import pooch
    import requests

    from ._progress import report

    report("download", what=label, path=url)
    downloader = pooch.HTTPDownloader(chunk_size=1 << 20, timeout=60)
    logger, level = pooch.get_logger(), pooch.get_logger().level
    logger.setLevel(logging.WARNING)  # pooch prints its own INFO lines to stderr otherwise
    try:
        return Path(pooch.retrieve(url, known_hash, fname=url.rsplit("/", 1)[-1], path=work,
                                   downloader=downloader))
    except requests.exceptions.HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "?"
        hint = (" (no such matrix on that server: check GROUP/NAME on "
                f"{SUITESPARSE_URL})" if status == 404 else "")
        raise DataNotFoundError(f"{label}: the server answered HTTP {status} for {url}{hint}"
                                ) from exc
    except requests.exceptions.RequestException as exc:
        raise DataNotFoundError(
            f"{label}: the download of {url} failed: {_network_reason(exc)}; nothing was "
            "kept. Check the network (or SPARSEKIT_SUITESPARSE_URL) and try again") from exc
    except ValueError as exc:  # pooch: the known_hash did not match
        got = re.search(r"but got (\w+)", str(exc))
        raise DataNotFoundError(
            f"{label}: checksum mismatch for {url}: expected {known_hash}, got "
            f"{got[1] if got else _first_line(exc)}; nothing was kept (a corrupted download, "
            "or the file changed on the server)") from exc
    finally:
        logger.setLevel(level)


def _network_reason(exc: BaseException) -> str:
    """What went wrong on the network, in words (requests' messages nest urllib3's)."""
    import requests

    text = str(exc)
    cut = re.search(r"IncompleteRead\((\d+) bytes read, (\d+) more expected\)", text)
    if cut:
        return (f"the server stopped sending mid-file ({int(cut[1]):,} bytes received, "
                f"{int(cut[2]):,} more expected)")
    if isinstance(exc, requests.exceptions.Timeout):
        return "no answer from the server within 60 s"
    why = re.search(r"(refused|resolution|not known|nodename|getaddrinfo)", text)
    if why:
        return ("the connection was refused (no server listening there)" if why[1] == "refused"
                else "the server's name could not be resolved (offline?)")
    return f"{type(exc).__name__}: {_first_line(exc)}"


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _unpack(tarball: Path, dest: Path, folder: str, label: str) -> Path:
    """Extract a collection tarball (members only under ``folder/``, regular files only)."""
    try:
        # Streamed, then read to the end: gzip checks its CRC and length only there, and
        # a tar reader stops at the archive's end marker, before the gzip trailer.
        with gzip.open(tarball, "rb") as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                parts = PurePosixPath(member.name).parts
                if (not parts or parts[0] != folder or ".." in parts or not member.isdir()
                        and (not member.isfile() or len(parts) < 2)):
                    kind = "a link" if member.issym() or member.islnk() else "the member"
                    raise DataNotFoundError(
                        f"{label}: the archive holds {kind} {member.name!r}, not a file or folder "
                        f"under {folder}/ (the collection's layout); refused, nothing was kept")
                target = dest.joinpath(*parts)
                (target if member.isdir() else target.parent).mkdir(parents=True, exist_ok=True)
                src = tar.extractfile(member) if member.isfile() else None
                if src is not None:
                    with src, open(target, "wb") as out:
                        shutil.copyfileobj(src, out, 1 << 20)
                        out.flush()
                        os.fsync(out.fileno())
            while stream.read(1 << 20):
                pass
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise DataNotFoundError(
            f"{label}: the download is not a complete gzip-compressed tar archive "
            f"({_first_line(exc)}): corrupted or cut short; nothing was kept") from exc
    return dest / folder


def _verify(unpacked: Path, d: Dataset, group: str, label: str) -> str:
    """Check every registry entry in the archive by content, else ``d``'s header; say how."""
    if not (unpacked / d.filename).is_file():
        have = sorted(p.name for p in unpacked.iterdir()) if unpacked.is_dir() else []
        raise DataNotFoundError(f"{label}: the archive has no {d.folder}/{d.filename} (it "
                                f"holds {have}); nothing was kept")
    known = [e for e in _REGISTRY.values() if e.folder == d.folder and e.group == group
             and e.check and (unpacked / e.filename).is_file()]
    for e in known or [d]:
        f = unpacked / e.filename
        try:
            if not e.check:
                io.info(f)
            else:
                _check_content(f, e, label)
        except DataNotFoundError:
            raise
        except SparsekitError as exc:
            why = str(exc).replace(str(f), f"{d.folder}/{e.filename}")
            raise DataNotFoundError(f"{label}: the downloaded {e.filename} is not a valid "
                                    f"matrix: {why}; nothing was kept") from None
    return "content fingerprint" if d.check else "Matrix Market header"


def _install(unpacked: Path, target: Path, work: Path, member: str, force: bool) -> None:
    """Rename the verified folder into the data directory (the old one set aside first)."""
    if not target.exists():
        os.rename(unpacked, target)
    elif force or not (target / member).is_file():  # else: another process installed it
        os.rename(target, work / "replaced")
        try:
            os.rename(unpacked, target)
        except OSError:
            os.rename(work / "replaced", target)
            raise


def fetch(name: str, *, force: bool = False, known_hash: str | None = None,
          server: str | None = None) -> Path:
    """Download a matrix of the SuiteSparse Matrix Collection into the data directory.

    The tarball ``MM/<Group>/<Name>.tar.gz`` is downloaded with pooch from the
    collection's server (or ``server``, or ``$SPARSEKIT_SUITESPARSE_URL``),
    verified and unpacked into :func:`data_dir` as ``<Name>/<Name>.mtx``, after
    which :func:`load` and every FILE argument of the command line find it by
    name.  A name already here is not downloaded again.

    Parameters
    ----------
    name : str
        A registry name (``"nos6"``: its group is known) or any matrix of the
        collection as ``"Group/Name"`` (``"HB/west0156"``).
    force : bool, default=False
        Download and replace it even if it is here.
    known_hash : str, optional
        The tarball's checksum, as :func:`pooch.retrieve` takes it (``"sha256:..."``).
    server : str, optional
        An ``http(s)://`` server with the collection's layout.

    Returns
    -------
    Path
        The matrix file.

    Raises
    ------
    DataNotFoundError
        No such matrix on the server (HTTP 404), a network error, a cut or
        corrupted download, a content or checksum mismatch, no space left.
        Nothing is left behind in the data directory.
    InputValueError
        The data directory is not writable, or ``server`` is not a URL.

    Examples
    --------
    >>> import sparsekit as sk
    >>> sk.datasets.fetch("karate")  # doctest: +SKIP
    PosixPath('/home/me/.cache/sparsekit/karate/karate.mtx')
    """
    d, group = _target(name)
    label = f"{group}/{d.folder}" + ("" if d.folder == d.name else f" ({d.name})")
    found = None if force else _find(d)
    if found is not None:
        return found
    url = f"{_server(server)}/MM/{group}/{d.folder}.tar.gz"
    import pooch

    from ._progress import report

    root = data_dir()
    work = _workspace(root, label)
    try:
        tarball = _download(url, work, known_hash, label)
        report("verify", what=label)
        unpacked = _unpack(tarball, work / "unpacked", d.folder, label)
        how = _verify(unpacked, d, group, label)
        record = {"group": group, "name": d.folder, "url": url, "verified": how,
                  "sha256": pooch.file_hash(str(tarball)),
                  "fetched": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        (unpacked / _PROVENANCE).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        _install(unpacked, root / d.folder, work, d.filename, force)
        logging.getLogger(__name__).info("fetched %s from %s (%s)", label, url, how)
    except SparsekitError:
        raise
    except OSError as exc:
        raise _disk_error(exc, root, label) from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return _find(d) or root / d.folder / d.filename


def provenance(name: str) -> dict:
    """What :func:`fetch` recorded: group, URL, tarball SHA-256, verification, date."""
    d = get(name)
    return _provenance(data_dir() / d.folder) if d.source == "suitesparse" else {}


def examples(dest: str | os.PathLike | None = None, *, force: bool = False) -> dict[str, Path]:
    """The example inputs shipped with sparsekit, or their copies in ``dest``.

    ``edges.csv``: a weighted edge list with named nodes, two triangles joined
    by a weak edge (``sparsekit spectral fiedler edges.csv`` splits them);
    ``corpus.txt``: six sentences, one document each (``sparsekit build
    cooccurrence corpus.txt --window 2 --ppmi -o P.npz``).

    Parameters
    ----------
    dest : str or path-like, optional
        An existing folder to copy them into; files of the same names are
        refused (:class:`InputValueError`) unless ``force``.  Default: return
        the shipped files.
    force : bool, default=False
        Overwrite them.

    Returns
    -------
    dict of str to Path

    Examples
    --------
    >>> import sparsekit as sk
    >>> files = sk.datasets.examples()
    >>> sk.io.read_edges(files["edges.csv"])[3].tolist()
    ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']
    """
    shipped = {n: _EXAMPLES / n for n in ("edges.csv", "corpus.txt")}
    if dest is None:
        return shipped
    folder = Path(os.fspath(dest)).expanduser()
    if not folder.is_dir():
        raise DataNotFoundError(f"cannot copy the examples into {str(folder)!r}: no such folder")
    targets = {n: folder / n for n in shipped}
    present = [str(t) for t in targets.values() if t.exists()]
    if present and not force:
        raise InputValueError(f"refusing to overwrite {', '.join(present)}; pass force=True "
                              "(--force on the command line) or choose another folder")
    try:
        for n, target in targets.items():
            if not (target.exists() and target.samefile(shipped[n])):
                with io.atomic_path(target) as tmp:
                    shutil.copyfile(shipped[n], tmp)
    except OSError as exc:
        raise InputValueError(f"cannot write the examples into {str(folder)!r}: "
                              f"{exc.strerror or exc}") from exc
    return targets
