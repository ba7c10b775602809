"""``sparsekit convert`` and ``sparsekit datasets list|path``."""

from __future__ import annotations

import click
import numpy as np
import scipy.sparse as sp
from rich import box
from rich.table import Table
from rich.text import Text

from .. import datasets, io
from ..errors import InputValueError
from ._app import cli, command, group
from ._files import MATRIX_SUFFIXES, check_output, read_matrix, resolve, write_matrix
from ._output import Output, fmt_bytes

__all__ = ["convert", "datasets_group"]


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
                header_field = io.info(source.path).field
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
    r"""The named matrices sparsekit knows: list them, find their files.

    \b
    Examples:
      sparsekit datasets list --tag spd
      sparsekit datasets path bcsstk09
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
    entries = []
    for name in names:
        d = datasets.get(name)
        here = datasets.available(name)
        entries.append({"name": name, "source": d.source, "tags": sorted(d.tags),
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
