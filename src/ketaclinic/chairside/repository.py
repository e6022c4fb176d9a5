"""Queries over chairside sessions, each limited to the caller's clinics (``in_clinics``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.appointments.models import Appointment, AppointmentEvent, Chair
from ketaclinic.chairside.models import (
    AdverseEvent,
    AldreteScore,
    AlertAction,
    ChairsideSession,
    NoteAddendum,
    NoteSignature,
    RemsForm,
    RemsSubmission,
    RescueMedication,
    SessionAlert,
    SessionCheck,
    SessionEvent,
    SessionNote,
    VitalReading,
)
from ketaclinic.kit.scoping import in_clinics
from ketaclinic.measures.models import QuestionnaireResponse
from ketaclinic.patients.models import Medication, Patient
from ketaclinic.plans.models import DoseCheck

Child = TypeVar(
    "Child",
    SessionEvent,
    SessionCheck,
    VitalReading,
    SessionAlert,
    AlertAction,
    AdverseEvent,
    RescueMedication,
    AldreteScore,
    SessionNote,
    NoteSignature,
    NoteAddendum,
    RemsForm,
    RemsSubmission,
)


def session(
    db: Session, clinic_ids: Sequence[int], session_id: int, *, lock: bool = False
) -> tuple[ChairsideSession, Patient] | None:
    stmt = in_clinics(
        select(ChairsideSession, Patient).join(Patient, Patient.id == ChairsideSession.patient_id),
        ChairsideSession.clinic_id,
        clinic_ids,
    ).where(ChairsideSession.id == session_id)
    if lock:
        stmt = stmt.with_for_update(of=ChairsideSession)
    row = db.execute(stmt).first()
    return (row[0], row[1]) if row else None


def of_appointment(
    db: Session, clinic_ids: Sequence[int], appointment_id: int
) -> ChairsideSession | None:
    stmt = in_clinics(select(ChairsideSession), ChairsideSession.clinic_id, clinic_ids)
    return db.scalar(stmt.where(ChairsideSession.appointment_id == appointment_id))


def of_patient(db: Session, clinic_ids: Sequence[int], patient_id: int) -> list[ChairsideSession]:
    stmt = in_clinics(select(ChairsideSession), ChairsideSession.clinic_id, clinic_ids)
    stmt = stmt.where(ChairsideSession.patient_id == patient_id)
    return list(db.scalars(stmt.order_by(ChairsideSession.id.desc())))


def children(
    db: Session, clinic_ids: Sequence[int], model: type[Child], session_ids: Sequence[int]
) -> list[Child]:
    """Rows of one kind for these sessions, oldest first."""
    stmt = in_clinics(
        select(model).join(ChairsideSession, ChairsideSession.id == model.session_id),
        ChairsideSession.clinic_id,
        clinic_ids,
    ).where(model.session_id.in_(list(session_ids)))
    return list(db.scalars(stmt.order_by(model.id)))


def readings_by_key(
    db: Session, clinic_ids: Sequence[int], session_id: int, keys: Sequence[str]
) -> dict[str, VitalReading]:
    stmt = in_clinics(
        select(VitalReading).join(ChairsideSession, ChairsideSession.id == VitalReading.session_id),
        ChairsideSession.clinic_id,
        clinic_ids,
    ).where(VitalReading.session_id == session_id, VitalReading.reading_key.in_(list(keys)))
    return {r.reading_key: r for r in db.scalars(stmt)}


def day(
    db: Session, clinic_ids: Sequence[int], start: datetime, end: datetime
) -> list[tuple[Appointment, Patient, Chair, ChairsideSession | None]]:
    """A day's appointments (not cancelled) with their chair and session, by start."""
    stmt = in_clinics(
        select(Appointment, Patient, Chair, ChairsideSession)
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(Chair, Chair.id == Appointment.chair_id)
        .outerjoin(ChairsideSession, ChairsideSession.appointment_id == Appointment.id),
        Appointment.clinic_id,
        clinic_ids,
    ).where(
        Appointment.starts_at >= start,
        Appointment.starts_at < end,
        Appointment.status != "cancelled",
    )
    rows = db.execute(stmt.order_by(Appointment.starts_at, Appointment.id))
    return [(a, p, c, s) for a, p, c, s in rows]


