"""Every example in README.md and docs/*.md runs, and the docs carry no machine's paths.

* Python: every ``>>>`` example is a doctest (pytest collects README.md and docs/*.md
  with ``--doctest-glob``, see pyproject.toml); a fenced ``python`` block without
  ``>>>`` prompts must be marked ``<!-- illustrative: why -->`` on the line above.
* Shell: every ``$ command`` of a fenced ``console`` block runs here
  (``scripts/doc_outputs.py`` writes the outputs in and states the rules): the blocks of
  one document in order, in one scratch folder of its own, a 100-column terminal,
  exiting as shown (``$ echo $?``, else 0) and printing what is shown, numbers
  aside.  A block marked ``<!-- illustrative: why -->`` is not run.
"""

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import doc_outputs as docs  # noqa: E402  (the script that writes the outputs in)

DOCS = [*docs.documents(), ROOT / "CHANGELOG.md"]
# /work/..., /tmp/..., /root/..., /home/<user>/..., /Users/<user>/..., C:\Users\...
MACHINE_PATH = re.compile(r"(?<![\w.~$])(/work/|/tmp/|/root/|/home/[a-z]|/Users/[A-Za-z]"
                          r"|[A-Z]:\\Users\\)")


def _marked_blocks(path):
    return list(docs.blocks(path.read_text(encoding="utf-8")))


def test_machine_path_pattern_finds_what_it_should():
    """The pattern below is what keeps the docs clean: it must catch every kind of path."""
    caught = ["file /work/shared/datasets/mtx/nos6.mtx", "see /tmp/site", "/root/.cache/x",
              "looked in '/home/me/.cache/sparsekit'", r"C:\Users\me\x.mtx", "/Users/me/x"]
    spared = ["$SPARSEKIT_DATA/nos6.mtx", "~/.cache/sparsekit", "docs/cli.md", "a/tmp/b",
              "<sparsekit>/data/poisson2d_64.mtx.gz"]
    assert [s for s in caught if not MACHINE_PATH.search(s)] == []
    assert [s for s in spared if MACHINE_PATH.search(s)] == []


def test_no_machine_paths_in_the_docs():
    bad = [f"{p.relative_to(ROOT)}:{i}: {line.strip()}"
           for p in DOCS for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
           if MACHINE_PATH.search(line)]
    assert bad == []


def test_python_examples_are_doctests_or_marked():
    bad = [f"{p.relative_to(ROOT)}:{line}" for p in DOCS
           for _, lang, code, line, marked in _marked_blocks(p)
           if lang in ("python", "py", "pycon") and ">>>" not in code and not marked]
    assert bad == [], "python blocks that neither run (>>>) nor say they are illustrative"


def test_markdown_doctests_are_collected():
    """pytest's configuration collects the docs' >>> examples (or nothing runs them)."""
    text = (ROOT / "pyproject.toml").read_text()
    assert "--doctest-glob=*.md" in text and '"README.md"' in text and '"docs"' in text


def test_output_paths_are_made_portable(tmp_path):
    """What the docs show for a path is what a reader's machine would print."""
    data = docs.env()["SPARSEKIT_DATA"]
    text = f"file {data}/nos6.mtx\nwrote {tmp_path}/x.mtx\ncache {Path.home()}/.cache/sk"
    assert docs.portable(text, tmp_path).splitlines() == [
        "file $SPARSEKIT_DATA/nos6.mtx", "wrote ./x.mtx", "cache ~/.cache/sk"]


def test_mismatch_compares_words_not_numbers():
    printed = "matrix  nos6  (675 x 675)\nrelative residual  3.1e-15\nwrote x.mtx\n"
    assert docs.mismatch(["matrix nos6 (1 x 1)", "...", "wrote x.mtx"], printed) is None
    assert docs.mismatch(["relative residual 1e-3", "matrix nos6 (1 x 1)"], printed) == (
        "matrix nos6 (1 x 1)")  # out of order
    assert docs.mismatch(["wrote y.mtx"], printed) == "wrote y.mtx"


_SHELL_DOCS = [p for p in docs.documents()
               if any(lang in ("console", "shell-session") and docs.sessions(code)
                      for _, lang, code, _, _ in _marked_blocks(p))]


@pytest.mark.parametrize("path", _SHELL_DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_shell_examples_run(path):
    """Each document's console blocks, in order, in a scratch folder of its own."""
    problems = docs.regenerate(path, check=True)
    assert problems == [], "\n".join(problems)
