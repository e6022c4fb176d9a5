"""A plan's series: propose times with the online optimizer, book them (or
wait-list the rest)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
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
)
from ketaclinic.appointments.schemas import AvailabilityIn
from ketaclinic.appointments.service.core import (
    BOOKABLE,
    Horizon,
    SchedulePolicy,
    calendar_of,
    horizon,
)
from ketaclinic.appointments.service.waitlist import (
    add_to_waitlist,
)
from ketaclinic.audit import service as audit
from ketaclinic.clinical.treatment import Protocol
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.time import as_utc, today_in, utcnow
from ketaclinic.notifications import service as notifications
from ketaclinic.patients.models import Patient
from ketaclinic.plans import service as plans
from ketaclinic.plans.models import TreatmentPlan
from ketaclinic.scheduling import model as m
from ketaclinic.scheduling import online

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
    booked = repo.of_lineage(db, [clinic.id], plan.lineage_id)
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
    first = min(rows, key=lambda r: r.starts_at) if rows else None
    # One confirmation, for the first visit (the portal lists the rest); none for a
    # visit already past (a paper record carried over).
    if first is not None and as_utc(first.starts_at) > utcnow():
        notifications.queue(
            db,
            clinic_id=patient.clinic_id,
            patient_id=patient.id,
            template="booking_confirmed",
            event_key=f"booking_confirmed:{first.id}",
            link_path="/portal",
            appointment_id=first.id,
            visit_starts_at=first.starts_at,
        )
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
