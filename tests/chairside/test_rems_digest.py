"""The staff digest of REMS forms due (issue 21): once a clinic-day from 08:00, one
email per staff member who may report the forms, counts only, through the outbox."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ketaclinic import cli_notify
from ketaclinic.chairside.models import ChairsideSession
from ketaclinic.chairside.rems_digest import TEMPLATE, queue_rems_digests, recipients
from ketaclinic.clinics.models import Clinic, ClinicSetting
from ketaclinic.kit import jobs
from ketaclinic.kit.time import utcnow
from ketaclinic.notifications.delivery import deliver_due
from ketaclinic.notifications.models import Message
from ketaclinic.patients.models import Patient
from ketaclinic.settings import Settings
from tests.appointments.conftest import signed_plan
from tests.conftest import Persona
from tests.notifications.conftest import Inbox, mail_settings, smtp_server  # noqa: F401

Api = Callable[[Persona], TestClient]


@pytest.fixture(autouse=True)
def _no_earlier_digests(db: Session) -> None:
    """Digests other tests committed are set aside in this test's transaction."""
    db.execute(
        update(Message).where(Message.status.in_(("queued", "sending"))).values(status="cancelled")
    )
    db.commit()


def at_local(clinic: Clinic, days: int, hour: int, minute: int = 0) -> datetime:
    """``hour`` o'clock at the clinic, ``days`` from the clinic's today."""
    zone = ZoneInfo(clinic.timezone)
    today = utcnow().astimezone(zone).date() + timedelta(days=days)
    return datetime.combine(today, time(hour, minute), zone).astimezone(UTC)


def given(db: Session, clinic: Clinic, patient_id: int, plan_id: int, at: datetime) -> int:
    """A Spravato session given at ``at`` and discharged, its form not yet reported."""
    row = ChairsideSession(
        clinic_id=clinic.id,
        patient_id=patient_id,
        plan_id=plan_id,
        session_number=1,
        protocol_id="esketamine_nasal",
        state="discharged",
        checked_in_at=at,
        administration_started_at=at,
        administration_ended_at=at + timedelta(minutes=5),
        discharged_at=at + timedelta(hours=2),
    )
    db.add(row)
    db.commit()
    return row.id


@pytest.fixture
def forms(api: Api, db: Session, nurse: Persona, prescriber: Persona, clinic: Clinic) -> Patient:
    """Two forms at the clinic: one overdue (given 9 days ago), one due tomorrow (given
    6 days ago); and one given today (due in 7 days: not in the digest)."""
    pid, plan = signed_plan(api, nurse, prescriber)
    given(db, clinic, pid, plan, at_local(clinic, -9, 10))
    given(db, clinic, pid, plan, at_local(clinic, -6, 10))
    given(db, clinic, pid, plan, at_local(clinic, 0, 7))
    patient = db.get(Patient, pid)
    assert patient is not None
    return patient


def mine(db: Session, clinic: Clinic) -> list[Message]:
    stmt = select(Message).where(Message.clinic_id == clinic.id, Message.template == TEMPLATE)
    return list(db.scalars(stmt.order_by(Message.id)))


def policy(settings: Settings) -> cli_notify.ChairsidePolicy:
    return cli_notify.chairside_policy(settings)


def test_it_queues_one_digest_per_clinic_day_and_staff_member_who_reports_forms(
    db: Session,
    settings: Settings,
    clinic: Clinic,
    forms: Patient,
    nurse: Persona,
    prescriber: Persona,
    admin: Persona,
    front_desk: Persona,
) -> None:
    who = {u.id for u in recipients(db, clinic.id)}
    assert who == {nurse.user.id, prescriber.user.id}  # who may report a REMS form
    queue_rems_digests(db, at_local(clinic, 0, 8, 1), policy(settings))
    queue_rems_digests(db, at_local(clinic, 0, 9), policy(settings))  # the next scans
    queue_rems_digests(db, at_local(clinic, 0, 17), policy(settings))
    db.commit()
    found = mine(db, clinic)
    assert sorted(m.user_id for m in found if m.user_id is not None) == sorted(who)
    assert all(m.patient_id is None and m.link_path == "/rems" for m in found)
    day = at_local(clinic, 0, 8).astimezone(ZoneInfo(clinic.timezone)).date().isoformat()
    assert {m.event_key for m in found} == {f"{TEMPLATE}:{clinic.id}:{day}:{u}" for u in who}
    assert found[0].counts == '{"due_count": 2, "overdue_count": 1}'
    # The next day: one more each.
    queue_rems_digests(db, at_local(clinic, 1, 8), policy(settings))
    assert len(mine(db, clinic)) == 2 * len(who)


