"""The scheduling problem as plain frozen dataclasses. Pure: no solver here.

Time is counted in 5-minute slots: a day has 288 of them, slot 96 is 08:00. Days
are numbered from the first day of the horizon (day 0); the clinic knows which
weekday day 0 is. A visit takes one chair for its whole length: set-up
(pre-assessment and IV start, which takes a nurse's full attention), then
administration, then observation. The sessions of a series are booked in order:
a session may only be booked when the one before it is, on a day inside the
window after it (``gap_min_days`` to ``gap_max_days`` later).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

SLOT_MIN = 5
SLOTS_PER_DAY = 24 * 60 // SLOT_MIN


def slots(minutes: int) -> int:
    """Minutes rounded up to whole 5-minute slots: a visit never gets less time than asked."""
    return -(-minutes // SLOT_MIN)


def clock(hour: int, minute: int = 0) -> int:
    """The slot a wall-clock time falls on (``clock(8, 30)`` is 102)."""
    return (hour * 60 + minute) // SLOT_MIN


@dataclass(frozen=True)
class Span:
    """Slots ``[start, end)`` within one day."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= SLOTS_PER_DAY:
            raise ValueError(f"a span needs 0 <= start < end <= {SLOTS_PER_DAY}: {self}")

    def covers(self, start: int, end: int) -> bool:
        return self.start <= start and end <= self.end


@dataclass(frozen=True)
class Hours:
    """A weekday's opening: visits lie inside ``[open, close)``; time after
    ``regular_close`` is overtime (staff paid extra, the lights stay on)."""

    open: int
    regular_close: int
    close: int

    def __post_init__(self) -> None:
        if not 0 <= self.open < self.regular_close <= self.close <= SLOTS_PER_DAY:
            raise ValueError(f"hours need open < regular_close <= close: {self}")


@dataclass(frozen=True)
class Shift:
    """One person on site on ``day`` for ``span`` (a nurse's shift, a prescriber's hours)."""

    day: int
    span: Span


@dataclass(frozen=True)
class Chair:
    id: str
    long_infusion: bool = False  # equipped for the 4-hour pain infusions


@dataclass(frozen=True)
class Clinic:
    """The resources over the horizon ``[0, days)``."""

    chairs: tuple[Chair, ...]
    days: int
    first_weekday: int  # weekday of day 0, Monday = 0
    hours: tuple[Hours | None, ...]  # by weekday, Monday first; None = closed
    nurse_shifts: tuple[Shift, ...]  # one per nurse per day worked
    prescriber_hours: tuple[Shift, ...]  # when a prescriber is on site
    closures: frozenset[int] = frozenset()  # days closed (holidays, training)
    # A nurse monitors up to k infusing or observing patients at once; setting one
    # up takes all k (Hesaraki et al. 2019; k is a clinic setting, default 3).
    nurse_capacity_k: int = 3

    def __post_init__(self) -> None:
        if len(self.hours) != 7:
            raise ValueError("hours needs one entry per weekday")
        if len({chair.id for chair in self.chairs}) != len(self.chairs):
            raise ValueError("chair ids must be unique")
        if self.nurse_capacity_k < 1:
            raise ValueError("a nurse monitors at least one patient")

    def weekday(self, day: int) -> int:
        return (self.first_weekday + day) % 7

    def hours_on(self, day: int) -> Hours | None:
        """Opening on ``day``; None when closed (weekday, closure, outside the horizon)."""
        if not 0 <= day < self.days or day in self.closures:
            return None
        return self.hours[self.weekday(day)]

    def chair(self, chair_id: str) -> Chair | None:
        return next((chair for chair in self.chairs if chair.id == chair_id), None)


@dataclass(frozen=True)
class SessionSpec:
    """One visit of a series, from the plan's protocol phases and session windows."""

    setup_min: int  # pre-assessment and IV start: one nurse, fully occupied
    administration_min: int
    observation_min: int
    long_chair: bool = False  # needs a chair equipped for long infusions
    prescriber: bool = True  # a prescriber on site for the whole administration
    # Days after the previous session of the series; ignored for the first.
    gap_min_days: int = 0
    gap_max_days: int = 0

    def __post_init__(self) -> None:
        if min(self.setup_min, self.administration_min, self.observation_min) < 1:
            raise ValueError("every phase lasts at least a minute")
        if not 0 <= self.gap_min_days <= self.gap_max_days:
            raise ValueError("needs 0 <= gap_min_days <= gap_max_days")

    @property
    def setup_slots(self) -> int:
        return slots(self.setup_min)

    @property
    def administration_slots(self) -> int:
        return slots(self.administration_min)

    @property
    def duration_slots(self) -> int:
        return self.setup_slots + slots(self.administration_min) + slots(self.observation_min)


