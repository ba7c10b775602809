"""Matrix Market I/O: ``sparsekit.io.read``/``write`` beside ``scipy.io.mmread``/``mmwrite``.

Real SuiteSparse files (through ``sparsekit.datasets``), plain and gzipped,
in the shape of SciPy's ``benchmarks/io_mm.py``.  Each side is called as its
user calls it to get the same thing:

* reading: a CSR array from a file; ``scipy.io.mmread(path).tocsr()`` is what a
  SciPy user writes to get one, ``fast_matrix_market.mmread(path).tocsr()`` the
  library sparsekit reads through, called directly;
* writing: each library's default; for ``.mtx.gz`` the SciPy user hands
  ``mmwrite`` a ``gzip.open`` handle.  The defaults differ: sparsekit checks the
  matrix (O(nnz)) and writes one triangle of a symmetric one, while SciPy's
  ``symmetry="AUTO"`` only checks matrices under 100 x 100 and otherwise writes
  every entry; ``track_file_bytes`` records what each costs on disk.

``setup_cache`` checks, once per run, that the two readers give the same matrix
and that every written file reads back exactly through the other library,
before any time counts.
"""

import gzip
import os
import shutil
import tempfile

import fast_matrix_market as fmm
import scipy.io
import scipy.sparse as sp

import sparsekit as sk

from ._common import real_path, sizes, speedup

# quick (CI): one small symmetric real file; full: a structural matrix, a large
# pattern matrix, a road network (pattern), an integer multigraph, a complex one.
MATRICES = sizes(
    quick=["bcsstk09"],
    full=["bcsstk13", "bcsstk33", "luxembourg_osm", "jazz", "young1c"],
)
SUFFIXES = [".mtx", ".mtx.gz"]
READERS = {
    "sparsekit": lambda p: sk.io.read(p),
    "scipy.io.mmread": lambda p: scipy.io.mmread(p).tocsr(),
    # the library sparsekit's reader calls, called directly (issue 19: no overhead)
    "fast_matrix_market": lambda p: fmm.mmread(p).tocsr(),
}


def _scipy_write(path, A):
    if str(path).endswith(".gz"):
        with gzip.open(path, "wb") as fh:
            scipy.io.mmwrite(fh, A)
    else:
        scipy.io.mmwrite(path, A)


WRITERS = {
    "sparsekit": sk.io.write,
    "scipy.io.mmwrite": _scipy_write,
}
# a gzipped write of the largest file takes seconds: few samples, one round
REPEAT = (3, 10, 4.0)


def _same(A, B):
    """Exactly equal sparse matrices (same shape, same entries after summing duplicates)."""
    if A.shape != B.shape:
        return False
    return (sp.csr_array(A) - sp.csr_array(B)).count_nonzero() == 0


def _available():
    out = {}
    for name in MATRICES:
        try:
            out[name] = str(real_path(name))
        except NotImplementedError:
            pass
    return out


class Read:
    """Read a real Matrix Market file into a CSR array."""

    params = [MATRICES, SUFFIXES, list(READERS)]
    param_names = ["matrix", "suffix", "method"]
    repeat = REPEAT
    rounds = 1
    timeout = 300

    def setup_cache(self):
        folder = tempfile.mkdtemp(prefix="sparsekit-bench-io-")
        files = {}
        for name, src in _available().items():
            plain = os.path.join(folder, name + ".mtx")
            shutil.copyfile(src, plain)
            with open(src, "rb") as fin, gzip.open(plain + ".gz", "wb", compresslevel=6) as fout:
                shutil.copyfileobj(fin, fout)
            for path in (plain, plain + ".gz"):
                # accuracy before time: both readers give the same matrix
                if not _same(READERS["sparsekit"](path), READERS["scipy.io.mmread"](path)):
                    raise AssertionError(f"sparsekit and scipy read {path} differently")
            files[name] = {".mtx": plain, ".mtx.gz": plain + ".gz"}
        return files

    def setup(self, files, matrix, suffix, method):
        if matrix not in files:
            raise NotImplementedError(f"{matrix} not in the data directory")
        self.path = files[matrix][suffix]
        self.read = READERS[method]

    def time_read(self, files, matrix, suffix, method):
        self.read(self.path)

    def peakmem_read(self, files, matrix, suffix, method):
        self.read(self.path)

    def track_speedup(self, files, matrix, suffix, method):
        if method == "scipy.io.mmread":
            return 1.0
        anchor = READERS["scipy.io.mmread"]
        return speedup(lambda: self.read(self.path), lambda: anchor(self.path))

    track_speedup.unit = "x (scipy.io.mmread time / this time)"


