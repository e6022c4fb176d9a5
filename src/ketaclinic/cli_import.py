"""``ketaclinic import fhir``: onboard a clinic from another system's FHIR Bundle
(patients, conditions, medications, allergies). A dry run by default: it shows what
it would create or refuse and why, and writes nothing; ``--commit`` creates them in
one transaction."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ketaclinic.cli_common import cli_origin, err, out, unit_of_work

import_app = typer.Typer(help="Import records from another system.", no_args_is_help=True)

MAX_BUNDLE_MB = 200


@import_app.command("fhir")
def fhir_bundle(
    bundle: Annotated[Path, typer.Argument(help="A FHIR R4 Bundle (JSON)")],
    clinic: Annotated[str, typer.Option(help="The clinic to import into (slug)")],
    by: Annotated[
        str, typer.Option("--by", "--as", help="Email of the staff member importing (audited)")
    ],
    commit: Annotated[
        bool, typer.Option("--commit", help="Create them (without it: a dry run)")
    ] = False,
    max_mb: Annotated[
        int, typer.Option(min=1, max=2000, help="Refuse a larger file before reading it")
    ] = MAX_BUNDLE_MB,
) -> None:
    """Patients with their conditions (ICD-10-CM), medications and allergies from a FHIR
    Bundle into one clinic, through the same checks as a registration (a likely
    duplicate of a chart on file is refused, naming it)."""
    from ketaclinic.auth.service import get_user_by_email, principal_for
    from ketaclinic.clinics.service import get_by_slug
    from ketaclinic.onboarding.bundle import BundleError, parse
    from ketaclinic.onboarding.service import import_bundle

    if not bundle.is_file():
        err.print(f"[red]error:[/red] BUNDLE: no such file: {bundle}")
        raise typer.Exit(code=2)
    size = bundle.stat().st_size
    if size > max_mb * 1024 * 1024:
        err.print(f"[red]error:[/red] BUNDLE: {size / 1048576:.0f} MB is over --max-mb {max_mb}")
        raise typer.Exit(code=2)
    try:
        parsed = parse(bundle.read_bytes())
    except BundleError as exc:
        err.print(f"[red]error:[/red] BUNDLE: {exc}")
        raise typer.Exit(code=2) from None
    with unit_of_work() as db:
        found = get_by_slug(db, clinic)
        who = principal_for(db, get_user_by_email(db, by), origin=cli_origin())
        report = import_bundle(db, who, found.id, parsed, dry_run=not commit)
    verb = "Created" if commit else "Would create"
    table = Table(title=f"{verb} in {found.name}")
    for column in ("entry", "patient", "MRN", "conditions", "medications", "allergies", "notes"):
        table.add_column(column)
    for c in report.created:
        table.add_row(
            str(c.entry),
            c.name,
            c.mrn if commit else "(new)",
            str(c.items["diagnoses"]),
            str(c.items["medications"]),
            str(c.items["allergies"]),
            "; ".join(c.notes),
        )
    out.print(table)
    if report.refused:
        refused = Table(title="Refused")
        for column in ("entry", "resource", "id", "why"):
            refused.add_column(column)
        for r in report.refused:
            refused.add_row(str(r.entry), r.resource_type, r.source_id, r.reason)
        out.print(refused)
    ignored = ", ".join(f"{n} {kind}" for kind, n in sorted(report.ignored.items()))
    out.print(
        f"{verb} {len(report.created)} patient(s); refused {len(report.refused)} "
        f"entr{'y' if len(report.refused) == 1 else 'ies'}"
        + (f"; not imported by this command: {ignored}" if ignored else "")
        + ("." if commit else ". Nothing was written: run again with --commit.")
    )
