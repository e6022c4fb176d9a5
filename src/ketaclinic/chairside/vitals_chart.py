"""The session's vital signs over time as a small inline SVG: systolic and
diastolic BP and heart rate against the clinic's alert lines. Presentation
attributes only (the CSP forbids inline styles), escaped text, no script."""

from __future__ import annotations

from datetime import datetime
from html import escape

from ketaclinic.chairside.service import Chart
from ketaclinic.kit.time import as_utc, to_local

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 640, 240, 44, 12, 12, 28
LOW, HIGH = 30, 230  # mmHg and beats/min share the axis
SERIES = (
    ("systolic", "#c0392b", "Systolic"),
    ("diastolic", "#e67e22", "Diastolic"),
    ("heart_rate", "#1f6feb", "Heart rate"),
)


def vitals_svg(c: Chart) -> str:
    points = [r for r in c.readings if any(getattr(r, k) is not None for k, _c, _l in SERIES)]
    if not points:
        return ""
    start = as_utc(points[0].taken_at)
    span = max(30.0, (as_utc(points[-1].taken_at) - start).total_seconds() / 60)
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(at: datetime) -> float:
        return LEFT + (as_utc(at) - start).total_seconds() / 60 / span * inner_w

    def y(value: float) -> float:
        clipped = min(HIGH, max(LOW, value))
        return TOP + (HIGH - clipped) / (HIGH - LOW) * inner_h

    out = [
        f'<svg class="vitals-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="Vital signs over time">'
    ]
    for tick in range(40, HIGH + 1, 40):
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="#e3e8ef"/><text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" font-size="11" '
            f'text-anchor="end" fill="#5b6778">{tick}</text>'
        )
    t = c.thresholds
    for limit, label in ((t.systolic_above, "SBP limit"), (t.diastolic_above, "DBP limit")):
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(limit):.1f}" '
            f'y2="{y(limit):.1f}" stroke="#c0392b" stroke-dasharray="4 4" '
            f'stroke-width="1"><title>{label} {limit}</title></line>'
        )
    for key, colour, label in SERIES:
        series = [(x(r.taken_at), y(v)) for r in points if (v := getattr(r, key)) is not None]
        if not series:
            continue
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in series)
        out.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2">'
            f"<title>{escape(label)}</title></polyline>"
        )
        for px, py in series:
            out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"/>')
    zone = c.clinic.timezone
    for r in (points[0], points[-1]):
        out.append(
            f'<text x="{x(r.taken_at):.1f}" y="{HEIGHT - 8}" font-size="11" '
            f'text-anchor="middle" fill="#5b6778">'
            f"{to_local(r.taken_at, zone).strftime('%H:%M')}</text>"
        )
    legend = LEFT + 8
    for _key, colour, label in SERIES:
        out.append(
            f'<rect x="{legend}" y="{TOP}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{legend + 14}" y="{TOP + 9}" font-size="11" fill="#1b2430">'
            f"{escape(label)}</text>"
        )
        legend += 90
    out.append("</svg>")
    return "".join(out)
