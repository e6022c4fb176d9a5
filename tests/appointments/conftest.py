"""A clinic with chairs, and a patient with a signed plan waiting to be booked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ketaclinic.appointments.models import Chair
from tests.conftest import Persona
from tests.plans.conftest import clear_patient, plan_body

Api = Callable[[Persona], TestClient]


@dataclass
class Booking:
    patient_id: int
    plan_id: int
    chairs: list[Chair]


def signed_plan(
    api: Api, nurse: Persona, prescriber: Persona, given_name: str = "Maya", **plan: str
) -> tuple[int, int]:
    """A cleared patient (another given name: another person) and a signed plan."""
    pid = clear_patient(api, nurse, prescriber, given_name=given_name)
    made = api(nurse).post(f"/api/v1/patients/{pid}/plans", json=plan_body(**plan)).json()
    signed = api(prescriber).post(
        f"/api/v1/patients/{pid}/plans/{made['id']}/status", json={"action": "sign"}
    )
    assert signed.status_code in (200, 201), signed.text
    return pid, int(made["id"])


@pytest.fixture
def chairs(db: Session, nurse: Persona) -> list[Chair]:
    made = [
        Chair(clinic_id=nurse.clinic.id, name=f"Chair {n}", long_infusion=n == 3) for n in (1, 2, 3)
    ]
    db.add_all(made)
    db.commit()
    return made


@pytest.fixture
def booking(api: Api, nurse: Persona, prescriber: Persona, chairs: list[Chair]) -> Booking:
    pid, plan = signed_plan(api, nurse, prescriber)
    return Booking(pid, plan, chairs)
