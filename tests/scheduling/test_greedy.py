"""First fit: earliest day, earliest time, first chair - and never an invalid schedule."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from ketaclinic.scheduling import greedy
from ketaclinic.scheduling.calendar import Calendar, Grid
from ketaclinic.scheduling.checker import check
from ketaclinic.scheduling.model import Assignment, Instance, Schedule, clock

from .conftest import CLINIC, CRPS, series, small_instances


def test_it_books_each_session_at_the_earliest_day_and_time_inside_its_window() -> None:
    solved = greedy.solve(Instance("one", CLINIC, (series("A"),)))
    # Monday 08:00; the next session two days later (the window's minimum), 08:00.
    assert solved.schedule.assignments == (
        Assignment("A", 0, 0, clock(8), "REG"),
        Assignment("A", 1, 2, clock(8), "REG"),
    )


def test_it_keeps_the_equipped_chair_for_visits_that_need_it() -> None:
    solved = greedy.solve(
        Instance("two", CLINIC, (series("A", requested_day=0), series("B", (CRPS,))))
    )
    chairs = {a.series_id: a.chair_id for a in solved.schedule.assignments if a.session == 0}
    assert chairs == {"A": "REG", "B": "LONG"}


def test_it_takes_series_in_arrival_order() -> None:
    early, late = series("LATE", requested_day=0), series("EARLY", requested_day=0)
    order = greedy.arrival_order(
        Instance("x", CLINIC, (series("B", requested_day=1, earliest_day=1), early, late))
    )
    assert [r.id for r in order] == ["EARLY", "LATE", "B"]


def test_it_stops_a_series_at_the_first_session_that_finds_no_place() -> None:
    # The second session's window (2-4 days after Thursday) falls on the weekend
    # or the next Monday, beyond the one-week horizon: only the first is booked.
    thursday = series("A", requested_day=3, earliest_day=3)
    solved = greedy.solve(Instance("x", CLINIC, (thursday,)))
    assert [(a.session, a.day) for a in solved.schedule.assignments] == [(0, 3)]


def test_it_books_around_locked_appointments_and_keeps_them() -> None:
    locked = (Assignment("B", 0, 0, clock(8), "REG"),)
    instance = Instance("x", CLINIC, (series("A"), series("B", (series("B").sessions[0],))), locked)
    solved = greedy.solve(instance)
    assert set(locked) <= set(solved.schedule.assignments)
    assert check(instance, solved.schedule) == []


def test_it_books_one_series_online_into_a_calendar_without_moving_anything() -> None:
    calendar = Calendar(Grid.of(CLINIC))
    first = greedy.book_series(calendar, series("A"))
    second = greedy.book_series(calendar, series("B"))
    assert calendar.booked == first + second
    instance = Instance("x", CLINIC, (series("A"), series("B")), locked=tuple(first))
    assert check(instance, Schedule(tuple(first + second))) == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_instances())
def test_it_always_produces_a_schedule_the_checker_accepts(instance: Instance) -> None:
    assert check(instance, greedy.solve(instance).schedule) == []
