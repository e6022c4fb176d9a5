"""Clinic administration from the terminal: invite, a role, deactivate, tokens and
the clinic's thresholds, as the administrator named by --by."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner

from ketaclinic.auth.models import User
from ketaclinic.cli import app
from ketaclinic.clinics.models import ClinicSetting
from ketaclinic.kit.db import make_engine, make_sessionmaker
from tests.test_cli import cli_db  # noqa: F401 - the fixture

runner = CliRunner()
BY = ["--by", "ada@lake.example.org"]


def _setup() -> None:
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    runner.invoke(
        app, ["clinic", "create", "--slug", "lake", "--name", "Lake", "--timezone", "UTC"]
    )
    for email, role in (("ada@lake.example.org", "admin"), ("nia@lake.example.org", "nurse")):
        made = runner.invoke(
            app,
            [
                "user",
                "create",
                "--email",
                email,
                "--name",
                email[:3],
                "--role",
                role,
                "--password-stdin",
            ],
            input="a long enough passphrase\n",
        )
        assert made.exit_code == 0, made.output


def test_it_runs_staff_and_thresholds_from_the_terminal(cli_db: str) -> None:  # noqa: F811
    _setup()
    invited = runner.invoke(
        app,
        [
            "user",
            "invite",
            "--email",
            "noor@lake.example.org",
            "--name",
            "Noor",
            "--role",
            "nurse",
            "--clinic",
            "lake",
            *BY,
        ],
    )
    assert invited.exit_code == 0, invited.output
    assert "http://127.0.0.1:8000/account/password/" in invited.stdout
    role = runner.invoke(
        app,
        [
            "user",
            "set-role",
            "--email",
            "nia@lake.example.org",
            "--clinic",
            "lake",
            "--role",
            "prescriber",
            *BY,
        ],
    )
    assert role.exit_code == 0, role.output
    last = runner.invoke(
        app,
        [
            "user",
            "set-role",
            "--email",
            "ada@lake.example.org",
            "--clinic",
            "lake",
            "--role",
            "nurse",
            *BY,
        ],
    )
    assert last.exit_code == 2 and "no administrator left" in last.output
    off = runner.invoke(app, ["user", "deactivate", "--email", "nia@lake.example.org", *BY])
    assert off.exit_code == 0, off.output
    listed = runner.invoke(app, ["token", "list", *BY])
    assert listed.exit_code == 0
    bad = runner.invoke(app, ["clinic", "set", "aldrete_min_score", "12", "--clinic", "lake", *BY])
    assert bad.exit_code == 2 and "must be 7 to 10 points" in bad.output
    ok = runner.invoke(app, ["clinic", "set", "aldrete_min_score", "10", "--clinic", "lake", *BY])
    assert ok.exit_code == 0, ok.output
    shown = runner.invoke(app, ["clinic", "settings", "--clinic", "lake", *BY])
    assert shown.exit_code == 0 and "7 to 10" in shown.stdout
    session = make_sessionmaker(make_engine(cli_db))()
    nia = session.scalars(select(User).where(User.email == "nia@lake.example.org")).one()
    assert nia.is_active is False
    assert session.scalars(select(ClinicSetting.value)).all() == ["10"]
    session.close()
