"""``sk.datasets.fetch`` and ``sparsekit datasets fetch`` against a local server.

The server is ``http.server`` in a thread on 127.0.0.1, serving the collection's
layout ``MM/<Group>/<Name>.tar.gz``: tarballs made here from the shared real
matrices (found through ``sparsekit.datasets``), plus broken variants (a
corrupted stream, a file cut mid-way, an altered matrix, a malformed one, a
member outside the layout).  No test touches the internet.  After every
failure the data directory is listed: nothing half-written may be left.
References: ``scipy.io.mmread`` of the shared file, and the bytes served.
"""

import errno
import functools
import http.server
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp
from click.testing import CliRunner

import sparsekit as sk
from sparsekit import datasets
from sparsekit.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SERVED = ["nos6", "karate", "sherman1", "west0479", "bcsstk13"]


def _shared(name):
    if not datasets.available(name):
        pytest.skip(f"{name} not in {datasets.data_dir()} (the shared SuiteSparse matrices)")
    return Path(datasets.path(name))


def _tarball(members: dict) -> bytes:
    """A gzip-compressed tar archive of ``{arcname: bytes}``, as the collection serves."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for arcname, data in members.items():
            info = tarfile.TarInfo(arcname)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _altered(text: bytes) -> bytes:
    """The same Matrix Market file with the value of its last entry doubled."""
    lines = text.rstrip(b"\n").split(b"\n")
    fields = lines[-1].split()
    fields[2] = repr(2 * float(fields[2]) + 1.0).encode()
    return b"\n".join(lines[:-1] + [b" ".join(fields)]) + b"\n"


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict = {}
    cut: set = set()

    def do_GET(self):  # noqa: N802 - http.server's name
        body = self.routes.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/x-gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.path in self.cut:  # the server stops mid-file
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def shared():
    """Paths of the shared real matrices the server's tarballs are made of."""
    return {name: _shared(name) for name in [*SERVED, "sherman1_rhs1"]}


