"""The public pre-screen and the front desk's inquiry queue. Never commits.

A request stores exactly what the form asked; the public is never told whether they
are eligible (a clinician decides at the consultation).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Origin, Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.intake import errors
from ketaclinic.intake.models import Inquiry
from ketaclinic.intake.schemas import ConvertIn, InquiryIn
from ketaclinic.kit.scoping import in_clinics
from ketaclinic.kit.time import utcnow
from ketaclinic.patients import service as patients
from ketaclinic.patients.duplicates import DEFAULT_MIN_SCORE
from ketaclinic.patients.models import Patient
from ketaclinic.patients.schemas import PatientCreate


def submit(db: Session, clinic: Clinic, data: InquiryIn, origin: Origin) -> Inquiry:
    if problems := data.problems():
        raise errors.InquiryAnswersInvalid(fields=problems)
    inquiry = Inquiry(
        clinic_id=clinic.id,
        given_name=data.given_name,
        family_name=data.family_name,
        phone=data.phone,
        email=data.email,
        preferred_times=data.preferred_times.strip(),
        answers=json.dumps(data.answers, sort_keys=True),
        consent_to_contact=True,
    )
    db.add(inquiry)
    db.flush()
    # No address or browser kept on the trail either: the form did not ask for them.
    audit.record(
        db,
        None,
        "inquiry.create",
        clinic_id=clinic.id,
        resource_type="inquiry",
        resource_id=inquiry.id,
        origin=Origin(channel=origin.channel, request_id=origin.request_id),
        actor="public",
    )
    return inquiry


def queue(
    db: Session,
    principal: Principal,
    *,
    status: str | None = "new",
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[Inquiry], dict[str, int]]:
    """Requests in the caller's clinics, oldest first (first come, first called),
    and the count per status."""
    clinics = principal.require_any(Permission.PATIENT_READ)
    stmt = in_clinics(select(Inquiry), Inquiry.clinic_id, clinics)
    if status:
        stmt = stmt.where(Inquiry.status == status)
    rows = list(
        db.scalars(stmt.order_by(Inquiry.created_at, Inquiry.id).offset(offset).limit(limit))
    )
    counted = in_clinics(
        select(Inquiry.status, func.count()).group_by(Inquiry.status), Inquiry.clinic_id, clinics
    )
    counts = {s: n for s, n in db.execute(counted)}
    for clinic_id in sorted({r.clinic_id for r in rows}):
        audit.record(
            db,
            principal,
            "inquiry.list",
            clinic_id=clinic_id,
            resource_type="inquiry",
            detail={"ids": [r.id for r in rows if r.clinic_id == clinic_id]},
        )
    return rows, counts


def get(db: Session, principal: Principal, inquiry_id: int, *, write: bool = False) -> Inquiry:
    stmt = in_clinics(select(Inquiry), Inquiry.clinic_id, list(principal.roles))
    inquiry = db.scalar(stmt.where(Inquiry.id == inquiry_id))
    if inquiry is None:
        raise errors.InquiryNotFound(f"No inquiry {inquiry_id}.")
    permission = Permission.PATIENT_WRITE if write else Permission.PATIENT_READ
    principal.require(permission, inquiry.clinic_id)
    return inquiry


def set_status(db: Session, principal: Principal, inquiry_id: int, status: str) -> Inquiry:
    inquiry = get(db, principal, inquiry_id, write=True)
    if inquiry.status == "converted":
        raise errors.InquiryAlreadyConverted()
    inquiry.status = status
    inquiry.handled_by_id = principal.user_id
    inquiry.handled_at = utcnow()
    db.flush()
    _audit(db, principal, "inquiry.update", inquiry, {"status": status})
    return inquiry


def convert(
    db: Session,
    principal: Principal,
    inquiry_id: int,
    data: ConvertIn,
    *,
    duplicate_min_score: int = DEFAULT_MIN_SCORE,
) -> Patient:
    """Register the inquirer as a patient of the clinic they asked. One resembling a
    chart on file is refused with 409 ``likely_duplicate`` (the registration service's
    rule) unless ``confirm_duplicate_reason`` says why it is someone else."""
    inquiry = get(db, principal, inquiry_id, write=True)
    if inquiry.patient_id is not None:
        raise errors.InquiryAlreadyConverted()
    patient = patients.create_patient(
        db,
        principal,
        PatientCreate(
            clinic_id=inquiry.clinic_id,
            given_name=inquiry.given_name,
            family_name=inquiry.family_name,
            phone=inquiry.phone,
            email=inquiry.email,
            birth_date=data.birth_date,
            sex_at_birth=data.sex_at_birth,
            confirm_duplicate_reason=data.confirm_duplicate_reason,
        ),
        duplicate_min_score=duplicate_min_score,
    )
    inquiry.patient_id = patient.id
    inquiry.status = "converted"
    inquiry.handled_by_id = principal.user_id
    inquiry.handled_at = utcnow()
    db.flush()
    _audit(db, principal, "inquiry.convert", inquiry, {"patient_id": patient.id})
    return patient


def answers_of(inquiry: Inquiry) -> dict[str, str]:
    loaded: dict[str, str] = json.loads(inquiry.answers or "{}")
    return loaded


def as_dict(inquiry: Inquiry) -> dict[str, Any]:
    data = {c.key: getattr(inquiry, c.key) for c in Inquiry.__table__.columns}
    data["answers"] = answers_of(inquiry)
    return data


def _audit(
    db: Session, principal: Principal, action: str, inquiry: Inquiry, detail: dict[str, Any]
) -> None:
    audit.record(
        db,
        principal,
        action,
        clinic_id=inquiry.clinic_id,
        patient_id=inquiry.patient_id,
        resource_type="inquiry",
        resource_id=inquiry.id,
        detail=detail,
    )
