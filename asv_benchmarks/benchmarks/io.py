"""Matrix Market I/O: ``sparsekit.io.read``/``write`` beside ``scipy.io.mmread``/``mmwrite``.

Real SuiteSparse files (through ``sparsekit.datasets``), plain and gzipped,
in the shape of SciPy's ``benchmarks/io_mm.py``.  Both sides produce the same
thing: a CSR array from a file (``scipy.io.mmread(path).tocsr()`` is what a
SciPy user writes to get one), or a file from a matrix with the symmetry
detected (``symmetry="auto"``/``"AUTO"``; for ``.mtx.gz`` the SciPy user hands
``mmwrite`` a ``gzip.open`` handle).  ``setup`` checks that both readers give
the same matrix and that a written file reads back exactly, before any time
counts.
"""

import gzip
import os
import shutil
import tempfile

import scipy.io
import scipy.sparse as sp

import sparsekit as sk

from ._common import median_time, real_path, sizes

# (quick, full): a small symmetric real file in CI; by hand the large ones, a
# pattern graph, an integer multigraph and a complex matrix.
MATRICES = sizes(
    quick=["bcsstk09"],
    full=["bcsstk13", "bcsstk33", "luxembourg_osm", "bayer10", "jazz", "young1c"],
)
SUFFIXES = [".mtx", ".mtx.gz"]
READERS = {
    "sparsekit": lambda p: sk.io.read(p),
    "scipy.io.mmread": lambda p: scipy.io.mmread(p).tocsr(),
}


def _scipy_write(path, A):
    if path.endswith(".gz"):
        with gzip.open(path, "wb") as fh:
            scipy.io.mmwrite(fh, A)
    else:
        scipy.io.mmwrite(path, A)


WRITERS = {
    "sparsekit": sk.io.write,
    "scipy.io.mmwrite": _scipy_write,
}


def _files():
    """Plain and gzipped copies of every matrix of this run, in a fresh folder."""
    folder = tempfile.mkdtemp(prefix="sparsekit-bench-io-")
    files = {}
    for name in MATRICES:
        try:
            src = str(real_path(name))
        except NotImplementedError:
            continue
        plain = os.path.join(folder, name + ".mtx")
        shutil.copyfile(src, plain)
        with open(src, "rb") as fin, gzip.open(plain + ".gz", "wb", compresslevel=6) as fout:
            shutil.copyfileobj(fin, fout)
        files[name] = {".mtx": plain, ".mtx.gz": plain + ".gz"}
    return files


def _same(A, B):
    """Exactly equal sparse matrices (same shape, same entries after summing duplicates)."""
    if A.shape != B.shape:
        return False
    D = sp.csr_array(A) - sp.csr_array(B)
    return D.count_nonzero() == 0


class Read:
    """Read a real Matrix Market file into a CSR array."""

    params = [MATRICES, SUFFIXES, list(READERS)]
    param_names = ["matrix", "suffix", "method"]
    timeout = 120

    def setup_cache(self):
        return _files()

    def setup(self, files, matrix, suffix, method):
        if matrix not in files:
            raise NotImplementedError(f"{matrix} not in the data directory")
        self.path = files[matrix][suffix]
        self.read = READERS[method]
        # accuracy before time: this reader gives what the other one gives
        other = READERS["scipy.io.mmread" if method == "sparsekit" else "sparsekit"]
        if not _same(self.read(self.path), other(self.path)):
            raise AssertionError(f"{method} reads {matrix}{suffix} differently")

    def time_read(self, files, matrix, suffix, method):
        self.read(self.path)

    def peakmem_read(self, files, matrix, suffix, method):
        self.read(self.path)

    def track_speedup(self, files, matrix, suffix, method):
        anchor = READERS["scipy.io.mmread"]
        return median_time(lambda: anchor(self.path)) / median_time(
            lambda: self.read(self.path))

    track_speedup.unit = "x faster than scipy.io.mmread"


class Write:
    """Write a matrix read from a real file, symmetry detected, plain or gzipped."""

    params = [MATRICES, SUFFIXES, list(WRITERS)]
    param_names = ["matrix", "suffix", "method"]
    timeout = 120

    def setup(self, matrix, suffix, method):
        self.A = sk.io.read(real_path(matrix))
        self.folder = tempfile.mkdtemp(prefix="sparsekit-bench-io-")
        self.path = os.path.join(self.folder, "out" + suffix)
        self.write = WRITERS[method]
        self.write(self.path, self.A)
        # accuracy before time: the file reads back exactly, by the other library
        back = scipy.io.mmread(self.path) if method == "sparsekit" else sk.io.read(self.path)
        if not _same(back, self.A):
            raise AssertionError(f"{method} does not round-trip {matrix}{suffix}")

    def teardown(self, matrix, suffix, method):
        shutil.rmtree(self.folder, ignore_errors=True)

    def time_write(self, matrix, suffix, method):
        self.write(self.path, self.A)

    def peakmem_write(self, matrix, suffix, method):
        self.write(self.path, self.A)

    def track_speedup(self, matrix, suffix, method):
        anchor = WRITERS["scipy.io.mmwrite"]
        return median_time(lambda: anchor(self.path, self.A)) / median_time(
            lambda: self.write(self.path, self.A))

    track_speedup.unit = "x faster than scipy.io.mmwrite"

    def track_file_bytes(self, matrix, suffix, method):
        return os.path.getsize(self.path)

    track_file_bytes.unit = "bytes"


class Header:
    """Read only the header (shape, entries, field, symmetry) of a real file."""

    params = [MATRICES, ["sparsekit", "scipy.io.mminfo"]]
    param_names = ["matrix", "method"]

    def setup(self, matrix, method):
        self.path = str(real_path(matrix))
        if method == "sparsekit":
            h = sk.io.info(self.path)
            shape, entries = h.shape, h.nnz
        else:
            rows, cols, entries, *_ = scipy.io.mminfo(self.path)
            shape = (rows, cols)
        A = sk.io.read(self.path)
        if tuple(shape) != A.shape or not (entries <= A.nnz <= 2 * entries):
            raise AssertionError(f"{method} reads a wrong header for {matrix}")
        self.info = sk.io.info if method == "sparsekit" else scipy.io.mminfo

    def time_info(self, matrix, method):
        self.info(self.path)

