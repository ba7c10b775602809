"""PETSc's binary format without petsc4py (sparsekit._petscbin), serially.

References: golden bytes packed here with ``struct`` from PETSc's documented
layout (big-endian class id, sizes, row lengths, column indices, values), for
the kinds the installed PETSc cannot write (complex scalars, 64-bit indices);
petsc4py's own viewer (``Mat.view``/``Mat.load`` in this process, one rank)
where it is installed; and the matrices themselves (dense numpy, the shared
SuiteSparse files read by ``sparsekit.io.read``).  The same files under
``mpiexec -n 2`` are in ``tests/test_petsc.py``.
"""

from __future__ import annotations

import importlib.util
import io
import struct

import numpy as np
import pytest
import scipy.sparse as sp

import sparsekit as sk
from sparsekit import _petscbin

MAT, VEC = 1211216, 1211214


def golden_mat(dense: np.ndarray, index: str, scalar: str) -> bytes:
    """The bytes of PETSc's AIJ format, packed entry by entry with struct (a plain loop)."""
    M, N = dense.shape
    rows = [[(j, dense[i, j]) for j in range(N) if dense[i, j] != 0] for i in range(M)]
    nz = sum(len(r) for r in rows)
    out = struct.pack(f">4{index}", MAT, M, N, nz)
    out += struct.pack(f">{M}{index}", *[len(r) for r in rows])
    out += struct.pack(f">{nz}{index}", *[j for r in rows for j, _ in r])
    for r in rows:
        for _, v in r:
            out += struct.pack(">dd", v.real, v.imag) if scalar == "complex" else \
                struct.pack(">d", v)
    return out


def small(complex_: bool = False) -> np.ndarray:
    A = np.array([[4.0, 0, -1, 0], [0, 0, 0, 0], [2.5, 0, 3, 7], [0, -1e-300, 0, 1e300]])
    if complex_:
        A = A + 1j * np.array([[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, -2, 0], [0, 3, 0, 0]])
    return A


@pytest.mark.parametrize("index", ["i", "q"])
@pytest.mark.parametrize("scalar", ["real", "complex"])
def test_writer_matches_golden_bytes_and_reader_reads_them(index, scalar):
    dense = small(scalar == "complex")
    gold = golden_mat(dense, index, scalar)
    buf = io.BytesIO()
    _petscbin.write(buf, sp.csr_array(dense), index_dtype=np.int32 if index == "i" else np.int64)
    assert buf.getvalue() == gold
    A = _petscbin.read(io.BytesIO(gold))
    assert A.dtype == (np.complex128 if scalar == "complex" else np.float64)
    np.testing.assert_array_equal(A.toarray(), dense)
    meta = _petscbin.info(io.BytesIO(gold))
    assert meta.index_dtype.itemsize == (4 if index == "i" else 8)
    assert (meta.shape, meta.nnz, meta.kind, meta.dense) == (
        (4, 4), np.count_nonzero(dense), "Mat", False)


@pytest.mark.parametrize("index", ["i", "q"])
def test_vector_and_dense_golden(index):
    x = np.array([1.5, -2.0, 0.0, 1e-310])
    gold = struct.pack(f">2{index}", VEC, 4) + struct.pack(">4d", *x)
    buf = io.BytesIO()
    _petscbin.write(buf, x, index_dtype=np.int32 if index == "i" else np.int64)
    assert buf.getvalue() == gold
    np.testing.assert_array_equal(_petscbin.read(io.BytesIO(gold)), x)
    D = np.arange(6.0).reshape(2, 3)
    gold = struct.pack(f">4{index}", MAT, 2, 3, -1) + struct.pack(">6d", *D.ravel())
    buf = io.BytesIO()
    _petscbin.write(buf, D, index_dtype=np.int32 if index == "i" else np.int64)
    assert buf.getvalue() == gold
    np.testing.assert_array_equal(_petscbin.read(io.BytesIO(gold)), D)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.int64, bool])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_round_trip_random_with_empty_rows(tmp_path, dtype, index_dtype):
    rng = np.random.default_rng(3)
    A = sp.random_array((57, 31), density=0.1, rng=rng, format="csr")
    A = A + 1j * sp.random_array((57, 31), density=0.05, rng=rng) if dtype is np.complex128 \
        else A
    A = sp.csr_array(A.astype(dtype))
    keep = np.ones(57)
    keep[5:9] = 0  # rows with no entries
    A = sp.csr_array(sp.diags_array(keep) @ A)
    A.eliminate_zeros()
    p = tmp_path / "A.petsc"
    _petscbin.write(p, A, index_dtype=index_dtype)
    B = _petscbin.read(p)
    np.testing.assert_array_equal(B.toarray(), A.toarray().astype(B.dtype))
    for start, stop in [(0, 57), (3, 10), (56, 57), (20, 20), (0, 0)]:
        R = _petscbin.read_rows(p, start, stop)
        assert R.shape == (stop - start, 31)
        np.testing.assert_array_equal(R.toarray(), B.toarray()[start:stop])


