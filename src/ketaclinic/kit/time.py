"""Times are stored in UTC and shown in the clinic's time zone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; we only ever store UTC, so say so."""
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
