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
    theirs; the others, day by day and pool by pool, take chairs in start order
    (greedy colouring: exact for intervals when nothing is locked). When locked
    chairs make that fail, a bounded backtracking search tries again; what still
    finds no chair is left out and counted."""
    requests = instance.series_by_id()
    locked: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for a in instance.locked:
        length = requests[a.series_id].sessions[a.session].duration_slots
        locked.setdefault((a.chair_id, a.day), []).append((a.start, a.start + length))
    chairs = {
        LONG: [c.id for c in instance.clinic.chairs if c.long_infusion],
        REGULAR: [c.id for c in instance.clinic.chairs if not c.long_infusion],
    }
    groups: dict[tuple[int, str], list[Placed]] = {}
    for visit in placed:
        groups.setdefault((visit.day, visit.pool), []).append(visit)
    out = list(instance.locked)
    unplaced = 0
    for (day, pool), visits in sorted(groups.items()):
        visits.sort(key=lambda p: (p.tod, p.series_id, p.index))
        spans = [
            (v.tod, v.tod + requests[v.series_id].sessions[v.index].duration_slots) for v in visits
        ]
        busy = {chair: list(locked.get((chair, day), [])) for chair in chairs[pool]}
        given = _colour(spans, busy, search=False) or _colour(spans, busy, search=True)
        if given is None:  # give up on the search: first fit, leaving some out
            given = _colour(spans, busy, search=False, partial=True)
        assert given is not None
        for visit, chair in zip(visits, given, strict=True):
            if chair is None:
                unplaced += 1
            else:
                out.append(Assignment(visit.series_id, visit.index, day, visit.tod, chair))
    return out, unplaced


def _colour(
    spans: list[tuple[int, int]],
    busy: dict[str, list[tuple[int, int]]],
    *,
    search: bool,
    partial: bool = False,
    node_limit: int = 20_000,
) -> list[str | None] | None:
    """A chair per span (in order) free of ``busy`` and of each other: first fit,
    or a depth-first search over the free chairs up to ``node_limit`` nodes.
    ``partial`` first fit leaves a span without a chair (None) instead of failing."""
    taken = {chair: list(intervals) for chair, intervals in busy.items()}
    chosen: list[str | None] = []
    nodes = 0

    def free(index: int) -> list[str]:
        start, end = spans[index]
        return [c for c, iv in taken.items() if all(end <= s or e <= start for s, e in iv)]

    def place(index: int) -> bool:
        nonlocal nodes
        if index == len(spans):
            return True
        options = free(index)
        if not search:
            options = options[:1]
        for chair in options:
            nodes += 1
            if nodes > node_limit:
                return False
            taken[chair].append(spans[index])
            chosen.append(chair)
            if place(index + 1):
                return True
            taken[chair].pop()
            chosen.pop()
        if partial:
            chosen.append(None)
            return place(index + 1)
        return False

    return chosen if place(0) else None


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
