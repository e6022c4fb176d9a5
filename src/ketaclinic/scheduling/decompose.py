"""Decomposition for instances too big for one model in the time allowed.

Two parts. The *bound*: the days-only model (cpsat.Builder with ``timed=False``)
- booked sessions, windows, days to first and the nurse-load peak, with the
time-indexed relaxation standing in for chairs and nurses, and the time-of-day
and overtime penalties left out (they are never negative) - is a relaxation of
the full problem, so its proven bound bounds the full objective. The *schedule*:
large-neighbourhood search over time windows, the rolling-horizon idea of
Turkcan et al. (2012) turned into repair: starting from first fit, everything
booked outside a window of ``window_days`` days is locked, the full model (days
then times, chairs, nurses) re-plans inside it, and the result is kept when the
whole schedule scores better. The window moves on by ``window_step_days`` and
wraps round until the time is up (or a full pass changes nothing).
"""

from __future__ import annotations

import time
from dataclasses import replace

from ortools.sat.python import cp_model

from ketaclinic.scheduling.cpsat import Settings
from ketaclinic.scheduling.model import Instance, Schedule, SeriesRequest, Solution, Weights
from ketaclinic.scheduling.objective import nurse_area, nurse_load, objective, percent_ceil
from ketaclinic.scheduling.optimizer import prepared, run

SOLVED = (cp_model.OPTIMAL, cp_model.FEASIBLE)


def solve(
    instance: Instance,
    weights: Weights,
    settings: Settings,
    baseline: Solution,
    started: float,
    pairs: int,
) -> Solution:
    deadline = started + settings.time_limit_s
    notes = ["decomposed"]
    bound = None
    if pairs <= settings.bound_max_pairs:
        days_model = prepared(instance, weights, settings, baseline.schedule, timed=False)
        bound_s = settings.bound_share * settings.time_limit_s
        if not settings.deterministic:
            bound_s = settings.bound_share * (deadline - time.perf_counter())
        solver, status = run(days_model, settings, bound_s)
        # Without a days-only solution in time CP-SAT reports no usable bound: say none.
        bound = int(solver.best_objective_bound + 1e-6) if status in SOLVED else None
        notes.append(f"days-only bound: {solver.status_name(status)}")
    else:
        # Building it alone took most of the minute on large: the windows get the time.
        notes.append(f"no days-only bound: {pairs} (session, day) pairs is too many")
    incumbent, value = baseline.schedule, baseline.objective
    days = instance.clinic.days
    chairs = len(instance.clinic.chairs)
    length = settings.window_days or max(2, min(days, round(70 / max(1, chairs))))
    step = settings.window_step_days or max(1, round(length * 4 / 7))
    settings = replace(settings, window_days=length, window_step_days=step)
    notes.append(f"windows of {length} days, every {step} days")
    starts = list(
        range(
            0,
            max(1, days - settings.window_days + settings.window_step_days),
            settings.window_step_days,
        )
    )
    windows_solved = improved = unplaced = 0
    unchanged_run = 0
    position = 0
    # Deterministic runs re-plan a fixed number of windows, the clock notwithstanding.
    budget = int((1 - settings.bound_share) * settings.time_limit_s / settings.window_s)

    def more() -> bool:
        if settings.deterministic:
            return windows_solved < max(1, budget)
        return deadline - time.perf_counter() > 0.5

    while more() and unchanged_run < len(starts):
        first = starts[position % len(starts)]
        position += 1
        window = range(first, min(days, first + settings.window_days))
        sub, floor = neighbourhood(instance, incumbent, window)
        builder = prepared(sub, weights, settings, incumbent, days=window, peak_floor=floor)
        seconds = settings.window_s
        if not settings.deterministic:
            seconds = min(seconds, deadline - time.perf_counter())
        solver, status = run(builder, settings, seconds)
        windows_solved += 1
        if status not in SOLVED:
            unchanged_run += 1
            continue
        replanned, without_chair = builder.decode(solver)
        unplaced += without_chair
        touched = {r.id for r in sub.series}
        kept = [a for a in incumbent.assignments if a.series_id not in touched]
        schedule = Schedule(tuple(sorted(kept + list(replanned.assignments))))
        candidate = objective(instance, schedule, weights)
        if candidate > value:
            incumbent, value = schedule, candidate
            improved += 1
            unchanged_run = 0
        else:
            unchanged_run += 1
    notes.append(f"{windows_solved} windows re-planned, {improved} improved the schedule")
    if unplaced:
        notes.append(f"{unplaced} visits found no chair when chairs were given out")
    return Solution(
        incumbent,
        value,
        best_bound=bound,
        status="FEASIBLE",
        wall_s=time.perf_counter() - started,
        notes=tuple(notes),
    )


def neighbourhood(instance: Instance, incumbent: Schedule, window: range) -> tuple[Instance, int]:
    """The sub-problem for ``window``: the series that have, or could get, a visit in
    it, everything of theirs outside it locked; and the nurse-load peak (percent) of
    the days outside, which the sub-problem's peak cannot go below."""
    booked: dict[str, list[int]] = {}
    for a in incumbent.assignments:
        booked.setdefault(a.series_id, []).append(a.day)
    locked_ids = {a.series_id for a in instance.locked if a.day in window}
    chosen = []
    for request in instance.series:
        days = sorted(booked.get(request.id, []))
        reach = len(days) < len(request.sessions) and _reaches(request, days, window)
        if reach or request.id in locked_ids or any(day in window for day in days):
            chosen.append(request)
    ids = {r.id for r in chosen}
    fixed = {a for a in incumbent.assignments if a.series_id in ids and a.day not in window}
    fixed |= {a for a in instance.locked if a.series_id in ids}
    sub = replace(instance, series=tuple(chosen), locked=tuple(sorted(fixed)))
    requests = instance.series_by_id()
    k = instance.clinic.nurse_capacity_k
    load: dict[int, int] = {}
    for a in incumbent.assignments:
        if a.day not in window:
            spec = requests[a.series_id].sessions[a.session]
            load[a.day] = load.get(a.day, 0) + nurse_load(spec, k)
    area = nurse_area(instance.clinic)
    floor = max((percent_ceil(v, area[d]) for d, v in load.items() if area.get(d)), default=0)
    return sub, floor


def _reaches(request: SeriesRequest, days: list[int], window: range) -> bool:
    """Whether the next session to book could fall in ``window``."""
    if not days:
        return request.earliest_day < window.stop
    spec = request.sessions[len(days)]
    return (
        days[-1] + spec.gap_min_days < window.stop and days[-1] + spec.gap_max_days >= window.start
    )
