"""Interval estimates for clinic reports: Wilson's score interval for a proportion,
a mean change with its spread, and Kaplan-Meier survival with its 95% band (a thin
wrapper over ``lifelines.KaplanMeierFitter``, which is imported only when a curve is
drawn: it takes a second to load).

Pure functions over counts and durations; the database does the counting.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# The 97.5th percentile of the standard normal: a two-sided 95% interval.
Z_95 = 1.959963984540054


@dataclass(frozen=True)
class Proportion:
    """``events`` of ``n`` with its 95% Wilson interval (None when ``n`` is 0)."""

    events: int
    n: int
    low: float | None
    high: float | None

    @property
    def rate(self) -> float | None:
        return self.events / self.n if self.n else None


def wilson(events: int, n: int, *, z: float = Z_95) -> Proportion:
    """Wilson's score interval (Wilson 1927; Newcombe 1998, method 3): unlike the
    normal approximation it stays within [0, 1] and behaves at 0 and n events."""
    if n < 0 or not 0 <= events <= n:
        raise ValueError(f"need 0 <= events <= n, got {events} of {n}")
    if n == 0:
        return Proportion(events, n, None, None)
    p = events / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if events == 0 else max(0.0, centre - half)
    high = 1.0 if events == n else min(1.0, centre + half)
    return Proportion(events, n, low, high)


@dataclass(frozen=True)
class MeanChange:
    """A mean with its sample standard deviation and 95% interval (normal
    approximation); None where ``n`` is too small."""

    n: int
    mean: float | None
    sd: float | None
    low: float | None
    high: float | None


def mean_change(n: int, total: float, total_of_squares: float, *, z: float = Z_95) -> MeanChange:
    """From the count, sum and sum of squares the database returns."""
    if n <= 0:
        return MeanChange(0, None, None, None, None)
    mean = total / n
    if n == 1:
        return MeanChange(1, mean, None, None, None)
    variance = max(0.0, (total_of_squares - n * mean * mean) / (n - 1))
    sd = math.sqrt(variance)
    half = z * sd / math.sqrt(n)
    return MeanChange(n, mean, sd, mean - half, mean + half)


@dataclass(frozen=True)
class Quartiles:
    n: int
    q1: float
    median: float
    q3: float


def quartiles(counts: Mapping[int, int]) -> Quartiles | None:
    """Quartiles of integer values given as value -> how many (linear interpolation
    between order statistics, numpy's default)."""
    values = sorted((v, c) for v, c in counts.items() if c > 0)
    n = sum(c for _, c in values)
    if n == 0:
        return None

    def at(rank: int) -> int:  # the rank-th smallest value (0-based)
        seen = 0
        for value, count in values:
            seen += count
            if rank < seen:
                return value
        return values[-1][0]

    def quantile(q: float) -> float:
        position = q * (n - 1)
        low = math.floor(position)
        high = min(low + 1, n - 1)
        return at(low) + (at(high) - at(low)) * (position - low)

    return Quartiles(n, quantile(0.25), quantile(0.5), quantile(0.75))


@dataclass(frozen=True)
class KmPoint:
    time: float  # days
    survival: float
    low: float
    high: float
    at_risk: int


@dataclass(frozen=True)
class KmCurve:
    """A Kaplan-Meier estimate: the step points, the median (None when the curve
    never falls to 0.5) and how many subjects and events it rests on."""

    subjects: int
    events: int
    points: tuple[KmPoint, ...]
    median: float | None

    def at(self, time: float) -> KmPoint | None:
        """The estimate in force at ``time`` (the last step at or before it); None
        past the last observed time, where the curve says nothing."""
        if not self.points or time > self.points[-1].time:
            return None
        found = self.points[0]
        for point in self.points:
            if point.time > time:
                break
            found = point
        return found


def kaplan_meier(durations: Sequence[float], events: Sequence[bool]) -> KmCurve:
    """The Kaplan-Meier estimate with lifelines' 95% band (exponential Greenwood)."""
    if len(durations) != len(events):
        raise ValueError("durations and events differ in length")
    if not durations:
        return KmCurve(0, 0, (), None)
    from lifelines import KaplanMeierFitter  # a second to load: only when a curve is drawn

    fitter = KaplanMeierFitter(alpha=0.05)
    fitter.fit(list(durations), event_observed=[bool(e) for e in events])
    survival = fitter.survival_function_.iloc[:, 0]
    band = fitter.confidence_interval_survival_function_
    at_risk = fitter.event_table["at_risk"]
    points = tuple(
        KmPoint(
            time=float(time),
            survival=float(survival.iloc[i]),
            low=float(band.iloc[i, 0]),
            high=float(band.iloc[i, 1]),
            at_risk=int(at_risk.loc[time]) if time in at_risk.index else 0,
        )
        for i, time in enumerate(survival.index)
    )
    median = float(fitter.median_survival_time_)
    return KmCurve(
        subjects=len(durations),
        events=sum(1 for e in events if e),
        points=points,
        median=None if math.isinf(median) or math.isnan(median) else median,
    )
