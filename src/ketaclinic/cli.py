"""The ``ketaclinic`` command: admin work from a terminal."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ketaclinic.cli_common import cli_origin, err, out, unit_of_work
from ketaclinic.cli_export import export_app
from ketaclinic.cli_import import import_app
from ketaclinic.cli_records import audit_app, ledger_app
from ketaclinic.cli_schedule import schedule_app
from ketaclinic.kit.clock_store import ClockShift
from ketaclinic.kit.db import make_engine
from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.kit.time import to_local, utcnow
from ketaclinic.settings import get_settings

app = typer.Typer(help="KetaClinic: run a ketamine therapy clinic.", no_args_is_help=True)
user_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
clinic_app = typer.Typer(help="Clinics.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(clinic_app, name="clinic")
app.add_typer(audit_app, name="audit")
app.add_typer(ledger_app, name="ledger")


@app.command()
def migrate() -> None:
    """Upgrade the database to the newest schema."""
    from ketaclinic.kit.migrate import upgrade

    url = get_settings().database_url
    with out.status("Migrating the database…"):
        upgrade(url)
    # render_as_string hides the password by default.
    shown = make_engine(url).url.render_as_string()
    out.print(f"[green]Database is at the newest schema[/green] ({shown})")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    reload: Annotated[bool, typer.Option(help="Restart on code changes")] = False,
    proxy_headers: Annotated[
        bool | None,
        typer.Option(
            "--proxy-headers/--no-proxy-headers",
            help="Trust X-Forwarded-For/-Proto from --forwarded-allow-ips (behind a proxy)",
        ),
    ] = None,
    forwarded_allow_ips: Annotated[
        str | None, typer.Option(help="Proxy addresses to trust, comma-separated, or *")
    ] = None,
    workers: Annotated[
        int,
        typer.Option(min=1, max=64, help="Server processes (all state is in the database)"),
    ] = 1,
) -> None:
    """Start the staff web app and API."""
    import uvicorn

    if workers > 1 and reload:
        err.print("[red]error:[/red] --reload runs one process; leave out --workers")
        raise typer.Exit(code=2)
    settings = get_settings()
    # Made (or read) once here, before the workers start: they all read this one.
    settings.resolved_secret_key()
    trusted = settings.proxy_headers if proxy_headers is None else proxy_headers
    allowed = forwarded_allow_ips or settings.forwarded_allow_ips
    many = f", {workers} processes" if workers > 1 else ""
    out.print(f"KetaClinic on [bold]http://{host}:{port}[/bold]{many}  (Ctrl+C stops it)")
    if trusted:
        out.print(f"Trusting proxy headers from {allowed}")
    uvicorn.run(
        "ketaclinic.asgi:app",
        host=host,
        port=port,
        reload=reload,
        workers=workers,
        access_log=False,
        proxy_headers=trusted,
        forwarded_allow_ips=allowed if trusted else None,
    )


@app.command()
def demo(
    reset: Annotated[
        bool, typer.Option(help="Erase the database and load the demo afresh")
    ] = False,
) -> None:
    """Load the demo clinics (staff of every role, ~40 synthetic patients of the day and a
    year of history: ~200 more per clinic)."""
    from ketaclinic.demo.loader import DEMO_PASSWORD, load_demo
    from ketaclinic.kit.migrate import downgrade, upgrade

    url = get_settings().database_url
    if reset:
        with out.status("Erasing the database…"):
            downgrade(url, "base")
    upgrade(url)
    with unit_of_work() as db:
        logins = load_demo(db, progress=out)
    if not logins:
        out.print("The demo clinic is already loaded (use --reset to start over).")
        from ketaclinic.demo.loader import demo_logins

        with unit_of_work() as db:
            logins = demo_logins(db)
    from rich.table import Table

    table = Table(title=f"Demo logins (password for all: {DEMO_PASSWORD})")
    table.add_column("role")
    table.add_column("email")
    table.add_column("clinic")
    for role, email, clinic in logins:
        if role != "patient":
            table.add_row(role, email, clinic)
    out.print(table)
    for _role, email, clinic in (login for login in logins if login[0] == "patient"):
        out.print(
            f"Patient portal ({clinic}): http://127.0.0.1:8000/portal — "
            f"email {email} password {DEMO_PASSWORD}",
            soft_wrap=True,  # one line, whatever the terminal's width: easy to copy
        )
    with unit_of_work() as db:
        stored = db.get(ClockShift, 1)
        at = to_local(utcnow(), stored.timezone if stored else "UTC")
    out.print(
        f"The demo's clock reads {at:%A} {at.day} {at:%B %Y}, {at:%H:%M} {at:%Z}: the demo "
        "is one clinic day, replayed on its own clock (README, 'The demo's clock'); "
        "`ketaclinic demo --reset` loads a fresh day."
    )


@clinic_app.command("create")
def clinic_create(
    slug: Annotated[str, typer.Option(help="Short id used in URLs, e.g. lakeside")],
    name: Annotated[str, typer.Option(help="Display name")],
    timezone: Annotated[str, typer.Option(help="IANA time zone, e.g. America/Chicago")],
    address: Annotated[str, typer.Option()] = "",
    country: Annotated[
        str, typer.Option(help="ISO 3166-1 country code; its public holidays close the clinic")
    ] = "US",
    state: Annotated[str, typer.Option(help="State or province code, e.g. TX")] = "",
) -> None:
    """Create a clinic."""
    from ketaclinic.clinics.service import create_clinic

    with unit_of_work() as db:
        clinic = create_clinic(
            db,
            slug=slug,
            name=name,
            timezone=timezone,
            address=address,
            country=country,
            subdivision=state or None,
        )
        out.print(f"Created clinic [bold]{clinic.slug}[/bold] ({clinic.name}, {clinic.timezone})")


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option()],
    name: Annotated[str, typer.Option()],
    role: Annotated[str, typer.Option(help="admin, prescriber, nurse, front_desk or custodian")],
    clinic: Annotated[
        str | None, typer.Option(help="Clinic slug (optional if there is one clinic)")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin")
    ] = False,
) -> None:
    """Create a staff user with a role in a clinic."""
    from ketaclinic.auth.service import create_user
    from ketaclinic.clinics.service import get_by_slug, list_clinics

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with unit_of_work() as db:
        if clinic is None:
            clinics = list_clinics(db)
            if len(clinics) != 1:
                raise KetaClinicError(
                    "Say which clinic with --clinic SLUG.", {"clinic": "is required"}
                )
            target = clinics[0]
        else:
            target = get_by_slug(db, clinic)
        user = create_user(db, email=email, name=name, password=password, role=role, clinic=target)
        out.print(f"Created {role} [bold]{user.email}[/bold] in {target.slug}")


@user_app.command("unlock")
def user_unlock(email: Annotated[str, typer.Option()]) -> None:
    """Let an account locked after failed sign-ins sign in again."""
    from ketaclinic.auth import throttle
    from ketaclinic.auth.service import get_user_by_email

    origin = cli_origin()
    with unit_of_work() as db:
        user = get_user_by_email(db, email)
        was_locked = user.locked_at is not None
        throttle.unlock(db, user, principal=None, origin=origin, actor=f"cli:{origin.user_agent}")
    out.print(
        f"Unlocked [bold]{user.email}[/bold]" if was_locked else f"{user.email} was not locked"
    )


@user_app.command("reset-mfa")
def user_reset_mfa(email: Annotated[str, typer.Option()]) -> None:
    """Turn two-factor off for a user who lost their phone and recovery codes."""
    from ketaclinic.auth import mfa
    from ketaclinic.auth.service import get_user_by_email

    origin = cli_origin()
    with unit_of_work() as db:
        user = get_user_by_email(db, email)
        mfa.reset(db, user, origin=origin, actor=f"cli:{origin.user_agent}")
    out.print(
        f"Two-factor is off for [bold]{user.email}[/bold]: they sign in with the password "
        "and should set it up again at /account/mfa."
    )


@token_app.command("create")
def token_create(
    email: Annotated[str, typer.Option()],
    label: Annotated[str, typer.Option(help="What the token is for")] = "",
    scope: Annotated[
        list[str] | None,
        typer.Option(help="A SMART scope for FHIR, e.g. user/Patient.rs (repeat for more)"),
    ] = None,
) -> None:
    """Create an API token; it is printed once and only its hash is kept. Without
    --scope it works as before, and FHIR reads what the person's role may read."""
    from ketaclinic.auth.service import create_api_token, get_user_by_email
    from ketaclinic.auth.staff import token_scopes

    with unit_of_work() as db:
        scopes = token_scopes(" ".join(scope or []))
        token = create_api_token(db, get_user_by_email(db, email), label=label, scopes=scopes)
    # Plain print: the token alone on stdout, so scripts can capture it.
    print(token)
    err.print("Store this token now: it cannot be shown again.")


