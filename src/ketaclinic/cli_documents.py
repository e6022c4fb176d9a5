"""``ketaclinic documents check [DIR]``: validate a clinic's own documents directory
(consents to sign, documents shared to read) before it is put in place, and list what
the app would serve from it over the packaged documents."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ketaclinic.cli_common import err, out
from ketaclinic.clinical.consents.library import KINDS, load_library
from ketaclinic.clinical.datafiles import DataFileError
from ketaclinic.settings import get_settings

documents_app = typer.Typer(
    help="Patient documents: consents to sign and documents shared to read (YAML).",
    no_args_is_help=True,
)


@documents_app.command("check")
def check(
    directory: Annotated[
        Path | None,
        typer.Argument(help="A clinic's documents directory (default: the settings')."),
    ] = None,
) -> None:
    """Validate the packaged documents and a clinic's own; exit 1 naming the file, line
    and field of the first problem; else list what would load."""
    directory = directory or get_settings().documents_dir
    try:
        library = load_library(directory)
    except DataFileError as exc:
        err.print(f"[red]Document refused:[/red] {exc}")
        raise typer.Exit(code=1) from None
    total = len(library.consents) + len(library.shared)
    out.print(f"{total} documents valid", markup=False)
    # One line each (greppable at any terminal width): kind, id, version, where from.
    for source in library.sources:
        d = source.document
        where = source.file or "packaged"
        if source.replaces:
            where += f", replaces packaged {source.replaces}"
        line = (
            f"{KINDS[d.kind]}: {d.id} {d.version} ({where}) - {d.title} [sha-256 {d.sha256[:12]}]"
        )
        out.print(line, markup=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.add_typer(documents_app, name="documents")
