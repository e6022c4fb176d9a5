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

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ketaclinic.appointments.holidays import US_CLOSED_ON

# The afternoon of the demo's day at Lakeside: late enough for Mesa's first visit
# (08:10 in Denver) to be charted, early enough for the last to end before closing.
DEMO_TIME = time(13, 30)
# The holidays on which the demo clinics close: the US six, through the same function
# that fills any clinic's closures (``appointments.holidays``).
CLOSED_ON = US_CLOSED_ON


def demo_moment(now: datetime, timezone: str, closed: set[date]) -> datetime:
    """13:30 in ``timezone`` on the most recent open weekday at or before ``now``."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    day = local.date() if local.time() >= DEMO_TIME else local.date() - timedelta(days=1)
    while day.weekday() >= 5 or day in closed:
        day -= timedelta(days=1)
    return datetime.combine(day, DEMO_TIME, zone)
