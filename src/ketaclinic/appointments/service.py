"""Calendar use cases over the pure scheduler (``ketaclinic.scheduling``): the
clinic's resources as its model, a plan's unbooked sessions as a series request,
the booked visits as a calendar; book a series (online, the best few options),
reschedule, cancel, no-show, escort, waitlist offers, and the batch plan. Never
commits; audits every read and write of patient data.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ketaclinic.appointments import errors
from ketaclinic.appointments import repository as repo
from ketaclinic.appointments import series as windows
from ketaclinic.appointments.models import (
    Appointment,
    AppointmentEvent,
    Chair,
    StaffShift,
    WaitlistEntry,
)
from ketaclinic.appointments.schemas import AvailabilityIn
from ketaclinic.audit import service as audit
from ketaclinic.auth.principal import Principal
from ketaclinic.auth.roles import Permission, Role
from ketaclinic.clinical.treatment import Protocol
from ketaclinic.clinics.models import Clinic
from ketaclinic.kit.time import today_in, utcnow
from ketaclinic.patients.models import Patient
from ketaclinic.plans import service as plans
from ketaclinic.plans.models import TreatmentPlan
from ketaclinic.scheduling import model as m
from ketaclinic.scheduling import online
from ketaclinic.scheduling.calendar import Calendar, Grid

# Practice defaults until a clinic sets its own hours: weekdays 08:00-17:00 with an
# hour of overtime, Saturday mornings, Sunday closed (SCHEDULING.md; a setting).
DEFAULT_HOURS: dict[int, tuple[int, int, int] | None] = {
    **{d: (8 * 60, 17 * 60, 18 * 60) for d in range(5)},
    5: (9 * 60, 13 * 60, 14 * 60),
    6: None,
}
BOOKABLE = {"signed", "active"}


@dataclass(frozen=True)
class SchedulePolicy:
    nurse_capacity_k: int = 3
    weights: m.Weights = field(default_factory=m.Weights)
    online_time_limit_s: float = 0.5
    batch_time_limit_s: float = 20.0
    horizon_days: int = 42

    @classmethod
    def from_settings(cls, settings: Any) -> SchedulePolicy:
        weights = m.Weights(**settings.schedule_weights)
        return cls(nurse_capacity_k=settings.nurse_capacity_k, weights=weights)


@dataclass
class Horizon:
    """The days [start, start + days) at the clinic, and the pure model of them."""

    clinic: Clinic
    start: date
    days: int
    model: m.Clinic
    chairs: dict[str, Chair]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.clinic.timezone)

    def day_of(self, at: datetime) -> int:
        return (at.astimezone(self.zone).date() - self.start).days

    def slot_of(self, at: datetime) -> int:
        local = at.astimezone(self.zone)
        return (local.hour * 60 + local.minute) // m.SLOT_MIN

    def at(self, day: int, slot: int) -> datetime:
        local = datetime.combine(
            self.start + timedelta(days=day), datetime.min.time(), self.zone
        ) + timedelta(minutes=slot * m.SLOT_MIN)
        return local.astimezone(UTC)


def horizon(db: Session, clinic: Clinic, start: date, days: int, policy: SchedulePolicy) -> Horizon:
    """The clinic's chairs, hours, closures and staff on site as the pure model.
    A day with a roster has exactly the nurses and prescribers rostered; a day
    without one has every nurse and prescriber of the clinic for the opening hours."""
    chairs = {str(c.id): c for c in repo.chairs(db, clinic.id)}
    set_hours = {h.weekday: (h.opens, h.regular_close, h.closes) for h in repo.hours(db, clinic.id)}
    hours: list[m.Hours | None] = []
    for weekday in range(7):
        spec = (
            set_hours.get(weekday, DEFAULT_HOURS[weekday]) if set_hours else DEFAULT_HOURS[weekday]
        )
        hours.append(None if spec is None else m.Hours(*(v // m.SLOT_MIN for v in spec)))
    closed = {
        (c.day - start).days for c in repo.closures(db, clinic.id, start, start + timedelta(days))
    }
    nurses = repo.members(db, clinic.id, Role.NURSE)
    prescribers = repo.members(db, clinic.id, Role.PRESCRIBER)
    rostered: dict[int, list[StaffShift]] = {}
    for shift in repo.roster(db, clinic.id, start, start + timedelta(days)):
        rostered.setdefault((shift.day - start).days, []).append(shift)
    shifts: list[m.Shift] = []
    prescriber: list[m.Shift] = []
    first_weekday = start.weekday()
    for day in range(days):
        opening = hours[(first_weekday + day) % 7]
        if opening is None or day in closed:
            continue
        if day in rostered:
            for row in rostered[day]:
                span = m.Span(row.starts // m.SLOT_MIN, -(-row.ends // m.SLOT_MIN))
                (shifts if row.role == Role.NURSE.value else prescriber).append(m.Shift(day, span))
            continue
        span = m.Span(opening.open, opening.close)
        shifts += [m.Shift(day, span)] * nurses
        if prescribers:
            prescriber.append(m.Shift(day, span))
    model = m.Clinic(
        chairs=tuple(m.Chair(cid, chair.long_infusion) for cid, chair in chairs.items()),
        days=days,
        first_weekday=first_weekday,
        hours=tuple(hours),
        nurse_shifts=tuple(shifts),
        prescriber_hours=tuple(prescriber),
        closures=frozenset(closed),
        nurse_capacity_k=policy.nurse_capacity_k,
    )
    return Horizon(clinic, start, days, model, chairs)


def _minutes(start: datetime, end: datetime) -> int:
    return max(1, int((end - start).total_seconds() // 60))


def spec_of(appointment: Appointment) -> m.SessionSpec:
    """A booked visit's phases as it was booked (the protocol may have changed since)."""
    minutes = _minutes
    return m.SessionSpec(
        setup_min=minutes(appointment.starts_at, appointment.setup_ends_at),
        administration_min=minutes(appointment.setup_ends_at, appointment.administration_ends_at),
        observation_min=minutes(appointment.administration_ends_at, appointment.ends_at),
        long_chair=appointment.needs_long_chair,
        prescriber=appointment.needs_prescriber,
    )


