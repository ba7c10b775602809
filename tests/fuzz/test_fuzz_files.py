"""Files from the internet: mutated real Matrix Market files and crafted ``.npz`` files.

Each batch is read in one child process (``run_child``): a crash fails the test
with the file that caused it.  References: a file read successfully is written
back and must read back equal; an ``.npz`` the gate accepts must load equal
through ``scipy.sparse.load_npz`` (which trusts the arrays, so a wrong
acceptance would crash the child).
"""

import gzip
import io
import random
import zipfile

import numpy as np
import scipy.sparse as sp
from _child import run_child

import sparsekit as sk

#: small real files of every kind: pattern, integer, complex, symmetric, array, rectangular
REAL = ["karate", "LF10", "Trefethen_20b", "hor_131", "young1c", "illc1033_rhs1", "jazz",
        "ash219", "bcsstk09", "494_bus", "west0479", "poisson2d_64"]
TOKENS = [b"0", b"-1", b"1000000000000", b"10000000000000", b"symmetric", b"pattern", b"array",
          b"complex", b"integer", b"hermitian", b"skew-symmetric", b"vector", b"3", b"1e999",
          b"nan", b"-0", b"2147483648"]


def _sources(tmp_path):
    """The real files here (through the dataset registry), else generated stand-ins."""
    found = []
    for name in REAL:
        if sk.datasets.available(name):
            try:
                p = sk.datasets.path(name)
            except sk.DataNotFoundError:  # generated on demand: no file
                continue
            data = p.read_bytes()
            found.append(gzip.decompress(data) if p.name.endswith(".gz") else data)
    if len(found) < 3:  # no shared data: files sparsekit writes, of several kinds
        rng = np.random.default_rng(0)
        for k, A in enumerate([sk.poisson((5, 4)), sp.random_array((7, 5), density=0.4,
                                                                   rng=rng),
                               np.arange(6.0).reshape(3, 2), sk.laplacian(
                                   (np.array([0, 1, 2]), np.array([1, 2, 0])))]):
            p = tmp_path / f"src{k}.mtx"
            sk.io.write(p, A)
            found.append(p.read_bytes())
            p.unlink()
    return found


def _mutate(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data[:200_000])  # the head of big files: the header and enough entries
    for _ in range(rng.randint(1, 4)):
        op = rng.random()
        i = rng.randrange(len(b) + 1)
        if op < 0.2:
            b[i:i] = b"\0"  # NUL bytes: after a value they sent fmm past its buffer
        elif op < 0.32:
            del b[i:]  # truncation
        elif op < 0.45 and b:
            b[min(i, len(b) - 1)] = rng.randrange(256)
        elif op < 0.58:
            b[i:i] = rng.choice([b" ", b"\n", b"-", b"e", b"%", b"\t", b"\r", b".", b" 7"])
        elif op < 0.66:
            del b[i:i + rng.randint(1, 40)]
        elif op < 0.84:  # a header token: huge sizes, another field or symmetry
            lines = bytes(b).split(b"\n")
            j = rng.randrange(min(len(lines), 40))
            toks = lines[j].split(b" ")
            toks[rng.randrange(len(toks))] = rng.choice(TOKENS)
            b = bytearray(b"\n".join(lines))
        else:  # no final newline, or trailing characters on the last line
            b = bytearray(bytes(b).rstrip(b"\n") + rng.choice([b"", b" ", b" 1.5", b"\0"]))
    return bytes(b)


READ_MM = """
import json, os, sys
from pathlib import Path
import fast_matrix_market as fmm
import numpy as np, scipy.sparse as sp
import sparsekit as sk
from sparsekit import _guards
out_dir, paths = sys.argv[1], sys.argv[2:]
report = {"ok": 0, "refused": {}, "raw": [], "no_line": [], "round_trip": [], "header": [],
          "quick": 0}
FIELDS = ("object", "format", "field", "symmetry")
for k, path in enumerate(paths):
    print("START", path, flush=True)
    try:  # the guard's own reading of a canonical header agrees with fmm's
        head = _guards.read_head(Path(path), scan=True)
    except sk.SparsekitError:
        head = None
    if head is not None and type(head.header).__name__ == "_Header":
        report["quick"] += 1
        h = head.header
        mine = [list(h.shape), h.nnz] + [getattr(h, f) for f in FIELDS]
        try:
            f = fmm.read_header(path)
            ref = [list(f.shape), f.nnz] + [getattr(f, n) for n in FIELDS]
        except Exception as exc:
            ref = repr(exc)
        if mine != ref:
            report["header"].append([path, mine, ref])
    for fn in (sk.io.info, sk.io.read):
        try:
            A = fn(path)
        except sk.SparsekitError as exc:
            report["refused"][type(exc).__name__] = report["refused"].get(type(exc).__name__, 0) + 1
            if isinstance(exc, sk.MatrixMarketError) and exc.line is None:
                report["no_line"].append([path, str(exc)])
            break
        except BaseException as exc:
            report["raw"].append([path, fn.__name__, type(exc).__name__, str(exc)[:300]])
            break
    else:
        report["ok"] += 1
        if k % 3 == 0 and (not hasattr(A, "nnz") or A.nnz < 20000):  # the writer on it too
            target = os.path.join(out_dir, f"w{k}" + (".mtx", ".mtx.gz", ".npz")[k % 9 // 3])
            try:
                sk.io.write(target, A)
                B = sk.io.read(target)
                same = (A.toarray() if sp.issparse(A) else A, B.toarray() if sp.issparse(B) else B)
                np.testing.assert_array_equal(*same)
            except sk.SparsekitError:
                pass
            except BaseException as exc:
                report["round_trip"].append([path, type(exc).__name__, str(exc)[:300]])
print(json.dumps(report))
"""


