"""SMART backend clients from the terminal (register, list, revoke) and API tokens
with SMART scopes, as the administrator named by --by (issue 22 point 3)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from ketaclinic.audit.models import AuditEvent
from ketaclinic.auth.models import ApiToken
from ketaclinic.cli import app
from ketaclinic.kit.db import make_engine, make_sessionmaker
from ketaclinic.smart.models import SmartClient
from tests.smart.conftest import ec_keys, jwks_of
from tests.test_cli import cli_db  # noqa: F401 - the fixture
from tests.test_cli_admin import BY, _setup

runner = CliRunner()


def test_it_registers_lists_and_revokes_a_fhir_client(
    cli_db: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    _setup()
    keys = tmp_path / "jwks.json"
    keys.write_text(jwks_of(ec_keys()))
    made = runner.invoke(
        app,
        [
            "fhir-client",
            "register",
            "--name",
            "State registry",
            "--clinic",
            "lake",
            "--jwks",
            str(keys),
            "--scopes",
            "system/Patient.rs system/Observation.read",
            *BY,
        ],
    )
    assert made.exit_code == 0, made.output
    [client_id] = made.stdout.split()  # alone on stdout, for CLIENT_ID=$(...)
    assert "Token address: " in made.stderr
    listed = runner.invoke(app, ["fhir-client", "list", *BY], env={"COLUMNS": "300"})
    assert listed.exit_code == 0, listed.output
    assert "State registry" in listed.output and client_id in listed.output
    factory = make_sessionmaker(make_engine(cli_db))
    with factory() as db:
        row = db.scalars(select(SmartClient).where(SmartClient.client_id == client_id)).one()
        assert row.scopes == "system/Patient.rs system/Observation.rs"
        pk = row.id
    revoked = runner.invoke(app, ["fhir-client", "revoke", str(pk), *BY])
    assert revoked.exit_code == 0, revoked.output
    with factory() as db:
        assert db.get(SmartClient, pk).revoked_at is not None  # type: ignore[union-attr]
        actions = db.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.resource_type == "fhir_client", AuditEvent.resource_id == str(pk))
            .order_by(AuditEvent.id)
        ).all()
    assert actions == ["fhir_client.registered", "fhir_client.revoked"]


def test_it_refuses_a_private_key_or_a_user_scope_for_a_client(
    cli_db: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    _setup()
    keys = tmp_path / "jwks.json"
    keys.write_text('{"keys": [{"kty": "EC", "crv": "P-384", "x": "a", "y": "b", "d": "c"}]}')
    made = runner.invoke(
        app,
        [
            "fhir-client",
            "register",
            "--name",
            "Registry",
            "--clinic",
            "lake",
            "--jwks",
            str(keys),
            "--scopes",
            "user/*.rs",
            *BY,
        ],
    )
    assert made.exit_code != 0
    assert "private" in made.output and "only system scopes" in made.output


def test_it_makes_an_api_token_with_smart_scopes(cli_db: str) -> None:  # noqa: F811
    _setup()
    made = runner.invoke(
        app,
        [
            "token",
            "create",
            "--email",
            "nia@lake.example.org",
            "--label",
            "fhir",
            "--scope",
            "user/Patient.read",
            "--scope",
            "user/Observation.rs",
        ],
    )
    assert made.exit_code == 0, made.output
    plain = runner.invoke(app, ["token", "create", "--email", "nia@lake.example.org"])
    assert plain.exit_code == 0, plain.output
    bad = runner.invoke(
        app, ["token", "create", "--email", "nia@lake.example.org", "--scope", "system/*.rs"]
    )
    assert bad.exit_code != 0 and "only user scopes" in bad.output
    with make_sessionmaker(make_engine(cli_db))() as db:
        scopes = db.scalars(select(ApiToken.scopes).order_by(ApiToken.id)).all()
    assert scopes == ["user/Patient.rs user/Observation.rs", None]
