"""The ketaclinic command line, run in-process against a fresh database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ketaclinic.auth.models import ApiToken, User
from ketaclinic.auth.passwords import verify_password
from ketaclinic.cli import app
from ketaclinic.kit.db import make_engine, make_sessionmaker
from ketaclinic.settings import get_settings

runner = CliRunner()


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    # The CLI commits for real, so it gets its own SQLite file rather than the shared test DB.
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("KETACLINIC_DATABASE_URL", url)
    monkeypatch.setenv("KETACLINIC_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_it_migrates_creates_a_clinic_a_user_and_a_token(cli_db: str) -> None:
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    made = runner.invoke(
        app,
        [
            "clinic",
            "create",
            "--slug",
            "riverside",
            "--name",
            "Riverside Ketamine",
            "--timezone",
            "America/New_York",
        ],
    )
    assert made.exit_code == 0, made.output
    user = runner.invoke(
        app,
        [
            "user",
            "create",
            "--email",
            "Nia@Riverside.example.org",
            "--name",
            "Nia Nurse",
            "--role",
            "nurse",
            "--password-stdin",
        ],
        input="a long enough passphrase\n",
    )
    assert user.exit_code == 0, user.output
    token = runner.invoke(app, ["token", "create", "--email", "nia@riverside.example.org"])
    assert token.exit_code == 0, token.output
    printed = token.stdout.strip().splitlines()[0]
    assert printed.startswith("kc_")

    session = make_sessionmaker(make_engine(cli_db))()
    saved = session.scalar(select(User).where(User.email == "nia@riverside.example.org"))
    assert saved is not None
    assert saved.password_hash.startswith("$argon2id$")
    assert verify_password(saved.password_hash, "a long enough passphrase")
    hashes = list(session.scalars(select(ApiToken.token_hash)))
    assert printed not in hashes and len(hashes) == 1
    session.close()


def test_it_names_the_bad_option_and_writes_nothing(cli_db: str) -> None:
    runner.invoke(app, ["migrate"])
    bad_clinic = runner.invoke(
        app,
        ["clinic", "create", "--slug", "Bad Slug!", "--name", "X", "--timezone", "Mars/Olympus"],
    )
    assert bad_clinic.exit_code == 2
    assert "--slug" in bad_clinic.stderr and "--timezone" in bad_clinic.stderr
    runner.invoke(app, ["clinic", "create", "--slug", "ok", "--name", "OK", "--timezone", "UTC"])
    short = runner.invoke(
        app,
        [
            "user",
            "create",
            "--email",
            "a@ok.example.org",
            "--name",
            "A",
            "--role",
            "surgeon",
            "--password-stdin",
        ],
        input="short\n",
    )
    assert short.exit_code == 2
    assert "--password" in short.stderr and "--role" in short.stderr
    session = make_sessionmaker(make_engine(cli_db))()
    assert session.scalar(select(User)) is None
    session.close()


def test_it_loads_the_demo_once_and_resets_on_request(cli_db: str) -> None:
    first = runner.invoke(app, ["demo"])
    assert first.exit_code == 0, first.output
    assert "frontdesk@lakeside.example.org" in first.stdout
    again = runner.invoke(app, ["demo"])
    assert "already loaded" in again.stdout
    reset = runner.invoke(app, ["demo", "--reset"])
    assert reset.exit_code == 0, reset.output
    assert "custodian@lakeside.example.org" in reset.stdout
