"""``ketaclinic report outcomes``: a clinic's outcomes report at the terminal, as a
table or a PDF (the same figures as /reports/outcomes; audited on the clinic).
``ketaclinic outcomes evaluate [--clinic SLUG]``: the booster rules evaluated again
for every treated patient (after a clinic changes its booster thresholds; the job
``outcomes.boosters`` does it for new scores)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ketaclinic.cli_common import cli_origin, out, unit_of_work
from ketaclinic.clinics.service import get_by_slug
from ketaclinic.kit import jobs
from ketaclinic.outcomes import jobs as booster_jobs
from ketaclinic.outcomes import service as course
from ketaclinic.reports import export, service
from ketaclinic.settings import get_settings

report_app = typer.Typer(help="Clinic outcome and safety reports (aggregates only).")
outcomes_app = typer.Typer(help="Patients' courses: booster suggestions.", no_args_is_help=True)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter("must be a date like 2026-11-23") from None


@report_app.command("outcomes")
def outcomes(
    clinic: Annotated[str, typer.Option(help="The clinic's slug")],
    since: Annotated[str, typer.Option("--from", help="Induction ended on or after (YYYY-MM-DD)")],
    until: Annotated[str, typer.Option("--to", help="Induction ended on or before (YYYY-MM-DD)")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the report as a PDF here")
    ] = None,
) -> None:
    """Response, remission, durability, boosters and safety for the patients who
    completed induction in the range."""
    r = service.Request(since=_day(since), until=_day(until))
    with unit_of_work() as db:
        found = get_by_slug(db, clinic)
        origin = cli_origin()
        report = service.outcomes_at_terminal(
            db, found.id, r, actor=f"cli:{origin.user_agent}", origin=origin
        )
    if output is not None:
        output.write_bytes(export.to_pdf(report))
        typer.echo(f"Wrote {output} ({report.cohort} patients).")
        return
    table = Table(*export.CSV_COLUMNS, title=f"{found.name}: outcomes {since} to {until}")
    for row in export.rows(report):
        table.add_row(*row)
    out.print(table)


@outcomes_app.command("evaluate")
def evaluate(
    clinic: Annotated[
        str | None, typer.Option(help="The clinic's slug (default: every clinic)")
    ] = None,
) -> None:
    """Evaluate the booster rules for every treated and measured patient now, on the
    clinic's current thresholds; store the new suggestions (each once per evidence)."""
    with unit_of_work() as db:
        jobs.see_every_clinic(db)
        clinic_ids = [get_by_slug(db, clinic).id] if clinic else booster_jobs.every_clinic(db)
        seen, new = course.evaluate_all(db, clinic_ids, booster_jobs.policy(get_settings()))
    typer.echo(f"Evaluated {seen} patients: {new} new booster suggestions.")


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
    app.add_typer(outcomes_app, name="outcomes")
