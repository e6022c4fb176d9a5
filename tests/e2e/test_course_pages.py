"""A prescriber on a tablet finds "Booster suggested" on the dashboard, opens the
patient's course (induction summary, durability, timeline) and dismisses the
suggestion, first without a reason (refused, naming the field), then with one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import Engine, select

from ketaclinic.auth.models import User
from ketaclinic.auth.service import principal_for
from ketaclinic.kit import jobs
from ketaclinic.kit.db import make_sessionmaker, set_visible_clinics
from ketaclinic.kit.time import utcnow
from ketaclinic.measures import service as measures
from ketaclinic.measures.schemas import ResponseIn, TreatmentIn
from ketaclinic.outcomes import jobs as booster_jobs
from ketaclinic.patients.models import Patient
from tests.e2e.conftest import LiveClinic, add_staff, sign_in_as
from tests.e2e.test_layout_pages import _problems
from tests.outcomes.helpers import phq9

pytestmark = pytest.mark.e2e

# Days from the first infusion (day 0, 50 days ago) and the PHQ-9 totals: baseline 20,
# 8 at the end of the induction, then 16 and 17: back within 25% of baseline.
SCORES = ((0, 20), (24, 8), (38, 16), (45, 17))


def _history(engine: Engine, clinic: LiveClinic, nurse_email: str) -> None:
    session = make_sessionmaker(engine)()
    try:
        nurse = principal_for(
            session, session.scalars(select(User).where(User.email == nurse_email)).one()
        )
        patient = session.scalars(
            select(Patient).where(
                Patient.family_name == "Okafor", Patient.clinic_id.in_(nurse.roles)
            )
        ).one()
        start = (utcnow() - timedelta(days=50)).replace(hour=15, minute=0, second=0, microsecond=0)
        for day, total in SCORES:
            measures.record_response(
                session,
                nurse,
                patient,
                ResponseIn(
                    instrument_id="phq9",
                    answers=phq9(total),
                    completed_at=start + timedelta(days=day, minutes=-30),
                ),
            )
        for day in (0, 3, 7, 10, 14, 17):
            measures.record_treatment(
                session,
                nurse,
                patient,
                TreatmentIn(given_at=start + timedelta(days=day), modality="iv_ketamine"),
            )
        session.commit()
        # The worker's booster job, as it runs after that commit (system work).
        jobs.see_every_clinic(session)
        set_visible_clinics(session, "*")
        booster_jobs.evaluate_due(session, clinic_ids=[patient.clinic_id])
        session.commit()
    finally:
        session.close()


def test_it_opens_a_course_and_dismisses_a_booster_with_a_reason(
    browser: Browser, live_clinic: LiveClinic, engine: Engine
) -> None:
    nurse = add_staff(engine, live_clinic, "nurse", "Nia Nurse")
    prescriber = add_staff(engine, live_clinic, "prescriber", "Pat Prescriber")
    _history(engine, live_clinic, nurse)
    tablet = browser.new_context(viewport={"width": 820, "height": 1180}, has_touch=True)
    page = tablet.new_page()
    sign_in_as(page, live_clinic, prescriber)
    page.goto(f"{live_clinic.base_url}/dashboard")
    card = page.locator("#boosters")
    expect(card).to_contain_text("Booster suggested")
    expect(card).to_contain_text("back within 25% of the baseline of 20")
    # Tablet-true and accessible: no sideways scroll, thumb-sized controls, no axe finding.
    assert _problems(page, width=820) == []
    card.get_by_role("link", name="Okafor, Marcus").click()

    expect(page.get_by_role("heading", name="Course", exact=True)).to_be_visible()
    expect(page.locator("#induction")).to_contain_text("Completed")
    expect(page.locator("#summary")).to_contain_text("Patient Health Questionnaire-9")
    expect(page.locator("#durability")).to_contain_text("response lost after")
    expect(page.locator("#durability svg")).to_be_visible()
    assert _problems(page, width=820) == []

    boosters = page.locator("#boosters")
    boosters.get_by_role("button", name="Dismiss").click()
    expect(page.locator("#e-reason")).to_contain_text("say why")
    page.get_by_label("Reason to dismiss").fill("Exams this month; review in two weeks")
    page.get_by_role("button", name="Dismiss").click()
    expect(page.locator("#boosters")).to_contain_text("Dismissed")
    expect(page.locator("#boosters")).to_contain_text("Exams this month")
    tablet.close()
