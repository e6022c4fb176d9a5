"""The sign-in pages: the emailed link (same answer for every address), the
invitation, password and code, and the forms' CSRF check."""

from __future__ import annotations

import re

import pyotp
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.kit.time import utcnow
from ketaclinic.notifications.models import Message
from ketaclinic.portal.deps import PORTAL_COOKIE
from ketaclinic.portal.models import PatientAccount, PortalSession
from ketaclinic.portal.service import set_password
from tests.conftest import Persona

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _browser(app: FastAPI) -> TestClient:
    return TestClient(app, follow_redirects=False)


def _form_token(page_html: str) -> str:
    found = CSRF.search(page_html)
    assert found is not None
    return found.group(1)


def _ask_for_link(browser: TestClient, email: str) -> str:
    token = _form_token(browser.get("/portal/sign-in").text)
    return browser.post("/portal/sign-in", data={"email": email, "csrf_token": token}).text


def _emailed_path(db: Session, template: str) -> str:
    message = db.scalars(
        select(Message).where(Message.template == template).order_by(Message.id.desc())
    ).first()
    assert message is not None and message.link_path is not None
    return message.link_path


def test_it_signs_in_from_the_emailed_link(
    app: FastAPI, db: Session, maya_account: PatientAccount
) -> None:
    browser = _browser(app)
    answer = _ask_for_link(browser, "maya@example.net")
    assert "If a portal account uses" in answer
    path = _emailed_path(db, "sign_in_link")
    landing = browser.get(path)  # a mail scanner's fetch uses nothing up
    assert landing.status_code == 200 and "Sign in" in landing.text
    signed_in = browser.post(path, data={"csrf_token": _form_token(landing.text)})
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/portal"
    assert browser.get("/portal").status_code == 200
    again = _browser(app).get(path)
    assert again.status_code == 404 and "expired or was already used" in again.text


def test_it_answers_the_same_for_an_unknown_address(app: FastAPI, db: Session) -> None:
    known_shape = _ask_for_link(_browser(app), "nobody@example.net")
    assert "If a portal account uses" in known_shape
    assert db.scalars(select(Message)).first() is None


def test_it_refuses_a_sign_in_form_from_elsewhere(
    app: FastAPI, maya_account: PatientAccount
) -> None:
    browser = _browser(app)
    refused = browser.post("/portal/sign-in", data={"email": "maya@example.net"})
    assert refused.status_code == 403 and "The form expired" in refused.text


def test_it_sets_up_the_account_from_the_invitation(
    app: FastAPI,
    api,
    db: Session,
    front_desk: Persona,
    maya_account: PatientAccount,  # type: ignore[no-untyped-def]
) -> None:
    maya_account.status = "invited"
    db.commit()
    api(front_desk).post(f"/patients/{maya_account.patient_id}/portal-invitation")
    path = _emailed_path(db, "portal_invitation")
    browser = _browser(app)
    page = browser.get(path)
    assert "maya@example.net" in page.text
    short = browser.post(path, data={"csrf_token": _form_token(page.text), "password": "short"})
    assert short.status_code == 422 and "at least 12 characters" in short.text
    done = browser.post(path, data={"csrf_token": _form_token(page.text), "password": ""})
    assert done.status_code == 303
    db.refresh(maya_account)
    assert maya_account.status == "active"
    assert browser.get("/portal").status_code == 200


def test_it_asks_for_the_app_code_after_the_password(
    app: FastAPI, db: Session, maya_account: PatientAccount
) -> None:
    set_password(maya_account, "a long enough passphrase", 12)
    secret = pyotp.random_base32()
    maya_account.totp_secret = secret
    maya_account.totp_enabled_at = utcnow()
    db.commit()
    browser = _browser(app)
    token = _form_token(browser.get("/portal/sign-in").text)
    wrong = browser.post(
        "/portal/sign-in/password",
        data={"csrf_token": token, "email": "maya@example.net", "password": "nope nope nope"},
    )
    assert wrong.status_code == 422 and "Email or password is not right" in wrong.text
    first = browser.post(
        "/portal/sign-in/password",
        data={
            "csrf_token": token,
            "email": "maya@example.net",
            "password": "a long enough passphrase",
        },
    )
    assert first.headers["location"] == "/portal/sign-in/code"
    assert browser.get("/portal").status_code == 303  # not in before the code
    bad = browser.post("/portal/sign-in/code", data={"csrf_token": token, "code": "12"})
    assert bad.status_code == 422
    good = browser.post(
        "/portal/sign-in/code", data={"csrf_token": token, "code": pyotp.TOTP(secret).now()}
    )
    assert good.status_code == 303 and browser.get("/portal").status_code == 200


def test_it_keeps_portal_and_staff_sessions_apart(
    app: FastAPI, db: Session, maya_account: PatientAccount
) -> None:
    browser = _browser(app)
    browser.cookies.set(PORTAL_COOKIE, "not-a-session")
    assert browser.get("/portal").status_code == 303
    assert browser.get("/patients").headers["location"].startswith("/login")
    assert db.scalars(select(PortalSession)).first() is None