def test_mutated_matrix_market_files_never_crash_and_name_their_line(tmp_path):
    rng = random.Random(18)
    sources = _sources(tmp_path)
    inputs, outputs = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    outputs.mkdir()
    paths, nul = [], 0
    for k in range(360):
        data = _mutate(rng.choice(sources), rng)
        nul += b"\0" in data
        p = inputs / (f"m{k}.mtx.gz" if k % 5 == 0 else f"m{k}.mtx")
        p.write_bytes(gzip.compress(data, mtime=0) if k % 5 == 0 else data)
        paths.append(p)
    report = run_child(READ_MM, outputs, *paths)
    assert report["raw"] == [], report["raw"][:5]
    assert report["no_line"] == [], report["no_line"][:5]
    assert report["round_trip"] == [], report["round_trip"][:5]
    assert report["header"] == [], report["header"][:5]
    assert report["quick"] > 100
    # not vacuous: NUL bytes went in, files were refused and others read
    assert nul > 50 and report["ok"] > 30 and report["refused"].get("MatrixMarketError", 0) > 150
    assert sorted(p.name for p in inputs.iterdir()) == sorted(p.name for p in paths)
    assert all(not p.name.startswith(".") for p in outputs.iterdir())  # no temporary left


def _random_index(rng, n):
    dtype = rng.choice(["int32", "int64", "uint64", ">i4", "int8", "float64", "bool"])
    lo, hi = rng.choice([(0, 4), (-3, 6), (0, 2**31 + 5)])
    return np.array([rng.randint(lo, hi) for _ in range(n)]).astype(dtype)


def _crafted(rng: random.Random) -> dict:
    """A sparse (or dense) .npz member set, valid or with one random fault."""
    m, n = rng.randint(0, 5), rng.randint(0, 5)
    A = sp.random_array((m, n), density=rng.random(), rng=np.random.default_rng(rng.randrange(99)),
                        format="csr" if rng.random() < 0.5 else "csc")
    parts = dict(format=np.array(A.format), shape=np.array(A.shape), data=A.data,
                 indices=A.indices, indptr=A.indptr)
    if rng.random() < 0.25:
        C = A.tocoo()
        parts = dict(format=np.array(b"coo"), shape=np.array(A.shape), data=C.data, row=C.row,
                     col=C.col)
    fault = rng.choice(["none", "index", "indptr", "shape", "data", "format", "dense", "extra"])
    key = rng.choice([k for k in parts if k != "format"])
    if fault == "index":
        parts[key] = _random_index(rng, max(len(np.atleast_1d(parts[key])) + rng.randint(-2, 2),
                                            0))
    elif fault == "indptr" and "indptr" in parts:
        parts["indptr"] = np.sort(_random_index(rng, len(parts["indptr"])))[::rng.choice([1, -1])]
    elif fault == "shape":
        parts["shape"] = np.array(rng.choice([[-1, 3], [3], [2, 2, 2], [10**12, 10**12],
                                              [2.5, 3.0], [m, n + 7]]))
    elif fault == "data":
        parts["data"] = rng.choice([np.array(["x"] * len(parts["data"])),
                                    np.ones((len(parts["data"]), 2)),
                                    np.full(len(parts["data"]), np.nan),
                                    np.ones(len(parts["data"]), dtype=np.float16)])
    elif fault == "format":
        parts["format"] = np.array(rng.choice(["bsr", "dia", "", "csrx", "lil"]))
    elif fault == "dense":
        parts = dict(dense=rng.choice([np.ones((2, 2, 2)), np.ones(()), np.array(["a"]),
                                       np.full((3, 2), np.inf), np.ones((0, 4))]))
    return parts


