"""Billing's queries, every one limited to the caller's clinics (``in_clinics``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.auth.models import User
from ketaclinic.billing.models import (
    BillingIdentifier,
    ChargeLine,
    Coverage,
    Evaluation,
    FeeScheduleEntry,
)
from ketaclinic.chairside.models import ChairsideSession, NoteSignature, SessionEvent
from ketaclinic.kit.scoping import in_clinics
from ketaclinic.ledger.models import CsContainer, CsEntry, CsLot, CsProduct
from ketaclinic.patients.models import Diagnosis, Patient
from ketaclinic.plans.models import DoseCheck

COMPLETED = ("discharged", "note_signed", "stopped_early")


def session(
    db: Session, clinic_ids: Sequence[int], session_id: int
) -> tuple[ChairsideSession, Patient] | None:
    stmt = (
        select(ChairsideSession, Patient)
        .join(Patient, Patient.id == ChairsideSession.patient_id)
        .where(ChairsideSession.id == session_id)
    )
    row = db.execute(in_clinics(stmt, ChairsideSession.clinic_id, clinic_ids)).first()
    return (row[0], row[1]) if row else None


def events(db: Session, clinic_ids: Sequence[int], session_id: int) -> list[SessionEvent]:
    stmt = (
        select(SessionEvent)
        .join(ChairsideSession, ChairsideSession.id == SessionEvent.session_id)
        .where(SessionEvent.session_id == session_id)
        .order_by(SessionEvent.seq)
    )
    return list(db.scalars(in_clinics(stmt, ChairsideSession.clinic_id, clinic_ids)))


def ndc_of_draw(db: Session, clinic_ids: Sequence[int], entry_id: int) -> str | None:
    stmt = (
        select(CsProduct.ndc)
        .select_from(CsEntry)
        .join(CsContainer, CsContainer.id == CsEntry.container_id)
        .join(CsLot, CsLot.id == CsContainer.lot_id)
        .join(CsProduct, CsProduct.id == CsLot.product_id)
        .where(CsEntry.id == entry_id)
    )
    found: str | None = db.scalar(in_clinics(stmt, CsEntry.clinic_id, clinic_ids))
    return found


def diagnoses(db: Session, clinic_ids: Sequence[int], patient_id: int) -> list[str]:
    stmt = (
        select(Diagnosis.code)
        .join(Patient, Patient.id == Diagnosis.patient_id)
        .where(Diagnosis.patient_id == patient_id, Diagnosis.active.is_(True))
        .order_by(Diagnosis.id)
    )
    return list(db.scalars(in_clinics(stmt, Patient.clinic_id, clinic_ids)))


def prescriber_signer(db: Session, clinic_ids: Sequence[int], session_id: int) -> int | None:
    stmt = (
        select(NoteSignature.by_id)
        .join(ChairsideSession, ChairsideSession.id == NoteSignature.session_id)
        .where(NoteSignature.session_id == session_id, NoteSignature.role == "prescriber")
        .order_by(NoteSignature.id)
    )
    found: int | None = db.scalar(in_clinics(stmt, ChairsideSession.clinic_id, clinic_ids))
    return found


def evaluation(db: Session, clinic_ids: Sequence[int], session_id: int) -> Evaluation | None:
    stmt = (
        select(Evaluation)
        .where(Evaluation.session_id == session_id)
        .order_by(Evaluation.id.desc())
        .limit(1)
    )
    return db.scalar(in_clinics(stmt, Evaluation.clinic_id, clinic_ids))


def lines_of_session(db: Session, clinic_ids: Sequence[int], session_id: int) -> list[ChargeLine]:
    stmt = select(ChargeLine).where(ChargeLine.session_id == session_id).order_by(ChargeLine.id)
    return list(db.scalars(in_clinics(stmt, ChargeLine.clinic_id, clinic_ids)))


def lines_of_patient(
    db: Session, clinic_ids: Sequence[int], patient_id: int, first: date, last: date
) -> list[ChargeLine]:
    stmt = (
        select(ChargeLine)
        .where(
            ChargeLine.patient_id == patient_id,
            ChargeLine.date_of_service >= first,
            ChargeLine.date_of_service <= last,
        )
        .order_by(ChargeLine.date_of_service, ChargeLine.session_id, ChargeLine.id)
    )
    return list(db.scalars(in_clinics(stmt, ChargeLine.clinic_id, clinic_ids)))


def line(
    db: Session, clinic_ids: Sequence[int], line_id: int, *, lock: bool = False
) -> ChargeLine | None:
    stmt = select(ChargeLine).where(ChargeLine.id == line_id)
    if lock:
        stmt = stmt.with_for_update()
    return db.scalar(in_clinics(stmt, ChargeLine.clinic_id, clinic_ids))


def fees(db: Session, clinic_ids: Sequence[int], clinic_id: int) -> list[FeeScheduleEntry]:
    stmt = (
        select(FeeScheduleEntry)
        .where(FeeScheduleEntry.clinic_id == clinic_id)
        .order_by(FeeScheduleEntry.code, FeeScheduleEntry.effective_from, FeeScheduleEntry.id)
    )
    return list(db.scalars(in_clinics(stmt, FeeScheduleEntry.clinic_id, clinic_ids)))


def fee_on(
    db: Session, clinic_ids: Sequence[int], clinic_id: int, code: str, day: date
) -> FeeScheduleEntry | None:
    """The price in effect on ``day``: the latest start on or before it (the newest row
    when two start the same day)."""
    stmt = (
        select(FeeScheduleEntry)
        .where(
            FeeScheduleEntry.clinic_id == clinic_id,
            FeeScheduleEntry.code == code,
            FeeScheduleEntry.effective_from <= day,
        )
        .order_by(FeeScheduleEntry.effective_from.desc(), FeeScheduleEntry.id.desc())
        .limit(1)
    )
    return db.scalar(in_clinics(stmt, FeeScheduleEntry.clinic_id, clinic_ids))


def identifier(
    db: Session, clinic_ids: Sequence[int], clinic_id: int, user_id: int | None
) -> BillingIdentifier | None:
    who = (
        BillingIdentifier.user_id.is_(None)
        if user_id is None
        else BillingIdentifier.user_id == user_id
    )
    stmt = (
        select(BillingIdentifier)
        .where(BillingIdentifier.clinic_id == clinic_id, who)
        .order_by(BillingIdentifier.id.desc())
        .limit(1)
    )
    return db.scalar(in_clinics(stmt, BillingIdentifier.clinic_id, clinic_ids))


def coverage(db: Session, clinic_ids: Sequence[int], patient_id: int) -> Coverage | None:
    stmt = (
        select(Coverage)
        .where(Coverage.patient_id == patient_id)
        .order_by(Coverage.id.desc())
        .limit(1)
    )
    return db.scalar(in_clinics(stmt, Coverage.clinic_id, clinic_ids))


def patient(db: Session, clinic_ids: Sequence[int], patient_id: int) -> Patient | None:
    stmt = select(Patient).where(Patient.id == patient_id)
    return db.scalar(in_clinics(stmt, Patient.clinic_id, clinic_ids))


def patient_by_mrn(db: Session, clinic_ids: Sequence[int], mrn: str) -> Patient | None:
    stmt = select(Patient).where(Patient.mrn == mrn).order_by(Patient.id).limit(1)
    return db.scalar(in_clinics(stmt, Patient.clinic_id, clinic_ids))


def completed_without_charges(
    db: Session, clinic_ids: Sequence[int], clinic_id: int, since: date | None = None
) -> list[int]:
    """Completed sessions of the clinic that have no charge line yet (administered on
    or after ``since``, a UTC day, when given)."""
    charged = select(ChargeLine.session_id)
    stmt = (
        select(ChairsideSession.id)
        .where(
            ChairsideSession.clinic_id == clinic_id,
            ChairsideSession.state.in_(COMPLETED),
            ChairsideSession.id.not_in(charged),
        )
        .order_by(ChairsideSession.id)
    )
    if since is not None:
        start = datetime.combine(since, time(), tzinfo=UTC)
        stmt = stmt.where(ChairsideSession.administration_started_at >= start)
    return list(db.scalars(in_clinics(stmt, ChairsideSession.clinic_id, clinic_ids)))


def users_named(db: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.execute(select(User.id, User.name).where(User.id.in_(sorted(ids))))
    return {row.id: row.name for row in rows}


def released_mg(db: Session, clinic_ids: Sequence[int], session_id: int) -> Decimal | None:
    """The dose released for the session (given in full unless the chart says less)."""
    stmt = (
        select(DoseCheck.dose_mg)
        .join(ChairsideSession, ChairsideSession.dose_check_id == DoseCheck.id)
        .where(ChairsideSession.id == session_id)
    )
    found: Decimal | None = db.scalar(in_clinics(stmt, ChairsideSession.clinic_id, clinic_ids))
    return found


def lines_since(
    db: Session, clinic_ids: Sequence[int], clinic_id: int, since: date
) -> list[tuple[ChargeLine, Patient]]:
    stmt = (
        select(ChargeLine, Patient)
        .join(Patient, Patient.id == ChargeLine.patient_id)
        .where(ChargeLine.clinic_id == clinic_id, ChargeLine.date_of_service >= since)
        .order_by(ChargeLine.date_of_service.desc(), ChargeLine.session_id.desc(), ChargeLine.id)
    )
    rows = db.execute(in_clinics(stmt, ChargeLine.clinic_id, clinic_ids)).all()
    return [(row[0], row[1]) for row in rows]
