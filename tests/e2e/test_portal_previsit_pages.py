"""On a phone (390 x 844): the patient answers the PHQ-9 their plan assigns before
tomorrow's visit and signs the infusion consent, in the portal, without sideways
scrolling, small targets or an axe violation on the way."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import Engine, select

from ketaclinic.appointments.models import Appointment, Chair
from ketaclinic.clinics.models import Clinic
from ketaclinic.consents.models import ConsentSignature
from ketaclinic.kit.db import make_sessionmaker
from ketaclinic.kit.time import today_in, utcnow
from ketaclinic.measures.models import QuestionnaireResponse
from ketaclinic.patients.models import Patient
from ketaclinic.plans.models import TreatmentPlan
from ketaclinic.portal import sessions
from ketaclinic.portal.deps import PORTAL_COOKIE
from ketaclinic.portal.models import PatientAccount
from tests.e2e.conftest import LiveClinic
from tests.e2e.test_layout_pages import PHONE, _problems

pytestmark = pytest.mark.e2e


def _patient_with_a_visit_tomorrow(engine: Engine, live: LiveClinic) -> tuple[int, str]:
    """A patient on the twice-weekly IV plan, booked 30 hours from now, with a portal
    session; (patient id, the session's cookie)."""
    session = make_sessionmaker(engine)()
    try:
        clinic = session.scalars(select(Clinic).where(Clinic.slug == live.slug)).one()
        patient = Patient(
            clinic_id=clinic.id,
            mrn=f"E{secrets.randbelow(10**8):08d}",
            given_name="Rosa",
            family_name="Delgado",
            search_name="rosa delgado",
            birth_date=date(1986, 5, 14),
            sex_at_birth="female",
        )
        chair = Chair(clinic_id=clinic.id, name="Chair 1")
        session.add_all([patient, chair])
        session.flush()
        plan = TreatmentPlan(
            patient_id=patient.id,
            lineage_id=uuid.uuid4().hex,
            version=1,
            protocol_id="depression_iv_twice_weekly",
            protocol_version="1.0",
            dose_amount=Decimal("0.5"),
            dose_unit="mg_per_kg",
            preparation="1 mg/mL in a 100 mL bag",
            weight_basis="actual",
            start_date=today_in("America/Chicago"),
            sessions="[]",
        )
        session.add(plan)
        session.flush()
        starts = (utcnow() + timedelta(hours=30)).replace(second=0, microsecond=0)
        session.add(
            Appointment(
                clinic_id=clinic.id,
                patient_id=patient.id,
                plan_id=plan.id,
                session_number=1,
                chair_id=chair.id,
                starts_at=starts,
                setup_ends_at=starts + timedelta(minutes=20),
                administration_ends_at=starts + timedelta(minutes=60),
                ends_at=starts + timedelta(minutes=90),
                status="booked",
            )
        )
        account = PatientAccount(
            clinic_id=clinic.id,
            patient_id=patient.id,
            email=f"rosa@{live.slug}.example.org",
            status="active",
            activated_at=utcnow(),
        )
        session.add(account)
        session.flush()
        token, _row = sessions.start(session, account, timedelta(hours=1))
        session.commit()
        return patient.id, token
    finally:
        session.close()


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(**PHONE)
    yield context
    context.close()


def _fits(page: Page) -> None:
    assert _problems(page, width=390) == [], page.url


def test_it_lets_a_patient_answer_the_phq9_and_sign_the_consent_on_a_phone(
    live_clinic: LiveClinic, engine: Engine, phone: BrowserContext
) -> None:
    patient_id, token = _patient_with_a_visit_tomorrow(engine, live_clinic)
    phone.add_cookies([{"name": PORTAL_COOKIE, "value": token, "url": live_clinic.base_url}])
    page = phone.new_page()

    page.goto(f"{live_clinic.base_url}/portal/questionnaires")
    expect(page.get_by_role("heading", name="Questionnaires", level=1)).to_be_visible()
    _fits(page)
    page.get_by_role("link", name="Answer: Patient Health Questionnaire-9 (PHQ-9)").click()
    # Each check waits for the next page first (a check on a page being replaced fails).
    expect(page.get_by_role("button", name="Send my answers")).to_be_visible()
    _fits(page)
    for n in range(1, 10):
        value = "0" if n == 9 else "1"
        page.locator(f'input[name="phq9_{n}"][value="{value}"]').check()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", name="Answers sent")).to_be_visible()
    _fits(page)
    page.get_by_role("link", name="Back to your questionnaires").click()
    expect(page.get_by_text("Done Patient Health Questionnaire-9 (PHQ-9)")).to_be_visible()

    page.get_by_role("link", name="Documents", exact=True).click()
    expect(page.get_by_role("heading", name="Documents", level=1)).to_be_visible()
    _fits(page)
    page.get_by_role("link", name="Read and sign: Consent to ketamine infusion treatment").click()
    expect(page.get_by_label("Type your full name to sign")).to_be_visible()
    _fits(page)
    page.get_by_label("Type your full name to sign").fill("Rosa Delgado")
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page.get_by_text("Signed. A copy is kept below.")).to_be_visible()
    _fits(page)

    session = make_sessionmaker(engine)()
    try:
        responses = session.scalars(
            select(QuestionnaireResponse).where(QuestionnaireResponse.patient_id == patient_id)
        ).all()
        assert [(r.instrument_id, r.total, r.completed_by) for r in responses] == [
            ("phq9", 8, "patient")
        ]
        signature = session.scalars(
            select(ConsentSignature).where(ConsentSignature.patient_id == patient_id)
        ).one()
        assert signature.typed_name == "Rosa Delgado"
        assert signature.user_agent != ""
    finally:
        session.close()