def test_it_waits_for_eight_in_the_morning_at_the_clinic(
    db: Session,
    settings: Settings,
    clinic: Clinic,
    forms: Patient,
    nurse: Persona,
    prescriber: Persona,
) -> None:
    queue_rems_digests(db, at_local(clinic, 0, 7, 59), policy(settings))
    assert mine(db, clinic) == []
    queue_rems_digests(db, at_local(clinic, 0, 8), policy(settings))
    assert {m.user_id for m in mine(db, clinic)} == {nurse.user.id, prescriber.user.id}


def test_it_sends_nothing_when_no_form_is_due(
    api: Api,
    db: Session,
    settings: Settings,
    clinic: Clinic,
    nurse: Persona,
    prescriber: Persona,
) -> None:
    pid, plan = signed_plan(api, nurse, prescriber)
    given(db, clinic, pid, plan, at_local(clinic, -1, 10))  # due in six days
    queue_rems_digests(db, at_local(clinic, 0, 9), policy(settings))
    assert mine(db, clinic) == []


def test_it_emails_the_staff_by_smtp_without_a_patient_and_shows_it_in_the_outbox(
    api: Api,
    db: Session,
    clinic: Clinic,
    forms: Patient,
    nurse: Persona,
    prescriber: Persona,
    admin: Persona,
    smtp_server: tuple[Inbox, int],  # noqa: F811
    mail_settings: Settings,  # noqa: F811
) -> None:
    now = at_local(clinic, 0, 8, 30)
    report = cli_notify.send_due(db, mail_settings, now)
    assert report.queued[TEMPLATE] >= 2
    ours = {m.id for m in mine(db, clinic)}
    sent = [o for o in report.outcomes if o.message_id in ours]
    assert {o.status for o in sent} == {"sent"} and {o.channel for o in sent} == {"email"}
    inbox, _ = smtp_server
    to_us = {
        rcpt: mail
        for rcpts, mail in inbox.mails
        for rcpt in rcpts
        if rcpt in (nurse.email, prescriber.email)
    }
    assert set(to_us) == {nurse.email, prescriber.email}
    for mail in to_us.values():
        body = mail.get_payload(decode=True)
        text = (body.decode() if isinstance(body, bytes) else str(mail)) + str(mail["Subject"])
        assert "2 monitoring forms are due" in " ".join(text.split())
        assert "(1 overdue)" in text and "https://clinic.example.org/rems" in text
        for word in (forms.given_name, forms.family_name, forms.mrn):
            assert word not in text
    # Delivered once: the next round sends nothing more.
    again = deliver_due(db, settings=mail_settings, now=now + timedelta(minutes=1))
    assert not [o for o in again if o.message_id in ours]
    page = api(admin).get("/admin/outbox?status=sent")
    assert page.status_code == 200
    assert f"to staff: {nurse.user.name}" in page.text
    assert forms.family_name not in page.text  # the admin's outbox: only the digests
    listed = api(admin).get("/api/v1/admin/outbox", params={"status": "sent"}).json()["items"]
    staff = [i for i in listed if i["id"] in ours]
    assert staff and all(i["patient_id"] is None for i in staff)
    assert {i["patient_name"] for i in staff} >= {f"to staff: {prescriber.user.name}"}


def test_it_is_a_job_the_worker_runs_every_minute(
    db: Session,
    settings: Settings,
    clinic: Clinic,
    forms: Patient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cli_notify.register_jobs()
    assert cli_notify.REMS_JOB in jobs.EVERY_MINUTE

    @contextmanager
    def this_session(_settings: Settings | None = None) -> Iterator[Session]:
        yield db
        db.commit()

    monkeypatch.setattr(jobs, "job_session", this_session)
    monkeypatch.setattr(cli_notify, "utcnow", lambda: at_local(clinic, 0, 10))
    jobs.JOBS[cli_notify.REMS_JOB]()
    jobs.JOBS[cli_notify.REMS_JOB]()  # once a clinic-day
    assert len(mine(db, clinic)) == 2  # the nurse and the prescriber


def test_it_lists_as_far_ahead_as_the_clinic_sets(
    api: Api,
    db: Session,
    settings: Settings,
    clinic: Clinic,
    nurse: Persona,
    prescriber: Persona,
) -> None:
    pid, plan = signed_plan(api, nurse, prescriber)
    given(db, clinic, pid, plan, at_local(clinic, -1, 10))  # due in six days
    db.add(ClinicSetting(clinic_id=clinic.id, key="rems_digest_days", value="6"))
    db.commit()
    made = queue_rems_digests(db, at_local(clinic, 0, 9), policy(settings))
    assert made and all(m.clinic_id == clinic.id for m in mine(db, clinic))
