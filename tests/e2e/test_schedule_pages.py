"""The front desk opens a signed plan, books its series from the proposal, and finds
the first visit on the day view, where it confirms the escort."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, select

from ketaclinic.appointments.models import Chair
from ketaclinic.auth.service import get_user_by_email, principal_for
from ketaclinic.clinics.models import Clinic
from ketaclinic.kit.db import make_sessionmaker
from ketaclinic.kit.time import today_in
from ketaclinic.patients.models import Patient
from ketaclinic.plans import service as plans
from ketaclinic.plans.schemas import PlanIn
from tests.conftest import CLINIC_TZ
from tests.e2e.conftest import LiveClinic, add_staff, sign_in_as
from tests.e2e.test_plan_pages import _clear_okafor

pytestmark = pytest.mark.e2e


def _signed_plan(engine: Engine, live_clinic: LiveClinic, nurse: str, prescriber: str) -> int:
    session = make_sessionmaker(engine)()
    try:
        clinic = session.scalars(select(Clinic).where(Clinic.slug == live_clinic.slug)).one()
        session.add_all([Chair(clinic_id=clinic.id, name=f"Chair {n}") for n in (1, 2)])
        by_nurse = principal_for(session, get_user_by_email(session, nurse))
        by_prescriber = principal_for(session, get_user_by_email(session, prescriber))
        patient = session.scalars(select(Patient).where(Patient.clinic_id == clinic.id)).one()
        policy = plans.PlanPolicy()
        plan = plans.draft(
            session,
            by_nurse,
            patient,
            PlanIn(protocol_id="depression_iv_twice_weekly", start_date=today_in(CLINIC_TZ)),
            policy,
        )
        plans.transition(session, by_prescriber, patient, plan.id, "sign", None, policy)
        session.commit()
        return plan.id
    finally:
        session.close()


def test_it_books_a_series_from_the_plan_and_sees_it_on_the_day(
    page: Page, live_clinic: LiveClinic, engine: Engine
) -> None:
    nurse = add_staff(engine, live_clinic, "nurse", "Nia Nurse")
    prescriber = add_staff(engine, live_clinic, "prescriber", "Pat Prescriber")
    _clear_okafor(engine, nurse, prescriber)
    _signed_plan(engine, live_clinic, nurse, prescriber)
    sign_in_as(page, live_clinic, live_clinic.front_desk_email)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.get_by_role("link", name="Okafor, Marcus").click()
    page.get_by_role("link", name="Plans", exact=True).click()
    page.get_by_role("link", name="Depression", exact=False).first.click()
    page.get_by_role("link", name="Book sessions").click()
    proposal = page.locator("#option-0")
    expect(proposal).to_contain_text("Chair")
    expect(proposal.locator("tbody tr")).to_have_count(6)
    proposal.get_by_role("button", name="Book these").click()
    expect(page.get_by_role("heading", name="Schedule")).to_be_visible()
    visit = page.locator("g.visit").first
    expect(visit).to_contain_text("Okafor #1")
    expect(page.locator("#prescriber-on-site")).to_contain_text("prescriber on site")
    page.locator("#list").get_by_role("link").first.click()
    page.get_by_label("Who takes the patient home").fill("Ada Okafor")
    page.get_by_role("button", name="Confirm escort").click()
    expect(page.locator("#escort")).to_have_text("confirmed")


def test_it_shows_the_week_as_a_grid_with_the_days_load_at_tablet_width(
    page: Page, live_clinic: LiveClinic, engine: Engine
) -> None:
    nurse = add_staff(engine, live_clinic, "nurse", "Nia Nurse")
    prescriber = add_staff(engine, live_clinic, "prescriber", "Pat Prescriber")
    _clear_okafor(engine, nurse, prescriber)
    _signed_plan(engine, live_clinic, nurse, prescriber)
    page.set_viewport_size({"width": 820, "height": 1180})
    sign_in_as(page, live_clinic, live_clinic.front_desk_email)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.get_by_role("link", name="Okafor, Marcus").click()
    expect(page).to_have_url(re.compile(r"/patients/\d+$"))
    chart_url = page.url
    page.get_by_role("link", name="Plans", exact=True).click()
    page.get_by_role("link", name="Depression", exact=False).first.click()
    page.get_by_role("link", name="Book sessions").click()
    page.locator("#option-0").get_by_role("button", name="Book these").click()
    expect(page.get_by_role("heading", name="Schedule")).to_be_visible()
    page.get_by_role("link", name="Week", exact=True).click()

    grid = page.locator("table.week-grid")
    expect(grid.locator("thead th.day-head")).to_have_count(7)
    expect(grid.locator("tbody th")).to_have_count(2)  # Chair 1, Chair 2
    expect(grid.locator("a.visit-chip").first).to_contain_text("Okafor #1")
    expect(grid.locator(".day-load").filter(has_text="1 visit").first).to_contain_text("% chairs")
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    # Each visit opens its appointment; the chart lists it under the upcoming visits.
    grid.locator("a.visit-chip").first.click()
    expect(page).to_have_url(re.compile(r"/schedule/appointments/\d+$"))
    page.goto(chart_url)
    expect(page.locator("#visits table.visits-upcoming tbody tr").first).to_contain_text(
        "Session 1"
    )
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