app.add_typer(schedule_app, name="schedule")
app.add_typer(export_app, name="export")
app.add_typer(import_app, name="import")


rems_app = typer.Typer(help="Spravato REMS patient monitoring forms.", no_args_is_help=True)
app.add_typer(rems_app, name="rems")


@rems_app.command("due")
def rems_due(
    clinic: Annotated[str, typer.Option(help="The clinic (slug)")],
    by: Annotated[str, typer.Option(help="Staff email the list is read as (audited)")],
) -> None:
    """Esketamine sessions whose REMS monitoring form is not yet sent, soonest due
    first (due within 7 days of the session); exit 1 when any is overdue."""
    from rich.table import Table

    from ketaclinic.auth.errors import ReaderNotAllowed
    from ketaclinic.auth.service import get_user_by_email, principal_for
    from ketaclinic.chairside import service as chairside
    from ketaclinic.clinical.chairside import load_alert_rules, load_checklist, load_vocabulary
    from ketaclinic.clinical.treatment import load_protocols
    from ketaclinic.clinics.service import get_by_slug
    from ketaclinic.identity.roles import Permission
    from ketaclinic.ledger.service import LedgerPolicy
    from ketaclinic.plans.service import PlanPolicy

    settings = get_settings()
    with unit_of_work() as db:
        found = get_by_slug(db, clinic)
        reader = principal_for(db, get_user_by_email(db, by), origin=cli_origin())
        if found.id not in reader.clinics_with(Permission.PATIENT_READ):
            raise ReaderNotAllowed(f"{by} may not read {found.name}'s charts")
        policy = chairside.ChairsidePolicy(
            plan=PlanPolicy(protocols=load_protocols(settings.protocols_dir)),
            ledger=LedgerPolicy.from_settings(settings),
            rules=load_alert_rules(),
            checklist=load_checklist(),
            vocabulary=load_vocabulary(),
        )
        due = [d for d in chairside.rems_due(db, reader, policy) if d.session.clinic_id == found.id]
        table = Table(title=f"{found.name}: REMS forms not sent")
        for column in ("patient", "MRN", "treated", "due", ""):
            table.add_column(column)
        for d in due:
            table.add_row(
                f"{d.patient.family_name}, {d.patient.given_name}",
                d.patient.mrn,
                d.treated_on.isoformat(),
                d.due_on.isoformat(),
                "[red]overdue[/red]" if d.overdue else "",
            )
    if not due:
        out.print(f"[green]Nothing due:[/green] every REMS form of {found.name} is sent.")
        return
    out.print(table)
    if any(d.overdue for d in due):
        raise typer.Exit(code=1)


