"""The C-SSRS screener: skip logic and risk triage (Posner et al. 2011)."""

# Question 6 asks about behaviour ever; "within the past 3 months?" (cssrs_6_recent)
# follows a yes. Recent behaviour is high risk, lifetime behaviour only moderate.

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical.scales import ScoringError, score

ALL_NO_WITH_SKIP = {"cssrs_1": False, "cssrs_2": False, "cssrs_6": False}
ALL_NO_ASKED = {f"cssrs_{n}": False for n in range(1, 7)} | {"cssrs_2": True}


def screen(**yes: bool) -> dict[str, bool]:
    """Answers with Q2 "no" (so Q3-5 skipped) unless Q2 or Q3-5 are given."""
    asked_followups = yes.get("cssrs_2") or any(f"cssrs_{n}" in yes for n in (3, 4, 5))
    base = {f"cssrs_{n}": False for n in range(1, 7)} if asked_followups else ALL_NO_WITH_SKIP
    return {**base, **yes}


def test_it_finds_no_risk_when_every_question_asked_is_answered_no() -> None:
    result = score("cssrs_screener", ALL_NO_WITH_SKIP)
    assert (result.risk_level, result.band, result.flags) == ("none", "none", ())


@pytest.mark.parametrize(
    ("answers", "risk"),
    [
        (screen(cssrs_1=True), "low"),
        (screen(cssrs_2=True), "low"),
        (screen(cssrs_1=True, cssrs_2=True), "low"),
        (screen(cssrs_2=True, cssrs_3=True), "moderate"),
        (screen(cssrs_2=True, cssrs_4=True), "high"),
        (screen(cssrs_2=True, cssrs_5=True), "high"),
        (screen(cssrs_6=True, cssrs_6_recent=True), "high"),
        (screen(cssrs_1=True, cssrs_6=True, cssrs_6_recent=True), "high"),
        (screen(cssrs_6=True, cssrs_6_recent=False), "moderate"),
        (screen(cssrs_1=True, cssrs_6=True, cssrs_6_recent=False), "moderate"),
        (screen(cssrs_2=True, cssrs_4=True, cssrs_6=True, cssrs_6_recent=False), "high"),
        (
            screen(
                cssrs_2=True,
                cssrs_3=True,
                cssrs_4=True,
                cssrs_5=True,
                cssrs_6=True,
                cssrs_6_recent=True,
            ),
            "high",
        ),
    ],
)
def test_it_triages_risk_by_the_most_serious_yes(answers: dict[str, bool], risk: str) -> None:
    result = score("cssrs_screener", answers)
    assert (result.risk_level, result.band) == (risk, risk)


@pytest.mark.parametrize(("risk", "flagged"), [("low", False), ("moderate", True), ("high", True)])
def test_it_raises_the_suicide_risk_flag_from_moderate_risk_up(risk: str, flagged: bool) -> None:
    answers = {
        "low": screen(cssrs_1=True),
        "moderate": screen(cssrs_2=True, cssrs_3=True),
        "high": screen(cssrs_6=True, cssrs_6_recent=True),
    }[risk]
    assert ("suicide_risk" in score("cssrs_screener", answers).flags) is flagged


def test_it_asks_questions_3_to_5_when_question_2_is_yes() -> None:
    with pytest.raises(ScoringError) as caught:
        score("cssrs_screener", {"cssrs_1": True, "cssrs_2": True, "cssrs_6": False})
    assert caught.value.fields == {f"cssrs_{n}": "missing answer" for n in (3, 4, 5)}


@pytest.mark.parametrize("item_id", ["cssrs_3", "cssrs_4", "cssrs_5"])
@pytest.mark.parametrize("value", [True, False])
def test_it_refuses_an_answer_to_a_question_skipped_because_q2_was_no(
    item_id: str, value: bool
) -> None:
    with pytest.raises(ScoringError) as caught:
        score("cssrs_screener", {**ALL_NO_WITH_SKIP, item_id: value})
    assert list(caught.value.fields) == [item_id]
    assert "must be left blank" in caught.value.fields[item_id]
    assert "cssrs_2" in caught.value.fields[item_id]


def test_it_reports_only_question_2_when_question_2_itself_is_missing() -> None:
    with pytest.raises(ScoringError) as caught:
        score("cssrs_screener", {"cssrs_1": False, "cssrs_6": False})
    assert caught.value.fields == {"cssrs_2": "missing answer"}


def test_it_always_needs_question_6() -> None:
    with pytest.raises(ScoringError) as caught:
        score("cssrs_screener", {"cssrs_1": False, "cssrs_2": False})
    assert caught.value.fields == {"cssrs_6": "missing answer"}


def test_it_counts_yes_answers_as_the_total_only_for_display() -> None:
    result = score("cssrs_screener", screen(cssrs_1=True, cssrs_2=True, cssrs_3=True))
    assert (result.total, result.max_total) == (3, 7)


@st.composite
def screener_answers(draw: st.DrawFn) -> dict[str, bool]:
    answers = {f"cssrs_{n}": draw(st.booleans()) for n in (1, 2, 6)}
    if answers["cssrs_2"]:
        answers |= {f"cssrs_{n}": draw(st.booleans()) for n in (3, 4, 5)}
    if answers["cssrs_6"]:
        answers["cssrs_6_recent"] = draw(st.booleans())
    return answers


@given(screener_answers())
def test_it_finds_risk_exactly_when_something_was_answered_yes(answers: dict[str, bool]) -> None:
    result = score("cssrs_screener", answers)
    assert (result.risk_level == "none") is (not any(answers.values()))
    assert ("suicide_risk" in result.flags) is (result.risk_level in {"moderate", "high"})
    recent = ("cssrs_4", "cssrs_5", "cssrs_6_recent")
    assert (result.risk_level == "high") is any(answers.get(item, False) for item in recent)
    if answers["cssrs_6"]:  # any behaviour, however long ago, is at least moderate risk
        assert result.risk_level in {"moderate", "high"}


def test_it_calls_lifetime_behaviour_moderate_and_recent_behaviour_high_risk() -> None:
    lifetime = score("cssrs_screener", screen(cssrs_6=True, cssrs_6_recent=False))
    recent = score("cssrs_screener", screen(cssrs_6=True, cssrs_6_recent=True))
    assert (lifetime.risk_level, recent.risk_level) == ("moderate", "high")
    assert "suicide_risk" in lifetime.flags and "suicide_risk" in recent.flags


def test_it_asks_whether_behaviour_was_recent_only_after_a_yes_to_question_6() -> None:
    with pytest.raises(ScoringError) as caught:
        score("cssrs_screener", {**ALL_NO_WITH_SKIP, "cssrs_6": True})
    assert caught.value.fields == {"cssrs_6_recent": "missing answer"}
    with pytest.raises(ScoringError) as caught:
        score("cssrs_screener", {**ALL_NO_WITH_SKIP, "cssrs_6_recent": True})
    assert "must be left blank" in caught.value.fields["cssrs_6_recent"]
