"""The course's timeline as coordinates for an inline SVG (drawn by the course page's
template): one instrument's scores as a line, every treatment as a mark by its kind
(induction, maintenance, booster), the end-of-induction window shaded, a loss of
response marked. Pure: numbers in, numbers out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ketaclinic.clinical.course import Course, InstrumentCourse

WIDTH = 760
HEIGHT = 200
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 12, 40


@dataclass(frozen=True)
class Mark:
    x: float
    kind: str
    label: str


@dataclass(frozen=True)
class Timeline:
    instrument: InstrumentCourse
    max_total: int
    line: str  # SVG polyline points
    dots: list[tuple[float, float, int]]
    marks: list[Mark]
    window: tuple[float, float] | None
    lost_x: float | None
    ticks: list[tuple[float, str]]  # x, date label
    y_ticks: list[tuple[float, int]]
    baseline_y: float | None


def build(
    found: Course,
    instrument: InstrumentCourse,
    points: Sequence[tuple[datetime, int]],
    max_total: int,
) -> Timeline | None:
    """None without an induction."""
    induction = found.induction
    if induction is None:
        return None
    times = [at for at, _ in found.kinds] + [p[0] for p in points]
    start = min(times) - timedelta(days=3)
    end = max(times) + timedelta(days=3)
    span = (end - start).total_seconds() or 1.0
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    top = max(max_total, 1)

    def x(at: datetime) -> float:
        return round(LEFT + (at - start).total_seconds() / span * plot_w, 1)

    def y(total: int) -> float:
        return round(TOP + plot_h - total / top * plot_h, 1)

    scores = sorted(points, key=lambda p: p[0])
    dots = [(x(at), y(total), total) for at, total in scores]
    s = found.settings
    first = induction.first_at
    window = (
        x(first + timedelta(days=s.outcome_window_from_day)),
        x(first + timedelta(days=s.outcome_window_to_day + 1)),
    )
    labels = {"induction": "Induction", "maintenance": "Maintenance", "booster": "Booster"}
    marks = [Mark(x(at), kind, labels[kind]) for at, kind in found.kinds]
    lost = instrument.durability.lost_at if instrument.durability else None
    ticks = []
    step = max(1, round(span / 86_400 / 6))
    day = start
    while day <= end:
        ticks.append((x(day), day.strftime("%b %-d")))
        day += timedelta(days=step)
    y_ticks = [(y(v), v) for v in (0, top // 2, top)]
    return Timeline(
        instrument=instrument,
        max_total=top,
        line=" ".join(f"{dx},{dy}" for dx, dy, _ in dots),
        dots=dots,
        marks=marks,
        window=window,
        lost_x=x(lost) if lost else None,
        ticks=ticks,
        y_ticks=y_ticks,
        baseline_y=y(instrument.baseline[1]) if instrument.baseline else None,
    )