def locked(
    db: Session, h: Horizon, except_id: int | None = None
) -> list[tuple[m.SeriesRequest, m.Assignment]]:
    """Every visit booked in the horizon as a one-session series, placed where it is."""
    out = []
    for row in repo.booked(db, [h.clinic.id], h.at(0, 0), h.at(h.days, 0)):
        if row.id == except_id or str(row.chair_id) not in h.chairs:
            continue
        series = m.SeriesRequest(f"a{row.id}", str(row.patient_id), "", (spec_of(row),), 0, 0)
        day, slot = h.day_of(row.starts_at), h.slot_of(row.starts_at)
        out.append((series, m.Assignment(series.id, 0, day, slot, str(row.chair_id))))
    return out


def calendar_of(db: Session, h: Horizon, except_id: int | None = None) -> Calendar:
    """Everything booked in the horizon, as the pure calendar (never moved)."""
    calendar = Calendar(Grid.of(h.model))
    for series, placed in locked(db, h, except_id):
        calendar.book(placed, series.sessions[0])
    return calendar


# ---- a plan's series ----------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    session_number: int
    chair: Chair
    starts_at: datetime
    setup_ends_at: datetime
    administration_ends_at: datetime
    ends_at: datetime
    spec: m.SessionSpec


@dataclass(frozen=True)
class Proposal:
    visits: list[Visit]
    score: int
    # The sessions left out, with their windows and why: never booked silently.
    unplaced: list[windows.Unplaced] = field(default_factory=list)

    @property
    def fingerprint(self) -> str:
        """What was shown: each visit's chair and start (a booking checks it still holds)."""
        return ",".join(f"{v.chair.id}@{v.starts_at.isoformat()}" for v in self.visits)


def _bookable(db: Session, principal: Principal, patient: Patient, plan_id: int) -> TreatmentPlan:
    view = plans.get(db, principal, patient, plan_id, audited=False)
    if view.status not in BOOKABLE:
        raise errors.PlanNotBookable(
            f"A {view.status} plan cannot be booked: sign it first.",
            {"plan_id": f"the plan is {view.status}"},
        )
    return view.plan