@pytest.fixture(scope="module")
def server(shared):
    """Base URLs of the local server, one per behaviour."""
    files = {name: shared[name].read_bytes() for name in SERVED}
    rhs = shared["sherman1_rhs1"].read_bytes()
    good = {
        "/good/MM/HB/nos6.tar.gz": _tarball({"nos6/nos6.mtx": files["nos6"]}),
        "/good/MM/Newman/karate.tar.gz": _tarball({"karate/karate.mtx": files["karate"]}),
        "/good/MM/HB/sherman1.tar.gz": _tarball({"sherman1/sherman1.mtx": files["sherman1"],
                                                 "sherman1/sherman1_b.mtx": rhs}),
        "/good/MM/HB/west0479.tar.gz": _tarball({"west0479/west0479.mtx": files["west0479"]}),
        "/good/MM/HB/bcsstk13.tar.gz": _tarball({"bcsstk13/bcsstk13.mtx": files["bcsstk13"]}),
    }
    nos6 = good["/good/MM/HB/nos6.tar.gz"]
    flipped = bytearray(nos6)
    flipped[len(flipped) // 2] ^= 0xFF
    header_only = files["nos6"][: files["nos6"].index(b"\n", 2000) + 1]
    routes = dict(good)
    routes["/cut/MM/HB/nos6.tar.gz"] = nos6
    routes["/flipped/MM/HB/nos6.tar.gz"] = bytes(flipped)
    routes["/html/MM/HB/nos6.tar.gz"] = b"<html><body>Maintenance</body></html>\n"
    routes["/altered/MM/HB/nos6.tar.gz"] = _tarball({"nos6/nos6.mtx": _altered(files["nos6"])})
    routes["/truncmm/MM/HB/nos6.tar.gz"] = _tarball({"nos6/nos6.mtx": header_only})
    routes["/escape/MM/HB/nos6.tar.gz"] = _tarball({"nos6/nos6.mtx": files["nos6"],
                                                    "../escaped.mtx": files["nos6"]})
    routes["/empty/MM/HB/nos6.tar.gz"] = _tarball({"nos6/README.txt": b"no matrix here\n"})
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:  # the matrix as a link out of the cache
        link = tarfile.TarInfo("nos6/nos6.mtx")
        link.type, link.linkname = tarfile.SYMTYPE, str(shared["nos6"])
        tar.addfile(link)
    routes["/link/MM/HB/nos6.tar.gz"] = buf.getvalue()
    _Handler.routes = routes
    _Handler.cut = {"/cut/MM/HB/nos6.tar.gz"}
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield {kind: f"{base}/{kind}" for kind in
           ("good", "cut", "flipped", "html", "altered", "truncmm", "escape", "empty", "link")} | {
        "root": base, "routes": routes}
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def cache(tmp_path, monkeypatch, server):
    """An empty data directory and the local server, as on a fresh install."""
    d = tmp_path / "cache"
    monkeypatch.setenv("SPARSEKIT_DATA", str(d))
    monkeypatch.setenv("SPARSEKIT_SUITESPARSE_URL", server["good"])
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    return d


def _left(folder: Path) -> list:
    """Everything under ``folder`` (hidden files included), relative."""
    if not folder.exists():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _same(A, path):
    ref = scipy.io.mmread(path)
    if sp.issparse(ref):
        assert A.shape == ref.shape and abs(sp.csr_array(A) - sp.csr_array(ref)).max() == 0
    else:
        np.testing.assert_array_equal(np.asarray(A).reshape(ref.shape), ref)


# ---------------------------------------------------------------------------
# a good fetch
# ---------------------------------------------------------------------------

def test_fetch_then_load_by_name(cache, shared):
    assert not datasets.available("nos6")
    p = datasets.fetch("nos6")
    assert p == cache / "nos6" / "nos6.mtx"
    assert p.read_bytes() == shared["nos6"].read_bytes()
    _same(datasets.load("nos6"), shared["nos6"])
    _same(datasets.load("HB/nos6"), shared["nos6"])
    rec = datasets.provenance("nos6")
    assert rec["group"] == "HB" and rec["url"].endswith("/MM/HB/nos6.tar.gz")
    assert rec["verified"] == "content fingerprint"
    import hashlib
    served = hashlib.sha256(_Handler.routes["/good/MM/HB/nos6.tar.gz"]).hexdigest()
    assert rec["sha256"] == served
    # nothing but the matrix and the record: no tarball, no private folder
    assert _left(cache) == ["nos6", "nos6/.sparsekit-fetch.json", "nos6/nos6.mtx"]


def test_fetch_twice_does_not_download_again(cache, monkeypatch, shared):
    p = datasets.fetch("karate")
    monkeypatch.setenv("SPARSEKIT_SUITESPARSE_URL", "http://127.0.0.1:9/nowhere")
    assert datasets.fetch("karate") == p  # found here: no request made
    with pytest.raises(sk.DataNotFoundError):
        datasets.fetch("karate", force=True)  # a refetch does ask, and fails cleanly
    assert p.read_bytes() == shared["karate"].read_bytes()  # the old copy stays
    assert not [x for x in _left(cache) if ".fetch-" in x]


def test_force_replaces_and_a_rhs_comes_with_its_matrix(cache, shared):
    p = datasets.fetch("sherman1_rhs1")  # the tarball sherman1 holds sherman1_b.mtx
    assert p == cache / "sherman1" / "sherman1_b.mtx"
    _same(datasets.load("sherman1_rhs1"), shared["sherman1_rhs1"])
    _same(datasets.load("sherman1"), shared["sherman1"])
    before = datasets.provenance("sherman1")
    datasets.fetch("sherman1", force=True)
    assert datasets.provenance("sherman1")["sha256"] == before["sha256"]
    assert not [x for x in _left(cache) if ".fetch-" in x or "replaced" in x]


def test_unknown_group_name_is_fetched_as_given(cache, monkeypatch, shared):
    monkeypatch.delitem(datasets._REGISTRY, "west0479")  # a collection matrix sparsekit does
    with pytest.raises(sk.UnknownMethodError):           # not know
        datasets.get("west0479")
    with pytest.raises(sk.DataNotFoundError, match="GROUP/NAME"):
        datasets.fetch("west0479")  # no group: cannot form the URL
    p = datasets.fetch("HB/west0479")
    assert p == cache / "west0479" / "west0479.mtx"
    assert datasets.provenance("west0479")["verified"] == "Matrix Market header"
    assert "west0479" in datasets.names() and "west0479" in datasets.names(source="suitesparse")
    assert datasets.get("west0479").group == "HB"
    _same(datasets.load("west0479"), shared["west0479"])
    _same(datasets.load("HB/west0479"), shared["west0479"])


def test_library_reports_download_through_the_progress_hook(cache):
    from sparsekit._progress import progress

    seen = []
    with progress(seen.append):
        datasets.fetch("bcsstk13")
    stages = [e.stage for e in seen]
    assert stages[0] == "download" and "verify" in stages
    assert "HB/bcsstk13" in str(seen[0])


# ---------------------------------------------------------------------------
# every failure: a clear error, nothing left in the data directory
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind, message", [
    ("cut", r"the server stopped sending mid-file \([\d,]+ bytes received, [\d,]+ more"),
    ("flipped", "not a complete gzip-compressed tar archive"),
    ("html", "not a complete gzip-compressed tar archive"),
    ("altered", r"not the matrix sparsekit knows as 'nos6' \(values fingerprint"),
    ("truncmm", r"not a valid matrix: nos6/nos6.mtx, line 14: the header claims 1,965"),
    ("escape", r"holds the member '../escaped.mtx', not a file or folder under nos6/"),
    ("empty", r"has no nos6/nos6.mtx"),
    ("link", r"holds a link 'nos6/nos6.mtx', not a file or folder under nos6/"),
])
def test_broken_downloads_leave_nothing(cache, server, monkeypatch, kind, message):
    monkeypatch.setenv("SPARSEKIT_SUITESPARSE_URL", server[kind])
    with pytest.raises(sk.DataNotFoundError, match=message) as info:
        datasets.fetch("nos6")
    assert "HB/nos6" in str(info.value)
    if kind == "cut":
        size = len(server["routes"]["/cut/MM/HB/nos6.tar.gz"])
        assert (f"({size // 2:,} bytes received, {size - size // 2:,} more expected)"
                in str(info.value))
    assert _left(cache) == []
    assert not (cache.parent / "escaped.mtx").exists()
    assert not datasets.available("nos6")