def test_real_matrix_round_trip(tmp_path, real):
    A = sp.csr_array(real("bcsstk13"))
    p = tmp_path / "bcsstk13.petsc"
    _petscbin.write(p, A)
    # 16 header bytes + 4 per row + (4 + 8) per entry
    assert p.stat().st_size == 16 + 4 * A.shape[0] + 12 * A.nnz
    B = _petscbin.read(p)
    assert (B != A).nnz == 0
    rows = _petscbin.read_rows(p, 700, 1400)
    assert (rows != A[700:1400]).nnz == 0


def test_duplicates_summed_and_columns_sorted_on_write():
    A = sp.coo_array(([1.0, 2.0, 5.0], ([0, 0, 0], [2, 2, 0])), shape=(1, 3))
    buf = io.BytesIO()
    _petscbin.write(buf, A)
    raw = buf.getvalue()
    assert struct.unpack(">4i", raw[:16]) == (MAT, 1, 3, 2)
    assert struct.unpack(">i2i2d", raw[16:]) == (2, 0, 2, 5.0, 3.0)


def test_a_matrix_followed_by_a_vector_reads_the_matrix(tmp_path):
    A = sp.csr_array(small())
    buf = io.BytesIO()
    _petscbin.write(buf, A)
    _petscbin.write(buf, np.ones(4))
    B = _petscbin.read(io.BytesIO(buf.getvalue()))  # float64 told by the Vec's class id after it
    np.testing.assert_array_equal(B.toarray(), A.toarray())


# ------------------------------------------------------------------ petsc4py's own viewer

needs_petsc4py = pytest.mark.skipif(importlib.util.find_spec("petsc4py") is None,
                                    reason="petsc4py missing: bash scripts/install-petsc.sh")


def _petsc():
    import petsc4py

    petsc4py.init([])
    from petsc4py import PETSc

    return PETSc


@needs_petsc4py
def test_petsc4py_reads_what_sparsekit_wrote(tmp_path, real):
    PETSc = _petsc()
    A = sp.csr_array(real("west0479"))  # nonsymmetric
    p = tmp_path / "w.petsc"
    _petscbin.write(p, A)
    _petscbin.write(tmp_path / "x.petsc", np.linspace(0, 1, 479))
    viewer = PETSc.Viewer().createBinary(str(p), mode="r", comm=PETSc.COMM_SELF)
    M = PETSc.Mat().create(comm=PETSc.COMM_SELF)
    M.setType("aij")
    M.load(viewer)
    ai, aj, av = M.getValuesCSR()
    B = sp.csr_array((av, aj, ai), shape=M.getSize())
    assert (B != A).nnz == 0
    viewer = PETSc.Viewer().createBinary(str(tmp_path / "x.petsc"), mode="r",
                                         comm=PETSc.COMM_SELF)
    v = PETSc.Vec().load(viewer)
    np.testing.assert_array_equal(v.getArray(), np.linspace(0, 1, 479))
    for obj in (M, v, viewer):
        obj.destroy()


@needs_petsc4py
def test_sparsekit_reads_what_petsc4py_wrote(tmp_path, real):
    PETSc = _petsc()
    A = sp.csr_array(real("orsirr_1"))
    M = PETSc.Mat().createAIJ(size=A.shape, comm=PETSc.COMM_SELF,
                              csr=(A.indptr.astype(PETSc.IntType),
                                   A.indices.astype(PETSc.IntType), A.data))
    M.assemble()
    x = PETSc.Vec().createWithArray(np.arange(5.0), comm=PETSc.COMM_SELF)
    p = tmp_path / "o.petsc"
    viewer = PETSc.Viewer().createBinary(str(p), mode="w", comm=PETSc.COMM_SELF)
    M.view(viewer)
    x.view(viewer)  # a file holding a Mat then a Vec, as PETSc's examples write
    for obj in (viewer, M, x):
        obj.destroy()
    assert (_petscbin.read(p) != A).nnz == 0
    assert (_petscbin.read_rows(p, 100, 600) != A[100:600]).nnz == 0
    assert _petscbin.info(p).index_dtype.itemsize == np.dtype(PETSc.IntType).itemsize


# ------------------------------------------------------------------ bad input


def _file(tmp_path, raw: bytes, name="bad.petsc"):
    p = tmp_path / name
    p.write_bytes(raw)
    return p


