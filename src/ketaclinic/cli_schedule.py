"""``ketaclinic schedule``: plan the calendar with the optimizer, fill holiday closures."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer

from ketaclinic.cli_common import cli_origin, err, out, unit_of_work
from ketaclinic.settings import get_settings

schedule_app = typer.Typer(help="The clinic calendar.", no_args_is_help=True)


@schedule_app.command("plan")
def schedule_plan(
    clinic: Annotated[str, typer.Option(help="The clinic (slug)")],
    start: Annotated[
        datetime, typer.Option("--from", formats=["%Y-%m-%d"], help="First day (YYYY-MM-DD)")
    ],
    weeks: Annotated[int, typer.Option(min=1, max=12, help="How many weeks to plan")] = 4,
    by: Annotated[str | None, typer.Option(help="Staff email the bookings are made as")] = None,
    seconds: Annotated[float, typer.Option(min=1, max=600, help="Optimizer time limit")] = 20,
) -> None:
    """Book every signed or active plan's unbooked sessions over the horizon with the
    optimizer, around what is already booked (nothing booked moves)."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from ketaclinic.appointments import batch
    from ketaclinic.appointments import service as calendar
    from ketaclinic.auth.service import get_user_by_email, principal_for
    from ketaclinic.clinical.treatment import load_protocols
    from ketaclinic.clinics.service import get_by_slug

    settings = get_settings()
    with unit_of_work() as db:
        found = get_by_slug(db, clinic)
        actor = (
            principal_for(db, get_user_by_email(db, by), origin=cli_origin())
            if by
            else (batch.booking_actor(db, found, cli_origin()))
        )
        policy = calendar.SchedulePolicy.from_settings(settings)
        policy = calendar.SchedulePolicy(
            policy.nurse_capacity_k, policy.weights, batch_time_limit_s=seconds
        )
        protocols = load_protocols(settings.protocols_dir)
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task("Planning…", total=None)
            result = batch.plan_batch(
                db,
                found,
                start.date(),
                weeks,
                protocols,
                policy,
                actor,
                progress=lambda message: bar.update(task, description=message),
            )
    table = Table(title=f"{found.name}: {weeks} weeks from {start.date()}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    gap = (
        f"{(result.best_bound - result.objective) / max(1, abs(result.best_bound)):.1%}"
        if result.best_bound is not None
        else "—"
    )
    for name, value in [
        ("series to book", result.series),
        ("sessions requested", result.requested),
        ("sessions booked", result.booked),
        ("series fully booked", result.series_full),
        ("objective", result.objective),
        ("best bound", result.best_bound or "—"),
        ("gap", gap),
        ("violations (independent check)", result.violations),
        ("wall time (s)", f"{result.wall_s:.1f}"),
    ]:
        table.add_row(name, str(value))
    out.print(table)


@schedule_app.command("holidays")
def schedule_holidays(
    clinic: Annotated[str, typer.Option(help="The clinic's slug")],
    year: Annotated[int, typer.Option(min=2000, max=2100, help="The calendar year")],
    country: Annotated[
        str, typer.Option(help="ISO country code of the holiday calendar (default: the clinic's)")
    ] = "",
    state: Annotated[
        str, typer.Option(help="State or province code, e.g. TX (default: the clinic's)")
    ] = "",
    only: Annotated[
        list[str] | None,
        typer.Option(
            help="Close only on these holidays (repeat); default: the US six in "
            "the US, every public holiday elsewhere"
        ),
    ] = None,
) -> None:
    """Fill the clinic's closures from the public-holiday calendar of its country and
    state, as stored with the clinic unless --country/--state say otherwise (a day
    already closed keeps its reason)."""
    from ketaclinic.appointments.holidays import fill_closures, region_of
    from ketaclinic.clinics.service import get_by_slug

    with unit_of_work() as db:
        found = get_by_slug(db, clinic)
        where, subdivision = region_of(found, country or None, state or None)
        rows = fill_closures(
            db,
            None,
            found,
            date(year, 1, 1),
            date(year, 12, 31),
            where,
            subdivision,
            only or None,
        )
        added = [(r.day, r.reason) for r in rows]
    out.print(f"Public holidays of {where}{'-' + subdivision if subdivision else ''}:")
    for day, reason in added:
        out.print(f"{day.isoformat()}  {reason}")
    out.print(f"{len(added)} closures added to {clinic} for {year}.")
