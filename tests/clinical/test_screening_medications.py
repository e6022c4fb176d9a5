"""Screening reads the chart's medication list: interacting classes as data."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical.screening import MEDICATION_CLASSES, get_rule_set, screen
from ketaclinic.clinical.screening.medications import classes_on_chart, interacting_medications

NAMED = {"benzodiazepine", "lamotrigine", "maoi", "psychostimulant"}


def test_it_gives_every_medication_class_names_a_reason_and_a_source() -> None:
    table = interacting_medications()
    assert {entry.code for entry in table.classes} == set(MEDICATION_CLASSES)
    assert all(entry.source.strip() and entry.why.strip() for entry in table.classes)


@pytest.mark.parametrize(
    ("medicine", "code"),
    [
        ("Lamotrigine 200 mg daily", "lamotrigine"),
        ("Lamictal XR", "lamotrigine"),
        ("Lorazepam 0.5 mg as needed", "benzodiazepine"),
        ("methylphenidate ER 36 mg", "psychostimulant"),
        ("Adderall XR 20 mg", "psychostimulant"),
        ("Phenelzine (Nardil)", "maoi"),
        ("Zolpidem 5 mg", "non_benzodiazepine_hypnotic"),
    ],
)
def test_it_finds_the_class_of_a_chart_medicine_by_generic_or_brand(
    medicine: str, code: str
) -> None:
    assert classes_on_chart([medicine]) == {code: [medicine]}


def test_it_leaves_medicines_outside_the_classes_alone() -> None:
    assert classes_on_chart(["Sertraline 100 mg", "Lisinopril 10 mg", "Lamb stew"]) == {}


@pytest.mark.parametrize(
    "rule_set_id", ["iv_ketamine_mood", "iv_ketamine_pain", "esketamine_nasal"]
)
@pytest.mark.parametrize("code", sorted(NAMED))
def test_it_sends_a_chart_listed_interacting_class_to_review_naming_it(
    rule_set_id: str, code: str
) -> None:
    result = screen(
        get_rule_set(rule_set_id), {"medication_classes": [], "chart_medication_classes": [code]}
    )
    fired = {rule.rule_id: rule for rule in result.fired}
    assert fired["chart_medication_interacts"].severity == "review"
    assert code.replace("_", " ") in fired["chart_medication_interacts"].message
    assert "{" not in fired["chart_medication_interacts"].message


@given(st.lists(st.sampled_from(MEDICATION_CLASSES), unique=True))
def test_it_fires_the_chart_rule_exactly_when_a_named_class_is_listed(codes: list[str]) -> None:
    result = screen(get_rule_set("iv_ketamine_mood"), {"chart_medication_classes": codes})
    assert ("chart_medication_interacts" in result.fired_ids) is bool(set(codes) & NAMED)
