"""Why a session finds no place in its window, and the bounds a continued series
keeps to (``day_bounds``). Pure."""

from __future__ import annotations

from dataclasses import replace

from ketaclinic.scheduling import greedy, online
from ketaclinic.scheduling.calendar import Calendar, Grid
from ketaclinic.scheduling.checker import check
from ketaclinic.scheduling.explain import Blocked, why_not
from ketaclinic.scheduling.model import Assignment, Instance, Schedule, Span, clock
from tests.scheduling.conftest import CLINIC, IV, series


def calendar() -> Calendar:
    return Calendar(Grid.of(CLINIC))


def test_it_names_the_first_cause_that_leaves_no_start() -> None:
    request = series("A", (IV,))
    assert why_not(calendar(), request, 0, -5, -1) is Blocked.PAST
    assert why_not(calendar(), request, 0, 7, 9) is Blocked.HORIZON
    tue_thu = series("A", (IV,), weekdays=frozenset({1, 3}))
    assert why_not(calendar(), tue_thu, 0, 4, 6) is Blocked.PATIENT_DAYS  # Fri-Sun
    assert why_not(calendar(), series("A", (IV,)), 0, 5, 6) is Blocked.CLOSED  # the weekend
    dawn = series("A", (IV,), times=(Span(clock(6), clock(8, 30)),))
    assert why_not(calendar(), dawn, 0, 0, 4) is Blocked.TIMES
    afternoon = series("A", (IV,), weekdays=frozenset({2}), times=(Span(clock(13), clock(17)),))
    assert why_not(calendar(), afternoon, 0, 2, 2) is Blocked.PRESCRIBER  # Wednesday


def test_it_says_chairs_when_both_chairs_are_taken_all_day() -> None:
    full = calendar()
    whole_day = replace(IV, setup_min=5, administration_min=5, observation_min=5)
    for chair in ("LONG", "REG"):
        for start in range(clock(8), clock(18) - 3, 3):
            full.book(Assignment("X", 0, 0, start, chair), whole_day)
    monday = series("A", (IV,), weekdays=frozenset({0}))
    assert why_not(full, monday, 0, 0, 0) in (Blocked.CHAIRS, Blocked.NURSES)


def test_every_method_keeps_a_sessions_day_bounds() -> None:
    # Session 1 on Tuesday or Wednesday only; session 2 then 2-4 days later but by Friday.
    request = series("A", (IV, IV), day_bounds=((1, 2), (0, 4)))
    options = online.book_options(calendar(), request)
    assert options and all(1 <= o.assignments[0].day <= 2 for o in options)
    assert all(a.day <= 4 for o in options for a in o.assignments)
    made = greedy.book_series(calendar(), request)
    assert made and 1 <= made[0].day <= 2
    late = Assignment("A", 0, 3, clock(9), "REG")
    violations = check(Instance("t", CLINIC, (request,)), Schedule((late,)))
    assert any(v.kind == "window" for v in violations)
