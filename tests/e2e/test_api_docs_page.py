"""A signed-in front-desk user opens the API's docs and sees its operations, drawn by
Swagger UI from files this server sends (the page fixture fails on any CSP
violation or script error)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveClinic, sign_in_as

pytestmark = pytest.mark.e2e


def test_it_shows_the_api_operations_on_the_docs_page(page: Page, live_clinic: LiveClinic) -> None:
    sign_in_as(page, live_clinic, live_clinic.front_desk_email)
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()
    outside: list[str] = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(live_clinic.base_url) else None,
    )
    page.goto(f"{live_clinic.base_url}/api/docs")
    patients = page.locator(".opblock-summary-path", has_text="/api/v1/patients/{patient_id}")
    # Swagger UI renders the whole description first: slow on a loaded machine.
    expect(patients.first).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name="Authorize")).to_be_visible()
    assert outside == []
