"""``ketaclinic billing``: a patient's superbill as a PDF or CSV, a visit's CMS-1500
fields as JSON or CSV (each audited on the patient's clinic, like the pages' copies); a
clinic's daily close and ageing report (audited on the clinic)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from ketaclinic.billing import documents
from ketaclinic.billing.errors import BillingPatientNotFound, ClaimIncomplete, VisitNotFound
from ketaclinic.billing.service import ageing as ageing_service
from ketaclinic.billing.service import claim, superbill
from ketaclinic.billing.service import close as close_service
from ketaclinic.cli_common import cli_origin, unit_of_work
from ketaclinic.clinical.billing import dollars
from ketaclinic.clinical.billing.statements import Ageing
from ketaclinic.clinics.errors import ClinicNotFound
from ketaclinic.clinics.models import Clinic
from ketaclinic.clinics.service import get_by_slug, list_clinics, today_at

billing_app = typer.Typer(
    help="Billing: superbills, a visit's CMS-1500 fields, the daily close, the ageing."
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


ClinicSlug = Annotated[str, typer.Option("--clinic", help="The clinic's slug")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]


def _clinic(db: Session, slug: str) -> Clinic:
    try:
        return get_by_slug(db, slug)
    except ClinicNotFound:
        raise typer.BadParameter(f"no clinic with slug {slug!r}", param_hint="--clinic") from None


def _rows(title: str, values: dict[str, int], total: int) -> list[str]:
    lines = [title]
    lines += [f"  {name:<28}{dollars(cents):>14}" for name, cents in values.items()] or ["  none"]
    lines.append(f"  {'Total':<28}{dollars(total):>14}")
    return lines


@billing_app.command("close")
def close_command(
    clinic: ClinicSlug,
    day: Annotated[
        str | None, typer.Option("--date", help="The clinic's date (YYYY-MM-DD)")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """The daily close: a day's payments by method and by staff member, refunds, net."""
    with unit_of_work() as db:
        found = _clinic(db, clinic)
        chosen = _day(day, "--date") if day else today_at(db, found.id)
        origin = cli_origin()
        made = close_service.daily_close(
            db, None, found, chosen, actor=f"cli:{origin.user_agent}", origin=origin
        )
    t = made.totals
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "clinic": found.slug,
                    "date": chosen.isoformat(),
                    "payments": t.payments,
                    "refunds": t.refunds,
                    "received_cents": t.received_cents,
                    "refunded_cents": t.refunded_cents,
                    "net_cents": t.net_cents,
                    "received_by_method": t.received_by_method,
                    "received_by_staff": t.received_by_staff,
                    "refunded_by_method": t.refunded_by_method,
                    "refunded_by_staff": t.refunded_by_staff,
                },
                indent=2,
            )
        )
        return
    lines = [f"Daily close, {found.name}, {chosen.isoformat()}"]
    lines += _rows("Payments by method", t.received_by_method, t.received_cents)
    lines += _rows("Payments by staff member", t.received_by_staff, t.received_cents)
    lines += _rows("Refunds by method", t.refunded_by_method, t.refunded_cents)
    lines.append(f"{'Net taken in':<30}{dollars(t.net_cents):>14}")
    typer.echo("\n".join(lines))


@billing_app.command("ageing")
def ageing_command(
    clinic: ClinicSlug,
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (today)")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The ageing report: each patient with a balance, by age, and the totals."""
    with unit_of_work() as db:
        found = _clinic(db, clinic)
        chosen = _day(as_of, "--as-of") if as_of else today_at(db, found.id)
        origin = cli_origin()
        report = ageing_service.ageing(
            db, None, found, chosen, actor=f"cli:{origin.user_agent}", origin=origin
        )
        rows = [
            (f"{r.patient.given_name} {r.patient.family_name}", r.patient.mrn, r.ageing)
            for r in report.rows
        ]
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "clinic": found.slug,
                    "as_of": chosen.isoformat(),
                    "patients": [
                        {"patient": name, "mrn": mrn, **_aged(a)} for name, mrn, a in rows
                    ],
                    "totals": _aged(report.totals),
                },
                indent=2,
            )
        )
        return
    head = ("Patient", "MRN", "0-30", "31-60", "61-90", "90+", "Credit", "Balance")
    table: list[tuple[str, ...]] = [head]
    for name, mrn, a in [*rows, ("Total", "", report.totals)]:
        cells = [dollars(c) for c in (*a.buckets, a.credit_cents, a.balance_cents)]
        table.append((name, mrn, *cells))
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    typer.echo(f"Ageing, {found.name}, as of {chosen.isoformat()}")
    for row in table:
        typer.echo(
            "  ".join(
                cell.ljust(w) if i < 2 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )


def _aged(a: Ageing) -> dict[str, int]:
    return {
        "current_cents": a.buckets[0],
        "days_31_60_cents": a.buckets[1],
        "days_61_90_cents": a.buckets[2],
        "over_90_cents": a.buckets[3],
        "credit_cents": a.credit_cents,
        "balance_cents": a.balance_cents,
    }


def register(app: typer.Typer) -> None:
    app.add_typer(billing_app, name="billing")
