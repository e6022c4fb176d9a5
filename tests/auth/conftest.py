"""A database of its own for CLI commands, which commit for real."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ketaclinic.auth.models import User
from ketaclinic.auth.service import create_user
from ketaclinic.cli import app as cli_app
from ketaclinic.clinics.service import create_clinic
from ketaclinic.kit.db import make_engine, make_sessionmaker
from ketaclinic.settings import get_settings
from tests.conftest import PASSWORD


@pytest.fixture
def cli_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    """A migrated SQLite file the CLI is pointed at, and a session on it."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("KETACLINIC_DATABASE_URL", url)
    monkeypatch.setenv("KETACLINIC_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    assert CliRunner().invoke(cli_app, ["migrate"]).exit_code == 0
    engine = make_engine(url)
    session = make_sessionmaker(engine)()
    yield session
    session.close()
    engine.dispose()
    get_settings.cache_clear()


@pytest.fixture
def cli_user(cli_session: Session) -> User:
    clinic = create_clinic(cli_session, slug="riverside", name="Riverside", timezone="UTC")
    user = create_user(
        cli_session,
        email="nia@riverside.example.org",
        name="Nia Nurse",
        password=PASSWORD,
        role="nurse",
        clinic=clinic,
    )
    cli_session.commit()
    return user
