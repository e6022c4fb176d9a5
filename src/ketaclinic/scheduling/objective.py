"""The objective a schedule scores, term by term (``Weights`` says how they combine).

Solvers maximise the same quantity; this module is how a schedule produced by
any method is scored, so greedy and optimizer are compared on one yardstick.
"""

from __future__ import annotations

from dataclasses import dataclass

from ketaclinic.scheduling.model import Clinic, Instance, Schedule, SessionSpec, Weights


@dataclass(frozen=True)
class Terms:
    booked_sessions: int
    series_completed: int  # series with every requested session booked
    wait_days: int  # summed over started series: request to first session
    spread_slots: int  # summed over series: earliest to latest start of day
    overtime_slots: int  # summed over visits: past the regular close
    peak_load_percent: int  # nurse capacity used on the busiest day

    def value(self, weights: Weights) -> int:
        return (
            weights.booked_session * self.booked_sessions
            + weights.series_completed * self.series_completed
            - weights.day_to_first * self.wait_days
            - weights.spread_slot * self.spread_slots
            - weights.overtime_slot * self.overtime_slots
            - weights.peak_load_percent * self.peak_load_percent
        )


def nurse_load(spec: SessionSpec, k: int) -> int:
    """Nurse capacity-units x slots a visit uses: all k during set-up, 1 after."""
    return k * spec.setup_slots + (spec.duration_slots - spec.setup_slots)


def nurse_area(clinic: Clinic) -> dict[int, int]:
    """Capacity-units x slots the nurses on shift provide, per day."""
    area: dict[int, int] = {}
    for shift in clinic.nurse_shifts:
        if clinic.hours_on(shift.day) is None:
            continue
        width = shift.span.end - shift.span.start
        area[shift.day] = area.get(shift.day, 0) + clinic.nurse_capacity_k * width
    return area


def percent_ceil(load: int, area: int) -> int:
    return -(-100 * load // area)


def terms(instance: Instance, schedule: Schedule) -> Terms:
    clinic = instance.clinic
    requests = instance.series_by_id()
    by_series: dict[str, list[tuple[int, int, int]]] = {}
    overtime = 0
    load_by_day: dict[int, int] = {}
    for a in schedule.assignments:
        spec = requests[a.series_id].sessions[a.session]
        by_series.setdefault(a.series_id, []).append((a.session, a.day, a.start))
        hours = clinic.hours[clinic.weekday(a.day)]
        if hours is not None:
            overtime += max(0, a.start + spec.duration_slots - hours.regular_close)
        load = nurse_load(spec, clinic.nurse_capacity_k)
        load_by_day[a.day] = load_by_day.get(a.day, 0) + load
    wait = 0
    spread = 0
    completed = 0
    for series_id, booked in by_series.items():
        request = requests[series_id]
        completed += len(booked) == len(request.sessions)
        first = min(booked)
        if first[0] == 0:
            wait += first[1] - request.requested_day
        starts = [start for _, _, start in booked]
        if request.preferred_start is not None:
            starts.append(request.preferred_start)
        spread += max(starts) - min(starts)
    area = nurse_area(clinic)
    peak = max(
        (percent_ceil(load, area[day]) for day, load in load_by_day.items() if area.get(day)),
        default=0,
    )
    return Terms(len(schedule.assignments), completed, wait, spread, overtime, peak)


def objective(instance: Instance, schedule: Schedule, weights: Weights) -> int:
    return terms(instance, schedule).value(weights)
