"""A prescriber documents a separately identifiable evaluation of a discharged
esketamine visit from the session page on a tablet (820 px): refused without a
level and a note, the messages beside the fields, then saved (issue 23)."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, expect
from sqlalchemy import Engine

from tests.e2e.conftest import LiveClinic, add_staff
from tests.e2e.test_chairside_pages import _discharged_esketamine, _signed_in
from tests.e2e.test_chairside_pages import tablet as tablet

pytestmark = pytest.mark.e2e


def test_it_documents_an_evaluation_from_the_session_page(
    tablet: BrowserContext, live_clinic: LiveClinic, engine: Engine
) -> None:
    nurse = add_staff(engine, live_clinic, "nurse", "Nia Nurse")
    prescriber = add_staff(engine, live_clinic, "prescriber", "Pat Prescriber")
    custodian = add_staff(engine, live_clinic, "custodian", "Cy Custodian")
    sid = _discharged_esketamine(engine, live_clinic, nurse, prescriber, custodian)
    page = tablet.new_page()
    _signed_in(page, live_clinic, prescriber)

    page.goto(f"{live_clinic.base_url}/sessions/{sid}")
    page.locator("#evaluation-link").tap()
    expect(page.get_by_role("heading", name="Separately identifiable evaluation")).to_be_visible()
    expect(page.get_by_text("Ines Varga")).to_be_visible()

    # Nothing chosen, a note too short: both refused beside their fields.
    page.locator("#f-note").fill("Fine")
    page.get_by_role("button", name="Save the evaluation").tap()
    expect(page.locator("#e-code")).to_have_text("choose one of 99212, 99213, 99214, 99215")
    expect(page.locator("#e-note")).to_be_visible()
    expect(page.locator("#f-note")).to_have_value("Fine")
    wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not wide, "the form scrolls sideways at 820 px"

    page.get_by_label("99214: moderate medical decision making").check()
    page.locator("#f-note").fill("New dizziness between visits assessed; blood pressure plan set")
    page.get_by_role("button", name="Save the evaluation").tap()
    expect(page.locator("#saved")).to_contain_text("Evaluation saved")
    expect(page.locator("#current")).to_contain_text("99214 by Pat Prescriber")
    assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
