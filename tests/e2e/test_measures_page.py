"""A nurse enters a PHQ-9 for a patient with the keyboard and the mouse, then reads
the score, its band and the trajectory plot on the patient's measures page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from tests.e2e.conftest import LiveClinic, add_staff, sign_in_as

pytestmark = pytest.mark.e2e


@pytest.fixture
def nurse_email(live_clinic: LiveClinic, engine: Engine) -> str:
    return add_staff(engine, live_clinic, "nurse", "Nia Nurse")


def test_it_enters_a_phq9_and_shows_the_score_band_and_plot(
    page: Page, live_clinic: LiveClinic, nurse_email: str
) -> None:
    sign_in_as(page, live_clinic, nurse_email)
    page.get_by_role("link", name="Okafor, Marcus").click()
    page.get_by_role("link", name="Measures").click()
    expect(page.get_by_role("heading", name=re.compile("Measures: Okafor, Marcus"))).to_be_visible()
    page.get_by_role("link", name="Patient Health Questionnaire-9 (PHQ-9)").click()

    # Item 1 by keyboard: focus the first choice, arrow to the next one.
    page.locator("#q-phq9_1").get_by_label("Not at all").focus()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#q-phq9_1").get_by_label("Several days")).to_be_checked()
    # Items 2-8 by clicking; item 9 left out at first.
    answers = {
        2: "More than half the days",
        3: "Several days",
        4: "Nearly every day",
        5: "Not at all",
        6: "Several days",
        7: "Not at all",
        8: "Not at all",
    }
    for number, label in answers.items():
        page.locator(f"#q-phq9_{number}").get_by_label(label).check()
    page.get_by_role("button", name="Save answers").click()
    expect(page.locator("#e-phq9_9")).to_have_text("missing answer")
    expect(page.locator("#q-phq9_4").get_by_label("Nearly every day")).to_be_checked()

    page.locator("#q-phq9_9").get_by_label("Not at all").check()
    page.get_by_role("button", name="Save answers").click()

    saved = page.locator("#saved")
    expect(saved).to_contain_text("total 8 of 27")  # 1+2+1+3+0+1+0+0+0
    expect(saved).to_contain_text("mild")
    section = page.locator("#instrument-phq9")
    expect(section.locator("table.scores")).to_contain_text("mild")
    page.wait_for_function(
        "() => { const img = document.querySelector('#instrument-phq9 img');"
        " return img !== null && img.complete; }"
    )
    width = page.evaluate("document.querySelector('#instrument-phq9 img').naturalWidth")
    assert width > 0
