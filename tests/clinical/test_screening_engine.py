"""The screening engine: decision precedence, three-valued logic, fact checks."""

from __future__ import annotations

from typing import Any

import pytest

from ketaclinic.clinical.screening import (
    FACTS,
    INDICATIONS,
    FactError,
    UnknownRuleSetError,
    evaluate,
    facts_to_json,
    get_rule_set,
    load_rule_sets,
    parse_condition,
    screen,
    validate_facts,
)

MOOD = get_rule_set("iv_ketamine_mood")
ESKETAMINE = get_rule_set("esketamine_nasal")

# A patient with every fact answered and nothing to worry about, on any route.
CLEAR: dict[str, Any] = {
    "age_years": 42,
    "indications": ["trd", "crps"],
    "prior_antidepressant_trials": 3,
    "active_psychosis": False,
    "schizophrenia_spectrum_disorder": False,
    "psychosis_history": False,
    "current_mania": False,
    "substance_use_disorder": "none",
    "ketamine_misuse_history": False,
    "uncontrolled_hypertension": False,
    "systolic_bp_mmhg": 122,
    "diastolic_bp_mmhg": 78,
    "unstable_cardiovascular_disease": False,
    "aneurysmal_vascular_disease": False,
    "arteriovenous_malformation": False,
    "intracerebral_hemorrhage_history": False,
    "raised_intracranial_pressure": False,
    "raised_intraocular_pressure": False,
    "hepatic_impairment": "none",
    "pregnant": False,
    "breastfeeding": False,
    "medication_classes": [],
    "chart_medication_classes": [],
    "ketamine_hypersensitivity": False,
}


def without(facts: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: value for name, value in facts.items() if name not in names}


def test_it_answers_every_declared_fact_in_the_clear_patient() -> None:
    assert set(CLEAR) == set(FACTS)


@pytest.mark.parametrize("rule_set_id", sorted(load_rule_sets()))
def test_it_finds_a_patient_with_nothing_to_worry_about_eligible(rule_set_id: str) -> None:
    result = screen(get_rule_set(rule_set_id), CLEAR)
    assert result.decision == "eligible"
    assert result.fired == () and result.missing == () and result.undecided == ()


def test_it_stamps_the_result_with_the_rule_set_id_and_version() -> None:
    result = screen(MOOD, CLEAR)
    assert (result.rule_set_id, result.rule_set_version) == ("iv_ketamine_mood", "1.0")


# -- precedence: exclude > review or missing > eligible ---------------------------


def test_it_makes_any_fired_exclusion_not_eligible_even_with_reviews_and_gaps() -> None:
    facts = {**without(CLEAR, "age_years"), "pregnant": True, "psychosis_history": True}
    result = screen(MOOD, facts)
    assert result.decision == "not_eligible"
    assert result.fired_ids == ("pregnancy", "psychosis_history")
    assert result.missing_facts == ("age_years",)


def test_it_makes_a_fired_review_need_review() -> None:
    result = screen(MOOD, {**CLEAR, "current_mania": True})
    assert result.decision == "needs_review"
    assert result.fired_ids == ("bipolar_current_mania",)


def test_it_makes_a_missing_fact_need_review() -> None:
    result = screen(MOOD, without(CLEAR, "breastfeeding"))
    assert result.decision == "needs_review"
    assert result.fired == ()
    assert [(m.fact, m.rule_ids) for m in result.missing] == [("breastfeeding", ("breastfeeding",))]


def test_it_never_finds_eligible_when_an_exclusion_is_undecided() -> None:
    result = screen(MOOD, without(CLEAR, "hepatic_impairment"))
    assert result.decision == "needs_review"
    undecided = {rule.rule_id: rule for rule in result.undecided}
    assert set(undecided) == {"hepatic_impairment_severe", "hepatic_impairment_moderate"}
    assert undecided["hepatic_impairment_severe"].severity == "exclude"
    assert undecided["hepatic_impairment_severe"].missing == ("hepatic_impairment",)
    assert result.missing[0].rule_ids == (
        "hepatic_impairment_severe",
        "hepatic_impairment_moderate",
    )


def test_it_lets_an_inform_rule_leave_the_patient_eligible() -> None:
    result = screen(ESKETAMINE, {**CLEAR, "medication_classes": ["non_benzodiazepine_hypnotic"]})
    assert result.decision == "eligible"
    assert [(r.rule_id, r.severity) for r in result.fired] == [("rems_hypnotic", "inform")]


def test_it_reports_fired_rules_in_file_order_with_message_and_source() -> None:
    facts = {**CLEAR, "breastfeeding": True, "pregnant": True, "indications": ["ocd"]}
    result = screen(MOOD, facts)
    assert result.fired_ids == ("indication_not_depression", "pregnancy", "breastfeeding")
    assert all(rule.message and "clinical-references.md#" in rule.source for rule in result.fired)


def test_it_does_not_ask_for_a_fact_the_known_facts_already_decide() -> None:
    result = screen(MOOD, {**without(CLEAR, "diastolic_bp_mmhg"), "systolic_bp_mmhg": 150})
    assert "baseline_bp_above_140_90" in result.fired_ids
    assert result.missing == ()


def test_it_asks_for_the_missing_half_when_the_known_half_is_normal() -> None:
    result = screen(MOOD, without(CLEAR, "diastolic_bp_mmhg"))
    assert result.decision == "needs_review"
    assert result.missing_facts == ("diastolic_bp_mmhg",)


