"""The patient's course (clinical.course): worked examples by hand and properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from ketaclinic.clinical import course
from ketaclinic.clinical.course import CourseSettings, Treatment

ZONE = "America/Chicago"
# 15:00 UTC is 09:00 in Chicago (CST): the clinic-local day is the UTC day.
START = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)


def day(n: int, hour: int = 15) -> datetime:
    """Clinic-local day ``n`` counting the first treatment's day as 0."""
    return START + timedelta(days=n) + timedelta(hours=hour - 15)


def test_it_takes_the_induction_from_the_first_treatment_within_28_days() -> None:
    treatments = [Treatment(day(n)) for n in (0, 3, 7, 10, 14, 17, 27, 28)]
    found = course.induction(treatments, ZONE)
    assert found is not None
    # Day 27 counted from 0 is calendar day 28 (the last allowed); day 28 is day 29.
    assert found.sessions == 7
    assert found.end_day == day(27).date()
    assert found.span_days == 28
    assert found.completed
    assert found.reason == "7 treatments over 28 days"


def test_it_stops_the_induction_at_eight_sessions() -> None:
    treatments = [Treatment(day(n)) for n in range(10)]
    found = course.induction(treatments, ZONE)
    assert found is not None and found.sessions == 8 and found.span_days == 8


def test_it_says_why_an_induction_is_not_completed() -> None:
    found = course.induction([Treatment(day(n)) for n in (0, 2, 4)], ZONE)
    assert found is not None and not found.completed
    assert found.reason == "not completed: 3 of at least 4 treatments and 5 of at least 7 days"
    still = course.induction([day(0), day(2)], ZONE, as_of=day(5))
    assert still is not None and still.reason.endswith("(still open: day 6 of 28)")


def test_it_counts_days_in_the_clinic_zone() -> None:
    # 04:00 UTC on the 11th is 22:00 on the 10th in Chicago: still day 6 (1-based 7).
    late = datetime(2026, 1, 11, 4, 0, tzinfo=UTC)
    found = course.induction([day(0), day(2), day(4), late], ZONE)
    assert found is not None and found.span_days == 6 and not found.completed
    found = course.induction([day(0), day(2), day(4), late + timedelta(hours=6)], ZONE)
    assert found is not None and found.span_days == 7 and found.completed


def test_it_summarises_an_instrument_at_the_end_of_induction() -> None:
    treatments = [Treatment(day(n)) for n in (0, 3, 7, 10, 14, 17)]
    found = course.induction(treatments, ZONE)
    assert found is not None
    points = [
        (day(-2), 22),
        (day(-1), 20),  # baseline: the last at or before the first treatment
        (day(13), 12),  # before the window
        (day(14), 11),
        (day(31), 8),  # the last in the window: the end-of-induction measure
        (day(32), 9),  # after it
    ]
    summary = course.summarise("phq9", points, found, ZONE)
    assert summary.baseline == (day(-1), 20)
    assert summary.end == (day(31), 8)
    assert summary.change == -12
    assert summary.response is True  # 20 -> 8 is a 60% fall
    assert summary.remission is False  # 8 > 4
    assert summary.durability is not None and summary.durability.censored
    assert summary.durability.days == 1.0


def test_it_marks_a_missing_end_of_induction_measure() -> None:
    found = course.induction([day(n) for n in (0, 3, 7, 10)], ZONE)
    assert found is not None
    summary = course.summarise("phq9", [(day(0), 20), (day(13), 5), (day(32), 5)], found, ZONE)
    assert summary.missing and summary.response is None and summary.change is None


def test_it_uses_each_instruments_response_rule() -> None:
    found = course.induction([day(n) for n in (0, 3, 7, 10)], ZONE)
    assert found is not None
    pcl5 = course.summarise("pcl5", [(day(0), 40), (day(20), 30)], found, ZONE)
    assert pcl5.response is True  # 10 points, though only 25%
    pain = course.summarise("pain_nrs", [(day(0), 10), (day(20), 7)], found, ZONE)
    assert pain.response is True  # 30%
    gad7 = course.summarise("gad7", [(day(0), 10), (day(20), 6)], found, ZONE)
    assert gad7.response is False and gad7.remission is None  # 40%; no remission rule
    madrs = course.summarise("madrs", [(day(0), 30), (day(20), 10)], found, ZONE)
    assert madrs.response is True and madrs.remission is True


def test_it_dates_the_loss_of_response_at_the_first_of_two_consecutive_scores() -> None:
    later = [(day(40), 12), (day(47), 9), (day(54), 11), (day(61), 12), (day(68), 4)]
    # baseline 20: 10 or less meets response. 12 then 9 (meets) resets; 11, 12 lose.
    found = course.durability("phq9", 20, (day(30), 8), later)
    assert found.lost_at == day(54) and not found.censored
    assert found.days == 24.0


