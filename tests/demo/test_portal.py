"""The demo's patient side (issue 21): each clinic has a patient who signs in to the
portal with the printed password and finds an upcoming visit, a questionnaire done and
one due, a signed consent with its PDF, an escort named for one visit and not another,
a care sheet shared and read and a visit guide shared and not yet read;
the outbox holds messages that went out (no transport: "not sent") and reminders
waiting for later, none with a word about health."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.auth.service import get_user_by_email, principal_for
from ketaclinic.clinical.treatment import load_protocols
from ketaclinic.clinics.models import Clinic
from ketaclinic.consents import service as consents
from ketaclinic.consents import sharing
from ketaclinic.demo.loader import DEMO_PASSWORD, demo_logins, load_demo
from ketaclinic.kit.clock_store import ClockShift
from ketaclinic.kit.time import as_utc, shifted_clock, utcnow
from ketaclinic.notifications import outbox
from ketaclinic.notifications.delivery import fields_for, link_for
from ketaclinic.notifications.models import Message
from ketaclinic.notifications.templates import render
from ketaclinic.patients.models import Patient
from ketaclinic.portal import visits as portal_visits
from ketaclinic.portal.actor import PortalPatient
from ketaclinic.portal.models import PatientAccount
from ketaclinic.previsit import service as previsit
from ketaclinic.settings import Settings
from tests.notifications.test_templates import HEALTH_WORDS

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _sign_in(app: FastAPI, email: str, password: str) -> TestClient:
    browser = TestClient(app, follow_redirects=False)
    page = browser.get("/portal/sign-in")
    found = CSRF.search(page.text)
    assert found is not None
    done = browser.post(
        "/portal/sign-in/password",
        data={"email": email, "password": password, "csrf_token": found.group(1)},
    )
    assert done.status_code == 303 and done.headers["location"] == "/portal", done.text
    return browser


def test_it_has_a_patient_on_the_portal_and_an_outbox(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    logins = load_demo(db, solve_seconds=1)
    db.flush()
    patients = {slug: email for role, email, slug in logins if role == "patient"}
    assert patients == {
        "lakeside": "patient@lakeside.example.org",
        "mesa": "patient@mesa.example.org",
    }
    assert [x for x in demo_logins(db) if x[0] == "patient"] == sorted(
        ("patient", e, s) for s, e in patients.items()
    )
    row = db.get(ClockShift, 1)
    assert row is not None
    with shifted_clock(timedelta(seconds=row.shift_seconds)):
        for email in patients.values():
            _check_patient(app, db, email)
        _check_outbox(db, settings)
        _check_staff_pages(db, settings, patients)


def _check_staff_pages(db: Session, settings: Settings, patients: dict[str, str]) -> None:
    """The admin's outbox and the portal patient's chart list real messages."""
    for slug, email in patients.items():
        admin = principal_for(db, get_user_by_email(db, f"admin@{slug}.example.org"))
        lines, total = outbox.outbox(db, admin, settings, status=None, offset=0, limit=50)
        assert total > 0 and lines
        account = db.scalars(select(PatientAccount).where(PatientAccount.email == email)).one()
        patient = db.get(Patient, account.patient_id)
        assert patient is not None
        log = outbox.patient_log(db, admin, patient, settings)
        assert {line.template for line in log} >= {"portal_invitation", "booking_confirmed"}


def _check_patient(app: FastAPI, db: Session, email: str) -> None:
    browser = _sign_in(app, email, DEMO_PASSWORD)
    home = browser.get("/portal")
    assert home.status_code == 200
    account = db.scalars(select(PatientAccount).where(PatientAccount.email == email)).one()
    me = PortalPatient(account.id, account.patient_id, account.clinic_id)
    upcoming = portal_visits.upcoming(db, me, dict(load_protocols(None)))
    assert len(upcoming) >= 2, "a visit today and the next of the series"
    confirmed = [v.escort_confirmed for v in upcoming]
    assert True in confirmed and False in confirmed, confirmed

    due = previsit.due_for_patient(db, me, me.patient_id)
    states = {(d.instrument.id, d.state) for d in due}
    assert ("phq9", "done") in states and ("gad7", "open") in states, states
    listing = browser.get("/portal/questionnaires")
    assert listing.status_code == 200 and "Done" in listing.text and "Answer:" in listing.text

    documents = consents.documents_for(db, me, me.patient_id)
    assert documents.signed and not documents.to_sign
    signature = documents.signed[0].signed
    assert signature is not None and signature.pdf.startswith(b"%PDF")
    page = browser.get("/portal/documents")
    assert page.status_code == 200 and signature.document_title in page.text

    # Two documents shared to read: the care sheet opened, the first-visit guide not yet.
    copies = sharing.shared_with(db, me, me.patient_id)
    assert sorted((c.document_id, c.first_read_at is not None) for c in copies) == [
        ("after_infusion_care", True),
        ("first_infusion", False),
    ]
    assert "From your clinic, to read" in page.text and ">New</span>" in page.text
    # Another patient of the clinic lives in another time zone.
    clinic = db.get(Clinic, account.clinic_id)
    assert clinic is not None
    zones = db.scalars(
        select(Patient.timezone)
        .where(Patient.clinic_id == clinic.id, Patient.timezone.is_not(None))
        .order_by(Patient.id)
    ).all()
    assert zones and all(z != clinic.timezone for z in zones), zones


def _check_outbox(db: Session, settings: Settings) -> None:
    messages = list(db.scalars(select(Message)))
    by_status: dict[str, list[Message]] = {}
    for m in messages:
        by_status.setdefault(m.status, []).append(m)
    went = by_status.get("no_transport", []) + by_status.get("sent", [])
    assert {m.template for m in went} >= {"portal_invitation", "escort_request"}, by_status
    assert any(m.template == "questionnaire_due" for m in went), by_status
    waiting = by_status.get("queued", [])
    assert any(m.template == "visit_reminder" for m in waiting)
    assert all(as_utc(m.not_before) > utcnow() for m in waiting)
    for m in messages:
        clinic = db.get(Clinic, m.clinic_id)
        assert clinic is not None
        fields = fields_for(m, clinic.name, clinic.address, clinic.timezone, link_for(m, settings))
        text = render(m.template, fields)
        # The clinic's own name is allowed (it is what the patient knows it by).
        bodies = " ".join((text.subject, text.email, text.sms)).replace(clinic.name, "")
        found = [w for w in HEALTH_WORDS if w in bodies.lower()]
        assert found == [], (m.template, found)
