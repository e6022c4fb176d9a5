"""Questionnaires the plan assigns before each visit: which are due, open, done or
missed (the pure rule is clinical.treatment.assignments), and the patient answering
one in its window, once. Staff read them through a ``Principal``; the patient through
their portal identity (``portal.actor.PortalPatient``). Every read and write is
audited; never commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ketaclinic.appointments.models import Appointment
from ketaclinic.audit import service as audit
from ketaclinic.clinical.scales import Instrument, get_instrument
from ketaclinic.clinical.treatment import Protocol, load_protocols
from ketaclinic.clinical.treatment.assignments import Answer, Assignment, State, Visit, assign
from ketaclinic.clinics.settings import for_clinic
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.time import utcnow
from ketaclinic.measures import service as measures
from ketaclinic.measures.models import QuestionnaireResponse, SafetyAlert
from ketaclinic.notifications import service as notifications
from ketaclinic.patients.models import Patient
from ketaclinic.portal import actor as portal
from ketaclinic.portal.actor import PortalPatient
from ketaclinic.previsit import errors
from ketaclinic.previsit import repository as repo

Caller = Principal | PortalPatient
# The "form to fill in" message's link: no health word in it (it redirects to the list).
FORMS_LINK = "/portal/forms"


@dataclass(frozen=True)
class Due:
    """One questionnaire asked before one visit."""

    instrument: Instrument
    visit: Appointment
    opens_at: datetime
    due_at: datetime
    done: QuestionnaireResponse | None
    state: State

    @property
    def name(self) -> str:
        return self.instrument.name


def _patient(db: Session, who: Caller, patient_id: int) -> Patient:
    if isinstance(who, Principal):
        found = repo.patient(db, list(who.roles), patient_id)
        if found is None or not who.can(Permission.PATIENT_READ, found.clinic_id):
            raise errors.PatientNotFound()
        return found
    if who.patient_id != patient_id:
        raise errors.PatientNotFound()
    found = repo.patient(db, [who.clinic_id], patient_id)
    if found is None:
        raise errors.PatientNotFound()
    return found


def _assignments(
    db: Session,
    patient: Patient,
    protocols: Mapping[str, Protocol] | None,
) -> tuple[list[Assignment], dict[int, Appointment], dict[int, QuestionnaireResponse]]:
    known = protocols if protocols is not None else load_protocols()
    clinics = [patient.clinic_id]
    visits: list[Visit] = []
    appointments: dict[int, Appointment] = {}
    for appointment, protocol_id in repo.visits(db, clinics, patient.id):
        protocol = known.get(protocol_id) if protocol_id else None
        rules = protocol.questionnaires if protocol is not None else ()
        appointments[appointment.id] = appointment
        visits.append(Visit(appointment.id, appointment.starts_at, rules))
    instruments = {r.instrument for v in visits for r in v.rules}
    rows = {r.id: r for r in repo.answers(db, clinics, patient.id, instruments)}
    answers = [Answer(r.id, r.instrument_id, r.completed_at) for r in rows.values()]
    hours = for_clinic(db, patient.clinic_id).questionnaire_open_hours
    return assign(visits, answers, open_hours=hours), appointments, rows


def _views(
    found: list[Assignment],
    appointments: dict[int, Appointment],
    rows: dict[int, QuestionnaireResponse],
    now: datetime,
) -> list[Due]:
    return [
        Due(
            get_instrument(a.instrument),
            appointments[a.visit.key],
            a.opens_at,
            a.due_at,
            rows[a.done.key] if a.done is not None else None,
            a.state(now),
        )
        for a in found
    ]


def due_for_patient(
    db: Session,
    who: Caller,
    patient_id: int,
    now: datetime | None = None,
    *,
    protocols: Mapping[str, Protocol] | None = None,
    visit_id: int | None = None,
    audited: bool = True,
) -> list[Due]:
    """Every questionnaire the patient's plans assign, by due time (one visit's only,
    with ``visit_id``); audited as a read of the chart (not ``audited`` when it is part
    of a page whose read is already recorded, like the session's checklist)."""
    now = now or utcnow()
    patient = _patient(db, who, patient_id)
    found, appointments, rows = _assignments(db, patient, protocols)
    if visit_id is not None:
        found = [a for a in found if a.visit.key == visit_id]
    detail = {"purpose": "questionnaires due", "visit": visit_id}
    if not audited:
        pass
    elif isinstance(who, Principal):
        audit.on_patient(
            db,
            who,
            "patient.read",
            patient,
            resource_type="questionnaire_assignments",
            detail=detail,
        )
    else:
        portal.record(
            db, who, "portal.questionnaires_read", resource_type="patient", resource_id=patient.id
        )
    return _views(found, appointments, rows, now)


def complete(
    db: Session,
    who: PortalPatient,
    instrument_id: str,
    visit_id: int,
    answers: dict[str, int | bool],
    *,
    now: datetime | None = None,
    protocols: Mapping[str, Protocol] | None = None,
) -> tuple[QuestionnaireResponse, list[SafetyAlert]]:
    """The patient answers one assigned questionnaire: inside its window, once. The
    patient's row is locked first, so two tabs submitting at once store one answer."""
    now = now or utcnow()
    patient = repo.lock_patient(db, [who.clinic_id], who.patient_id)
    if patient is None:
        raise errors.PatientNotFound()
    found, _appointments, _rows = _assignments(db, patient, protocols)
    match = next(
        (a for a in found if a.instrument == instrument_id and a.visit.key == visit_id), None
    )
    if match is None:
        raise errors.AssignmentNotFound()
    if not match.is_open(now):
        state = match.state(now)
        message = {
            "done": "You have already answered this questionnaire for that visit.",
            "upcoming": "This questionnaire opens later; it is not open yet.",
            "missed": "The time to answer this questionnaire for that visit has passed.",
        }[state]
        raise errors.AssignmentNotOpen(message)
    return measures.record_patient_response(
        db,
        patient,
        instrument_id,
        answers,
        origin=who.origin,
        actor=who.actor,
    )


def find(found: list[Due], instrument_id: str, visit_id: int) -> Due | None:
    return next(
        (d for d in found if d.instrument.id == instrument_id and d.visit.id == visit_id), None
    )


def queue_due_notices(
    db: Session,
    clinic_ids: list[int],
    now: datetime | None = None,
    *,
    protocols: Mapping[str, Protocol] | None = None,
) -> int:
    """System work (the periodic questionnaire scan): for every booked visit whose
    questionnaires open within the clinic's open hours from now and are not all
    answered, queue one "questionnaire_due" message (no health information; a link to
    the portal), sent from the time the first one opens. Never twice for a visit (the
    event key). The number queued."""
    now = now or utcnow()
    queued = 0
    longest = max((for_clinic(db, c).questionnaire_open_hours for c in clinic_ids), default=48)
    horizon = now + timedelta(hours=longest)
    for patient in repo.patients_with_visits_between(db, clinic_ids, now, horizon):
        found, appointments, _rows = _assignments(db, patient, protocols)
        by_visit: dict[int, list[Assignment]] = {}
        for a in found:
            if a.state(now) in ("open", "upcoming") and a.due_at <= horizon:
                by_visit.setdefault(a.visit.key, []).append(a)
        for visit_id, waiting in by_visit.items():
            if appointments[visit_id].status != "booked":
                continue
            opens = min(a.opens_at for a in waiting)
            message = notifications.queue(
                db,
                clinic_id=patient.clinic_id,
                patient_id=patient.id,
                template="questionnaire_due",
                event_key=f"questionnaire_due:{visit_id}",
                link_path=FORMS_LINK,
                not_before=max(opens, now),  # now, not a moment later: due this round
            )
            queued += message is not None
    return queued
