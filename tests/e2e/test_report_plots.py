"""The outcomes report's rate plot as Chromium draws it at 820 px: with every
instrument reported, no two of its labels overlap."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from playwright.sync_api import Page

from ketaclinic.clinical import stats
from ketaclinic.clinical.report_reference import MCINNES_2022
from ketaclinic.clinical.scales import load_instruments
from ketaclinic.reports import plots

pytestmark = pytest.mark.e2e

REPORTED = ("phq9", "madrs", "gad7", "pcl5", "qids_sr16", "pain_nrs")


def _report() -> Any:
    instruments = load_instruments()
    figures = [
        SimpleNamespace(
            name=instruments[key].name,
            response=stats.Proportion(12, 20, 0.39, 0.78),
            remission=stats.Proportion(6, 20, 0.15, 0.52),
        )
        for key in REPORTED
    ]
    return SimpleNamespace(instruments=figures, reference=MCINNES_2022)


def test_it_draws_every_instruments_label_apart_at_820_px(page: Page) -> None:
    page.set_viewport_size({"width": 820, "height": 600})
    page.set_content(
        f"<body style='margin:0'><div style='width:790px'>{plots.rates(_report())}</div>"
    )
    boxes = page.evaluate(
        """() => [...document.querySelectorAll('svg text')].map(t => {
            const b = t.getBoundingClientRect();
            return [t.textContent, b.left, b.top, b.right, b.bottom];
        })"""
    )
    for i, (text, left, top, right, bottom) in enumerate(boxes):
        for other, l2, t2, r2, b2 in boxes[i + 1 :]:
            apart = right <= l2 or r2 <= left or bottom <= t2 or b2 <= top
            assert apart, f"{text!r} overlaps {other!r}"
