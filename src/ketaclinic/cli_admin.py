"""Clinic administration from the terminal, as the administrator named by ``--by``
(the same services, rules and audit events as the pages): invite, deactivate and
reactivate staff, change a role, make a password link, list and revoke API tokens,
show and set the clinic's clinical thresholds."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from ketaclinic.admin import clinic_settings
from ketaclinic.auth import staff
from ketaclinic.auth.service import get_user_by_email, principal_for
from ketaclinic.cli_common import cli_origin, out, unit_of_work
from ketaclinic.clinics import thresholds
from ketaclinic.clinics.service import get_by_slug
from ketaclinic.identity.principal import Principal
from ketaclinic.settings import get_settings

By = Annotated[str, typer.Option(help="Email of the administrator making the change")]
Email = Annotated[str, typer.Option(help="The staff member's email")]
Clinic = Annotated[str, typer.Option(help="The clinic's slug")]


def _as(db: Session, by: str) -> Principal:
    return principal_for(db, get_user_by_email(db, by), origin=cli_origin())


def _link(token: str) -> str:
    return get_settings().public_url.rstrip("/") + staff.LINK_PATH + token


def staff_invite(
    email: Email,
    name: Annotated[str, typer.Option()],
    role: Annotated[str, typer.Option(help="admin, prescriber, nurse, front_desk or custodian")],
    clinic: Clinic,
    by: By,
) -> None:
    """Invite someone: prints the one-time link (7 days) where they set a password."""
    with unit_of_work() as db:
        who = _as(db, by)
        user, token = staff.invite(
            db, who, email=email, name=name, clinic_id=get_by_slug(db, clinic).id, role=role
        )
    out.print(f"Invited [bold]{user.email}[/bold]; hand them this link:")
    print(_link(token))


def staff_password_link(email: Email, by: By) -> None:
    """A one-time link (24 hours) where the staff member sets a new password."""
    with unit_of_work() as db:
        _, token = staff.reset_password(db, _as(db, by), get_user_by_email(db, email).id)
    print(_link(token))


def staff_deactivate(email: Email, by: By) -> None:
    """No more sign-ins: their browser sessions end and their API tokens are revoked."""
    with unit_of_work() as db:
        user = staff.deactivate(db, _as(db, by), get_user_by_email(db, email).id)
    out.print(f"Deactivated [bold]{user.email}[/bold]")


def staff_reactivate(email: Email, by: By) -> None:
    """Let a deactivated staff member sign in again."""
    with unit_of_work() as db:
        user = staff.reactivate(db, _as(db, by), get_user_by_email(db, email).id)
    out.print(f"Reactivated [bold]{user.email}[/bold]")


def staff_set_role(
    email: Email,
    clinic: Clinic,
    by: By,
    role: Annotated[str, typer.Option(help="The role there; empty: no role there")] = "",
) -> None:
    """The staff member's role in one clinic; a clinic keeps an administrator."""
    with unit_of_work() as db:
        user = staff.set_role(
            db,
            _as(db, by),
            get_user_by_email(db, email).id,
            get_by_slug(db, clinic).id,
            role or None,
        )
    out.print(f"{user.email} at {clinic}: {role or 'no role'}")


def tokens_list(by: By) -> None:
    """Every API token of the staff of the clinics ``--by`` administers."""
    table = Table(title="API tokens")
    for column in ("id", "owner", "label", "starts with", "created", "last used", "revoked"):
        table.add_column(column)
    with unit_of_work() as db:
        for row in staff.list_tokens(db, _as(db, by)):
            t = row.token
            table.add_row(
                str(t.id),
                row.owner.email,
                t.label,
                t.prefix,
                f"{t.created_at:%Y-%m-%d}",
                f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never",
                f"{t.revoked_at:%Y-%m-%d}" if t.revoked_at else "",
            )
    out.print(table)


def tokens_revoke(token_id: Annotated[int, typer.Argument(min=1)], by: By) -> None:
    """Revoke one API token at once."""
    with unit_of_work() as db:
        token = staff.revoke_token(db, _as(db, by), token_id)
    out.print(f"Revoked token {token.prefix}…")


def settings_show(clinic: Clinic, by: By) -> None:
    """The clinic's clinical thresholds, defaults and accepted values."""
    table = Table(title=f"{clinic}: clinical thresholds")
    for column in ("setting", "default", "this clinic", "accepted", "source"):
        table.add_column(column)
    with unit_of_work() as db:
        for v in clinic_settings.overview(db, _as(db, by), get_by_slug(db, clinic).id):
            table.add_row(
                v.spec.key,
                "protocol's" if v.default is None else thresholds.stored(v.default),
                "" if v.own is None else thresholds.stored(v.own),
                v.spec.range_text,
                v.spec.reference,
            )
    out.print(table)


def settings_set(
    key: Annotated[str, typer.Argument(help="The setting, e.g. aldrete_min_score")],
    value: Annotated[str, typer.Argument(help="The clinic's value; 'default' to unset")],
    clinic: Clinic,
    by: By,
) -> None:
    """Set one clinical threshold for the clinic (audited with the old value)."""
    with unit_of_work() as db:
        now = clinic_settings.change(
            db, _as(db, by), get_by_slug(db, clinic).id, key, None if value == "default" else value
        )
    shown = "the protocol's" if now is None else thresholds.stored(now)
    out.print(f"{key} at {clinic}: {shown}")


def register(user_app: typer.Typer, token_app: typer.Typer, clinic_app: typer.Typer) -> None:
    user_app.command("invite")(staff_invite)
    user_app.command("password-link")(staff_password_link)
    user_app.command("deactivate")(staff_deactivate)
    user_app.command("reactivate")(staff_reactivate)
    user_app.command("set-role")(staff_set_role)
    token_app.command("list")(tokens_list)
    token_app.command("revoke")(tokens_revoke)
    clinic_app.command("settings")(settings_show)
    clinic_app.command("set")(settings_set)
