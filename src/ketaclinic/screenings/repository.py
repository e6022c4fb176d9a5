"""Queries over intakes, screenings and signatures, each scoped to the caller's
clinics through the patient (``in_clinics``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ketaclinic.kit.scoping import in_clinics
from ketaclinic.patients.models import Medication, Patient
from ketaclinic.screenings.models import PatientIntake, Screening, ScreeningSignature

Row = TypeVar("Row", PatientIntake, Screening, ScreeningSignature)


def _scoped(model: type[Row], clinic_ids: Sequence[int]) -> Select[Row]:
    stmt = select(model).join(Patient, Patient.id == model.patient_id)
    return in_clinics(stmt, Patient.clinic_id, clinic_ids)


def intakes(db: Session, clinic_ids: Sequence[int], patient_id: int) -> list[PatientIntake]:
    """Every intake version, newest first."""
    stmt = _scoped(PatientIntake, clinic_ids).where(PatientIntake.patient_id == patient_id)
    return list(db.scalars(stmt.order_by(PatientIntake.id.desc())))


def latest_intake(db: Session, clinic_ids: Sequence[int], patient_id: int) -> PatientIntake | None:
    stmt = _scoped(PatientIntake, clinic_ids).where(PatientIntake.patient_id == patient_id)
    return db.scalar(stmt.order_by(PatientIntake.id.desc()).limit(1))


def active_medications(db: Session, clinic_ids: Sequence[int], patient_id: int) -> list[str]:
    """The chart's active medication list as written (name and dose), oldest first."""
    stmt = in_clinics(
        select(Medication.name, Medication.dose).join(Patient, Patient.id == Medication.patient_id),
        Patient.clinic_id,
        clinic_ids,
    ).where(Medication.patient_id == patient_id, Medication.active.is_(True))
    rows = db.execute(stmt.order_by(Medication.id)).all()
    return [f"{name} {dose}".strip() for name, dose in rows]


def screenings(
    db: Session, clinic_ids: Sequence[int], patient_id: int
) -> list[tuple[Screening, ScreeningSignature | None]]:
    """The patient's screenings with their signatures, newest first."""
    stmt = (
        select(Screening, ScreeningSignature)
        .join(Patient, Patient.id == Screening.patient_id)
        .outerjoin(ScreeningSignature, ScreeningSignature.screening_id == Screening.id)
        .where(Screening.patient_id == patient_id)
    )
    stmt = in_clinics(stmt, Patient.clinic_id, clinic_ids)
    rows = db.execute(stmt.order_by(Screening.id.desc()))
    return [(screening, signature) for screening, signature in rows]


def screening(
    db: Session, clinic_ids: Sequence[int], patient_id: int, screening_id: int
) -> Screening | None:
    stmt = _scoped(Screening, clinic_ids).where(
        Screening.patient_id == patient_id, Screening.id == screening_id
    )
    return db.scalar(stmt)


def signature(
    db: Session, clinic_ids: Sequence[int], screening_id: int
) -> ScreeningSignature | None:
    stmt = _scoped(ScreeningSignature, clinic_ids).where(
        ScreeningSignature.screening_id == screening_id
    )
    return db.scalar(stmt)


def unsigned(db: Session, clinic_ids: Sequence[int]) -> list[tuple[Screening, Patient]]:
    """Screenings awaiting a prescriber, oldest first: the signing queue.

    Only each patient's newest screening per rule set counts; an older unsigned
    one was superseded by a re-screen and needs no signature.
    """
    newest = (
        select(func.max(Screening.id).label("id"))
        .group_by(Screening.patient_id, Screening.rule_set_id)
        .subquery()
    )
    stmt = (
        select(Screening, Patient)
        .join(newest, newest.c.id == Screening.id)
        .join(Patient, Patient.id == Screening.patient_id)
        .outerjoin(ScreeningSignature, ScreeningSignature.screening_id == Screening.id)
        .where(ScreeningSignature.id.is_(None))
    )
    stmt = in_clinics(stmt, Patient.clinic_id, clinic_ids)
    return [(s, p) for s, p in db.execute(stmt.order_by(Screening.run_at, Screening.id))]
