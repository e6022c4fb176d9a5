"""Online booking with CP-SAT: one new series into the existing calendar.

Nothing booked moves. Each session's candidate starts (day, slot of day) are
those where some chair is free for the whole visit and the nurses on shift have
room left after what is booked - computed on the calendar's arrays. A series
never puts two of its sessions on one day, so its sessions cannot collide with
each other and the model only chooses days and start times: the same objective
as the batch model (booked sessions, days to first, time-of-day spread,
overtime, peak daily nurse load), with the series' windows. Then the first
session's day is forbidden and the model solved again, for a few distinct
options the patient can choose from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from ketaclinic.scheduling.calendar import Calendar
from ketaclinic.scheduling.cpsat import runs, total
from ketaclinic.scheduling.model import (
    SLOTS_PER_DAY,
    Assignment,
    SeriesRequest,
    Weights,
)
from ketaclinic.scheduling.objective import nurse_area, nurse_load, percent_ceil


@dataclass(frozen=True)
class Option:
    assignments: tuple[Assignment, ...]
    score: int  # the objective this booking adds (higher is better)


@dataclass(frozen=True)
class OnlineSettings:
    options: int = 3
    # One worker: the model is tiny; on the benchmark's 100 arrivals two workers
    # raised the median from 5.5 to 9.3 ms for the same p95. Batch uses both cores.
    workers: int = 1
    seed: int = 2026
    time_limit_s: float = 0.5


def book_options(
    calendar: Calendar,
    request: SeriesRequest,
    weights: Weights | None = None,
    settings: OnlineSettings | None = None,
) -> list[Option]:
    """The best few ways to book ``request`` into ``calendar`` (best first; empty
    when not even the first session fits). The calendar is not changed."""
    weights, settings = weights or Weights(), settings or OnlineSettings()
    clinic = calendar.grid.clinic
    k = clinic.nurse_capacity_k
    model = cp_model.CpModel()
    on: list[dict[int, cp_model.IntVar]] = []
    tods: list[cp_model.IntVar] = []
    booked: list[cp_model.IntVar] = []
    low_day, high_day = request.earliest_day, clinic.days - 1
    for index, spec in enumerate(request.sessions):
        if index:
            low_day += spec.gap_min_days
            high_day += spec.gap_max_days
        low_day, high_day = request.bounds(index, low_day, high_day)
        days: dict[int, list[list[int]]] = {}
        for day in range(max(0, low_day), min(high_day, clinic.days - 1) + 1):
            ranges = runs(np.asarray(calendar.feasible(request, spec, day).any(axis=0)))
            if ranges:
                days[day] = ranges
        if not days:
            break  # this session cannot be booked, so neither can any after it
        low_day, high_day = max(low_day, min(days)), min(high_day, max(days))
        is_booked = model.new_bool_var(f"booked_{index}")
        cells = sorted({t for ranges in days.values() for a, b in ranges for t in range(a, b + 1)})
        tod = model.new_int_var_from_domain(cp_model.Domain.from_values(cells), f"tod_{index}")
        chosen = {day: model.new_bool_var(f"on_{index}_{day}") for day in days}
        for day, ranges in days.items():
            model.add_linear_expression_in_domain(
                tod, cp_model.Domain.from_intervals(ranges)
            ).only_enforce_if(chosen[day])
        model.add(total(chosen.values()) == is_booked)
        if index:
            model.add_implication(is_booked, booked[-1])
            gap = total(d * v for d, v in chosen.items()) - total(d * v for d, v in on[-1].items())
            model.add_linear_constraint(gap, spec.gap_min_days, spec.gap_max_days).only_enforce_if(
                is_booked
            )
        on.append(chosen)
        tods.append(tod)
        booked.append(is_booked)
    if not booked:
        return []
    specs = request.sessions[: len(booked)]
    # Time-of-day spread, with the preferred time as one of the points.
    low = model.new_int_var(0, SLOTS_PER_DAY - 1, "low")
    high = model.new_int_var(0, SLOTS_PER_DAY - 1, "high")
    model.add(low <= high)
    if request.preferred_start is not None:
        model.add(low <= request.preferred_start)
        model.add(high >= request.preferred_start)
    overtime: list[cp_model.LinearExprT] = []
    for tod, is_booked, chosen, spec in zip(tods, booked, on, specs, strict=True):
        model.add(low <= tod).only_enforce_if(is_booked)
        model.add(high >= tod).only_enforce_if(is_booked)
        extra = model.new_int_var(0, SLOTS_PER_DAY, "")
        closes = total(_regular_close(calendar, d) * v for d, v in chosen.items())
        model.add(extra >= tod + spec.duration_slots - closes).only_enforce_if(is_booked)
        overtime.append(extra)
    wait = model.new_int_var(0, clinic.days, "wait")
    first_day = total(d * v for d, v in on[0].items())
    model.add(wait == first_day - request.requested_day).only_enforce_if(booked[0])
    model.add(wait == 0).only_enforce_if(~booked[0])
    # Peak daily nurse load, counting what the calendar already holds.
    area = nurse_area(clinic)
    load_now = {d: int(v) for d, v in enumerate(calendar.nurse_used.sum(axis=1)) if v}
    current = max((percent_ceil(v, area[d]) for d, v in load_now.items() if area.get(d)), default=0)
    peak = model.new_int_var(current, 100, "peak")
    for day in sorted({d for chosen in on for d in chosen}):
        if area.get(day):
            added = total(
                nurse_load(spec, k) * chosen[day]
                for chosen, spec in zip(on, specs, strict=True)
                if day in chosen
            )
            model.add(area[day] * peak >= 100 * (load_now.get(day, 0) + added))
    # Whole only when every session had somewhere to go and the last one is booked.
    whole = booked[-1] if len(booked) == len(request.sessions) else 0
    model.maximize(
        weights.booked_session * total(booked)
        + weights.series_completed * whole
        - weights.day_to_first * wait
        - weights.spread_slot * (high - low)
        - weights.overtime_slot * total(overtime)
        - weights.peak_load_percent * (peak - current)
    )
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = settings.workers
    solver.parameters.random_seed = settings.seed
    solver.parameters.max_time_in_seconds = settings.time_limit_s
    options: list[Option] = []
    for _ in range(settings.options):
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE) or not solver.value(booked[0]):
            break
        made: list[Assignment] = []
        for index, (tod, is_booked, chosen) in enumerate(zip(tods, booked, on, strict=True)):
            if not solver.value(is_booked):
                break
            day = next(d for d, v in chosen.items() if solver.value(v))
            start = int(solver.value(tod))
            chair = calendar.chair_for(request, request.sessions[index], day, start)
            made.append(Assignment(request.id, index, day, start, chair))
        options.append(Option(tuple(made), int(solver.objective_value)))
        # Next option: a different first day.
        model.add(on[0][made[0].day] == 0)
    return options


def _regular_close(calendar: Calendar, day: int) -> int:
    clinic = calendar.grid.clinic
    hours = clinic.hours[clinic.weekday(day)]
    return hours.regular_close if hours is not None else SLOTS_PER_DAY


def book(
    calendar: Calendar,
    request: SeriesRequest,
    weights: Weights | None = None,
    settings: OnlineSettings | None = None,
) -> tuple[list[Assignment], list[Option]]:
    """Book the best option into ``calendar``; returns it and every option offered."""
    options = book_options(calendar, request, weights, settings)
    if not options:
        return [], options
    for assignment in options[0].assignments:
        calendar.book(assignment, request.sessions[assignment.session])
    return list(options[0].assignments), options
