"""The demo's clock: 13:30 on the most recent open weekday, never after the moment
the demo is loaded; holiday closures from the `holidays` package."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.appointments.holidays import holiday_closures
from ketaclinic.demo.clock import DEMO_TIME, demo_moment

ZONE = "America/Chicago"
CLOSED = set(holiday_closures("US", "TX", date(2025, 1, 1), date(2028, 12, 31)))


def test_it_closes_on_the_big_six_holidays_observed_days_included() -> None:
    found = holiday_closures("US", "TX", date(2026, 1, 1), date(2026, 12, 31))
    assert found == {
        date(2026, 1, 1): "New Year's Day",
        date(2026, 5, 25): "Memorial Day",
        date(2026, 7, 3): "Independence Day (observed)",
        date(2026, 7, 4): "Independence Day",
        date(2026, 9, 7): "Labor Day",
        date(2026, 11, 26): "Thanksgiving Day",
        date(2026, 12, 25): "Christmas Day",
    }


def test_it_puts_a_night_or_a_weekend_back_to_the_last_open_afternoon() -> None:
    chicago = ZoneInfo(ZONE)
    sunday_night = datetime(2026, 12, 6, 0, 30, tzinfo=chicago)
    assert demo_moment(sunday_night, ZONE, CLOSED) == datetime(2026, 12, 4, 13, 30, tzinfo=chicago)
    wednesday_dawn = datetime(2026, 12, 9, 6, 0, tzinfo=chicago)
    assert demo_moment(wednesday_dawn, ZONE, CLOSED).date() == date(2026, 12, 8)
    wednesday_evening = datetime(2026, 12, 9, 23, 30, tzinfo=chicago)
    assert demo_moment(wednesday_evening, ZONE, CLOSED).date() == date(2026, 12, 9)
    thanksgiving = datetime(2026, 11, 26, 14, 0, tzinfo=chicago)
    assert demo_moment(thanksgiving, ZONE, CLOSED).date() == date(2026, 11, 25)
    new_year = datetime(2027, 1, 1, 0, 30, tzinfo=chicago)
    assert demo_moment(new_year, ZONE, CLOSED).date() == date(2026, 12, 31)


@given(st.datetimes(datetime(2025, 2, 1), datetime(2028, 11, 30), timezones=st.just(UTC)))
def test_it_is_always_the_latest_open_afternoon_not_after_loading(now: datetime) -> None:
    moment = demo_moment(now, ZONE, CLOSED)
    local = moment.astimezone(ZoneInfo(ZONE))
    assert local.time() == DEMO_TIME and local.weekday() < 5 and local.date() not in CLOSED
    assert moment <= now < moment + timedelta(days=6)
    # No open weekday afternoon lies between it and the moment of loading.
    day = local.date() + timedelta(days=1)
    while datetime.combine(day, time(13, 30), ZoneInfo(ZONE)) <= now:
        assert day.weekday() >= 5 or day in CLOSED
        day += timedelta(days=1)
