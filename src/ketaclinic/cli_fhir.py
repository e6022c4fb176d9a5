"""SMART backend clients from the terminal, as the administrator named by ``--by``
(the same service, rules and audit events as /admin/fhir-clients): register a
client with its public keys, list them, revoke one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ketaclinic.auth.service import get_user_by_email, principal_for
from ketaclinic.cli_common import cli_origin, err, out, unit_of_work
from ketaclinic.clinics.service import get_by_slug
from ketaclinic.settings import get_settings
from ketaclinic.smart.deps import TOKEN_PATH
from ketaclinic.smart.service import clients

fhir_client_app = typer.Typer(
    help="SMART backend clients that read FHIR (register, list, revoke).", no_args_is_help=True
)
By = Annotated[str, typer.Option(help="Email of the administrator making the change")]


@fhir_client_app.command("register")
def register(
    name: Annotated[str, typer.Option(help="The system's name, e.g. State registry")],
    clinic: Annotated[str, typer.Option(help="The clinic's slug")],
    jwks: Annotated[
        Path, typer.Option(help="A file with the client's public keys (a JWKS document)")
    ],
    by: By,
    role: Annotated[str, typer.Option(help="prescriber, nurse or front_desk")] = "nurse",
    scopes: Annotated[str, typer.Option(help="Space-separated")] = clients.DEFAULT_SCOPES,
) -> None:
    """Register a client; prints its client id (the assertion's iss and sub)."""
    document = jwks.read_text(encoding="utf-8")
    with unit_of_work() as db:
        principal = principal_for(db, get_user_by_email(db, by), origin=cli_origin())
        row = clients.register(
            db,
            principal,
            get_by_slug(db, clinic).id,
            name=name,
            role=role,
            scopes=scopes,
            jwks=document,
        )
        client_id = row.client_id
    print(client_id)  # alone on stdout, for scripts
    # On stderr, so that CLIENT_ID=$(ketaclinic fhir-client register ...) is the id alone.
    err.print(f"Token address: {get_settings().public_url.rstrip('/')}{TOKEN_PATH}")


@fhir_client_app.command("list")
def list_clients(by: By) -> None:
    """Every client of the clinics ``--by`` administers."""
    table = Table(title="FHIR clients")
    for column in ("id", "name", "clinic", "reads as", "scopes", "client id", "revoked"):
        table.add_column(column)
    with unit_of_work() as db:
        principal = principal_for(db, get_user_by_email(db, by), origin=cli_origin())
        for r in clients.listed(db, principal):
            c = r.client
            table.add_row(
                str(c.id),
                c.name,
                r.clinic.name,
                c.role,
                c.scopes,
                c.client_id,
                f"{c.revoked_at:%Y-%m-%d}" if c.revoked_at else "",
            )
    out.print(table)


@fhir_client_app.command("revoke")
def revoke(client: Annotated[int, typer.Argument(min=1, help="The id from list")], by: By) -> None:
    """Revoke a client: no new token, and its tokens stop working at once."""
    with unit_of_work() as db:
        principal = principal_for(db, get_user_by_email(db, by), origin=cli_origin())
        row = clients.revoke(db, principal, client)
        name = row.name
    out.print(f"Revoked {name}.")
