"""The report's plots as inline SVG (scaled by viewBox, so they fit 820 px): rates
with their 95% whiskers and the published reference lines, the Kaplan-Meier step
curve with its band and the reference points, CADSS by session number."""

from __future__ import annotations

import re
from html import escape

from ketaclinic.clinical import stats
from ketaclinic.reports.service import OutcomeReport

W, H = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 44
COLOURS = {"response": "#2a6f97", "remission": "#7b9e3c"}


def _short(name: str, room: float) -> str:
    """The name as staff say it (its abbreviation: "PHQ-9" of "Patient Health
    Questionnaire-9 (PHQ-9)"), cut to what fits in ``room`` px at 11 px type."""
    found = re.search(r"\(([^()]+)\)\s*$", name)
    short = found.group(1) if found else name
    fits = max(4, int(room / 6.2))
    return short if len(short) <= fits else short[: fits - 1] + "…"


def _svg(label: str, body: list[str]) -> str:
    return (
        f'<svg class="report-plot" viewBox="0 0 {W} {H}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
        + "".join(body)
        + "</svg>"
    )


def _y(value: float, top: float = 1.0) -> float:
    return TOP + (H - TOP - BOTTOM) * (1 - value / top)


def _axis(ticks: list[tuple[float, str]], top: float = 1.0) -> list[str]:
    base = _y(0, top)
    out = [f'<line x1="{LEFT}" y1="{base:.1f}" x2="{W - RIGHT}" y2="{base:.1f}" stroke="#555"/>']
    for value, text in ticks:
        y = _y(value, top)
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{W - RIGHT}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(
            f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{text}</text>'
        )
    return out


def rates(report: OutcomeReport) -> str:
    """Response and remission per instrument, each with its 95% whisker. One group
    per instrument, named once under its bars (response and remission told apart by
    colour and the legend), so six instruments' names fit side by side at 820 px."""
    groups: list[tuple[str, list[tuple[str, stats.Proportion]]]] = []
    for i in report.instruments:
        bars = [("response", i.response)] if i.response.n else []
        if i.remission is not None and i.remission.n:
            bars.append(("remission", i.remission))
        if bars:
            groups.append((i.name, bars))
    body = _axis([(v / 4, f"{25 * v}%") for v in range(5)])
    slot = (W - LEFT - RIGHT) / max(1, len(groups))
    width = min(28.0, slot * 0.36)
    for k, (name, bars) in enumerate(groups):
        centre = LEFT + (k + 0.5) * slot
        first = centre - width * len(bars) / 2
        for j, (kind, p) in enumerate(bars):
            x = first + j * width
            rate = p.rate or 0.0
            body.append(
                f'<rect x="{x:.1f}" y="{_y(rate):.1f}" width="{width - 2:.1f}" '
                f'height="{_y(0) - _y(rate):.1f}" fill="{COLOURS[kind]}"><title>'
                f"{escape(name)} {kind}: {100 * rate:.1f}% of {p.n}</title></rect>"
            )
            if p.low is not None and p.high is not None:
                mid = x + (width - 2) / 2
                body.append(
                    f'<line x1="{mid:.1f}" y1="{_y(p.low):.1f}" x2="{mid:.1f}" '
                    f'y2="{_y(p.high):.1f}" stroke="#111" stroke-width="1.5"/>'
                )
        body.append(
            f'<text x="{centre:.1f}" y="{H - BOTTOM + 16}" text-anchor="middle" '
            f'font-size="11">{escape(_short(name, slot))}</text>'
        )
    for j, kind in enumerate(COLOURS):
        x = LEFT + 8 + j * 96
        body.append(
            f'<rect x="{x}" y="{H - 16}" width="10" height="10" fill="{COLOURS[kind]}"/>'
            f'<text x="{x + 14}" y="{H - 7}" font-size="11">{kind}</text>'
        )
    ref = report.reference
    for value, what in ((ref.response_rate, "response"), (ref.remission_rate, "remission")):
        y = _y(value)
        body.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{W - RIGHT}" y2="{y:.1f}" stroke="#b5442c" '
            'stroke-dasharray="6 4"/>'
            f'<text x="{W - RIGHT}" y="{y - 3:.1f}" text-anchor="end" font-size="10" '
            'paint-order="stroke" stroke="#fff" stroke-width="3" '
            f'fill="#b5442c">PHQ-9 {what} {100 * value:.1f}% ({escape(ref.source)})</text>'
        )
    return _svg("Response and remission rates with 95% intervals", body)


