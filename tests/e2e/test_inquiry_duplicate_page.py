"""Converting a consultation request when the inquirer looks like a patient already on
file: the front desk sees the chart it resembles, can open it, and registers anyway
only with a reason, which is kept on the new chart (issue 19, point 4)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import LiveClinic, open_menu, sign_in_as

pytestmark = pytest.mark.e2e


def _request_a_consultation(browser: Browser, clinic: LiveClinic) -> None:
    """Marcus Okafor (already a patient of the live clinic) asks again from his phone."""
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    public = phone.new_page()
    public.goto(f"{clinic.base_url}/consult/{clinic.slug}")
    public.get_by_label("First name").fill("Marcus")
    public.get_by_label("Last name").fill("Okafor")
    public.get_by_label("Phone").fill("512-555-0190")
    public.get_by_label("Depression").check()
    public.get_by_label("Two or more").check()
    public.get_by_label(re.compile("may call or email me")).check()
    public.get_by_role("button", name="Send my request").click()
    expect(public.get_by_role("heading", name="Thank you")).to_be_visible()
    phone.close()


def test_it_warns_of_the_chart_on_file_and_registers_anyway_only_with_a_reason(
    browser: Browser, page: Page, live_clinic: LiveClinic
) -> None:
    _request_a_consultation(browser, live_clinic)

    sign_in_as(page, live_clinic, live_clinic.front_desk_email)
    open_menu(page)
    page.get_by_role("link", name="Inquiries").click()
    expect(page).to_have_url(re.compile(r"/inquiries$"))  # not the patient list's Okafor
    page.get_by_role("link", name="Okafor, Marcus").click()
    expect(page.get_by_role("heading", name="Register as a patient")).to_be_visible()
    inquiry = page.url
    assert re.search(r"/inquiries/\d+$", inquiry), inquiry
    page.get_by_label("Birth date").fill("1979-11-02")
    page.get_by_label("Sex at birth").select_option("male")
    page.get_by_role("button", name="Register patient").click()

    warning = page.locator("#duplicates")
    expect(warning).to_contain_text("This patient may already be registered")
    expect(warning).to_contain_text("Okafor, Marcus")
    expect(warning).to_contain_text("born 1979-11-02")
    existing = warning.get_by_role("link", name="Open the existing chart")
    expect(existing).to_be_visible()
    chart = existing.get_attribute("href")
    assert chart and re.fullmatch(r"/patients/\d+", chart)

    # "Register anyway" with no reason registers no one: the warning stays.
    expect(page.get_by_label("Birth date")).to_have_value("1979-11-02")
    with page.expect_response(lambda r: r.url.endswith("/convert")) as answered:
        page.get_by_role("button", name="Register anyway").click()
    assert answered.value.status == 422
    expect(page.locator("#duplicates")).to_contain_text("Okafor, Marcus")
    expect(page.get_by_label("Why this is a different person")).to_be_visible()
    expect(page.get_by_role("heading", name="Registered", exact=True)).to_have_count(0)

    # The existing chart opens from the warning (the same person, already on file).
    page.goto(f"{live_clinic.base_url}{chart}")
    expect(page.get_by_role("heading", name=re.compile("Okafor, Marcus"))).to_be_visible()

    # Back on the request, a reason registers the inquirer as a new patient.
    page.goto(inquiry)
    page.get_by_label("Birth date").fill("1979-11-02")
    page.get_by_label("Sex at birth").select_option("male")
    page.get_by_role("button", name="Register patient").click()
    page.get_by_label("Why this is a different person").fill("Cousin of the same name")
    page.get_by_role("button", name="Register anyway").click()
    expect(page.get_by_role("heading", name=re.compile("Okafor, Marcus"))).to_be_visible()
    assert page.url.rstrip("/") != f"{live_clinic.base_url}{chart}"
    expect(page.locator("#duplicate-reason")).to_contain_text("Cousin of the same name")
