"""Calendar use cases over the pure scheduler (``ketaclinic.scheduling``): the
clinic's resources as its model, a plan's unbooked sessions as a series request,
the booked visits as a calendar; book a series (online, the best few options),
reschedule, cancel, no-show, escort, waitlist offers, and the batch plan. Never
commits; audits every read and write of patient data.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ketaclinic.appointments import repository as repo
from ketaclinic.appointments.models import (
    Appointment,
    AppointmentEvent,
    Chair,
    StaffShift,
    WaitlistEntry,
)
from ketaclinic.appointments.schemas import AvailabilityIn
from ketaclinic.audit import service as audit
from ketaclinic.auth.principal import Origin, Principal
from ketaclinic.auth.roles import Permission, Role
from ketaclinic.auth.service import get_user, principal_for
from ketaclinic.clinical.treatment import Protocol
from ketaclinic.clinics.models import Clinic
from ketaclinic.kit.errors import Conflict, NotFound, ValidationFailed
from ketaclinic.kit.time import as_utc, today_in, utcnow
from ketaclinic.patients.models import Patient
from ketaclinic.plans import service as plans
from ketaclinic.plans.models import TreatmentPlan
from ketaclinic.scheduling import model as m
from ketaclinic.scheduling import online, optimizer
from ketaclinic.scheduling.calendar import Calendar, Grid
from ketaclinic.scheduling.checker import check
from ketaclinic.scheduling.cpsat import Settings
from ketaclinic.scheduling.instances import sessions_of

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
        local = datetime.combine(self.start + timedelta(days=day), datetime.min.time(),
                                 self.zone) + timedelta(minutes=slot * m.SLOT_MIN)  # fmt: skip
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
        days=days, first_weekday=first_weekday, hours=tuple(hours),
        nurse_shifts=tuple(shifts), prescriber_hours=tuple(prescriber),
        closures=frozenset(closed), nurse_capacity_k=policy.nurse_capacity_k,
    )  # fmt: skip
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

    @property
    def fingerprint(self) -> str:
        """What was shown: each visit's chair and start (a booking checks it still holds)."""
        return ",".join(f"{v.chair.id}@{v.starts_at.isoformat()}" for v in self.visits)


def _bookable(db: Session, principal: Principal, patient: Patient, plan_id: int) -> TreatmentPlan:
    view = plans.get(db, principal, patient, plan_id, audited=False)
    if view.status not in BOOKABLE:
        raise Conflict(f"A {view.status} plan cannot be booked: sign it first.",
                       {"plan_id": f"the plan is {view.status}"})  # fmt: skip
    return view.plan


def _request(
    plan: TreatmentPlan,
    protocol: Protocol,
    h: Horizon,
    booked: Sequence[Appointment],
    availability: AvailabilityIn | None = None,
) -> tuple[m.SeriesRequest, list[int]]:
    """The plan's sessions not yet booked, as a series request from the last booked one."""
    specs = list(sessions_of(protocol))
    numbers = list(range(1, len(specs) + 1))
    done = {a.session_number for a in booked}
    last = max(booked, key=lambda a: a.session_number, default=None)
    todo = [(n, s) for n, s in zip(numbers, specs, strict=True) if n not in done]
    if not todo:
        raise Conflict("Every session of this plan is booked.", {"plan_id": "fully booked"})
    earliest = max(0, (plan.start_date - h.start).days)
    if last is not None:
        gap = todo[0][1]
        earliest = max(earliest, h.day_of(last.starts_at) + max(1, gap.gap_min_days))
    first = todo[0][1]
    sessions = (m.SessionSpec(first.setup_min, first.administration_min, first.observation_min,
                              first.long_chair, first.prescriber),
                *(s for _n, s in todo[1:]))  # fmt: skip
    if earliest >= h.days:
        raise ValidationFailed.on("start", "the plan starts after the booking horizon")
    when = availability or AvailabilityIn()
    span = m.Span(m.clock(when.from_time.hour, when.from_time.minute),
                  m.clock(when.until_time.hour, when.until_time.minute))  # fmt: skip
    request = m.SeriesRequest(id=str(plan.id), patient_id=str(plan.patient_id),
                              protocol=protocol.id, sessions=sessions, requested_day=0,
                              earliest_day=earliest, weekdays=frozenset(when.weekdays),
                              times=(span,))  # fmt: skip
    return request, [n for n, _s in todo]