def test_known_hash_mismatch_is_refused(cache, server):
    import hashlib
    good = "sha256:" + hashlib.sha256(_Handler.routes["/good/MM/HB/nos6.tar.gz"]).hexdigest()
    with pytest.raises(sk.DataNotFoundError, match="checksum mismatch"):
        datasets.fetch("nos6", known_hash="sha256:" + "0" * 64)
    assert _left(cache) == []
    assert datasets.fetch("nos6", known_hash=good).is_file()


def test_missing_name_is_a_404_that_says_so(cache):
    with pytest.raises(sk.DataNotFoundError, match=r"HTTP 404 .*no such matrix"):
        datasets.fetch("HB/no_such_matrix")
    assert _left(cache) == []


def test_nothing_listening_is_a_network_error(cache, monkeypatch):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # the port is free: nothing listens there
    monkeypatch.setenv("SPARSEKIT_SUITESPARSE_URL", f"http://127.0.0.1:{port}")
    with pytest.raises(sk.DataNotFoundError, match="the connection was refused"):
        datasets.fetch("nos6")
    assert _left(cache) == []


def test_names_that_cannot_be_fetched(cache, monkeypatch):
    with pytest.raises(sk.UnknownMethodError, match="GROUP/NAME"):
        datasets.fetch("../../etc/passwd")
    with pytest.raises(sk.UnknownMethodError, match="HB/nos6"):
        datasets.fetch("Other/nos6")  # the registry knows its group
    with pytest.raises(sk.InputValueError, match="nothing to fetch"):
        datasets.fetch("poisson2d_256")
    with pytest.raises(sk.InputValueError, match="not an http"):
        datasets.fetch("nos6", server="ftp://example.org")
    assert _left(cache) == []


def test_failing_writer_is_a_full_disk(cache, monkeypatch):
    def full(src, dst, length=0):
        dst.write(src.read(4096))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(datasets.shutil, "copyfileobj", full)
    with pytest.raises(sk.DataNotFoundError, match="no space left in the data directory"):
        datasets.fetch("nos6")
    assert _left(cache) == []


def test_cache_under_a_file_is_unwritable(cache, monkeypatch, tmp_path):
    (tmp_path / "afile").write_text("x")
    monkeypatch.setenv("SPARSEKIT_DATA", str(tmp_path / "afile" / "cache"))
    with pytest.raises(sk.InputValueError, match="cannot write to the data directory"):
        datasets.fetch("nos6")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_read_only_cache_folder(cache):
    cache.mkdir()
    cache.chmod(0o500)
    try:
        with pytest.raises(sk.InputValueError, match="SPARSEKIT_DATA to a writable folder"):
            datasets.fetch("nos6")
        assert _left(cache) == []
    finally:
        cache.chmod(0o700)


@functools.lru_cache(maxsize=1)
def _unshare_works() -> bool:
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return False
    r = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=16k tmpfs /mnt"],
                       capture_output=True, timeout=30)
    return r.returncode == 0


_IN_NAMESPACE = textwrap.dedent("""
    import json, os, sys
    import sparsekit as sk
    cache = os.environ["SPARSEKIT_DATA"]
    try:
        sk.datasets.fetch(sys.argv[1])
        got = {"type": None}
    except Exception as exc:
        got = {"type": type(exc).__name__, "message": str(exc)}
    got["left"] = sorted(os.path.relpath(os.path.join(d, f), cache)
                         for d, ds, fs in os.walk(cache) for f in ds + fs)
    print(json.dumps(got))
""")


