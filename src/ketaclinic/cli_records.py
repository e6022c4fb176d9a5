"""``ketaclinic audit`` and ``ketaclinic ledger``: the records' own checks (every hash
chain recomputed, every balance added up) and the audit trail's export."""

from __future__ import annotations

import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ketaclinic.cli_common import cli_origin, err, out, unit_of_work
from ketaclinic.settings import get_settings

audit_app = typer.Typer(help="The audit trail: verify and export.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute every audit hash chain; exit 1 at the first broken link."""
    from rich.progress import Progress

    from ketaclinic.audit import service as audit

    with unit_of_work() as db:
        total = audit.total_events(db)
        with Progress(console=err, transient=True) as bar:
            task = bar.add_task("Verifying the audit trail…", total=total)
            checked, problem = audit.verify(db, progress=lambda n: bar.advance(task, n))
        audit.record(
            db,
            None,
            "audit.verify",
            outcome=audit.ALLOWED if problem is None else audit.DENIED,
            actor=f"cli:{cli_origin().user_agent}",
            origin=cli_origin(),
            detail={"checked": checked, "broken": problem is not None},
        )
    if problem is None:
        out.print(f"[green]Audit trail intact:[/green] {checked} events, every link checks.")
        return
    where = f"event id {problem.event_id}" if problem.event_id is not None else "a missing event"
    err.print(
        f"[red]Audit trail broken[/red] in chain {problem.chain_key} (clinic "
        f"{problem.chain_key or 'none'}) at seq {problem.seq}, {where}: {problem.reason}"
    )
    raise typer.Exit(code=1)


class ExportFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


@audit_app.command("export")
def audit_export(
    since: Annotated[
        datetime, typer.Option(help="From this date or time (clinic time zone if none given)")
    ],
    until: Annotated[datetime | None, typer.Option(help="Up to (not including) this")] = None,
    format: Annotated[ExportFormat, typer.Option("--format")] = ExportFormat.jsonl,
    clinic: Annotated[str | None, typer.Option(help="Only this clinic (slug)")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout)")
    ] = None,
) -> None:
    """Export audit events as CSV or JSON lines, oldest first within each clinic."""
    import csv
    import json
    from zoneinfo import ZoneInfo

    from rich.progress import Progress

    from ketaclinic.audit import service as audit
    from ketaclinic.clinics.service import get_by_slug, list_clinics

    tz = ZoneInfo(get_settings().timezone)
    since = since if since.tzinfo else since.replace(tzinfo=tz)
    until = until if until is None or until.tzinfo else until.replace(tzinfo=tz)
    if until is not None and until <= since:
        err.print("[red]error:[/red] --until must be after --since")
        raise typer.Exit(code=2)
    with unit_of_work() as db:
        clinic_ids = [get_by_slug(db, clinic).id] if clinic else [c.id for c in list_clinics(db)]
        # Events outside any clinic (sign-ins, verifications) come with a full export.
        f = audit.AuditFilter(
            clinic_ids=clinic_ids, include_system=clinic is None, since=since, until=until
        )
        total = audit.count(db, f)
        sink = output.open("w", newline="", encoding="utf-8") if output else sys.stdout
        try:
            writer = None
            if format == ExportFormat.csv:
                writer = csv.DictWriter(sink, fieldnames=audit.EXPORT_FIELDS)
            if writer is not None:
                writer.writeheader()
            with Progress(console=err, transient=True) as bar:
                task = bar.add_task("Exporting audit events…", total=total)
                written = 0
                for event in audit.iter_events(db, f):
                    row = audit.as_row(event)
                    if writer is not None:
                        writer.writerow(row)
                    else:
                        sink.write(json.dumps(row, sort_keys=True) + "\n")
                    written += 1
                    bar.advance(task)
        finally:
            if output:
                sink.close()
        audit.record(
            db,
            None,
            "audit.export",
            actor=f"cli:{cli_origin().user_agent}",
            origin=cli_origin(),
            detail={
                "since": since,
                "until": until,
                "clinic": clinic or "",
                "rows": written,
                "format": format.value,
            },
        )
    err.print(f"Exported {written} audit events" + (f" to {output}" if output else "") + ".")


ledger_app = typer.Typer(help="The controlled-substance ledger.", no_args_is_help=True)


@ledger_app.command("verify")
def ledger_verify(
    clinic: Annotated[str | None, typer.Option(help="Only this clinic (slug)")] = None,
) -> None:
    """Recompute every balance from the ledger's entries and every safe's hash chain;
    exit 1 naming the first problem."""
    from rich.progress import Progress

    from ketaclinic.audit import service as audit
    from ketaclinic.clinics.service import get_by_slug
    from ketaclinic.ledger import verify

    with unit_of_work() as db:
        clinic_ids = [get_by_slug(db, clinic).id] if clinic else None
        with Progress(console=err, transient=True) as bar:
            task = bar.add_task("Verifying the ledger…", total=verify.total_entries(db))
            checked, problem = verify.verify(db, clinic_ids, lambda n: bar.advance(task, n))
        audit.record(
            db,
            None,
            "ledger.verify",
            outcome=audit.ALLOWED if problem is None else audit.DENIED,
            actor=f"cli:{cli_origin().user_agent}",
            origin=cli_origin(),
            detail={"checked": checked, "problem": str(problem) if problem else None},
        )
    if problem is None:
        out.print(
            f"[green]Ledger intact:[/green] {checked} entries, every chain links and every "
            "balance adds up."
        )
        return
    err.print(f"[red]Ledger problem[/red] at {problem}")
    raise typer.Exit(code=1)
