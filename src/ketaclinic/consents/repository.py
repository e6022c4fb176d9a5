"""Queries for consent documents: the patient, their plans' protocols, the documents
shared with them and their signatures. Every query is scoped with ``in_clinics``."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from ketaclinic.consents.models import ConsentRequest, ConsentSignature, SharedDocumentCopy
from ketaclinic.kit.scoping import in_clinics
from ketaclinic.patients.models import Patient
from ketaclinic.plans.models import PlanEvent, TreatmentPlan

# A plan in one of these states asks for nothing more.
ENDED = ("superseded", "stopped", "completed")


def patient(
    db: Session, clinic_ids: Sequence[int], patient_id: int, *, lock: bool = False
) -> Patient | None:
    stmt = in_clinics(select(Patient), Patient.clinic_id, clinic_ids).where(
        Patient.id == patient_id
    )
    if lock:
        stmt = stmt.with_for_update()
    return db.scalars(stmt).one_or_none()


def live_protocols(db: Session, clinic_ids: Sequence[int], patient_id: int) -> list[str]:
    """The protocol ids of the patient's plans that have not ended (or been replaced)."""
    plans = list(
        db.scalars(
            in_clinics(
                select(TreatmentPlan).join(Patient, Patient.id == TreatmentPlan.patient_id),
                Patient.clinic_id,
                clinic_ids,
            ).where(TreatmentPlan.patient_id == patient_id)
        )
    )
    if not plans:
        return []
    events = db.scalars(
        select(PlanEvent).where(PlanEvent.plan_id.in_([p.id for p in plans])).order_by(PlanEvent.id)
    )
    status: dict[int, str] = {}
    for event in events:
        status[event.plan_id] = event.status
    return sorted({p.protocol_id for p in plans if status.get(p.id, "draft") not in ENDED})


def shared(db: Session, clinic_ids: Sequence[int], patient_id: int) -> list[ConsentRequest]:
    stmt = in_clinics(select(ConsentRequest), ConsentRequest.clinic_id, clinic_ids).where(
        ConsentRequest.patient_id == patient_id
    )
    return list(db.scalars(stmt.order_by(ConsentRequest.id)))


def signatures(db: Session, clinic_ids: Sequence[int], patient_id: int) -> list[ConsentSignature]:
    """The patient's signatures, newest first (without their PDF bytes)."""
    stmt = (
        in_clinics(select(ConsentSignature), ConsentSignature.clinic_id, clinic_ids)
        .where(ConsentSignature.patient_id == patient_id)
        .options(defer(ConsentSignature.pdf))
        .order_by(ConsentSignature.signed_at.desc(), ConsentSignature.id.desc())
    )
    return list(db.scalars(stmt))


def signature(
    db: Session, clinic_ids: Sequence[int], patient_id: int, signature_id: int
) -> ConsentSignature | None:
    stmt = in_clinics(select(ConsentSignature), ConsentSignature.clinic_id, clinic_ids).where(
        ConsentSignature.patient_id == patient_id, ConsentSignature.id == signature_id
    )
    return db.scalars(stmt).one_or_none()


def shared_copies(
    db: Session, clinic_ids: Sequence[int], patient_id: int
) -> list[SharedDocumentCopy]:
    """The documents shared with the patient to read, newest first."""
    stmt = (
        in_clinics(select(SharedDocumentCopy), SharedDocumentCopy.clinic_id, clinic_ids)
        .where(SharedDocumentCopy.patient_id == patient_id)
        .order_by(SharedDocumentCopy.shared_at.desc(), SharedDocumentCopy.id.desc())
    )
    return list(db.scalars(stmt))


def shared_copy(
    db: Session, clinic_ids: Sequence[int], patient_id: int, share_id: int, *, lock: bool = False
) -> SharedDocumentCopy | None:
    stmt = in_clinics(select(SharedDocumentCopy), SharedDocumentCopy.clinic_id, clinic_ids).where(
        SharedDocumentCopy.patient_id == patient_id, SharedDocumentCopy.id == share_id
    )
    if lock:
        stmt = stmt.with_for_update()
    return db.scalars(stmt).one_or_none()
