"""The one way a session moves (``step``), and opening it: check-in or no-show."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ketaclinic.appointments import service as appointments
from ketaclinic.audit import service as audit
from ketaclinic.chairside import repository as repo
from ketaclinic.chairside.errors import (
    CheckInNotToday,
    PlanNotCurrent,
    SessionChangedMeanwhile,
    StepNotAllowed,
    StepTimeInvalid,
    VisitAlreadyCheckedIn,
    VisitCheckedInMeanwhile,
    VisitNotBooked,
)
from ketaclinic.chairside.models import ChairsideSession, SessionEvent
from ketaclinic.chairside.service.chart import ChairsidePolicy, Chart, chart
from ketaclinic.clinical.chairside import (
    STATE_LABELS,
    TransitionRefused,
    next_state,
    step_time_problem,
)
from ketaclinic.clinics.service import timezone_of, today_at
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.time import as_utc, recorded_now, to_local, utcnow
from ketaclinic.patients.models import Patient
from ketaclinic.plans import service as plans
from ketaclinic.plans.models import TreatmentPlan


def require_chart(principal: Principal, clinic_id: int) -> None:
    principal.require(Permission.SESSION_CHART, clinic_id)


def for_charting(
    db: Session,
    principal: Principal,
    session_id: int,
    policy: ChairsidePolicy,
    *,
    lock: bool = False,
) -> Chart:
    """The chart of a session about to be written to, by someone who may chart it;
    ``lock`` holds the session's row until the write commits."""
    c = chart(db, principal, session_id, policy, audited=False, lock=lock)
    require_chart(principal, c.session.clinic_id)
    return c


def step(
    db: Session,
    principal: Principal,
    s: ChairsideSession,
    patient: Patient,
    action: str,
    *,
    reason: str = "",
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> SessionEvent:
    """Move ``s`` by ``action``, dated ``at`` (default now; see ``step_time``)."""
    try:
        to = next_state(s.state, action, drug_given=s.administration_started_at is not None)  # type: ignore[arg-type]
    except TransitionRefused as exc:
        raise StepNotAllowed(exc.message, {"action": exc.message}) from None
    now = recorded_now() if at is None else at
    event = SessionEvent(
        session_id=s.id,
        patient_id=s.patient_id,
        seq=s.seq + 1,
        action=action,
        from_state=s.state,
        to_state=to,
        reason=reason,
        detail=json.dumps(detail, sort_keys=True, default=str) if detail else "",
        by_id=principal.user_id,
        at=now,
    )
    s.seq += 1
    s.state = to
    db.add(event)
    try:
        db.flush()
    except IntegrityError:
        raise SessionChangedMeanwhile(
            "This session changed a moment ago; reload it and try again."
        ) from None
    audit.on_patient(
        db,
        principal,
        f"patient.session.{action}",
        patient,
        resource_type="chairside_session",
        resource_id=s.id,
        detail={"from": event.from_state, "to": to, **(detail or {})},
    )
    return event


def step_time(db: Session, s: ChairsideSession, at: datetime | None) -> datetime:
    """When a step happened: now, or the time given, which may be neither in the
    future nor before the step it follows (a 422 naming ``at``)."""
    if at is None:
        return recorded_now()
    previous = repo.last_step_at(db, [s.clinic_id], s.id)
    when = as_utc(at)
    problem = step_time_problem(
        when, as_utc(previous) if previous else None, max(recorded_now(), utcnow())
    )
    if problem:
        raise StepTimeInvalid(problem)
    return when


def append_row(
    db: Session,
    principal: Principal,
    c: Chart,
    row: repo.Child,
    action: str,
    resource_type: str,
    *,
    resource_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> repo.Child:
    """Write one charted row and its audit record in the caller's transaction."""
    db.add(row)
    db.flush()
    audit.on_patient(
        db,
        principal,
        action,
        c.patient,
        resource_type=resource_type,
        resource_id=row.id if resource_id is None else resource_id,
        detail=detail,
    )
    return row


def check_allowed(s: ChairsideSession, action: str) -> None:
    """Refuse early (before credentials are checked or stock is touched)."""
    try:
        next_state(s.state, action, drug_given=s.administration_started_at is not None)  # type: ignore[arg-type]
    except TransitionRefused as exc:
        raise StepNotAllowed(exc.message, {"action": exc.message}) from None


def _current_plan(
    db: Session, principal: Principal, patient: Patient, plan_id: int
) -> TreatmentPlan:
    """The signed or active version of the appointment's plan (a titration is a new version)."""
    view = plans.get(db, principal, patient, plan_id, audited=False)
    for candidate in plans.versions(db, principal, view.plan.lineage_id):
        if candidate.status in {"signed", "active"}:
            return candidate.plan
    raise PlanNotCurrent(f"The plan is {view.status}; a session needs a signed or active plan.")


def complete_visit(db: Session, principal: Principal, s: ChairsideSession) -> None:
    """The visit is over: its chair is free for the next patient."""
    if s.appointment_id is not None:
        appointment, _patient = appointments.get(db, principal, s.appointment_id)
        if appointment.status == "booked":
            appointments.complete(db, principal, s.appointment_id)


def open_session(
    db: Session, principal: Principal, appointment_id: int, action: str, policy: ChairsidePolicy
) -> ChairsideSession:
    """Check a booked patient in (or mark them a no-show): the session starts here."""
    appointment, patient = appointments.get(db, principal, appointment_id)
    principal.require(Permission.PATIENT_WRITE, patient.clinic_id)
    existing = repo.of_appointment(db, [appointment.clinic_id], appointment.id)
    if existing is not None:
        raise VisitAlreadyCheckedIn(
            f"This visit already has a session ({STATE_LABELS[existing.state]}).",  # type: ignore[index]
            {"session_id": str(existing.id)},
        )
    if appointment.status != "booked" or appointment.plan_id is None:
        raise VisitNotBooked(
            f"The visit is {appointment.status}; only a booked plan visit is checked in."
        )
    zone = timezone_of(db, appointment.clinic_id)
    if action == "check_in" and to_local(appointment.starts_at, zone).date() != today_at(
        db, appointment.clinic_id
    ):
        raise CheckInNotToday("check in on the day of the visit")
    plan = _current_plan(db, principal, patient, appointment.plan_id)
    policy.protocol(plan.protocol_id)
    s = ChairsideSession(
        clinic_id=appointment.clinic_id,
        patient_id=patient.id,
        appointment_id=appointment.id,
        plan_id=plan.id,
        session_number=appointment.session_number,
        protocol_id=plan.protocol_id,
        state="scheduled",
        seq=0,
        created_by_id=principal.user_id,
        created_at=recorded_now(),
    )
    db.add(s)
    try:
        db.flush()
    except IntegrityError:
        raise VisitCheckedInMeanwhile(
            "Someone checked this visit in a moment ago; reload."
        ) from None
    if action == "no_show":
        appointments.no_show(db, principal, appointment.id)
        step(db, principal, s, patient, "no_show")
    else:
        s.checked_in_at = recorded_now()
        step(db, principal, s, patient, "check_in")
    return s
