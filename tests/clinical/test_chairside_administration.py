"""Chairside records that can happen (issue 18, sections 2 and 3), as pure rules: the
infusion clock stops while paused, an early end needs a reason, nothing given beyond
the released dose, steps in order and never in the future, a repeated manual reading
is recognised, and the reading interval follows the phase."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical.chairside import (
    MEASURES,
    STOP_REASONS,
    Reading,
    ends_early,
    given_problem,
    infused_minutes,
    next_reading_due,
    repeat_of,
    step_time_problem,
    stop_reason_problems,
)
from ketaclinic.clinical.treatment import get_protocol
from ketaclinic.clinical.treatment.model import Monitoring

T0 = datetime(2026, 12, 9, 20, 46, tzinfo=UTC)  # 14:46 in Chicago


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


# ---- the infusion clock ------------------------------------------------------------


def test_it_counts_a_40_minute_infusion_ended_at_once_as_zero_minutes() -> None:
    assert infused_minutes(T0, [("end_administration", T0)], T0) == 0
    assert ends_early(Decimal(0), 40, Decimal("0.8"))


def test_it_stops_the_clock_while_paused() -> None:
    steps = [("pause", at(10)), ("resume", at(30)), ("end_administration", at(50))]
    assert infused_minutes(T0, steps, at(60)) == 30
    # Still paused: the clock does not run on.
    assert infused_minutes(T0, [("pause", at(10))], at(90)) == 10
    # Never started: nothing ran.
    assert infused_minutes(None, [], at(90)) == 0


@given(st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=8))
def test_it_never_counts_more_than_the_time_between_start_and_end(gaps: list[int]) -> None:
    """Alternate pauses and resumes at the given gaps: the clock counts exactly the
    running stretches, which never exceed the wall time."""
    steps, now, running, ran = [], T0, True, 0
    for gap in gaps:
        now += timedelta(minutes=gap)
        ran += gap if running else 0
        steps.append(("pause" if running else "resume", now))
        running = not running
    counted = infused_minutes(T0, steps, now)
    assert counted == ran
    assert counted <= Decimal((now - T0).total_seconds()) / 60


@pytest.mark.parametrize(
    ("ran", "planned", "early"),
    [(0, 40, True), (31.9, 40, True), (32, 40, False), (40, 40, False), (3, None, False)],
)
def test_it_calls_an_end_before_80_percent_of_the_plan_early(
    ran: float, planned: int | None, early: bool
) -> None:
    assert ends_early(Decimal(str(ran)), planned, Decimal("0.8")) is early


def test_it_needs_a_reason_for_an_early_end_and_words_for_other() -> None:
    assert "early_reason" in stop_reason_problems(None, "")
    assert "early_reason" in stop_reason_problems("bored", "")
    assert stop_reason_problems("other", "") == {"early_note": "say what happened"}
    for reason in STOP_REASONS:
        assert stop_reason_problems(reason, "pump alarm, line occluded") == {}


@given(
    st.decimals(min_value=0, max_value=200, places=1),
    st.decimals(min_value=0, max_value=200, places=1),
)
def test_it_accepts_any_amount_up_to_the_released_dose_and_none_beyond(
    given_mg: Decimal, released: Decimal
) -> None:
    problem = given_problem(given_mg, released)
    assert (problem is None) == (given_mg <= released)
    if problem:
        assert f"{released} mg" in problem


def test_it_refuses_a_given_amount_when_no_dose_was_released() -> None:
    assert given_problem(Decimal(0), None) is None
    assert given_problem(Decimal(1), None) == "no dose was released for this session"


# ---- steps in time -----------------------------------------------------------------------


@given(st.integers(min_value=-600, max_value=600), st.integers(min_value=-600, max_value=0))
def test_it_dates_a_step_neither_in_the_future_nor_before_the_previous_one(
    offset: int, previous_offset: int
) -> None:
    now = at(60)
    step, previous = now + timedelta(minutes=offset), now + timedelta(minutes=previous_offset)
    problem = step_time_problem(step, previous, now)
    if offset > 2:
        assert problem == "in the future"
    elif step < previous:
        assert problem is not None and problem.startswith("before the step it follows")
    else:
        assert problem is None


# ---- the same reading twice ------------------------------------------------------------------

VALUES = st.fixed_dictionaries(
    {m: st.one_of(st.none(), st.integers(min_value=0, max_value=150)) for m in MEASURES}
)


@given(VALUES, st.integers(min_value=0, max_value=600))
def test_it_recognises_a_manual_reading_sent_again_within_the_window(
    values: dict[str, int | None], seconds_later: int
) -> None:
    first = Reading(at=T0, **values)  # type: ignore[arg-type]
    again = Reading(at=T0 + timedelta(seconds=seconds_later), **values)  # type: ignore[arg-type]
    found = repeat_of(again, [first], window_min=5)
    assert (found is first) == (seconds_later < 300)


@given(VALUES, st.sampled_from(MEASURES))
def test_it_does_not_call_a_changed_value_a_repeat(
    values: dict[str, int | None], changed: str
) -> None:
    first = Reading(at=T0, **values)  # type: ignore[arg-type]
    moved = {**values, changed: (values[changed] or 0) + 1}
    assert repeat_of(Reading(at=at(1), **moved), [first], window_min=5) is None  # type: ignore[arg-type]


# ---- monitoring follows the phase -------------------------------------------------------------


@pytest.mark.parametrize(
    "protocol_id",
    [
        "depression_iv_twice_weekly",
        "depression_iv_accelerated",
        "depression_iv_321_monthly",
        "crps_iv_daily",
        "maintenance_taper",
    ],
)
def test_it_reads_bp_every_10_minutes_during_an_infusion_and_every_15_after(
    protocol_id: str,
) -> None:
    """CLINICAL.md Monitoring: BP every 10 min during the infusion, every 15 after."""
    every = get_protocol(protocol_id).monitoring.every_min
    assert (every.in_phase("administration"), every.in_phase("observation")) == (10, 15)
    assert every.source and "Monitoring during and after a session" in every.source
    last = at(0)
    assert next_reading_due(last, every.in_phase("administration")) == at(10)
    assert next_reading_due(last, every.in_phase("observation")) == at(15)


def test_it_takes_one_number_as_the_interval_of_every_phase() -> None:
    every = get_protocol("esketamine_nasal").monitoring.every_min
    assert {every.in_phase(p) for p in ("pre_dose", "administration", "observation")} == {40}
    with pytest.raises(ValueError, match="unknown phase"):
        every.in_phase("lunch")


def test_it_refuses_an_interval_outside_1_to_120_minutes() -> None:
    base = get_protocol("depression_iv_twice_weekly").monitoring.model_dump()
    base["every_min"] = {"pre_dose": 15, "administration": 0, "observation": 15}
    with pytest.raises(ValueError, match="administration"):
        Monitoring.model_validate(base)