def test_byte_swapped_files_are_named(tmp_path):
    gold = golden_mat(small(), "i", "real")
    swapped = struct.pack("<4i", MAT, 4, 4, 8) + gold[16:]
    with pytest.raises(sk.InputValueError, match="byte-swapped.*big-endian"):
        _petscbin.read(_file(tmp_path, swapped))
    swapped64 = struct.pack("<2q", VEC, 0)
    with pytest.raises(sk.InputValueError, match="byte-swapped"):
        _petscbin.info(_file(tmp_path, swapped64))


@pytest.mark.parametrize("cut", [3, 10, 16, 20, 40, 80])
def test_truncated_files(tmp_path, cut):
    gold = golden_mat(small(), "i", "real")  # 16 + 16 + 7 * 4 + 7 * 8 = 116 bytes
    with pytest.raises(sk.InputValueError, match="truncated|claims") as err:
        _petscbin.read(_file(tmp_path, gold[:cut]))
    assert "bad.petsc" in str(err.value)
    with pytest.raises(sk.InputValueError):
        _petscbin.read_rows(_file(tmp_path, gold[:cut]), 0, 1)


def test_header_claiming_more_entries_than_the_file_has(tmp_path):
    gold = golden_mat(small(), "i", "real")
    more = struct.pack(">4i", MAT, 4, 4, 8) + gold[16:]  # 7 entries in the file
    with pytest.raises(sk.InputValueError, match="claims 8 entries, .* only 116 bytes"):
        _petscbin.read(_file(tmp_path, more))


def test_lengths_that_do_not_sum_to_nz(tmp_path):
    gold = bytearray(golden_mat(small(), "i", "real"))
    gold[16:20] = struct.pack(">i", 1)  # row 0 claims 1 entry instead of 2: sum 6 != 7
    with pytest.raises(sk.InputValueError, match="sum to 6 but the header claims nz=7"):
        _petscbin.read(_file(tmp_path, bytes(gold)))
    with pytest.raises(sk.InputValueError, match="sum to 6"):
        _petscbin.read_rows(_file(tmp_path, bytes(gold)), 2, 3)


def test_column_out_of_range_and_negative_sizes(tmp_path):
    gold = bytearray(golden_mat(small(), "i", "real"))
    gold[32:36] = struct.pack(">i", 4)  # first column index 4 in a 4-column matrix
    with pytest.raises(sk.InputValueError, match="column index 4 outside 0..3"):
        _petscbin.read(_file(tmp_path, bytes(gold)))
    with pytest.raises(sk.InputValueError, match="negative sizes"):
        _petscbin.read(_file(tmp_path, struct.pack(">4i", MAT, -2, 4, 0)))


def test_other_objects_and_unknown_bytes(tmp_path):
    with pytest.raises(sk.InputValueError, match="index set"):
        _petscbin.read(_file(tmp_path, struct.pack(">2i", 1211218, 0)))
    with pytest.raises(sk.InputValueError, match="unknown class id"):
        _petscbin.read(_file(tmp_path, b"%%MatrixMarket matrix"))
    with pytest.raises(sk.DataNotFoundError, match="no such file"):
        _petscbin.read(tmp_path / "missing.petsc")


def test_scalar_type_ambiguity_and_explicit_choices(tmp_path):
    gold = golden_mat(small(), "i", "real")
    with pytest.raises(sk.InputValueError, match="fit no scalar type"):
        _petscbin.read(_file(tmp_path, gold + b"\0" * 12))
    with pytest.raises(sk.InputValueError, match="int64 was asked but the header holds 32-bit"):
        _petscbin.read(io.BytesIO(gold), index_dtype=np.int64)
    A = _petscbin.read(io.BytesIO(golden_mat(small(True), "i", "complex")), dtype=np.complex128)
    np.testing.assert_array_equal(A.toarray(), small(True))
    with pytest.raises(sk.InputValueError, match="index_dtype must be int32 or int64"):
        _petscbin.write(io.BytesIO(), sp.eye_array(2), index_dtype=np.int16)


def test_read_rows_refuses_dense_and_bad_ranges(tmp_path):
    p = tmp_path / "d.petsc"
    _petscbin.write(p, np.eye(3))
    with pytest.raises(sk.InputValueError, match="dense Mat"):
        _petscbin.read_rows(p, 0, 1)
    _petscbin.write(p, sp.eye_array(3))
    with pytest.raises(sk.InputValueError, match="0 <= start <= stop <= 3"):
        _petscbin.read_rows(p, 2, 5)


def test_info_repr():
    buf = io.BytesIO(golden_mat(small(True), "q", "complex"))
    assert repr(_petscbin.info(buf)) == (
        "PetscBinaryInfo(<stream>: sparse Mat 4x4, 7 entries, complex128 scalars, "
        "64-bit indices)")
