"""Reading a block of rows, and every rank its own rows (sparsekit._rowread), without MPI.

References: ``scipy.io.mmread`` of the whole file (and ``sparsekit.io.read``)
sliced by rows; matrices written here entry by entry in shuffled order and
rebuilt densely with a plain loop.  The collective reader runs here over a
communicator of threads (``ThreadComm``: the four calls the reader makes,
with the semantics of MPI's), so that the exchange, the agreement on errors
and the file checks are tested on any machine; ``tests/test_petsc.py`` runs
the same reader under ``mpiexec -n 2``.
"""

from __future__ import annotations

import gzip
import threading

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp

import sparsekit as sk
from sparsekit import _petscbin, _rowread

SHARED = ["bcsstk33", "luxembourg_osm", "west0479", "young1c", "Erdos971"]


def full(path) -> sp.csr_array:
    A = sp.csr_array(scipy.io.mmread(path))
    A.sum_duplicates()
    return A


def same(A, B) -> bool:
    return A.shape == B.shape and (sp.csr_array(A) != sp.csr_array(B)).nnz == 0


class ThreadComm:
    """``size`` ranks as threads: allgather and Alltoallv as MPI defines them."""

    def __init__(self, size: int):
        self.size = size
        self.barrier = threading.Barrier(size, timeout=60)
        self.slots = [None] * size

    def at(self, rank):
        return _Rank(self, rank)

    def run(self, fn):
        """``fn(comm)`` on every rank; returns (values, errors) per rank."""
        values, errors = [None] * self.size, [None] * self.size

        def target(r):
            try:
                values[r] = fn(self.at(r))
            except Exception as exc:  # noqa: BLE001 - reported per rank
                errors[r] = exc

        threads = [threading.Thread(target=target, args=(r,)) for r in range(self.size)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not any(t.is_alive() for t in threads), "a rank was left waiting"
        return values, errors


class _Rank:
    def __init__(self, world: ThreadComm, rank: int):
        self.w, self.rank = world, rank

    def Get_rank(self):  # noqa: N802
        return self.rank

    def Get_size(self):  # noqa: N802
        return self.w.size

    def _swap(self, obj):
        self.w.slots[self.rank] = obj
        self.w.barrier.wait()
        out = list(self.w.slots)
        self.w.barrier.wait()
        return out

    def allgather(self, obj):
        return self._swap(obj)

    def Alltoallv(self, send, recv):  # noqa: N802
        buf, (counts, displ) = send
        rbuf, (rcounts, rdispl) = recv
        flat = rbuf.reshape(-1)  # MPI counts items of the flat buffers
        for r, (b, (c, d)) in enumerate(self._swap((buf.reshape(-1), (counts, displ)))):
            assert c[self.rank] == rcounts[r]
            flat[rdispl[r]:rdispl[r] + rcounts[r]] = b[d[self.rank]:d[self.rank] + c[self.rank]]


def write_mm(path, shape, entries, field="real", symmetry="general", lines=None):
    """Matrix Market text written line by line (entries: (i, j, value) 0-based)."""
    with open(path, "w") as fh:
        fh.write(f"%%MatrixMarket matrix coordinate {field} {symmetry}\n% a comment\n")
        fh.write(f"{shape[0]} {shape[1]} {len(entries) if lines is None else lines}\n")
        for i, j, v in entries:
            if field == "pattern":
                fh.write(f"{i + 1} {j + 1}\n")
            elif field == "complex":
                fh.write(f"{i + 1} {j + 1} {v.real!r} {v.imag!r}\n")
            else:
                fh.write(f"{i + 1} {j + 1} {v!r}\n")


def dense_of(shape, entries, symmetry="general", dtype=float):
    """The matrix of a list of entries, by a plain loop (duplicates summed)."""
    D = np.zeros(shape, dtype=dtype)
    for i, j, v in entries:
        D[i, j] += v
        if i != j and symmetry != "general":
            D[j, i] += {"symmetric": v, "skew-symmetric": -v, "hermitian": np.conj(v)}[symmetry]
    return D


def shuffled_entries(n, symmetry, field, seed=0):
    rng = np.random.default_rng(seed)
    entries = {}
    while len(entries) < 4 * n:
        i, j = (int(v) for v in rng.integers(0, n, 2))
        if symmetry != "general":
            i, j = max(i, j), min(i, j)
            if symmetry == "skew-symmetric" and i == j:
                continue
        if field == "complex":
            v = complex(rng.standard_normal(), rng.standard_normal() if i != j else 0.0)
        elif field == "integer":
            v = int(rng.integers(-9, 10))
        else:
            v = 1.0 if field == "pattern" else float(rng.standard_normal())
        entries[i, j] = v
    return [(i, j, v) for (i, j), v in entries.items()]  # random order: dict of random keys


# ------------------------------------------------------------------ read_rows


@pytest.mark.parametrize("name", SHARED)
def test_read_rows_of_shared_matrices_equal_scipy_slices(real, name):
    real(name)
    path = sk.datasets.path(name)
    A = full(path)
    n = A.shape[0]
    small_chunks = max(1000, path.stat().st_size // 30)  # some 30 chunks
    for start, stop in [(0, n), (n // 3, n // 2), (n - 1, n), (7, 7)]:
        for chunk in (small_chunks, _rowread.CHUNK_BYTES):
            assert same(_rowread.read_rows(path, start, stop, chunk_bytes=chunk), A[start:stop])


@pytest.mark.parametrize(("field", "symmetry"), [
    ("real", "general"), ("real", "symmetric"), ("integer", "skew-symmetric"),
    ("complex", "hermitian"), ("pattern", "symmetric"), ("complex", "general")])
def test_shuffled_entries_every_field_and_symmetry(tmp_path, field, symmetry):
    n = 40
    entries = shuffled_entries(n, symmetry, field)
    entries += entries[:5] if symmetry == "general" else []  # duplicates are summed
    p = tmp_path / "s.mtx"
    write_mm(p, (n, n), entries, field, symmetry)
    D = dense_of((n, n), entries, symmetry, complex if field == "complex" else float)
    for start, stop in [(0, n), (3, 17), (39, 40)]:
        R = _rowread.read_rows(p, start, stop, chunk_bytes=64)
        np.testing.assert_array_equal(R.toarray(), D[start:stop])
        assert R.dtype == {"complex": np.complex128, "integer": np.int64}.get(field, np.float64)
    blocks = ThreadComm(3).run(lambda c: _rowread.read_local(p, c, chunk_bytes=50))[0]
    np.testing.assert_array_equal(sp.vstack([b.local for b in blocks]).toarray(), D)


def test_csr_filled_in_slices(tmp_path, monkeypatch):
    """The CSR arrays are filled a slice of entries at a time; tiny slices give the same."""
    n = 30
    entries = shuffled_entries(n, "general", "real", seed=4)
    entries += entries[::3]  # duplicates across slices
    p = tmp_path / "f.mtx"
    write_mm(p, (n, n), entries)
    monkeypatch.setattr(_rowread, "_FILL", 7)
    np.testing.assert_array_equal(_rowread.read_rows(p, 0, n, chunk_bytes=200).toarray(),
                                  dense_of((n, n), entries))


def test_blank_lines_crlf_and_a_line_longer_than_a_chunk(tmp_path):
    p = tmp_path / "b.mtx"
    p.write_bytes(b"%%MatrixMarket matrix coordinate real general\r\n3 4 3\r\n"
                  b"1 1 1.5\r\n\r\n   \r\n3 4 " + b"0" * 300 + b"2.5\r\n\r\n2 2 -1\r\n")
    D = np.array([[1.5, 0, 0, 0], [0, -1, 0, 0], [0, 0, 0, 2.5]])
    for chunk in (8, 100, 10_000):
        np.testing.assert_array_equal(_rowread.read_rows(p, 0, 3, chunk_bytes=chunk).toarray(), D)
        blocks = ThreadComm(2).run(lambda c, k=chunk: _rowread.read_local(p, c, chunk_bytes=k))[0]
        np.testing.assert_array_equal(sp.vstack([b.local for b in blocks]).toarray(), D)


def test_gzip_reads_like_the_plain_file(tmp_path, real):
    real("bcsstk09")
    plain = sk.datasets.path("bcsstk09")
    gz = tmp_path / "bcsstk09.mtx.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    A = full(plain)
    assert same(_rowread.read_rows(gz, 100, 900, chunk_bytes=4096), A[100:900])
    blocks = ThreadComm(2).run(lambda c: _rowread.read_local(gz, c, chunk_bytes=4096))[0]
    assert same(sp.vstack([b.local for b in blocks]), A)


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
@pytest.mark.parametrize("compressed", [True, False])
def test_npz_rows_every_format(tmp_path, real, fmt, compressed):
    A = sp.csr_array(real("bcsstk13"))
    p = tmp_path / "A.npz"
    sp.save_npz(p, A.asformat(fmt), compressed=compressed)
    for start, stop in [(0, A.shape[0]), (500, 1500), (2002, 2003)]:
        assert same(_rowread.read_rows(p, start, stop), A[start:stop])
    blocks = ThreadComm(3).run(lambda c: _rowread.read_local(p, c))[0]
    assert same(sp.vstack([b.local for b in blocks]), A)


def test_npz_slices_read_only_their_part(tmp_path):
    """A CSR member stored uncompressed is read at its offset: a slice costs what it holds."""
    n = 200_000
    A = sp.csr_array(sp.diags_array([np.arange(1.0, n + 1)], offsets=[0]))
    p = tmp_path / "big.npz"
    sp.save_npz(p, A, compressed=False)
    import tracemalloc

    tracemalloc.start()
    R = _rowread.read_rows(p, n - 10, n)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    np.testing.assert_array_equal(R.diagonal(k=n - 10), np.arange(n - 9.0, n + 1))
    assert peak < 200_000  # the whole arrays: 200k rows x (8 + 4 + 8) bytes = 4 MB


def test_petsc_binary_through_read_rows(tmp_path, real):
    A = sp.csr_array(real("orsirr_1"))
    p = tmp_path / "A.petsc"
    _petscbin.write(p, A)
    assert same(_rowread.read_rows(p, 10, 600), A[10:600])
    blocks = ThreadComm(2).run(lambda c: _rowread.read_local(p, c))[0]
    assert [b.start for b in blocks] == [0, 515] and same(sp.vstack([b.local for b in blocks]), A)


def test_petsc_ranks_read_only_their_own_row_lengths(tmp_path, monkeypatch):
    """Under MPI the ranks add up their row lengths in rank order (as PETSc's MatLoad):
    no rank scans the lengths of the rows before or after its own."""
    A = sp.random_array((200, 150), density=0.05, rng=5, format="csr")
    p = tmp_path / "A.petsc"
    _petscbin.write(p, A)

    def no_scan(*args):
        raise AssertionError("a rank scanned every row length")

    monkeypatch.setattr(_petscbin, "_prefix_sum", no_scan)
    blocks = ThreadComm(3).run(lambda c: _rowread.read_local(p, c))[0]
    assert same(sp.vstack([b.local for b in blocks]), A)
    raw = bytearray(p.read_bytes())
    first = int.from_bytes(raw[16:20], "big")
    raw[16:20] = (first + 1).to_bytes(4, "big")  # row 0 claims one entry more than there are
    p.write_bytes(bytes(raw))
    e = errors_on_every_rank(3, lambda c: _rowread.read_local(p, c))
    assert isinstance(e, sk.InputValueError)
    assert f"sum to {A.nnz + 1} but the header claims nz={A.nnz}" in str(e)


def test_row_split_is_petscs_default():
    for n, size in [(10, 2), (10, 3), (7, 7), (3, 5), (1000, 6)]:
        sizes = [len(part) for part in np.array_split(np.arange(n), size)]
        bounds = np.concatenate(([0], np.cumsum(sizes)))
        assert [_rowread.row_split(n, r, size) for r in range(size)] == \
            [(int(bounds[r]), int(bounds[r + 1])) for r in range(size)]


# ------------------------------------------------------------------ every rank its rows


@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_read_local_partitions_the_rows(real, size):
    real("bcsstk33")
    path = sk.datasets.path("bcsstk33")
    A = full(path)
    blocks = ThreadComm(size).run(lambda c: _rowread.read_local(path, c, chunk_bytes=200_000))[0]
    for r, b in enumerate(blocks):
        start, stop = _rowread.row_split(A.shape[0], r, size)
        assert (b.start, b.stop, b.shape) == (start, stop, A.shape)
        assert b.local.nnz == A[start:stop].nnz  # each rank holds its rows, and only them
        assert same(b.local, A[start:stop])
    assert sum(b.local.nnz for b in blocks) == A.nnz


def test_serial_read_local_and_its_repr(real):
    real("west0479")
    b = _rowread.read_local(sk.datasets.path("west0479"))
    assert repr(b) == "RowBlock(west0479.mtx: rows 0:479 of 479x479, 1910 local entries)"


# ------------------------------------------------------------------ bad input


def errors_on_every_rank(size, fn):
    values, errors = ThreadComm(size).run(fn)
    assert all(e is not None for e in errors), values
    assert len({(type(e), str(e)) for e in errors}) == 1, errors  # the same on every rank
    return errors[0]


def test_a_malformed_line_names_its_line_on_every_rank(tmp_path):
    entries = [(i % 50, (7 * i) % 50, float(i)) for i in range(400)]
    p = tmp_path / "bad.mtx"
    write_mm(p, (50, 50), entries)
    lines = p.read_bytes().split(b"\n")
    lines[3 + 351] = b"12 x 1.0"  # entry 352 sits on line 355
    p.write_bytes(b"\n".join(lines))
    with pytest.raises(sk.MatrixMarketError, match="line 355") as err:
        _rowread.read_rows(p, 0, 50, chunk_bytes=100)
    assert err.value.line == 355
    e = errors_on_every_rank(2, lambda c: _rowread.read_local(p, c, chunk_bytes=100))
    assert isinstance(e, sk.MatrixMarketError) and "line 355" in str(e) and "rank 1 of 2" in str(e)
    gz = tmp_path / "bad.mtx.gz"
    gz.write_bytes(gzip.compress(p.read_bytes()))
    e = errors_on_every_rank(3, lambda c: _rowread.read_local(gz, c, chunk_bytes=100))
    assert isinstance(e, sk.MatrixMarketError) and "line 355" in str(e)


@pytest.mark.parametrize(("claimed", "what"), [(12, "fewer"), (8, "more")])
def test_header_claiming_another_count(tmp_path, claimed, what):
    p = tmp_path / "c.mtx"
    write_mm(p, (5, 5), [(i % 5, i % 3, 1.0) for i in range(10)], lines=claimed)
    with pytest.raises(sk.MatrixMarketError, match=f"claims {claimed} entries .* 10 .*{what}"):
        _rowread.read_rows(p, 0, 5, chunk_bytes=16)
    e = errors_on_every_rank(2, lambda c: _rowread.read_local(p, c, chunk_bytes=16))
    assert isinstance(e, sk.MatrixMarketError) and f"claims {claimed} entries" in str(e)


def test_a_file_missing_on_one_rank(tmp_path, real):
    real("west0479")
    good = sk.datasets.path("west0479")
    e = errors_on_every_rank(
        2, lambda c: _rowread.read_local(good if c.Get_rank() == 0 else tmp_path / "no.mtx", c))
    assert isinstance(e, sk.DataNotFoundError)
    assert str(e).startswith("rank 1 of 2: no such file") and "no.mtx" in str(e)


def test_ranks_holding_different_files(tmp_path, real):
    real("west0479")
    real("Erdos971")
    a, b = sk.datasets.path("west0479"), sk.datasets.path("Erdos971")
    e = errors_on_every_rank(2, lambda c: _rowread.read_local(a if c.Get_rank() == 0 else b, c))
    assert isinstance(e, sk.InputValueError)
    assert "different files" in str(e) and "west0479" in str(e) and "Erdos971" in str(e)
    # a copy with the same bytes is the same file
    copy = tmp_path / "west0479.mtx"
    copy.write_bytes(a.read_bytes())
    blocks = ThreadComm(2).run(lambda c: _rowread.read_local(a if c.Get_rank() else copy, c))[0]
    assert sum(blk.local.nnz for blk in blocks) == full(a).nnz


def test_truncated_and_swapped_petsc_files_fail_every_rank(tmp_path):
    A = sp.random_array((30, 30), density=0.2, rng=1, format="csr")
    p = tmp_path / "t.petsc"
    _petscbin.write(p, A)
    raw = p.read_bytes()
    p.write_bytes(raw[:-20])
    e = errors_on_every_rank(2, lambda c: _rowread.read_local(p, c))
    assert isinstance(e, sk.InputValueError) and "claims" in str(e)
    p.write_bytes(raw[:4][::-1] + raw[4:])
    e = errors_on_every_rank(2, lambda c: _rowread.read_local(p, c))
    assert "byte-swapped" in str(e)


def test_other_refusals(tmp_path):
    arr = tmp_path / "d.mtx"
    arr.write_text("%%MatrixMarket matrix array real general\n2 1\n1.0\n2.0\n")
    with pytest.raises(sk.InputValueError, match="array \\(dense\\) file"):
        _rowread.read_rows(arr, 0, 1)
    txt = tmp_path / "d.txt"
    txt.write_text(arr.read_text())
    with pytest.raises(sk.InputValueError, match="expected .mtx, .mtx.gz, .npz or .petsc"):
        _rowread.read_rows(txt, 0, 1)
    bad = tmp_path / "h.mtx"
    bad.write_text("%%MatrixMarket matrix coordinate real general\n% c\n3 three 1\n1 1 1\n")
    with pytest.raises(sk.MatrixMarketError, match="line 3"):
        _rowread.read_rows(bad, 0, 1)
    bad.write_text("hello\n")
    with pytest.raises(sk.MatrixMarketError, match="line 1: not a Matrix Market file"):
        _rowread.read_rows(bad, 0, 1)
    dense = tmp_path / "x.npz"
    np.savez(dense, dense=np.eye(2))
    with pytest.raises(sk.InputValueError, match="dense array"):
        _rowread.read_rows(dense, 0, 1)
    sp.save_npz(dense, sp.dia_array(np.eye(3)))
    with pytest.raises(sk.InputValueError, match="'dia' matrix"):
        _rowread.read_rows(dense, 0, 1)
    with pytest.raises(sk.InputValueError, match="comm must be an mpi4py communicator"):
        _rowread.read_local(arr, comm=object())
    with pytest.raises(sk.InputValueError, match="chunk_bytes"):
        _rowread.read_local(arr, chunk_bytes=0)


def test_agree_maps_every_failure_to_a_sparsekit_error():
    def fail(exc):
        def on_rank_1(rank):
            if rank == 1:
                raise exc
            return rank

        return lambda c: _rowread.agree(c, lambda: on_rank_1(c.Get_rank()))

    for exc, cls in [(FileNotFoundError("x"), sk.DataNotFoundError),
                     (PermissionError("denied"), sk.InputValueError),
                     (sk.NotSquareError("3x4"), sk.NotSquareError),
                     (KeyError("k"), sk.SparsekitError)]:
        e = errors_on_every_rank(3, fail(exc))
        assert type(e) is cls and str(e).startswith("rank 1 of 3: ")


def test_a_nul_byte_or_a_missing_last_newline_is_refused_or_read_not_crashed(tmp_path):
    """fmm (under scipy.io.mmread) reads past a NUL byte or an unterminated last line; the
    row reader refuses the first with its line number and completes the second.  In a child
    process: a regression would crash it, not pytest."""
    import subprocess
    import sys
    import textwrap

    good = b"%%MatrixMarket matrix coordinate real general\n3 3 3\n1 1 1.5\n2 2 2.5\n3 3 3.5"
    (tmp_path / "nonl.mtx").write_bytes(good)
    (tmp_path / "nul.mtx").write_bytes(good.replace(b"2.5", b"2.5\0") + b"\n")
    code = textwrap.dedent(f"""
        import numpy as np, sparsekit as sk
        from sparsekit import _rowread
        b = _rowread.read_rows({str(tmp_path / 'nonl.mtx')!r}, 0, 3)
        assert np.allclose(b.toarray(), np.diag([1.5, 2.5, 3.5]))
        try:
            _rowread.read_rows({str(tmp_path / 'nul.mtx')!r}, 0, 3)
        except sk.MatrixMarketError as exc:
            assert exc.line == 4, exc.line
            print("refused")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "refused", out.stderr[-2000:]
