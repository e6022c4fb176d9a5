"""When a patient message may go: quiet hours in the patient's zone, back-off."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical.messaging import backoff, may_send_at, next_morning, send_time

CHICAGO = "America/Chicago"
ZONES = st.sampled_from([CHICAGO, "America/Denver", "America/New_York", "Pacific/Honolulu"])
MOMENTS = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)


@given(MOMENTS, ZONES, st.integers(0, 12), st.integers(13, 24))
def test_it_never_sends_before_the_moment_nor_in_quiet_hours(
    when: datetime, zone: str, start: int, end: int
) -> None:
    at = send_time(when, timezone=zone, start_hour=start, end_hour=end)
    assert at >= when
    local = at.astimezone(ZoneInfo(zone))
    assert may_send_at(local.time(), start_hour=start, end_hour=end)
    # Never later than needed: at once inside the hours, else the next morning's start.
    if at != when:
        # The morning's start: start:00 on the wall clock, or the first moment after it
        # on a night the clocks skip that hour (02:00 on a spring-forward night is 03:00).
        opening = datetime.combine(local.date(), time(start), tzinfo=ZoneInfo(zone))
        assert at == opening.astimezone(UTC)
        assert at - when <= timedelta(hours=24 - (end - start) + 1)


@given(MOMENTS, ZONES)
def test_it_sends_an_urgent_message_at_once(when: datetime, zone: str) -> None:
    assert send_time(when, timezone=zone, start_hour=8, end_hour=21, urgent=True) == when


def test_it_holds_a_late_evening_message_until_eight_the_next_morning() -> None:
    late = datetime(2026, 12, 9, 21, 30, tzinfo=ZoneInfo(CHICAGO))
    at = send_time(late, timezone=CHICAGO, start_hour=8, end_hour=21)
    assert at.astimezone(ZoneInfo(CHICAGO)) == datetime(2026, 12, 10, 8, tzinfo=ZoneInfo(CHICAGO))


def test_it_holds_an_early_message_until_eight_the_same_morning() -> None:
    early = datetime(2026, 11, 1, 1, 30, tzinfo=ZoneInfo(CHICAGO))  # the night clocks fall back
    at = send_time(early, timezone=CHICAGO, start_hour=8, end_hour=21)
    assert at.astimezone(ZoneInfo(CHICAGO)) == datetime(2026, 11, 1, 8, tzinfo=ZoneInfo(CHICAGO))


def test_it_stops_at_nine_in_the_evening_exactly() -> None:
    assert may_send_at(time(20, 59), start_hour=8, end_hour=21)
    assert not may_send_at(time(21, 0), start_hour=8, end_hour=21)
    assert may_send_at(time(8, 0), start_hour=8, end_hour=21)


@given(st.integers(1, 200))
def test_it_backs_off_longer_each_time_up_to_a_cap(attempts: int) -> None:
    wait = backoff(attempts)
    assert timedelta(minutes=1) <= wait <= timedelta(hours=6)
    assert backoff(attempts + 1) >= wait


def test_it_doubles_the_wait() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    with pytest.raises(ValueError):
        backoff(0)


def test_it_checks_in_at_nine_the_next_morning_in_the_clinics_zone() -> None:
    evening = datetime(2026, 12, 9, 23, 30, tzinfo=UTC)  # 17:30 in Chicago
    at = next_morning(evening, timezone=CHICAGO, hour=9)
    assert at.astimezone(ZoneInfo(CHICAGO)) == datetime(2026, 12, 10, 9, tzinfo=ZoneInfo(CHICAGO))
