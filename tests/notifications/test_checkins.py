"""The next-morning check-in after a discharged session: 09:00 clinic time the next
day, once, with the crisis line; none for a session long past."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from ketaclinic.chairside.checkins import queue_checkins
from ketaclinic.chairside.models import ChairsideSession
from ketaclinic.kit.time import utcnow
from ketaclinic.notifications.models import Message
from tests.chairside.conftest import Chairside, chairside, stock  # noqa: F401
from tests.conftest import Persona

Api = Callable[[Persona], TestClient]


def _mine(made: list[Message], patient_id: int) -> list[Message]:
    """The scan goes through every discharged session in the database; the suite's
    database keeps other tests' sessions."""
    return [m for m in made if m.patient_id == patient_id]


def _discharged(db: Session, api: Api, nurse: Persona, c: Chairside, at: datetime) -> int:
    made = api(nurse).post(f"/api/v1/appointments/{c.appointment_id}/session", json={})
    session_id = int(made.json()["id"])
    # The chairside steps are tested in tests/chairside; here only the moment matters.
    db.execute(
        update(ChairsideSession).where(ChairsideSession.id == session_id).values(discharged_at=at)
    )
    db.commit()
    return session_id


def test_it_checks_in_at_nine_the_next_morning_once(
    db: Session,
    api: Api,
    nurse: Persona,
    chairside: Chairside,  # noqa: F811
) -> None:
    zone = ZoneInfo(nurse.clinic.timezone)
    discharged = utcnow() - timedelta(minutes=5)
    _discharged(db, api, nurse, chairside, discharged)
    [made] = _mine(queue_checkins(db, utcnow()), chairside.patient_id)
    assert made.template == "post_infusion_checkin" and made.patient_id == chairside.patient_id
    local = made.not_before.astimezone(zone)
    assert (local.hour, local.minute) == (9, 0)
    assert local.date() == discharged.astimezone(zone).date() + timedelta(days=1)
    assert _mine(queue_checkins(db, utcnow() + timedelta(minutes=1)), chairside.patient_id) == []


def test_it_sends_no_check_in_for_a_session_long_past(
    db: Session,
    api: Api,
    nurse: Persona,
    chairside: Chairside,  # noqa: F811
) -> None:
    _discharged(db, api, nurse, chairside, utcnow() - timedelta(days=3))
    assert _mine(queue_checkins(db, utcnow()), chairside.patient_id) == []
