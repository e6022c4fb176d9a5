"""The one clock, and times stored in UTC but shown in the clinic's time zone.

Everything that asks "now" or "today" asks here (``tests/test_architecture.py``
refuses ``datetime.now``, ``date.today`` and ``time.time`` anywhere else), so a test
freezes the whole application with a time-travel library and the demo can run on a
clock of its own: a fixed shift from the wall clock, stored in the database by the
demo loader and applied by the app and the CLI (``kit.clock_setting``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

# The shift of this process's clock from the wall clock: zero in production; the
# demo's clock otherwise. Process-wide on purpose (the threadpool's workers must
# see it), set only at start-up or around one command.
_shift = timedelta(0)


def _wall() -> datetime:
    """The wall clock: the one place the process reads it (tests freeze it with
    time-machine; the demo shifts what ``utcnow`` makes of it)."""
    return datetime.now(UTC)


def utcnow() -> datetime:
    """Now, in UTC, by the application's clock."""
    return _wall() + _shift


def now_in(timezone: str) -> datetime:
    """Now on the wall of a clinic in ``timezone``."""
    return utcnow().astimezone(ZoneInfo(timezone))


def today_in(timezone: str) -> date:
    """The calendar date at a clinic in ``timezone`` (not the server's date)."""
    return now_in(timezone).date()


def wall_seconds() -> float:
    """The wall clock as Unix time, never shifted: for clocks outside ours (the
    authenticator app on a phone counts its one-time codes from it)."""
    return _wall().timestamp()


def wall_utcnow() -> datetime:
    """The wall clock, never shifted: for times another system stamped with its own
    clock (a SMART client's signed assertion); the demo's shift does not apply."""
    return _wall()


def latest_date_on_earth() -> date:
    """Today's date where it is latest (UTC+14): a date after it is in the future
    everywhere, whatever the clinic's zone."""
    return (utcnow() + timedelta(hours=14)).date()


def clock_shift() -> timedelta:
    return _shift


def set_clock_shift(shift: timedelta) -> None:
    """Run this process on a clock shifted from the wall clock (the demo's clock)."""
    global _shift
    _shift = shift


@contextmanager
def shifted_clock(shift: timedelta) -> Iterator[None]:
    """The clock shifted for the duration of one command (a CLI run, a demo load)."""
    before = _shift
    set_clock_shift(shift)
    try:
        yield
    finally:
        set_clock_shift(before)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; we only ever store UTC, so say so."""
    if value.tzinfo is UTC:  # as most are (every one read from the database): as is
        return value
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_local(value: datetime, timezone: str) -> datetime:
    return as_utc(value).astimezone(ZoneInfo(timezone))


def age_on(birth_date: date, today: date) -> int:
    years = today.year - birth_date.year
    if (today.month, today.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


# Loading historical records (a paper log being carried over, the demo's day)
# stamps what is written with the time it happened; everything else is stamped now.
_HISTORICAL: ContextVar[datetime | None] = ContextVar("historical", default=None)


@contextmanager
def recorded_at(when: datetime) -> Iterator[None]:
    """Stamp the records written inside with ``when`` (historical records only)."""
    token = _HISTORICAL.set(when)
    try:
        yield
    finally:
        _HISTORICAL.reset(token)


def recorded_now() -> datetime:
    """Now in UTC, or the historical time being recorded."""
    historical = _HISTORICAL.get()
    return utcnow() if historical is None else historical.astimezone(UTC)