READ_NPZ = """
import contextlib, io, json, sys
import numpy as np, scipy.sparse as sp
import sparsekit as sk
from sparsekit.cli import main
report = {"ok": 0, "refused": 0, "raw": [], "mismatch": [], "cli": []}
for path in sys.argv[1:]:
    print("START", path, flush=True)
    try:
        A = sk.io.read(path)
    except sk.SparsekitError:
        report["refused"] += 1
    except BaseException as exc:
        report["raw"].append([path, type(exc).__name__, str(exc)[:300]])
    else:
        report["ok"] += 1
        if sp.issparse(A):  # accepted: a plain scatter of the file's own arrays agrees
            z = np.load(path)
            m, n = (int(s) for s in z["shape"])
            if "indptr" in z.files:
                major = np.repeat(np.arange(len(z["indptr"]) - 1), np.diff(z["indptr"]))
                minor = z["indices"][:major.size]
                rc = (major, minor) if z["format"].item() in ("csr", b"csr") else (minor, major)
            else:
                rc = (z["row"], z["col"])
            ref = np.zeros((m, n), dtype=A.dtype)
            np.add.at(ref, (rc[0].astype(np.int64), rc[1].astype(np.int64)),
                      z["data"][:rc[0].size].astype(A.dtype))
            if not np.array_equal(A.toarray(), ref, equal_nan=True):
                report["mismatch"].append(path)
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(io.StringIO()):
        try:
            main(["info", path, "--no-plan", "--json"])
        except SystemExit as done:
            code = done.code
    try:
        data = json.loads(stdout.getvalue().strip().splitlines()[-1])
        ok = code in (0, 2) and data["exit_code"] == code
    except Exception:
        ok = False
    if not ok:
        report["cli"].append([path, code, stdout.getvalue()[-300:]])
print(json.dumps(report))
"""


def test_crafted_npz_files_never_crash(tmp_path):
    rng = random.Random(1)
    paths = []
    for k in range(140):
        p = tmp_path / f"c{k}.npz"
        buf = io.BytesIO()
        np.savez(buf, **_crafted(rng))
        data = buf.getvalue()
        if k % 7 == 0:  # damage the archive itself
            cut = rng.randrange(len(data))
            data = data[:cut] if k % 2 else data[:cut] + bytes([rng.randrange(256)]) + data[cut:]
        p.write_bytes(data)
        paths.append(p)
    (tmp_path / "text.npz").write_text("not a zip")
    paths.append(tmp_path / "text.npz")
    with zipfile.ZipFile(tmp_path / "empty.npz", "w"):
        pass
    paths.append(tmp_path / "empty.npz")
    report = run_child(READ_NPZ, *paths)
    assert report["raw"] == [], report["raw"][:5]
    assert report["mismatch"] == [], report["mismatch"][:5]
    assert report["cli"] == [], report["cli"][:5]
    assert report["ok"] > 15 and report["refused"] > 60  # both sides exercised
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)


def test_mutated_edge_lists_and_token_files_are_read_or_refused(tmp_path):
    import warnings

    rng = random.Random(7)
    base = [b"a,b,1\nb,c,2\n", b"0 1\n1 2\n2 0\n", b"source\ttarget\tweight\nx\ty\t0.5\n",
            b"the cat sat\n\nthe dog\n", b"0 1\n1 7\n", b"3 1 4 1 5\n"]
    inserts = [b",", b"\t", b"\n", b"#", b"%", b"nan", b"inf", b"-1", b"99999999999999999999",
               b"\0", b" ", b"1e400", b"\xff"]
    raw = []
    for k in range(250):
        b = bytearray(rng.choice(base))
        for _ in range(rng.randint(1, 4)):
            i, op = rng.randrange(len(b) + 1), rng.random()
            if op < 0.3:
                b[i:i] = bytes([rng.randrange(256)])
            elif op < 0.5:
                del b[i:i + 3]
            elif op < 0.8:
                b[i:i] = rng.choice(inserts)
            else:
                del b[i:]
        for suffix, read in ((".csv", sk.io.read_edges), (".txt", sk.io.read_edges),
                             (".txt", sk.io.read_tokens)):
            p = tmp_path / f"f{k}{suffix}"
            p.write_bytes(bytes(b))
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("error", RuntimeWarning)  # no silent bad casts
                    got = read(p)
            except sk.SparsekitError:
                continue
            except Exception as exc:  # noqa: BLE001 - the finding
                raw.append((bytes(b), read.__name__, type(exc).__name__, str(exc)[:200]))
                continue
            if read is sk.io.read_edges and got[3] is None:  # integer ids: exact
                assert (got[0] >= 0).all() and (got[1] >= 0).all()
    assert raw == [], raw[:5]
