"""Treatment outcomes from a series of questionnaire totals.

Pure functions over ``(taken_at, total)`` points and the datetimes of the
treatments given. Every threshold is a keyword parameter because clinics set
them; the defaults cite docs/clinical-references.md. Datetimes should all be aware (UTC)
or all naive; mixing them raises ``TypeError`` from the comparison.

Conventions: lower totals are better for every scale this is used with;
"baseline" is the last score at or before the first treatment; a later score
"meets response" when it has fallen by at least ``min_fall_fraction`` of
baseline - or, for an instrument whose meaningful change is a number of points
(PCL-5: 10), by at least ``min_fall_points``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from types import MappingProxyType

Point = tuple[datetime, int]

# source: docs/clinical-references.md#outcomes - response is a fall of >= 50% from baseline
# (Sanacora et al., JAMA Psychiatry 2017). Pain NRS: >= 30% is meaningful
# (common), so pass min_fall_fraction=0.3 for pain.
RESPONSE_FALL_FRACTION = 0.5
# source: docs/clinical-references.md#dosing, futility - no response after 3-4 infusions makes
# later response unlikely (Sanacora 2017); we flag after the 4th.
FUTILITY_AFTER_TREATMENTS = 4
# source: docs/clinical-references.md#outcomes - PCL-5's clinically meaningful change is a 10-point
# fall, an absolute threshold rather than a percentage. Instrument -> points.
DEFAULT_MIN_FALL_POINTS: Mapping[str, int] = MappingProxyType({"pcl5": 10})
# source: docs/clinical-references.md#outcomes - relapse is loss of response, defined per
# protocol; default: two consecutive scores that no longer meet response.
RELAPSE_CONSECUTIVE = 2


@dataclass(frozen=True)
class RemissionCriterion:
    max_total: int  # remission when the total is at or below this
    min_baseline_total: int | None = None  # only assessable from this baseline


# source: docs/clinical-references.md#outcomes - remission is PHQ-9 < 5 (baseline >= 10) or
# MADRS <= 10. Other instruments have no remission default.
DEFAULT_REMISSION_CRITERIA: Mapping[str, RemissionCriterion] = MappingProxyType(
    {
        "phq9": RemissionCriterion(max_total=4, min_baseline_total=10),
        "madrs": RemissionCriterion(max_total=10),
    }
)


@dataclass(frozen=True)
class OutcomeSummary:
    instrument_id: str
    treatments_given: int
    baseline: Point | None
    latest: Point | None  # the most recent score after the first treatment
    absolute_change: int | None  # latest - baseline; negative is better
    percent_change: float | None  # in percent; None when baseline is 0
    is_response: bool  # the latest score meets response
    first_response_at: datetime | None
    # None when the instrument has no criterion or the baseline is too low.
    is_remission: bool | None
    response_lost_at: datetime | None
    is_futile: bool


def baseline(points: Iterable[Point], first_treatment_at: datetime) -> Point | None:
    """The last score taken at or before the first treatment, if any."""
    before = [point for point in points if point[0] <= first_treatment_at]
    # A stable sort, so of two scores with the same timestamp the later-listed
    # one counts as the last.
    return sorted(before, key=lambda point: point[0])[-1] if before else None


def absolute_change(baseline_total: int, total: int) -> int:
    return total - baseline_total


def percent_change(baseline_total: int, total: int) -> float | None:
    """Change from baseline in percent (-50.0 is a halving); None from 0."""
    if baseline_total == 0:
        return None
    return (total - baseline_total) / baseline_total * 100


def is_response(
    baseline_total: int,
    total: int,
    *,
    # source: docs/clinical-references.md#outcomes
    min_fall_fraction: float = RESPONSE_FALL_FRACTION,
    min_fall_points: int | None = None,  # absolute fall, when given
) -> bool:
    """True when ``total`` has fallen by at least the fraction of baseline, or by
    ``min_fall_points`` when given (an absolute threshold replaces the fraction)."""
    fraction = _fraction(min_fall_fraction, "min_fall_fraction")
    if baseline_total <= 0:
        return False  # nothing to fall from
    if min_fall_points is not None:
        if min_fall_points < 1:
            raise ValueError(f"min_fall_points must be at least 1, got {min_fall_points}")
        return baseline_total - total >= min_fall_points
    return baseline_total - total >= fraction * baseline_total


def is_remission(
    instrument_id: str,
    baseline_total: int | None,
    total: int,
    *,
    # source: docs/clinical-references.md#outcomes
    criteria: Mapping[str, RemissionCriterion] = DEFAULT_REMISSION_CRITERIA,
) -> bool | None:
    """Remission per ``criteria``; None when it cannot be assessed."""
    criterion = criteria.get(instrument_id)
    if criterion is None:
        return None
    if criterion.min_baseline_total is not None and (
        baseline_total is None or baseline_total < criterion.min_baseline_total
    ):
        return None
    return total <= criterion.max_total


def first_response_at(
    points: Iterable[Point],
    baseline_total: int,
    *,
    # source: docs/clinical-references.md#outcomes
    min_fall_fraction: float = RESPONSE_FALL_FRACTION,
    min_fall_points: int | None = None,  # absolute fall, when given
) -> datetime | None:
    """When a score (after baseline) first met response."""
    for taken_at, total in _chronological(points):
        if is_response(
            baseline_total,
            total,
            min_fall_fraction=min_fall_fraction,
            min_fall_points=min_fall_points,
        ):
            return taken_at
    return None


def response_lost_at(
    points: Iterable[Point],
    baseline_total: int,
    *,
    # Defaults: docs/clinical-references.md#outcomes (relapse is defined per protocol).
    min_fall_fraction: float = RESPONSE_FALL_FRACTION,
    min_fall_points: int | None = None,  # absolute fall, when given
    relapse_above_fraction: float | None = None,
    consecutive: int = RELAPSE_CONSECUTIVE,
) -> datetime | None:
    """When a response, once reached, was confirmed lost (relapse).

    ``points`` are the scores after baseline. After the first score meeting
    response, a score counts against it when it no longer meets response, or,
    if ``relapse_above_fraction`` is given, when it is above that fraction of
    baseline. Loss is confirmed by ``consecutive`` such scores in a row; the
    time of the confirming score is returned. Only the first loss is reported.
    """
    if consecutive < 1:
        raise ValueError(f"consecutive must be at least 1, got {consecutive}")
    above = (
        None
        if relapse_above_fraction is None
        else _fraction(relapse_above_fraction, "relapse_above_fraction")
    )
    responded = False
    run = 0
    for taken_at, total in _chronological(points):
        meets = is_response(
            baseline_total,
            total,
            min_fall_fraction=min_fall_fraction,
            min_fall_points=min_fall_points,
        )
        if not responded:
            responded = meets
            continue
        worse = total > above * baseline_total if above is not None else not meets
        run = run + 1 if worse else 0
        if run >= consecutive:
            return taken_at
    return None


def is_futile(
    points: Iterable[Point],
    treatments: Iterable[datetime],
    baseline_total: int | None,
    *,
    # source: docs/clinical-references.md#outcomes
    min_fall_fraction: float = RESPONSE_FALL_FRACTION,
    min_fall_points: int | None = None,  # absolute fall, when given
    # source: docs/clinical-references.md#dosing, Sanacora 2017
    after_treatments: int = FUTILITY_AFTER_TREATMENTS,
) -> bool:
    """Flag for review: ``after_treatments`` given and no response so far.

    Needs a baseline and at least one score taken after the Nth treatment
    (the one that shows the lack of response); otherwise False.
    """
    if after_treatments < 1:
        raise ValueError(f"after_treatments must be at least 1, got {after_treatments}")
    given = sorted(treatments)
    if baseline_total is None or len(given) < after_treatments:
        return False
    after_first = [point for point in points if point[0] > given[0]]
    if any(
        is_response(
            baseline_total,
            total,
            min_fall_fraction=min_fall_fraction,
            min_fall_points=min_fall_points,
        )
        for _, total in after_first
    ):
        return False
    nth = given[after_treatments - 1]
    return any(taken_at > nth for taken_at, _ in after_first)


def summarize(
    instrument_id: str,
    points: Sequence[Point],
    treatments: Sequence[datetime],
    *,
    # Defaults: docs/clinical-references.md#outcomes (response, remission, relapse per
    # protocol; PCL-5 responds by points) and #dosing (futility).
    min_fall_fraction: float = RESPONSE_FALL_FRACTION,
    min_fall_points: Mapping[str, int] = DEFAULT_MIN_FALL_POINTS,
    remission_criteria: Mapping[str, RemissionCriterion] = DEFAULT_REMISSION_CRITERIA,
    relapse_above_fraction: float | None = None,
    relapse_consecutive: int = RELAPSE_CONSECUTIVE,
    futility_after_treatments: int = FUTILITY_AFTER_TREATMENTS,
) -> OutcomeSummary:
    """All outcome measures for one instrument's scores over a course."""
    fall_points = min_fall_points.get(instrument_id)
    start = min(treatments, default=None)
    base = baseline(points, start) if start is not None else None
    if start is None or base is None:
        return OutcomeSummary(
            instrument_id=instrument_id,
            treatments_given=len(treatments),
            baseline=base,
            latest=None,
            absolute_change=None,
            percent_change=None,
            is_response=False,
            first_response_at=None,
            is_remission=None,
            response_lost_at=None,
            is_futile=False,
        )
    base_total = base[1]
    after = _chronological(point for point in points if point[0] > start)
    latest = after[-1] if after else None
    return OutcomeSummary(
        instrument_id=instrument_id,
        treatments_given=len(treatments),
        baseline=base,
        latest=latest,
        absolute_change=absolute_change(base_total, latest[1]) if latest else None,
        percent_change=percent_change(base_total, latest[1]) if latest else None,
        is_response=latest is not None
        and is_response(
            base_total, latest[1], min_fall_fraction=min_fall_fraction, min_fall_points=fall_points
        ),
        first_response_at=first_response_at(
            after, base_total, min_fall_fraction=min_fall_fraction, min_fall_points=fall_points
        ),
        is_remission=is_remission(instrument_id, base_total, latest[1], criteria=remission_criteria)
        if latest
        else None,
        response_lost_at=response_lost_at(
            after,
            base_total,
            min_fall_fraction=min_fall_fraction,
            min_fall_points=fall_points,
            relapse_above_fraction=relapse_above_fraction,
            consecutive=relapse_consecutive,
        ),
        is_futile=is_futile(
            points,
            treatments,
            base_total,
            min_fall_fraction=min_fall_fraction,
            min_fall_points=fall_points,
            after_treatments=futility_after_treatments,
        ),
    )


def _chronological(points: Iterable[Point]) -> list[Point]:
    # A stable sort: scores with the same timestamp keep their given order.
    return sorted(points, key=lambda point: point[0])


def _fraction(value: float, name: str) -> Fraction:
    # Exact arithmetic: 0.3 * 10 is 3.0000000000000004 in floating point, which
    # would make a fall from 10 to 7 miss a 30% threshold.
    fraction = Fraction(str(value))
    if not 0 < fraction <= 1:
        raise ValueError(f"{name} must be in (0, 1], got {value}")
    return fraction