def _visits(h: Horizon, request: m.SeriesRequest, numbers: list[int],
            assignments: Sequence[m.Assignment]) -> list[Visit]:  # fmt: skip
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
) -> list[Proposal]:
    """The best few ways to book the plan's unbooked sessions (best first). Nothing
    already booked moves."""
    principal.require(Permission.PATIENT_READ, patient.clinic_id)
    plan = _bookable(db, principal, patient, plan_id)
    protocol = protocols.get(plan.protocol_id)
    if protocol is None:
        raise ValidationFailed.on("plan_id", f"protocol {plan.protocol_id!r} is not loaded")
    clinic = db.get(Clinic, patient.clinic_id)
    assert clinic is not None
    # From tomorrow: a series is not started in the next few hours.
    start = today or today_in(clinic.timezone) + timedelta(days=1)
    h = horizon(db, clinic, start, policy.horizon_days, policy)
    booked = repo.of_plan(db, [clinic.id], plan.id)
    request, numbers = _request(plan, protocol, h, booked, availability)
    settings = online.OnlineSettings(time_limit_s=policy.online_time_limit_s)
    options = online.book_options(calendar_of(db, h), request, policy.weights, settings)
    audit.on_patient(db, principal, "patient.schedule_proposed", patient,
                     resource_type="treatment_plan", resource_id=plan.id,
                     detail={"options": len(options)})  # fmt: skip
    return [Proposal(_visits(h, request, numbers, o.assignments), o.score) for o in options]


def _insert(db: Session, principal: Principal, patient: Patient, plan_id: int | None,
            visit: Visit) -> Appointment:  # fmt: skip
    row = Appointment(
        clinic_id=patient.clinic_id, patient_id=patient.id, plan_id=plan_id,
        session_number=visit.session_number, chair_id=visit.chair.id, starts_at=visit.starts_at,
        setup_ends_at=visit.setup_ends_at, administration_ends_at=visit.administration_ends_at,
        ends_at=visit.ends_at, needs_long_chair=visit.spec.long_chair,
        needs_prescriber=visit.spec.prescriber, status="booked",
        created_by_id=principal.user_id,
    )  # fmt: skip
    db.add(row)
    return row


def _flush_or_taken(db: Session) -> None:
    """The database refuses a chair held twice (exclusion constraint or trigger)."""
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError as exc:
        raise Conflict("That chair was just booked by someone else; choose again.",
                       {"option": "taken meanwhile"}) from exc  # fmt: skip


def book_visits(
    db: Session, principal: Principal, patient: Patient, plan_id: int | None,
    visits: Sequence[Visit],
) -> list[Appointment]:  # fmt: skip
    """Store the visits, all or none; 409 when any chair was taken meanwhile."""
    principal.require(Permission.PATIENT_WRITE, patient.clinic_id)
    rows = [_insert(db, principal, patient, plan_id, v) for v in visits]
    _flush_or_taken(db)
    for row in rows:
        db.add(AppointmentEvent(appointment_id=row.id, kind="booked", by_id=principal.user_id))
    db.flush()
    audit.on_patient(db, principal, "patient.appointments_booked", patient,
                     resource_type="appointment", resource_id=rows[0].id if rows else "",
                     detail={"appointments": [r.id for r in rows], "plan": plan_id})  # fmt: skip
    return rows


def book(
    db: Session, principal: Principal, patient: Patient, plan_id: int, option: int,
    protocols: dict[str, Protocol], policy: SchedulePolicy,
    availability: AvailabilityIn | None = None,
    expect: str | None = None,
) -> list[Appointment]:  # fmt: skip
    """Book proposal number ``option`` (0 = the best) of the plan's unbooked sessions;
    with ``expect`` (a proposal's fingerprint), only if it is still that proposal."""
    proposals = propose(db, principal, patient, plan_id, protocols, policy,
                        availability=availability)  # fmt: skip
    if not proposals:
        raise Conflict("No free chair fits this plan's sessions in the next weeks.",
                       {"option": "nothing fits; add the patient to the waitlist"})  # fmt: skip
    if not 0 <= option < len(proposals):
        raise ValidationFailed.on("option", f"choose 0 to {len(proposals) - 1}")
    if expect is not None and proposals[option].fingerprint != expect:
        raise Conflict("The calendar changed since these times were shown; here they are again.",
                       {"option": "changed meanwhile"})  # fmt: skip
    return book_visits(db, principal, patient, plan_id, proposals[option].visits)


# ---- changes to one appointment -----------------------------------------------------


def chairs(db: Session, clinic_id: int) -> list[Chair]:
    """The clinic's chairs in use, by name."""
    return repo.chairs(db, clinic_id)


