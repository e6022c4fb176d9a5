"""A patient's course: the induction, each instrument's summary at its end, how long
a response lasted, and what the later treatments were (issue 20).

Pure: plain datetimes and totals in, frozen dataclasses out. These functions are the
reference the clinic reports' SQL aggregation is checked against, so every definition
here is the one in docs/clinical-references.md#outcomes-reference:

- the **induction** is the treatments from the first one, given within
  ``induction_max_days`` clinic-local calendar days (the first treatment's day is day 1),
  at most ``induction_max_sessions``; it is **completed** when it holds at least
  ``induction_min_sessions`` treatments spanning at least ``induction_min_days`` days;
- the **end-of-induction measure** is an instrument's last score taken from day
  ``outcome_window_from_day`` to day ``outcome_window_to_day`` (both inclusive; the
  first treatment's day is day 0);
- **durability** runs from that measure, for responders, to the first of
  ``relapse_consecutive`` consecutive later scores no longer meeting response (the
  event), or is censored at the last score;
- a later treatment on a maintenance protocol's plan is **maintenance**, any other a
  **booster**; time to the first booster runs from the induction's last treatment,
  censored at the last treatment or score.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction
from typing import Literal
from zoneinfo import ZoneInfo

from ketaclinic.clinical import outcomes
from ketaclinic.clinical.outcomes import Point

Kind = Literal["induction", "maintenance", "booster"]

# The instruments the course and the clinic reports show, in this order.
INSTRUMENTS: tuple[str, ...] = ("phq9", "madrs", "gad7", "pcl5", "qids_sr16", "pain_nrs")
# source: docs/clinical-references.md#outcomes - pain NRS: a fall of >= 30% is meaningful.
PAIN_FALL_FRACTION = 0.3
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class CourseSettings:
    """The course's thresholds (clinic settings; defaults:
    docs/clinical-references.md#outcomes-reference, McInnes 2022, and #outcomes)."""

    induction_min_sessions: int = 4
    induction_max_sessions: int = 8
    induction_min_days: int = 7
    induction_max_days: int = 28
    outcome_window_from_day: int = 14
    outcome_window_to_day: int = 31
    response_fall_fraction: float = outcomes.RESPONSE_FALL_FRACTION
    pcl5_fall_points: int = 10
    pain_fall_fraction: float = PAIN_FALL_FRACTION
    relapse_consecutive: int = outcomes.RELAPSE_CONSECUTIVE


DEFAULTS = CourseSettings()


@dataclass(frozen=True)
class Treatment:
    """One treatment given; ``maintenance``: given under a plan on a maintenance protocol."""

    given_at: datetime
    maintenance: bool = False


@dataclass(frozen=True)
class Induction:
    treatments: tuple[datetime, ...]  # chronological, at least one
    first_day: date  # clinic-local
    end_day: date  # the day of its last treatment
    span_days: int  # end_day - first_day + 1
    completed: bool
    reason: str  # in words: why it is (not) completed

    @property
    def first_at(self) -> datetime:
        return self.treatments[0]

    @property
    def last_at(self) -> datetime:
        return self.treatments[-1]

    @property
    def sessions(self) -> int:
        return len(self.treatments)


@dataclass(frozen=True)
class Durability:
    start: datetime  # the end-of-induction measure's time
    lost_at: datetime | None  # the first of the consecutive scores that lost response
    end: datetime  # lost_at, or the last score (censored)
    days: float  # (end - start) in days, >= 0

    @property
    def censored(self) -> bool:
        return self.lost_at is None


@dataclass(frozen=True)
class InstrumentCourse:
    instrument_id: str
    baseline: Point | None
    end: Point | None  # the end-of-induction measure; None is "missing"
    change: int | None  # end total - baseline total
    percent_change: float | None
    response: bool | None  # None: no baseline or no end-of-induction measure
    remission: bool | None  # None: not assessable
    durability: Durability | None  # responders only
    later: tuple[Point, ...] = ()  # the scores after the end-of-induction measure

    @property
    def missing(self) -> bool:
        return self.end is None


@dataclass(frozen=True)
class FirstBooster:
    at: datetime | None  # None: censored
    days: float  # from the induction's last treatment, >= 0

    @property
    def censored(self) -> bool:
        return self.at is None


