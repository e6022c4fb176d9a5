"""A plan's series inside its protocol windows: what is left to book as a series
request bounded by the sessions already booked or given, why a session finds no
place (in words), and the guard every booking and reschedule passes — a session
outside its window (``clinical.treatment.window_after`` the session before it) is
stored only with a prescriber's recorded reason (an append-only ``window_override``
event on the appointment, audited).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from ketaclinic.appointments import errors
from ketaclinic.appointments import repository as repo
from ketaclinic.appointments.models import Appointment, AppointmentEvent
from ketaclinic.appointments.schemas import AvailabilityIn
from ketaclinic.audit import service as audit
from ketaclinic.clinical.treatment import Gap, Protocol, Window, breaches, gaps_of, window_between
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.time import as_utc
from ketaclinic.patients.models import Patient
from ketaclinic.plans.models import TreatmentPlan
from ketaclinic.scheduling import model as m
from ketaclinic.scheduling.calendar import Calendar
from ketaclinic.scheduling.explain import Blocked, why_not
from ketaclinic.scheduling.instances import sessions_of

if TYPE_CHECKING:
    from ketaclinic.appointments.service import Horizon

LIVE = ("booked", "completed")  # a session booked or given; cancelled and missed ones are holes
OVERRIDE = "window_override"
REASON_MIN = 3
FAR = 10_000  # days: no bound on that side
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Unplaced:
    """A session the proposal could not place, the days it had, and why."""

    session_number: int
    earliest: date | None
    latest: date | None
    reason: str  # a ``Blocked`` code
    message: str  # the same in words


@dataclass(frozen=True)
class Continuation:
    request: m.SeriesRequest
    numbers: list[int]  # the session numbers the request's sessions are


def _day(h: Horizon, row: Appointment) -> int:
    return h.day_of(row.starts_at)


def continuation(
    plan: TreatmentPlan,
    protocol: Protocol,
    h: Horizon,
    live: Sequence[Appointment],
    availability: AvailabilityIn | None = None,
    outside_window: bool = False,
) -> Continuation:
    """The first run of unbooked sessions, as a series request: the first of them
    inside its window after the session before it (as booked or given), the last of
    them keeping the next booked session inside its window. ``outside_window`` (a
    prescriber's override) drops the upper bounds; the lower ones stay."""
    planned = list(sessions_of(protocol))
    specs = {n: spec for n, spec in enumerate(planned, start=1)}
    gaps = dict(gaps_of(protocol))
    boosters = _boosters(plan, len(planned))
    for row in boosters:
        gap = Gap(**row["gap"]) if row.get("gap") else None
        gaps[row["number"]] = gap
        specs[row["number"]] = replace(
            planned[-1], gap_min_days=gap.min if gap else 0, gap_max_days=gap.max if gap else 0
        )
    done = {a.session_number: a for a in live}
    # A booster revision books its booster sessions; the series before them was the
    # earlier version's (booked, given or not).
    numbers = [int(r["number"]) for r in boosters] or list(range(1, len(planned) + 1))
    todo = [n for n in numbers if n not in done]
    if not todo:
        raise errors.SeriesFullyBooked(fields={"plan_id": "fully booked"})
    run = [todo[0]]
    while run[-1] + 1 in todo:
        run.append(run[-1] + 1)
    previous, following = done.get(run[0] - 1), done.get(run[-1] + 1)
    bounds = [(-FAR, FAR) for _n in run]
    low = max(0, (plan.start_date - h.start).days)
    if previous is not None:
        gap = _gap(gaps, run[0])
        low = _day(h, previous) + gap.min
        bounds[0] = (low, FAR if outside_window else _day(h, previous) + gap.max)
    if following is not None:
        gap = _gap(gaps, following.session_number)
        lo, hi = bounds[-1]
        late = -FAR if outside_window else _day(h, following) - gap.max
        bounds[-1] = (max(lo, late), min(hi, _day(h, following) - gap.min))
    window = next((r for r in boosters if r["number"] == run[0] and not r.get("gap")), None)
    if window is not None:
        # The first booster: inside its own window from the revision, whatever the
        # session before it (weeks or months ago).
        lo = max(0, (date.fromisoformat(window["earliest"]) - h.start).days)
        hi = FAR if outside_window else (date.fromisoformat(window["latest"]) - h.start).days
        low = max(low, lo)
        bounds[0] = (max(bounds[0][0], lo), min(bounds[0][1], hi))
    if low >= h.days:
        raise errors.PlanStartsAfterHorizon()
    first = specs[run[0]]
    sessions = (
        m.SessionSpec(
            first.setup_min,
            first.administration_min,
            first.observation_min,
            first.long_chair,
            first.prescriber,
        ),
        *(specs[n] for n in run[1:]),
    )
    when = availability or AvailabilityIn()
    span = m.Span(
        m.clock(when.from_time.hour, when.from_time.minute),
        m.clock(when.until_time.hour, when.until_time.minute),
    )
    request = m.SeriesRequest(
        id=str(plan.id),
        patient_id=str(plan.patient_id),
        protocol=protocol.id,
        sessions=sessions,
        requested_day=0,
        earliest_day=max(0, low),
        weekdays=frozenset(when.weekdays),
        times=(span,),
        day_bounds=tuple(bounds),
    )
    return Continuation(request, run)


def _boosters(plan: TreatmentPlan, planned: int) -> list[dict[str, Any]]:
    """The booster sessions a revision added after the protocol's ``planned`` ones."""
    rows: list[dict[str, Any]] = json.loads(plan.sessions)
    return [r for r in rows if int(r["number"]) > planned and r.get("block") == "booster"]


def _gap(gaps: dict[int, Gap | None], number: int) -> Gap:
    gap = gaps.get(number)
    return gap if gap is not None else Gap(min=1, target=1, max=FAR)


# ---- what could not be placed, in words ---------------------------------------------


def unplaced(
    h: Horizon,
    calendar: Calendar,
    series: Continuation,
    placed: Sequence[m.Assignment],
    availability: AvailabilityIn | None,
) -> list[Unplaced]:
    """The sessions ``placed`` leaves out (they are always the tail: a session is
    placed only after the one before it), each with its window and the reason."""
    request = series.request
    count = len(placed)
    out: list[Unplaced] = []
    for index in range(count, len(request.sessions)):
        number = series.numbers[index]
        if index > count:
            out.append(
                Unplaced(
                    number,
                    None,
                    None,
                    Blocked.ORDER.value,
                    f"Session {number} waits for session {series.numbers[count]}.",
                )
            )
            continue
        if index == 0:
            low, high = request.bounds(0, request.earliest_day, h.days - 1)
        else:
            before = sorted(placed)[-1].day
            spec = request.sessions[index]
            low, high = request.bounds(
                index, before + spec.gap_min_days, before + spec.gap_max_days
            )
        reason = why_not(calendar, request, index, low, high)
        earliest = h.start + timedelta(days=low) if low > -FAR else None
        latest = h.start + timedelta(days=high) if high < FAR - h.days else None
        words = describe(reason, earliest, latest, availability, request.sessions[index])
        out.append(Unplaced(number, earliest, latest, reason.value, f"Session {number}: {words}."))
    return out


def _between(earliest: date | None, latest: date | None) -> str:
    if earliest is None and latest is None:
        return "in the booking horizon"
    if earliest is None or latest is None:
        known = earliest or latest
        assert known is not None
        return ("from " if earliest else "by ") + f"{known.day} {known:%B}"
    if earliest == latest:
        return f"on {earliest.day} {earliest:%B}"
    if (earliest.month, earliest.year) == (latest.month, latest.year):
        return f"between {earliest.day} and {latest.day} {latest:%B}"
    return f"between {earliest.day} {earliest:%B} and {latest.day} {latest:%B}"


def _when(availability: AvailabilityIn | None) -> str:
    if availability is None:
        return ""
    days = (
        ""
        if len(availability.weekdays) == 7
        else "/".join(WEEKDAY_NAMES[d] for d in availability.weekdays)
    )
    whole_day = availability.from_time.hour == 0 and availability.until_time.hour == 23
    times = (
        ""
        if whole_day
        else (f"{availability.from_time:%H:%M}\N{EN DASH}{availability.until_time:%H:%M}")
    )
    return " ".join(p for p in (days, times) if p)


def describe(
    reason: Blocked,
    earliest: date | None,
    latest: date | None,
    availability: AvailabilityIn | None,
    spec: m.SessionSpec,
) -> str:
    """``reason`` in words, e.g. "no chair free Tue/Thu 09:00-12:00 between 8 and 10
    December"."""
    between, when = _between(earliest, latest), _when(availability)
    at = f" {when}" if when else ""
    if reason is Blocked.PAST:
        return f"its window closed {_between(None, latest).removeprefix('by ')}".replace(
            "closed ", "closed on "
        )
    if reason is Blocked.HORIZON:
        return f"its window ({between}) is beyond the booking horizon"
    if reason is Blocked.PATIENT_DAYS:
        return f"the patient comes only{at}, and none of those days falls {between}"
    if reason is Blocked.CLOSED:
        return f"the clinic is closed on the patient's days {between}"
    if reason is Blocked.TIMES:
        minutes = spec.duration_slots * m.SLOT_MIN
        return f"a {minutes}-minute visit does not fit{at} within opening hours {between}"
    what = {Blocked.PRESCRIBER: "no prescriber on site", Blocked.NURSES: "no nurse free"}
    return f"{what.get(reason, 'no chair free')}{at} {between}"


# ---- the guard: every session inside its window, or a recorded reason ---------------


def _stamp(at: datetime) -> str:
    return as_utc(at).isoformat()


def _override_matches(event: AppointmentEvent, row: Appointment, previous: Appointment) -> bool:
    """An override covers the visit where it was allowed: moving it, or the session
    before it, needs a new reason."""
    detail: dict[str, object] = json.loads(event.detail or "{}")
    return detail.get("starts_at") == _stamp(row.starts_at) and detail.get(
        "previous_starts_at"
    ) == _stamp(previous.starts_at)


def local_day(row: Appointment, zone: ZoneInfo) -> date:
    return row.starts_at.astimezone(zone).date()


def outside(
    db: Session, clinic_id: int, plan_id: int, protocol: Protocol, zone: ZoneInfo
) -> list[tuple[Appointment, Appointment]]:
    """The plan's booked or given sessions outside their window after the session
    before them, each with that session (overridden or not)."""
    by_number = {a.session_number: a for a in repo.of_plan(db, [clinic_id], plan_id)}
    days = {n: local_day(a, zone) for n, a in by_number.items()}
    return [(by_number[n], by_number[n - 1]) for n in breaches(days, gaps_of(protocol))]


def overridden(db: Session, row: Appointment, previous: Appointment) -> AppointmentEvent | None:
    """The prescriber's recorded reason that covers ``row`` where it is now."""
    for event in reversed(repo.events(db, row.id)):
        if event.kind == OVERRIDE and _override_matches(event, row, previous):
            return event
    return None


def guard(
    db: Session,
    principal: Principal,
    patient: Patient,
    plan_id: int,
    protocol: Protocol,
    override_reason: str | None,
    zone: ZoneInfo,
) -> list[Appointment]:
    """After a booking or a move: every session outside its window is covered by a
    recorded override, or ``override_reason`` (a prescriber's) records one now;
    otherwise nothing is stored (the caller's transaction rolls back)."""
    found = outside(db, patient.clinic_id, plan_id, protocol, zone)
    uncovered = [(r, p) for r, p in found if not overridden(db, r, p)]
    if not uncovered:
        return []
    reason = (override_reason or "").strip()
    numbers = ", ".join(str(r.session_number) for r, _p in uncovered)
    if not reason:
        raise errors.OutsideWindowNeedsReason(
            f"Session {numbers} would fall outside its window after the session before it; "
            "only a prescriber may book it there, with a reason.",
            {"override_reason": "outside the window: a prescriber's reason is needed"},
        )
    if not principal.can(Permission.PLAN_SIGN, patient.clinic_id):
        raise errors.OutsideWindowPrescriberOnly(
            f"Session {numbers} would fall outside its window: only a prescriber may allow it.",
            {"override_reason": "only a prescriber may book outside the window"},
        )
    if len(reason) < REASON_MIN:
        raise errors.WindowOverrideReasonTooShort()
    for row, previous in uncovered:
        detail = {
            "starts_at": _stamp(row.starts_at),
            "previous_starts_at": _stamp(previous.starts_at),
            "days_after_previous": (local_day(row, zone) - local_day(previous, zone)).days,
        }
        db.add(
            AppointmentEvent(
                appointment_id=row.id,
                kind=OVERRIDE,
                reason=reason,
                detail=json.dumps(detail),
                by_id=principal.user_id,
            )
        )
        audit.on_patient(
            db,
            principal,
            "patient.appointment_window_override",
            patient,
            resource_type="appointment",
            resource_id=row.id,
            detail={"session": row.session_number, **detail},
        )
    db.flush()
    return [row for row, _p in uncovered]


def overrides_of(db: Session, rows: Sequence[Appointment]) -> dict[int, str]:
    """For the day view and the chart: each appointment's window override reason."""
    found = repo.overrides(db, [r.id for r in rows])
    return {e.appointment_id: e.reason for e in found}


def visits_of_plan(
    db: Session, clinic_id: int, plan_id: int
) -> dict[int, tuple[Appointment, str | None]]:
    """For the chart: each session's visit booked or given, with the prescriber's
    reason when it is outside its window."""
    rows = repo.of_plan(db, [clinic_id], plan_id)
    reasons = overrides_of(db, rows)
    return {r.session_number: (r, reasons.get(r.id)) for r in rows}


def neighbour_window(
    db: Session, row: Appointment, protocol: Protocol | None, zone: ZoneInfo
) -> Window | None:
    """The days a moved visit may take: inside its window after the session before
    it and keeping the session after it inside its own (None: unbounded)."""
    if row.plan_id is None or protocol is None:
        return None
    gaps = gaps_of(protocol)
    live = {a.session_number: a for a in repo.of_plan(db, [row.clinic_id], row.plan_id)}
    live.pop(row.session_number, None)
    previous, following = live.get(row.session_number - 1), live.get(row.session_number + 1)
    window = window_between(
        local_day(previous, zone) if previous else None,
        gaps.get(row.session_number),
        local_day(following, zone) if following else None,
        gaps.get(row.session_number + 1),
    )
    if window is None and (previous or following):
        # The neighbours leave no day: only an override can move it.
        return Window(date.max, date.max, date.min)
    return window
