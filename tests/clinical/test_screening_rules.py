"""Every default rule fires on a minimal patient and not on its negation.

The table below is the rule-by-rule specification: a rule without an entry
fails, so a new rule cannot ship without its firing and non-firing case.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from ketaclinic.clinical.screening import (
    Rule,
    RuleSet,
    evaluate,
    get_rule_set,
    load_rule_sets,
    screen,
    validate_facts,
)

RULE_SETS = load_rule_sets()
CASES = [(rs, rule) for rs in RULE_SETS.values() for rule in rs.rules]
Facts = dict[str, Any]


def _yes_no(fact: str) -> tuple[Facts, Facts]:
    return {fact: True}, {fact: False}


# rule id -> (facts on which it fires, facts on which it does not); each side
# names exactly the facts the rule reads, so the case is minimal and decided.
FIRING: dict[str, tuple[Facts, Facts]] = {
    "indication_not_depression": ({"indications": ["anxiety", "ptsd"]}, {"indications": ["mdd"]}),
    "indication_not_pain": ({"indications": ["mdd"]}, {"indications": ["crps"]}),
    "indication_not_trd": ({"indications": ["mdd"]}, {"indications": ["trd"]}),
    "psychosis_active": (
        {"active_psychosis": False, "schizophrenia_spectrum_disorder": True},
        {"active_psychosis": False, "schizophrenia_spectrum_disorder": False},
    ),
    "uncontrolled_hypertension": _yes_no("uncontrolled_hypertension"),
    "unstable_cardiovascular_disease": _yes_no("unstable_cardiovascular_disease"),
    "aneurysmal_vascular_disease": _yes_no("aneurysmal_vascular_disease"),
    "arteriovenous_malformation": _yes_no("arteriovenous_malformation"),
    "intracerebral_hemorrhage_history": _yes_no("intracerebral_hemorrhage_history"),
    "raised_intracranial_pressure": _yes_no("raised_intracranial_pressure"),
    "raised_intraocular_pressure": _yes_no("raised_intraocular_pressure"),
    "hepatic_impairment_severe": (
        {"hepatic_impairment": "severe"},
        {"hepatic_impairment": "moderate"},
    ),
    "pregnancy": _yes_no("pregnant"),
    "breastfeeding": _yes_no("breastfeeding"),
    "ketamine_hypersensitivity": _yes_no("ketamine_hypersensitivity"),
    "substance_use_active": (
        {"substance_use_disorder": "recent"},
        {"substance_use_disorder": "remote"},
    ),
    "substance_use_history": (
        {"substance_use_disorder": "remote"},
        {"substance_use_disorder": "none"},
    ),
    "ketamine_misuse_history": _yes_no("ketamine_misuse_history"),
    "trd_fewer_than_two_trials": (
        {"indications": ["trd"], "prior_antidepressant_trials": 1},
        {"indications": ["trd"], "prior_antidepressant_trials": 2},
    ),
    "psychosis_history": _yes_no("psychosis_history"),
    "bipolar_current_mania": _yes_no("current_mania"),
    "hepatic_impairment_moderate": (
        {"hepatic_impairment": "moderate"},
        {"hepatic_impairment": "mild"},
    ),
    "baseline_bp_above_140_90": (
        {"systolic_bp_mmhg": 128, "diastolic_bp_mmhg": 91},
        {"systolic_bp_mmhg": 140, "diastolic_bp_mmhg": 90},
    ),
    "age_extreme": ({"age_years": 17}, {"age_years": 18}),
    "medication_blunts_response": (
        {"medication_classes": ["lamotrigine"]},
        {"medication_classes": ["non_benzodiazepine_hypnotic"]},
    ),
    "medication_raises_bp": (
        {"medication_classes": ["psychostimulant"]},
        {"medication_classes": ["benzodiazepine", "lamotrigine"]},
    ),
    "chart_medication_interacts": (
        {"chart_medication_classes": ["lamotrigine"]},
        {"chart_medication_classes": ["non_benzodiazepine_hypnotic"]},
    ),
    "rems_hypnotic": (
        {"medication_classes": ["non_benzodiazepine_hypnotic"]},
        {"medication_classes": []},
    ),
}


def _case_id(case: tuple[RuleSet, Rule]) -> str:
    return f"{case[0].id}:{case[1].id}"


@pytest.fixture(params=CASES, ids=[_case_id(case) for case in CASES])
def case(request: pytest.FixtureRequest) -> tuple[RuleSet, Rule, Facts, Facts]:
    rule_set, rule = request.param
    assert rule.id in FIRING, f"rule {rule.id!r} has no firing/negated case in FIRING"
    firing, negated = FIRING[rule.id]
    return rule_set, rule, firing, negated


def test_it_fires_each_rule_on_a_minimal_patient(case: tuple[RuleSet, Rule, Facts, Facts]) -> None:
    rule_set, rule, firing, _ = case
    assert set(firing) == set(rule.facts)
    assert evaluate(rule.when, validate_facts(firing)) is True
    assert rule.id in screen(rule_set, firing).fired_ids


def test_it_does_not_fire_each_rule_on_its_negation(
    case: tuple[RuleSet, Rule, Facts, Facts],
) -> None:
    rule_set, rule, _, negated = case
    assert set(negated) == set(rule.facts)
    assert evaluate(rule.when, validate_facts(negated)) is False
    result = screen(rule_set, negated)
    assert rule.id not in result.fired_ids
    assert rule.id not in {undecided.rule_id for undecided in result.undecided}


def test_it_keeps_no_stale_entries_in_the_firing_table() -> None:
    assert set(FIRING) == {rule.id for _, rule in CASES}


def test_it_gives_one_rule_id_one_meaning_across_rule_sets() -> None:
    by_id: dict[str, set[str]] = {}
    for _, rule in CASES:
        by_id.setdefault(rule.id, set()).add(f"{rule.severity} {rule.when!r}")
    differing = {rule_id for rule_id, meanings in by_id.items() if len(meanings) > 1}
    assert differing == set()


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_it_gives_every_default_rule_a_source_and_a_message(case: tuple[RuleSet, Rule]) -> None:
    _, rule = case
    assert rule.source.strip() and rule.message.strip()
    assert "docs/clinical-references.md#" in rule.source


def test_it_ships_the_three_route_families() -> None:
    assert set(RULE_SETS) == {"iv_ketamine_mood", "iv_ketamine_pain", "esketamine_nasal"}
    assert all(rs.version == "1.0" and rs.applies_to for rs in RULE_SETS.values())


@pytest.mark.parametrize(
    ("age_years", "fires"), [(17, True), (18, False), (64, False), (65, True), (90, True)]
)
def test_it_flags_both_age_extremes(age_years: int, fires: bool) -> None:
    rule = get_rule_set("iv_ketamine_mood").rule("age_extreme")
    assert evaluate(rule.when, {"age_years": age_years}) is fires


# -- every contraindication in the references is a rule ------------------------

# docs/clinical-references.md#contraindications phrase (parentheticals dropped) -> the rules
# that implement it. Absolute/strong ones must exclude, relative ones review.
ABSOLUTE: dict[str, tuple[str, ...]] = {
    "active psychosis or a schizophrenia-spectrum disorder": ("psychosis_active",),
    "hypertension that is not controlled": ("uncontrolled_hypertension",),
    "unstable or poorly controlled cardiovascular disease": ("unstable_cardiovascular_disease",),
    "aneurysmal vascular disease, arteriovenous malformation or a past intracerebral haemorrhage": (
        "aneurysmal_vascular_disease",
        "arteriovenous_malformation",
        "intracerebral_hemorrhage_history",
    ),
    "raised intracranial or intraocular pressure": (
        "raised_intracranial_pressure",
        "raised_intraocular_pressure",
    ),
    "severe hepatic impairment": ("hepatic_impairment_severe",),
    "pregnancy or breastfeeding": ("pregnancy", "breastfeeding"),
    "known hypersensitivity": ("ketamine_hypersensitivity",),
    "repeated infusions while a substance use disorder is active": ("substance_use_active",),
}
RELATIVE: dict[str, tuple[str, ...]] = {
    "past substance use": ("substance_use_history", "ketamine_misuse_history"),
    "past psychosis": ("psychosis_history",),
    "bipolar disorder with current mania": ("bipolar_current_mania",),
    "moderate hepatic impairment": ("hepatic_impairment_moderate",),
    "a baseline blood pressure above 140/90": ("baseline_bp_above_140_90",),
    "the extremes of age": ("age_extreme",),
    "interacting medications": (
        "medication_blunts_response",
        "medication_raises_bp",
        "chart_medication_interacts",
    ),
}
# Esketamine is not an infusion; its substance-use rule is the review above.
INFUSION_ONLY = {"repeated infusions while a substance use disorder is active"}
INFUSION_SETS = {"iv_ketamine_mood", "iv_ketamine_pain"}


@pytest.mark.parametrize("rule_set_id", sorted(RULE_SETS))
def test_it_covers_every_referenced_contraindication_with_the_right_severity(
    rule_set_id: str,
) -> None:
    rule_set = RULE_SETS[rule_set_id]
    for severity, table in (("exclude", ABSOLUTE), ("review", RELATIVE)):
        for phrase, rule_ids in table.items():
            if phrase in INFUSION_ONLY and rule_set_id not in INFUSION_SETS:
                continue
            for rule_id in rule_ids:
                assert rule_set.rule(rule_id).severity == severity, (phrase, rule_id)


def test_it_asks_about_each_interacting_medication_the_references_name() -> None:
    rule_set = get_rule_set("esketamine_nasal")
    named = {"benzodiazepine", "lamotrigine", "maoi", "psychostimulant"}
    for medication in named:
        fired = screen(rule_set, {"medication_classes": [medication]}).fired
        assert any(rule.severity == "review" for rule in fired), medication


REFERENCES = Path(__file__).resolve().parents[2] / "docs" / "clinical-references.md"


def _section(text: str, heading: str) -> str:
    return " ".join(text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0].split())


def _contraindication_phrases(text: str) -> tuple[set[str], set[str], str]:
    flat = re.sub(r"\s*\([^)]*\)", "", _section(text, "Contraindications"))
    absolute = flat.split("Reasons not to treat:", 1)[1].split("Reasons for", 1)[0]
    relative = flat.split("review:", 1)[1].split("Sources:", 1)[0]
    return (
        {phrase.strip(" .") for phrase in absolute.split(";")},
        {phrase.strip(" .") for phrase in relative.split(";")},
        _section(text, "Treatment resistance"),
    )


# The project's own reference (docs/clinical-references.md) lists the
# contraindications; the ABSOLUTE/RELATIVE tables above are checked against the
# rules, and this test keeps the document and those tables in step.
def test_it_maps_exactly_the_contraindications_the_references_list() -> None:
    absolute, relative, trd = _contraindication_phrases(REFERENCES.read_text(encoding="utf-8"))
    assert absolute == set(ABSOLUTE)
    assert relative == set(RELATIVE)
    # The definition of treatment resistance, and what falls short of it: review.
    assert "at least two adequate antidepressant trials" in trd and "prescriber's review" in trd


@pytest.mark.parametrize("rule_set_id", ["iv_ketamine_mood", "esketamine_nasal"])
@pytest.mark.parametrize(
    ("trials", "decision"), [(0, "review"), (1, "review"), (None, "review"), (2, None), (5, None)]
)
def test_it_asks_for_two_failed_antidepressant_trials_before_depression_is_resistant(
    rule_set_id: str, trials: int | None, decision: str | None
) -> None:
    facts: Facts = {"indications": ["trd"]}
    if trials is not None:
        facts["prior_antidepressant_trials"] = trials
    result = screen(get_rule_set(rule_set_id), facts)
    flagged = "trd_fewer_than_two_trials" in result.fired_ids or any(
        u.rule_id == "trd_fewer_than_two_trials" for u in result.undecided
    )
    assert flagged is (decision == "review")