@dataclass(frozen=True)
class Course:
    induction: Induction | None  # None: no treatment yet
    instruments: tuple[InstrumentCourse, ...]
    kinds: tuple[tuple[datetime, Kind], ...]  # every treatment, chronological
    first_booster: FirstBooster | None  # None: no induction
    last_treatment_at: datetime | None = None
    settings: CourseSettings = field(default=DEFAULTS)

    def instrument(self, instrument_id: str) -> InstrumentCourse | None:
        return next((i for i in self.instruments if i.instrument_id == instrument_id), None)


def local_day(at: datetime, zone: str) -> date:
    return at.astimezone(ZoneInfo(zone)).date()


def _days(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds() / SECONDS_PER_DAY)


def _check(settings: CourseSettings) -> None:
    if settings.induction_min_sessions < 1 or settings.induction_max_sessions < 1:
        raise ValueError("induction sessions must be at least 1")
    if settings.induction_min_days < 1 or settings.induction_max_days < 1:
        raise ValueError("induction days must be at least 1")
    # A window that starts after it ends (a clinic changing one bound, then the other)
    # holds no score: every end-of-induction measure is missing, never an error.


def induction(
    treatments: Iterable[Treatment | datetime],
    zone: str,
    settings: CourseSettings = DEFAULTS,
    *,
    as_of: datetime | None = None,
) -> Induction | None:
    """The induction among ``treatments`` (None when there is none). ``as_of``: an
    induction not completed whose window is still open says so."""
    _check(settings)
    given = sorted(t.given_at if isinstance(t, Treatment) else t for t in treatments)
    if not given:
        return None
    first_day = local_day(given[0], zone)
    inside = [
        at
        for at in given
        if (local_day(at, zone) - first_day).days + 1 <= settings.induction_max_days
    ][: settings.induction_max_sessions]
    end_day = local_day(inside[-1], zone)
    span = (end_day - first_day).days + 1
    enough = len(inside) >= settings.induction_min_sessions
    long_enough = span >= settings.induction_min_days
    completed = enough and long_enough
    if completed:
        reason = f"{len(inside)} treatments over {span} days"
    else:
        wanted = []
        if not enough:
            wanted.append(f"{len(inside)} of at least {settings.induction_min_sessions} treatments")
        if not long_enough:
            wanted.append(f"{span} of at least {settings.induction_min_days} days")
        reason = "not completed: " + " and ".join(wanted)
        if as_of is not None:
            today = (local_day(as_of, zone) - first_day).days + 1
            if today <= settings.induction_max_days:
                reason += f" (still open: day {today} of {settings.induction_max_days})"
    return Induction(tuple(inside), first_day, end_day, span, completed, reason)


def classify(
    treatments: Iterable[Treatment], zone: str, settings: CourseSettings = DEFAULTS
) -> tuple[tuple[datetime, Kind], ...]:
    """Every treatment with its kind, chronological: induction, then maintenance (on a
    maintenance protocol's plan) or booster (anything else)."""
    given = sorted(treatments, key=lambda t: t.given_at)
    found = induction(given, zone, settings)
    if found is None:
        return ()
    kinds: list[tuple[datetime, Kind]] = []
    in_induction = list(found.treatments)
    for t in given:
        if in_induction and t.given_at == in_induction[0]:
            in_induction.pop(0)
            kinds.append((t.given_at, "induction"))
        else:
            kinds.append((t.given_at, "maintenance" if t.maintenance else "booster"))
    return tuple(kinds)


def end_of_induction(
    points: Iterable[Point], found: Induction, zone: str, settings: CourseSettings = DEFAULTS
) -> Point | None:
    """The last score from day ``outcome_window_from_day`` to ``outcome_window_to_day``
    after the induction's first treatment (day 0), both inclusive."""
    inside = [
        p
        for p in points
        if settings.outcome_window_from_day
        <= (local_day(p[0], zone) - found.first_day).days
        <= settings.outcome_window_to_day
    ]
    return sorted(inside, key=lambda p: p[0])[-1] if inside else None