def get(db: Session, principal: Principal, appointment_id: int) -> tuple[Appointment, Patient]:
    found = repo.appointment(db, principal.clinics_with(Permission.PATIENT_READ), appointment_id)
    if found is None:
        raise NotFound(f"No appointment {appointment_id} in your clinics.")
    return found


def _event(db: Session, principal: Principal, row: Appointment, kind: str, reason: str = "",
           **detail: Any) -> None:  # fmt: skip
    db.add(AppointmentEvent(appointment_id=row.id, kind=kind, reason=reason,
                            detail=json.dumps(detail, default=str) if detail else "",
                            by_id=principal.user_id))  # fmt: skip


def _writable(
    db: Session, principal: Principal, appointment_id: int
) -> tuple[Appointment, Patient]:
    row, patient = get(db, principal, appointment_id)
    principal.require(Permission.PATIENT_WRITE, patient.clinic_id)
    if row.status != "booked":
        raise Conflict(f"This appointment is {row.status.replace('_', ' ')}.",
                       {"status": row.status})  # fmt: skip
    return row, patient


def cancel(db: Session, principal: Principal, appointment_id: int, reason: str) -> Appointment:
    if len(reason.strip()) < 3:
        raise ValidationFailed.on("reason", "say why (at least 3 characters)")
    row, patient = _writable(db, principal, appointment_id)
    row.status = "cancelled"
    _event(db, principal, row, "cancelled", reason.strip())
    db.flush()
    offered = _offer_freed_slot(db, principal, row)
    audit.on_patient(db, principal, "patient.appointment_cancelled", patient,
                     resource_type="appointment", resource_id=row.id,
                     detail={"offered_to_waitlist": offered})  # fmt: skip
    return row


def no_show(db: Session, principal: Principal, appointment_id: int) -> Appointment:
    row, patient = _writable(db, principal, appointment_id)
    if row.starts_at > utcnow():
        raise Conflict("A visit that has not started cannot be a no-show.",
                       {"status": "not started yet"})  # fmt: skip
    row.status = "no_show"
    _event(db, principal, row, "no_show")
    db.flush()
    audit.on_patient(db, principal, "patient.appointment_no_show", patient,
                     resource_type="appointment", resource_id=row.id)  # fmt: skip
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
        raise ValidationFailed.on("escort", "name who is taking the patient home")
    row, patient = _writable(db, principal, appointment_id)
    row.escort_confirmed = True
    _event(db, principal, row, "escort_confirmed", escort=name.strip())
    db.flush()
    audit.on_patient(db, principal, "patient.escort_confirmed", patient,
                     resource_type="appointment", resource_id=row.id)  # fmt: skip
    return row


def reschedule_options(
    db: Session, principal: Principal, appointment_id: int, policy: SchedulePolicy
) -> tuple[Appointment, Patient, list[Visit]]:
    """Other times for one visit, nearest its present day first, within a week either
    side (and not in the past); nothing else moves."""
    row, patient = _writable(db, principal, appointment_id)
    clinic = db.get(Clinic, row.clinic_id)
    assert clinic is not None
    today = today_in(clinic.timezone)
    start = max(today, row.starts_at.astimezone(ZoneInfo(clinic.timezone)).date() - timedelta(7))
    h = horizon(db, clinic, start, 15, policy)
    spec = spec_of(row)
    calendar = calendar_of(db, h, except_id=row.id)
    current = h.day_of(row.starts_at)
    request = m.SeriesRequest(id=f"r{row.id}", patient_id=str(row.patient_id), protocol="",
                              sessions=(spec,), requested_day=0, earliest_day=0)  # fmt: skip
    found: list[Visit] = []
    for day in sorted(range(h.days), key=lambda d: (abs(d - current), d)):
        free = calendar.feasible(request, spec, day)
        for chair_index, slot in zip(*free.nonzero(), strict=True):
            if (day, int(slot)) == (current, h.slot_of(row.starts_at)):
                continue
            chair_id = h.model.chairs[int(chair_index)].id
            placed = m.Assignment(request.id, 0, day, int(slot), chair_id)
            found += _visits(h, request, [row.session_number], [placed])
            break  # the first free chair at the earliest time that day
        if len(found) >= 5:
            break
    return row, patient, found


