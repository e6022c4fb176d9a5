"""Queries for the course and booster suggestions, each scoped to the caller's clinics
through the patient (``in_clinics``)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ketaclinic.kit.scoping import in_clinics
from ketaclinic.measures.models import QuestionnaireResponse
from ketaclinic.outcomes.models import BoosterDecision, BoosterSuggestion
from ketaclinic.patients.models import Patient
from ketaclinic.plans.models import TreatmentPlan
from ketaclinic.treatments.models import TreatmentSession


def treatments(
    db: Session, clinic_ids: Sequence[int], patient_ids: Collection[int]
) -> list[tuple[int, datetime, str | None, int | None]]:
    """(patient, given at, the plan's protocol or None, plan) per treatment, in order."""
    stmt = (
        select(
            TreatmentSession.patient_id,
            TreatmentSession.given_at,
            TreatmentPlan.protocol_id,
            TreatmentSession.plan_id,
        )
        .join(Patient, Patient.id == TreatmentSession.patient_id)
        .outerjoin(TreatmentPlan, TreatmentPlan.id == TreatmentSession.plan_id)
        .where(TreatmentSession.patient_id.in_(list(patient_ids)))
    )
    stmt = in_clinics(stmt, Patient.clinic_id, clinic_ids)
    rows = db.execute(stmt.order_by(TreatmentSession.given_at, TreatmentSession.id))
    return [(p, at, protocol, plan) for p, at, protocol, plan in rows]


def scores(
    db: Session,
    clinic_ids: Sequence[int],
    patient_ids: Collection[int],
    instruments: Collection[str],
) -> list[tuple[int, str, datetime, int]]:
    """(patient, instrument, completed at, total) per questionnaire, in order."""
    stmt = (
        select(
            QuestionnaireResponse.patient_id,
            QuestionnaireResponse.instrument_id,
            QuestionnaireResponse.completed_at,
            QuestionnaireResponse.total,
        )
        .join(Patient, Patient.id == QuestionnaireResponse.patient_id)
        .where(
            QuestionnaireResponse.patient_id.in_(list(patient_ids)),
            QuestionnaireResponse.instrument_id.in_(list(instruments)),
        )
    )
    stmt = in_clinics(stmt, Patient.clinic_id, clinic_ids)
    order = (QuestionnaireResponse.completed_at, QuestionnaireResponse.id)
    return [(p, i, at, total) for p, i, at, total in db.execute(stmt.order_by(*order))]


def recently_measured(db: Session, clinic_ids: Sequence[int], since: datetime) -> list[Patient]:
    """Patients with a questionnaire completed since ``since`` who have had treatment."""
    measured = select(QuestionnaireResponse.patient_id).where(
        QuestionnaireResponse.completed_at >= since
    )
    treated = select(TreatmentSession.patient_id)
    stmt = select(Patient).where(Patient.id.in_(measured), Patient.id.in_(treated))
    stmt = in_clinics(stmt, Patient.clinic_id, clinic_ids)
    return list(db.scalars(stmt.order_by(Patient.id)))


def add_suggestion(db: Session, values: dict[str, object]) -> int | None:
    """Insert unless the episode is stored already (any process, at once): the new
    row's id, or None when it was there."""
    dialect = db.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(BoosterSuggestion)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["patient_id", "rule_id", "evidence_key"])
        .returning(BoosterSuggestion.id)
    )
    return db.scalar(stmt)


def suggestions(
    db: Session,
    clinic_ids: Sequence[int],
    *,
    patient_id: int | None = None,
    undecided_only: bool = False,
) -> list[tuple[BoosterSuggestion, BoosterDecision | None, Patient]]:
    """Suggestions with their decision and patient, newest first."""
    stmt = (
        select(BoosterSuggestion, BoosterDecision, Patient)
        .join(Patient, Patient.id == BoosterSuggestion.patient_id)
        .outerjoin(BoosterDecision, BoosterDecision.suggestion_id == BoosterSuggestion.id)
    )
    if patient_id is not None:
        stmt = stmt.where(BoosterSuggestion.patient_id == patient_id)
    if undecided_only:
        stmt = stmt.where(BoosterDecision.id.is_(None))
    stmt = in_clinics(stmt, Patient.clinic_id, clinic_ids)
    order = (BoosterSuggestion.created_at.desc(), BoosterSuggestion.id.desc())
    return [(s, d, p) for s, d, p in db.execute(stmt.order_by(*order))]


def suggestion(
    db: Session, clinic_ids: Sequence[int], suggestion_id: int, *, for_update: bool = False
) -> tuple[BoosterSuggestion, Patient] | None:
    stmt = (
        select(BoosterSuggestion, Patient)
        .join(Patient, Patient.id == BoosterSuggestion.patient_id)
        .where(BoosterSuggestion.id == suggestion_id)
    )
    stmt = in_clinics(stmt, Patient.clinic_id, clinic_ids)
    if for_update:
        stmt = stmt.with_for_update(of=BoosterSuggestion)
    row = db.execute(stmt).first()
    return (row[0], row[1]) if row else None


def decision(db: Session, clinic_ids: Sequence[int], suggestion_id: int) -> BoosterDecision | None:
    stmt = (
        select(BoosterDecision)
        .join(Patient, Patient.id == BoosterDecision.patient_id)
        .where(BoosterDecision.suggestion_id == suggestion_id)
    )
    return db.scalar(in_clinics(stmt, Patient.clinic_id, clinic_ids))


def latest_plan_protocol(db: Session, clinic_ids: Sequence[int], patient_id: int) -> str | None:
    stmt = (
        select(TreatmentPlan.protocol_id)
        .join(Patient, Patient.id == TreatmentPlan.patient_id)
        .where(TreatmentPlan.patient_id == patient_id)
    )
    stmt = in_clinics(stmt, Patient.clinic_id, clinic_ids)
    return db.scalar(stmt.order_by(TreatmentPlan.id.desc()).limit(1))
