"""The reminder scan (issue 21): for every booked visit, its reminders at the clinic's
hours before (72 h and 24 h by default) and, with the first, a request to confirm the
escort when none is confirmed. Each is queued once (its event key names the visit, the
hours and the start, so a moved visit is reminded at its new time), to go at start
minus the hours; one whose time passed more than an hour ago is left out (a visit
booked the day before gets the 24 h reminder, not a late 72 h one)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.appointments import repository as repo
from ketaclinic.appointments.models import Appointment
from ketaclinic.clinics.models import Clinic
from ketaclinic.clinics.settings import for_clinic
from ketaclinic.kit.time import as_utc
from ketaclinic.notifications.models import Message
from ketaclinic.notifications.service import queue

LATE = timedelta(hours=1)
PORTAL = "/portal"


def reminder_key(appointment: Appointment, hours: int) -> str:
    return f"visit_reminder:{appointment.id}:{hours}:{as_utc(appointment.starts_at):%Y%m%dT%H%MZ}"


def queue_reminders(db: Session, now: datetime) -> list[Message]:
    """Queue what is missing for every clinic's booked visits; the messages queued."""
    queued: list[Message] = []
    for clinic_id in db.scalars(select(Clinic.id).order_by(Clinic.id)):
        settings = for_clinic(db, clinic_id)
        hours = sorted({settings.reminder_first_hours, settings.reminder_second_hours})[::-1]
        until = now + timedelta(hours=hours[0]) + LATE
        for visit in repo.booked(db, [clinic_id], now, until):
            start = as_utc(visit.starts_at)
            if start <= now:
                continue
            for h in hours:
                due = start - timedelta(hours=h)
                if now > due + LATE:
                    continue
                queued += _one(db, visit, "visit_reminder", reminder_key(visit, h), due)
            if not visit.escort_confirmed:
                due = max(now, start - timedelta(hours=hours[0]))
                key = f"escort_request:{visit.id}:{start:%Y%m%dT%H%MZ}"
                queued += _one(db, visit, "escort_request", key, due)
    return queued


def _one(db: Session, visit: Appointment, template: str, key: str, due: datetime) -> list[Message]:
    made = queue(
        db,
        clinic_id=visit.clinic_id,
        patient_id=visit.patient_id,
        template=template,
        event_key=key,
        link_path=PORTAL,
        not_before=due,
        appointment_id=visit.id,
        visit_starts_at=visit.starts_at,
    )
    return [made] if made is not None else []