def reschedule(db: Session, principal: Principal, appointment_id: int, starts_at: datetime,
               chair_id: int, policy: SchedulePolicy) -> Appointment:  # fmt: skip
    if starts_at.tzinfo is None:
        raise ValidationFailed.on("starts_at", "must include a time zone offset")
    row, patient, options = reschedule_options(db, principal, appointment_id, policy)
    chosen = next((v for v in options if v.starts_at == starts_at and v.chair.id == chair_id), None)
    if chosen is None:
        # Lost a race (another visit now holds that chair then) or never offered.
        length = as_utc(row.ends_at) - as_utc(row.starts_at)
        held = repo.booked(db, [row.clinic_id], starts_at, starts_at + length)
        if any(a.chair_id == chair_id and a.id != row.id for a in held):
            raise Conflict("That chair was just taken at that time; choose another time.",
                           {"starts_at": "taken meanwhile"})  # fmt: skip
        raise ValidationFailed.on("starts_at", "choose one of the suggested times")
    before = row.starts_at
    row.starts_at, row.setup_ends_at = chosen.starts_at, chosen.setup_ends_at
    row.administration_ends_at, row.ends_at = chosen.administration_ends_at, chosen.ends_at
    row.chair_id = chosen.chair.id
    _flush_or_taken(db)
    _event(db, principal, row, "rescheduled", before=before.isoformat(),
           after=chosen.starts_at.isoformat(), chair=chosen.chair.name)  # fmt: skip
    db.flush()
    audit.on_patient(db, principal, "patient.appointment_rescheduled", patient,
                     resource_type="appointment", resource_id=row.id)  # fmt: skip
    return row


# ---- the roster ----------------------------------------------------------------------


@dataclass(frozen=True)
class RosterLine:
    user_id: int
    starts: int  # minutes from midnight
    ends: int


@dataclass(frozen=True)
class RosterView:
    day: date
    default: bool
    lines: list[tuple[int, str, str, int, int]]  # user id, name, role, starts, ends
    staff: list[tuple[int, str, str]]  # everyone who could be on it


def roster_of(db: Session, principal: Principal, clinic: Clinic, day: date) -> RosterView:
    """Who is on site on ``day``: the roster, or the default (everyone, opening hours)."""
    principal.require(Permission.PATIENT_READ, clinic.id)
    staff = repo.on_site_staff(db, clinic.id)
    rows = repo.roster(db, clinic.id, day, day + timedelta(days=1))
    names = {u.id: u.name for u, _r in staff}
    if rows:
        lines = [(r.user_id, names.get(r.user_id, f"user {r.user_id}"), r.role, r.starts, r.ends)
                 for r in rows]  # fmt: skip
        return RosterView(day, False, lines, [(u.id, u.name, r) for u, r in staff])
    opening = horizon(db, clinic, day, 1, SchedulePolicy()).model.hours_on(0)
    lines = [] if opening is None else [
        (u.id, u.name, r, opening.open * m.SLOT_MIN, opening.close * m.SLOT_MIN)
        for u, r in staff
    ]  # fmt: skip
    return RosterView(day, True, lines, [(u.id, u.name, r) for u, r in staff])


def set_roster(db: Session, principal: Principal, clinic_id: int, day: date,
               lines: Sequence[RosterLine]) -> list[StaffShift]:  # fmt: skip
    """Replace the day's roster. Only the clinic's nurses and prescribers can be on it;
    an empty roster puts the day back on the default (everyone, opening hours)."""
    principal.require(Permission.SCHEDULE_MANAGE, clinic_id)
    staff = {u.id: role for u, role in repo.on_site_staff(db, clinic_id)}
    errors = {}
    for line in lines:
        if line.user_id not in staff:
            errors[f"user_{line.user_id}"] = "not a nurse or prescriber of this clinic"
        elif not 0 <= line.starts < line.ends <= 24 * 60:
            errors[f"user_{line.user_id}"] = "the shift must start before it ends"
    if len({line.user_id for line in lines}) != len(lines):
        errors["shifts"] = "one shift per person a day"
    if errors:
        raise ValidationFailed("Check the roster.", errors)
    for row in repo.roster(db, clinic_id, day, day + timedelta(days=1)):
        db.delete(row)
    db.flush()
    rows = [StaffShift(clinic_id=clinic_id, day=day, user_id=line.user_id,
                       role=staff[line.user_id], starts=line.starts, ends=line.ends)
            for line in lines]  # fmt: skip
    db.add_all(rows)
    db.flush()
    audit.record(db, principal, "schedule.roster_set", clinic_id=clinic_id,
                 resource_type="roster", resource_id=day.isoformat(),
                 detail={"on_site": [line.user_id for line in lines]})  # fmt: skip
    return rows


# ---- the waitlist ------------------------------------------------------------------


