"""A nurse browses the protocols, weighs a cleared patient and builds a plan; the
prescriber signs it; the nurse calculates today's dose and the prescriber releases
it by re-entering weight and concentration blind."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine, select

from ketaclinic.auth.service import get_user_by_email, principal_for
from ketaclinic.demo.data import CLEAR_INTAKE
from ketaclinic.kit.db import make_sessionmaker
from ketaclinic.patients.models import Patient
from ketaclinic.screenings import service as screenings
from tests.e2e.conftest import LiveClinic, add_staff, open_menu, sign_in_as

pytestmark = pytest.mark.e2e


def _clear_okafor(engine: Engine, nurse: str, prescriber: str) -> None:
    """Intake, screening and the prescriber's signature, committed for real."""
    session = make_sessionmaker(engine)()
    try:
        by_nurse = principal_for(session, get_user_by_email(session, nurse))
        by_prescriber = principal_for(session, get_user_by_email(session, prescriber))
        mine = select(Patient).where(
            Patient.family_name == "Okafor", Patient.clinic_id.in_(list(by_nurse.roles))
        )
        patient = session.scalars(mine).one()
        screenings.record_intake(session, by_nurse, patient, CLEAR_INTAKE)
        policy = screenings.ScreeningPolicy()
        row = screenings.run(session, by_nurse, patient, "iv_ketamine_mood", policy)
        screenings.sign(session, by_prescriber, patient, row.id, decision="eligible", reason=None)
        session.commit()
    finally:
        session.close()


def _signed_in(page: Page, live_clinic: LiveClinic, email: str) -> None:
    """Sign in and wait for the first page, so the next navigation is signed in."""
    sign_in_as(page, live_clinic, email)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_it_builds_signs_and_double_checks_a_plan(
    browser: Browser, page: Page, live_clinic: LiveClinic, engine: Engine
) -> None:
    nurse = add_staff(engine, live_clinic, "nurse", "Nia Nurse")
    prescriber = add_staff(engine, live_clinic, "prescriber", "Pat Prescriber")
    _clear_okafor(engine, nurse, prescriber)
    tablet = browser.new_context(viewport={"width": 820, "height": 1180}, has_touch=True)
    chair = tablet.new_page()
    _signed_in(chair, live_clinic, nurse)

    # The protocol browser.
    open_menu(chair)
    chair.get_by_role("navigation", name="Main").get_by_role("link", name="Protocols").click()
    chair.get_by_role("link", name=re.compile("CRPS")).click()
    expect(chair.get_by_role("heading", name=re.compile("CRPS"))).to_be_visible()
    expect(chair.locator("#dose")).to_contain_text("0.35 mg/kg/h over 240 min")
    expect(chair.locator("#sessions")).to_contain_text("(optional)")

    # Weigh the patient on the chart, then build a plan.
    open_menu(chair)
    chair.get_by_role("link", name="Patients").click()
    chair.get_by_role("link", name="Okafor, Marcus").click()
    expect(chair.get_by_role("heading", name=re.compile("Okafor, Marcus"))).to_be_visible()
    chair.get_by_label("Weight", exact=True).fill("81.6")  # in kg, the unit shown first
    chair.get_by_role("button", name="Record").click()
    expect(chair.locator("#measurements")).to_contain_text("81.6 kg")
    chair.get_by_role("link", name="Plans").click()
    expect(chair.get_by_role("heading", name="Treatment plans")).to_be_visible()
    chair.get_by_label("Protocol").select_option("depression_iv_twice_weekly")
    chair.get_by_role("button", name="Build a plan").click()
    expect(chair.locator("#dose-preview")).to_contain_text("40.8 mg")  # 81.6 kg x 0.5
    expect(chair.locator("#dose-preview")).to_contain_text("61.2 mL/h")
    chair.get_by_label("Dose (mg/kg)").fill("1.2")
    chair.get_by_role("button", name="Save draft").click()
    expect(chair.locator("#e-dose_amount")).to_contain_text("hard limit of 1 mg/kg")
    chair.get_by_label("Dose (mg/kg)").fill("0.5")
    chair.get_by_role("button", name="Save draft").click()
    expect(chair.locator("#plan-status")).to_have_text("draft")
    expect(chair.locator("#lifecycle")).to_contain_text("Awaiting a prescriber")
    plan_url = chair.url
    tablet.close()

    # The prescriber signs; the PK preview is drawn.
    _signed_in(page, live_clinic, prescriber)
    page.goto(plan_url)
    page.get_by_role("button", name="Sign plan").click()
    expect(page.locator("#plan-status")).to_have_text("signed")
    page.wait_for_function(
        "() => { const img = document.querySelector('#pk img');"
        " return img !== null && img.complete && img.naturalWidth > 0; }"
    )
    _sign_out(page)

    # The nurse calculates session 1's dose; the prescriber releases it blind.
    _signed_in(page, live_clinic, nurse)
    page.goto(f"{plan_url}/dose")
    page.get_by_role("button", name="Calculate").click()
    check = page.locator(".dose-check").first
    expect(check).to_contain_text("40.8 mg = 40.8 mL at 61.2 mL/h for 40 min")
    _sign_out(page)
    _signed_in(page, live_clinic, prescriber)
    page.goto(f"{plan_url}/dose")
    check = page.locator(".dose-check").first
    expect(check).not_to_contain_text("40.8 mg")
    check.get_by_label("Weight you read (kg)").fill("81.6")
    check.get_by_label("Concentration on the label (mg/mL)").fill("10")
    check.get_by_role("button", name="Verify").click()
    expect(page.locator(".dose-check").first).to_contain_text("mismatch")
    check = page.locator(".dose-check").first
    check.get_by_label("Weight you read (kg)").fill("81.6")
    check.get_by_label("Concentration on the label (mg/mL)").fill("1")
    check.get_by_role("button", name="Verify").click()
    expect(page.locator(".dose-check").first).to_contain_text("released")
    expect(page.locator(".dose-check").first).to_contain_text("40.8 mg")
