"""An administrator makes a wall-screen link, a screen with no one signed in opens
the board from it, and the administrator switches it off."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine

from tests.e2e.conftest import LiveClinic, add_staff, open_menu, sign_in_as

pytestmark = pytest.mark.e2e


def test_it_puts_the_board_on_a_wall_screen_and_takes_it_off(
    page: Page, browser: Browser, engine: Engine, live_clinic: LiveClinic
) -> None:
    admin = add_staff(engine, live_clinic, "admin", "Ada Admin")
    sign_in_as(page, live_clinic, admin)
    open_menu(page)
    page.get_by_role("link", name="Wall screens").click()
    page.get_by_label("Where the screen is").fill("Infusion room")
    page.get_by_role("button", name="Make the link").click()
    link = page.get_by_label("The link for Infusion room").input_value()
    assert "/display/" in link

    screen_context = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        screen = screen_context.new_page()
        screen.goto(link)
        expect(screen.get_by_role("heading", name="E2E Clinic")).to_be_visible()
        expect(screen.get_by_text("Updates every 15 seconds")).to_be_visible()
        expect(screen.get_by_role("navigation", name="Main")).to_have_count(0)

        page.goto(f"{live_clinic.base_url}/admin/displays")
        page.get_by_role("button", name="Switch off Infusion room").click()
        expect(page.locator("#displays")).to_contain_text("switched off")

        screen.reload()
        expect(
            screen.get_by_role("heading", name="This wall screen was switched off")
        ).to_be_visible()
    finally:
        screen_context.close()