def _in_tmpfs(tmp_path, server, options, name):
    """Fetch ``name`` into a fresh tmpfs mounted with ``options``, in a private namespace."""
    mnt = tmp_path / "mnt"
    mnt.mkdir(exist_ok=True)
    env = dict(os.environ, SPARSEKIT_DATA=str(mnt), SPARSEKIT_SUITESPARSE_URL=server["good"],
               NO_PROXY="127.0.0.1", no_proxy="127.0.0.1",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    script = f'mount -t tmpfs -o {options} tmpfs "$0" && exec "$@"'
    r = subprocess.run(["unshare", "-rm", "sh", "-c", script, str(mnt), sys.executable, "-c",
                        _IN_NAMESPACE, name], env=env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not _unshare_works(), reason="unshare -rm (a private tmpfs) not allowed")
@pytest.mark.parametrize("size, name", [("16k", "bcsstk13"),  # full during the download
                                        ("24k", "nos6")])    # full while unpacking
def test_full_tmpfs_leaves_nothing(tmp_path, server, size, name):
    got = _in_tmpfs(tmp_path, server, f"size={size}", name)
    assert got["type"] == "DataNotFoundError", got
    assert "no space left in the data directory" in got["message"]
    assert got["left"] == []


@pytest.mark.skipif(not _unshare_works(), reason="unshare -rm (a private tmpfs) not allowed")
def test_read_only_tmpfs_is_unwritable(tmp_path, server):
    got = _in_tmpfs(tmp_path, server, "ro", "nos6")
    assert got["type"] == "InputValueError", got
    assert "set SPARSEKIT_DATA to a writable folder" in got["message"]
    assert got["left"] == []


@pytest.mark.skipif(not _unshare_works(), reason="unshare -rm (a private tmpfs) not allowed")
def test_roomy_tmpfs_fetches(tmp_path, server):
    got = _in_tmpfs(tmp_path, server, "size=4m", "nos6")
    assert got["type"] is None, got
    assert got["left"] == ["nos6", "nos6/.sparsekit-fetch.json", "nos6/nos6.mtx"]


# ---------------------------------------------------------------------------
# the command line
# ---------------------------------------------------------------------------

def _shell(*args, env):
    e = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    e.update(env)
    return subprocess.run([sys.executable, "-m", "sparsekit", *map(str, args)], env=e,
                          capture_output=True, text=True, timeout=120)


def test_cli_fetch_then_info_end_to_end(cache, server, shared):
    env = {"SPARSEKIT_DATA": str(cache), "SPARSEKIT_SUITESPARSE_URL": server["good"],
           "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    r = _shell("info", "nos6", env=env)
    assert r.returncode == 2 and "sparsekit datasets fetch nos6" in r.stderr
    r = _shell("datasets", "fetch", "nos6", "Newman/karate", env=env)
    assert r.returncode == 0, r.stderr
    assert "HB/nos6: 675 x 675" in r.stdout and "Newman/karate: 34 x 34" in r.stdout
    r = _shell("info", "nos6", "--json", env=env)
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)["files"][0]
    ref = scipy.io.mmread(shared["nos6"])
    assert tuple(rep["shape"]) == ref.shape and rep["nnz"] == ref.nnz
    assert rep["file"] == str(cache / "nos6" / "nos6.mtx")
    r = _shell("datasets", "fetch", "nos6", "--json", env=env)  # already here
    got = json.loads(r.stdout)
    assert got["ok"] and got["datasets"][0]["fetched"] is False
    assert got["datasets"][0]["sha256"] == __import__("hashlib").sha256(
        server["routes"]["/good/MM/HB/nos6.tar.gz"]).hexdigest()


@pytest.mark.parametrize("args, kind, message", [
    (["HB/no_such_matrix"], "good", "HTTP 404"),
    (["nos6"], "flipped", "not a complete gzip-compressed tar archive"),
    (["nos6"], "altered", "not the matrix sparsekit knows"),
    (["nos6"], "cut", "failed"),
    (["no_such_name"], "good", "GROUP/NAME"),
])
def test_cli_fetch_failures_exit_2(cache, server, monkeypatch, args, kind, message):
    monkeypatch.setenv("SPARSEKIT_SUITESPARSE_URL", server[kind])
    r = CliRunner().invoke(cli, ["datasets", "fetch", *args, "--json"], catch_exceptions=False)
    assert r.exit_code == 2, r.output
    got = json.loads(r.stdout)
    assert got["ok"] is False and message in got["error"]["message"]
    assert got["error"]["type"] == "DataNotFoundError"
    assert _left(cache) == []


def test_cli_fetch_into_unwritable_folder_exits_2(cache, tmp_path, monkeypatch):
    (tmp_path / "afile").write_text("x")
    monkeypatch.setenv("SPARSEKIT_DATA", str(tmp_path / "afile" / "sub"))
    r = CliRunner().invoke(cli, ["datasets", "fetch", "nos6"], catch_exceptions=False)
    assert r.exit_code == 2 and "writable folder" in r.stderr

