"""An independent check of a schedule: every rule, counted slot by slot.

Written apart from the solvers and sharing none of their constraint code, so a
modelling mistake in a solver shows up here instead of being repeated. Plain
Python over the raw instance data; slow enough to be obviously right.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from ketaclinic.scheduling.model import (
    SLOT_MIN,
    SLOTS_PER_DAY,
    Assignment,
    Instance,
    Schedule,
    SessionSpec,
)

# Kinds of violation. The first two are about windows (the series' order in time);
# the others are about capacity and availability.
WINDOW_KINDS = frozenset({"window", "order"})
KINDS = (
    "window",
    "order",
    "unknown_session",
    "duplicate",
    "horizon",
    "closed",
    "patient_unavailable",
    "unknown_chair",
    "chair_not_equipped",
    "chair_overlap",
    "nurse_capacity",
    "prescriber_absent",
    "locked_moved",
)


@dataclass(frozen=True)
class Violation:
    kind: str
    detail: str
    series_id: str | None = None
    session: int | None = None
    day: int | None = None


def _slots(minutes: int) -> int:
    return (minutes + SLOT_MIN - 1) // SLOT_MIN


def _phases(spec: SessionSpec) -> tuple[int, int, int]:
    """Set-up, administration and observation lengths in slots."""
    return _slots(spec.setup_min), _slots(spec.administration_min), _slots(spec.observation_min)


def check(instance: Instance, schedule: Schedule) -> list[Violation]:
    """Every rule the schedule breaks; an empty list means it is valid."""
    requests = instance.series_by_id()
    violations: list[Violation] = []
    known: list[tuple[Assignment, SessionSpec]] = []
    for a in schedule.assignments:
        request = requests.get(a.series_id)
        if request is None or not 0 <= a.session < len(request.sessions):
            violations.append(Violation("unknown_session", f"{a}", a.series_id, a.session, a.day))
        else:
            known.append((a, request.sessions[a.session]))
    violations += _series_rules(instance, known)
    violations += _visit_rules(instance, known)
    # A visit outside the horizon is flagged once, as such, not again per resource.
    inside = [
        (a, spec)
        for a, spec in known
        if 0 <= a.day < instance.clinic.days
        and a.start >= 0
        and a.start + sum(_phases(spec)) <= SLOTS_PER_DAY
    ]
    violations += _chair_overlaps(inside)
    violations += _nurse_capacity(instance, inside)
    violations += _locked(instance, schedule)
    return violations


def _series_rules(
    instance: Instance, known: list[tuple[Assignment, SessionSpec]]
) -> list[Violation]:
    requests = instance.series_by_id()
    out: list[Violation] = []
    per_series: dict[str, dict[int, Assignment]] = defaultdict(dict)
    for a, _ in known:
        if a.session in per_series[a.series_id]:
            out.append(Violation("duplicate", "session booked twice", a.series_id, a.session))
        per_series[a.series_id][a.session] = a
    for series_id, sessions in per_series.items():
        request = requests[series_id]
        for index, a in sorted(sessions.items()):
            low, high = request.bounds(index, a.day, a.day)
            if low > high:
                out.append(
                    Violation("window", f"day {a.day} outside its bounds", series_id, index, a.day)
                )
            if index == 0:
                if a.day < request.earliest_day:
                    out.append(
                        Violation(
                            "window",
                            f"day {a.day} before the earliest day {request.earliest_day}",
                            series_id,
                            0,
                            a.day,
                        )
                    )
                continue
            previous = sessions.get(index - 1)
            if previous is None:
                out.append(
                    Violation("order", "booked without the session before", series_id, index)
                )
                continue
            spec = request.sessions[index]
            gap = a.day - previous.day
            if not spec.gap_min_days <= gap <= spec.gap_max_days:
                out.append(
                    Violation(
                        "window",
                        f"{gap} days after the previous session, window "
                        f"{spec.gap_min_days}-{spec.gap_max_days}",
                        series_id,
                        index,
                        a.day,
                    )
                )
    return out


def _visit_rules(
    instance: Instance, known: list[tuple[Assignment, SessionSpec]]
) -> list[Violation]:
    clinic = instance.clinic
    requests = instance.series_by_id()
    chairs = {chair.id: chair for chair in clinic.chairs}
    prescriber_on: dict[int, set[int]] = defaultdict(set)
    for p in clinic.prescriber_hours:
        prescriber_on[p.day].update(range(p.span.start, p.span.end))
    out: list[Violation] = []
    for a, spec in known:
        setup, administration, observation = _phases(spec)
        end = a.start + setup + administration + observation

        def add(kind: str, detail: str, a: Assignment = a) -> None:
            out.append(Violation(kind, detail, a.series_id, a.session, a.day))

        if not (0 <= a.day < clinic.days and a.start >= 0 and end <= SLOTS_PER_DAY):
            add("horizon", f"day {a.day} slots {a.start}-{end} outside the horizon")
            continue
        weekday = (clinic.first_weekday + a.day) % 7
        hours = clinic.hours[weekday]
        if a.day in clinic.closures or hours is None:
            add("closed", "the clinic is closed that day")
        elif a.start < hours.open or end > hours.close:
            add("closed", f"slots {a.start}-{end} outside opening {hours.open}-{hours.close}")
        request = requests[a.series_id]
        if weekday not in request.weekdays:
            add("patient_unavailable", f"the patient cannot come on weekday {weekday}")
        if not any(s.start <= a.start and end <= s.end for s in request.times):
            add("patient_unavailable", f"slots {a.start}-{end} outside the patient's times")
        chair = chairs.get(a.chair_id)
        if chair is None:
            add("unknown_chair", f"no chair {a.chair_id!r}")
        elif spec.long_chair and not chair.long_infusion:
            add("chair_not_equipped", f"chair {a.chair_id} has no long-infusion equipment")
        if spec.prescriber:
            first = a.start + setup
            on_site = prescriber_on[a.day]
            absent = [t for t in range(first, first + administration) if t not in on_site]
            if absent:
                add("prescriber_absent", f"no prescriber on site at slot {absent[0]}")
    return out


def _chair_overlaps(known: list[tuple[Assignment, SessionSpec]]) -> list[Violation]:
    out: list[Violation] = []
    by_chair_day: dict[tuple[str, int], list[tuple[int, int, Assignment]]] = defaultdict(list)
    for a, spec in known:
        by_chair_day[a.chair_id, a.day].append((a.start, a.start + sum(_phases(spec)), a))
    for (chair_id, day), visits in by_chair_day.items():
        visits.sort(key=lambda visit: (visit[0], visit[1]))
        for i, (_, end_i, a) in enumerate(visits):
            for start_j, _, b in visits[i + 1 :]:
                if start_j >= end_i:
                    break
                out.append(
                    Violation(
                        "chair_overlap",
                        f"chair {chair_id} holds {a.series_id}#{a.session} and "
                        f"{b.series_id}#{b.session} at slot {start_j}",
                        b.series_id,
                        b.session,
                        day,
                    )
                )
    return out


def _nurse_capacity(
    instance: Instance, known: list[tuple[Assignment, SessionSpec]]
) -> list[Violation]:
    clinic = instance.clinic
    k = clinic.nurse_capacity_k
    demand: dict[int, list[int]] = defaultdict(lambda: [0] * SLOTS_PER_DAY)
    for a, spec in known:
        setup, administration, observation = _phases(spec)
        row = demand[a.day]
        for t in range(a.start, min(SLOTS_PER_DAY, a.start + setup)):
            row[t] += k  # starting an IV takes the nurse's full attention
        for t in range(
            a.start + setup, min(SLOTS_PER_DAY, a.start + setup + administration + observation)
        ):
            row[t] += 1
    out: list[Violation] = []
    for day, row in sorted(demand.items()):
        on_shift = Counter(
            t
            for shift in clinic.nurse_shifts
            if shift.day == day
            for t in range(shift.span.start, shift.span.end)
        )
        over = [t for t in range(SLOTS_PER_DAY) if row[t] > on_shift[t] * k]
        if over:
            t = over[0]
            out.append(
                Violation(
                    "nurse_capacity",
                    f"{len(over)} slots over capacity, first at slot {t}: "
                    f"demand {row[t]} > {on_shift[t]} nurses x {k}",
                    day=day,
                )
            )
    return out


def _locked(instance: Instance, schedule: Schedule) -> list[Violation]:
    present = set(schedule.assignments)
    return [
        Violation(
            "locked_moved", f"locked {a} is not in the schedule", a.series_id, a.session, a.day
        )
        for a in instance.locked
        if a not in present
    ]


def count(violations: list[Violation]) -> tuple[int, int]:
    """(window violations, capacity and availability violations)."""
    windows = sum(1 for v in violations if v.kind in WINDOW_KINDS)
    return windows, len(violations) - windows
