"""Queries over the outbox and contact preferences; every one scoped with ``in_clinics``
(system work names every clinic: ``all_clinic_ids``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import column, func, select, table, update
from sqlalchemy.orm import Session

from ketaclinic.auth.models import User
from ketaclinic.clinics.models import Clinic
from ketaclinic.kit.db import UTCDateTime
from ketaclinic.kit.scoping import in_clinics
from ketaclinic.notifications.models import ContactPreference, Message, MessageEvent
from ketaclinic.patients.models import Patient


def all_clinic_ids(db: Session) -> list[int]:
    return list(db.scalars(select(Clinic.id)))


def message(db: Session, clinic_ids: Sequence[int], message_id: int) -> Message | None:
    """The message as the database has it now (a claim is an UPDATE the session's copy
    would not know of)."""
    stmt = select(Message).where(Message.id == message_id)
    stmt = in_clinics(stmt, Message.clinic_id, clinic_ids)
    return db.scalar(stmt.execution_options(populate_existing=True))


def due_candidates(
    db: Session, clinic_ids: Sequence[int], now: datetime, limit: int
) -> list[tuple[int, int, bool, str | None]]:
    """(id, clinic id, urgent, the patient's own time zone or None) of queued messages
    whose time has come, oldest first."""
    stmt = (
        select(Message.id, Message.clinic_id, Message.urgent, Patient.timezone)
        .outerjoin(Patient, Patient.id == Message.patient_id)
        .where(Message.status == "queued", Message.next_attempt_at <= now)
    )
    stmt = in_clinics(stmt, Message.clinic_id, clinic_ids)
    rows = db.execute(stmt.order_by(Message.next_attempt_at, Message.id).limit(limit))
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def claim(db: Session, message_id: int, token: str, now: datetime) -> bool:
    """Take one queued message for sending: one UPDATE that only one worker can win
    (the row must still be queued), on either database."""
    result = db.execute(
        update(Message)
        .where(Message.id == message_id, Message.status == "queued")
        .values(status="sending", claim=token, claimed_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def stale_claims(db: Session, clinic_ids: Sequence[int], before: datetime) -> list[Message]:
    """Messages claimed before ``before`` and never finished: their worker stopped
    while sending, so whether they went is unknown."""
    stmt = select(Message).where(Message.status == "sending", Message.claimed_at < before)
    stmt = in_clinics(stmt, Message.clinic_id, clinic_ids).order_by(Message.id)
    return list(db.scalars(stmt.execution_options(populate_existing=True)))


def defer(db: Session, message_id: int, until: datetime, now: datetime) -> None:
    db.execute(
        update(Message)
        .where(Message.id == message_id, Message.status == "queued")
        .values(next_attempt_at=until, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def patient(db: Session, clinic_ids: Sequence[int], patient_id: int) -> Patient | None:
    stmt = select(Patient).where(Patient.id == patient_id)
    return db.scalar(in_clinics(stmt, Patient.clinic_id, clinic_ids))


def clinic(db: Session, clinic_id: int) -> Clinic | None:
    return db.get(Clinic, clinic_id)


def preference(db: Session, clinic_ids: Sequence[int], patient_id: int) -> ContactPreference | None:
    stmt = (
        select(ContactPreference)
        .join(Patient, Patient.id == ContactPreference.patient_id)
        .where(ContactPreference.patient_id == patient_id)
    )
    return db.scalar(in_clinics(stmt, Patient.clinic_id, clinic_ids))


def preferences_by_phone(
    db: Session, clinic_ids: Sequence[int], phone: str
) -> list[tuple[Patient, ContactPreference | None]]:
    """Every patient with this phone number and their preference (an inbound STOP)."""
    stmt = (
        select(Patient, ContactPreference)
        .outerjoin(ContactPreference, ContactPreference.patient_id == Patient.id)
        .where(Patient.phone == phone)
    )
    rows = db.execute(in_clinics(stmt, Patient.clinic_id, clinic_ids))
    return [(r[0], r[1]) for r in rows]


def messages_of(
    db: Session, clinic_ids: Sequence[int], patient_id: int, limit: int = 100
) -> list[Message]:
    stmt = select(Message).where(Message.patient_id == patient_id)
    stmt = in_clinics(stmt, Message.clinic_id, clinic_ids)
    return list(
        db.scalars(stmt.order_by(Message.created_at.desc(), Message.id.desc()).limit(limit))
    )


def outbox(
    db: Session, clinic_ids: Sequence[int], *, status: str | None, offset: int, limit: int
) -> tuple[list[tuple[Message, Patient | None, User | None]], int]:
    """Messages with their patient, or for a staff message its staff recipient."""
    stmt = (
        select(Message, Patient, User)
        .outerjoin(Patient, Patient.id == Message.patient_id)
        .outerjoin(User, User.id == Message.user_id)
    )
    count = select(func.count(Message.id))
    if status is not None:
        stmt = stmt.where(Message.status == status)
        count = count.where(Message.status == status)
    stmt = in_clinics(stmt, Message.clinic_id, clinic_ids)
    count = in_clinics(count, Message.clinic_id, clinic_ids)
    rows = db.execute(
        stmt.order_by(Message.next_attempt_at.desc(), Message.id.desc()).offset(offset).limit(limit)
    )
    return [(r[0], r[1], r[2]) for r in rows], int(db.scalar(count) or 0)


def events_of(
    db: Session, clinic_ids: Sequence[int], message_ids: Sequence[int]
) -> list[MessageEvent]:
    if not message_ids:
        return []
    stmt = (
        select(MessageEvent)
        .join(Message, Message.id == MessageEvent.message_id)
        .where(MessageEvent.message_id.in_(list(message_ids)))
    )
    stmt = in_clinics(stmt, Message.clinic_id, clinic_ids)
    return list(db.scalars(stmt.order_by(MessageEvent.at, MessageEvent.id)))


def pending_for_appointment(
    db: Session, clinic_ids: Sequence[int], appointment_id: int, templates: Sequence[str]
) -> list[Message]:
    stmt = select(Message).where(
        Message.appointment_id == appointment_id,
        Message.status == "queued",
        Message.template.in_(list(templates)),
    )
    return list(db.scalars(in_clinics(stmt, Message.clinic_id, clinic_ids)))


def user(db: Session, user_id: int) -> User | None:
    return db.get(User, user_id)


def user_name(db: Session, user_id: int) -> str | None:
    found = db.get(User, user_id)
    return found.name if found else None


# The visit's start by id, read as a plain row: notifications sit below appointments
# (the appointments service queues messages), so they do not import its models.
_APPOINTMENTS = table(
    "appointments", column("id"), column("clinic_id"), column("starts_at", UTCDateTime())
)


def appointment_start(db: Session, clinic_id: int, appointment_id: int) -> datetime | None:
    stmt = select(_APPOINTMENTS.c.starts_at).where(
        _APPOINTMENTS.c.id == appointment_id, _APPOINTMENTS.c.clinic_id == clinic_id
    )
    found: datetime | None = db.scalar(stmt)
    return found
