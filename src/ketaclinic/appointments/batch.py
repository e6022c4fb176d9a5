"""The batch plan: every signed or active plan's next sessions over a horizon,
planned by the optimizer around what is booked, checked by the independent checker
before anything is stored (``ketaclinic schedule plan``, the demo's calendar)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from ketaclinic.appointments import errors
from ketaclinic.appointments import repository as repo
from ketaclinic.appointments import series as windows
from ketaclinic.appointments.models import Appointment
from ketaclinic.appointments.service import (
    BOOKABLE,
    SchedulePolicy,
    _visits,
    book_visits,
    horizon,
    locked,
)
from ketaclinic.auth.service import get_user, principal_for
from ketaclinic.clinical.treatment import Protocol
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Origin, Principal
from ketaclinic.identity.roles import Role
from ketaclinic.kit.errors import Conflict, ValidationFailed
from ketaclinic.kit.time import today_in
from ketaclinic.plans import service as plans
from ketaclinic.scheduling import model as m
from ketaclinic.scheduling import optimizer
from ketaclinic.scheduling.checker import check
from ketaclinic.scheduling.cpsat import Settings


def booking_actor(db: Session, clinic: Clinic, origin: Origin) -> Principal:
    """Who batch bookings are recorded as when no one is named: the clinic's first
    front-desk member (booking is their work), else its first admin."""
    for role in (Role.FRONT_DESK, Role.ADMIN):
        user_id = repo.first_member(db, clinic.id, role)
        if user_id is not None:
            return principal_for(db, get_user(db, user_id), origin=origin)
    raise errors.NoBookingStaff()


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
    db: Session,
    clinic: Clinic,
    start: date,
    weeks: int,
    protocols: dict[str, Protocol],
    policy: SchedulePolicy,
    actor: Principal,
    progress: Callable[[str], None] | None = None,
) -> BatchResult:
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
            wanted = windows.continuation(
                plan, protocol, h, repo.of_lineage(db, [clinic.id], plan.lineage_id)
            )
        except (Conflict, ValidationFailed):
            continue
        requests.append(wanted.request)
        numbering[wanted.request.id] = wanted.numbers
        owners[wanted.request.id] = (plan, patient)
    instance = m.Instance(
        f"{clinic.slug}-{start}",
        h.model,
        (*requests, *(series for series, _a in kept)),
        tuple(a for _s, a in kept),
    )
    say(f"Optimising {len(requests)} series over {weeks} weeks…")
    started = time.perf_counter()
    solution = optimizer.solve(
        instance, policy.weights, Settings(time_limit_s=policy.batch_time_limit_s)
    )
    violations = check(instance, solution.schedule)
    if violations:
        raise errors.ScheduleFailedCheck(fields={"schedule": str(violations[0])})
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
        requested=sum(len(r.sessions) for r in requests),
        booked=len(stored),
        series=len(requests),
        series_full=full,
        objective=solution.objective,
        best_bound=solution.best_bound,
        wall_s=time.perf_counter() - started,
        violations=len(violations),
        appointments=stored,
    )
