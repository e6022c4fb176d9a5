"""The questionnaire scan runs by itself: a periodic job of the worker (every minute,
beside the reminder scan) and part of ``ketaclinic reminders send-due``'s round."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic import cli_notify
from ketaclinic.kit import jobs
from ketaclinic.kit.time import utcnow
from ketaclinic.notifications.models import Message
from ketaclinic.settings import Settings
from tests.previsit.conftest import Planned, in_hours


def _notices(db: Session, planned: Planned) -> list[Message]:
    """This patient's notices: the scans go through every clinic, and the suite's
    database keeps other tests' visits."""
    stmt = select(Message).where(
        Message.template == "questionnaire_due", Message.patient_id == planned.patient_id
    )
    return list(db.scalars(stmt))


def test_it_is_a_job_the_worker_runs_every_minute(
    db: Session, planned: Planned, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli_notify.register_jobs()
    assert cli_notify.QUESTIONNAIRE_JOB in jobs.EVERY_MINUTE
    visit = planned.visit(db, in_hours(30))

    @contextmanager
    def this_session(_settings: Settings | None = None) -> Iterator[Session]:
        yield db
        db.commit()

    monkeypatch.setattr(jobs, "job_session", this_session)
    jobs.JOBS[cli_notify.QUESTIONNAIRE_JOB]()
    jobs.JOBS[cli_notify.QUESTIONNAIRE_JOB]()  # never twice for one visit
    assert [m.event_key for m in _notices(db, planned)] == [f"questionnaire_due:{visit.id}"]


def test_it_is_part_of_send_due_and_goes_out_at_once(
    db: Session, planned: Planned, tmp_path: Path
) -> None:
    planned.visit(db, in_hours(30))  # its questionnaires are open now
    settings = Settings(database_url="sqlite://", data_dir=tmp_path, secret_key="k" * 32)
    report = cli_notify.send_due(db, settings, utcnow())
    assert report.queued["questionnaire_due"] >= 1
    [notice] = _notices(db, planned)
    # No transport configured: the outbox shows it as not sent, in the same round.
    assert notice.status == "no_transport"
    assert any(o.message_id == notice.id for o in report.outcomes)


def test_it_leaves_the_scan_to_its_own_job_in_the_reminder_job(
    db: Session, planned: Planned, tmp_path: Path
) -> None:
    planned.visit(db, in_hours(30))
    settings = Settings(database_url="sqlite://", data_dir=tmp_path, secret_key="k" * 32)
    report = cli_notify.send_due(db, settings, utcnow(), questionnaires=False)
    assert report.queued["questionnaire_due"] == 0 and _notices(db, planned) == []
