"""Queries over responses, alerts, links and treatments: each scoped to the
caller's clinics through the patient (``in_clinics``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ketaclinic.kit.scoping import in_clinics
from ketaclinic.measures.models import QuestionnaireLink, QuestionnaireResponse, SafetyAlert
from ketaclinic.patients.models import Patient
from ketaclinic.treatments.models import TreatmentSession

Row = TypeVar("Row", QuestionnaireResponse, SafetyAlert, QuestionnaireLink, TreatmentSession)


def _scoped(model: type[Row], clinic_ids: Sequence[int]) -> Select[Row]:
    stmt = select(model).join(Patient, Patient.id == model.patient_id)
    return in_clinics(stmt, Patient.clinic_id, clinic_ids)


def responses(
    db: Session, clinic_ids: Sequence[int], patient_id: int, instrument_id: str | None = None
) -> list[QuestionnaireResponse]:
    stmt = _scoped(QuestionnaireResponse, clinic_ids).where(
        QuestionnaireResponse.patient_id == patient_id
    )
    if instrument_id:
        stmt = stmt.where(QuestionnaireResponse.instrument_id == instrument_id)
    order = (QuestionnaireResponse.completed_at, QuestionnaireResponse.id)
    return list(db.scalars(stmt.order_by(*order)))


def treatments(db: Session, clinic_ids: Sequence[int], patient_id: int) -> list[TreatmentSession]:
    stmt = _scoped(TreatmentSession, clinic_ids).where(TreatmentSession.patient_id == patient_id)
    return list(db.scalars(stmt.order_by(TreatmentSession.given_at, TreatmentSession.id)))


def treatment(
    db: Session, clinic_ids: Sequence[int], patient_id: int, session_id: int
) -> TreatmentSession | None:
    stmt = _scoped(TreatmentSession, clinic_ids).where(
        TreatmentSession.patient_id == patient_id, TreatmentSession.id == session_id
    )
    return db.scalar(stmt)


def alerts(
    db: Session, clinic_ids: Sequence[int], *, patient_id: int | None = None, open_only: bool
) -> list[tuple[SafetyAlert, Patient]]:
    stmt = select(SafetyAlert, Patient).join(Patient, Patient.id == SafetyAlert.patient_id)
    stmt = in_clinics(stmt, Patient.clinic_id, clinic_ids)
    if patient_id is not None:
        stmt = stmt.where(SafetyAlert.patient_id == patient_id)
    if open_only:
        stmt = stmt.where(SafetyAlert.acknowledged_at.is_(None))
    rows = db.execute(stmt.order_by(SafetyAlert.raised_at.desc(), SafetyAlert.id.desc()))
    return [(alert, patient) for alert, patient in rows]


def alert(db: Session, clinic_ids: Sequence[int], alert_id: int) -> SafetyAlert | None:
    return db.scalar(_scoped(SafetyAlert, clinic_ids).where(SafetyAlert.id == alert_id))


def link_by_token_hash(db: Session, token_hash: str) -> tuple[QuestionnaireLink, Patient] | None:
    """Unscoped by design: the token is the patient's credential, so there is no
    staff user whose clinics could scope it (see tests/kit/test_scoping.py)."""
    row = db.execute(
        select(QuestionnaireLink, Patient)
        .join(Patient, Patient.id == QuestionnaireLink.patient_id)
        .where(QuestionnaireLink.token_hash == token_hash)
        # Locked: two submissions of one link must not both be accepted.
        .with_for_update(of=QuestionnaireLink)
    ).first()
    return (row[0], row[1]) if row else None