def _visits(
    h: Horizon, request: m.SeriesRequest, numbers: list[int], assignments: Sequence[m.Assignment]
) -> list[Visit]:
    out = []
    for a in sorted(assignments):
        spec = request.sessions[a.session]
        start = h.at(a.day, a.start)
        setup = start + timedelta(minutes=spec.setup_slots * m.SLOT_MIN)
        admin = setup + timedelta(minutes=spec.administration_slots * m.SLOT_MIN)
        end = start + timedelta(minutes=spec.duration_slots * m.SLOT_MIN)
        out.append(Visit(numbers[a.session], h.chairs[a.chair_id], start, setup, admin, end, spec))
    return out


def propose(
    db: Session,
    principal: Principal,
    patient: Patient,
    plan_id: int,
    protocols: dict[str, Protocol],
    policy: SchedulePolicy,
    today: date | None = None,
    availability: AvailabilityIn | None = None,
    outside_window: bool = False,
) -> list[Proposal]:
    """The best few ways to book the plan's next unbooked sessions (best first), each
    inside its window after the session before it as booked or given; what cannot be
    placed is named with its window and the reason. When nothing fits, one proposal
    without visits says why. Nothing already booked moves. ``outside_window`` (for a
    prescriber's override) lifts the windows' upper bounds."""
    principal.require(Permission.PATIENT_READ, patient.clinic_id)
    plan = _bookable(db, principal, patient, plan_id)
    protocol = protocols.get(plan.protocol_id)
    if protocol is None:
        raise errors.ProtocolNotLoaded(f"protocol {plan.protocol_id!r} is not loaded")
    clinic = db.get(Clinic, patient.clinic_id)
    assert clinic is not None
    # From tomorrow: a series is not started in the next few hours.
    start = today or today_in(clinic.timezone) + timedelta(days=1)
    h = horizon(db, clinic, start, policy.horizon_days, policy)
    booked = repo.of_plan(db, [clinic.id], plan.id)
    wanted = windows.continuation(plan, protocol, h, booked, availability, outside_window)
    request, numbers = wanted.request, wanted.numbers
    settings = online.OnlineSettings(time_limit_s=policy.online_time_limit_s)
    calendar = calendar_of(db, h)
    options = online.book_options(calendar, request, policy.weights, settings)
    out = [
        Proposal(
            _visits(h, request, numbers, o.assignments),
            o.score,
            windows.unplaced(h, calendar, wanted, o.assignments, availability),
        )
        for o in options
    ] or [Proposal([], 0, windows.unplaced(h, calendar, wanted, [], availability))]
    audit.on_patient(
        db,
        principal,
        "patient.schedule_proposed",
        patient,
        resource_type="treatment_plan",
        resource_id=plan.id,
        detail={"options": len(options), "unplaced": [u.session_number for u in out[0].unplaced]},
    )
    return out


def _insert(
    db: Session, principal: Principal, patient: Patient, plan_id: int | None, visit: Visit
) -> Appointment:
    row = Appointment(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        plan_id=plan_id,
        session_number=visit.session_number,
        chair_id=visit.chair.id,
        starts_at=visit.starts_at,
        setup_ends_at=visit.setup_ends_at,
        administration_ends_at=visit.administration_ends_at,
        ends_at=visit.ends_at,
        needs_long_chair=visit.spec.long_chair,
        needs_prescriber=visit.spec.prescriber,
        status="booked",
        created_by_id=principal.user_id,
    )
    db.add(row)
    return row


def _flush_or_taken(db: Session) -> None:
    """The database refuses a chair held twice (exclusion constraint or trigger)."""
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError as exc:
        raise errors.ChairTakenMeanwhile(
            "That chair was just booked by someone else; choose again.",
            {"option": "taken meanwhile"},
        ) from exc


def book_visits(
    db: Session,
    principal: Principal,
    patient: Patient,
    plan_id: int | None,
    visits: Sequence[Visit],
) -> list[Appointment]:
    """Store the visits, all or none; 409 when any chair was taken meanwhile."""
    principal.require(Permission.PATIENT_WRITE, patient.clinic_id)
    rows = [_insert(db, principal, patient, plan_id, v) for v in visits]
    _flush_or_taken(db)
    for row in rows:
        db.add(AppointmentEvent(appointment_id=row.id, kind="booked", by_id=principal.user_id))
    db.flush()
    audit.on_patient(
        db,
        principal,
        "patient.appointments_booked",
        patient,
        resource_type="appointment",
        resource_id=rows[0].id if rows else "",
        detail={"appointments": [r.id for r in rows], "plan": plan_id},
    )
    return rows


