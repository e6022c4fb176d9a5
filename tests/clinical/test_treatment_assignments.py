"""Which questionnaires are due before which visit (clinical.treatment.assignments)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketaclinic.clinical.treatment import get_protocol, parse_protocol
from ketaclinic.clinical.treatment.assignments import Answer, Visit, assign, for_visit
from ketaclinic.clinical.treatment.loader import ProtocolError
from ketaclinic.clinical.treatment.model import QuestionnaireRule

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PHQ9 = QuestionnaireRule(instrument="phq9", source="test")
GAD7 = QuestionnaireRule(instrument="gad7", min_days_apart=7, source="test")
RULES = (PHQ9, GAD7)


def visits_at(*days: float, rules: tuple[QuestionnaireRule, ...] = RULES) -> list[Visit]:
    return [Visit(n, T0 + timedelta(days=d), rules) for n, d in enumerate(days, start=1)]


def test_it_assigns_the_phq9_to_every_visit_and_the_gad7_weekly() -> None:
    found = assign(visits_at(0, 3, 7, 10, 14), [], open_hours=48)
    phq9 = [a.visit.key for a in found if a.instrument == "phq9"]
    gad7 = [a.visit.key for a in found if a.instrument == "gad7"]
    assert phq9 == [1, 2, 3, 4, 5]
    assert gad7 == [1, 3, 5]


def test_it_opens_48_hours_before_and_is_due_at_the_visit() -> None:
    (phq9, _gad7) = assign(visits_at(0), [], open_hours=48)
    assert phq9.opens_at == T0 - timedelta(hours=48)
    assert phq9.due_at == T0
    assert phq9.state(T0 - timedelta(hours=49)) == "upcoming"
    assert phq9.is_open(T0 - timedelta(hours=47))
    assert phq9.state(T0 + timedelta(minutes=1)) == "missed"


def test_it_never_opens_before_the_previous_visit() -> None:
    found = assign(visits_at(0, 1), [], open_hours=48)
    second = for_visit(found, 2)[0]
    assert second.opens_at == T0


def test_it_counts_an_answer_in_the_window_once() -> None:
    answer = Answer(7, "phq9", T0 + timedelta(hours=12))
    found = assign(visits_at(0, 1), [answer], open_hours=48)
    phq9 = [a for a in found if a.instrument == "phq9"]
    assert [a.done for a in phq9] == [None, answer]


def test_it_ignores_an_answer_outside_the_window() -> None:
    early = Answer(1, "phq9", T0 - timedelta(hours=60))
    found = assign(visits_at(0), [early], open_hours=48)
    assert all(a.done is None for a in found)


def test_it_refuses_a_clinician_rated_questionnaire_in_a_protocol() -> None:
    text = get_protocol("depression_iv_twice_weekly").model_dump_json()
    bad = text.replace('"instrument":"gad7"', '"instrument":"madrs"')
    with pytest.raises(ProtocolError, match="clinician"):
        parse_protocol(bad, "bad.yaml")


def test_it_refuses_a_questionnaire_listed_twice() -> None:
    text = get_protocol("depression_iv_twice_weekly").model_dump_json()
    bad = text.replace('"instrument":"gad7"', '"instrument":"phq9"')
    with pytest.raises(ProtocolError, match="more than once"):
        parse_protocol(bad, "bad.yaml")


def test_it_has_the_depression_protocols_ask_for_the_phq9() -> None:
    for protocol_id in ("depression_iv_twice_weekly", "esketamine_nasal", "maintenance_taper"):
        assert "phq9" in {r.instrument for r in get_protocol(protocol_id).questionnaires}


# ---- properties ------------------------------------------------------------------

hours = st.integers(min_value=0, max_value=60 * 24)
visit_hours = st.lists(hours, min_size=0, max_size=12, unique=True)
answer_list = st.lists(
    st.tuples(st.sampled_from(["phq9", "gad7"]), st.integers(min_value=-96, max_value=60 * 24)),
    max_size=15,
)


def _build(starts: list[int], answered: list[tuple[str, int]]) -> tuple[list[Visit], list[Answer]]:
    visits = [Visit(n, T0 + timedelta(hours=h), RULES) for n, h in enumerate(starts)]
    answers = [
        Answer(n, instrument, T0 + timedelta(hours=h)) for n, (instrument, h) in enumerate(answered)
    ]
    return visits, answers


@settings(max_examples=200, deadline=None)
@given(visit_hours, answer_list, st.integers(min_value=1, max_value=168))
def test_it_keeps_every_window_before_its_visit_and_no_longer_than_open_hours(
    starts: list[int], answered: list[tuple[str, int]], open_hours: int
) -> None:
    visits, answers = _build(starts, answered)
    for a in assign(visits, answers, open_hours=open_hours):
        assert a.due_at == a.visit.starts_at
        assert a.opens_at <= a.due_at
        assert a.due_at - a.opens_at <= timedelta(hours=open_hours)
        earlier = [v.starts_at for v in visits if v.starts_at < a.visit.starts_at]
        assert all(start <= a.opens_at for start in earlier)


@settings(max_examples=200, deadline=None)
@given(visit_hours, answer_list)
def test_it_assigns_every_visit_rule_to_each_visit_and_weekly_at_most_weekly(
    starts: list[int], answered: list[tuple[str, int]]
) -> None:
    visits, answers = _build(starts, answered)
    found = assign(visits, answers, open_hours=48)
    assert sorted(a.visit.key for a in found if a.instrument == "phq9") == sorted(
        v.key for v in visits
    )
    weekly = sorted(a.visit.starts_at for a in found if a.instrument == "gad7")
    assert all(b - a >= timedelta(days=7) for a, b in itertools.pairwise(weekly))
    # A visit without the GAD-7 follows one that has it within 7 days.
    for v in visits:
        if v.starts_at not in weekly:
            assert any(timedelta(0) < v.starts_at - w < timedelta(days=7) for w in weekly)


@settings(max_examples=200, deadline=None)
@given(visit_hours, answer_list)
def test_it_counts_each_answer_once_inside_its_window_and_misses_none(
    starts: list[int], answered: list[tuple[str, int]]
) -> None:
    visits, answers = _build(starts, answered)
    found = assign(visits, answers, open_hours=48)
    used = [a.done.key for a in found if a.done is not None]
    assert len(used) == len(set(used))
    for a in found:
        if a.done is not None:
            assert a.done.instrument == a.instrument
            assert a.opens_at <= a.done.completed_at <= a.due_at
        else:
            fits = [
                x
                for x in answers
                if x.instrument == a.instrument
                and a.opens_at <= x.completed_at <= a.due_at
                and x.key not in used
            ]
            assert fits == []
