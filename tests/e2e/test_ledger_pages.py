"""The custodian sets up a safe and receives vials; a nurse on a tablet draws for a
session, records the dose, and wastes the rest before a prescriber who confirms
with their own password (a wrong one is refused first)."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine

from tests.e2e.conftest import LiveClinic, add_staff, open_menu, sign_in_as

pytestmark = pytest.mark.e2e


def test_it_draws_gives_and_wastes_with_a_witness(
    browser: Browser, page: Page, live_clinic: LiveClinic, engine: Engine
) -> None:
    custodian = add_staff(engine, live_clinic, "custodian", "Cy Custodian")
    nurse = add_staff(engine, live_clinic, "nurse", "Nia Nurse")
    prescriber = add_staff(engine, live_clinic, "prescriber", "Pat Prescriber")

    # The custodian: a safe, a product, a receipt.
    sign_in_as(page, live_clinic, custodian)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    open_menu(page)
    page.get_by_role("link", name="Controlled substances").click()
    page.get_by_role("link", name="Products & safes").click()
    # The boosted navigation swaps the page in: wait for it before typing.
    expect(page.get_by_role("heading", name="Products and safes")).to_be_visible()
    page.get_by_label("New safe").fill("Safe A")
    page.get_by_role("button", name="Add safe").click()
    expect(page.get_by_text("Safe A", exact=False).first).to_be_visible()
    ndc = f"9{secrets.randbelow(9999):04d}-0500-10"
    page.get_by_label("NDC").fill(ndc)
    page.get_by_label("Name").fill("Ketamine HCl injection")
    page.get_by_label("Strength as labelled").fill("50 mg/mL")
    page.get_by_label("Form").fill("injection, vial")
    page.get_by_label("Drug per container (mg)").fill("500")
    page.get_by_role("button", name="Add product").click()
    # Products are deployment-wide and other browser tests add theirs with the same
    # name: wait for this one's NDC, or the next click races the form's response.
    expect(page.locator("#products")).to_contain_text(f"NDC {ndc}")
    page.get_by_role("link", name="The ledger").click()
    expect(page).to_have_url(f"{live_clinic.base_url}/ledger")
    page.get_by_role("link", name="Receive stock").click()
    # Products are deployment-wide: pick this test's own (other browser tests add theirs).
    _choose(page, "#f-product_id", ndc)
    page.get_by_label("Lot number").fill("E2E1")
    page.get_by_label("Expires").fill("2030-01-31")
    page.locator("#f-supplier_name").fill("Gulf Coast Medical Supply")
    page.get_by_label("Supplier address").fill("400 Commerce St, Houston, TX 77002")
    page.get_by_label("Supplier DEA number").fill("RG1234563")
    page.get_by_label("Invoice number").fill("INV-1")
    page.get_by_role("button", name="Receive").click()
    expect(page.get_by_role("heading", name="Container E2E1-001")).to_be_visible()
    expect(page.locator("#on-hand")).to_have_text("500 mg")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    # The nurse at the chair, on a tablet.
    tablet = browser.new_context(viewport={"width": 820, "height": 1180}, has_touch=True)
    chair = tablet.new_page()
    sign_in_as(chair, live_clinic, nurse)
    expect(chair.get_by_role("button", name="Sign out")).to_be_visible()
    open_menu(chair)
    chair.get_by_role("link", name="Controlled substances").click()
    chair.get_by_role("link", name="Draw for a session").click()
    _choose(chair, "#f-patient_id", "Okafor, Marcus")
    _choose(chair, "#f-container_id", "E2E1-001")
    chair.get_by_label("Amount drawn (mg)").fill("40")
    chair.get_by_role("button", name="Record the draw").click()
    expect(chair.locator("#open-mg")).to_have_text("40")
    chair.get_by_label("Amount given (mg)").fill("34.2")
    chair.get_by_role("button", name="Record dose given").click()
    expect(chair.locator("#administered")).to_have_text("34.2")
    waste = chair.locator("#waste")
    waste.get_by_label("Amount wasted (mg)").fill("5.8")
    waste.get_by_label("Witness email").fill(prescriber)
    waste.get_by_label("Witness password").fill("not my password")
    waste.get_by_role("button", name="Record witnessed waste").click()
    expect(chair.locator("#waste")).to_contain_text("witness email, password or code is not right")
    expect(chair.locator("#open-mg")).to_have_text("5.8")
    waste = chair.locator("#waste")
    waste.get_by_label("Amount wasted (mg)").fill("5.8")
    waste.get_by_label("Witness email").fill(prescriber)
    waste.get_by_label("Witness password").fill(live_clinic.password)
    waste.get_by_role("button", name="Record witnessed waste").click()
    expect(chair.locator("#closed")).to_have_text("Accounted for")
    expect(chair.locator("tr.entry-waste")).to_contain_text("Pat Prescriber")
    chair.get_by_role("link", name="The ledger").click()
    expect(chair.locator("#open-draws")).to_contain_text("Every draw is accounted for")
    expect(chair.locator("#stock")).to_contain_text("460")
    tablet.close()


def _choose(page: Page, select: str, text: str) -> None:
    """Pick the option whose label contains ``text``."""
    value = page.locator(f"{select} option", has_text=text).get_attribute("value")
    assert value is not None
    page.locator(select).select_option(value)
