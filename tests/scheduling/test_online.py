"""Online booking: a few options, the calendar untouched, the booking valid."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings

from ketaclinic.scheduling import greedy, online
from ketaclinic.scheduling.calendar import Calendar, Grid
from ketaclinic.scheduling.checker import check
from ketaclinic.scheduling.model import Instance, Schedule

from .conftest import CLINIC, series, small_instances


def test_it_offers_a_few_options_each_starting_on_a_different_day() -> None:
    options = online.book_options(Calendar(Grid.of(CLINIC)), series("A"))
    assert len(options) == 3
    assert len({option.assignments[0].day for option in options}) == 3
    assert [o.score for o in options] == sorted((o.score for o in options), reverse=True)


def test_it_leaves_the_calendar_alone_until_asked_to_book() -> None:
    calendar = Calendar(Grid.of(CLINIC))
    greedy.book_series(calendar, series("A"))
    before = calendar.chair_busy.copy(), calendar.nurse_used.copy(), list(calendar.booked)
    online.book_options(calendar, series("B"))
    assert (calendar.chair_busy == before[0]).all() and (calendar.nurse_used == before[1]).all()
    assert calendar.booked == before[2]


def test_it_offers_nothing_when_the_first_session_cannot_be_booked() -> None:
    too_late = series("A", requested_day=5, earliest_day=5)  # Saturday onwards: closed
    assert online.book_options(Calendar(Grid.of(CLINIC)), too_late) == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_instances())
def test_it_books_series_one_by_one_into_a_valid_calendar_without_moving_any(
    instance: Instance,
) -> None:
    *earlier, last = instance.series
    before = replace(instance, series=tuple(earlier))
    booked = greedy.solve(before).schedule
    calendar = greedy.calendar_with(before, booked)
    made, _ = online.book(calendar, last)
    frozen = replace(instance, locked=booked.assignments)
    assert check(frozen, Schedule(tuple(sorted(calendar.booked)))) == []
    assert calendar.booked == [*booked.assignments, *made]
