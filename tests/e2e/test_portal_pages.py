"""A patient on a phone (390 x 844) signs in to the portal with an emailed link,
opens the next visit and confirms the escort; no page scrolls sideways, targets are
big enough and axe-core finds nothing serious."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine, select

from ketaclinic.appointments.models import Appointment, Chair
from ketaclinic.clinics.models import Clinic
from ketaclinic.kit.db import make_sessionmaker
from ketaclinic.kit.time import utcnow
from ketaclinic.notifications.models import Message
from ketaclinic.patients.models import Patient
from ketaclinic.portal.models import PatientAccount
from tests.e2e.conftest import LiveClinic
from tests.e2e.test_layout_pages import PHONE, _problems, _shoot

pytestmark = pytest.mark.e2e


@dataclass
class PortalPatient:
    email: str
    patient_id: int
    appointment_id: int


@pytest.fixture
def portal_patient(live_clinic: LiveClinic, engine: Engine) -> PortalPatient:
    """Maya, with an active portal account and a visit in three days (committed)."""
    session = make_sessionmaker(engine)()
    try:
        clinic = session.scalars(select(Clinic).where(Clinic.slug == live_clinic.slug)).one()
        clinic.address = "1200 Lakeside Drive, Suite 300, Austin, TX 78701"
        email = f"maya@{live_clinic.slug}.example.net"
        patient = Patient(
            clinic_id=clinic.id,
            mrn=live_clinic.slug[-6:].upper().rjust(8, "P"),
            given_name="Maya",
            family_name="Lindqvist",
            search_name="maya lindqvist",
            birth_date=utcnow().date().replace(year=1984),
            sex_at_birth="female",
            email=email,
        )
        chair = Chair(clinic_id=clinic.id, name="Chair 1")
        session.add_all([patient, chair])
        session.flush()
        session.add(
            PatientAccount(
                clinic_id=clinic.id,
                patient_id=patient.id,
                email=email,
                status="active",
                activated_at=utcnow(),
            )
        )
        start = utcnow().replace(microsecond=0) + timedelta(days=3)
        visit = Appointment(
            clinic_id=clinic.id,
            patient_id=patient.id,
            session_number=1,
            chair_id=chair.id,
            starts_at=start,
            setup_ends_at=start + timedelta(minutes=15),
            administration_ends_at=start + timedelta(minutes=55),
            ends_at=start + timedelta(minutes=120),
        )
        session.add(visit)
        session.commit()
        return PortalPatient(email, patient.id, visit.id)
    finally:
        session.close()


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(**PHONE)
    yield context.new_page()
    context.close()


def _fits(page: Page) -> None:
    _shoot(page, "portal " + page.url.split("/", 3)[-1])
    problems = _problems(page, width=390)
    assert problems == [], f"{page.url}: {problems}"


def _emailed_link(engine: Engine, patient_id: int) -> str:
    session = make_sessionmaker(engine)()
    try:
        path = session.scalars(
            select(Message.link_path)
            .where(Message.patient_id == patient_id, Message.template == "sign_in_link")
            .order_by(Message.id.desc())
        ).first()
        assert path is not None
        return path
    finally:
        session.close()


def test_it_signs_in_by_link_and_confirms_the_escort_on_a_phone(
    phone: Page, live_clinic: LiveClinic, portal_patient: PortalPatient, engine: Engine
) -> None:
    base = live_clinic.base_url
    phone.goto(f"{base}/portal")
    expect(phone.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    _fits(phone)
    phone.get_by_label("Your email address").fill(portal_patient.email)
    phone.get_by_role("button", name="Email me a sign-in link").click()
    expect(phone.get_by_role("heading", name="Check your email")).to_be_visible()
    _fits(phone)

    phone.goto(base + _emailed_link(engine, portal_patient.patient_id))
    _fits(phone)
    phone.get_by_role("button", name="Sign in").click()
    expect(phone.get_by_role("heading", name="Your visits")).to_be_visible()
    expect(phone.get_by_text("E2E Clinic").first).to_be_visible()
    expect(phone.get_by_text("Not confirmed yet")).to_be_visible()
    _fits(phone)

    phone.get_by_role("link", name="How to prepare, escort, changes").click()
    expect(phone.get_by_role("heading", name="How to prepare")).to_be_visible()
    expect(phone.get_by_text("until the next day, after a night's sleep")).to_be_visible()
    _fits(phone)
    phone.get_by_label("Their name").fill("Erik Lindqvist")
    phone.get_by_label("Their phone number").fill("(512) 555-0147")
    phone.get_by_role("button", name="Confirm my escort").click()
    expect(phone.get_by_text("your escort is confirmed")).to_be_visible()
    expect(phone.get_by_text("Erik Lindqvist, +1 512-555-0147")).to_be_visible()
    _fits(phone)

    session = make_sessionmaker(engine)()
    try:
        visit = session.get(Appointment, portal_patient.appointment_id)
        assert visit is not None and visit.escort_confirmed
    finally:
        session.close()

    phone.get_by_role("navigation", name="Portal").get_by_role("link", name="Visits").click()
    expect(phone.get_by_text("Confirmed").first).to_be_visible()
    phone.get_by_role("button", name="Sign out").click()
    expect(phone.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
