"""The pre-infusion checklist: its items as data, which apply, what blocks."""

from __future__ import annotations

from itertools import product
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical.chairside.checklist import (
    ChecklistError,
    ChecklistItem,
    Result,
    blocking_open,
    items_for,
    load_checklist,
    pregnancy_possible,
)

ITEMS = load_checklist()
KEYS = (
    "vitals_in_start_limits",
    "screening_current",
    "weight_current",
    "consent_on_file",
    "fasting",
    "escort_present",
    "pregnancy_test",
    "questionnaires_today",
    "rems_enrolled",
)


def test_it_lists_the_items_in_order() -> None:
    assert tuple(item.key for item in ITEMS) == KEYS


def test_it_checks_some_items_itself_and_leaves_others_to_staff() -> None:
    kinds = {item.key: item.kind for item in ITEMS}
    auto = {"vitals_in_start_limits", "screening_current", "weight_current", "questionnaires_today"}
    assert {key for key, kind in kinds.items() if kind == "auto"} == auto


def test_it_blocks_on_everything_but_todays_questionnaires() -> None:
    assert [item.key for item in ITEMS if not item.blocking] == ["questionnaires_today"]


def test_it_limits_items_to_the_patients_they_concern() -> None:
    applies = {item.key: item.applies for item in ITEMS if item.applies != "always"}
    assert applies == {
        "weight_current": "weight_based",
        "pregnancy_test": "pregnancy_possible",
        "rems_enrolled": "rems",
    }


def test_it_cites_a_source_for_every_item_and_explains_fasting() -> None:
    assert all(item.source and item.label for item in ITEMS)
    fasting = next(item for item in ITEMS if item.key == "fasting")
    assert "6 hours" in fasting.help and "2 hours" in fasting.help
    assert "practice" in fasting.source
    escort = next(item for item in ITEMS if item.key == "escort_present")
    assert "clinical-references.md#discharge" in escort.source


@pytest.mark.parametrize(("rems", "pregnant", "weight"), list(product((False, True), repeat=3)))
def test_it_picks_the_items_that_apply(rems: bool, pregnant: bool, weight: bool) -> None:
    keys = [
        item.key
        for item in items_for(ITEMS, rems=rems, pregnancy_possible=pregnant, weight_based=weight)
    ]
    left_out = {
        key
        for key, include in (
            ("rems_enrolled", rems),
            ("pregnancy_test", pregnant),
            ("weight_current", weight),
        )
        if not include
    }
    assert keys == [key for key in KEYS if key not in left_out]


@pytest.mark.parametrize(
    ("sex", "age", "possible"),
    [
        ("female", 11, False),
        ("female", 12, True),
        ("female", 55, True),
        ("female", 56, False),
        ("male", 30, False),
        ("intersex", 30, True),
        ("unknown", 30, True),
        (None, 30, True),
        ("unknown", 70, False),
    ],
)
def test_it_asks_for_a_pregnancy_test_unless_male_or_outside_the_ages(
    sex: str | None, age: int, possible: bool
) -> None:
    assert pregnancy_possible(sex, age) is possible


def test_it_uses_the_clinic_age_limit() -> None:
    assert pregnancy_possible("female", 56, max_age=60)
    assert not pregnancy_possible("female", 51, max_age=50)


def test_it_keeps_the_dose_locked_while_blocking_items_are_open() -> None:
    results: dict[str, Result] = {key: "pass" for key in KEYS}
    assert blocking_open(ITEMS, results) == []
    del results["fasting"]
    results["pregnancy_test"] = "na"
    results["escort_present"] = "fail"
    results["questionnaires_today"] = "fail"
    open_keys = [item.key for item in blocking_open(ITEMS, results)]
    assert open_keys == ["fasting", "escort_present", "pregnancy_test"]


@given(st.dictionaries(st.sampled_from(KEYS), st.sampled_from(["pass", "fail", "na"])))
def test_it_opens_exactly_the_blocking_items_not_passed(results: dict[str, Result]) -> None:
    open_items = blocking_open(ITEMS, results)
    assert all(isinstance(item, ChecklistItem) and item.blocking for item in open_items)
    assert {item.key for item in open_items} == {
        item.key for item in ITEMS if item.blocking and results.get(item.key) != "pass"
    }


_FILE = """\
items:
  - key: consent_on_file
    label: Consent on file
    kind: manual
    blocking: true
    source: (practice)
"""


def _load(tmp_path: Path, text: str) -> tuple[ChecklistItem, ...]:
    path = tmp_path / "checklist.yaml"
    path.write_text(text)
    return load_checklist(path)


def test_it_loads_a_clinic_checklist(tmp_path: Path) -> None:
    [item] = _load(tmp_path, _FILE)
    assert (item.key, item.applies, item.help) == ("consent_on_file", "always", "")


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("kind: manual", "kind: magic", r"checklist\.yaml:4: items\.0\.kind"),
        ("blocking: true", "blocking: perhaps", r"checklist\.yaml:5: items\.0\.blocking"),
        ("    source: (practice)\n", "", r"checklist\.yaml:2: items\.0\.source: Field required"),
        ("kind: manual", "kind: manual\n    applies: tuesdays", r"checklist\.yaml:5: "),
        ("items:", "items: []\nx:", r"checklist\.yaml:1: items: needs at least one entry"),
    ],
)
def test_it_names_file_and_line_of_a_bad_item(
    tmp_path: Path, old: str, new: str, where: str
) -> None:
    with pytest.raises(ChecklistError, match=where):
        _load(tmp_path, _FILE.replace(old, new))


def test_it_refuses_a_repeated_key(tmp_path: Path) -> None:
    with pytest.raises(ChecklistError, match="repeated keys: consent_on_file"):
        _load(tmp_path, _FILE + _FILE.split("\n", 1)[1])
