"""``sparsekit convert`` and ``sparsekit datasets list|path``."""

from __future__ import annotations

import click
import numpy as np
import scipy.sparse as sp
from rich import box
from rich.table import Table
from rich.text import Text

from .. import datasets, io
from ..errors import DataNotFoundError, InputValueError, UnknownMethodError
from ._app import cli, command, group
from ._files import MATRIX_SUFFIXES, check_output, read_matrix, resolve, write_matrix
from ._output import Output, fmt_bytes

__all__ = ["convert", "datasets_group", "datasets_fetch", "datasets_examples"]


@command(cli, "convert")
@click.argument("src", metavar="IN")
@click.argument("dst", metavar="OUT")
@click.option("--symmetry", type=click.Choice(["auto", "general", "symmetric",
                                                "skew-symmetric", "hermitian"]),
              default="auto", show_default=True,
              help="Matrix Market symmetry header of OUT (auto: checked exactly).")
@click.option("--field", type=click.Choice(["keep", "real", "integer", "complex", "pattern"]),
              default="keep", show_default=True,
              help="Matrix Market field of OUT (keep: IN's field, else what the dtype implies).")
@click.option("--force", is_flag=True, help="Allow OUT to be IN (rewritten in place, atomically).")
def convert(out: Output, src, dst, symmetry, field, force):
    r"""Convert between .mtx, .mtx.gz, .npz and .petsc (formats from the suffixes).

    .petsc is PETSc's binary format (what its viewers read and write in
    parallel): the format to keep a large matrix in for distributed runs.

    \b
    Examples:
      sparsekit convert bcsstk09.mtx bcsstk09.npz
      sparsekit convert karate.mtx karate.mtx.gz
      sparsekit convert bcsstk33 bcsstk33.petsc
    """
    source = resolve(src)
    target = check_output(dst, [source], force=force, suffixes=MATRIX_SUFFIXES, what="OUT")
    binary = target.name.lower().endswith((".npz", ".petsc"))
    if binary and (symmetry != "auto" or field != "keep"):
        raise InputValueError(f"--symmetry and --field are Matrix Market options; {target.name} "
                              "is stored whole in binary (drop them)")
    A = read_matrix(source)
    kwargs = {}
    if not binary:
        kwargs["symmetry"] = symmetry
        if field == "keep":
            if source.path is not None and source.path.name.lower().endswith((".mtx", ".mtx.gz")):
                header_field = getattr(io.info(source.path), "field", None)
                if header_field in ("pattern", "integer"):
                    kwargs["field"] = header_field
        else:
            kwargs["field"] = field
    write_matrix(target, A, **kwargs)
    nnz = A.nnz if sp.issparse(A) else int(np.count_nonzero(A))
    size = target.stat().st_size
    out.set(input=str(source.path) if source.path else source.dataset, output=str(target),
            shape=list(A.shape), nnz=int(nnz), bytes=int(size))
    out.written.append(str(target))
    out.summary(f"{source.label} -> {target}: {A.shape[0]:,} x {A.shape[1]:,}, "
                f"{nnz:,} nonzeros, {fmt_bytes(size)}")


@group(cli, "datasets")
def datasets_group():
    r"""The named matrices sparsekit knows: list them, fetch them, find their files.

    Real matrices come from the SuiteSparse Matrix Collection: `fetch`
    downloads one into the data directory ($SPARSEKIT_DATA, else the user
    cache folder), verifies it, and every FILE argument finds it by name.
    `examples` copies the example inputs (an edge list, a corpus).

    \b
    Examples:
      sparsekit datasets list --tag spd
      sparsekit datasets fetch nos6
      sparsekit datasets fetch HB/west0156
      sparsekit datasets path bcsstk09
      sparsekit datasets examples .
    """


