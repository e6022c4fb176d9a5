"""A clinic admin reviews the audit trail, opens a chart's access log, and reads
the role matrix."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, select

from ketaclinic.clinics.models import Clinic
from ketaclinic.kit.db import make_sessionmaker
from ketaclinic.patients.models import Patient
from tests.e2e.conftest import LiveClinic, add_staff, open_menu, sign_in_as

pytestmark = pytest.mark.e2e


@pytest.fixture
def admin_email(live_clinic: LiveClinic, engine: Engine) -> str:
    return add_staff(engine, live_clinic, "admin", "Ada Admin")


def _mrn(engine: Engine, slug: str) -> str:
    session = make_sessionmaker(engine)()
    try:
        stmt = select(Patient.mrn).join(Clinic, Clinic.id == Patient.clinic_id)
        return str(session.scalars(stmt.where(Clinic.slug == slug)).one())
    finally:
        session.close()


def test_it_filters_the_trail_and_shows_who_looked_at_a_chart(
    page: Page, live_clinic: LiveClinic, admin_email: str, engine: Engine
) -> None:
    sign_in_as(page, live_clinic, admin_email)
    open_menu(page)
    page.get_by_role("link", name="Audit").click()
    expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
    results = page.locator("#audit-results")
    expect(results).to_contain_text("Patient registered")  # words, the code kept beside
    expect(results.locator('[data-action="patient.create"]').first).to_be_visible()
    expect(results).to_contain_text(live_clinic.front_desk_email)

    # A typo in a filter is answered beside the field.
    page.get_by_label("Patient (MRN or id)").fill("KC-nobody")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#audit-results")).to_contain_text("no patient 'KC-nobody'")

    page.get_by_label("Patient (MRN or id)").fill(_mrn(engine, live_clinic.slug))
    page.get_by_role("button", name="Filter").click()
    expect(results).to_contain_text("Okafor, Marcus")
    results.get_by_role("link", name="Okafor, Marcus").first.click()

    log = page.locator("#access-log")
    expect(log).to_contain_text("Who looked at this record")
    expect(log).to_contain_text(admin_email)
    expect(log).to_contain_text("Chart opened")  # in words; the code stays in data-action

    open_menu(page)
    page.get_by_role("link", name="Roles").click()
    matrix = page.locator("table.matrix")
    expect(matrix).to_contain_text("audit.read")
    heading = page.get_by_role("heading", name=re.compile("Roles and what they may do"))
    expect(heading).to_be_visible()