@dataclass(frozen=True)
class SeriesRequest:
    """A patient's series to book, in order, with the patient's availability."""

    id: str
    patient_id: str
    protocol: str
    sessions: tuple[SessionSpec, ...]
    requested_day: int  # when the request came in: days to first infusion count from here
    earliest_day: int  # the first session no earlier than this
    weekdays: frozenset[int] = frozenset(range(7))  # days the patient can come
    times: tuple[Span, ...] = (Span(0, SLOTS_PER_DAY),)  # the whole visit inside one of them
    preferred_start: int | None = None  # slot of day the patient would like
    # Per session (by index), the days it must fall on besides its gap from the one
    # before: a continued series keeps to its window after the session already
    # booked or given, and a refilled hole keeps the next booked one inside its own.
    day_bounds: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        if not self.sessions:
            raise ValueError("a series has at least one session")
        if len(self.day_bounds) not in (0, len(self.sessions)):
            raise ValueError("day_bounds has one (low, high) per session or none")
        if self.earliest_day < self.requested_day:
            raise ValueError("earliest_day is before requested_day")
        # One visit a day: sessions never share a day, so a series never competes
        # with itself for a chair or a nurse.
        if any(spec.gap_min_days < 1 for spec in self.sessions[1:]):
            raise ValueError("sessions after the first need gap_min_days >= 1")

    def bounds(self, index: int, low: int, high: int) -> tuple[int, int]:
        """``[low, high]`` narrowed to session ``index``'s ``day_bounds``, if any."""
        if not self.day_bounds:
            return low, high
        lo, hi = self.day_bounds[index]
        return max(low, lo), min(high, hi)


@dataclass(frozen=True, order=True)
class Assignment:
    """Session ``session`` (0-based) of series ``series_id`` starts at slot
    ``start`` of day ``day`` in chair ``chair_id``."""

    series_id: str
    session: int
    day: int
    start: int
    chair_id: str


@dataclass(frozen=True)
class Schedule:
    assignments: tuple[Assignment, ...] = ()

    def of_series(self, series_id: str) -> list[Assignment]:
        return sorted(a for a in self.assignments if a.series_id == series_id)

    def plus(self, more: Iterable[Assignment]) -> Schedule:
        return Schedule(tuple(sorted((*self.assignments, *more))))


@dataclass(frozen=True)
class Instance:
    """A batch to plan: the clinic, the series, and appointments already booked
    (``locked``), which are kept exactly as they are."""

    name: str
    clinic: Clinic
    series: tuple[SeriesRequest, ...]
    locked: tuple[Assignment, ...] = ()

    def series_by_id(self) -> dict[str, SeriesRequest]:
        return {request.id: request for request in self.series}

    @property
    def sessions_requested(self) -> int:
        return sum(len(request.sessions) for request in self.series)


@dataclass(frozen=True)
class Weights:
    """Objective weights (a clinic setting). The objective is maximised:

    ``booked_session`` per session booked, plus ``series_completed`` per series
    booked whole (a course cut short is worth less than its sessions: the
    response the induction aims at needs all of them), minus ``day_to_first`` per day a
    series waits from its request to its first session, minus ``spread_slot``
    per 5 minutes between a patient's earliest and latest start of day (the
    preferred time counts as one of them), minus ``overtime_slot`` per 5 minutes
    a visit runs past the regular close, minus ``peak_load_percent`` per
    percentage point of nurse capacity used on the busiest day (balances load
    across days). Booking a session outweighs every penalty it can bring.
    """

    booked_session: int = 1000
    series_completed: int = 2000
    day_to_first: int = 10
    spread_slot: int = 2
    overtime_slot: int = 20
    peak_load_percent: int = 5


@dataclass(frozen=True)
class Solution:
    """A schedule and how it was found. ``best_bound`` is an upper bound on the
    objective any schedule can reach (None when the method proves none)."""

    schedule: Schedule
    objective: int
    best_bound: int | None = None
    status: str = "heuristic"
    wall_s: float = 0.0
    notes: tuple[str, ...] = field(default=())

    @property
    def gap(self) -> float | None:
        if self.best_bound is None:
            return None
        return (self.best_bound - self.objective) / max(1, abs(self.best_bound))