@command(datasets_group, "list")
@click.option("--tag", default=None, help="Only entries with this tag (spd, graph, ...).")
def datasets_list(out: Output, tag):
    r"""List the registry: name, source, tags, whether it is available here.

    \b
    Examples:
      sparsekit datasets list
      sparsekit datasets list --tag graph --json
    """
    names = datasets.names(tag)
    table = Table(title=Text(f"datasets (data directory: {datasets.data_dir()})"),
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("name", "source", "tags", "here"):
        table.add_column(col, no_wrap=True)
    table.add_column("description", overflow="fold")
    entries: list[dict] = []
    for name in names:
        d = datasets.get(name)
        here = datasets.available(name)
        entries.append({"name": name, "source": d.source, "group": d.group, "tags": sorted(d.tags),
                        "available": here, "description": d.description, "rhs": d.rhs})
        table.add_row(*(Text(v) for v in (name, d.source, " ".join(sorted(d.tags)),
                                           "yes" if here else "no", d.description)))
    out.print(table)
    if out.quiet:
        out.summary(" ".join(names))
    out.set(data_dir=str(datasets.data_dir()), datasets=entries)


@command(datasets_group, "path")
@click.argument("name")
def datasets_path(out: Output, name):
    r"""Print the file behind a dataset name (exit 2 when it is not here).

    \b
    Examples:
      sparsekit datasets path nos6
    """
    p = datasets.path(name)
    out.set(name=name, path=str(p))
    out.summary(str(p))


@command(datasets_group, "fetch")
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
@click.option("--force", is_flag=True, help="Download again and replace what is here.")
@click.option("--server", metavar="URL", default=None,
              help="A server with the collection's layout MM/GROUP/NAME.tar.gz "
                   "[default: $SPARSEKIT_SUITESPARSE_URL, else https://sparse.tamu.edu].")
def datasets_fetch(out: Output, names, force, server):
    r"""Download matrices of the SuiteSparse Matrix Collection into the data directory.

    NAME is a name of the registry (`sparsekit datasets list`; its group is
    known) or any matrix of the collection as GROUP/NAME.  Each download is
    verified (a complete archive in the collection's layout, a valid Matrix
    Market file, and for registry names the matrix's content fingerprint)
    before anything is written to the data directory; a name already there
    is not downloaded again.  Afterwards every FILE argument takes NAME.

    \b
    Examples:
      sparsekit datasets fetch nos6
      sparsekit info nos6
      sparsekit datasets fetch HB/west0156 Newman/karate --json
    """
    entries: list[dict] = []
    out.set(data_dir=str(datasets.data_dir()), datasets=entries)  # filled as names arrive
    for name in names:
        before = _here(name)
        p = datasets.fetch(name, force=force, server=server)
        d = datasets.get(name)
        head = io.info(p)
        record = datasets.provenance(d.name)
        fetched = bool(force or before is None)
        entries.append({"name": d.name, "group": d.group, "path": str(p), "fetched": fetched,
                        "shape": list(head.shape), "entries": int(head.nnz),
                        "bytes": int(p.stat().st_size), "url": record.get("url"),
                        "sha256": record.get("sha256"), "verified": record.get("verified")})
        where = f"{d.group}/{d.name}" if d.group else d.name
        how = (f"downloaded, verified ({record.get('verified', '?')})" if fetched
               else "already here")
        out.summary(f"{where}: {head.shape[0]:,} x {head.shape[1]:,}, {head.nnz:,} entries "
                    f"listed, {fmt_bytes(p.stat().st_size)}, {how}: {p}")


def _here(name: str):
    """The file behind ``name`` when it is already in the data directory, else None."""
    try:
        return datasets.path(name)
    except (DataNotFoundError, UnknownMethodError):
        return None


@command(datasets_group, "examples")
@click.argument("folder", metavar="[DIR]", default=".", required=False)
@click.option("--force", is_flag=True, help="Overwrite files of the same names in DIR.")
def datasets_examples(out: Output, folder, force):
    r"""Copy the example inputs into DIR (default: the current folder).

    edges.csv is a weighted edge list with named nodes (two groups joined by a
    weak edge), corpus.txt a few sentences, one document each.  Files of the
    same names in DIR are kept unless --force.

    \b
    Examples:
      sparsekit datasets examples .
      sparsekit spectral fiedler edges.csv
      sparsekit build cooccurrence corpus.txt --window 2 --ppmi -o P.npz
    """
    written = datasets.examples(folder, force=force)
    out.written.extend(str(p) for p in written.values())
    out.set(folder=str(folder), files={k: str(v) for k, v in written.items()})
    edges, corpus = (str(written[n]) for n in ("edges.csv", "corpus.txt"))
    out.summary(f"wrote {edges} and {corpus}; try:\n"
                f"  sparsekit spectral fiedler {edges}\n"
                f"  sparsekit build cooccurrence {corpus} --window 2 --ppmi -o P.npz")
