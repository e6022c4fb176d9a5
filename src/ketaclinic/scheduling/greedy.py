"""First-fit booking: what a front desk does by hand, as the baseline to beat.

Series are taken in arrival order (request day, then id). Each session goes on
the earliest day inside its window, at the earliest time, in the first chair
free for the whole visit (a regular chair before one equipped for long
infusions). When a session finds no place the series stops there: later
sessions' windows count from it, so they cannot be booked without it.
"""

from __future__ import annotations

import time

import numpy as np

from ketaclinic.scheduling.calendar import Calendar, Grid
from ketaclinic.scheduling.model import (
    Assignment,
    Instance,
    Schedule,
    SeriesRequest,
    Solution,
    Weights,
)
from ketaclinic.scheduling.objective import objective


def book_series(
    calendar: Calendar, request: SeriesRequest, booked: list[Assignment] | None = None
) -> list[Assignment]:
    """Book ``request``'s sessions after those already ``booked`` (its locked prefix)
    into ``calendar``, first fit. Returns the new assignments (also in ``calendar``)."""
    done = sorted(booked or [])
    made: list[Assignment] = []
    days = calendar.grid.clinic.days
    for index in range(len(done), len(request.sessions)):
        spec = request.sessions[index]
        if index == 0:
            candidates = range(request.earliest_day, days)
        else:
            previous = (done + made)[-1].day
            candidates = range(previous + spec.gap_min_days, previous + spec.gap_max_days + 1)
        low, high = request.bounds(index, candidates.start, candidates.stop - 1)
        candidates = range(low, high + 1)
        placed = None
        for day in candidates:
            if not 0 <= day < days:
                continue
            feasible = calendar.feasible(request, spec, day)
            starts = np.flatnonzero(feasible.any(axis=0))
            if starts.size:
                start = int(starts[0])
                chair = calendar.chair_for(request, spec, day, start)
                placed = Assignment(request.id, index, day, start, chair)
                break
        if placed is None:
            break
        calendar.book(placed, spec)
        made.append(placed)
    return made


def calendar_with(instance: Instance, schedule: Schedule) -> Calendar:
    """A calendar holding ``schedule``'s appointments."""
    calendar = Calendar(Grid.of(instance.clinic))
    requests = instance.series_by_id()
    for assignment in schedule.assignments:
        calendar.book(assignment, requests[assignment.series_id].sessions[assignment.session])
    return calendar


def arrival_order(instance: Instance) -> list[SeriesRequest]:
    return sorted(instance.series, key=lambda request: (request.requested_day, request.id))


def solve(instance: Instance, weights: Weights | None = None) -> Solution:
    """Book every series first fit, in arrival order, around the locked appointments."""
    started = time.perf_counter()
    locked = Schedule(tuple(sorted(instance.locked)))
    calendar = calendar_with(instance, locked)
    assignments = list(locked.assignments)
    for request in arrival_order(instance):
        assignments += book_series(calendar, request, locked.of_series(request.id))
    schedule = Schedule(tuple(sorted(assignments)))
    value = objective(instance, schedule, weights or Weights())
    return Solution(schedule, value, wall_s=time.perf_counter() - started)
