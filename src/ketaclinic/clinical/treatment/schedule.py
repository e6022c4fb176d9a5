"""A protocol's session sequence, expanded into numbered sessions with windows. Pure.

Each session after the first has a window relative to the session before it
(``Gap``: at least ``min`` days, aim for ``target``, at most ``max``). Expanding
lays the sessions out at their target gaps from day 0; ``window_after`` turns a
real previous date into the dates the next session may take.
"""

from __future__ import annotations

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