def add_to_waitlist(db: Session, principal: Principal, patient: Patient, plan_id: int,
                    note: str = "") -> WaitlistEntry:  # fmt: skip
    principal.require(Permission.PATIENT_WRITE, patient.clinic_id)
    plans.get(db, principal, patient, plan_id, audited=False)
    entry = WaitlistEntry(clinic_id=patient.clinic_id, patient_id=patient.id, plan_id=plan_id,
                          note=note.strip())  # fmt: skip
    db.add(entry)
    db.flush()
    audit.on_patient(db, principal, "patient.waitlisted", patient,
                     resource_type="waitlist_entry", resource_id=entry.id)  # fmt: skip
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
    entry.offer = json.dumps({"chair_id": freed.chair_id, "starts_at": freed.starts_at.isoformat(),
                              "ends_at": freed.ends_at.isoformat(),
                              "freed_by": freed.id})  # fmt: skip
    db.flush()
    return entry.id


# ---- the batch plan -------------------------------------------------------------------


def booking_actor(db: Session, clinic: Clinic, origin: Origin) -> Principal:
    """Who batch bookings are recorded as when no one is named: the clinic's first
    front-desk member (booking is their work), else its first admin."""
    for role in (Role.FRONT_DESK, Role.ADMIN):
        user_id = repo.first_member(db, clinic.id, role)
        if user_id is not None:
            return principal_for(db, get_user(db, user_id), origin=origin)
    raise ValidationFailed.on("by", "the clinic has no front desk or admin to book as")


@dataclass(frozen=True)
class BatchResult:
    requested: int
    booked: int
    series: int
    series_full: int
    objective: int
    best_bound: int | None
    wall_s: float
    violations: int
    appointments: list[Appointment]


def plan_batch(
    db: Session, clinic: Clinic, start: date, weeks: int, protocols: dict[str, Protocol],
    policy: SchedulePolicy, actor: Principal, progress: Callable[[str], None] | None = None,
) -> BatchResult:  # fmt: skip
    """Plan every signed or active plan's unbooked sessions over the horizon with the
    optimizer, around what is already booked (locked), and store the result. Like
    booking one series, it starts tomorrow at the earliest: today's visits are under
    way in the chairs (charted, not planned)."""
    say = progress or (lambda _msg: None)
    start = max(start, today_in(clinic.timezone) + timedelta(days=1))
    h = horizon(db, clinic, start, weeks * 7, policy)
    say("Reading the calendar…")
    kept = locked(db, h)
    requests, numbering, owners = [], {}, {}
    for plan, patient in repo.newest_plans(db, clinic.id):
        status = plans.get(db, actor, patient, plan.id, audited=False).status
        protocol = protocols.get(plan.protocol_id)
        if status not in BOOKABLE or protocol is None:
            continue
        try:
            request, numbers = _request(plan, protocol, h, repo.of_plan(db, [clinic.id], plan.id))
        except (Conflict, ValidationFailed):
            continue
        requests.append(request)
        numbering[request.id], owners[request.id] = numbers, (plan, patient)
    instance = m.Instance(f"{clinic.slug}-{start}", h.model,
                          (*requests, *(series for series, _a in kept)),
                          tuple(a for _s, a in kept))  # fmt: skip
    say(f"Optimising {len(requests)} series over {weeks} weeks…")
    started = time.perf_counter()
    solution = optimizer.solve(
        instance, policy.weights, Settings(time_limit_s=policy.batch_time_limit_s)
    )
    violations = check(instance, solution.schedule)
    if violations:
        raise Conflict("The optimizer's schedule failed the independent check; nothing stored.",
                       {"schedule": str(violations[0])})  # fmt: skip
    say("Storing the appointments…")
    stored: list[Appointment] = []
    by_series: dict[str, list[m.Assignment]] = {}
    for a in solution.schedule.assignments:
        if a.series_id in owners:
            by_series.setdefault(a.series_id, []).append(a)
    for series_id, assignments in by_series.items():
        plan, patient = owners[series_id]
        request = next(r for r in requests if r.id == series_id)
        visits = _visits(h, request, numbering[series_id], assignments)
        stored += book_visits(db, actor, patient, plan.id, visits)
    full = sum(1 for r in requests if len(by_series.get(r.id, [])) == len(r.sessions))
    return BatchResult(
        requested=sum(len(r.sessions) for r in requests), booked=len(stored), series=len(requests),
        series_full=full, objective=solution.objective, best_bound=solution.best_bound,
        wall_s=time.perf_counter() - started, violations=len(violations), appointments=stored,
    )  # fmt: skip