class Write:
    """Write a matrix read from a real file, each library's defaults, plain or gzipped."""

    params = [MATRICES, SUFFIXES, list(WRITERS)]
    param_names = ["matrix", "suffix", "method"]
    repeat = REPEAT
    rounds = 1
    timeout = 300

    def setup_cache(self):
        folder = tempfile.mkdtemp(prefix="sparsekit-bench-io-")
        sizes_on_disk = {}
        for name, src in _available().items():
            A = sk.io.read(src)
            for suffix in SUFFIXES:
                for method, write in WRITERS.items():
                    path = os.path.join(folder, f"{name}-{method}{suffix}")
                    write(path, A)
                    # accuracy before time: the file reads back exactly, by the other library
                    back = (scipy.io.mmread(path) if method == "sparsekit"
                            else sk.io.read(path))
                    if not _same(back, A):
                        raise AssertionError(f"{method} does not round-trip {name}{suffix}")
                    sizes_on_disk[(name, suffix, method)] = os.path.getsize(path)
                    os.unlink(path)
        shutil.rmtree(folder, ignore_errors=True)
        return sizes_on_disk

    def setup(self, sizes_on_disk, matrix, suffix, method):
        if (matrix, suffix, method) not in sizes_on_disk:
            raise NotImplementedError(f"{matrix} not in the data directory")
        self.A = sk.io.read(real_path(matrix))
        self.folder = tempfile.mkdtemp(prefix="sparsekit-bench-io-")
        self.path = os.path.join(self.folder, "out" + suffix)
        self.write = WRITERS[method]

    def teardown(self, sizes_on_disk, matrix, suffix, method):
        shutil.rmtree(self.folder, ignore_errors=True)

    def time_write(self, sizes_on_disk, matrix, suffix, method):
        self.write(self.path, self.A)

    def peakmem_write(self, sizes_on_disk, matrix, suffix, method):
        self.write(self.path, self.A)

    def track_speedup(self, sizes_on_disk, matrix, suffix, method):
        if method == "scipy.io.mmwrite":
            return 1.0
        anchor = WRITERS["scipy.io.mmwrite"]
        return speedup(lambda: self.write(self.path, self.A), lambda: anchor(self.path, self.A))

    track_speedup.unit = "x (scipy.io.mmwrite time / this time)"

    def track_file_bytes(self, sizes_on_disk, matrix, suffix, method):
        return sizes_on_disk[(matrix, suffix, method)]

    track_file_bytes.unit = "bytes"


class Header:
    """Read only the header (shape, entries, field, symmetry) of a real file."""

    params = [MATRICES, ["sparsekit", "scipy.io.mminfo"]]
    param_names = ["matrix", "method"]
    rounds = 1

    def setup(self, matrix, method):
        self.path = str(real_path(matrix))
        if method == "sparsekit":
            self.info = sk.io.info
            h = sk.io.info(self.path)
            shape, entries = h.shape, h.nnz
        else:
            self.info = scipy.io.mminfo
            rows, cols, entries, *_ = scipy.io.mminfo(self.path)
            shape = (rows, cols)
        # accuracy before time: the header agrees with the matrix read in full
        A = sk.io.read(self.path)
        if tuple(shape) != A.shape or not entries <= A.nnz <= 2 * entries:
            raise AssertionError(f"{method} reads a wrong header for {matrix}")

    def time_info(self, matrix, method):
        self.info(self.path)


