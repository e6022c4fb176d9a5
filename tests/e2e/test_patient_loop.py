"""Issue 21's whole loop, against a real SMTP server: a visit is booked through the
booking service; the reminder scan (``ketaclinic reminders send-due --now``) holds the
reminder in the quiet hours and sends it once in the sending hours; the email carries
no health words and its link leads the patient, on a phone, to the sign-in page,
where an emailed sign-in link signs her in; she answers the questionnaires her plan
assigns (the PHQ-9 among them) and confirms her escort; on the visit's day the nurse
checks her in and the pre-infusion checklist shows the questionnaires done and the
escort she confirmed. The clock is moved with ``kit.time`` (never the wall clock)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from email.message import Message as Mail
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from ketaclinic.appointments.models import Chair
from ketaclinic.appointments.service import Visit, book_visits
from ketaclinic.auth.service import get_user_by_email, principal_for
from ketaclinic.cli import app as cli
from ketaclinic.clinics.models import Clinic
from ketaclinic.demo.data import CLEAR_INTAKE
from ketaclinic.kit.db import make_sessionmaker
from ketaclinic.kit.time import clock_shift, set_clock_shift, to_local, utcnow
from ketaclinic.notifications.models import Message
from ketaclinic.patients.schemas import PatientCreate
from ketaclinic.patients.service import create_patient
from ketaclinic.plans import service as plans
from ketaclinic.plans.schemas import PlanIn
from ketaclinic.portal.models import PatientAccount
from ketaclinic.scheduling.model import SessionSpec
from ketaclinic.screenings import service as screenings
from ketaclinic.settings import get_settings
from tests.e2e.conftest import LiveClinic, add_staff, sign_in_as
from tests.e2e.test_layout_pages import PHONE, TABLET, _problems
from tests.notifications.conftest import Inbox, smtp_server  # noqa: F401

pytestmark = pytest.mark.e2e

ZONE = "America/Chicago"
SENDER = "E2E Clinic <no-reply@e2e.example.org>"
# Words a message must never hold (its link aside): they would tell a reader what the
# visit is for.
HEALTH_WORDS = re.compile(
    r"ketamine|infusion|depress|anxi|suicid|phq|gad-?7|dose|\bmg\b|treatment|diagnos|"
    r"medication|spravato|mental|psychiat|questionnaire|escort",
    re.IGNORECASE,
)
runner = CliRunner()


@dataclass
class Loop:
    patient_id: int
    appointment_id: int
    email: str
    nurse: str
    visit_day: date


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), ZoneInfo(ZONE))


def _travel(to: datetime) -> None:
    """Run the whole process (the live server too) on a clock that reads ``to`` now."""
    set_clock_shift(to - (utcnow() - clock_shift()))


@pytest.fixture
def mail_env(
    live_clinic: LiveClinic,
    database_url: str,
    smtp_server: tuple[Inbox, int],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[Inbox]:
    """The deployment's settings for the command (the worker's role): the test
    database, the in-process SMTP server as the email transport, links to the live
    server."""
    monkeypatch.setenv("KETACLINIC_DATABASE_URL", database_url)
    monkeypatch.setenv("KETACLINIC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KETACLINIC_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("KETACLINIC_SMTP_PORT", str(smtp_server[1]))
    monkeypatch.setenv("KETACLINIC_SMTP_SECURITY", "none")
    monkeypatch.setenv("KETACLINIC_SMTP_FROM", SENDER)
    monkeypatch.setenv("KETACLINIC_PUBLIC_URL", live_clinic.base_url)
    get_settings.cache_clear()
    yield smtp_server[0]
    get_settings.cache_clear()


def _world(engine: Engine, live: LiveClinic) -> Loop:
    """Rosa Delgado, cleared, on a signed twice-weekly IV plan, with an active portal
    account; her first visit booked through the booking service for 07:45 the day
    after tomorrow (committed for real: the browser talks to another thread)."""
    nurse = add_staff(engine, live, "nurse", "Nia Nurse")
    prescriber = add_staff(engine, live, "prescriber", "Pat Prescriber")
    session = make_sessionmaker(engine)()
    try:
        clinic = session.scalars(select(Clinic).where(Clinic.slug == live.slug)).one()
        clinic.address = "1200 Lakeside Drive, Suite 300, Austin, TX 78701"
        who = {
            e: principal_for(session, get_user_by_email(session, e))
            for e in (nurse, prescriber, live.front_desk_email)
        }
        email = f"rosa@{live.slug}.example.net"
        patient = create_patient(
            session,
            who[nurse],
            PatientCreate(
                given_name="Rosa",
                family_name="Delgado",
                birth_date=date(1986, 5, 14),
                sex_at_birth="female",
                weight_kg=Decimal("64.0"),
                height_cm=Decimal(165),
                email=email,
            ),
        )
        screenings.record_intake(session, who[nurse], patient, CLEAR_INTAKE)
        screening = screenings.run(
            session, who[nurse], patient, "iv_ketamine_mood", screenings.ScreeningPolicy()
        )
        screenings.sign(
            session,
            who[prescriber],
            patient,
            screening.id,
            decision="eligible",
            reason="Cleared in clinic by the prescriber.",
        )
        visit_day = to_local(utcnow(), ZONE).date() + timedelta(days=2)
        policy = plans.PlanPolicy()
        plan = plans.draft(
            session,
            who[nurse],
            patient,
            PlanIn(protocol_id="depression_iv_twice_weekly", start_date=visit_day),
            policy,
        )
        plans.transition(session, who[prescriber], patient, plan.id, "sign", None, policy)
        session.add(
            PatientAccount(
                clinic_id=clinic.id,
                patient_id=patient.id,
                email=email,
                status="active",
                activated_at=utcnow(),
            )
        )
        chair = Chair(clinic_id=clinic.id, name="Chair 1")
        session.add(chair)
        session.flush()
        start = _at(visit_day, 7, 45)
        visit = Visit(
            1,
            chair,
            start,
            start + timedelta(minutes=20),
            start + timedelta(minutes=60),
            start + timedelta(minutes=90),
            SessionSpec(20, 40, 30),
        )
        [booked] = book_visits(session, who[live.front_desk_email], patient, plan.id, [visit])
        session.commit()
        return Loop(patient.id, booked.id, email, nurse, visit_day)
    finally:
        session.close()


def _send_due(when: datetime) -> str:
    """One run of ``ketaclinic reminders send-due --now WHEN``: its output."""
    ran = runner.invoke(cli, ["reminders", "send-due", "--now", when.isoformat()])
    assert ran.exit_code == 0, ran.output
    return ran.output


def _body(mail: Mail) -> str:
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes), mail
    return payload.decode(mail.get_content_charset() or "utf-8")


def _mails(inbox: Inbox, to: str) -> list[Mail]:
    """What reached ``to`` (the scans are system work over every clinic: other
    end-to-end tests of the run may have left messages of their own)."""
    return [mail for rcpt, mail in inbox.mails if rcpt == [to]]


def _subjects(inbox: Inbox, to: str) -> list[str]:
    return [str(mail["Subject"]) for mail in _mails(inbox, to)]


def _reminders(inbox: Inbox, to: str) -> list[Mail]:
    return [m for m in _mails(inbox, to) if str(m["Subject"]).startswith("Reminder: your visit")]


def _outbox(engine: Engine, patient_id: int) -> dict[str, str]:
    """The patient's messages in the outbox: template -> status."""
    session = make_sessionmaker(engine)()
    try:
        rows = session.execute(
            select(Message.template, Message.status).where(Message.patient_id == patient_id)
        )
        return {template: status for template, status in rows}
    finally:
        session.close()


