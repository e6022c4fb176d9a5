"""All queries over patient tables, each limited to the caller's clinics with
``in_clinics`` (a test reads this module and fails on a query that is not)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import ColumnElement, Select, func, or_, select
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


def _search_conditions(terms: Sequence[str], birth_date: date | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    for term in terms:
        pattern = f"%{_like_escape(term.lower())}%"
        conditions.append(
            or_(
                Patient.search_name.like(pattern, escape="\\"),
                func.lower(Patient.mrn).like(pattern, escape="\\"),
            )
        )
    if birth_date is not None:
        conditions.append(Patient.birth_date == birth_date)
    return conditions


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
    # The page and the number of matches in one scan: count(*) OVER () is taken over
    # every match before the LIMIT (a separate count read all the rows a second time).
    stmt = in_clinics(select(Patient, func.count().over()), Patient.clinic_id, clinic_ids)
    stmt = stmt.where(*_search_conditions(terms, birth_date))
    if status is not None:
        stmt = stmt.where(Patient.status == status)
    page = db.execute(
        stmt.order_by(Patient.family_name, Patient.given_name, Patient.id)
        .offset(offset)
        .limit(limit)
    ).all()
    if page:
        return [row[0] for row in page], page[0][1]
    if offset == 0:
        return [], 0
    # Past the last page: no row carries the count.
    return [], db.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def get(db: Session, clinic_ids: Sequence[int], patient_id: int) -> Patient | None:
    """A patient in one of these clinics; another clinic's patient is not found."""
    stmt = in_clinics(select(Patient), Patient.clinic_id, clinic_ids)
    return db.scalar(stmt.where(Patient.id == patient_id))


def mrn_exists(db: Session, clinic_id: int, mrn: str) -> bool:
    stmt = in_clinics(select(Patient.id), Patient.clinic_id, [clinic_id])
    return db.scalar(stmt.where(Patient.mrn == mrn)) is not None


def _of_patient(model: type[Child], clinic_ids: Sequence[int], patient_id: int) -> Select[Child]:
    stmt = select(model).join(Patient, Patient.id == model.patient_id)
    return in_clinics(stmt, Patient.clinic_id, clinic_ids).where(model.patient_id == patient_id)


def children(
    db: Session, clinic_ids: Sequence[int], model: type[Child], patient_id: int
) -> list[Child]:
    order = getattr(model, "measured_at", None) or model.recorded_at
    stmt = _of_patient(model, clinic_ids, patient_id)
    return list(db.scalars(stmt.order_by(order.desc(), model.id.desc())))


def child(
    db: Session, clinic_ids: Sequence[int], model: type[Child], patient_id: int, item_id: int
) -> Child | None:
    return db.scalar(_of_patient(model, clinic_ids, patient_id).where(model.id == item_id))


def latest_body(
    db: Session, clinic_ids: Sequence[int], patient_ids: Sequence[int]
) -> dict[int, tuple[Decimal | None, Decimal | None]]:
    """Latest weight and latest height per patient (they may come from different days)."""
    latest: dict[int, tuple[Decimal | None, Decimal | None]] = {
        pid: (None, None) for pid in patient_ids
    }
    if not patient_ids:
        return latest
    stmt = select(BodyMeasurement).join(Patient, Patient.id == BodyMeasurement.patient_id)
    stmt = in_clinics(stmt, Patient.clinic_id, clinic_ids)
    rows = db.scalars(
        stmt.where(BodyMeasurement.patient_id.in_(list(patient_ids))).order_by(
            BodyMeasurement.measured_at, BodyMeasurement.id
        )
    )
    for row in rows:
        weight, height = latest[row.patient_id]
        latest[row.patient_id] = (
            row.weight_kg if row.weight_kg is not None else weight,
            row.height_cm if row.height_cm is not None else height,
        )
    return latest


def latest_of(
    newest_first: Sequence[BodyMeasurement],
) -> tuple[Decimal | None, Decimal | None]:
    """Latest weight and latest height in one patient's measurements (as ``children``
    lists them, newest first), so a chart that lists them need not read them twice."""
    weight = next((m.weight_kg for m in newest_first if m.weight_kg is not None), None)
    height = next((m.height_cm for m in newest_first if m.height_cm is not None), None)
    return weight, height
