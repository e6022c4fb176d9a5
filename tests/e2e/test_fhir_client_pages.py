"""An administrator on a tablet (820 px) registers a FHIR backend client with its
public keys, reads the client id to give its operator, and revokes it: no sideways
scroll, thumb-sized controls, no serious axe finding (issue 22 point 3)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import Engine

from tests.e2e.conftest import LiveClinic, add_staff, sign_in_as
from tests.e2e.test_layout_pages import TABLET, _problems
from tests.smart.conftest import ec_keys, jwks_of

pytestmark = pytest.mark.e2e


def test_it_registers_and_revokes_a_fhir_client_on_a_tablet(
    browser: Browser, engine: Engine, live_clinic: LiveClinic
) -> None:
    admin = add_staff(engine, live_clinic, "admin", "Ada Admin")
    context = browser.new_context(**TABLET)  # type: ignore[arg-type]
    try:
        page = context.new_page()
        sign_in_as(page, live_clinic, admin)
        page.goto(f"{live_clinic.base_url}/admin/staff")
        page.get_by_role("link", name="FHIR clients").click()
        expect(page.get_by_role("heading", name="FHIR clients")).to_be_visible()
        assert _problems(page, width=820) == []

        page.get_by_label("Name of the system").fill("State ketamine registry")
        page.get_by_label("Reads as").select_option(label="Nurse")
        page.get_by_label("Public keys (JWKS)").fill(jwks_of(ec_keys()))
        page.get_by_role("button", name="Register").click()
        client_id = page.get_by_label("Client ID of State ketamine registry").input_value()
        assert len(client_id) >= 24
        # the deployment's public address (a test server's default), not the browser's
        expect(page.get_by_label("Token address")).to_have_value(
            "http://127.0.0.1:8000/fhir/auth/token"
        )
        row = page.locator("#fhir-clients tr", has_text="State ketamine registry")
        expect(row).to_contain_text("Nurse")
        expect(row).to_contain_text("system/*.rs")
        assert _problems(page, width=820) == []

        page.get_by_role("button", name="Revoke State ketamine registry").click()
        expect(row).to_contain_text("revoked")
        expect(page.get_by_role("button", name="Revoke State ketamine registry")).to_have_count(0)
        assert _problems(page, width=820) == []
    finally:
        context.close()
