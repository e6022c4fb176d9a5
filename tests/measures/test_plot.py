"""The trajectory plot is a pure function: data in, SVG text out."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from ketaclinic.clinical.scales import get_instrument
from ketaclinic.measures.plot import trajectory_svg

START = datetime(2026, 1, 1, 2, 0, tzinfo=UTC)  # 8 pm on Dec 31 in Chicago
SERIES = [(START, 20), (START + timedelta(days=2), 12)]


def _texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_it_draws_an_svg_with_the_bands_labelled_and_the_full_scale() -> None:
    svg = trajectory_svg(get_instrument("phq9"), SERIES, [START + timedelta(days=1)], "UTC")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    texts = _texts(svg)
    for band in ("minimal", "mild", "moderate", "moderately severe", "severe"):
        assert band in texts
    assert "Total (0-27)" in texts
    assert "treatment" in texts  # the legend names the treatment lines
    assert "<script" not in svg


def test_it_shows_dates_in_the_clinic_time_zone() -> None:
    phq9 = get_instrument("phq9")
    chicago = _texts(trajectory_svg(phq9, SERIES, [], "America/Chicago"))
    utc = _texts(trajectory_svg(phq9, SERIES, [], "UTC"))
    assert "31" in chicago and "31" not in utc  # the first score was Dec 31 in Chicago
    assert "04" in utc and "04" not in chicago


def test_it_gives_the_same_bytes_for_the_same_data() -> None:
    phq9 = get_instrument("phq9")
    assert trajectory_svg(phq9, SERIES, [], "UTC") == trajectory_svg(phq9, SERIES, [], "UTC")


def test_it_draws_an_empty_plot_for_an_instrument_without_bands() -> None:
    svg = trajectory_svg(get_instrument("cssrs_screener"), [], [], "America/Chicago")
    assert "No scores yet" in _texts(svg)
    assert "Total (0-7)" in _texts(svg)


def test_it_draws_a_single_score() -> None:
    svg = trajectory_svg(get_instrument("gad7"), [(START, 9)], [], "America/Chicago")
    assert "<svg" in svg and "Total (0-21)" in _texts(svg)
