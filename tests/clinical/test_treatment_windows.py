"""The one definition of a session's window: after the session before it, before the
one after it, between both, and which sessions of a booked series break it. Pure."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical.treatment import (
    Gap,
    Window,
    breaches,
    gaps_of,
    get_protocol,
    window_after,
    window_before,
    window_between,
)

TWICE_WEEKLY = Gap(min=2, target=3, max=4)
SUNDAY = date(2026, 12, 6)


def test_it_dates_the_window_after_a_session_given_on_sunday() -> None:
    # Issue 18: session 1 given on Sunday 6 December; session 2's window is 8-10 December.
    assert window_after(SUNDAY, TWICE_WEEKLY) == Window(
        date(2026, 12, 8), date(2026, 12, 9), date(2026, 12, 10)
    )


def test_it_keeps_the_next_session_inside_its_window_when_refilling_a_hole() -> None:
    following = date(2026, 12, 14)
    assert window_before(following, TWICE_WEEKLY) == Window(
        date(2026, 12, 10), date(2026, 12, 11), date(2026, 12, 12)
    )
    between = window_between(SUNDAY, TWICE_WEEKLY, following, TWICE_WEEKLY)
    assert between == Window(date(2026, 12, 10), date(2026, 12, 10), date(2026, 12, 10))


def test_it_says_when_the_neighbours_leave_no_day() -> None:
    assert window_between(SUNDAY, TWICE_WEEKLY, SUNDAY + timedelta(3), TWICE_WEEKLY) is None
    assert window_between(None, None, None, None) is None
    assert window_between(None, None, SUNDAY, TWICE_WEEKLY) == window_before(SUNDAY, TWICE_WEEKLY)


def test_it_names_the_sessions_outside_their_windows_and_not_the_holes() -> None:
    gaps = gaps_of(get_protocol("depression_iv_twice_weekly"))
    assert gaps[1] is None and gaps[2] == TWICE_WEEKLY
    # The booking: 14, 18, 21, 25, 29 December after 6 December.
    days = {1: SUNDAY, 2: date(2026, 12, 15), 3: date(2026, 12, 18), 4: date(2026, 12, 21)}
    assert breaches(days, gaps) == [2]
    # Session 3 cancelled: a hole, not a breach (it is refilled between 2 and 4).
    assert breaches({1: SUNDAY, 2: date(2026, 12, 9), 4: date(2026, 12, 15)}, gaps) == []


@given(
    st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31)),
    st.integers(0, 10),
    st.integers(0, 10),
    st.integers(0, 10),
    st.integers(0, 30),
)
def test_between_is_exactly_the_days_inside_both_windows(
    previous: date, low: int, extra: int, more: int, distance: int
) -> None:
    gap = Gap(min=low, target=low + extra, max=low + extra + more)
    following = previous + timedelta(distance)
    window = window_between(previous, gap, following, gap)
    for offset in range(-2, distance + 3):
        day = previous + timedelta(offset)
        inside = window_after(previous, gap).contains(day) and window_after(day, gap).contains(
            following
        )
        assert inside == (window is not None and window.contains(day))
