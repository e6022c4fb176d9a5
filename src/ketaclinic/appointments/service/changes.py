"""Changes to one appointment: cancel, no-show, complete, escort."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from ketaclinic.appointments import errors
from ketaclinic.appointments import repository as repo
from ketaclinic.appointments.models import (
    Appointment,
    AppointmentEvent,
    Chair,
)
from ketaclinic.appointments.service.waitlist import (
    _offer_freed_slot,
)
from ketaclinic.audit import service as audit
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.time import utcnow
from ketaclinic.notifications import service as notifications
from ketaclinic.patients.models import Patient

# ---- changes to one appointment -----------------------------------------------------


def chairs(db: Session, clinic_id: int) -> list[Chair]:
    """The clinic's chairs in use, by name."""
    return repo.chairs(db, clinic_id)


def get(db: Session, principal: Principal, appointment_id: int) -> tuple[Appointment, Patient]:
    found = repo.appointment(db, principal.clinics_with(Permission.PATIENT_READ), appointment_id)
    if found is None:
        raise errors.AppointmentNotFound(f"No appointment {appointment_id} in your clinics.")
    return found


def _event(
    db: Session, principal: Principal, row: Appointment, kind: str, reason: str = "", **detail: Any
) -> None:
    db.add(
        AppointmentEvent(
            appointment_id=row.id,
            kind=kind,
            reason=reason,
            detail=json.dumps(detail, default=str) if detail else "",
            by_id=principal.user_id,
        )
    )


def _writable(
    db: Session, principal: Principal, appointment_id: int
) -> tuple[Appointment, Patient]:
    row, patient = get(db, principal, appointment_id)
    principal.require(Permission.PATIENT_WRITE, patient.clinic_id)
    if row.status != "booked":
        raise errors.AppointmentNotOpen(
            f"This appointment is {row.status.replace('_', ' ')}.", {"status": row.status}
        )
    return row, patient


def cancel(db: Session, principal: Principal, appointment_id: int, reason: str) -> Appointment:
    if len(reason.strip()) < 3:
        raise errors.CancelReasonTooShort()
    row, patient = _writable(db, principal, appointment_id)
    row.status = "cancelled"
    _event(db, principal, row, "cancelled", reason.strip())
    db.flush()
    notifications.cancel_pending(
        db, clinic_id=row.clinic_id, appointment_id=row.id, reason="visit cancelled"
    )
    notifications.queue(
        db,
        clinic_id=row.clinic_id,
        patient_id=row.patient_id,
        template="booking_cancelled",
        event_key=f"booking_cancelled:{row.id}",
        link_path="/portal",
        appointment_id=row.id,
        visit_starts_at=row.starts_at,
    )
    offered = _offer_freed_slot(db, principal, row)
    audit.on_patient(
        db,
        principal,
        "patient.appointment_cancelled",
        patient,
        resource_type="appointment",
        resource_id=row.id,
        detail={"offered_to_waitlist": offered},
    )
    return row


def no_show(db: Session, principal: Principal, appointment_id: int) -> Appointment:
    row, patient = _writable(db, principal, appointment_id)
    if row.starts_at > utcnow():
        raise errors.NoShowBeforeStart(fields={"status": "not started yet"})
    row.status = "no_show"
    _event(db, principal, row, "no_show")
    db.flush()
    audit.on_patient(
        db,
        principal,
        "patient.appointment_no_show",
        patient,
        resource_type="appointment",
        resource_id=row.id,
    )
    return row


def complete(db: Session, principal: Principal, appointment_id: int) -> Appointment:
    """The visit took place (the chairside session closed it): the chair is free."""
    row, _patient = _writable(db, principal, appointment_id)
    row.status = "completed"
    _event(db, principal, row, "completed")
    db.flush()
    return row


def confirm_escort(
    db: Session, principal: Principal, appointment_id: int, name: str
) -> Appointment:
    if len(name.strip()) < 2:
        raise errors.EscortRequired()
    row, patient = _writable(db, principal, appointment_id)
    row.escort_confirmed = True
    _event(db, principal, row, "escort_confirmed", escort=name.strip())
    db.flush()
    audit.on_patient(
        db,
        principal,
        "patient.escort_confirmed",
        patient,
        resource_type="appointment",
        resource_id=row.id,
    )
    return row


# ---- changes a patient makes from the portal --------------------------------------
# No staff member acts: the event's ``by_id`` stays empty and the portal audits the
# change with the patient's account as actor (portal.actor.record).


def _patients_open_visit(
    db: Session, clinic_id: int, patient_id: int, appointment_id: int
) -> Appointment:
    found = repo.appointment(db, [clinic_id], appointment_id)
    if found is None or found[0].patient_id != patient_id:
        raise errors.AppointmentNotFound()
    row = found[0]
    if row.status != "booked":
        raise errors.AppointmentNotOpen(
            f"This appointment is {row.status.replace('_', ' ')}.", {"status": row.status}
        )
    return row


def cancel_for_patient(
    db: Session, clinic_id: int, patient_id: int, appointment_id: int, reason: str
) -> int | None:
    """The patient cancels their own booked visit (the portal checks the notice
    first); the freed chair is offered to the longest waiting. Returns the waitlist
    entry offered the slot, if any."""
    row = _patients_open_visit(db, clinic_id, patient_id, appointment_id)
    row.status = "cancelled"
    db.add(
        AppointmentEvent(
            appointment_id=row.id,
            kind="cancelled",
            reason=reason.strip() or "Cancelled by the patient in the portal",
            detail=json.dumps({"by": "patient"}),
        )
    )
    db.flush()
    return _offer_freed_slot(db, None, row)


def confirm_escort_for_patient(
    db: Session, clinic_id: int, patient_id: int, appointment_id: int, name: str, phone: str
) -> Appointment:
    """The patient names who takes them home; the visit's escort is confirmed."""
    if len(name.strip()) < 2:
        raise errors.EscortRequired()
    row = _patients_open_visit(db, clinic_id, patient_id, appointment_id)
    row.escort_confirmed = True
    db.add(
        AppointmentEvent(
            appointment_id=row.id,
            kind="escort_confirmed",
            detail=json.dumps({"escort": name.strip(), "phone": phone, "by": "patient"}),
        )
    )
    db.flush()
    return row
