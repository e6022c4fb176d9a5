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

from ketaclinic.scheduling.cpsat import Settings, prepared, run
from ketaclinic.scheduling.model import Instance, Solution, Weights
from ketaclinic.scheduling.objective import objective

SOLVED = (cp_model.OPTIMAL, cp_model.FEASIBLE)


def solve(
    instance: Instance,
    weights: Weights,
    settings: Settings,
    baseline: Solution,
    started: float,
) -> Solution:
    deadline = started + settings.time_limit_s
    notes = ["decomposed"]
    days_model = prepared(instance, weights, settings, baseline.schedule, timed=False)
    solver, status = run(
        days_model, settings, settings.bound_share * (deadline - time.perf_counter())
    )
    bound = int(solver.best_objective_bound + 1e-6) if status in SOLVED else None
    notes.append(f"days-only bound: {solver.status_name(status)}")
    incumbent, value = baseline.schedule, baseline.objective
    days = instance.clinic.days
    starts = list(range(0, max(1, days - settings.window_days + settings.window_step_days),
                        settings.window_step_days))  # fmt: skip
    windows_solved = improved = 0
    unchanged_run = 0
    position = 0
    while deadline - time.perf_counter() > 0.5 and unchanged_run < len(starts):
        first = starts[position % len(starts)]
        position += 1
        window = range(first, min(days, first + settings.window_days))
        outside = {a for a in incumbent.assignments if a.day not in window}
        sub = replace(instance, locked=tuple(sorted(set(instance.locked) | outside)))
        builder = prepared(sub, weights, settings, incumbent, days=window)
        seconds = min(settings.window_s, deadline - time.perf_counter())
        solver, status = run(builder, settings, seconds)
        windows_solved += 1
        if status not in SOLVED:
            unchanged_run += 1
            continue
        schedule, _ = builder.decode(solver)
        candidate = objective(instance, schedule, weights)
        if candidate > value:
            incumbent, value = schedule, candidate
            improved += 1
            unchanged_run = 0
        else:
            unchanged_run += 1
    notes.append(f"{windows_solved} windows re-planned, {improved} improved the schedule")
    return Solution(
        incumbent,
        value,
        best_bound=bound,
        status="FEASIBLE",
        wall_s=time.perf_counter() - started,
        notes=tuple(notes),
    )
