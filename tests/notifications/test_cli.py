"""``ketaclinic reminders send-due`` on a database of its own (it commits for real),
sending to a real SMTP server; ``--now`` checked."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ketaclinic.cli import app
from ketaclinic.clinical.messaging import next_morning
from ketaclinic.clinics.service import create_clinic
from ketaclinic.kit.db import make_engine, make_sessionmaker
from ketaclinic.kit.time import utcnow
from ketaclinic.notifications.service import queue
from ketaclinic.patients.models import Patient
from ketaclinic.settings import get_settings
from tests.notifications.conftest import Inbox

runner = CliRunner()
ZONE = "America/Chicago"


@pytest.fixture
def cli_env(
    fresh_url: str,
    smtp_server: tuple[Inbox, int],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: object,
) -> Iterator[str]:
    monkeypatch.setenv("KETACLINIC_DATABASE_URL", fresh_url)
    monkeypatch.setenv("KETACLINIC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KETACLINIC_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("KETACLINIC_SMTP_PORT", str(smtp_server[1]))
    monkeypatch.setenv("KETACLINIC_SMTP_SECURITY", "none")
    monkeypatch.setenv("KETACLINIC_PUBLIC_URL", "https://clinic.example.org")
    get_settings.cache_clear()
    yield fresh_url
    get_settings.cache_clear()


def _seed(url: str) -> None:
    engine = make_engine(url)
    db: Session = make_sessionmaker(engine)()
    try:
        clinic = create_clinic(db, slug="cli-clinic", name="Riverside Clinic", timezone=ZONE)
        patient = Patient(
            clinic_id=clinic.id,
            mrn="CLI0001",
            given_name="Jo",
            family_name="Cole",
            search_name="jo cole",
            birth_date=date(1975, 5, 6),
            sex_at_birth="female",
            email="jo.cole@example.org",
        )
        db.add(patient)
        db.flush()
        queue(
            db,
            clinic_id=clinic.id,
            patient_id=patient.id,
            template="consent_request",
            event_key="cli:consent",
        )
        db.commit()
    finally:
        db.close()
        engine.dispose()


def test_it_sends_what_is_due_once_and_says_so(
    cli_env: str, smtp_server: tuple[Inbox, int]
) -> None:
    _seed(cli_env)
    morning = next_morning(utcnow(), timezone=ZONE, hour=10).isoformat()
    first = runner.invoke(app, ["reminders", "send-due", "--now", morning])
    assert first.exit_code == 0, first.output
    assert "Document to sign sent by email" in first.output
    assert len(smtp_server[0].mails) == 1
    _, mail = smtp_server[0].mails[0]
    assert mail["To"] == "jo.cole@example.org"
    again = runner.invoke(app, ["reminders", "send-due", "--now", morning])
    assert again.exit_code == 0 and "nothing due" in again.output
    assert len(smtp_server[0].mails) == 1


@pytest.mark.parametrize(
    ("value", "words"),
    [("tomorrow", "ISO time"), ("2026-12-09T08:00", "offset")],
)
def test_it_refuses_a_now_it_cannot_read(cli_env: str, value: str, words: str) -> None:
    refused = runner.invoke(app, ["reminders", "send-due", "--now", value])
    assert refused.exit_code == 2
    assert words in refused.output
