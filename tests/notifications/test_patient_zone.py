"""A patient who lives in another zone: quiet hours on their clock, visit times on
the clinic's (where the visit is), naming the clinic's zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from ketaclinic.clinics.models import Clinic
from ketaclinic.notifications.delivery import deliver_due, fields_for
from ketaclinic.notifications.models import Message
from ketaclinic.notifications.service import queue
from ketaclinic.patients.models import Patient
from ketaclinic.settings import Settings

HONOLULU = "Pacific/Honolulu"


def _due(db: Session, clinic: Clinic, patient: Patient, at: datetime, key: str) -> Message:
    message = queue(
        db,
        clinic_id=clinic.id,
        patient_id=patient.id,
        template="questionnaire_due",
        event_key=key,
        not_before=at,
        link_path="/portal",
    )
    assert message is not None
    db.commit()
    return message


def _nine_am(clinic: Clinic, morning: datetime) -> datetime:
    local = morning.astimezone(ZoneInfo(clinic.timezone))
    return local.replace(hour=9, minute=0)


def test_it_holds_a_message_until_morning_on_the_patients_own_clock(
    db: Session, clinic: Clinic, patient: Patient, settings: Settings, morning: datetime
) -> None:
    patient.timezone = HONOLULU
    db.commit()
    at = _nine_am(clinic, morning)  # 09:00 at the clinic is the small hours in Honolulu
    message = _due(db, clinic, patient, at, "zone:held")
    (outcome,) = deliver_due(db, settings=settings, now=at)
    assert outcome.status == "deferred"
    assert HONOLULU in outcome.detail
    db.refresh(message)
    local = message.next_attempt_at.astimezone(ZoneInfo(HONOLULU))
    assert (local.hour, local.minute) == (8, 0)
    assert message.next_attempt_at - at < timedelta(hours=24)


def test_it_keeps_the_clinics_clock_for_a_patient_without_a_zone(
    db: Session, clinic: Clinic, patient: Patient, settings: Settings, morning: datetime
) -> None:
    assert patient.timezone is None
    at = _nine_am(clinic, morning)
    _due(db, clinic, patient, at, "zone:clinic")
    (outcome,) = deliver_due(db, settings=settings, now=at)
    assert outcome.status == "no_transport"  # tried at once: the clinic's morning


def test_it_says_a_visits_time_on_the_clinics_clock_naming_its_zone(
    clinic: Clinic, morning: datetime
) -> None:
    visit = _nine_am(clinic, morning) + timedelta(hours=1, minutes=30)
    message = Message(visit_starts_at=visit, counts=None)
    mine = fields_for(message, "Lakeside", "1 Main St", clinic.timezone, "https://x/portal")
    assert mine["visit_time"] == "10:30 AM"
    away = fields_for(
        message,
        "Lakeside",
        "1 Main St",
        clinic.timezone,
        "https://x/portal",
        patient_zone=HONOLULU,
    )
    assert away["visit_time"] == f"10:30 AM {clinic.timezone} time"
    assert away["visit_date"] == mine["visit_date"]
