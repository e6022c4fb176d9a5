"""``ketaclinic export deidentified``: a clinic's data for research, de-identified by
the HIPAA Safe Harbor method (``research.export``), as the staff member named by
``--by`` (or ``--as``), who needs the ``research.export`` permission (administrators)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.cli_common import cli_origin, out, unit_of_work
from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.settings import get_settings

export_app = typer.Typer(help="Exports for research.", no_args_is_help=True)


@export_app.command("deidentified")
def deidentified(
    clinic: Annotated[str, typer.Option(help="The clinic (slug)")],
    by: Annotated[
        str, typer.Option("--by", "--as", help="Email of the staff member exporting (audited)")
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="A .zip file, or a directory for the CSVs")
    ],
    years_only: Annotated[
        bool,
        typer.Option(help="Release years only instead of shifted dates (strict Safe Harbor)"),
    ] = False,
) -> None:
    """Every patient of the clinic with the 18 Safe Harbor identifiers removed: CSVs of
    patients, treatments, questionnaire scores, vital-sign summaries, adverse events and
    rescue medications, with a data dictionary and a README."""
    from ketaclinic.auth.service import get_user_by_email, principal_for
    from ketaclinic.clinics.service import get_by_slug
    from ketaclinic.research import files
    from ketaclinic.research.export import deidentified as export

    secret = get_settings().resolved_secret_key().encode()
    asked: dict[str, Any] = {}

    def refused(db: Session, exc: KetaClinicError) -> None:
        audit.record(
            db,
            asked.get("who"),
            "access.denied",
            outcome=audit.DENIED,
            clinic_id=asked.get("clinic_id"),
            resource_type="command",
            resource_id="export deidentified",
            detail={"command": "export deidentified", "reason": exc.message},
            origin=cli_origin(),
        )

    with unit_of_work(refused) as db:
        found = get_by_slug(db, clinic)
        asked["clinic_id"] = found.id
        who = principal_for(db, get_user_by_email(db, by), origin=cli_origin())
        asked["who"] = who
        made = export(db, who, found, secret, years_only=years_only)
        written = files.write(made, output)
    counts = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in made.counts().items())
    out.print(f"De-identified export of {found.name} written to {output}: {counts}.")
    out.print(f"Files: {', '.join(written)}")
