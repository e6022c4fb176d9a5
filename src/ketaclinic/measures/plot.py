"""The trajectory plot: one questionnaire's totals over time as an SVG.

A pure function of its inputs (no database, no request), so it is tested alone.
Matplotlib's object API is used without ``pyplot``: pyplot keeps global state and
is not safe in a threaded web server; a ``Figure`` per call is.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import matplotlib
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ketaclinic.clinical.scales import Instrument
from ketaclinic.kit.time import as_utc

matplotlib.use("Agg")  # never a GUI backend on a server
# Text stays text (smaller and searchable), and element ids are salted with a
# constant so the same data always gives the same bytes.
matplotlib.rcParams["svg.fonttype"] = "none"
matplotlib.rcParams["svg.hashsalt"] = "ketaclinic"

Point = tuple[datetime, int]  # (completed at, total)

# Severity bands from calm to alarming; a band's colour is picked by its position,
# spread over the list, so instruments with 3 or 6 bands use the whole range.
_BAND_COLOURS = ("#e7f6ec", "#f3f8d8", "#fff4d6", "#ffe6cc", "#fdd9d3", "#f9c6c0")
_LINE = "#1f6feb"
_TREATMENT = "#5b6577"


def _band_colour(index: int, count: int) -> str:
    if count <= 1:
        return _BAND_COLOURS[0]
    position = round(index * (len(_BAND_COLOURS) - 1) / (count - 1))
    return _BAND_COLOURS[position]


def trajectory_svg(
    instrument: Instrument,
    points: Sequence[Point],
    treatments: Sequence[datetime],
    tz: str,
) -> str:
    """Score over time for ``instrument``: severity bands shaded, treatments as
    dashed vertical lines, y from 0 to the instrument's maximum total, dates shown
    in the time zone ``tz``."""
    zone = ZoneInfo(tz)
    when = [as_utc(at).astimezone(zone) for at, _ in points]
    totals = [total for _, total in points]
    given = [as_utc(at).astimezone(zone) for at in treatments]

    fig = Figure(figsize=(7.2, 3.2), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    max_total = instrument.max_total
    _shade_bands(ax, instrument)
    for index, at in enumerate(given):
        ax.axvline(
            at,  # type: ignore[arg-type]  # matplotlib converts datetimes
            color=_TREATMENT,
            linestyle="--",
            linewidth=1,
            label="treatment" if index == 0 else None,
        )
    if points:
        ax.plot(when, totals, marker="o", color=_LINE, linewidth=2, label="total")  # type: ignore[arg-type]
    else:
        ax.text(0.5, 0.5, "No scores yet", transform=ax.transAxes, ha="center", va="center")

    ax.set_ylim(0, max_total)
    ax.set_ylabel(f"Total (0-{max_total})")
    ax.set_title(instrument.name, fontsize=10, loc="left")
    _set_date_axis(ax, [*when, *given], zone)
    if given or points:
        ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
    ax.grid(axis="y", color="#d8dde6", linewidth=0.5)

    buffer = io.StringIO()
    # No creation date in the metadata: the same data gives the same bytes.
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def _shade_bands(ax: Axes, instrument: Instrument) -> None:
    bands = instrument.bands
    for index, band in enumerate(bands):
        top = bands[index + 1].min_total if index + 1 < len(bands) else instrument.max_total
        ax.axhspan(band.min_total, top, color=_band_colour(index, len(bands)), zorder=0)
        ax.text(
            1.01,
            (band.min_total + top) / 2,
            band.label,
            transform=ax.get_yaxis_transform(),
            fontsize=7,
            va="center",
            color="#5b6577",
        )


def _set_date_axis(ax: Axes, moments: Sequence[datetime], zone: ZoneInfo) -> None:
    if not moments:
        ax.set_xticks([])
        return
    first, last = min(moments), max(moments)
    # A single day would give an empty range: widen it so the point sits inside.
    pad = max((last - first) * 0.05, timedelta(days=1))
    ax.set_xlim(first - pad, last + pad)  # type: ignore[arg-type]
    locator = mdates.AutoDateLocator(tz=zone, minticks=3)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    formatter = mdates.ConciseDateFormatter(locator, tz=zone)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_formatter(formatter)
