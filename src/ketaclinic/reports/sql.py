"""The SQL fragments that differ between SQLite and PostgreSQL: a UTC instant's
clinic-local day (as a day number since 1970-01-01), the days between two instants,
the age in whole years on a day, the larger of two values.

SQLite has no time zones: the clinic's UTC offset is spelled out as a CASE over the
zone's transitions (from ``zoneinfo``) in the span the report looks at, so a reading at
23:30 in Chicago counts on Chicago's day on both databases.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

_EPOCH_JULIAN = 2440587.5  # julianday('1970-01-01')
_SQLITE_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def _offsets(zone: str, start: date, end: date) -> tuple[int, list[tuple[datetime, int]]]:
    """The UTC offset (seconds) at ``start`` and each change until ``end``: (at, new)."""
    tz = ZoneInfo(zone)

    def offset(at: datetime) -> int:
        found = at.astimezone(tz).utcoffset()
        return int(found.total_seconds()) if found is not None else 0

    at = datetime(start.year, start.month, start.day, tzinfo=UTC)
    stop = datetime(end.year, end.month, end.day, tzinfo=UTC)
    first = current = offset(at)
    changes: list[tuple[datetime, int]] = []
    while at < stop:
        following = at + timedelta(days=1)
        if offset(following) != current:
            hour = at
            while offset(hour) == current:  # the hour it changed (zones change on hours)
                hour += timedelta(minutes=15)
            current = offset(hour)
            changes.append((hour, current))
        at = following
    return first, changes


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class Dialect:
    """SQL for one database, for zones in a span of dates."""

    def __init__(self, name: str, zones: Sequence[str], start: date, end: date) -> None:
        self.name = name
        self.postgres = name == "postgresql"
        self._zones = sorted(set(zones))
        self._start, self._end = start, end

    def _sqlite_offset(self, column: str, zone: str) -> str:
        first, changes = _offsets(zone, self._start, self._end)
        if not changes:
            return str(first)
        cases, before = [], first
        for at, new in changes:
            cases.append(f"WHEN {column} < '{at.strftime(_SQLITE_FORMAT)}' THEN {before}")
            before = new
        return f"(CASE {' '.join(cases)} ELSE {before} END)"

    def day(self, column: str, zone_column: str) -> str:
        """The clinic-local day of a UTC instant, as whole days since 1970-01-01."""
        if self.postgres:
            return f"(CAST(({column} AT TIME ZONE {zone_column}) AS DATE) - DATE '1970-01-01')"
        if len(self._zones) == 1:
            offset = self._sqlite_offset(column, self._zones[0])
        else:
            whens = " ".join(
                f"WHEN {_quote(z)} THEN {self._sqlite_offset(column, z)}" for z in self._zones
            )
            offset = f"(CASE {zone_column} {whens} ELSE 0 END)"
        return f"CAST(julianday({column}, ({offset}) || ' seconds') - {_EPOCH_JULIAN} AS INTEGER)"

    def local_midnight(self, day_number: str, zone_column: str) -> str | None:
        """PostgreSQL: the instant a clinic-local day begins (None on SQLite, where a
        score's own local day is compared instead)."""
        if not self.postgres:
            return None
        return f"((DATE '1970-01-01' + {day_number})::timestamp AT TIME ZONE {zone_column})"

    def epoch(self, column: str) -> str:
        """Whole seconds since 1970-01-01 UTC of an instant."""
        if self.postgres:
            # date_part is double precision: EXTRACT's numeric is several times slower.
            return f"CAST(FLOOR(date_part('epoch', {column})) AS BIGINT)"
        return f"CAST(strftime('%s', {column}) AS INTEGER)"

    def age(self, birth_column: str, day_number: str) -> str:
        """Whole years of age on the day ``day_number`` (days since 1970-01-01)."""
        if self.postgres:
            on = f"(DATE '1970-01-01' + {day_number})"
            return f"CAST(date_part('year', age({on}, {birth_column})) AS INTEGER)"
        on = f"date({day_number} * 86400, 'unixepoch')"
        return (
            f"(CAST(strftime('%Y', {on}) AS INTEGER) - CAST(strftime('%Y', {birth_column}) "
            f"AS INTEGER) - (strftime('%m-%d', {on}) < strftime('%m-%d', {birth_column})))"
        )

    def greatest(self, *values: str) -> str:
        """The largest non-null of the values."""
        if self.postgres:
            return f"GREATEST({', '.join(values)})"
        first = values[0]
        filled = ", ".join(f"COALESCE({v}, {first})" for v in values)
        return f"MAX({filled})"
