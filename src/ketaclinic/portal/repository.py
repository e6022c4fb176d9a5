"""The portal's queries. Every query of a patient's record is limited to the signed-in
patient's clinic (``in_clinics``) and filtered by their patient id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.appointments.models import Appointment
from ketaclinic.kit.scoping import in_clinics
from ketaclinic.measures.models import QuestionnaireResponse
from ketaclinic.patients.models import Patient
from ketaclinic.plans.models import TreatmentPlan
from ketaclinic.portal.models import (
    EscortConfirmation,
    PatientAccount,
    PortalLink,
    PortalRequest,
)


def account_by_email(db: Session, email: str) -> PatientAccount | None:
    """Signing in: the address is all the caller gives (no clinic is known yet)."""
    return db.scalar(select(PatientAccount).where(PatientAccount.email == email))


def account_by_id(db: Session, account_id: int) -> PatientAccount | None:
    """Behind a session cookie or a one-time link: the token is the credential."""
    return db.get(PatientAccount, account_id)


def account_of_patient(
    db: Session, clinic_ids: Sequence[int], patient_id: int
) -> PatientAccount | None:
    stmt = in_clinics(select(PatientAccount), PatientAccount.clinic_id, clinic_ids)
    return db.scalar(stmt.where(PatientAccount.patient_id == patient_id))


def link_by_hash(db: Session, token_hash: str) -> PortalLink | None:
    return db.scalar(select(PortalLink).where(PortalLink.token_hash == token_hash))


def upcoming_visits(
    db: Session, clinic_id: int, patient_id: int, now: datetime
) -> list[tuple[Appointment, str | None]]:
    """The patient's booked visits not yet over, soonest first, with each one's
    protocol (None for a visit outside a plan)."""
    stmt = in_clinics(
        select(Appointment, TreatmentPlan.protocol_id).outerjoin(
            TreatmentPlan, TreatmentPlan.id == Appointment.plan_id
        ),
        Appointment.clinic_id,
        [clinic_id],
    ).where(
        Appointment.patient_id == patient_id,
        Appointment.status == "booked",
        Appointment.ends_at > now,
    )
    rows = db.execute(stmt.order_by(Appointment.starts_at)).all()
    return [(row[0], row[1]) for row in rows]


def visit(
    db: Session, clinic_id: int, patient_id: int, appointment_id: int
) -> tuple[Appointment, str | None] | None:
    stmt = in_clinics(
        select(Appointment, TreatmentPlan.protocol_id).outerjoin(
            TreatmentPlan, TreatmentPlan.id == Appointment.plan_id
        ),
        Appointment.clinic_id,
        [clinic_id],
    ).where(Appointment.id == appointment_id, Appointment.patient_id == patient_id)
    row = db.execute(stmt).first()
    return None if row is None else (row[0], row[1])


def escorts(
    db: Session, clinic_id: int, patient_id: int, appointment_ids: Sequence[int]
) -> dict[int, EscortConfirmation]:
    """The newest escort the patient named for each of these visits."""
    if not appointment_ids:
        return {}
    stmt = in_clinics(
        select(EscortConfirmation).join(
            Appointment, Appointment.id == EscortConfirmation.appointment_id
        ),
        Appointment.clinic_id,
        [clinic_id],
    ).where(
        EscortConfirmation.patient_id == patient_id,
        EscortConfirmation.appointment_id.in_(list(appointment_ids)),
    )
    found: dict[int, EscortConfirmation] = {}
    for row in db.scalars(stmt.order_by(EscortConfirmation.id)):
        found[row.appointment_id] = row
    return found


def requests_of_patient(
    db: Session, clinic_id: int, patient_id: int, appointment_ids: Sequence[int] | None = None
) -> list[PortalRequest]:
    stmt = in_clinics(select(PortalRequest), PortalRequest.clinic_id, [clinic_id]).where(
        PortalRequest.patient_id == patient_id
    )
    if appointment_ids is not None:
        stmt = stmt.where(PortalRequest.appointment_id.in_(list(appointment_ids)))
    return list(db.scalars(stmt.order_by(PortalRequest.created_at.desc())))


def request_of_patient(
    db: Session, clinic_id: int, patient_id: int, request_id: int
) -> PortalRequest | None:
    stmt = in_clinics(select(PortalRequest), PortalRequest.clinic_id, [clinic_id])
    return db.scalar(
        stmt.where(PortalRequest.id == request_id, PortalRequest.patient_id == patient_id)
    )


def queue(
    db: Session, clinic_ids: Sequence[int], status: str
) -> list[tuple[PortalRequest, Appointment, Patient]]:
    """The front desk's requests with their visit and patient, oldest first."""
    stmt = (
        in_clinics(
            select(PortalRequest, Appointment, Patient)
            .join(Appointment, Appointment.id == PortalRequest.appointment_id)
            .join(Patient, Patient.id == PortalRequest.patient_id),
            PortalRequest.clinic_id,
            clinic_ids,
        )
        .where(PortalRequest.status == status)
        .order_by(PortalRequest.created_at)
    )
    return [(r[0], r[1], r[2]) for r in db.execute(stmt).all()]


def request_for_staff(
    db: Session, clinic_ids: Sequence[int], request_id: int
) -> PortalRequest | None:
    stmt = in_clinics(select(PortalRequest), PortalRequest.clinic_id, clinic_ids)
    return db.scalar(stmt.where(PortalRequest.id == request_id))


def patient_in(db: Session, clinic_ids: Sequence[int], patient_id: int) -> Patient | None:
    stmt = in_clinics(select(Patient), Patient.clinic_id, clinic_ids)
    return db.scalar(stmt.where(Patient.id == patient_id))


def responses(
    db: Session, clinic_id: int, patient_id: int, instrument_id: str | None = None
) -> list[QuestionnaireResponse]:
    stmt = in_clinics(
        select(QuestionnaireResponse).join(Patient, Patient.id == QuestionnaireResponse.patient_id),
        Patient.clinic_id,
        [clinic_id],
    ).where(QuestionnaireResponse.patient_id == patient_id)
    if instrument_id is not None:
        stmt = stmt.where(QuestionnaireResponse.instrument_id == instrument_id)
    order = (QuestionnaireResponse.completed_at, QuestionnaireResponse.id)
    return list(db.scalars(stmt.order_by(*order)))
