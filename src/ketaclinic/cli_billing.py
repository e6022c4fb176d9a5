"""``ketaclinic billing``: a patient's superbill as a PDF or CSV, a visit's CMS-1500
fields as JSON or CSV (each audited on the patient's clinic, like the pages' copies)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from ketaclinic.billing import documents
from ketaclinic.billing.errors import BillingPatientNotFound, ClaimIncomplete, VisitNotFound
from ketaclinic.billing.service import claim, superbill
from ketaclinic.cli_common import cli_origin, unit_of_work
from ketaclinic.clinics.models import Clinic
from ketaclinic.clinics.service import get_by_slug, list_clinics

billing_app = typer.Typer(
    help="Billing: superbills for a patient's final charges; a visit's CMS-1500 fields."
)


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter("must be a date like 2026-11-23", param_hint=option) from None


@billing_app.command("superbill")
def superbill_command(
    patient: Annotated[str, typer.Option(help="The patient's MRN")],
    since: Annotated[str, typer.Option("--from", help="First date of service (YYYY-MM-DD)")],
    until: Annotated[str, typer.Option("--to", help="Last date of service (YYYY-MM-DD)")],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="FILE.pdf or FILE.csv (by its suffix)")
    ],
    clinic: Annotated[
        str | None, typer.Option(help="The clinic's slug, when several share the MRN")
    ] = None,
) -> None:
    """The superbill of the patient's final charges between two dates of service."""
    first, last = _day(since, "--from"), _day(until, "--to")
    if last < first:
        raise typer.BadParameter("must be on or after --from", param_hint="--to")
    suffix = output.suffix.lower()
    if suffix not in (".pdf", ".csv"):
        raise typer.BadParameter("must end in .pdf or .csv", param_hint="--output")
    with unit_of_work() as db:
        clinics = [get_by_slug(db, clinic)] if clinic else list_clinics(db)
        try:
            found = superbill.patient_for_system(db, patient, [c.id for c in clinics])
        except BillingPatientNotFound as exc:
            raise typer.BadParameter(exc.message, param_hint="--patient") from None
        home = db.get(Clinic, found.clinic_id)
        assert home is not None
        origin = cli_origin()
        bill = superbill.build(
            db, None, found, home, first, last, actor=f"cli:{origin.user_agent}", origin=origin
        )
    if suffix == ".pdf":
        output.write_bytes(documents.to_pdf(bill))
    else:
        output.write_text(documents.to_csv(bill), encoding="utf-8")
    typer.echo(f"Wrote {output} ({len(bill.lines)} lines).")


@billing_app.command("cms1500")
def cms1500_command(
    visit: Annotated[int, typer.Option(help="The visit (chairside session) id", min=1)],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to FILE (else standard output)")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="json or csv")] = "json",
    clinic: Annotated[str | None, typer.Option(help="Only this clinic's visit (its slug)")] = None,
) -> None:
    """The visit's final lines as CMS-1500 (02/12) fields for a clearinghouse."""
    if fmt not in ("json", "csv"):
        raise typer.BadParameter("must be json or csv", param_hint="--format")
    with unit_of_work() as db:
        clinics = [get_by_slug(db, clinic)] if clinic else list_clinics(db)
        origin = cli_origin()
        try:
            found = claim.cms1500_for_system(
                db,
                visit,
                [c.id for c in clinics],
                actor=f"cli:{origin.user_agent}",
                origin=origin,
            )
        except VisitNotFound:
            raise typer.BadParameter(f"no visit {visit}", param_hint="--visit") from None
        except ClaimIncomplete as exc:
            typer.echo(f"Error: {exc.message}", err=True)
            raise typer.Exit(1) from None
    body = claim.to_json(found) if fmt == "json" else claim.to_csv(found)
    if output is None:
        typer.echo(body, nl=False)
    else:
        output.write_text(body, encoding="utf-8")
        typer.echo(f"Wrote {output} ({len(found.forms)} forms, {found.lines} lines).")


def register(app: typer.Typer) -> None:
    app.add_typer(billing_app, name="billing")
