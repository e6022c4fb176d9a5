"""Chairs for visits whose day, start and chair pool are chosen.

The optimizer decides pools, not chairs: chairs inside a pool are identical, and
a set of intervals whose overlap never exceeds the pool's size can always be
given chairs (interval graphs are perfect). Locked visits keep their chairs,
which can break that guarantee; a visit that then finds no chair is left out
(with the series' later sessions) and counted, so the schedule stays valid.
"""

from __future__ import annotations

from dataclasses import dataclass

from ketaclinic.scheduling.model import Assignment, Instance, Schedule

LONG, REGULAR = "long", "regular"


@dataclass(frozen=True)
class Placed:
    series_id: str
    index: int
    day: int
    tod: int
    pool: str


def assign_chairs(instance: Instance, placed: list[Placed]) -> tuple[list[Assignment], int]:
    """Chairs for visits whose pool, day and start are chosen: locked visits keep
    theirs; the others, in start order, take a chair of their pool free for the whole
    visit (a greedy colouring, optimal for intervals when nothing is locked)."""
    requests = instance.series_by_id()
    busy: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for a in instance.locked:
        length = requests[a.series_id].sessions[a.session].duration_slots
        busy.setdefault((a.chair_id, a.day), []).append((a.start, a.start + length))
    chairs = {
        LONG: [c.id for c in instance.clinic.chairs if c.long_infusion],
        REGULAR: [c.id for c in instance.clinic.chairs if not c.long_infusion],
    }
    out = list(instance.locked)
    unplaced = 0
    for visit in sorted(placed, key=lambda p: (p.day, p.tod, p.series_id, p.index)):
        day, tod = visit.day, visit.tod
        end = tod + requests[visit.series_id].sessions[visit.index].duration_slots
        free = [
            chair
            for chair in chairs[visit.pool]
            if all(end <= s or e <= tod for s, e in busy.get((chair, day), []))
        ]
        if not free:
            unplaced += 1
            continue
        # Best fit: the chair whose last visit ended latest before this one.
        chair = max(
            free,
            key=lambda c: max((e for s, e in busy.get((c, day), []) if e <= tod), default=-1),
        )
        busy.setdefault((chair, day), []).append((tod, end))
        out.append(Assignment(visit.series_id, visit.index, day, tod, chair))
    return out, unplaced


def prefix_only(instance: Instance, assignments: list[Assignment]) -> Schedule:
    """Keep each series' sessions up to its first gap: later ones lost their anchor."""
    by_series: dict[str, dict[int, Assignment]] = {}
    for a in assignments:
        by_series.setdefault(a.series_id, {})[a.session] = a
    kept: list[Assignment] = []
    for sessions in by_series.values():
        index = 0
        while index in sessions:
            kept.append(sessions[index])
            index += 1
    return Schedule(tuple(sorted(kept)))
