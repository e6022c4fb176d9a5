"""Queries for pre-visit questionnaires: the patient's visits with their plan's
protocol, and their answers. Every query is scoped with ``in_clinics``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.appointments.models import Appointment
from ketaclinic.kit.scoping import in_clinics
from ketaclinic.measures.models import QuestionnaireResponse
from ketaclinic.patients.models import Patient
from ketaclinic.plans.models import TreatmentPlan

# A cancelled visit or a no-show asks for nothing.
LIVE = ("booked", "completed")


def patient(db: Session, clinic_ids: Sequence[int], patient_id: int) -> Patient | None:
    stmt = in_clinics(select(Patient), Patient.clinic_id, clinic_ids).where(
        Patient.id == patient_id
    )
    return db.scalars(stmt).one_or_none()


def visits(
    db: Session, clinic_ids: Sequence[int], patient_id: int
) -> list[tuple[Appointment, str | None]]:
    """The patient's booked and completed visits, with their plan's protocol id."""
    stmt = (
        in_clinics(
            select(Appointment, TreatmentPlan.protocol_id).outerjoin(
                TreatmentPlan, TreatmentPlan.id == Appointment.plan_id
            ),
            Appointment.clinic_id,
            clinic_ids,
        )
        .where(Appointment.patient_id == patient_id, Appointment.status.in_(LIVE))
        .order_by(Appointment.starts_at, Appointment.id)
    )
    return [(a, p) for a, p in db.execute(stmt)]


def answers(
    db: Session, clinic_ids: Sequence[int], patient_id: int, instruments: Iterable[str]
) -> list[QuestionnaireResponse]:
    wanted = sorted(set(instruments))
    if not wanted:
        return []
    stmt = (
        in_clinics(
            select(QuestionnaireResponse).join(
                Patient, Patient.id == QuestionnaireResponse.patient_id
            ),
            Patient.clinic_id,
            clinic_ids,
        )
        .where(
            QuestionnaireResponse.patient_id == patient_id,
            QuestionnaireResponse.instrument_id.in_(wanted),
        )
        .order_by(QuestionnaireResponse.completed_at, QuestionnaireResponse.id)
    )
    return list(db.scalars(stmt))


def lock_patient(db: Session, clinic_ids: Sequence[int], patient_id: int) -> Patient | None:
    """The patient's row, locked until the transaction ends (one answer at a time)."""
    stmt = (
        in_clinics(select(Patient), Patient.clinic_id, clinic_ids)
        .where(Patient.id == patient_id)
        .with_for_update()
    )
    return db.scalars(stmt).one_or_none()


def patients_with_visits_between(
    db: Session, clinic_ids: Sequence[int], start: datetime, end: datetime
) -> list[Patient]:
    """Patients with a booked visit starting in [start, end) (the notice scan)."""
    stmt = (
        in_clinics(select(Patient), Patient.clinic_id, clinic_ids)
        .where(
            Patient.id.in_(
                select(Appointment.patient_id).where(
                    Appointment.status == "booked",
                    Appointment.starts_at >= start,
                    Appointment.starts_at < end,
                )
            )
        )
        .order_by(Patient.id)
    )
    return list(db.scalars(stmt))
