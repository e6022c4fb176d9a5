"""A nurse takes an intake on a tablet and runs the screening; a prescriber finds it
in the signing queue and overrides "needs review" with a written reason."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine

from ketaclinic.demo.data import CLEAR_INTAKE
from tests.e2e.conftest import LiveClinic, add_staff, open_menu, sign_in_as

pytestmark = pytest.mark.e2e


def test_it_takes_an_intake_screens_it_and_signs_an_override(
    browser: Browser, page: Page, live_clinic: LiveClinic, engine: Engine
) -> None:
    nurse = add_staff(engine, live_clinic, "nurse", "Nia Nurse")
    prescriber = add_staff(engine, live_clinic, "prescriber", "Pat Prescriber")
    tablet = browser.new_context(viewport={"width": 820, "height": 1180}, has_touch=True)
    chair = tablet.new_page()
    sign_in_as(chair, live_clinic, nurse)
    chair.get_by_role("link", name="Okafor, Marcus").click()
    expect(chair.locator("#screening-status")).to_contain_text("not screened")
    chair.get_by_role("link", name="Screening", exact=True).click()
    chair.get_by_role("link", name="Edit intake").click()

    # The intake page: every question by tapping its answer.
    chair.locator("#q-indications").get_by_label(re.compile("Treatment-resistant")).check()
    chair.locator("#q-prior_antidepressant_trials").get_by_role("spinbutton").fill("3")
    for name, value in CLEAR_INTAKE.items():
        if isinstance(value, bool):
            chair.locator(f"#q-{name}").get_by_label("Yes" if value else "No", exact=True).check()
    chair.locator("#q-substance_use_disorder").get_by_label("None", exact=True).check()
    chair.locator("#q-hepatic_impairment").get_by_label("None", exact=True).check()
    chair.locator("#q-systolic_bp_mmhg").get_by_role("spinbutton").fill("132")
    chair.locator("#q-diastolic_bp_mmhg").get_by_role("spinbutton").fill("850")
    chair.locator("#q-medication_classes").get_by_label("Benzodiazepine", exact=True).check()
    chair.get_by_label(re.compile("Context for the prescriber")).fill("Lorazepam 0.5 mg at night.")
    chair.get_by_role("button", name="Save intake").click()
    expect(chair.locator("#e-diastolic_bp_mmhg")).to_contain_text("must be in 20..200")
    benzodiazepine = chair.locator("#q-medication_classes").get_by_label(
        "Benzodiazepine", exact=True
    )
    expect(benzodiazepine).to_be_checked()
    chair.locator("#q-diastolic_bp_mmhg").get_by_role("spinbutton").fill("85")
    chair.get_by_role("button", name="Save intake").click()

    # The patient's screenings page: run the suggested rule set.
    expect(chair.get_by_role("heading", name="Eligibility screening")).to_be_visible()
    expect(chair.locator("#intake")).to_contain_text("Benzodiazepine")
    expect(chair.get_by_label("Rule set")).to_have_value("iv_ketamine_mood")
    chair.get_by_role("button", name="Run screening").click()
    expect(chair.locator("#decision")).to_have_text("Needs review")
    expect(chair.locator("#fired")).to_contain_text("may blunt the response")
    expect(chair.locator("#fired")).to_contain_text("Clinical references, interacting medications")
    expect(chair.locator("#signature")).to_contain_text("Awaiting a prescriber")
    tablet.close()

    # The prescriber's signing queue, then the screening: override needs a reason.
    sign_in_as(page, live_clinic, prescriber)
    open_menu(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Screenings").click()
    queue = page.locator("#queue")
    expect(queue).to_contain_text("Needs review")
    queue.get_by_role("link", name="Okafor, Marcus").click()
    page.get_by_label("Eligible", exact=True).check()
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page.locator("#e-reason")).to_contain_text("needs a written reason")
    page.get_by_label(re.compile("^Reason")).fill(
        "Low nightly dose; held the evening before each infusion. Reassess after infusion 3."
    )
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page.locator("#signature")).to_contain_text("override")
    expect(page.locator("#signature")).to_contain_text("Pat Prescriber")
    page.get_by_role("link", name="All screenings").click()
    expect(page.locator("#clearance")).to_contain_text("Signed eligible by override.")
    open_menu(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Screenings").click()
    expect(page.locator("#queue")).not_to_contain_text("Okafor")
