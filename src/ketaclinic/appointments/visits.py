"""A patient's visits for the chart: upcoming (soonest first) and past (latest first),
each with its status, chair, and the chairside session where one was opened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ketaclinic.appointments import repository as repo
from ketaclinic.appointments.models import Appointment
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
    for appointment, chair, session_id, state in repo.patient_visits(db, [clinic_id], patient_id):
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
