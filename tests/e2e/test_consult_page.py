"""A prospective patient requests a consultation on a phone; the front desk finds the
request in the queue and registers them as a patient."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import LiveClinic, open_menu, sign_in_as

pytestmark = pytest.mark.e2e


def test_it_walks_a_request_from_the_public_page_to_a_patient(
    browser: Browser, page: Page, live_clinic: LiveClinic
) -> None:
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    public = phone.new_page()
    public.goto(f"{live_clinic.base_url}/consult/{live_clinic.slug}")
    expect(public.get_by_text("A clinician decides")).to_be_visible()
    public.get_by_label("First name").fill("Imani")
    public.get_by_label("Last name").fill("Okonkwo-Reyes")
    public.get_by_label("Phone").fill("512-555-0177")
    public.get_by_label("Depression").check()
    public.get_by_label("Two or more").check()
    public.get_by_role("button", name="Send my request").click()
    # Consent is required and said so beside the box.
    expect(public.get_by_text("tick the box so the clinic may contact you").first).to_be_visible()
    expect(public.get_by_label("First name")).to_have_value("Imani")
    public.get_by_label(re.compile("may call or email me")).check()
    public.get_by_role("button", name="Send my request").click()
    expect(public.get_by_role("heading", name="Thank you")).to_be_visible()
    expect(public.get_by_text("eligible")).to_have_count(0)
    phone.close()

    sign_in_as(page, live_clinic, live_clinic.front_desk_email)
    open_menu(page)
    page.get_by_role("link", name="Inquiries").click()
    page.get_by_role("link", name="Okonkwo-Reyes, Imani").click()
    expect(page.get_by_text("Two or more")).to_be_visible()
    page.get_by_label("Birth date").fill("1991-02-14")
    page.get_by_label("Sex at birth").select_option("female")
    page.get_by_role("button", name="Register patient").click()
    expect(page.get_by_role("heading", name=re.compile("Okonkwo-Reyes, Imani"))).to_be_visible()
    expect(page.locator("#summary")).to_contain_text("512-555-0177")
