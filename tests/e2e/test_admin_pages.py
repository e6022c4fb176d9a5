"""A clinic administrator adds a nurse by a one-time link (the nurse sets their
password from it), changes a colleague's role and deactivates them, revokes an API
token, and sets a clinical threshold for the clinic."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, select

from ketaclinic.auth.models import User
from ketaclinic.auth.service import create_api_token
from ketaclinic.kit.db import make_sessionmaker
from tests.conftest import PASSWORD
from tests.e2e.conftest import LiveClinic, add_staff, open_menu, sign_in_as

pytestmark = pytest.mark.e2e


@pytest.fixture
def admin_email(live_clinic: LiveClinic, engine: Engine) -> str:
    return add_staff(engine, live_clinic, "admin", "Ada Admin")


def _token_for(engine: Engine, email: str) -> None:
    session = make_sessionmaker(engine)()
    try:
        user = session.scalars(select(User).where(User.email == email)).one()
        create_api_token(session, user, label="monitor gateway")
        session.commit()
    finally:
        session.close()


def test_it_invites_a_nurse_who_sets_a_password_from_the_link(
    page: Page, live_clinic: LiveClinic, admin_email: str
) -> None:
    sign_in_as(page, live_clinic, admin_email)
    open_menu(page)
    page.get_by_role("link", name="Staff").first.click()
    page.get_by_role("link", name="Add staff").click()
    page.get_by_label("Full name").fill("Noor New")
    page.get_by_label("Email").fill(f"noor@{live_clinic.slug}.example.org")
    page.get_by_label("Role").select_option("nurse")
    page.get_by_role("button", name="Create the invitation").click()
    link = page.get_by_label("Invitation link").input_value()
    assert "/account/password/" in link
    page.context.clear_cookies()
    page.goto(link)
    expect(page.get_by_role("heading", name="Welcome, Noor New")).to_be_visible()
    page.get_by_label("New password").fill(PASSWORD)
    page.get_by_label("The same password again").fill(PASSWORD)
    page.get_by_role("button", name="Set the password").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    sign_in_as(page, live_clinic, f"noor@{live_clinic.slug}.example.org")
    open_menu(page)
    expect(page.get_by_role("link", name="Board", exact=True)).to_be_visible()


def test_it_changes_a_role_and_deactivates_a_colleague(
    page: Page, live_clinic: LiveClinic, admin_email: str
) -> None:
    sign_in_as(page, live_clinic, admin_email)
    page.goto(f"{live_clinic.base_url}/admin/staff")
    page.get_by_role("link", name="Fran Desk").click()
    page.get_by_label("Role at E2E Clinic").select_option("nurse")
    page.get_by_role("button", name="Save the role").click()
    expect(page.get_by_role("status")).to_contain_text("Role changed.")
    page.get_by_role("button", name="Make a password link").click()
    assert "/account/password/" in page.get_by_label("Password link").input_value()
    page.get_by_role("button", name="Deactivate").click()
    expect(page.get_by_role("status")).to_contain_text("Deactivated")
    expect(page.locator("#status")).to_have_text("deactivated")
    expect(page.get_by_role("button", name="Reactivate")).to_be_visible()


def test_it_revokes_an_api_token(
    page: Page, live_clinic: LiveClinic, admin_email: str, engine: Engine
) -> None:
    _token_for(engine, live_clinic.front_desk_email)
    sign_in_as(page, live_clinic, admin_email)
    page.goto(f"{live_clinic.base_url}/admin/staff")
    page.get_by_role("link", name="API tokens").click()
    row = page.locator("tr", has_text="monitor gateway")
    expect(row).to_contain_text("Fran Desk")
    row.get_by_role("button", name="Revoke").click()
    expect(page.locator("tr", has_text="monitor gateway")).to_contain_text("revoked")


def test_it_sets_a_clinical_threshold(
    page: Page, live_clinic: LiveClinic, admin_email: str
) -> None:
    sign_in_as(page, live_clinic, admin_email)
    page.goto(f"{live_clinic.base_url}/admin/staff")
    page.get_by_role("link", name="Clinic settings").click()
    row = page.locator('[id="s-aldrete_min_score"]')
    expect(row).to_contain_text("Accepted: 7 to 10")
    expect(row).to_contain_text("Discharge")
    box = page.get_by_label("Lowest modified Aldrete score for discharge")
    box.fill("11")
    row.get_by_role("button", name="Save").click()
    expect(page.locator('[id="s-aldrete_min_score"]')).to_contain_text("must be 7 to 10 points")
    page.get_by_label("Lowest modified Aldrete score for discharge").fill("10")
    page.locator('[id="s-aldrete_min_score"]').get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Saved")
    expect(page.get_by_label("Lowest modified Aldrete score for discharge")).to_have_value("10")