protocols_app = typer.Typer(help="Treatment protocols (YAML).", no_args_is_help=True)
app.add_typer(protocols_app, name="protocols")


@protocols_app.command("check")
def protocols_check(
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="A clinic's protocol directory (default: the settings')."),
    ] = None,
) -> None:
    """Validate the packaged protocols and a clinic's own; exit 1 naming file and line."""
    from rich.table import Table

    from ketaclinic.clinical.screening import load_rule_sets
    from ketaclinic.clinical.treatment import ProtocolError, load_protocols, target_days

    settings = get_settings()
    directory = directory or settings.protocols_dir
    rule_sets = load_rule_sets()
    if settings.rules_dir is not None:
        rule_sets = {**rule_sets, **load_rule_sets(settings.rules_dir)}
    try:
        found = load_protocols()
        if directory is not None:
            found = {**found, **load_protocols(directory, rule_set_ids=rule_sets)}
    except ProtocolError as exc:
        err.print(f"[red]Protocol refused:[/red] {exc}")
        raise typer.Exit(code=1) from None
    table = Table(title=f"{len(found)} protocols valid")
    for column in ("id", "version", "route", "dose", "sessions (target days)"):
        table.add_column(column)
    for protocol in sorted(found.values(), key=lambda p: p.id):
        dose = protocol.dose
        table.add_row(
            protocol.id,
            protocol.version,
            protocol.route,
            f"{dose.amount} {dose.unit_label}",
            ", ".join(map(str, target_days(protocol))),
        )
    out.print(table)


# Backups live in their own module; the commands are top-level.
from ketaclinic.cli_backup import backup_command, restore_command  # noqa: E402

app.command("backup")(backup_command)
app.command("restore")(restore_command)

# Clinic administration (staff, tokens, clinical thresholds) lives in its own module.
from ketaclinic.cli_admin import register as register_admin  # noqa: E402

register_admin(user_app, token_app, clinic_app)

# SMART backend clients for FHIR (issue 22) live in their own module.
from ketaclinic.cli_fhir import fhir_client_app  # noqa: E402

app.add_typer(fhir_client_app, name="fhir-client")

# Clinic outcome reports (issue 20) live in their own module.
from ketaclinic.cli_report import register as register_report  # noqa: E402

register_report(app)

# The job runner and messages to patients (issue 21) live in their own module.
from ketaclinic.cli_notify import register as register_notify  # noqa: E402

register_notify(app)

# A clinic's own patient documents (issue 21).
from ketaclinic.cli_documents import register as register_documents  # noqa: E402

register_documents(app)
# Billing (issue 23): superbills.
from ketaclinic.cli_billing import register as register_billing  # noqa: E402

register_billing(app)


if __name__ == "__main__":  # pragma: no cover
    app()
