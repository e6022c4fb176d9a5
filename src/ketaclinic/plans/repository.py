"""Queries over plans, their events and dose checks, each scoped to the caller's
clinics through the patient (``in_clinics``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ketaclinic.kit.scoping import in_clinics
from ketaclinic.patients.models import BodyMeasurement, Patient
from ketaclinic.plans.models import DoseCheck, DoseVerification, PlanEvent, TreatmentPlan

Row = TypeVar("Row", TreatmentPlan, PlanEvent, DoseCheck, DoseVerification, BodyMeasurement)


def _scoped(model: type[Row], clinic_ids: Sequence[int]) -> Select[Row]:
    stmt = select(model).join(Patient, Patient.id == model.patient_id)
    return in_clinics(stmt, Patient.clinic_id, clinic_ids)


def plans(db: Session, clinic_ids: Sequence[int], patient_id: int) -> list[TreatmentPlan]:
    """Every version of every plan of the patient, newest first."""
    stmt = _scoped(TreatmentPlan, clinic_ids).where(TreatmentPlan.patient_id == patient_id)
    return list(db.scalars(stmt.order_by(TreatmentPlan.id.desc())))


def plan(
    db: Session, clinic_ids: Sequence[int], patient_id: int, plan_id: int
) -> TreatmentPlan | None:
    stmt = _scoped(TreatmentPlan, clinic_ids).where(
        TreatmentPlan.patient_id == patient_id, TreatmentPlan.id == plan_id
    )
    return db.scalar(stmt)


def lineage(db: Session, clinic_ids: Sequence[int], lineage_id: str) -> list[TreatmentPlan]:
    """Every version of one plan, oldest first."""
    stmt = _scoped(TreatmentPlan, clinic_ids).where(TreatmentPlan.lineage_id == lineage_id)
    return list(db.scalars(stmt.order_by(TreatmentPlan.version)))


def events(db: Session, clinic_ids: Sequence[int], plan_ids: Sequence[int]) -> list[PlanEvent]:
    """Status events of the given plan versions, oldest first."""
    if not plan_ids:
        return []
    stmt = _scoped(PlanEvent, clinic_ids).where(PlanEvent.plan_id.in_(list(plan_ids)))
    return list(db.scalars(stmt.order_by(PlanEvent.id)))


def latest_weighing(
    db: Session, clinic_ids: Sequence[int], patient_id: int
) -> tuple[BodyMeasurement | None, BodyMeasurement | None]:
    """The newest measurement with a weight, and the newest with a height."""
    stmt = _scoped(BodyMeasurement, clinic_ids).where(BodyMeasurement.patient_id == patient_id)
    order = (BodyMeasurement.measured_at.desc(), BodyMeasurement.id.desc())
    weight = db.scalar(stmt.where(BodyMeasurement.weight_kg.is_not(None)).order_by(*order).limit(1))
    height = db.scalar(stmt.where(BodyMeasurement.height_cm.is_not(None)).order_by(*order).limit(1))
    return weight, height


def dose_checks(
    db: Session, clinic_ids: Sequence[int], plan_id: int
) -> list[tuple[DoseCheck, list[DoseVerification]]]:
    """The plan's dose checks, newest first, each with its verifications."""
    checks = list(
        db.scalars(
            _scoped(DoseCheck, clinic_ids)
            .where(DoseCheck.plan_id == plan_id)
            .order_by(DoseCheck.id.desc())
        )
    )
    if not checks:
        return []
    found = db.scalars(
        _scoped(DoseVerification, clinic_ids)
        .where(DoseVerification.check_id.in_([c.id for c in checks]))
        .order_by(DoseVerification.id)
    )
    by_check: dict[int, list[DoseVerification]] = {c.id: [] for c in checks}
    for verification in found:
        by_check[verification.check_id].append(verification)
    return [(c, by_check[c.id]) for c in checks]


def dose_check(
    db: Session, clinic_ids: Sequence[int], plan_id: int, check_id: int
) -> DoseCheck | None:
    stmt = _scoped(DoseCheck, clinic_ids).where(
        DoseCheck.plan_id == plan_id, DoseCheck.id == check_id
    )
    # Locked: two verifications of one check must not both release it.
    return db.scalar(stmt.with_for_update(of=DoseCheck))
