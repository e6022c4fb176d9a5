"""The batch optimizer: one CP-SAT model of the whole horizon.

Variables, per session not locked: ``booked`` (bool); ``on[d]`` (bool) for each
candidate day d, exactly one when booked; ``tod`` (slot of day) and ``start``
(global slot, ``288 * day + tod``) whose domains are the starts allowed by
opening hours, the patient's availability, the prescriber's hours and the
nurse shifts; a chair *pool* (long-infusion chairs or regular ones; visits that
need an equipped chair only the first). Intervals are optional on ``booked``
(or the pool choice). Constraints: a cumulative per pool with the pool's chair
count (identical chairs inside a pool: any overlap profile within the count can
be given chairs, interval graphs being perfect); a cumulative for the nurses
where set-up demands k, the rest of the visit 1, with fixed intervals taking up
the capacity missing when fewer nurses are on shift; windows between a session
and the one before it, which must be booked; per-day energy cuts (chair and
nurse area) that only tighten the bound. See docs/scheduling.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from ketaclinic.scheduling.calendar import BoolArray, Grid
from ketaclinic.scheduling.chairs import LONG, REGULAR, Placed, assign_chairs, prefix_only
from ketaclinic.scheduling.model import (
    SLOTS_PER_DAY,
    Assignment,
    Instance,
    Schedule,
    SeriesRequest,
    SessionSpec,
    Weights,
)
from ketaclinic.scheduling.objective import nurse_area, nurse_load, percent_ceil


@dataclass(frozen=True)
class Settings:
    """Solver settings. Two workers: the machine has two cores, and more workers
    than cores only slows each one down. A fixed seed and worker count make runs
    repeatable up to where the wall-clock limit cuts them; ``deterministic`` makes
    them repeatable outright: the workers' search is interleaved
    (``interleave_search``) and every limit is in CP-SAT's deterministic time
    (work units of roughly a second) instead of the clock.
    """

    time_limit_s: float = 60.0
    workers: int = 2
    seed: int = 2026
    hint_greedy: bool = True
    # Add the time-indexed relaxation (relaxation.py) checked every this many slots;
    # 0 leaves it out.
    relaxation_stride: int = 2
    # "monolithic" (one model), "decomposed" (decompose.py) or "auto": one model
    # while it weighs at most ``monolithic_max_pairs`` (session, day) pairs.
    method: str = "auto"
    monolithic_max_pairs: int = 3000
    # Decomposition: windows of this many days (0: about 70 chair-days, so 7 days
    # of 10 chairs, 3 of 24), moved on by ``window_step_days`` (0: four sevenths of
    # a window), each solved for at most ``window_s``; the days-only bound gets
    # ``bound_share`` of the time. Single runs, noisy: on medium_tight 3 s windows
    # gave +2.7% over greedy, 6 s +1.5%; on large 3-day windows +1.3%, 7-day +0.3%.
    window_days: int = 0
    window_step_days: int = 0
    window_s: float = 3.0
    bound_share: float = 0.25
    bound_max_pairs: int = 30_000  # the days-only bound is skipped above this
    deterministic: bool = False


def total(terms: Iterable[cp_model.LinearExprT]) -> cp_model.LinearExpr:
    """The sum of CP-SAT expressions, typed as one (``sum`` mixes in numpy ints for mypy)."""
    return cp_model.LinearExpr.sum(*terms)


def runs(allowed: BoolArray) -> list[list[int]]:
    """Closed intervals ``[a, b]`` of the True cells of a boolean array."""
    cells = np.flatnonzero(allowed)
    if cells.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(cells) > 1)
    starts = np.concatenate(([cells[0]], cells[breaks + 1]))
    ends = np.concatenate((cells[breaks], [cells[-1]]))
    return [[int(a), int(b)] for a, b in zip(starts, ends, strict=True)]


@dataclass
class Visit:
    """One session's variables (or constants when locked)."""

    request: SeriesRequest
    index: int
    spec: SessionSpec
    locked: Assignment | None = None
    days: dict[int, list[list[int]]] = field(default_factory=dict)  # day -> allowed tod runs
    booked: cp_model.IntVar | None = None
    on: dict[int, cp_model.IntVar] = field(default_factory=dict)
    tod: cp_model.IntVar | None = None
    start: cp_model.IntVar | None = None
    pools: dict[str, cp_model.IntVar] = field(default_factory=dict)
    overtime: cp_model.IntVar | None = None


