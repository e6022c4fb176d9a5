"""A cleared patient (Maya) with a signed twice-weekly IV plan, a portal account and
visits placed where a test wants them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from ketaclinic.appointments.models import Appointment, Chair
from ketaclinic.kit.time import utcnow
from ketaclinic.portal.actor import PortalPatient
from ketaclinic.portal.models import PatientAccount
from tests.appointments.conftest import signed_plan
from tests.chairside.conftest import Api
from tests.conftest import Persona
from tests.portal.conftest import sign_in  # noqa: F401 - the portal's browser fixture


@dataclass
class Planned:
    patient_id: int
    plan_id: int
    clinic_id: int
    account: PatientAccount
    chair: Chair

    @property
    def me(self) -> PortalPatient:
        return PortalPatient(self.account.id, self.patient_id, self.clinic_id)

    def visit(self, db: Session, starts_at: datetime, number: int = 1) -> Appointment:
        row = Appointment(
            clinic_id=self.clinic_id,
            patient_id=self.patient_id,
            plan_id=self.plan_id,
            session_number=number,
            chair_id=self.chair.id,
            starts_at=starts_at,
            setup_ends_at=starts_at + timedelta(minutes=20),
            administration_ends_at=starts_at + timedelta(minutes=60),
            ends_at=starts_at + timedelta(minutes=90),
            status="booked",
        )
        db.add(row)
        db.commit()
        return row


def planned_patient(
    db: Session,
    api: Api,
    nurse: Persona,
    prescriber: Persona,
    given_name: str = "Maya",
    **plan: str,
) -> Planned:
    pid, plan_id = signed_plan(api, nurse, prescriber, given_name=given_name, **plan)
    chair = Chair(clinic_id=nurse.clinic.id, name=f"Chair {given_name}")
    account = PatientAccount(
        clinic_id=nurse.clinic.id,
        patient_id=pid,
        email=f"{given_name.lower()}.{pid}@example.net",
        status="active",
        activated_at=utcnow(),
    )
    db.add_all([chair, account])
    db.commit()
    return Planned(pid, plan_id, nurse.clinic.id, account, chair)


@pytest.fixture
def planned(db: Session, api: Api, nurse: Persona, prescriber: Persona) -> Planned:
    return planned_patient(db, api, nurse, prescriber)


def in_hours(hours: float) -> datetime:
    return (utcnow() + timedelta(hours=hours)).replace(microsecond=0)
