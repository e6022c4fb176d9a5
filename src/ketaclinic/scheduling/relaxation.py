"""A time-indexed relaxation added to the batch model to tighten its bound.

Visits with the same phases are interchangeable inside a day as far as chairs and
nurses go. So, per day and visit *type*, integer counts ``starts[t]`` of visits
of that type starting at slot t, summing to the visits the model puts on that
day, must respect at sampled slots u: the chairs (all, and the long-infusion
ones), and the nurses' capacity - set-up k units, the rest 1 - after the locked
visits. Patients' own hours and windows are left out, which is what makes it a
relaxation: every schedule satisfies it, so it only cuts fractional solutions
the plain model's LP would allow, raising the proven bound (time-indexed
formulations have strong LP relaxations). Checking every ``stride``-th slot
keeps it valid and smaller.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from ortools.sat.python import cp_model

from ketaclinic.scheduling.chairs import LONG
from ketaclinic.scheduling.cpsat import Builder, total
from ketaclinic.scheduling.model import SLOTS_PER_DAY, SeriesRequest, SessionSpec, Span

# The phases, the chair and the prescriber needs: what chairs and nurses see.
TypeKey = tuple[int, int, int, bool, bool]
ANY_TIME = (Span(0, SLOTS_PER_DAY),)


def _key(spec: SessionSpec) -> TypeKey:
    return (
        spec.setup_slots,
        spec.administration_slots,
        spec.duration_slots,
        spec.long_chair,
        spec.prescriber,
    )


class Counts(dict[tuple[int, TypeKey, int], cp_model.IntVar]):
    """The count variables by (day, type, start slot)."""

    def hint(self, model: cp_model.CpModel, visits: list[tuple[int, int, SessionSpec]]) -> None:
        """Hint the counts a schedule's (day, start, spec) visits make."""
        made: dict[tuple[int, TypeKey, int], int] = defaultdict(int)
        for day, start, spec in visits:
            made[day, _key(spec), start] += 1
        for key, var in self.items():
            model.add_hint(var, made.get(key, 0))


def add(builder: Builder, stride: int = 2) -> Counts:
    """Add the relaxation to ``builder``'s model; returns its count variables."""
    model, clinic, grid = builder.model, builder.clinic, builder.grid
    k = clinic.nurse_capacity_k
    on_day: dict[tuple[int, TypeKey], list[cp_model.IntVar]] = defaultdict(list)
    specs: dict[TypeKey, SessionSpec] = {}
    for visit in builder.visits.values():
        if visit.locked is None:
            key = _key(visit.spec)
            specs[key] = visit.spec
            for day, on in visit.on.items():
                on_day[day, key].append(on)
    # What the locked visits already take, per day and slot.
    chairs_used = np.zeros((clinic.days, SLOTS_PER_DAY), dtype=np.int64)
    long_used = np.zeros((clinic.days, SLOTS_PER_DAY), dtype=np.int64)
    nurse_used = np.zeros((clinic.days, SLOTS_PER_DAY), dtype=np.int64)
    for visit in builder.visits.values():
        if visit.locked is not None:
            a, spec = visit.locked, visit.spec
            end = a.start + spec.duration_slots
            chairs_used[a.day, a.start : end] += 1
            if builder.chair_pool[a.chair_id] == LONG:
                long_used[a.day, a.start : end] += 1
            nurse_used[a.day, a.start : a.start + spec.setup_slots] += k
            nurse_used[a.day, a.start + spec.setup_slots : end] += 1
    made = Counts()
    for day in range(clinic.days):
        types = [key for key in specs if (day, key) in on_day]
        if not types:
            continue
        chairs_at: dict[int, list[cp_model.LinearExprT]] = defaultdict(list)
        long_at: dict[int, list[cp_model.LinearExprT]] = defaultdict(list)
        nurse_at: dict[int, list[cp_model.LinearExprT]] = defaultdict(list)
        for key in types:
            spec = specs[key]
            # Any patient: the visits counted are already on days their patients come.
            anyone = SeriesRequest("*", "*", "*", (spec,), 0, 0, times=ANY_TIME)
            allowed = np.flatnonzero(grid.allowed_starts(anyone, spec, day))
            counts = {
                int(t): model.new_int_var(0, len(clinic.chairs), f"z_{day}_{key}_{t}")
                for t in allowed
            }
            made.update({(day, key, t): var for t, var in counts.items()})
            model.add(total(counts.values()) == total(on_day[day, key]))
            for t, count in counts.items():
                for u in range(t, t + spec.duration_slots):
                    if u % stride:
                        continue
                    chairs_at[u].append(count)
                    if spec.long_chair:
                        long_at[u].append(count)
                    nurse_at[u].append(k * count if u < t + spec.setup_slots else count)
        long_chairs = builder.pool_size[LONG]
        for u, terms in chairs_at.items():
            model.add(total(terms) <= len(clinic.chairs) - int(chairs_used[day, u]))
            model.add(total(nurse_at[u]) <= int(grid.nurse_units[day, u] - nurse_used[day, u]))
            if long_at.get(u):
                model.add(total(long_at[u]) <= long_chairs - int(long_used[day, u]))
    return made
