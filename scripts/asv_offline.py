"""Make a published asv dashboard work without network access.

asv's ``index.html`` loads jQuery, Flot, Bootstrap and a few plugins from
CDNs; offline the page shows only an error.  This copies the vendored copies
(``asv_benchmarks/vendor``, see its README) into ``HTML_DIR/vendor`` and points
every CDN ``<script src>``/``<link href>`` at them, with a fresh
subresource-integrity hash of the local file.  An external URL it has no copy
for is an error (exit 1) rather than a page that half works.

Usage: ``python scripts/asv_offline.py [HTML_DIR]`` (default
``asv_benchmarks/html``).  Running it twice is harmless.
"""

import base64
import hashlib
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "asv_benchmarks" / "vendor"

# basename of the CDN URL -> vendored file
FILES = {
    "jquery-3.3.1.min.js": "jquery.min.js",
    "jquery.min.js": "jquery.min.js",
    "jquery.flot.min.js": "jquery.flot.js",
    "jquery.flot.time.min.js": "jquery.flot.time.js",
    "jquery.flot.selection.min.js": "jquery.flot.selection.js",
    "jquery.flot.categories.min.js": "jquery.flot.categories.js",
    "jquery.flot.orderBars.js": "jquery.flot.orderBars.js",
    "stupidtable.min.js": "stupidtable.min.js",
    "md5.min.js": "md5.min.js",
    "bootstrap.min.js": "bootstrap.min.js",
    "bootstrap.min.css": "bootstrap.min.css",
}

_TAG = re.compile(r"<(script|link)\b[^>]*>", re.I)
_URL = re.compile(r'\b(src|href)="(https?://[^"]+)"', re.I)
_SRI = re.compile(r'\sintegrity="[^"]*"', re.I)


def _sri(path):
    digest = hashlib.sha384(path.read_bytes()).digest()
    return "sha384-" + base64.b64encode(digest).decode()


def _rewrite_tag(match, missing):
    tag = match.group(0)
    url = _URL.search(tag)
    if url is None:
        return tag
    name = url.group(2).rsplit("/", 1)[-1]
    local = FILES.get(name)
    if local is None:
        missing.append(url.group(2))
        return tag
    tag = tag.replace(url.group(0), f'{url.group(1)}="vendor/{local}"')
    integrity = f' integrity="{_sri(VENDOR / local)}"'
    return _SRI.sub(integrity, tag) if _SRI.search(tag) else tag


def make_offline(html_dir):
    """Rewrite the pages of ``html_dir``; return the external URLs left (none on success)."""
    html_dir = Path(html_dir)
    if not (html_dir / "index.html").is_file():
        raise FileNotFoundError(f"no index.html in {html_dir} (run `asv publish` first)")
    dest = html_dir / "vendor"
    dest.mkdir(exist_ok=True)
    for local in set(FILES.values()):
        shutil.copyfile(VENDOR / local, dest / local)
    missing = []
    for page in html_dir.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        new = _TAG.sub(lambda m: _rewrite_tag(m, missing), text)
        if new != text:
            page.write_text(new, encoding="utf-8")
    return missing


def main(argv):
    html_dir = Path(argv[1]) if len(argv) > 1 else ROOT / "asv_benchmarks" / "html"
    missing = make_offline(html_dir)
    if missing:
        print("asv_offline: no vendored copy of " + ", ".join(missing)
              + " (add it to asv_benchmarks/vendor and FILES)", file=sys.stderr)
        return 1
    print(f"asv_offline: {html_dir} loads its scripts from {html_dir / 'vendor'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
