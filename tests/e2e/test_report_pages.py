"""A network operator opens the outcomes report: lands on it, narrows the dates, reads
the figures and plots at 820 px without sideways scroll, and sees no patient's name."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, select

from ketaclinic.clinics.models import Clinic
from ketaclinic.clinics.service import create_clinic
from ketaclinic.kit.db import make_sessionmaker
from tests.e2e.conftest import LiveClinic, add_staff, sign_in_as
from tests.reports import fixture

pytestmark = pytest.mark.e2e


@pytest.fixture
def operator_email(live_clinic: LiveClinic, engine: Engine) -> str:
    session = make_sessionmaker(engine)()
    try:
        clinic = session.scalars(select(Clinic).where(Clinic.slug == live_clinic.slug)).one()
        other = create_clinic(
            session, slug=f"e2e-{secrets.token_hex(3)}", name="Elsewhere", timezone="America/Denver"
        )
        fixture.build(session, clinic, other)
        session.commit()
    finally:
        session.close()
    return add_staff(engine, live_clinic, "network_operator", "Noor Haddad")


def test_it_shows_the_cohorts_figures_to_the_network_operator(
    page: Page, live_clinic: LiveClinic, operator_email: str
) -> None:
    page.set_viewport_size({"width": 820, "height": 1000})
    sign_in_as(page, live_clinic, operator_email)
    expect(page.get_by_role("heading", name="Outcomes report")).to_be_visible()
    page.get_by_label("Induction ended from").fill("2026-09-01")
    page.get_by_label("to", exact=True).fill("2026-09-30")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="3 patients completed induction")).to_be_visible()
    expect(
        page.get_by_role("img", name="Response and remission rates with 95% intervals")
    ).to_be_visible()
    expect(page.locator("body")).to_contain_text("McInnes et al., J Affect Disord Reports 2022")
    expect(page.get_by_role("link", name="Download as PDF")).to_be_visible()
    for name in fixture.NAMES:
        expect(page.locator("body")).not_to_contain_text(name)
    wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not wide
