"""``ketaclinic export deidentified``, run in-process against a fresh database: an
administrator's export is written as a ZIP of CSVs; a nurse is refused."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ketaclinic.audit.models import AuditEvent
from ketaclinic.cli import app
from ketaclinic.kit.db import make_engine
from ketaclinic.settings import get_settings

runner = CliRunner()


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("KETACLINIC_DATABASE_URL", url)
    monkeypatch.setenv("KETACLINIC_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
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
    for role in ("admin", "nurse"):
        user = runner.invoke(
            app,
            [
                "user",
                "create",
                "--email",
                f"{role}@riverside.example.org",
                "--name",
                f"Riverside {role}",
                "--role",
                role,
                "--password-stdin",
            ],
            input="a long enough passphrase\n",
        )
        assert user.exit_code == 0, user.output
    yield url
    get_settings.cache_clear()


def test_it_writes_an_administrators_export_as_a_zip(cli_db: str, tmp_path: Path) -> None:
    target = tmp_path / "research.zip"
    result = runner.invoke(
        app,
        [
            "export",
            "deidentified",
            "--clinic",
            "riverside",
            "--as",
            "admin@riverside.example.org",
            "-o",
            str(target),
        ],
    )
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(target) as archive:
        names = set(archive.namelist())
    assert {
        "patients.csv",
        "treatments.csv",
        "questionnaire_scores.csv",
        "vital_sign_summaries.csv",
        "adverse_events.csv",
        "data_dictionary.csv",
        "README.md",
    } <= names


def test_it_refuses_a_nurse(cli_db: str, tmp_path: Path) -> None:
    target = tmp_path / "research"
    result = runner.invoke(
        app,
        [
            "export",
            "deidentified",
            "--clinic",
            "riverside",
            "--by",
            "nurse@riverside.example.org",
            "-o",
            str(target),
        ],
    )
    assert result.exit_code != 0
    assert "role does not allow" in result.output
    assert not target.exists()
    # The attempt is on the clinic's audit trail, under the nurse's name.
    engine = make_engine(cli_db)
    with engine.connect() as conn:
        refused = conn.execute(
            select(AuditEvent.actor, AuditEvent.outcome, AuditEvent.resource_id).where(
                AuditEvent.action == "access.denied"
            )
        ).all()
    engine.dispose()
    assert [(r.outcome, r.resource_id) for r in refused] == [("denied", "export deidentified")]
    assert "nurse@riverside.example.org" in refused[0].actor