def test_it_treats_none_as_missing_never_as_no() -> None:
    result = screen(MOOD, {**CLEAR, "pregnant": None})
    assert result.decision == "needs_review"
    assert result.missing_facts == ("pregnant",)


def test_it_finds_an_empty_intake_needs_review_listing_every_fact_the_rules_read() -> None:
    result = screen(MOOD, {})
    assert result.decision == "needs_review"
    assert set(result.missing_facts) == set(MOOD.facts)
    assert len(result.undecided) == len(MOOD.rules)


# -- three-valued logic ----------------------------------------------------------

T = {"fact": "pregnant", "is": True}  # true when pregnant
F = {"fact": "breastfeeding", "is": True}  # false when not breastfeeding
U = {"fact": "raised_intracranial_pressure", "is": True}  # never given: unknown
FACTS_TFU = {"pregnant": True, "breastfeeding": False}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (T, True),
        (F, False),
        (U, None),
        ({"any": [T, U]}, True),
        ({"any": [U, T]}, True),
        ({"any": [F, U]}, None),
        ({"any": [F, F]}, False),
        ({"all": [F, U]}, False),
        ({"all": [U, F]}, False),
        ({"all": [T, U]}, None),
        ({"all": [T, T]}, True),
        ({"not": T}, False),
        ({"not": F}, True),
        ({"not": U}, None),
        ({"not": {"any": [F, U]}}, None),
        ({"all": [{"not": F}, {"any": [U, T]}]}, True),
    ],
)
def test_it_follows_three_valued_logic(condition: dict[str, Any], expected: bool | None) -> None:
    assert evaluate(parse_condition(condition), FACTS_TFU) is expected


@pytest.mark.parametrize(
    ("condition", "facts", "expected"),
    [
        ({"fact": "age_years", "above": 64}, {"age_years": 64}, False),
        ({"fact": "age_years", "at_least": 64}, {"age_years": 64}, True),
        ({"fact": "age_years", "below": 18}, {"age_years": 18}, False),
        ({"fact": "age_years", "at_most": 18}, {"age_years": 18}, True),
        (
            {"fact": "hepatic_impairment", "in": ["mild", "none"]},
            {"hepatic_impairment": "none"},
            True,
        ),
        ({"fact": "indications", "contains": "ocd"}, {"indications": frozenset()}, False),
        ({"fact": "indications", "contains_any": ["ocd", "ptsd"]}, {"indications": {"ptsd"}}, True),
    ],
)
def test_it_compares_each_kind_of_fact(
    condition: dict[str, Any], facts: dict[str, Any], expected: bool
) -> None:
    assert evaluate(parse_condition(condition), facts) is expected


# -- bad input is refused, naming the fact ----------------------------------------


@pytest.mark.parametrize(
    ("facts", "fact", "why"),
    [
        ({"pregnancy": True}, "pregnancy", "unknown fact"),
        ({"pregnant": "yes"}, "pregnant", "true or false"),
        ({"pregnant": 1}, "pregnant", "true or false"),
        ({"age_years": True}, "age_years", "whole number"),
        ({"age_years": 41.5}, "age_years", "whole number"),
        ({"age_years": -1}, "age_years", "must be in 0..130"),
        ({"systolic_bp_mmhg": 400}, "systolic_bp_mmhg", "mmHg"),
        ({"indications": "trd"}, "indications", "list of codes"),
        ({"indications": ["depression"]}, "indications", "'depression' is not one of"),
        ({"medication_classes": ["ssri"]}, "medication_classes", "'ssri'"),
        ({"substance_use_disorder": "active"}, "substance_use_disorder", "none, remote, recent"),
        ({"hepatic_impairment": 3}, "hepatic_impairment", "not one of"),
    ],
)
def test_it_refuses_a_bad_fact_naming_it(facts: dict[str, Any], fact: str, why: str) -> None:
    with pytest.raises(FactError) as caught:
        screen(MOOD, facts)
    assert set(caught.value.fields) == {fact}
    assert why in caught.value.fields[fact]
    assert fact in str(caught.value)


def test_it_collects_every_bad_fact_at_once_for_the_form() -> None:
    with pytest.raises(FactError) as caught:
        validate_facts({"pregnant": "no", "age_years": 200, "colour": "blue"})
    assert set(caught.value.fields) == {"pregnant", "age_years", "colour"}
    assert caught.value.status_code == 422


def test_it_stores_facts_as_json_ready_data() -> None:
    stored = facts_to_json({"indications": {"ptsd", "mdd"}, "pregnant": False, "age_years": None})
    assert stored == {"indications": ["mdd", "ptsd"], "pregnant": False}


def test_it_gives_every_indication_the_icd10_code_clinical_md_lists() -> None:
    assert INDICATIONS["ptsd"].icd10 == "F43.1x"
    assert INDICATIONS["bipolar_depression"].icd10 == "F31.3-F31.5"
    assert set(FACTS["indications"].values) == set(INDICATIONS)


def test_it_refuses_an_unknown_rule_set_listing_the_known_ones() -> None:
    with pytest.raises(UnknownRuleSetError, match="esketamine_nasal"):
        get_rule_set("im_ketamine")


def test_it_hands_out_frozen_rule_sets() -> None:
    with pytest.raises(ValueError, match="frozen"):
        MOOD.version = "2.0"  # type: ignore[misc]
