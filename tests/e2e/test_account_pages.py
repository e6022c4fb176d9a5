"""On a tablet (820 px) an administrator adds a package to the catalogue; the front
desk sells it to a patient from the chart's Account link, records the card payment,
is refused a refund larger than the payment beside the amount, then gives part of it
back: no sideways scroll, thumb-sized controls, no serious axe finding (issue 23)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import Engine, select

from ketaclinic.kit.db import make_sessionmaker
from ketaclinic.patients.models import Patient
from tests.e2e.conftest import LiveClinic, add_staff, sign_in_as
from tests.e2e.test_layout_pages import TABLET, _problems

pytestmark = pytest.mark.e2e


def _patient_id(engine: Engine) -> int:
    session = make_sessionmaker(engine)()
    try:
        stmt = select(Patient.id).where(Patient.family_name == "Okafor").order_by(Patient.id.desc())
        return int(session.scalars(stmt.limit(1)).one())
    finally:
        session.close()


def test_it_sells_a_package_takes_a_payment_and_refunds_part_of_it(
    browser: Browser, engine: Engine, live_clinic: LiveClinic
) -> None:
    admin = add_staff(engine, live_clinic, "admin", "Ada Admin")
    context = browser.new_context(**TABLET)  # type: ignore[arg-type]
    try:
        page = context.new_page()
        sign_in_as(page, live_clinic, admin)
        page.goto(f"{live_clinic.base_url}/admin/fees")
        page.get_by_role("link", name="Packages").click()
        expect(page.get_by_role("heading", name="Packages", exact=True)).to_be_visible()
        page.get_by_label("Name patients read").fill("Six-infusion induction")
        page.get_by_label("Number of visits").fill("6")
        page.get_by_label("Price in dollars").fill("2,400")
        page.get_by_role("button", name="Add the package").click()
        expect(page.locator("#package-list")).to_contain_text("$2,400.00")
        assert _problems(page, width=820) == []
        page.context.clear_cookies()

        sign_in_as(page, live_clinic, live_clinic.front_desk_email)
        page.goto(f"{live_clinic.base_url}/patients/{_patient_id(engine)}")
        page.get_by_role("link", name="Account").click()
        expect(page.locator("#balance-amount")).to_have_text("$0.00")
        page.get_by_text("Sell a package").click()
        page.get_by_role("button", name="Sell the package").click()
        expect(page.locator("#balance-amount")).to_have_text("$2,400.00")
        page.get_by_label("Amount in dollars").first.fill("2400")
        page.get_by_label("Card processor's reference (if any)").fill("ch_3PkQx7")
        page.get_by_role("button", name="Record the payment").click()
        expect(page.locator("#balance-amount")).to_have_text("$0.00")
        expect(page.locator("#payments")).to_contain_text("ref. ch_3PkQx7")
        assert _problems(page, width=820) == []

        page.get_by_text("Refund (up to $2,400.00)").click()
        refund = page.locator("#payments table form")
        refund.get_by_label("Amount to give back in dollars").fill("2,500")
        refund.get_by_label("Why").fill("the last two visits were cancelled")
        refund.get_by_role("button", name="Give back").click()
        expect(page.locator("#payments .error")).to_contain_text(
            "more than is left to refund of this payment ($2,400.00)"
        )
        refund = page.locator("#payments table form")
        refund.get_by_label("Amount to give back in dollars").fill("800")
        refund.get_by_role("button", name="Give back").click()
        expect(page.locator("#balance-amount")).to_have_text("$800.00")
        expect(page.get_by_text("Refund (up to $1,600.00)")).to_be_visible()
        assert _problems(page, width=820) == []
    finally:
        context.close()