class Builder:
    """The model. ``days`` limits where unlocked visits may go (a window of the
    decomposition); ``timed=False`` leaves out start times, chairs and nurses
    (the days-only model, whose time-indexed relaxation stands in for them)."""

    def __init__(
        self,
        instance: Instance,
        weights: Weights,
        days: range | None = None,
        timed: bool = True,
        peak_floor: int = 0,
    ) -> None:
        self.instance = instance
        self.only_days = days
        self.timed = timed
        self.peak_floor = peak_floor  # nurse load (percent) on days left out of the model
        self.clinic = instance.clinic
        self.weights = weights
        self.grid = Grid.of(self.clinic)
        self.model = cp_model.CpModel()
        self.visits: dict[tuple[str, int], Visit] = {}
        self.spans: dict[str, tuple[cp_model.IntVar, cp_model.IntVar]] = {}
        self.waits: dict[str, cp_model.IntVar] = {}
        self.peak: cp_model.IntVar | None = None
        self.pool_size = {
            LONG: sum(chair.long_infusion for chair in self.clinic.chairs),
            REGULAR: sum(not chair.long_infusion for chair in self.clinic.chairs),
        }
        self.chair_pool = {
            chair.id: LONG if chair.long_infusion else REGULAR for chair in self.clinic.chairs
        }

    # -- candidate days ---------------------------------------------------------------
    def _candidates(self) -> None:
        locked = {(a.series_id, a.session): a for a in self.instance.locked}
        for request in self.instance.series:
            low, high = request.earliest_day, self.clinic.days - 1
            for index, spec in enumerate(request.sessions):
                step = (spec.gap_min_days, spec.gap_max_days) if index else (0, 0)
                low, high = request.bounds(index, low + step[0], high + step[1])
                visit = Visit(request, index, spec, locked.get((request.id, index)))
                self.visits[request.id, index] = visit
                if visit.locked is not None:
                    low = high = visit.locked.day
                    continue
                for day in range(max(0, low), min(high, self.clinic.days - 1) + 1):
                    if self.only_days is not None and day not in self.only_days:
                        continue
                    allowed = self.grid.allowed_starts(request, spec, day)
                    if allowed.any():
                        visit.days[day] = runs(allowed)
                if visit.days:
                    low, high = max(low, min(visit.days)), min(high, max(visit.days))

    # -- variables --------------------------------------------------------------------
    def _variables(self) -> None:
        model = self.model
        for (series_id, index), visit in self.visits.items():
            if visit.locked is not None:
                continue
            name = f"{series_id}_{index}"
            visit.booked = model.new_bool_var(f"booked_{name}")
            if not visit.days:
                model.add(visit.booked == 0)
                continue
            if not self.timed:
                visit.on = {day: model.new_bool_var(f"on_{name}_{day}") for day in visit.days}
                model.add(total(visit.on.values()) == visit.booked)
                continue
            starts = [
                [SLOTS_PER_DAY * day + a, SLOTS_PER_DAY * day + b]
                for day, ranges in visit.days.items()
                for a, b in ranges
            ]
            tod_cells = {
                t for ranges in visit.days.values() for a, b in ranges for t in range(a, b + 1)
            }
            visit.tod = model.new_int_var_from_domain(
                cp_model.Domain.from_values(sorted(tod_cells)), f"tod_{name}"
            )
            visit.start = model.new_int_var_from_domain(
                cp_model.Domain.from_intervals(starts), f"start_{name}"
            )
            for day, ranges in visit.days.items():
                on = model.new_bool_var(f"on_{name}_{day}")
                visit.on[day] = on
                model.add_linear_expression_in_domain(
                    visit.tod, cp_model.Domain.from_intervals(ranges)
                ).only_enforce_if(on)
            model.add(total(visit.on.values()) == visit.booked)
            model.add(
                visit.start == SLOTS_PER_DAY * self.day_of(visit) + visit.tod
            ).only_enforce_if(visit.booked)
            if visit.spec.long_chair or self.pool_size[REGULAR] == 0:
                visit.pools = {LONG: visit.booked}
            elif self.pool_size[LONG] == 0:
                visit.pools = {REGULAR: visit.booked}
            else:
                visit.pools = {
                    pool: model.new_bool_var(f"{pool}_{name}") for pool in (LONG, REGULAR)
                }
                model.add(total(visit.pools.values()) == visit.booked)
            latest_end = max(b for ranges in visit.days.values() for _, b in ranges) + (
                visit.spec.duration_slots
            )
            if any(self._regular_close(day) < latest_end for day in visit.days):
                visit.overtime = model.new_int_var(0, SLOTS_PER_DAY, f"overtime_{name}")
                closes = total(self._regular_close(day) * on for day, on in visit.on.items())
                model.add(
                    visit.overtime >= visit.tod + visit.spec.duration_slots - closes
                ).only_enforce_if(visit.booked)

    def _regular_close(self, day: int) -> int:
        hours = self.clinic.hours[self.clinic.weekday(day)]
        return hours.regular_close if hours is not None else SLOTS_PER_DAY

    def day_of(self, visit: Visit) -> cp_model.LinearExpr | int:
        if visit.locked is not None:
            return visit.locked.day
        return total(day * on for day, on in visit.on.items())

    def tod_of(self, visit: Visit) -> cp_model.LinearExpr | int:
        if visit.locked is not None:
            return visit.locked.start
        assert visit.tod is not None
        return visit.tod

    def present(self, visit: Visit) -> cp_model.IntVar | bool:
        return True if visit.locked is not None else visit.booked  # type: ignore[return-value]

    # -- constraints ------------------------------------------------------------------
    def _resources(self) -> None:
        model, clinic, k = self.model, self.clinic, self.clinic.nurse_capacity_k
        pool_intervals: dict[str, list[cp_model.IntervalVar]] = {LONG: [], REGULAR: []}
        nurse_intervals: list[cp_model.IntervalVar] = []
        nurse_demands: list[int] = []
        for (series_id, index), visit in self.visits.items():
            spec, name = visit.spec, f"{series_id}_{index}"
            setup, length = spec.setup_slots, spec.duration_slots
            if visit.locked is not None:
                if self.only_days is not None and visit.locked.day not in self.only_days:
                    continue  # fixed, and nothing free shares its day
                at = SLOTS_PER_DAY * visit.locked.day + visit.locked.start
                pool = self.chair_pool[visit.locked.chair_id]
                pool_intervals[pool].append(model.new_fixed_size_interval_var(at, length, name))
                nurse_intervals.append(model.new_fixed_size_interval_var(at, setup, f"s_{name}"))
                nurse_intervals.append(
                    model.new_fixed_size_interval_var(at + setup, length - setup, f"m_{name}")
                )
                nurse_demands += [k, 1]
                continue
            if visit.start is None or visit.booked is None:
                continue
            for pool, present in visit.pools.items():
                pool_intervals[pool].append(
                    model.new_optional_fixed_size_interval_var(
                        visit.start, length, present, f"{pool}_{name}"
                    )
                )
            nurse_intervals.append(
                model.new_optional_fixed_size_interval_var(
                    visit.start, setup, visit.booked, f"s_{name}"
                )
            )
            nurse_intervals.append(
                model.new_optional_fixed_size_interval_var(
                    visit.start + setup, length - setup, visit.booked, f"m_{name}"
                )
            )
            nurse_demands += [k, 1]
        for pool, intervals in pool_intervals.items():
            if intervals:
                model.add_cumulative(intervals, [1] * len(intervals), self.pool_size[pool])
        # Capacity varies over the day: fixed intervals use up what absent nurses lack.
        ceiling = int(self.grid.nurse_units.max())
        for day in self.only_days or range(clinic.days):
            units = self.grid.nurse_units[day]
            slot = 0
            while slot < SLOTS_PER_DAY:
                end = slot
                while end < SLOTS_PER_DAY and units[end] == units[slot]:
                    end += 1
                missing = ceiling - int(units[slot])
                if missing > 0:
                    at = SLOTS_PER_DAY * day + slot
                    nurse_intervals.append(
                        model.new_fixed_size_interval_var(at, end - slot, f"off_{day}_{slot}")
                    )
                    nurse_demands.append(missing)
                slot = end
        model.add_cumulative(nurse_intervals, nurse_demands, ceiling)

    def _windows(self) -> None:
        model = self.model
        for request in self.instance.series:
            for index in range(1, len(request.sessions)):
                visit = self.visits[request.id, index]
                before = self.visits[request.id, index - 1]
                if visit.locked is not None and before.locked is not None:
                    continue
                gap = self.day_of(visit) - self.day_of(before)
                low, high = visit.spec.gap_min_days, visit.spec.gap_max_days
                if visit.locked is not None:
                    # A locked session needs the one before it, inside its window.
                    assert before.booked is not None
                    model.add(before.booked == 1)
                    model.add_linear_constraint(gap, low, high)
                    continue
                assert visit.booked is not None
                if before.locked is None:
                    assert before.booked is not None
                    model.add_implication(visit.booked, before.booked)
                model.add_linear_constraint(gap, low, high).only_enforce_if(visit.booked)

    def _daily_load(self) -> cp_model.IntVar:
        """Peak nurse utilisation (percent) over days; adds per-day energy cuts."""
        model, clinic, k = self.model, self.clinic, self.clinic.nurse_capacity_k
        area = nurse_area(clinic)
        load: dict[int, list[cp_model.LinearExprT]] = {}
        chair_slots: dict[int, list[cp_model.LinearExprT]] = {}
        long_slots: dict[int, list[cp_model.LinearExprT]] = {}
        for visit in self.visits.values():
            spec = visit.spec
            placed = {visit.locked.day: 1} if visit.locked is not None else dict(visit.on.items())
            for day, on in placed.items():
                load.setdefault(day, []).append(nurse_load(spec, k) * on)
                chair_slots.setdefault(day, []).append(spec.duration_slots * on)
                on_long = spec.long_chair or (
                    visit.locked is not None and self.chair_pool[visit.locked.chair_id] == LONG
                )
                if on_long:
                    long_slots.setdefault(day, []).append(spec.duration_slots * on)
        self.peak = model.new_int_var(min(self.peak_floor, 100), 100, "peak_load_percent")
        for day, terms in load.items():
            if area.get(day):
                model.add(area[day] * self.peak >= 100 * total(terms))
            hours = clinic.hours_on(day)
            if hours is None:
                continue
            width = hours.close - hours.open
            model.add(total(chair_slots[day]) <= len(clinic.chairs) * width)
            if day in long_slots:
                model.add(total(long_slots[day]) <= self.pool_size[LONG] * width)
        return self.peak

    # -- objective --------------------------------------------------------------------
    def _objective(self) -> None:
        model, weights = self.model, self.weights
        booked: list[cp_model.LinearExprT] = []
        completed: list[cp_model.LinearExprT] = []
        waits: list[cp_model.LinearExprT] = []
        spreads: list[cp_model.LinearExprT] = []
        overtime: list[cp_model.LinearExprT] = []
        for request in self.instance.series:
            visits = [self.visits[request.id, i] for i in range(len(request.sessions))]
            first = visits[0]
            if first.locked is not None:
                waits.append(first.locked.day - request.requested_day)
            elif first.booked is not None and first.on:
                wait = model.new_int_var(0, self.clinic.days, f"wait_{request.id}")
                model.add(wait == self.day_of(first) - request.requested_day).only_enforce_if(
                    first.booked
                )
                model.add(wait == 0).only_enforce_if(~first.booked)
                self.waits[request.id] = wait
                waits.append(wait)
            bookable = [v for v in visits if v.locked is not None or v.on] if self.timed else []
            if bookable:
                low = model.new_int_var(0, SLOTS_PER_DAY - 1, f"low_{request.id}")
                high = model.new_int_var(0, SLOTS_PER_DAY - 1, f"high_{request.id}")
                self.spans[request.id] = (low, high)
                model.add(low <= high)
                if request.preferred_start is not None:
                    model.add(low <= request.preferred_start)
                    model.add(high >= request.preferred_start)
                for visit in bookable:
                    present = self.present(visit)
                    tod = self.tod_of(visit)
                    if present is True:
                        model.add(low <= tod)
                        model.add(high >= tod)
                    else:
                        model.add(low <= tod).only_enforce_if(present)
                        model.add(high >= tod).only_enforce_if(present)
                spreads.append(high - low)
            # Sessions are booked in order: the series is whole when its last one is.
            last = visits[-1]
            if last.locked is not None:
                completed.append(1)
            elif last.booked is not None:
                completed.append(last.booked)
            for visit in visits:
                if visit.locked is not None:
                    booked.append(1)
                    end = visit.locked.start + visit.spec.duration_slots
                    overtime.append(max(0, end - self._regular_close(visit.locked.day)))
                elif visit.booked is not None:
                    booked.append(visit.booked)
                    if visit.overtime is not None:
                        overtime.append(visit.overtime)
        peak = self._daily_load()
        model.maximize(
            weights.booked_session * total(booked)
            + weights.series_completed * total(completed)
            - weights.day_to_first * total(waits)
            - weights.spread_slot * total(spreads)
            - weights.overtime_slot * total(overtime)
            - weights.peak_load_percent * peak
        )

    def build(self) -> Builder:
        self._candidates()
        self._variables()
        if self.timed:
            self._resources()
        self._windows()
        self._objective()
        return self

    # -- hints and decoding -------------------------------------------------------------
    def hint(self, schedule: Schedule) -> None:
        """Warm start: a complete hint from a valid schedule (greedy's)."""
        model, k = self.model, self.clinic.nurse_capacity_k
        by_key = {(a.series_id, a.session): a for a in schedule.assignments}
        for key, visit in self.visits.items():
            if visit.locked is not None or visit.booked is None:
                continue
            a = by_key.get(key)
            usable = a is not None and a.day in visit.on
            model.add_hint(visit.booked, usable)
            for day, on in visit.on.items():
                model.add_hint(on, usable and a is not None and a.day == day)
            if visit.tod is None or visit.start is None:
                continue
            if a is not None and usable:
                model.add_hint(visit.tod, a.start)
                model.add_hint(visit.start, SLOTS_PER_DAY * a.day + a.start)
                pool = self.chair_pool[a.chair_id]
                for name, var in visit.pools.items():
                    if var is not visit.booked:
                        model.add_hint(var, name == pool)
                if visit.overtime is not None:
                    end = a.start + visit.spec.duration_slots
                    model.add_hint(visit.overtime, max(0, end - self._regular_close(a.day)))
            else:
                day = min(visit.on)
                first = visit.days[day][0][0]
                model.add_hint(visit.tod, first)
                model.add_hint(visit.start, SLOTS_PER_DAY * day + first)
                for var in visit.pools.values():
                    if var is not visit.booked:
                        model.add_hint(var, False)
                if visit.overtime is not None:
                    model.add_hint(visit.overtime, 0)
        requests = self.instance.series_by_id()
        for series_id, wait in self.waits.items():
            a = by_key.get((series_id, 0))
            model.add_hint(wait, 0 if a is None else a.day - requests[series_id].requested_day)
        for series_id, (low, high) in self.spans.items():
            request = requests[series_id]
            starts = [a.start for a in schedule.of_series(series_id)]
            if request.preferred_start is not None:
                starts.append(request.preferred_start)
            model.add_hint(low, min(starts, default=0))
            model.add_hint(high, min(starts, default=0) if not starts else max(starts))
        if self.peak is not None:
            area = nurse_area(self.clinic)
            load: dict[int, int] = {}
            for a in schedule.assignments:
                if a.series_id in requests:  # the rest lie outside this model's days
                    spec = requests[a.series_id].sessions[a.session]
                    load[a.day] = load.get(a.day, 0) + nurse_load(spec, k)
            peak = max(
                (percent_ceil(v, area[d]) for d, v in load.items() if area.get(d)), default=0
            )
            model.add_hint(self.peak, max(peak, self.peak_floor))

    def decode(self, solver: cp_model.CpSolver) -> tuple[Schedule, int]:
        """The solver's visits with chairs given per pool and day; returns the schedule
        and how many visits found no chair (then they and their series' later sessions
        are left out, so the schedule stays valid)."""
        placed: list[Placed] = []
        for visit in self.visits.values():
            if visit.locked is not None or visit.booked is None or not solver.value(visit.booked):
                continue
            assert visit.tod is not None
            day = next(d for d, on in visit.on.items() if solver.value(on))
            pool = next(p for p, var in visit.pools.items() if solver.value(var))
            placed.append(
                Placed(visit.request.id, visit.index, day, int(solver.value(visit.tod)), pool)
            )
        chosen, unplaced = assign_chairs(self.instance, placed)
        return prefix_only(self.instance, chosen), unplaced
