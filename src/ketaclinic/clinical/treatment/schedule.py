"""A protocol's session sequence, expanded into numbered sessions with windows. Pure.

Each session after the first has a window relative to the session before it
(``Gap``: at least ``min`` days, aim for ``target``, at most ``max``). Expanding
lays the sessions out at their target gaps from day 0; ``window_after`` turns a
real previous date into the dates the next session may take, ``window_between``
does it for a session with a booked or given neighbour on both sides, and
``breaches`` names the sessions of a booked series that fall outside their windows.
This is the one definition of a window: the plan's dated windows, the booking
service and the scheduler's gaps (``scheduling.instances.sessions_of``) all read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from ketaclinic.clinical.treatment.model import Gap, Protocol


@dataclass(frozen=True)
class PlannedSession:
    number: int  # 1-based
    block: str
    optional: bool  # beyond the block's count, up to its ``up_to``
    gap: Gap | None  # from the previous session; None for the first
    day: int  # target day, counted from the first session (day 0)


@dataclass(frozen=True)
class Window:
    earliest: date
    target: date
    latest: date

    def contains(self, day: date) -> bool:
        return self.earliest <= day <= self.latest


def expand(protocol: Protocol, *, include_optional: bool = False) -> list[PlannedSession]:
    """The protocol's sessions in order at their target gaps."""
    sessions: list[PlannedSession] = []
    day = 0
    for block in protocol.sessions:
        total = (block.up_to or block.count) if include_optional else block.count
        for index in range(total):
            first = not sessions
            gap = None if first else block.gap
            day = 0 if first else day + block.gap.target
            sessions.append(
                PlannedSession(
                    number=len(sessions) + 1,
                    block=block.label,
                    optional=index >= block.count,
                    gap=gap,
                    day=day,
                )
            )
    return sessions


def target_days(protocol: Protocol) -> list[int]:
    """Day offsets of the planned (non-optional) sessions: the protocol's pattern."""
    return [session.day for session in expand(protocol)]


def window_after(previous: date, gap: Gap) -> Window:
    """When the next session may fall, given the day the previous one happened."""
    return Window(
        earliest=previous + timedelta(days=gap.min),
        target=previous + timedelta(days=gap.target),
        latest=previous + timedelta(days=gap.max),
    )


def window_before(following: date, gap: Gap) -> Window:
    """When a session may fall so that the one after it (on ``following``, ``gap``
    after it) stays inside its window."""
    return Window(
        earliest=following - timedelta(days=gap.max),
        target=following - timedelta(days=gap.target),
        latest=following - timedelta(days=gap.min),
    )


def window_between(
    previous: date | None, gap: Gap | None, following: date | None, following_gap: Gap | None
) -> Window | None:
    """The days a session may take between its neighbours: inside its own window after
    the previous session (as booked or given) and keeping the next one inside its
    window. ``None`` for an unbounded side is ignored; the result is None when the
    two sides leave no day (the neighbours are too far apart or too close)."""
    bounds = []
    if previous is not None and gap is not None:
        bounds.append(window_after(previous, gap))
    if following is not None and following_gap is not None:
        bounds.append(window_before(following, following_gap))
    if not bounds:
        return None
    earliest = max(w.earliest for w in bounds)
    latest = min(w.latest for w in bounds)
    if earliest > latest:
        return None
    target = min(max(bounds[0].target, earliest), latest)
    return Window(earliest, target, latest)


def gaps_of(protocol: Protocol) -> dict[int, Gap | None]:
    """Each planned session's gap from the one before it, by session number."""
    return {session.number: session.gap for session in expand(protocol)}


def breaches(days: Mapping[int, date], gaps: Mapping[int, Gap | None]) -> list[int]:
    """The session numbers whose day is outside the window after the session before
    them, where both are booked or given (a cancelled or missed session leaves a hole
    to be refilled between its neighbours; it is not a breach)."""
    out = []
    for number, day in sorted(days.items()):
        gap = gaps.get(number)
        previous = days.get(number - 1)
        if (
            gap is not None
            and previous is not None
            and not window_after(previous, gap).contains(day)
        ):
            out.append(number)
    return out
