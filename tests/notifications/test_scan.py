"""The reminder scan over booked visits, and the appointments service queueing a
confirmation, a change and a cancellation (and cancelling reminders not yet sent)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.appointments.models import Appointment, Chair
from ketaclinic.appointments.reminders import queue_reminders
from ketaclinic.clinics.models import Clinic
from ketaclinic.kit.time import utcnow
from ketaclinic.notifications.delivery import deliver_due
from ketaclinic.notifications.models import Message
from ketaclinic.notifications.service import cancel_pending
from ketaclinic.patients.models import Patient
from ketaclinic.settings import Settings
from tests.appointments.conftest import Booking
from tests.conftest import Persona

Api = Callable[[Persona], TestClient]


def _visit(db: Session, clinic: Clinic, patient: Patient, start: datetime) -> Appointment:
    chair = Chair(clinic_id=clinic.id, name="Chair 9")
    db.add(chair)
    db.flush()
    visit = Appointment(
        clinic_id=clinic.id,
        patient_id=patient.id,
        session_number=1,
        chair_id=chair.id,
        starts_at=start,
        setup_ends_at=start + timedelta(minutes=15),
        administration_ends_at=start + timedelta(minutes=55),
        ends_at=start + timedelta(minutes=115),
        status="booked",
    )
    db.add(visit)
    db.commit()
    return visit


def _mine(made: list[Message], patient: Patient) -> list[Message]:
    """The scan goes through every booked visit in the database; the suite's database
    keeps other tests' visits."""
    return [m for m in made if m.patient_id == patient.id]


def _messages(db: Session, patient: Patient) -> list[Message]:
    stmt = select(Message).where(Message.patient_id == patient.id).order_by(Message.id)
    return list(db.scalars(stmt))


def test_it_reminds_72_and_24_hours_before_once_each(
    db: Session, clinic: Clinic, patient: Patient, settings: Settings, morning: datetime
) -> None:
    start = morning + timedelta(days=4)  # 10:00 at the clinic, four days on
    visit = _visit(db, clinic, patient, start)
    assert _mine(queue_reminders(db, start - timedelta(hours=80)), patient) == []  # not yet
    first_scan = start - timedelta(hours=72, minutes=30)
    made = _mine(queue_reminders(db, first_scan), patient)
    db.commit()
    ids = {m.id for m in made}
    assert sorted(m.template for m in made) == [
        "escort_request",
        "visit_reminder",
        "visit_reminder",
    ]
    reminders = [m for m in made if m.template == "visit_reminder"]
    assert sorted(m.not_before for m in reminders) == [
        start - timedelta(hours=72),
        start - timedelta(hours=24),
    ]
    assert all(m.appointment_id == visit.id for m in made)
    assert _mine(queue_reminders(db, first_scan + timedelta(minutes=1)), patient) == []  # once
    sent = [
        o
        for o in deliver_due(db, settings=settings, now=start - timedelta(hours=72))
        if o.message_id in ids
    ]
    # The 72 h reminder and the escort request; the 24 h one waits for its time.
    assert sorted(o.template for o in sent) == ["escort_request", "visit_reminder"]
    later = deliver_due(db, settings=settings, now=start - timedelta(hours=24))
    assert [o.template for o in later if o.message_id in ids] == ["visit_reminder"]


def test_it_leaves_out_a_reminder_whose_time_has_passed(
    db: Session, clinic: Clinic, patient: Patient, morning: datetime
) -> None:
    start = morning + timedelta(days=2)
    _visit(db, clinic, patient, start)
    made = _mine(queue_reminders(db, start - timedelta(hours=30)), patient)
    reminders = [m for m in made if m.template == "visit_reminder"]
    assert [m.not_before for m in reminders] == [start - timedelta(hours=24)]


def test_it_cancels_the_reminders_of_a_visit_that_moved(
    db: Session, clinic: Clinic, patient: Patient, morning: datetime
) -> None:
    start = morning + timedelta(days=2)
    visit = _visit(db, clinic, patient, start)
    queue_reminders(db, start - timedelta(hours=30))
    assert cancel_pending(db, clinic_id=clinic.id, appointment_id=visit.id, reason="moved") == 2
    day = timedelta(days=1)
    visit.starts_at, visit.setup_ends_at = visit.starts_at + day, visit.setup_ends_at + day
    visit.administration_ends_at, visit.ends_at = (
        visit.administration_ends_at + day,
        visit.ends_at + day,
    )
    db.commit()
    again = _mine(queue_reminders(db, start - timedelta(hours=29)), patient)
    assert [m.template for m in again if m.template == "visit_reminder"] == ["visit_reminder"]
    statuses = sorted(m.status for m in _messages(db, patient))
    assert statuses == ["cancelled", "cancelled", "queued", "queued"]  # reminder, escort


def test_it_confirms_a_booking_tells_of_a_move_and_of_a_cancellation(
    db: Session, api: Api, front_desk: Persona, booking: Booking
) -> None:
    desk = api(front_desk)
    base = f"/api/v1/patients/{booking.patient_id}/plans/{booking.plan_id}"
    first, *_rest = desk.post(f"{base}/appointments", json={"option": 0}).json()
    suggestions = desk.get(f"/api/v1/appointments/{first['id']}/suggestions").json()["items"]
    moved_to = next(s for s in suggestions if s["starts_at"] != first["starts_at"])
    to = {"starts_at": moved_to["starts_at"], "chair_id": moved_to["chair_id"]}
    assert desk.post(f"/api/v1/appointments/{first['id']}/reschedule", json=to).status_code == 200
    url = f"/api/v1/appointments/{first['id']}/cancel"
    assert desk.post(url, json={"reason": "Patient has flu."}).status_code == 200
    stmt = select(Message.template, Message.appointment_id).where(
        Message.patient_id == booking.patient_id
    )
    found = {(t, a) for t, a in db.execute(stmt)}
    assert found == {
        ("booking_confirmed", first["id"]),
        ("booking_changed", first["id"]),
        ("booking_cancelled", first["id"]),
    }


def test_it_queues_nothing_when_a_booking_is_refused(
    db: Session, api: Api, front_desk: Persona, booking: Booking
) -> None:
    base = f"/api/v1/patients/{booking.patient_id}/plans/{booking.plan_id}"
    refused = api(front_desk).post(f"{base}/appointments", json={"option": 99})
    assert refused.status_code == 422
    assert db.scalars(select(Message).where(Message.patient_id == booking.patient_id)).all() == []
    assert utcnow()  # the clock is the suite's
