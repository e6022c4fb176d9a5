"""The portal session: its own cookie and table, timeouts, CSRF, and the audit actor."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.kit.time import utcnow
from ketaclinic.portal.models import PatientAccount
from tests.conftest import Persona
from tests.portal.conftest import SignIn, csrf_of


def test_it_sends_a_stranger_to_the_portal_sign_in(app: FastAPI) -> None:
    browser = TestClient(app, follow_redirects=False)
    response = browser.get("/portal")
    assert response.status_code == 303
    assert response.headers["location"] == "/portal/sign-in"


def test_it_shows_the_signed_in_patient_their_page(
    db: Session, sign_in: SignIn, maya_account: PatientAccount
) -> None:
    response = sign_in(maya_account).get("/portal")
    assert response.status_code == 200
    assert "Lakeside Ketamine" in response.text
    assert "Sign out" in response.text
    event = db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event is not None
    assert event.actor == f"patient-account:{maya_account.id}"
    assert event.patient_id == maya_account.patient_id


def test_it_ends_an_idle_session(sign_in: SignIn, maya_account: PatientAccount) -> None:
    browser = sign_in(maya_account)
    with time_machine.travel(utcnow() + timedelta(minutes=31)):
        response = browser.get("/portal")
    assert response.status_code == 303


def test_it_ends_a_session_at_its_absolute_limit(
    sign_in: SignIn, maya_account: PatientAccount
) -> None:
    browser = sign_in(maya_account)
    for minutes in range(25, 8 * 60, 25):  # active all along
        with time_machine.travel(utcnow() + timedelta(minutes=minutes)):
            assert browser.get("/portal").status_code == 200
    with time_machine.travel(utcnow() + timedelta(hours=8, minutes=1)):
        assert browser.get("/portal").status_code == 303


def test_it_refuses_a_form_without_the_session_token(
    db: Session, sign_in: SignIn, maya_account: PatientAccount
) -> None:
    browser = sign_in(maya_account)
    assert browser.post("/portal/sign-out", data={}).status_code == 403
    signed_out = browser.post("/portal/sign-out", data={"csrf_token": csrf_of(db, browser)})
    assert signed_out.status_code == 303
    assert browser.get("/portal").status_code == 303


def test_it_does_not_let_a_staff_session_into_the_portal(app: FastAPI, front_desk: Persona) -> None:
    staff = TestClient(app, follow_redirects=False)
    staff.headers["Authorization"] = f"Bearer {front_desk.token}"
    assert staff.get("/portal").status_code == 303


def test_it_refuses_a_switched_off_account(
    db: Session, sign_in: SignIn, maya_account: PatientAccount
) -> None:
    browser = sign_in(maya_account)
    maya_account.status = "disabled"
    db.commit()
    assert browser.get("/portal").status_code == 303