def meets_response(
    instrument_id: str, base: int, total: int, settings: CourseSettings = DEFAULTS
) -> bool:
    """Whether ``total`` still meets response from ``base`` by the instrument's own rule
    (PCL-5: a fall of set points; pain NRS: its own fraction; the rest: the fall fraction)."""
    if instrument_id == "pcl5":
        return outcomes.is_response(base, total, min_fall_points=settings.pcl5_fall_points)
    fraction = (
        settings.pain_fall_fraction
        if instrument_id == "pain_nrs"
        else settings.response_fall_fraction
    )
    return outcomes.is_response(base, total, min_fall_fraction=fraction)


def durability(
    instrument_id: str,
    baseline_total: int,
    start: Point,
    later: Sequence[Point],
    settings: CourseSettings = DEFAULTS,
) -> Durability:
    """From ``start`` (a responding score) to the first of ``relapse_consecutive``
    consecutive later scores no longer meeting response, or censored at the last."""
    if settings.relapse_consecutive < 1:
        raise ValueError("relapse_consecutive must be at least 1")
    run: list[Point] = []
    for point in sorted((p for p in later if p[0] >= start[0]), key=lambda p: p[0]):
        if meets_response(instrument_id, baseline_total, point[1], settings):
            run = []
            continue
        run.append(point)
        if len(run) >= settings.relapse_consecutive:
            lost = run[0][0]
            return Durability(start[0], lost, lost, _days(start[0], lost))
    last = max((p[0] for p in later if p[0] >= start[0]), default=start[0])
    return Durability(start[0], None, last, _days(start[0], last))


def summarise(
    instrument_id: str,
    points: Sequence[Point],
    found: Induction,
    zone: str,
    settings: CourseSettings = DEFAULTS,
) -> InstrumentCourse:
    """One instrument's induction summary and durability."""
    base = outcomes.baseline(points, found.first_at)
    end = end_of_induction(points, found, zone, settings)
    later = tuple(
        sorted((p for p in points if end is not None and p[0] > end[0]), key=lambda p: p[0])
    )
    if base is None or end is None:
        return InstrumentCourse(instrument_id, base, end, None, None, None, None, None, later)
    response = meets_response(instrument_id, base[1], end[1], settings)
    return InstrumentCourse(
        instrument_id=instrument_id,
        baseline=base,
        end=end,
        change=end[1] - base[1],
        percent_change=outcomes.percent_change(base[1], end[1]),
        response=response,
        remission=outcomes.is_remission(instrument_id, base[1], end[1]),
        durability=durability(instrument_id, base[1], end, later, settings) if response else None,
        later=later,
    )


def first_booster(
    kinds: Sequence[tuple[datetime, Kind]],
    found: Induction,
    last_seen: datetime,
) -> FirstBooster:
    """From the induction's last treatment to the first booster, censored at
    ``last_seen`` (the patient's last treatment or score)."""
    booster = next((at for at, kind in kinds if kind == "booster"), None)
    if booster is not None:
        return FirstBooster(booster, _days(found.last_at, booster))
    return FirstBooster(None, _days(found.last_at, max(last_seen, found.last_at)))


def course(
    treatments: Sequence[Treatment],
    scores: Mapping[str, Sequence[Point]],
    zone: str,
    settings: CourseSettings = DEFAULTS,
    *,
    as_of: datetime | None = None,
) -> Course:
    """The whole course: induction, every reported instrument with a score, the
    kinds of treatment and the time to the first booster."""
    found = induction(treatments, zone, settings, as_of=as_of)
    if found is None:
        return Course(None, (), (), None, None, settings)
    kinds = classify(treatments, zone, settings)
    ordered = [i for i in INSTRUMENTS if scores.get(i)] + sorted(
        i for i in scores if i not in INSTRUMENTS and scores[i]
    )
    summaries = tuple(summarise(i, scores[i], found, zone, settings) for i in ordered)
    last_treatment = max(t.given_at for t in treatments)
    last_score = max((p[0] for pts in scores.values() for p in pts), default=last_treatment)
    return Course(
        induction=found,
        instruments=summaries,
        kinds=kinds,
        first_booster=first_booster(kinds, found, max(last_treatment, last_score)),
        last_treatment_at=last_treatment,
        settings=settings,
    )


def fraction(value: float | str) -> Fraction:
    """An exact fraction of a setting's value (0.25 is 1/4, not 0.25000000000000001)."""
    return Fraction(str(value))