def km(curve: stats.KmCurve, label: str, reference: bool) -> str:
    """A Kaplan-Meier step curve with its 95% band; the published points if asked."""
    last = max([p.time for p in curve.points] + [60.0])
    span = last * 1.05

    def x(t: float) -> float:
        return LEFT + (W - LEFT - RIGHT) * t / span

    body = _axis([(v / 4, f"{25 * v}%") for v in range(5)])
    step = 28 if span <= 200 else 91
    for t in range(0, int(span) + 1, step):
        body.append(
            f'<text x="{x(t):.1f}" y="{H - BOTTOM + 14}" text-anchor="middle" '
            f'font-size="10">{t} d</text>'
        )
    if curve.points:
        upper, lower, line = [], [], []
        for k, p in enumerate(curve.points):
            end = curve.points[k + 1].time if k + 1 < len(curve.points) else p.time
            upper += [f"{x(p.time):.1f},{_y(p.high):.1f}", f"{x(end):.1f},{_y(p.high):.1f}"]
            lower += [f"{x(p.time):.1f},{_y(p.low):.1f}", f"{x(end):.1f},{_y(p.low):.1f}"]
            line += [f"{x(p.time):.1f},{_y(p.survival):.1f}", f"{x(end):.1f},{_y(p.survival):.1f}"]
        band = " ".join(upper + lower[::-1])
        body.append(f'<polygon points="{band}" fill="#2a6f97" fill-opacity="0.18"/>')
        body.append(
            f'<polyline points="{" ".join(line)}" fill="none" stroke="#2a6f97" stroke-width="2"/>'
        )
    if reference:
        for weeks, share in (
            (4, 0.8),
            (8, 0.6),
        ):
            cx, cy = x(weeks * 7), _y(share)
            body.append(
                f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="5" fill="#b5442c"/>'
                f'<text x="{cx + 8:.1f}" y="{cy - 6:.1f}" font-size="10" fill="#b5442c">'
                f"{100 * share:.0f}% at {weeks} weeks (McInnes 2022)</text>"
            )
    body.append(f'<text x="{W - RIGHT}" y="{H - 6}" text-anchor="end" font-size="10">days</text>')
    return _svg(label, body)


def cadss(report: OutcomeReport) -> str:
    """Each session number's highest-CADSS median with its interquartile range."""
    top = max([q.q3 for _, q in report.cadss] + [10.0]) * 1.1
    body = _axis([(top * v / 4, f"{top * v / 4:.0f}") for v in range(5)], top)
    slot = (W - LEFT - RIGHT) / max(1, len(report.cadss))
    for k, (number, q) in enumerate(report.cadss):
        x = LEFT + k * slot + slot * 0.25
        width = slot * 0.5
        body.append(
            f'<rect x="{x:.1f}" y="{_y(q.q3, top):.1f}" width="{width:.1f}" '
            f'height="{max(1.0, _y(q.q1, top) - _y(q.q3, top)):.1f}" fill="#c9d7e6" '
            f'stroke="#2a6f97"><title>Session {number}: median {q.median:g}, '
            f"interquartile range {q.q1:g} to {q.q3:g} ({q.n} sessions)</title></rect>"
            f'<line x1="{x:.1f}" y1="{_y(q.median, top):.1f}" x2="{x + width:.1f}" '
            f'y2="{_y(q.median, top):.1f}" stroke="#111" stroke-width="2"/>'
            f'<text x="{x + width / 2:.1f}" y="{H - BOTTOM + 14}" text-anchor="middle" '
            f'font-size="10">{number}</text>'
        )
    body.append(
        f'<text x="{W - RIGHT}" y="{H - 6}" text-anchor="end" font-size="10">session number</text>'
    )
    return _svg("Dissociation (CADSS) by session number", body)
