"""Outcomes over a course of treatment: baseline, change, response, remission,
loss of response and futility."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical.outcomes import (
    RemissionCriterion,
    absolute_change,
    baseline,
    first_response_at,
    is_futile,
    is_remission,
    is_response,
    percent_change,
    response_lost_at,
    summarize,
)

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def day(n: float) -> datetime:
    return START + timedelta(days=n)


# Six infusions over two weeks (docs/clinical-references.md#schedules), on days 0, 2, 4, 7, 9, 11.
INFUSIONS = [day(n) for n in (0, 2, 4, 7, 9, 11)]


def test_it_takes_the_last_score_at_or_before_the_first_treatment_as_baseline() -> None:
    points = [(day(-7), 22), (day(-1), 20), (day(1), 15)]
    assert baseline(points, START) == (day(-1), 20)


def test_it_counts_a_score_taken_at_the_moment_of_the_first_treatment_as_baseline() -> None:
    assert baseline([(day(-1), 20), (START, 18)], START) == (START, 18)


def test_it_finds_no_baseline_when_every_score_came_after_treatment_began() -> None:
    assert baseline([(day(1), 15)], START) is None


def test_it_finds_the_baseline_whatever_order_the_scores_come_in() -> None:
    assert baseline([(day(-1), 20), (day(-7), 22)], START) == (day(-1), 20)


def test_it_reports_change_as_points_and_percent() -> None:
    assert absolute_change(20, 8) == -12
    assert percent_change(20, 8) == pytest.approx(-60.0)
    assert percent_change(10, 12) == pytest.approx(20.0)


def test_it_reports_no_percent_change_from_a_baseline_of_zero() -> None:
    assert percent_change(0, 3) is None


@pytest.mark.parametrize(
    ("baseline_total", "total", "responded"),
    [(20, 10, True), (20, 11, False), (21, 10, True), (21, 11, False), (0, 0, False)],
)
def test_it_calls_a_fall_of_half_or_more_a_response(
    baseline_total: int, total: int, responded: bool
) -> None:
    assert is_response(baseline_total, total) is responded


def test_it_uses_exact_arithmetic_for_a_30_percent_pain_response() -> None:
    # 0.3 * 10 is 3.0000000000000004 in floats; a fall from 10 to 7 must count.
    assert is_response(10, 7, min_fall_fraction=0.3)
    assert not is_response(10, 8, min_fall_fraction=0.3)


@pytest.mark.parametrize("fraction", [0, -0.5, 1.5])
def test_it_refuses_a_response_fraction_outside_zero_to_one(fraction: float) -> None:
    with pytest.raises(ValueError, match="min_fall_fraction"):
        is_response(20, 5, min_fall_fraction=fraction)


@pytest.mark.parametrize(
    ("instrument_id", "baseline_total", "total", "remitted"),
    [
        ("phq9", 10, 4, True),
        ("phq9", 10, 5, False),
        ("phq9", 9, 2, None),  # baseline below 10: remission is not assessable
        ("phq9", None, 2, None),
        ("madrs", 30, 10, True),
        ("madrs", 30, 11, False),
        ("madrs", 8, 10, True),  # MADRS has no baseline condition
        ("gad7", 15, 2, None),  # no remission criterion defined
    ],
)
def test_it_judges_remission_by_each_instruments_criterion(
    instrument_id: str, baseline_total: int | None, total: int, remitted: bool | None
) -> None:
    assert is_remission(instrument_id, baseline_total, total) is remitted


def test_it_lets_a_clinic_set_its_own_remission_criterion() -> None:
    criteria = {"qids_sr16": RemissionCriterion(max_total=5)}
    assert is_remission("qids_sr16", 18, 5, criteria=criteria) is True
    assert is_remission("phq9", 20, 2, criteria=criteria) is None


def test_it_dates_the_first_score_that_met_response() -> None:
    points = [(day(2), 15), (day(4), 10), (day(7), 8)]
    assert first_response_at(points, 20) == day(4)
    assert first_response_at(points, 20, min_fall_fraction=0.6) == day(7)


def test_it_confirms_lost_response_after_two_non_responding_scores_in_a_row() -> None:
    points = [(day(2), 12), (day(4), 9), (day(7), 11), (day(9), 12), (day(11), 14)]
    assert response_lost_at(points, 20) == day(9)


def test_it_forgives_a_single_bad_score_between_good_ones() -> None:
    points = [(day(2), 9), (day(4), 11), (day(7), 9), (day(9), 11)]
    assert response_lost_at(points, 20) is None


def test_it_never_calls_relapse_before_a_response_was_reached() -> None:
    points = [(day(2), 18), (day(4), 19), (day(7), 20)]
    assert response_lost_at(points, 20) is None


def test_it_lets_a_clinic_choose_how_many_scores_confirm_lost_response() -> None:
    points = [(day(2), 9), (day(4), 11)]
    assert response_lost_at(points, 20, consecutive=1) == day(4)
    with pytest.raises(ValueError, match="consecutive"):
        response_lost_at(points, 20, consecutive=0)


def test_it_lets_a_clinic_call_relapse_only_above_a_fraction_of_baseline() -> None:
    points = [(day(2), 9), (day(4), 12), (day(7), 14)]
    assert response_lost_at(points, 20) == day(7)
    assert response_lost_at(points, 20, relapse_above_fraction=0.75) is None
    assert response_lost_at([*points, (day(9), 16), (day(11), 16)], 20, relapse_above_fraction=0.75)


def test_it_flags_futility_when_four_treatments_brought_no_response() -> None:
    points = [(day(-1), 20), (day(2), 18), (day(4), 16), (day(7), 15), (day(8), 14)]
    assert is_futile(points, INFUSIONS[:4], 20)


def test_it_waits_for_a_score_after_the_fourth_treatment_before_flagging_futility() -> None:
    points = [(day(-1), 20), (day(2), 18), (day(4), 16), (day(7), 15)]
    assert not is_futile(points, INFUSIONS[:4], 20)


def test_it_does_not_flag_futility_after_a_response_even_if_it_faded() -> None:
    points = [(day(2), 10), (day(4), 16), (day(8), 17)]
    assert not is_futile(points, INFUSIONS[:4], 20)


def test_it_does_not_flag_futility_before_enough_treatments_or_without_a_baseline() -> None:
    points = [(day(2), 18), (day(5), 18), (day(8), 18)]
    assert not is_futile(points, INFUSIONS[:3], 20)
    assert not is_futile(points, INFUSIONS[:4], None)


def test_it_lets_a_clinic_flag_futility_after_three_treatments() -> None:
    points = [(day(2), 18), (day(5), 18)]
    assert is_futile(points, INFUSIONS[:3], 20, after_treatments=3)
    with pytest.raises(ValueError, match="after_treatments"):
        is_futile(points, INFUSIONS[:3], 20, after_treatments=0)


def test_it_summarizes_a_phq9_course_that_responds_and_remits() -> None:
    points = [(day(-7), 21), (day(-1), 20), (day(2), 14), (day(4), 9), (day(9), 6), (day(12), 4)]
    summary = summarize("phq9", points, INFUSIONS)
    assert summary.treatments_given == 6
    assert summary.baseline == (day(-1), 20)
    assert summary.latest == (day(12), 4)
    assert summary.absolute_change == -16
    assert summary.percent_change == pytest.approx(-80.0)
    assert summary.is_response and summary.first_response_at == day(4)
    assert summary.is_remission is True
    assert summary.response_lost_at is None
    assert summary.is_futile is False


def test_it_summarizes_a_madrs_course_that_responds_then_relapses() -> None:
    points = [(day(0), 32), (day(4), 14), (day(9), 18), (day(12), 22)]
    summary = summarize("madrs", points, INFUSIONS)
    assert summary.first_response_at == day(4)
    assert summary.response_lost_at == day(12)
    assert summary.is_response is False and summary.is_remission is False


def test_it_summarizes_a_course_without_baseline_as_unknown() -> None:
    summary = summarize("phq9", [(day(2), 14)], INFUSIONS)
    assert summary.baseline is None and summary.latest is None
    assert summary.is_response is False and summary.is_remission is None
    assert summary.is_futile is False


def test_it_summarizes_scores_with_no_treatment_yet() -> None:
    summary = summarize("phq9", [(day(-1), 20)], [])
    assert (summary.treatments_given, summary.baseline) == (0, None)


totals = st.integers(0, 60)


@given(totals, totals, totals)
def test_it_still_calls_a_lower_score_a_response(baseline_total: int, a: int, b: int) -> None:
    lower, higher = sorted((a, b))
    if is_response(baseline_total, higher):
        assert is_response(baseline_total, lower)


@given(st.integers(1, 60), totals)
def test_it_gives_percent_change_the_sign_of_the_point_change(
    baseline_total: int, total: int
) -> None:
    percent = percent_change(baseline_total, total)
    assert percent is not None
    change = absolute_change(baseline_total, total)
    assert (percent > 0, percent < 0) == (change > 0, change < 0)


course = st.lists(st.tuples(st.integers(-10, 30).map(day), totals), max_size=12)


@given(course)
def test_it_never_takes_a_baseline_from_after_the_first_treatment(
    points: list[tuple[datetime, int]],
) -> None:
    found = baseline(points, START)
    assert found is None or (found in points and found[0] <= START)
    assert (found is None) is all(taken_at > START for taken_at, _ in points)


@given(st.integers(1, 60), course, st.integers(1, 3))
def test_it_never_dates_lost_response_before_the_first_response(
    baseline_total: int, points: list[tuple[datetime, int]], consecutive: int
) -> None:
    lost = response_lost_at(points, baseline_total, consecutive=consecutive)
    if lost is not None:
        responded = first_response_at(points, baseline_total)
        assert responded is not None and responded <= lost


@given(st.integers(1, 60), course)
def test_it_never_calls_a_course_both_futile_and_responding(
    baseline_total: int, points: list[tuple[datetime, int]]
) -> None:
    after = [point for point in points if point[0] > START]
    if is_futile(points, INFUSIONS, baseline_total):
        assert first_response_at(after, baseline_total) is None


# ---- PCL-5: an absolute threshold (docs/clinical-references.md#outcomes) --------


def test_it_counts_a_10_point_pcl5_fall_as_response_whatever_the_percentage() -> None:
    from ketaclinic.clinical.outcomes import DEFAULT_MIN_FALL_POINTS, is_response, summarize

    assert DEFAULT_MIN_FALL_POINTS["pcl5"] == 10
    # 60 -> 50 is a 17% fall: meaningful for PCL-5, not a 50% response.
    assert is_response(60, 50, min_fall_points=10)
    assert not is_response(60, 51, min_fall_points=10)
    assert not is_response(60, 50)
    t0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
    points = [(t0 - timedelta(days=1), 60), (t0 + timedelta(days=14), 50)]
    assert summarize("pcl5", points, [t0]).is_response
    assert not summarize("pcl5", points, [t0], min_fall_points={}).is_response


@given(st.integers(0, 80), st.integers(0, 80), st.integers(1, 30))
def test_it_meets_an_absolute_threshold_exactly_when_the_fall_reaches_it(
    baseline: int, total: int, points: int
) -> None:
    from ketaclinic.clinical.outcomes import is_response

    assert is_response(baseline, total, min_fall_points=points) is (
        baseline > 0 and baseline - total >= points
    )