def rems_sessions(
    db: Session, clinic_ids: Sequence[int], protocol_ids: Sequence[str], states: Sequence[str]
) -> list[tuple[ChairsideSession, Patient]]:
    stmt = in_clinics(
        select(ChairsideSession, Patient).join(Patient, Patient.id == ChairsideSession.patient_id),
        ChairsideSession.clinic_id,
        clinic_ids,
    ).where(
        ChairsideSession.protocol_id.in_(list(protocol_ids)),
        ChairsideSession.state.in_(list(states)),
    )
    rows = db.execute(stmt.order_by(ChairsideSession.administration_started_at))
    return [(s, p) for s, p in rows]


def questionnaires_since(
    db: Session, clinic_ids: Sequence[int], patient_id: int, since: datetime
) -> list[QuestionnaireResponse]:
    stmt = in_clinics(
        select(QuestionnaireResponse).join(Patient, Patient.id == QuestionnaireResponse.patient_id),
        Patient.clinic_id,
        clinic_ids,
    ).where(
        QuestionnaireResponse.patient_id == patient_id, QuestionnaireResponse.completed_at >= since
    )
    return list(db.scalars(stmt))


def escort_confirmation(
    db: Session, clinic_ids: Sequence[int], appointment_id: int
) -> AppointmentEvent | None:
    """The newest confirmation of the visit's escort (by the patient in the portal or by
    staff), while the visit counts its escort as confirmed."""
    stmt = in_clinics(
        select(AppointmentEvent).join(
            Appointment, Appointment.id == AppointmentEvent.appointment_id
        ),
        Appointment.clinic_id,
        clinic_ids,
    ).where(
        AppointmentEvent.appointment_id == appointment_id,
        AppointmentEvent.kind == "escort_confirmed",
        Appointment.escort_confirmed.is_(True),
    )
    return db.scalar(stmt.order_by(AppointmentEvent.id.desc()).limit(1))


def dose_check(db: Session, clinic_ids: Sequence[int], check_id: int) -> DoseCheck | None:
    return dose_checks(db, clinic_ids, [check_id]).get(check_id)


def dose_checks(
    db: Session, clinic_ids: Sequence[int], check_ids: Sequence[int]
) -> dict[int, DoseCheck]:
    if not check_ids:
        return {}
    stmt = in_clinics(
        select(DoseCheck).join(Patient, Patient.id == DoseCheck.patient_id),
        Patient.clinic_id,
        clinic_ids,
    ).where(DoseCheck.id.in_(list(check_ids)))
    return {c.id: c for c in db.scalars(stmt)}


def active_medications(db: Session, clinic_ids: Sequence[int], patient_id: int) -> list[Medication]:
    stmt = in_clinics(
        select(Medication).join(Patient, Patient.id == Medication.patient_id),
        Patient.clinic_id,
        clinic_ids,
    ).where(Medication.patient_id == patient_id, Medication.active.is_(True))
    return list(db.scalars(stmt))


def last_step_at(db: Session, clinic_ids: Sequence[int], session_id: int) -> datetime | None:
    """When the session's latest step happened (the one a new step follows)."""
    stmt = in_clinics(
        select(SessionEvent.at)
        .join(ChairsideSession, ChairsideSession.id == SessionEvent.session_id)
        .where(SessionEvent.session_id == session_id)
        .order_by(SessionEvent.seq.desc())
        .limit(1),
        ChairsideSession.clinic_id,
        clinic_ids,
    )
    return db.scalar(stmt)
