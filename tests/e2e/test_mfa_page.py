"""A front-desk user turns on two-factor sign-in from the QR page, then signs in with
a code from the app, and later with a recovery code."""

from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import Page, expect

from ketaclinic.kit.time import wall_seconds
from tests.auth.test_mfa import wrong_code
from tests.e2e.conftest import LiveClinic

pytestmark = pytest.mark.e2e


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def sign_in_with_password(page: Page, clinic: LiveClinic) -> None:
    page.goto(f"{clinic.base_url}/login")
    page.get_by_label("Email").fill(clinic.front_desk_email)
    page.get_by_label("Password").fill(clinic.password)
    page.get_by_role("button", name="Sign in").click()


def test_it_enrols_two_factor_and_signs_in_with_a_code(page: Page, live_clinic: LiveClinic) -> None:
    sign_in_with_password(page, live_clinic)
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()
    page.get_by_role("link", name="Two-factor").click()
    expect(page.get_by_role("heading", name="Two-factor sign-in")).to_be_visible()
    expect(page.locator(".qr svg")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)

    # A mistyped code is answered beside the field, and the QR code stays.
    code_field = page.get_by_label("6-digit code from the app")
    code_field.fill(wrong_code(secret))
    page.get_by_role("button", name="Turn on two-factor").click()
    expect(page.locator("#e-code")).to_contain_text("not the current code")
    expect(page.locator("#totp-secret")).to_have_text(re.compile(secret[:4]))

    code_field.fill(totp.now())
    page.get_by_role("button", name="Turn on two-factor").click()
    codes = page.locator("#recovery-codes li")
    expect(codes).to_have_count(10)
    recovery_code = codes.first.inner_text()

    # Signing in now takes the password and then a code from the app.
    sign_out(page)
    sign_in_with_password(page, live_clinic)
    expect(page.get_by_role("heading", name="Two-factor code")).to_be_visible()
    # The next step's code: the one used to enrol would be refused as a replay.
    page.get_by_label("Code").fill(totp.at(wall_seconds() + 30))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()

    page.get_by_role("link", name="Two-factor").click()
    expect(page.get_by_text("Two-factor sign-in is on")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("10 of 10")

    # A lost phone: a recovery code signs in once.
    sign_out(page)
    sign_in_with_password(page, live_clinic)
    page.get_by_label("Code").fill(recovery_code)
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()
    page.goto(f"{live_clinic.base_url}/account/mfa")
    expect(page.locator(".facts")).to_contain_text("9 of 10")
