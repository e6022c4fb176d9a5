"""A live server on a free port and Debian's Chromium driven by Playwright.

The browser is /usr/bin/chromium from Debian (never a downloaded one). Without it
these tests skip locally and fail in CI.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import Engine, select

from ketaclinic.app import create_app
from ketaclinic.auth.service import create_user, principal_for
from ketaclinic.clinics.models import Clinic
from ketaclinic.clinics.service import create_clinic
from ketaclinic.kit.db import make_sessionmaker
from ketaclinic.patients.schemas import PatientCreate
from ketaclinic.patients.service import create_patient
from ketaclinic.settings import Settings
from tests.conftest import PASSWORD

CHROMIUM = os.environ.get("KETACLINIC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveClinic:
    base_url: str
    slug: str
    front_desk_email: str
    password: str = PASSWORD


@pytest.fixture(scope="session")
def live_server(
    engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    settings = Settings(
        database_url=database_url,
        secret_key="e2e-secret",
        data_dir=tmp_path_factory.mktemp("e2e"),
        log_level="WARNING",
    )
    app = create_app(settings, engine=engine)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def live_clinic(live_server: str, engine: Engine) -> LiveClinic:
    """A clinic and a front-desk user committed for real (the browser talks to a
    separate server thread); a random slug keeps runs apart."""
    slug = f"e2e-{secrets.token_hex(3)}"
    session = make_sessionmaker(engine)()
    try:
        clinic = create_clinic(session, slug=slug, name="E2E Clinic", timezone="America/Chicago")
        user = create_user(
            session,
            email=f"desk@{slug}.example.org",
            name="Fran Desk",
            password=PASSWORD,
            role="front_desk",
            clinic=clinic,
        )
        # Someone else on the list, so the search has something to filter out.
        desk = principal_for(session, user)
        create_patient(
            session,
            desk,
            PatientCreate(
                given_name="Marcus",
                family_name="Okafor",
                birth_date=date(1979, 11, 2),
                sex_at_birth="male",
            ),
        )
        session.commit()
        return LiveClinic(base_url=live_server, slug=slug, front_desk_email=user.email)
    finally:
        session.close()


def add_staff(engine: Engine, clinic: LiveClinic, role: str, name: str) -> str:
    """Another staff member of the live clinic, committed for real; returns the email."""
    session = make_sessionmaker(engine)()
    try:
        found = session.scalars(select(Clinic).where(Clinic.slug == clinic.slug)).one()
        user = create_user(
            session,
            email=f"{role}@{clinic.slug}.example.org",
            name=name,
            password=clinic.password,
            role=role,
            clinic=found,
        )
        session.commit()
        return user.email
    finally:
        session.close()


def sign_in_as(page: Any, clinic: LiveClinic, email: str) -> None:
    page.goto(f"{clinic.base_url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(clinic.password)
    page.get_by_role("button", name="Sign in").click()


def open_menu(page: Any) -> None:
    """Below 1200 px wide the navigation folds into the top bar's menu: open it, as a
    person on a tablet would, before following one of its links."""
    if not page.get_by_role("navigation", name="Main").is_visible():
        page.locator("header details.menu > summary").click()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        message = f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: object, tmp_path: Path) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1024, "height": 768})  # type: ignore[attr-defined]
    page = context.new_page()
    errors: list[str] = []

    def on_console(msg: object) -> None:
        text = msg.text  # type: ignore[attr-defined]
        # Chromium logs every 4xx; a 422 is the server answering a form with its errors.
        if msg.type == "error" and "status of 422" not in text:  # type: ignore[attr-defined]
            errors.append(text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    # A CSP violation or a script error is a bug even when the flow still works.
    assert errors == [], errors
