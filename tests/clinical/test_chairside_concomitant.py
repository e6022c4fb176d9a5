"""Which of a patient's medicines the REMS form's concomitant questions catch."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical.chairside.concomitant import CLASSES, classes_of


def test_it_sorts_generics_and_brands_into_the_form_s_classes() -> None:
    found = classes_of(
        [
            "Lorazepam 1 mg at night",
            "Zolpidem (Ambien) 5 mg",
            "Adderall XR",
            "sertraline 100 mg",
            "Phenelzine",
        ]
    )
    assert found == {
        "benzodiazepines": ["Lorazepam 1 mg at night"],
        "non_benzodiazepine_hypnotics": ["Zolpidem (Ambien) 5 mg"],
        "psychostimulants": ["Adderall XR"],
        "maois": ["Phenelzine"],
    }


def test_it_answers_no_for_every_class_when_nothing_matches() -> None:
    assert classes_of(["sertraline", "bupropion XL 300 mg"]) == {k: [] for k in CLASSES}


@given(st.lists(st.sampled_from(sorted(set().union(*CLASSES.values()))), max_size=6))
def test_it_finds_every_listed_medicine_in_its_class(names: list[str]) -> None:
    found = classes_of(names)
    for name in names:
        assert any(name in found[k] for k, members in CLASSES.items() if name in members)