def test_it_classifies_later_treatments_and_times_the_first_booster() -> None:
    treatments = [Treatment(day(n)) for n in (0, 3, 7, 10, 14, 17)] + [
        Treatment(day(40), maintenance=True),
        Treatment(day(60)),
        Treatment(day(70), maintenance=True),
    ]
    found = course.course(treatments, {"phq9": [(day(0), 20), (day(75), 9)]}, ZONE)
    assert [kind for _, kind in found.kinds] == ["induction"] * 6 + [
        "maintenance",
        "booster",
        "maintenance",
    ]
    assert found.first_booster is not None and found.first_booster.at == day(60)
    assert found.first_booster.days == 43.0
    none = course.course(treatments[:7], {"phq9": [(day(0), 20), (day(75), 9)]}, ZONE)
    assert none.first_booster is not None and none.first_booster.censored
    assert none.first_booster.days == 58.0  # to the last score


def test_it_has_no_course_without_treatment() -> None:
    empty = course.course([], {"phq9": [(day(0), 20)]}, ZONE)
    assert empty.induction is None and empty.instruments == () and empty.first_booster is None


# ---- properties ------------------------------------------------------------------

offsets = st.lists(st.integers(min_value=0, max_value=24 * 120), min_size=1, max_size=25)
course_settings = st.builds(
    CourseSettings,
    induction_min_sessions=st.integers(1, 10),
    induction_max_sessions=st.integers(1, 12),
    induction_min_days=st.integers(1, 30),
    induction_max_days=st.integers(1, 60),
)


def _treatments(hours: list[int], flags: list[bool]) -> list[Treatment]:
    return [
        Treatment(START + timedelta(hours=h), maintenance=flags[i % len(flags)] if flags else False)
        for i, h in enumerate(hours)
    ]


@settings(max_examples=200)
@given(offsets, st.lists(st.booleans(), max_size=5), course_settings)
def test_it_classifies_every_treatment_exactly_once(
    hours: list[int], flags: list[bool], s: CourseSettings
) -> None:
    treatments = _treatments(hours, flags)
    kinds = course.classify(treatments, ZONE, s)
    assert sorted(at for at, _ in kinds) == sorted(t.given_at for t in treatments)
    found = course.induction(treatments, ZONE, s)
    assert found is not None
    assert sum(1 for _, k in kinds if k == "induction") == found.sessions
    # A later treatment's kind follows its plan's protocol.
    for t, (at, kind) in zip(sorted(treatments, key=lambda t: t.given_at), kinds, strict=True):
        assert at == t.given_at
        if kind != "induction":
            assert kind == ("maintenance" if t.maintenance else "booster")


@settings(max_examples=200)
@given(offsets, course_settings)
def test_it_never_takes_more_sessions_or_days_than_allowed(
    hours: list[int], s: CourseSettings
) -> None:
    found = course.induction(_treatments(hours, []), ZONE, s)
    assert found is not None
    assert 1 <= found.sessions <= s.induction_max_sessions
    assert 1 <= found.span_days <= s.induction_max_days
    assert found.first_at == START + timedelta(hours=min(hours))
    assert found.completed == (
        found.sessions >= s.induction_min_sessions and found.span_days >= s.induction_min_days
    )


totals = st.integers(min_value=0, max_value=27)


@settings(max_examples=200)
@given(
    st.integers(1, 27),
    st.lists(st.tuples(st.integers(0, 24 * 200), totals), max_size=20),
    st.integers(1, 4),
)
def test_it_censors_durability_exactly_when_no_loss(
    base: int, later: list[tuple[int, int]], consecutive: int
) -> None:
    start = (START, base // 2)
    points = [(START + timedelta(hours=h), t) for h, t in later]
    found = course.durability(
        "phq9", base, start, points, CourseSettings(relapse_consecutive=consecutive)
    )
    assert found.days >= 0
    assert found.censored == (found.lost_at is None)
    if found.censored:
        assert found.end == max((p[0] for p in points), default=START)
    else:
        assert found.end == found.lost_at


@settings(max_examples=100)
@given(offsets, st.lists(st.booleans(), max_size=5))
def test_it_never_times_the_first_booster_negative(hours: list[int], flags: list[bool]) -> None:
    found = course.course(_treatments(hours, flags), {}, ZONE)
    assert found.first_booster is not None and found.first_booster.days >= 0
    boosters = [at for at, kind in found.kinds if kind == "booster"]
    assert found.first_booster.censored == (not boosters)