def book(
    db: Session,
    principal: Principal,
    patient: Patient,
    plan_id: int,
    option: int,
    protocols: dict[str, Protocol],
    policy: SchedulePolicy,
    availability: AvailabilityIn | None = None,
    expect: str | None = None,
    rest: str | None = None,
    override_reason: str | None = None,
) -> list[Appointment]:
    """Book proposal number ``option`` (0 = the best) of the plan's next unbooked
    sessions; with ``expect`` (a proposal's fingerprint), only if it is still that
    proposal. A proposal that leaves sessions out is booked only with ``rest`` =
    "waitlist" (the rest goes on the waitlist, saying which); ``override_reason`` (a
    prescriber's) lets sessions fall after their windows and records why."""
    if rest not in (None, "waitlist"):
        raise errors.RestChoiceInvalid()
    proposals = propose(
        db,
        principal,
        patient,
        plan_id,
        protocols,
        policy,
        availability=availability,
        outside_window=bool((override_reason or "").strip()),
    )
    if not 0 <= option < len(proposals):
        raise errors.OptionOutOfRange(f"choose 0 to {len(proposals) - 1}")
    chosen = proposals[option]
    if expect is not None and chosen.fingerprint != expect:
        raise errors.CalendarChanged(fields={"option": "changed meanwhile"})
    if chosen.unplaced and rest != "waitlist":
        left = " ".join(u.message for u in chosen.unplaced)
        fits = f"Only {len(chosen.visits)} of {len(chosen.visits) + len(chosen.unplaced)}"
        raise errors.SessionsDoNotFit(
            f"{fits} sessions fit. {left} Widen the times, or book what fits "
            "and put the rest on the waitlist.",
            {
                "rest": "sessions left out: choose what to do with them",
                **{f"session_{u.session_number}": u.message for u in chosen.unplaced},
            },
        )
    rows = book_visits(db, principal, patient, plan_id, chosen.visits) if chosen.visits else []
    protocol = protocols[_bookable(db, principal, patient, plan_id).protocol_id]
    clinic = db.get(Clinic, patient.clinic_id)
    assert clinic is not None
    windows.guard(
        db, principal, patient, plan_id, protocol, override_reason, ZoneInfo(clinic.timezone)
    )
    if chosen.unplaced:
        note = " ".join(u.message for u in chosen.unplaced)
        add_to_waitlist(db, principal, patient, plan_id, f"Not booked: {note}"[:500])
    return rows


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


# ---- the waitlist ------------------------------------------------------------------


def add_to_waitlist(
    db: Session, principal: Principal, patient: Patient, plan_id: int, note: str = ""
) -> WaitlistEntry:
    principal.require(Permission.PATIENT_WRITE, patient.clinic_id)
    plans.get(db, principal, patient, plan_id, audited=False)
    entry = WaitlistEntry(
        clinic_id=patient.clinic_id, patient_id=patient.id, plan_id=plan_id, note=note.strip()
    )
    db.add(entry)
    db.flush()
    audit.on_patient(
        db,
        principal,
        "patient.waitlisted",
        patient,
        resource_type="waitlist_entry",
        resource_id=entry.id,
    )
    return entry


def _offer_freed_slot(db: Session, principal: Principal, freed: Appointment) -> int | None:
    """The longest-waiting patient gets the freed chair and time offered."""
    if freed.starts_at <= utcnow():
        return None
    waiting = repo.waitlist(db, [freed.clinic_id], status="waiting")
    if not waiting:
        return None
    entry, _patient = waiting[0]
    entry.status = "offered"
    entry.changed_at = utcnow()
    entry.offer = json.dumps(
        {
            "chair_id": freed.chair_id,
            "starts_at": freed.starts_at.isoformat(),
            "ends_at": freed.ends_at.isoformat(),
            "freed_by": freed.id,
        }
    )
    db.flush()
    return entry.id
