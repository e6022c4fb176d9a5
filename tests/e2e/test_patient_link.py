"""A patient completes a PHQ-9 on a phone from a one-time link; a positive item 9
raises a safety alert that the clinic's nurse sees on the chart."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import Engine, select

from ketaclinic.auth.service import create_user, principal_for
from ketaclinic.clinics.models import Clinic
from ketaclinic.kit.db import make_sessionmaker
from ketaclinic.measures.service import create_link
from ketaclinic.patients.schemas import PatientCreate
from ketaclinic.patients.service import create_patient
from tests.e2e.conftest import LiveClinic

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@dataclass
class SentLink:
    url: str
    patient_id: int
    nurse_email: str


@pytest.fixture
def sent_link(live_clinic: LiveClinic, engine: Engine) -> SentLink:
    """A nurse of the live clinic sends Maya a PHQ-9 link (committed for real)."""
    session = make_sessionmaker(engine)()
    try:
        clinic = session.scalars(select(Clinic).where(Clinic.slug == live_clinic.slug)).one()
        nurse = create_user(
            session,
            email=f"nurse@{live_clinic.slug}.example.org",
            name="Nia Nurse",
            password=live_clinic.password,
            role="nurse",
            clinic=clinic,
        )
        principal = principal_for(session, nurse)
        patient = create_patient(
            session,
            principal,
            PatientCreate(
                given_name="Maya",
                family_name="Lindqvist",
                birth_date=date(1984, 3, 21),
                sex_at_birth="female",
            ),
        )
        _, token = create_link(session, principal, patient, "phq9", valid_hours=24)
        session.commit()
        return SentLink(f"{live_clinic.base_url}/q/{token}", patient.id, nurse.email)
    finally:
        session.close()


def _watch_console(page: Page, errors: list[str]) -> None:
    def on_console(msg: object) -> None:
        text = msg.text  # type: ignore[attr-defined]
        # Chromium logs every 4xx; a 422 is the server answering a form with its errors
        # and a 410 the page for a link already used, both expected here.
        expected = ("status of 422", "status of 410")
        if msg.type == "error" and not any(e in text for e in expected):  # type: ignore[attr-defined]
            errors.append(text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context: BrowserContext = browser.new_context(**PHONE)
    page = context.new_page()
    errors: list[str] = []
    _watch_console(page, errors)
    yield page
    context.close()
    # A CSP violation or a script error is a bug even when the flow still works.
    assert errors == [], errors


def _answer(phone: Page, item_id: str, label: str) -> None:
    phone.locator(f"#q-{item_id}").get_by_text(label, exact=True).tap()


def test_it_completes_a_phq9_on_a_phone_and_the_nurse_sees_the_alert(
    phone: Page, page: Page, sent_link: SentLink, live_clinic: LiveClinic
) -> None:
    phone.goto(sent_link.url)
    expect(phone.get_by_role("heading", name="Hi Maya")).to_be_visible()
    expect(phone.get_by_text("Over the last 2 weeks, how often")).to_be_visible()
    expect(phone.locator("body")).not_to_contain_text("Lindqvist")
    # Fits the phone: no sideways scrolling, and every answer is a thumb-sized target.
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    for box in [c.bounding_box() for c in phone.locator("label.choice").all()]:
        assert box is not None and box["height"] >= 44, box

    # Forgetting a question: the page says which, beside it, and keeps the rest.
    for i in range(1, 9):
        _answer(phone, f"phq9_{i}", "Not at all")
    phone.get_by_role("button", name="Send my answers").tap()
    expect(phone.get_by_role("alert")).to_contain_text("Question 9: Please choose an answer.")
    expect(phone.locator("#e-phq9_9")).to_have_text("Please choose an answer.")
    expect(phone.locator("#q-phq9_1").get_by_label("Not at all")).to_be_checked()

    item9 = phone.get_by_role("group", name="Thoughts that you would be better off dead")
    item9.get_by_text("Several days", exact=True).tap()
    expect(item9.get_by_label("Several days")).to_be_checked()
    phone.get_by_role("button", name="Send my answers").tap()
    expect(phone.get_by_text("Thank you, your answers were sent to your care team")).to_be_visible()
    crisis = phone.get_by_role("alert")
    expect(crisis).to_contain_text("call or text 988 (Suicide & Crisis Lifeline, US) or 911")
    expect(phone.locator("body")).not_to_contain_text("mild")

    # The link works once.
    again = phone.goto(sent_link.url)
    assert again is not None and again.status == 410
    expect(phone.get_by_text("already completed")).to_be_visible()

    # The clinic's nurse signs in on a normal browser and sees the alert.
    page.goto(f"{live_clinic.base_url}/login")
    page.get_by_label("Email").fill(sent_link.nurse_email)
    page.get_by_label("Password").fill(live_clinic.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()
    alerts = page.request.get(f"{live_clinic.base_url}/api/v1/alerts").json()["items"]
    assert [a["patient_id"] for a in alerts] == [sent_link.patient_id]
    assert alerts[0]["message"].startswith("Suicide-risk answer")
    page.goto(f"{live_clinic.base_url}/patients/{sent_link.patient_id}")
    banner = page.get_by_role("alert").filter(has_text="Suicide-risk answer")
    expect(banner).to_be_visible()
