"""The front desk on a tablet (820 px) closes the day, reads the ageing report and a
patient's statement from the billing page: no sideways scroll, thumb-sized
controls, no serious axe finding; printed, no control and nothing past the margin
(issue 23 point 4)."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import Engine, select

from ketaclinic.auth.models import User
from ketaclinic.clinics.models import Clinic
from ketaclinic.kit.db import make_sessionmaker
from tests.billing.account_rows import entry, patient
from tests.e2e.conftest import LiveClinic, sign_in_as
from tests.e2e.test_layout_pages import PRINTED_CONTROLS_JS, PRINTED_OVERFLOW_JS, TABLET, _problems

pytestmark = pytest.mark.e2e
TODAY = date(2026, 12, 9)


def _accounts(engine: Engine, live_clinic: LiveClinic) -> int:
    session = make_sessionmaker(engine)()
    try:
        clinic = session.scalars(select(Clinic).where(Clinic.slug == live_clinic.slug)).one()
        desk = session.scalars(select(User).where(User.email == live_clinic.front_desk_email)).one()
        rosa = patient(session, clinic, "E2E0001", "Rosa", "Okafor")
        entry(session, rosa, "charge", 270_000, date(2026, 8, 1))
        entry(session, rosa, "charge", 45_000, date(2026, 10, 20))
        entry(
            session,
            rosa,
            "payment",
            -100_000,
            TODAY,
            method="card",
            reference="ch_e2e",
            receipt_no="E-0001",
            by_id=desk.id,
        )
        entry(
            session,
            rosa,
            "payment",
            -5_000,
            TODAY,
            method="cash",
            receipt_no="E-0002",
            by_id=desk.id,
        )
        session.commit()
        return rosa.id
    finally:
        session.close()


def test_it_closes_the_day_and_ages_the_accounts_on_a_tablet(
    browser: Browser, engine: Engine, live_clinic: LiveClinic
) -> None:
    rosa = _accounts(engine, live_clinic)
    context = browser.new_context(**TABLET)  # type: ignore[arg-type]
    try:
        page = context.new_page()
        sign_in_as(page, live_clinic, live_clinic.front_desk_email)
        page.goto(f"{live_clinic.base_url}/billing")
        page.get_by_role("link", name="Daily close").click()
        expect(page.get_by_role("heading", name="Daily close")).to_be_visible()
        expect(page.locator("#close-net")).to_have_text("$1,050.00")
        expect(page.locator("#close-staff")).to_contain_text("Fran Desk")
        assert _problems(page, width=820) == []

        page.get_by_role("link", name="Ageing report").click()
        expect(page.get_by_role("heading", name="Ageing report")).to_be_visible()
        expect(page.locator("#ageing-total")).to_have_text("$2,100.00")
        assert _problems(page, width=820) == []
        # Its seven columns fit the tablet: the table does not scroll in its box either.
        fits = "e => e.scrollWidth <= e.clientWidth"
        assert page.locator("#ageing").locator("xpath=..").evaluate(fits)

        page.get_by_role("link", name="Rosa Okafor").click()
        expect(page.get_by_role("heading", name="Account statement")).to_be_visible()
        expect(page.locator("#balance-due")).to_have_text("$2,100.00")
        assert _problems(page, width=820) == []

        page.emulate_media(media="print")
        page.set_viewport_size({"width": 700, "height": 1000})
        for path in (
            "/billing/close",
            "/billing/ageing",
            f"/patients/{rosa}/account/statement",
        ):
            response = page.goto(live_clinic.base_url + path)
            assert response is not None and response.status == 200, path
            assert page.evaluate(PRINTED_CONTROLS_JS) == [], path
            assert page.evaluate(PRINTED_OVERFLOW_JS) == [], path
    finally:
        context.close()
