"""Queries for the course and booster suggestions, each scoped to the caller's clinics
through the patient (``in_clinics``)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ketaclinic.kit.scoping import in_clinics
from ketaclinic.measures.models import QuestionnaireResponse
from ketaclinic.outcomes.models import BoosterDecision, BoosterEvaluation, BoosterSuggestion
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


def to_evaluate(
    db: Session, clinic_ids: Sequence[int], instruments: Collection[str], limit: int
) -> list[tuple[Patient, int, int]]:
    """Treated and measured patients whose newest response or treatment is newer than
    their last evaluation (or never evaluated): (patient, newest response, newest
    treatment), by patient."""
    responses = (
        select(
            QuestionnaireResponse.patient_id.label("patient_id"),
            func.max(QuestionnaireResponse.id).label("newest"),
        )
        .where(QuestionnaireResponse.instrument_id.in_(list(instruments)))
        .group_by(QuestionnaireResponse.patient_id)
        .subquery()
    )
    given = (
        select(
            TreatmentSession.patient_id.label("patient_id"),
            func.max(TreatmentSession.id).label("newest"),
        )
        .group_by(TreatmentSession.patient_id)
        .subquery()
    )
    stmt = (
        select(Patient, responses.c.newest, given.c.newest)
        .join(responses, responses.c.patient_id == Patient.id)
        .join(given, given.c.patient_id == Patient.id)
        .outerjoin(BoosterEvaluation, BoosterEvaluation.patient_id == Patient.id)
        .where(
            or_(
                BoosterEvaluation.patient_id.is_(None),
                BoosterEvaluation.response_id < responses.c.newest,
                BoosterEvaluation.treatment_id < given.c.newest,
            )
        )
    )
    stmt = in_clinics(stmt, Patient.clinic_id, clinic_ids)
    rows = db.execute(stmt.order_by(Patient.id).limit(limit))
    return [(p, int(r), int(t)) for p, r, t in rows]


def newest_ids(
    db: Session,
    clinic_ids: Sequence[int],
    patient_ids: Collection[int],
    instruments: Collection[str],
) -> dict[int, tuple[int, int]]:
    """Each patient's newest response (on ``instruments``) and treatment id (0: none)."""
    found: dict[int, tuple[int, int]] = {p: (0, 0) for p in patient_ids}
    responses = (
        select(QuestionnaireResponse.patient_id, func.max(QuestionnaireResponse.id))
        .join(Patient, Patient.id == QuestionnaireResponse.patient_id)
        .where(
            QuestionnaireResponse.patient_id.in_(list(patient_ids)),
            QuestionnaireResponse.instrument_id.in_(list(instruments)),
        )
        .group_by(QuestionnaireResponse.patient_id)
    )
    for patient_id, newest in db.execute(in_clinics(responses, Patient.clinic_id, clinic_ids)):
        found[patient_id] = (int(newest), found[patient_id][1])
    given = (
        select(TreatmentSession.patient_id, func.max(TreatmentSession.id))
        .join(Patient, Patient.id == TreatmentSession.patient_id)
        .where(TreatmentSession.patient_id.in_(list(patient_ids)))
        .group_by(TreatmentSession.patient_id)
    )
    for patient_id, newest in db.execute(in_clinics(given, Patient.clinic_id, clinic_ids)):
        found[patient_id] = (found[patient_id][0], int(newest))
    return found


def treated(db: Session, clinic_ids: Sequence[int]) -> list[Patient]:
    """Every patient with a treatment and a score in these clinics, by id."""
    measured = select(QuestionnaireResponse.patient_id)
    given = select(TreatmentSession.patient_id)
    stmt = select(Patient).where(Patient.id.in_(measured), Patient.id.in_(given))
    return list(db.scalars(in_clinics(stmt, Patient.clinic_id, clinic_ids).order_by(Patient.id)))


def mark_evaluated(db: Session, values: dict[str, object]) -> None:
    """Remember how far a patient was evaluated (any process, at once: the last wins;
    at worst the patient is evaluated once more)."""
    dialect = db.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(BoosterEvaluation).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["patient_id"],
        set_={
            "response_id": stmt.excluded.response_id,
            "treatment_id": stmt.excluded.treatment_id,
            "evaluated_at": stmt.excluded.evaluated_at,
        },
    )
    db.execute(stmt)
