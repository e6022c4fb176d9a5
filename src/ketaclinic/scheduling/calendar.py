"""Where a visit can start, and a calendar of what is already booked.

Shared by the greedy baseline and the online optimizer (the checker has its own
arithmetic on purpose). Arrays are per day, one cell per 5-minute slot.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from ketaclinic.scheduling.model import (
    SLOTS_PER_DAY,
    Assignment,
    Clinic,
    SeriesRequest,
    SessionSpec,
    Span,
)

BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class Grid:
    """The clinic's fixed resources per day and slot: nurse capacity units and
    prescriber presence."""

    clinic: Clinic
    nurse_units: IntArray  # (days, slots): nurses on shift x k
    prescriber: BoolArray  # (days, slots)
    # Many patients share hours and visit phases: compute each day's starts once.
    _cache: dict[tuple[SessionSpec, tuple[Span, ...], int], BoolArray] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def of(cls, clinic: Clinic) -> Grid:
        units = np.zeros((clinic.days, SLOTS_PER_DAY), dtype=np.int64)
        for shift in clinic.nurse_shifts:
            if 0 <= shift.day < clinic.days:
                units[shift.day, shift.span.start : shift.span.end] += clinic.nurse_capacity_k
        prescriber = np.zeros((clinic.days, SLOTS_PER_DAY), dtype=np.bool_)
        for shift in clinic.prescriber_hours:
            if 0 <= shift.day < clinic.days:
                prescriber[shift.day, shift.span.start : shift.span.end] = True
        return cls(clinic, units, prescriber)

    def allowed_starts(self, request: SeriesRequest, spec: SessionSpec, day: int) -> BoolArray:
        """Starts on ``day`` that respect opening hours, the patient's availability,
        the prescriber's presence and the nurses' capacity with nothing else booked."""
        if self.clinic.weekday(day) not in request.weekdays:
            return np.zeros(SLOTS_PER_DAY, dtype=np.bool_)
        key = (spec, request.times, day)
        if key not in self._cache:
            self._cache[key] = self._starts(request.times, spec, day)
        return self._cache[key].copy()

    def _starts(self, times: tuple[Span, ...], spec: SessionSpec, day: int) -> BoolArray:
        allowed = np.zeros(SLOTS_PER_DAY, dtype=np.bool_)
        hours = self.clinic.hours_on(day)
        if hours is None:
            return allowed
        length = spec.duration_slots
        for span in times:
            first, last = max(span.start, hours.open), min(span.end, hours.close) - length
            if last >= first:
                allowed[first : last + 1] = True
        if spec.prescriber:
            covered = _all_in_window(self.prescriber[day], spec.administration_slots)
            allowed &= _shift(covered, spec.setup_slots)
        allowed &= self.nurse_fits(spec, day, np.zeros(SLOTS_PER_DAY, dtype=np.int64))
        return allowed

    def nurse_fits(self, spec: SessionSpec, day: int, used: IntArray) -> BoolArray:
        """Starts where set-up (k units) and the rest of the visit (1 unit) fit in
        the capacity left after ``used``."""
        free = self.nurse_units[day] - used
        k = self.clinic.nurse_capacity_k
        setup_ok = _all_in_window(free >= k, spec.setup_slots)
        rest_ok = _all_in_window(free >= 1, spec.duration_slots - spec.setup_slots)
        return setup_ok & _shift(rest_ok, spec.setup_slots)


def _all_in_window(ok: BoolArray, width: int) -> BoolArray:
    """``result[t]`` is True when ``ok[t : t + width]`` is all True (False past the end)."""
    result = np.zeros(SLOTS_PER_DAY, dtype=np.bool_)
    if width <= SLOTS_PER_DAY:
        windows = sliding_window_view(ok, width)
        result[: len(windows)] = windows.all(axis=1)
    return result


def _shift(values: BoolArray, by: int) -> BoolArray:
    """``result[t] = values[t + by]`` (False past the end)."""
    result = np.zeros_like(values)
    if by < len(values):
        result[: len(values) - by] = values[by:]
    return result


@dataclass
class Calendar:
    """Chairs and nurse capacity in use, per day: what a booking must fit around."""

    grid: Grid
    chair_busy: BoolArray = field(init=False)  # (days, chairs, slots)
    nurse_used: IntArray = field(init=False)  # (days, slots)
    booked: list[Assignment] = field(default_factory=list)

    def __post_init__(self) -> None:
        clinic = self.grid.clinic
        self.chair_busy = np.zeros((clinic.days, len(clinic.chairs), SLOTS_PER_DAY), np.bool_)
        self.nurse_used = np.zeros((clinic.days, SLOTS_PER_DAY), dtype=np.int64)
        self._chair_index = {chair.id: i for i, chair in enumerate(clinic.chairs)}

    def copy(self) -> Calendar:
        twin = Calendar(self.grid, booked=list(self.booked))
        twin.chair_busy = self.chair_busy.copy()
        twin.nurse_used = self.nurse_used.copy()
        return twin

    def book(self, assignment: Assignment, spec: SessionSpec) -> None:
        day, start, k = assignment.day, assignment.start, self.grid.clinic.nurse_capacity_k
        end = start + spec.duration_slots
        self.chair_busy[day, self._chair_index[assignment.chair_id], start:end] = True
        self.nurse_used[day, start : start + spec.setup_slots] += k
        self.nurse_used[day, start + spec.setup_slots : end] += 1
        self.booked.append(assignment)

    def chairs_free(self, spec: SessionSpec, day: int) -> BoolArray:
        """(chairs, slots): the chair is eligible and free for the whole visit from that start."""
        free = ~self.chair_busy[day]
        windows = sliding_window_view(free, spec.duration_slots, axis=1).all(axis=2)
        result = np.zeros((free.shape[0], SLOTS_PER_DAY), dtype=np.bool_)
        result[:, : windows.shape[1]] = windows
        if spec.long_chair:
            equipped = np.array([c.long_infusion for c in self.grid.clinic.chairs], np.bool_)
            result &= equipped[:, None]
        return result

    def feasible(self, request: SeriesRequest, spec: SessionSpec, day: int) -> BoolArray:
        """(chairs, slots): every (chair, start) where the visit fits today's calendar."""
        starts = self.grid.allowed_starts(request, spec, day)
        starts &= self.grid.nurse_fits(spec, day, self.nurse_used[day])
        return self.chairs_free(spec, day) & starts[None, :]

    def chair_for(self, request: SeriesRequest, spec: SessionSpec, day: int, start: int) -> str:
        """The first chair free for this visit; a regular chair before an equipped one,
        keeping the long-infusion chairs for the visits that need them."""
        column = self.feasible(request, spec, day)[:, start]
        chairs = self.grid.clinic.chairs
        candidates = [i for i in range(len(chairs)) if column[i]]
        if not candidates:
            raise ValueError(f"no chair free on day {day} at slot {start}")
        best = min(candidates, key=lambda i: (chairs[i].long_infusion, i))
        return chairs[best].id