class LargeRead:
    """A 10-million-entry Matrix Market file (issue 18): the read, and the guards' share of it.

    Two files of the same entries: in random order, and in row order (issue 19: read
    at least as fast as fast_matrix_market called directly, on both).
    Full mode only: ``setup_cache`` writes the two 350 MB files once, in asv's temporary
    working directory (removed after the run).  ``track_guard_share`` is the time of
    what the front guard and the input gate add (the header and NUL-byte scan, the
    header checks, the bounds check of the triplets) as a percentage of the whole read,
    medians of interleaved runs; the target is under 5.
    """

    params = [["random", "rows"], list(READERS)]
    param_names = ["order", "method"]
    repeat = (3, 5, 120.0)
    rounds = 1
    timeout = 900

    def setup_cache(self):
        from ._common import QUICK

        if QUICK:
            return {}  # not None: asv passes no cache argument at all for None
        import numpy as np

        rng = np.random.default_rng(0)
        n, nnz = 1_000_000, 10_000_000
        A = sp.coo_array((rng.standard_normal(nnz), (rng.integers(0, n, nnz),
                                                     rng.integers(0, n, nnz))), shape=(n, n))
        paths = {"random": os.path.abspath("large-10m.mtx"),
                 "rows": os.path.abspath("large-10m-rows.mtx")}
        fmm.mmwrite(paths["random"], A, symmetry="general")
        # entries in row order, as most writers (SciPy, fmm from CSR, sparsekit) leave them
        fmm.mmwrite(paths["rows"], sp.csr_array(A), symmetry="general")
        return paths

    def setup(self, paths, order, method):
        if not paths:
            raise NotImplementedError("the 10M-entry file is written in full mode only")
        self.read = READERS[method]

    def time_read(self, paths, order, method):
        self.read(paths[order])

    def track_guard_share(self, paths, order, method):
        import statistics
        import time
        from pathlib import Path

        import fast_matrix_market as fmm

        from sparsekit import _guards, _validate

        if method != "sparsekit" or order != "random":
            raise NotImplementedError("the guards are sparsekit's (measured on one file)")
        path = paths[order]
        p = Path(path)
        rows, cols, data, shape = sk.io.read_coo(p)
        guard, whole = [], []
        for _ in range(3):
            t0 = time.perf_counter()
            head = _guards.read_head(p, scan=True)
            _guards._check_head(p, head, "csr")
            _validate.check_coords((rows, cols), shape, data.size)
            t1 = time.perf_counter()
            fmm.read_header(path)  # read_head runs fmm's header read, as the read did before
            t2 = time.perf_counter()
            sk.io.read(p)
            t3 = time.perf_counter()
            guard.append((t1 - t0) - (t2 - t1))
            whole.append(t3 - t2)
        return 100 * statistics.median(guard) / statistics.median(whole)

    track_guard_share.unit = "% of the read"


class LargeWrite:
    """Write a 10-million-entry matrix to ``.mtx`` (issue 19: at least 0.95x ``mmwrite``).

    Full mode only.  A general matrix (1,000,000 x 1,000,000, random entries) and the
    symmetric ``A + A^T``, whose symmetry sparsekit detects in O(nnz) and whose lower
    triangle it writes; SciPy's ``mmwrite`` is given ``symmetry="symmetric"`` for it, so
    both write the same file.
    """

    params = [["general", "symmetric"], ["sparsekit", "scipy.io.mmwrite"]]
    param_names = ["kind", "method"]
    repeat = (3, 5, 120.0)
    rounds = 1
    timeout = 900

    def setup(self, kind, method):
        from ._common import QUICK

        if QUICK:
            raise NotImplementedError("the 10M-entry write runs in full mode only")
        import numpy as np

        rng = np.random.default_rng(0)
        n, nnz = 1_000_000, 10_000_000 if kind == "general" else 5_000_000
        A = sp.coo_array((rng.standard_normal(nnz), (rng.integers(0, n, nnz),
                                                     rng.integers(0, n, nnz))), shape=(n, n))
        self.A = sp.csr_array(A if kind == "general" else A + A.T)
        self.folder = tempfile.mkdtemp(prefix="sparsekit-bench-io-")
        self.path = os.path.join(self.folder, "w.mtx")
        self.write = (sk.io.write if method == "sparsekit" else
                      lambda p, M: scipy.io.mmwrite(p, M, symmetry=kind))

    def teardown(self, kind, method):
        if hasattr(self, "folder"):  # asv tears down after a skipped setup too
            shutil.rmtree(self.folder, ignore_errors=True)

    def time_write(self, kind, method):
        self.write(self.path, self.A)
