"""Answers are complete, known, in range and of the right type, or refused.

Every refusal is a ScoringError whose ``fields`` names each offending item, so a
form can show the message by the question.
"""

from __future__ import annotations

import dataclasses

import pytest

from ketaclinic.clinical.scales import (
    Instrument,
    ScoringError,
    get_instrument,
    load_instruments,
    score,
)

PHQ9_ALL_ONES = {f"phq9_{n}": 1 for n in range(1, 10)}


def complete_answers(instrument: Instrument) -> dict[str, int | bool]:
    """A full set of answers; for the C-SSRS, "yes" to Q2 and Q6 so every follow-up is asked."""
    if instrument.answer_type == "yes_no":
        return {item.id: item.id in {"cssrs_2", "cssrs_6"} for item in instrument.scored_items}
    return {item.id: 1 for item in instrument.scored_items if item.required}


def test_it_scores_a_complete_phq9() -> None:
    result = score(get_instrument("phq9"), PHQ9_ALL_ONES)
    assert (result.instrument_id, result.instrument_version) == ("phq9", "1.0")
    assert (result.total, result.max_total, result.band) == (9, 27, "mild")
    assert result.flags == ("suicide_risk",)
    assert result.risk_level is None
    assert result.answers == PHQ9_ALL_ONES


def test_it_accepts_an_instrument_id_in_place_of_the_instrument() -> None:
    assert score("phq9", PHQ9_ALL_ONES).total == 9


def test_it_names_every_missing_item() -> None:
    answers = {k: v for k, v in PHQ9_ALL_ONES.items() if k not in {"phq9_3", "phq9_8"}}
    with pytest.raises(ScoringError) as caught:
        score("phq9", answers)
    assert caught.value.fields == {"phq9_3": "missing answer", "phq9_8": "missing answer"}
    assert "phq9_3" in str(caught.value) and "phq9_8" in str(caught.value)


def test_it_names_all_nine_items_of_an_empty_phq9_but_not_the_optional_tenth() -> None:
    with pytest.raises(ScoringError) as caught:
        score("phq9", {})
    assert sorted(caught.value.fields) == sorted(PHQ9_ALL_ONES)


def test_it_does_not_prorate_an_almost_complete_form() -> None:
    with pytest.raises(ScoringError):
        score("pcl5", {f"pcl5_{n}": 4 for n in range(1, 20)})


def test_it_names_an_unknown_item() -> None:
    with pytest.raises(ScoringError) as caught:
        score("phq9", {**PHQ9_ALL_ONES, "phq9_11": 0})
    assert caught.value.fields == {"phq9_11": "not an item of phq9"}


@pytest.mark.parametrize(("value", "why"), [(4, "between 0 and 3, got 4"), (-1, "got -1")])
def test_it_names_an_out_of_range_answer(value: int, why: str) -> None:
    with pytest.raises(ScoringError) as caught:
        score("phq9", {**PHQ9_ALL_ONES, "phq9_5": value})
    assert list(caught.value.fields) == ["phq9_5"]
    assert why in caught.value.fields["phq9_5"]


@pytest.mark.parametrize("value", [True, False, 1.0, "2", None])
def test_it_refuses_anything_but_a_whole_number_for_a_rated_item(value: object) -> None:
    with pytest.raises(ScoringError) as caught:
        score("phq9", {**PHQ9_ALL_ONES, "phq9_2": value})  # type: ignore[dict-item]
    assert list(caught.value.fields) == ["phq9_2"]
    assert "expected a whole number 0-3" in caught.value.fields["phq9_2"]


@pytest.mark.parametrize("value", [0, 1, "yes"])
def test_it_refuses_anything_but_true_or_false_for_a_yes_no_item(value: object) -> None:
    answers: dict[str, object] = {f"cssrs_{n}": False for n in (1, 2, 6)}
    answers["cssrs_1"] = value
    with pytest.raises(ScoringError) as caught:
        score("cssrs_screener", answers)  # type: ignore[arg-type]
    assert list(caught.value.fields) == ["cssrs_1"]
    assert "expected yes or no" in caught.value.fields["cssrs_1"]


def test_it_reports_every_kind_of_problem_at_once() -> None:
    answers = {**PHQ9_ALL_ONES, "phq9_1": 9, "phq9_2": True, "phq9_x": 1}
    del answers["phq9_9"]
    with pytest.raises(ScoringError) as caught:
        score("phq9", answers)
    assert set(caught.value.fields) == {"phq9_1", "phq9_2", "phq9_9", "phq9_x"}


def test_it_is_a_value_error_with_a_stable_code_for_the_web_layer() -> None:
    error = ScoringError("phq9", {"phq9_1": "missing answer"})
    assert issubclass(ScoringError, ValueError)
    assert (error.code, error.status_code, error.instrument_id) == ("answers_invalid", 422, "phq9")


def test_it_echoes_but_does_not_score_the_phq9_difficulty_question() -> None:
    result = score("phq9", {**PHQ9_ALL_ONES, "phq9_10": 3})
    assert result.total == 9
    assert result.answers["phq9_10"] == 3


def test_it_still_checks_the_range_of_the_optional_difficulty_question() -> None:
    with pytest.raises(ScoringError) as caught:
        score("phq9", {**PHQ9_ALL_ONES, "phq9_10": 4})
    assert list(caught.value.fields) == ["phq9_10"]


@pytest.mark.parametrize("instrument", load_instruments().values(), ids=lambda i: i.id)
def test_it_names_the_one_missing_item_for_every_item_of_every_instrument(
    instrument: Instrument,
) -> None:
    answers = complete_answers(instrument)
    score(instrument, answers)  # the complete set is accepted
    for item_id in answers:
        with pytest.raises(ScoringError) as caught:
            score(instrument, {k: v for k, v in answers.items() if k != item_id})
        assert list(caught.value.fields) == [item_id]


@pytest.mark.parametrize("instrument", load_instruments().values(), ids=lambda i: i.id)
def test_it_names_the_out_of_range_item_for_every_item_of_every_instrument(
    instrument: Instrument,
) -> None:
    answers = complete_answers(instrument)
    for item in instrument.scored_items:
        wrong: int | bool = 1 if instrument.answer_type == "yes_no" else item.max_value + 1
        with pytest.raises(ScoringError) as caught:
            score(instrument, {**answers, item.id: wrong})
        assert list(caught.value.fields) == [item.id]


def test_it_returns_a_frozen_result() -> None:
    result = score("phq9", PHQ9_ALL_ONES)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.total = 0  # type: ignore[misc]


def test_it_does_not_flag_suicide_risk_when_phq9_item_9_is_zero() -> None:
    assert score("phq9", {**PHQ9_ALL_ONES, "phq9_9": 0}).flags == ()


def test_it_offers_choices_and_reads_them_back_as_the_scorer_takes_them() -> None:
    from ketaclinic.clinical.scales import get_instrument

    cssrs, phq9 = get_instrument("cssrs_screener"), get_instrument("phq9")
    assert cssrs.choices(cssrs.items[0]) == ((0, "No"), (1, "Yes"))
    assert cssrs.answer_from_choice(1) is True and cssrs.answer_from_choice(0) is False
    assert [v for v, _ in phq9.choices(phq9.items[0])] == [0, 1, 2, 3]
    assert phq9.answer_from_choice(2) == 2
