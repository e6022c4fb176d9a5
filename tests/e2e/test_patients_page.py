"""A front-desk user signs in, registers a patient, and finds them by search."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveClinic

pytestmark = pytest.mark.e2e


def sign_in(page: Page, clinic: LiveClinic) -> None:
    page.goto(f"{clinic.base_url}/patients")
    expect(page).to_have_url(re.compile(r"/login\?next=/patients"))
    page.get_by_label("Email").fill(clinic.front_desk_email)
    page.get_by_label("Password").fill(clinic.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()


def test_it_registers_a_patient_and_finds_them_by_search(
    page: Page, live_clinic: LiveClinic
) -> None:
    sign_in(page, live_clinic)
    page.get_by_role("link", name="New patient").click()

    # A mistake first: the form answers beside the field and keeps what was typed.
    page.get_by_label("Given name").fill("Wren")
    page.get_by_label("Family name").fill("Halvorsen")
    page.get_by_label("Birth date").fill("1988-07-14")
    page.get_by_label("Sex at birth").select_option("female")
    page.get_by_label("Weight", exact=True).fill("450")
    page.get_by_role("button", name="Create patient").click()
    expect(page.locator("#e-weight")).to_have_text("must be between 2 and 400 kg")
    expect(page.get_by_label("Given name")).to_have_value("Wren")

    page.get_by_label("Weight", exact=True).fill("61.5")
    page.get_by_label("Height", exact=True).fill("170")
    page.get_by_label("Phone").fill("512-555-0123")
    page.get_by_role("button", name="Create patient").click()
    expect(page.get_by_role("heading", name=re.compile("Halvorsen, Wren"))).to_be_visible()
    expect(page.locator("#summary")).to_contain_text("61.5 kg")

    # Add a diagnosis from the chart.
    diagnoses = page.locator("#diagnoses")
    diagnoses.get_by_label("ICD-10-CM code").fill("F33.2")
    diagnoses.get_by_label("Description").fill("Major depressive disorder, recurrent, severe")
    diagnoses.get_by_role("button", name="Add").click()
    expect(page.locator("#diagnoses")).to_contain_text("F33.2")

    # A full page load, so htmx has wired the search box before we type into it.
    page.goto(f"{live_clinic.base_url}/patients")
    results = page.locator("#patient-results")
    expect(results).to_contain_text("2 patients")
    page.get_by_placeholder(re.compile("Name, MRN")).fill("halvor")
    expect(results).to_contain_text("1 patient")
    expect(results).to_contain_text("Halvorsen, Wren")
    expect(results).not_to_contain_text("Okafor")
    page.get_by_placeholder(re.compile("Name, MRN")).fill("nobody-by-this-name")
    expect(results).to_contain_text("No patients match.")


def test_it_signs_out(page: Page, live_clinic: LiveClinic) -> None:
    sign_in(page, live_clinic)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto(f"{live_clinic.base_url}/patients")
    expect(page).to_have_url(re.compile(r"/login"))


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    ), page.url


def test_it_warns_of_a_likely_duplicate_and_registers_anyway_at_tablet_width(
    page: Page, live_clinic: LiveClinic
) -> None:
    page.set_viewport_size({"width": 820, "height": 1180})
    sign_in(page, live_clinic)
    _no_sideways_scroll(page)
    page.get_by_role("link", name="New patient").click()
    _no_sideways_scroll(page)
    page.get_by_label("Given name").fill("Marcus")
    page.get_by_label("Family name").fill("Okafur")
    page.get_by_label("Birth date").fill("1979-11-02")
    page.get_by_label("Sex at birth").select_option("male")
    page.get_by_label("Weight", exact=True).fill("180")
    page.get_by_label("Weight unit").select_option("lb")
    page.get_by_role("button", name="Create patient").click()

    warning = page.locator("#duplicates")
    expect(warning).to_contain_text("This patient may already be registered")
    expect(warning).to_contain_text("Okafor, Marcus")
    expect(warning.get_by_role("link", name="Open the existing chart")).to_be_visible()
    expect(page.get_by_label("Weight unit")).to_have_value("lb")
    _no_sideways_scroll(page)

    page.get_by_label("Why this is a different person").fill("Brother, born the same day")
    page.get_by_role("button", name="Register anyway").click()
    expect(page.get_by_role("heading", name=re.compile("Okafur, Marcus"))).to_be_visible()
    expect(page.locator("#duplicate-reason")).to_contain_text("Brother, born the same day")
    expect(page.locator("#summary")).to_contain_text("180.0 lb")
    expect(page.locator("#summary")).to_contain_text("(81.6 kg)")
    expect(page.locator("#visits")).to_contain_text("No visit booked.")
    _no_sideways_scroll(page)

    # Found again by the US date a date field shows, and the list sorts by birth date.
    page.goto(f"{live_clinic.base_url}/patients")
    page.get_by_placeholder(re.compile("Name, MRN")).fill("11/02/1979")
    results = page.locator("#patient-results")
    expect(results).to_contain_text("2 patients")
    page.get_by_role("link", name="Birth date").click()
    expect(page.locator("th[aria-sort='ascending']")).to_contain_text("Birth date")
    _no_sideways_scroll(page)
