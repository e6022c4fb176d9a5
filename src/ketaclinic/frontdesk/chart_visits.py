"""A patient's visits for the chart: upcoming (soonest first) and past (latest first),
each with its status, chair, and the chairside session where one was opened.

A read model joining appointments to their chairside sessions, so it sits above both
domains (appointments never imports chairside for it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.appointments.models import Appointment, Chair
from ketaclinic.chairside.models import ChairsideSession
from ketaclinic.kit.scoping import in_clinics
from ketaclinic.kit.time import utcnow

STATUS_WORDS = {
    "booked": "booked",
    "cancelled": "cancelled",
    "no_show": "did not come",
    "completed": "completed",
}


@dataclass(frozen=True)
class Visit:
    appointment: Appointment
    chair: str
    status: str  # in words
    session_id: int | None  # only when the caller may open the session's page
    session_state: str | None


@dataclass(frozen=True)
class Visits:
    upcoming: list[Visit]
    past: list[Visit]


def of_patient(
    db: Session,
    patient_id: int,
    clinic_id: int,
    *,
    now: datetime | None = None,
) -> Visits:
    """The patient's visits. Read as part of an opened chart (whose opening is
    audited), so no audit row of its own; the caller has checked the chart's access.
    Which session links a role sees is the page's (``auth.access.can``)."""
    now = now or utcnow()
    upcoming: list[Visit] = []
    past: list[Visit] = []
    for appointment, chair, session_id, state in patient_visits(db, [clinic_id], patient_id):
        visit = Visit(
            appointment=appointment,
            chair=chair,
            status=STATUS_WORDS.get(appointment.status, appointment.status),
            session_id=session_id,
            session_state=state.replace("_", " ") if state else None,
        )
        is_ahead = appointment.ends_at >= now and appointment.status == "booked"
        (upcoming if is_ahead else past).append(visit)
    past.reverse()
    return Visits(upcoming=upcoming, past=past)


def patient_visits(
    db: Session, clinic_ids: Sequence[int], patient_id: int
) -> list[tuple[Appointment, str, int | None, str | None]]:
    """Every visit of one patient (any status), oldest first, with its chair's name
    and its chairside session's id and state where one was opened."""
    stmt = (
        select(Appointment, Chair.name, ChairsideSession.id, ChairsideSession.state)
        .join(Chair, Chair.id == Appointment.chair_id)
        .outerjoin(ChairsideSession, ChairsideSession.appointment_id == Appointment.id)
    )
    stmt = in_clinics(stmt, Appointment.clinic_id, clinic_ids).where(
        Appointment.patient_id == patient_id
    )
    rows = db.execute(stmt.order_by(Appointment.starts_at, Appointment.id))
    return [(a, chair, session_id, state) for a, chair, session_id, state in rows]