def _link(mail: Mail) -> str:
    found = re.search(r"https?://\S+", _body(mail))
    assert found is not None, _body(mail)
    return found.group(0)


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(**PHONE)
    yield context
    context.close()


@pytest.fixture
def tablet(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(**TABLET)
    yield context
    context.close()


def _fits(page: Page) -> None:
    assert _problems(page, width=390) == [], page.url


def test_it_reminds_signs_in_collects_the_answers_and_the_escort_for_the_nurse(
    live_clinic: LiveClinic,
    engine: Engine,
    mail_env: Inbox,
    phone: BrowserContext,
    tablet: BrowserContext,
) -> None:
    inbox = mail_env
    loop = _world(engine, live_clinic)
    eve = loop.visit_day - timedelta(days=1)

    # 07:50 the day before: the 24-hour reminder's time (07:45) has come, but it is
    # inside the quiet hours (before 08:00 at the clinic): nothing goes out.
    _travel(_at(eve, 7, 50))
    held = _send_due(_at(eve, 7, 50))
    assert "Visit reminder deferred" in held, held
    waiting = {"booking_confirmed", "visit_reminder", "escort_request", "questionnaire_due"}
    assert _outbox(engine, loop.patient_id) == dict.fromkeys(waiting, "queued")
    assert _mails(inbox, loop.email) == []

    # 08:05: inside the sending hours, the reminder goes (with the booking's
    # confirmation, the escort request and the notice that the visit's questionnaires
    # are open); a second scan sends nothing.
    _travel(_at(eve, 8, 5))
    sent = _send_due(_at(eve, 8, 5))
    assert "Visit reminder sent by email" in sent, sent
    assert _outbox(engine, loop.patient_id) == dict.fromkeys(waiting, "sent")
    assert len(_reminders(inbox, loop.email)) == 1
    assert any(s.startswith("A form to fill in") for s in _subjects(inbox, loop.email))
    before = _subjects(inbox, loop.email)
    _send_due(_at(eve, 8, 6))
    assert _subjects(inbox, loop.email) == before
    assert len(_reminders(inbox, loop.email)) == 1

    for mail in _mails(inbox, loop.email):
        assert mail["To"] == loop.email and mail["From"] == SENDER
        words = re.sub(r"https?://\S+", "", f"{mail['Subject']}\n{_body(mail)}")
        assert HEALTH_WORDS.search(words) is None, words
    [reminder] = _reminders(inbox, loop.email)
    assert "7:45 AM" in _body(reminder) and "1200 Lakeside Drive" in _body(reminder)

    # The reminder's link, on her phone: the portal asks her to sign in; she asks for
    # a link, and the worker's next run emails it.
    page = phone.new_page()
    page.goto(_link(reminder))
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    _fits(page)
    page.get_by_label("Your email address").fill(loop.email)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    _send_due(utcnow())
    [signin] = [m for m in _mails(inbox, loop.email) if "sign-in link" in str(m["Subject"])]
    assert HEALTH_WORDS.search(re.sub(r"https?://\S+", "", _body(signin))) is None
    page.goto(_link(signin))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your visits")).to_be_visible()
    _fits(page)

    # The questionnaires her plan assigns for this visit (the PHQ-9, the weekly GAD-7).
    page.goto(f"{live_clinic.base_url}/portal/questionnaires")
    expect(page.get_by_role("heading", name="Questionnaires", level=1)).to_be_visible()
    page.get_by_role("link", name="Answer: Patient Health Questionnaire-9 (PHQ-9)").click()
    expect(page.get_by_role("button", name="Send my answers")).to_be_visible()
    _fits(page)
    for n in range(1, 10):
        page.locator(f'input[name="phq9_{n}"][value="{0 if n == 9 else 1}"]').check()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", name="Answers sent")).to_be_visible()
    page.get_by_role("link", name="Back to your questionnaires").click()
    expect(page.get_by_text("Done Patient Health Questionnaire-9 (PHQ-9)")).to_be_visible()
    page.get_by_role("link", name=re.compile(r"^Answer: .*GAD-7")).click()
    expect(page.get_by_role("button", name="Send my answers")).to_be_visible()
    for n in range(1, 8):
        page.locator(f'input[name="gad7_{n}"][value="1"]').check()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", name="Answers sent")).to_be_visible()
    page.get_by_role("link", name="Back to your questionnaires").click()
    expect(page.get_by_role("link", name=re.compile("^Answer: "))).to_have_count(0)

    # The escort, on the visit's page.
    page.get_by_role("navigation", name="Portal").get_by_role("link", name="Visits").click()
    page.get_by_role("link", name="How to prepare, escort, changes").click()
    expect(page.get_by_role("heading", name="How to prepare")).to_be_visible()
    page.get_by_label("Their name").fill("Erik Lindqvist")
    page.get_by_label("Their phone number").fill("(512) 555-0147")
    page.get_by_role("button", name="Confirm my escort").click()
    expect(page.get_by_text("Erik Lindqvist, +1 512-555-0147")).to_be_visible()
    _fits(page)
    # Nothing of hers is left waiting in the outbox (the sign-in link went too).
    assert set(_outbox(engine, loop.patient_id).values()) == {"sent"}

    # The visit's morning: the nurse checks her in; the checklist shows both.
    _travel(_at(loop.visit_day, 7, 40))
    chair = tablet.new_page()
    sign_in_as(chair, live_clinic, loop.nurse)
    expect(chair.get_by_role("button", name="Sign out")).to_be_visible()
    chair.goto(f"{live_clinic.base_url}/board")
    row = chair.locator(f'tr[data-visit="{loop.appointment_id}"]')
    expect(row).to_contain_text("Delgado, Rosa")
    row.get_by_role("button", name="Check in").click()
    expect(chair.get_by_role("heading", name="Pre-infusion checklist")).to_be_visible()
    questionnaires = chair.locator('li[data-item="questionnaires_today"]')
    expect(questionnaires).to_contain_text("✓ done: ")
    expect(questionnaires).to_contain_text("Patient Health Questionnaire-9 (PHQ-9)")
    expect(questionnaires).to_contain_text("GAD-7")
    escort = chair.locator('li[data-item="escort_present"]')
    expect(escort).to_contain_text("Confirmed by the patient: Erik Lindqvist, +1 512-555-0147")
    # Still the nurse's own check: the escort must be here in person.
    expect(escort.locator('input[name="item_escort_present"]')).to_have_count(3)
