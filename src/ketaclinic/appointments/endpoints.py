"""JSON API for the calendar: availability, booking a series, rescheduling."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError as PydanticValidationError

from ketaclinic.appointments import repository as repo
from ketaclinic.appointments import reschedule as moves
from ketaclinic.appointments import roster as rosters
from ketaclinic.appointments import service
from ketaclinic.appointments.deps import policy_of
from ketaclinic.appointments.models import Appointment
from ketaclinic.appointments.schemas import (
    AppointmentOut,
    AvailabilityIn,
    BookIn,
    CancelIn,
    EscortIn,
    ProposalOut,
    RescheduleIn,
    RosterIn,
    RosterOut,
    ShiftOut,
    UnplacedOut,
    VisitOut,
    WaitlistIn,
)
from ketaclinic.auth.clinic import resolve_own_clinic
from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.errors import validation_from_pydantic
from ketaclinic.kit.fields import ClinicTime, Id, IsoDate, Weekday
from ketaclinic.kit.pagination import Page, Paging
from ketaclinic.kit.time import today_in
from ketaclinic.kit.web import DbSession
from ketaclinic.patients import service as patients

router = APIRouter(prefix="/api/v1", tags=["scheduling"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No credentials"},
    403: {"description": "Your role may not book"},
    404: {"description": "No such patient, plan or appointment in your clinics"},
    409: {"description": "The plan is not signed, the chair was just taken, or nothing fits"},
    422: {"description": "A field is invalid; `error.fields` names it"},
}


def availability_of(
    weekdays: list[int] | None, from_time: time | None, until_time: time | None
) -> AvailabilityIn | None:
    given = {
        k: v
        for k, v in {"weekdays": weekdays, "from_time": from_time, "until_time": until_time}.items()
        if v is not None
    }
    if not given:
        return None
    try:
        return AvailabilityIn.model_validate(given)
    except PydanticValidationError as exc:
        raise validation_from_pydantic(exc.errors()) from exc


def visit_out(v: service.Visit) -> VisitOut:
    return VisitOut(
        session_number=v.session_number,
        chair_id=v.chair.id,
        chair=v.chair.name,
        starts_at=v.starts_at,
        setup_ends_at=v.setup_ends_at,
        administration_ends_at=v.administration_ends_at,
        ends_at=v.ends_at,
    )


def appointment_out(a: Appointment) -> AppointmentOut:
    return AppointmentOut(
        id=a.id,
        patient_id=a.patient_id,
        plan_id=a.plan_id,
        session_number=a.session_number,
        chair_id=a.chair_id,
        starts_at=a.starts_at,
        setup_ends_at=a.setup_ends_at,
        administration_ends_at=a.administration_ends_at,
        ends_at=a.ends_at,
        status=a.status,
        escort_confirmed=a.escort_confirmed,
        needs_prescriber=a.needs_prescriber,
    )


@router.get(
    "/patients/{patient_id}/plans/{plan_id}/availability",
    response_model=Page[ProposalOut],
    responses=ERRORS,
)
def availability(
    request: Request,
    patient_id: Id,
    plan_id: Id,
    principal: CurrentPrincipal,
    db: DbSession,
    paging: Paging,
    weekdays: Annotated[list[Weekday] | None, Query(max_length=7)] = None,
    from_time: ClinicTime | None = None,
    until_time: ClinicTime | None = None,
) -> Any:
    """The best few ways to book the plan's unbooked sessions inside their windows
    and the patient's availability (weekdays, Monday = 0; a time range). Nothing
    already booked moves. Sessions that find no place are listed under ``unplaced``
    with their window and the reason; when nothing fits, the one proposal has no
    visits."""
    patient = patients.get_patient(db, principal, patient_id)
    when = availability_of(weekdays, from_time, until_time)
    proposals = service.propose(
        db,
        principal,
        patient,
        plan_id,
        request.app.state.protocols,
        policy_of(request),
        availability=when,
    )
    return paging.of(
        ProposalOut(
            option=i,
            score=p.score,
            visits=[visit_out(v) for v in p.visits],
            unplaced=[UnplacedOut(**vars(u)) for u in p.unplaced],
        )
        for i, p in enumerate(proposals)
    )


@router.post(
    "/patients/{patient_id}/plans/{plan_id}/appointments",
    response_model=list[AppointmentOut],
    status_code=201,
    responses=ERRORS,
)
def book(
    request: Request,
    patient_id: Id,
    plan_id: Id,
    data: BookIn,
    principal: CurrentPrincipal,
    db: DbSession,
) -> Any:
    patient = patients.get_patient(db, principal, patient_id, write=True)
    rows = service.book(
        db,
        principal,
        patient,
        plan_id,
        data.option,
        request.app.state.protocols,
        policy_of(request),
        data.availability,
        rest=data.rest,
        override_reason=data.override_reason,
    )
    return [appointment_out(r) for r in rows]


@router.post("/patients/{patient_id}/plans/{plan_id}/waitlist", status_code=201, responses=ERRORS)
def waitlist(
    patient_id: Id, plan_id: Id, data: WaitlistIn, principal: CurrentPrincipal, db: DbSession
) -> dict[str, Any]:
    patient = patients.get_patient(db, principal, patient_id, write=True)
    entry = service.add_to_waitlist(db, principal, patient, plan_id, data.note)
    return {"id": entry.id, "status": entry.status}


@router.get(
    "/patients/{patient_id}/appointments", response_model=Page[AppointmentOut], responses=ERRORS
)
def of_patient(patient_id: Id, principal: CurrentPrincipal, db: DbSession, paging: Paging) -> Any:
    patient = patients.get_patient(db, principal, patient_id)
    rows = repo.of_patient(db, [patient.clinic_id], patient.id)
    return paging.of(appointment_out(a) for a in rows)


@router.get("/schedule/day", response_model=Page[AppointmentOut], responses=ERRORS)
def day(
    principal: CurrentPrincipal,
    db: DbSession,
    paging: Paging,
    on: IsoDate | None = None,
    clinic_id: Id | None = None,
) -> Any:
    """Every appointment starting on ``on`` (the clinic's date; default today)."""
    clinic = _clinic_of(db, principal, clinic_id)
    zone = ZoneInfo(clinic.timezone)
    on = on or today_in(clinic.timezone)
    start = datetime.combine(on, datetime.min.time(), zone)
    rows = repo.between(db, [clinic.id], start, start + timedelta(days=1))
    return paging.of(appointment_out(a) for a, _p in rows)


@router.get(
    "/appointments/{appointment_id}/suggestions", response_model=Page[VisitOut], responses=ERRORS
)
def suggestions(
    request: Request,
    appointment_id: Id,
    principal: CurrentPrincipal,
    db: DbSession,
    paging: Paging,
    outside_window: bool = False,
) -> Any:
    """Other free times for this visit, nearest its day first, inside its window and
    its neighbours' (``outside_window``: any time, for a prescriber's override)."""
    _row, _patient, found = moves.reschedule_options(
        db,
        principal,
        appointment_id,
        policy_of(request),
        request.app.state.protocols,
        outside_window=outside_window,
    )
    return paging.of(visit_out(v) for v in found)


@router.post(
    "/appointments/{appointment_id}/reschedule", response_model=AppointmentOut, responses=ERRORS
)
def reschedule(
    request: Request,
    appointment_id: Id,
    data: RescheduleIn,
    principal: CurrentPrincipal,
    db: DbSession,
) -> Any:
    moved = moves.reschedule(
        db,
        principal,
        appointment_id,
        data.starts_at,
        data.chair_id,
        policy_of(request),
        request.app.state.protocols,
        override_reason=data.override_reason,
    )
    return appointment_out(moved)


@router.post(
    "/appointments/{appointment_id}/cancel", response_model=AppointmentOut, responses=ERRORS
)
def cancel(appointment_id: Id, data: CancelIn, principal: CurrentPrincipal, db: DbSession) -> Any:
    """Cancel with a reason; the longest-waiting patient on the waitlist is offered the slot."""
    return appointment_out(service.cancel(db, principal, appointment_id, data.reason))


@router.post(
    "/appointments/{appointment_id}/no-show", response_model=AppointmentOut, responses=ERRORS
)
def no_show(appointment_id: Id, principal: CurrentPrincipal, db: DbSession) -> Any:
    return appointment_out(service.no_show(db, principal, appointment_id))


@router.post(
    "/appointments/{appointment_id}/escort", response_model=AppointmentOut, responses=ERRORS
)
def escort(appointment_id: Id, data: EscortIn, principal: CurrentPrincipal, db: DbSession) -> Any:
    return appointment_out(service.confirm_escort(db, principal, appointment_id, data.escort))


def _hhmm(minutes: int) -> time:
    return time(minutes // 60, minutes % 60) if minutes < 24 * 60 else time(23, 59)


@router.get("/schedule/roster", response_model=RosterOut, responses=ERRORS)
def roster(
    principal: CurrentPrincipal, db: DbSession, on: IsoDate, clinic_id: Id | None = None
) -> Any:
    """Who is on site on ``on``: the day's roster, or the default."""
    clinic = _clinic_of(db, principal, clinic_id)
    view = rosters.roster_of(db, principal, clinic, on)
    return RosterOut(
        day=on,
        default=view.default,
        shifts=[
            ShiftOut(user_id=u, name=n, role=r, starts=_hhmm(a), ends=_hhmm(b))
            for u, n, r, a, b in view.lines
        ],
    )


@router.put("/schedule/roster", response_model=RosterOut, responses=ERRORS)
def set_roster(
    data: RosterIn, principal: CurrentPrincipal, db: DbSession, clinic_id: Id | None = None
) -> Any:
    """Replace the day's roster (an empty list returns the day to the default)."""
    clinic = _clinic_of(db, principal, clinic_id)
    lines = [
        rosters.RosterLine(
            s.user_id, s.starts.hour * 60 + s.starts.minute, s.ends.hour * 60 + s.ends.minute
        )
        for s in data.shifts
    ]
    rosters.set_roster(db, principal, clinic.id, data.day, lines)
    return roster(principal, db, data.day, clinic.id)


def _clinic_of(db: DbSession, principal: CurrentPrincipal, wanted: int | None) -> Clinic:
    return resolve_own_clinic(db, principal, Permission.PATIENT_READ, wanted)
