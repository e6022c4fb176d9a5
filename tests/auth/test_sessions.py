"""Staff browser sessions: idle logoff, cookie flags, transport security headers."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.auth.models import StaffSession
from tests.auth.test_login import login
from tests.conftest import Persona


def _age_session(db: Session, persona: Persona, idle: timedelta) -> None:
    row = db.scalars(select(StaffSession).where(StaffSession.user_id == persona.user.id)).one()
    row.last_seen_at = row.last_seen_at - idle
    db.commit()


def test_it_keeps_a_session_that_is_in_use(client: TestClient, nurse: Persona, db: Session) -> None:
    login(client, nurse.email)
    _age_session(db, nurse, timedelta(minutes=14))
    assert client.get("/patients", follow_redirects=False).status_code == 200


def test_it_signs_out_a_session_idle_past_the_timeout(
    client: TestClient, nurse: Persona, db: Session
) -> None:
    login(client, nurse.email)
    _age_session(db, nurse, timedelta(minutes=15, seconds=1))
    response = client.get("/patients", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_it_takes_the_idle_timeout_from_settings(
    app: FastAPI, client: TestClient, nurse: Persona, db: Session
) -> None:
    app.state.settings.idle_timeout_minutes = 30
    login(client, nurse.email)
    _age_session(db, nurse, timedelta(minutes=20))
    assert client.get("/patients", follow_redirects=False).status_code == 200


def test_it_sets_secure_cookies_and_hsts_over_https(app: FastAPI, nurse: Persona) -> None:
    with TestClient(app, base_url="https://clinic.example.org") as https:
        response = login(https, nurse.email)
        cookie = response.headers["set-cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
        headers = https.get("/login").headers
        assert headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_it_sends_no_hsts_over_plain_http(client: TestClient) -> None:
    headers = client.get("/login").headers
    assert "Strict-Transport-Security" not in headers
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
