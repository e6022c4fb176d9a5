"""Patients with portal accounts, their visits, and browsers signed in to the portal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ketaclinic.appointments.models import Appointment, Chair
from ketaclinic.clinics.models import Clinic
from ketaclinic.kit.time import utcnow
from ketaclinic.patients.models import Patient
from ketaclinic.portal import sessions
from ketaclinic.portal.deps import PORTAL_COOKIE
from ketaclinic.portal.models import PatientAccount

SignIn = Callable[[PatientAccount], TestClient]


def make_patient(db: Session, clinic: Clinic, given: str, email: str | None = None) -> Patient:
    patient = Patient(
        clinic_id=clinic.id,
        mrn=f"T{abs(hash((clinic.id, given))) % 10**8:08d}",
        given_name=given,
        family_name="Rivera",
        search_name=f"{given} rivera".lower(),
        birth_date=date(1984, 3, 2),
        sex_at_birth="female",
        email=email if email is not None else f"{given.lower()}@example.net",
    )
    db.add(patient)
    db.commit()
    return patient


def make_account(db: Session, patient: Patient, status: str = "active") -> PatientAccount:
    assert patient.email is not None
    account = PatientAccount(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        email=patient.email,
        status=status,
        activated_at=utcnow() if status == "active" else None,
    )
    db.add(account)
    db.commit()
    return account


def make_visit(db: Session, patient: Patient, chair: Chair, starts_at: datetime) -> Appointment:
    visit = Appointment(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        session_number=1,
        chair_id=chair.id,
        starts_at=starts_at,
        setup_ends_at=starts_at + timedelta(minutes=15),
        administration_ends_at=starts_at + timedelta(minutes=55),
        ends_at=starts_at + timedelta(minutes=120),
        status="booked",
    )
    db.add(visit)
    db.commit()
    return visit


@pytest.fixture
def chair(db: Session, clinic: Clinic) -> Chair:
    made = Chair(clinic_id=clinic.id, name="Chair 1")
    db.add(made)
    db.commit()
    return made


@pytest.fixture
def maya(db: Session, clinic: Clinic) -> Patient:
    return make_patient(db, clinic, "Maya")


@pytest.fixture
def noor(db: Session, clinic: Clinic) -> Patient:
    """Another patient of the same clinic."""
    return make_patient(db, clinic, "Noor")


@pytest.fixture
def maya_account(db: Session, maya: Patient) -> PatientAccount:
    return make_account(db, maya)


@pytest.fixture
def noor_account(db: Session, noor: Patient) -> PatientAccount:
    return make_account(db, noor)


@pytest.fixture
def sign_in(app: FastAPI, db: Session) -> Iterator[SignIn]:
    """sign_in(account) -> a browser with a live portal session for that account."""
    clients: list[TestClient] = []

    def make(account: PatientAccount) -> TestClient:
        token, _row = sessions.start(db, account, timedelta(hours=8))
        db.commit()
        browser = TestClient(app, follow_redirects=False)
        browser.cookies.set(PORTAL_COOKIE, token)
        clients.append(browser)
        return browser

    yield make
    for browser in clients:
        browser.close()


def csrf_of(db: Session, browser: TestClient) -> str:
    from sqlalchemy import select

    from ketaclinic.portal.models import PortalSession

    token = browser.cookies.get(PORTAL_COOKIE) or ""
    row = db.scalar(select(PortalSession).where(PortalSession.token_hash == sessions.sha256(token)))
    assert row is not None
    return row.csrf_token
