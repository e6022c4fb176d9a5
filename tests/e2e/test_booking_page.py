"""The front desk books a series for a patient who comes only on some days: the page
says which session does not fit and its window, and books what fits with the rest
put on the waitlist, never silently."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, select

from ketaclinic.kit.db import make_sessionmaker
from ketaclinic.plans.models import TreatmentPlan
from tests.e2e.conftest import LiveClinic, add_staff, sign_in_as
from tests.e2e.test_plan_pages import _clear_okafor
from tests.e2e.test_schedule_pages import _signed_plan

pytestmark = pytest.mark.e2e


def _book_url(engine: Engine, live_clinic: LiveClinic, plan_id: int) -> str:
    session = make_sessionmaker(engine)()
    try:
        patient_id = session.scalars(
            select(TreatmentPlan.patient_id).where(TreatmentPlan.id == plan_id)
        ).one()
    finally:
        session.close()
    return f"{live_clinic.base_url}/patients/{patient_id}/plans/{plan_id}/book"


def test_it_books_what_fits_and_waitlists_the_rest_when_sessions_do_not_fit(
    page: Page, live_clinic: LiveClinic, engine: Engine
) -> None:
    nurse = add_staff(engine, live_clinic, "nurse", "Nia Nurse")
    prescriber = add_staff(engine, live_clinic, "prescriber", "Pat Prescriber")
    _clear_okafor(engine, nurse, prescriber)
    url = _book_url(engine, live_clinic, _signed_plan(engine, live_clinic, nurse, prescriber))
    sign_in_as(page, live_clinic, live_clinic.front_desk_email)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.goto(url)
    # The patient comes Mondays and Wednesdays, mornings: from a Wednesday start the
    # Monday after is past a twice-weekly session's 3-4 day window.
    days = page.locator("#availability")
    for day in ("Tue", "Thu", "Fri", "Sat", "Sun"):
        days.get_by_label(day, exact=True).uncheck()
    days.get_by_label("From").fill("09:00")
    days.get_by_label("Until").fill("12:00")
    days.get_by_role("button", name="Propose again").click()
    proposal = page.locator("#option-0")
    unplaced = proposal.locator(".unplaced")
    expect(unplaced).to_contain_text("sessions fit")
    first_out = unplaced.locator("li").first
    expect(first_out).to_contain_text(re.compile(r"Session \d+"))
    expect(first_out).to_contain_text(re.compile(r"between \d+"))
    placed = proposal.locator("tbody tr")
    count = placed.count()
    assert count >= 1
    proposal.get_by_role("button", name=re.compile("put the rest on the waitlist")).click()
    expect(page.get_by_role("heading", name="Schedule")).to_be_visible()
    expect(page.locator("g.visit").first).to_contain_text("Okafor #1")
    page.goto(url)
    expect(page.locator("section", has_text="Already booked").locator("li")).to_have_count(count)
    page.goto(f"{live_clinic.base_url}/schedule/waitlist")
    expect(page.locator("table tbody tr", has_text="Okafor, Marcus")).to_contain_text("waiting")
