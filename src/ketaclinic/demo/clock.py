"""The demo's clock: whenever the demo is loaded, it shows a clinic day.

The demo's "now" is 13:30 at Lakeside (12:30 at Mesa) on the most recent weekday,
at or before the moment of loading, that is not one of the clinics' holiday
closures. At 01:00, on a Sunday or on Christmas Day the clinics are shut, so the
demo's clock is put back to that afternoon: the morning's sessions are done or under
way, the afternoon's are still to check in, and the roster is the weekday's. The
shift from the wall clock is stored (``kit.clock_store``); the app and the CLI run
on it and every page shows the demo's time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

# The afternoon of the demo's day at Lakeside: late enough for Mesa's first visit
# (08:10 in Denver) to be charted, early enough for the last to end before closing.
DEMO_TIME = time(13, 30)
# The holidays on which the demo clinics close (the big six of US outpatient
# practice); the `holidays` package names them, "(observed)" included.
CLOSED_ON = frozenset(
    {
        "New Year's Day",
        "Memorial Day",
        "Independence Day",
        "Labor Day",
        "Thanksgiving Day",
        "Christmas Day",
    }
)


def holiday_closures(
    country: str, subdivision: str, start: date, end: date, closed_on: Iterable[str] = CLOSED_ON
) -> dict[date, str]:
    """The clinic's holiday closures between ``start`` and ``end`` (inclusive)."""
    wanted = set(closed_on)
    calendar = holidays.country_holidays(
        country, subdiv=subdivision, years=range(start.year, end.year + 1)
    )
    found: dict[date, str] = {}
    for day, names in sorted(calendar.items()):
        for name in str(names).split("; "):
            if start <= day <= end and name.removesuffix(" (observed)") in wanted:
                found[day] = name
    return found


def demo_moment(now: datetime, timezone: str, closed: set[date]) -> datetime:
    """13:30 in ``timezone`` on the most recent open weekday at or before ``now``."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    day = local.date() if local.time() >= DEMO_TIME else local.date() - timedelta(days=1)
    while day.weekday() >= 5 or day in closed:
        day -= timedelta(days=1)
    return datetime.combine(day, DEMO_TIME, zone)
