"""All queries over patient tables. Lists are scoped with ``in_clinics``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from ketaclinic.kit.scoping import in_clinics
from ketaclinic.patients.models import (
    Allergy,
    BodyMeasurement,
    Contact,
    Diagnosis,
    Medication,
    Patient,
)

Child = TypeVar("Child", BodyMeasurement, Contact, Diagnosis, Medication, Allergy)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _search_filter(
    stmt: Select[Patient], terms: Sequence[str], birth_date: date | None
) -> Select[Patient]:
    for term in terms:
        pattern = f"%{_like_escape(term.lower())}%"
        stmt = stmt.where(
            or_(
                Patient.search_name.like(pattern, escape="\\"),
                func.lower(Patient.mrn).like(pattern, escape="\\"),
            )
        )
    if birth_date is not None:
        stmt = stmt.where(Patient.birth_date == birth_date)
    return stmt


def search(
    db: Session,
    clinic_ids: Sequence[int],
    *,
    terms: Sequence[str] = (),
    birth_date: date | None = None,
    status: str | None = None,
    offset: int = 0,
    limit: int = 25,
) -> tuple[list[Patient], int]:
    stmt = in_clinics(select(Patient), Patient.clinic_id, clinic_ids)
    stmt = _search_filter(stmt, terms, birth_date)
    if status is not None:
        stmt = stmt.where(Patient.status == status)
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.scalars(
        stmt.order_by(Patient.family_name, Patient.given_name, Patient.id)
        .offset(offset)
        .limit(limit)
    )
    return list(rows), total


def get(db: Session, patient_id: int) -> Patient | None:
    """Unscoped by design: the service checks the clinic to tell 403 from 404."""
    return db.get(Patient, patient_id)


def mrn_exists(db: Session, mrn: str) -> bool:
    return db.scalar(select(Patient.id).where(Patient.mrn == mrn)) is not None


def children(db: Session, model: type[Child], patient_id: int) -> list[Child]:
    order = getattr(model, "measured_at", None) or model.recorded_at
    stmt = (
        select(model).where(model.patient_id == patient_id).order_by(order.desc(), model.id.desc())
    )
    return list(db.scalars(stmt))


def child(db: Session, model: type[Child], patient_id: int, item_id: int) -> Child | None:
    return db.scalar(select(model).where(model.id == item_id, model.patient_id == patient_id))


def latest_body(
    db: Session, patient_ids: Sequence[int]
) -> dict[int, tuple[Decimal | None, Decimal | None]]:
    """Latest weight and latest height per patient (they may come from different days)."""
    latest: dict[int, tuple[Decimal | None, Decimal | None]] = {
        pid: (None, None) for pid in patient_ids
    }
    if not patient_ids:
        return latest
    rows = db.scalars(
        select(BodyMeasurement)
        .where(BodyMeasurement.patient_id.in_(list(patient_ids)))
        .order_by(BodyMeasurement.measured_at, BodyMeasurement.id)
    )
    for row in rows:
        weight, height = latest[row.patient_id]
        latest[row.patient_id] = (
            row.weight_kg if row.weight_kg is not None else weight,
            row.height_cm if row.height_cm is not None else height,
        )
    return latest
