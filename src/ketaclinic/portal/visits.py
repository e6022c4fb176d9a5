"""The patient's visits in the portal: what is booked and how to prepare, cancelling
or asking to move a visit within the clinic's notice, naming the escort; the front
desk's queue of what patients asked. Never commits; every read and write audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from ketaclinic.appointments import service as appointments
from ketaclinic.appointments.models import Appointment
from ketaclinic.audit import service as audit
from ketaclinic.clinical import visit_instructions
from ketaclinic.clinical.visit_instructions import Instruction
from ketaclinic.clinics.models import Clinic
from ketaclinic.clinics.settings import for_clinic
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.fields import Phone
from ketaclinic.kit.time import to_local, utcnow
from ketaclinic.patients.models import Patient
from ketaclinic.portal import repository as repo
from ketaclinic.portal.actor import PortalPatient, record
from ketaclinic.portal.errors import PortalDetailsInvalid, PortalRecordNotFound
from ketaclinic.portal.models import EscortConfirmation, PortalRequest

KINDS = ("cancel", "reschedule")
_PHONE = TypeAdapter(Phone)


@dataclass(frozen=True)
class VisitView:
    id: int
    starts: datetime  # in the clinic's zone
    ends: datetime
    address: str
    instructions: list[Instruction]
    escort_confirmed: bool
    escort: EscortConfirmation | None
    open_requests: list[PortalRequest]
    # False inside the clinic's notice: cancelling becomes a request to the front desk.
    may_cancel: bool
    notice_hours: int


def _clinic(db: Session, clinic_id: int) -> Clinic:
    clinic = db.get(Clinic, clinic_id)
    assert clinic is not None
    return clinic


def notice_hours(db: Session, clinic_id: int) -> int:
    return for_clinic(db, clinic_id).portal_cancel_notice_hours


def _route(protocols: dict[str, object], protocol_id: str | None) -> str | None:
    found = protocols.get(protocol_id) if protocol_id else None
    route = getattr(found, "route", None)
    return str(route) if route is not None else None


def _views(
    db: Session,
    patient: PortalPatient,
    rows: list[tuple[Appointment, str | None]],
    protocols: dict[str, object],
) -> list[VisitView]:
    clinic = _clinic(db, patient.clinic_id)
    hours = notice_hours(db, patient.clinic_id)
    ids = [row.id for row, _ in rows]
    escorts = repo.escorts(db, patient.clinic_id, patient.patient_id, ids)
    requests = repo.requests_of_patient(db, patient.clinic_id, patient.patient_id, ids)
    now = utcnow()
    return [
        VisitView(
            id=row.id,
            starts=to_local(row.starts_at, clinic.timezone),
            ends=to_local(row.ends_at, clinic.timezone),
            address=clinic.address,
            instructions=visit_instructions.for_route(_route(protocols, protocol_id)),
            escort_confirmed=row.escort_confirmed,
            escort=escorts.get(row.id),
            open_requests=[
                r for r in requests if r.appointment_id == row.id and r.status == "open"
            ],
            may_cancel=row.starts_at - now >= timedelta(hours=hours),
            notice_hours=hours,
        )
        for row, protocol_id in rows
    ]


def upcoming(db: Session, patient: PortalPatient, protocols: dict[str, object]) -> list[VisitView]:
    rows = repo.upcoming_visits(db, patient.clinic_id, patient.patient_id, utcnow())
    record(
        db, patient, "portal.visits_read", resource_type="patient", resource_id=patient.patient_id
    )
    return _views(db, patient, rows, protocols)


def _own_visit(
    db: Session, patient: PortalPatient, appointment_id: int
) -> tuple[Appointment, str | None]:
    found = repo.visit(db, patient.clinic_id, patient.patient_id, appointment_id)
    if found is None:
        raise PortalRecordNotFound()
    return found


def visit(
    db: Session, patient: PortalPatient, appointment_id: int, protocols: dict[str, object]
) -> VisitView:
    row, protocol_id = _own_visit(db, patient, appointment_id)
    if row.status != "booked":
        raise PortalRecordNotFound("This visit is no longer booked.")
    record(db, patient, "portal.visit_read", resource_type="appointment", resource_id=row.id)
    return _views(db, patient, [(row, protocol_id)], protocols)[0]


def _note(note: str) -> str:
    if len(note) > 1000:
        raise PortalDetailsInvalid.on("note", "must be at most 1000 characters")
    return note.strip()


def _request(
    db: Session, patient: PortalPatient, row: Appointment, kind: str, note: str
) -> PortalRequest:
    """One open request per visit and kind: asking again adds nothing."""
    for existing in repo.requests_of_patient(db, patient.clinic_id, patient.patient_id, [row.id]):
        if existing.kind == kind and existing.status == "open":
            return existing
    made = PortalRequest(
        clinic_id=patient.clinic_id,
        patient_id=patient.patient_id,
        appointment_id=row.id,
        kind=kind,
        note=note,
    )
    db.add(made)
    db.flush()
    record(
        db,
        patient,
        "portal.request_made",
        resource_type="portal_request",
        resource_id=made.id,
        detail={"kind": kind, "appointment_id": row.id},
    )
    return made


def cancel(
    db: Session, patient: PortalPatient, appointment_id: int, note: str
) -> PortalRequest | None:
    """Cancel outside the clinic's notice (None); inside it the front desk gets a
    request instead (returned), and the visit stays booked until they act."""
    note = _note(note)
    row, _ = _own_visit(db, patient, appointment_id)
    if row.status != "booked":
        raise PortalRecordNotFound("This visit is no longer booked.")
    if row.starts_at - utcnow() < timedelta(hours=notice_hours(db, patient.clinic_id)):
        return _request(db, patient, row, "cancel", note)
    offered = appointments.cancel_for_patient(
        db, patient.clinic_id, patient.patient_id, row.id, note
    )
    record(
        db,
        patient,
        "portal.visit_cancelled",
        resource_type="appointment",
        resource_id=row.id,
        detail={"offered_to_waitlist": offered},
    )
    return None


def ask_to_reschedule(
    db: Session, patient: PortalPatient, appointment_id: int, note: str
) -> PortalRequest:
    note = _note(note)
    row, _ = _own_visit(db, patient, appointment_id)
    if row.status != "booked":
        raise PortalRecordNotFound("This visit is no longer booked.")
    return _request(db, patient, row, "reschedule", note)


def confirm_escort(
    db: Session, patient: PortalPatient, appointment_id: int, name: str, phone: str
) -> EscortConfirmation:
    """The patient names who takes them home, with a phone the clinic can call."""
    fields: dict[str, str] = {}
    name = name.strip()
    if not 2 <= len(name) <= 200:
        fields["escort_name"] = "enter the name of the adult taking you home"
    try:
        e164 = _PHONE.validate_python(phone.strip())
    except ValidationError as exc:
        fields["escort_phone"] = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        e164 = ""
    if fields:
        raise PortalDetailsInvalid("Please correct the escort's details.", fields)
    row, _ = _own_visit(db, patient, appointment_id)
    appointments.confirm_escort_for_patient(
        db, patient.clinic_id, patient.patient_id, row.id, name, e164
    )
    made = EscortConfirmation(
        patient_id=patient.patient_id,
        appointment_id=row.id,
        name=name,
        phone=e164,
        account_id=patient.account_id,
    )
    db.add(made)
    db.flush()
    record(db, patient, "portal.escort_confirmed", resource_type="appointment", resource_id=row.id)
    return made


def own_request(
    db: Session, patient: PortalPatient, request_id: int
) -> tuple[PortalRequest, VisitView | None]:
    found = repo.request_of_patient(db, patient.clinic_id, patient.patient_id, request_id)
    if found is None:
        raise PortalRecordNotFound()
    record(db, patient, "portal.request_read", resource_type="portal_request", resource_id=found.id)
    visit_row = repo.visit(db, patient.clinic_id, patient.patient_id, found.appointment_id)
    views = _views(db, patient, [visit_row], {}) if visit_row is not None else []
    return found, (views[0] if views else None)


# ---- the front desk's queue -----------------------------------------------------------


@dataclass(frozen=True)
class QueueItem:
    request: PortalRequest
    visit: Appointment
    patient: Patient
    starts: datetime
    tz: str


def staff_queue(db: Session, principal: Principal, status: str = "open") -> list[QueueItem]:
    clinics = principal.clinics_with(Permission.PATIENT_READ)
    rows = repo.queue(db, clinics, status)
    zones = {cid: _clinic(db, cid).timezone for cid in {r.clinic_id for r, _, _ in rows}}
    for cid in clinics:
        audit.record(
            db,
            principal,
            "portal.requests_read",
            clinic_id=cid,
            resource_type="portal_request",
            detail={"status": status, "count": sum(1 for r, _, _ in rows if r.clinic_id == cid)},
        )
    return [
        QueueItem(r, a, p, to_local(a.starts_at, zones[r.clinic_id]), zones[r.clinic_id])
        for r, a, p in rows
    ]


def close_request(
    db: Session, principal: Principal, request_id: int, outcome: str
) -> PortalRequest:
    """The front desk says what they did (moved the visit, cancelled it, called back)."""
    found = repo.request_for_staff(db, principal.clinics_with(Permission.PATIENT_WRITE), request_id)
    if found is None:
        raise PortalRecordNotFound("No such request in your clinics.")
    outcome = outcome.strip()
    if not 2 <= len(outcome) <= 1000:
        raise PortalDetailsInvalid.on(
            "outcome", "say in a few words what was done (2 to 1000 characters)"
        )
    if found.status == "open":
        found.status = "closed"
        found.closed_at = utcnow()
        found.closed_by_id = principal.user_id
        found.outcome = outcome
    audit.record(
        db,
        principal,
        "portal.request_closed",
        clinic_id=found.clinic_id,
        patient_id=found.patient_id,
        resource_type="portal_request",
        resource_id=found.id,
    )
    return found
