"""A clinic with chairs and a safe of ketamine, and a cleared patient (68.4 kg,
weighed today) with a signed twice-weekly IV plan, booked in a chair now."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from ketaclinic.appointments.models import Chair
from ketaclinic.appointments.service import Visit, book_visits
from ketaclinic.auth.service import principal_for
from ketaclinic.chairside.models import ChairsideSession
from ketaclinic.kit.time import utcnow
from ketaclinic.ledger.models import CsContainer
from ketaclinic.patients.models import Patient
from ketaclinic.scheduling.model import SessionSpec
from tests.appointments.conftest import signed_plan
from tests.conftest import PASSWORD, Persona
from tests.ledger import conftest as ledger_fixtures
from tests.ledger.conftest import Stock

Api = Callable[[Persona], TestClient]
stock = ledger_fixtures.stock  # the safe of ketamine vials
CALM = {
    "systolic": 128,
    "diastolic": 80,
    "heart_rate": 72,
    "spo2": 98,
    "respiratory_rate": 14,
    "sedation": 0,
    "cadss": 0,
}
MANUAL_CHECKS = {
    "consent_on_file": "pass",
    "fasting": "pass",
    "escort_present": "pass",
    "pregnancy_test": "pass",
}


def a_moment_ago(zone: str = "America/Chicago") -> datetime:
    """Five minutes ago, to the minute, but never before the clinic's midnight: a
    session is checked in on its visit's day, whenever the suite runs."""
    now = utcnow().replace(second=0, microsecond=0)
    midnight = datetime.combine(now.astimezone(ZoneInfo(zone)).date(), time(), ZoneInfo(zone))
    return max(now - timedelta(minutes=5), midnight.astimezone(UTC))


@dataclass
class Chairside:
    patient_id: int
    plan_id: int
    appointment_id: int
    vial: CsContainer
    chair: Chair


def book_now(
    db: Session,
    desk: Persona,
    patient_id: int,
    plan_id: int,
    chair: Chair,
    start: datetime | None = None,
) -> int:
    """The plan's first session, in the chair from now (placed directly: booking is
    from tomorrow on, and a session is charted on the day)."""
    start = start or a_moment_ago()
    visit = Visit(
        1,
        chair,
        start,
        start + timedelta(minutes=20),
        start + timedelta(minutes=60),
        start + timedelta(minutes=90),
        SessionSpec(20, 40, 30),
    )
    patient = db.get(Patient, patient_id)
    assert patient is not None
    [row] = book_visits(db, principal_for(db, desk.user), patient, plan_id, [visit])
    db.commit()
    return row.id


@pytest.fixture
def chairside(
    db: Session, api: Api, nurse: Persona, prescriber: Persona, front_desk: Persona, stock: Stock
) -> Chairside:
    chair = Chair(clinic_id=nurse.clinic.id, name="Chair 1")
    db.add(chair)
    db.commit()
    pid, plan = signed_plan(api, nurse, prescriber)
    appointment = book_now(db, front_desk, pid, plan, chair)
    return Chairside(pid, plan, appointment, stock.vials[0], chair)


def reading(n: int, **values: Any) -> dict[str, Any]:
    return {"id": f"r{n}", "taken_at": utcnow().isoformat(), **CALM, **values}


def checker(persona: Persona) -> dict[str, str]:
    return {"email": persona.email, "password": PASSWORD}


def backdate(db: Session, session_id: int, minutes: int) -> None:
    """Let time pass: the administration ended ``minutes`` ago."""
    db.execute(
        update(ChairsideSession)
        .where(ChairsideSession.id == session_id)
        .values(administration_ended_at=utcnow() - timedelta(minutes=minutes))
    )
    db.commit()


def released(api: Api, nurse: Persona, prescriber: Persona, c: Chairside) -> int:
    """Checked in, checked, and the dose released (34.2 mg drawn as 35): the session id."""
    s = api(nurse).post(f"/api/v1/appointments/{c.appointment_id}/session", json={}).json()
    sid = int(s["id"])
    at_check_in = (utcnow() - timedelta(minutes=12)).isoformat()
    api(nurse).post(
        f"/api/v1/sessions/{sid}/vitals",
        json={"readings": [{**reading(0), "taken_at": at_check_in}]},
    )
    checks = {k: {"result": v} for k, v in MANUAL_CHECKS.items()}
    done = api(nurse).post(f"/api/v1/sessions/{sid}/checklist", json={"items": checks})
    assert done.json()["state"] == "prechecked", done.text
    out = api(nurse).post(
        f"/api/v1/sessions/{sid}/release",
        json={
            "checker": checker(prescriber),
            "weight_kg": "68.4",
            "concentration_mg_per_ml": "1",
            "container_id": c.vial.id,
            "drawn_mg": "35",
        },
    )
    assert out.status_code == 200, out.text
    return sid


def backdate_start(db: Session, session_id: int, minutes: int = 41) -> None:
    """Let the drug run: the administration started ``minutes`` ago (the whole
    40-minute infusion by default, so ending it now is no early stop)."""
    db.execute(
        update(ChairsideSession)
        .where(ChairsideSession.id == session_id)
        .values(administration_started_at=utcnow() - timedelta(minutes=minutes))
    )
    db.commit()


def started(api: Api, db: Session, nurse: Persona, sid: int, minutes: int = 41) -> None:
    """Started, and the drug has run ``minutes``."""
    out = api(nurse).post(f"/api/v1/sessions/{sid}/actions", json={"action": "start"})
    assert out.status_code == 200, out.text
    backdate_start(db, sid, minutes)
