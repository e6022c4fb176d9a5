"""Interval estimates for clinic reports: Wilson against published values, the
Kaplan-Meier wrapper against lifelines itself, quartiles of counted values."""

from __future__ import annotations

import pytest
from lifelines import KaplanMeierFitter

from ketaclinic.clinical import stats


def test_it_matches_newcombes_wilson_intervals() -> None:
    # Newcombe 1998, Table I: 81/263 -> 0.2553 to 0.3662; 15/148 -> 0.0624 to 0.1605.
    p = stats.wilson(81, 263)
    assert (round(p.low or 0, 4), round(p.high or 0, 4)) == (0.2553, 0.3662)
    q = stats.wilson(15, 148)
    assert (round(q.low or 0, 4), round(q.high or 0, 4)) == (0.0624, 0.1605)
    # 0 of 10 and 10 of 10 stay inside [0, 1].
    assert stats.wilson(0, 10).low == 0.0 and round(stats.wilson(0, 10).high or 0, 4) == 0.2775
    assert stats.wilson(10, 10).high == 1.0
    assert stats.wilson(0, 0).rate is None


def test_it_refuses_impossible_counts() -> None:
    with pytest.raises(ValueError):
        stats.wilson(3, 2)


def test_it_gives_the_same_km_figures_as_lifelines() -> None:
    durations = [5.0, 12.0, 12.0, 20.0, 28.0, 28.0, 33.5, 40.0, 56.0, 60.0]
    events = [True, True, False, True, False, True, True, False, True, False]
    curve = stats.kaplan_meier(durations, events)
    fitter = KaplanMeierFitter().fit(durations, events)
    expected = fitter.survival_function_.iloc[:, 0]
    band = fitter.confidence_interval_survival_function_
    assert [p.time for p in curve.points] == list(expected.index)
    assert [p.survival for p in curve.points] == pytest.approx(list(expected))
    assert [p.low for p in curve.points] == pytest.approx(list(band.iloc[:, 0]))
    assert [p.high for p in curve.points] == pytest.approx(list(band.iloc[:, 1]))
    assert curve.median == fitter.median_survival_time_
    assert (curve.subjects, curve.events) == (10, 6)
    assert curve.at(30) == curve.points[4] and curve.at(61) is None


def test_it_says_when_the_median_is_not_reached() -> None:
    assert stats.kaplan_meier([10.0, 20.0], [False, False]).median is None
    assert stats.kaplan_meier([], []).points == ()


def test_it_computes_mean_change_and_quartiles() -> None:
    change = stats.mean_change(3, -25.0, 144 + 81 + 16)
    assert change.mean == pytest.approx(-25 / 3)
    assert change.sd == pytest.approx(4.0414518843)
    q = stats.quartiles({1: 1, 2: 1, 3: 1, 4: 1, 5: 1})
    assert q is not None and (q.q1, q.median, q.q3) == (2.0, 3.0, 4.0)
    assert stats.quartiles({}) is None
