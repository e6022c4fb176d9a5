"""The vocabulary of a session note: side effects, rescue medications with their
usual doses, adverse-event grades."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from ketaclinic.clinical.chairside.vocabulary import (
    Vocabulary,
    VocabularyError,
    dose_problem,
    load_vocabulary,
)

VOCABULARY = load_vocabulary()


def test_it_lists_the_side_effects_staff_record() -> None:
    assert [effect.key for effect in VOCABULARY.side_effects] == [
        "nausea",
        "vomiting",
        "anxiety_agitation",
        "hypertension",
        "headache",
        "hallucinations",
        "dizziness",
        "dissociation",
        "sedation",
        "blurred_vision",
        "other",
    ]
    assert VOCABULARY.effect("blurred_vision").label == "Blurred vision"


def test_it_lists_the_rescue_medications_of_clinical_md() -> None:
    meds = {med.key: med for med in VOCABULARY.medications}
    assert list(meds) == ["ondansetron", "midazolam", "labetalol", "clonidine"]
    assert (meds["ondansetron"].usual_dose, meds["ondansetron"].routes) == ("4", ("iv", "odt"))
    assert (meds["midazolam"].usual_dose, meds["midazolam"].routes) == ("1-2", ("iv",))
    assert (meds["labetalol"].usual_dose, meds["labetalol"].routes) == ("5-10", ("iv",))
    assert (meds["clonidine"].usual_dose, meds["clonidine"].routes) == ("0.1", ("po",))
    assert meds["ondansetron"].for_effects == ("nausea", "vomiting")
    assert meds["midazolam"].for_effects == ("anxiety_agitation",)
    for med in meds.values():
        assert med.unit == "mg" and "clinical-references.md#rescue-medications" in med.source
        assert "(practice)" in med.source
        if med.key in ("labetalol", "clonidine"):
            assert med.for_effects == ("hypertension",)


def test_it_grades_adverse_events_by_ctcae() -> None:
    assert [(g.grade, g.label) for g in VOCABULARY.grades] == [
        (1, "Mild"),
        (2, "Moderate"),
        (3, "Severe"),
        (4, "Life-threatening"),
        (5, "Death"),
    ]
    assert "CTCAE v5.0 (practice; not in" in VOCABULARY.grades_source
    assert VOCABULARY.grade(4).label == "Life-threatening"


def test_it_refuses_unknown_keys() -> None:
    with pytest.raises(KeyError, match="unknown side effect 'itching'"):
        VOCABULARY.effect("itching")
    with pytest.raises(KeyError, match="unknown rescue medication 'haloperidol'"):
        VOCABULARY.medication("haloperidol")
    with pytest.raises(KeyError):
        VOCABULARY.grade(6)


@pytest.mark.parametrize(
    ("key", "dose", "route", "problem"),
    [
        ("ondansetron", 4, "iv", None),
        ("ondansetron", Decimal("8"), "odt", None),
        ("ondansetron", 8.5, "iv", "8.5 mg is above the largest single dose of Ondansetron (8 mg)"),
        (
            "ondansetron",
            4,
            "im",
            "Ondansetron is not given IM here; routes: IV, as a dissolving tablet",
        ),
        ("midazolam", 2, "iv", None),
        ("midazolam", 0, "iv", "the dose must be above 0 mg"),
        ("midazolam", -1, "iv", "the dose must be above 0 mg"),
        ("labetalol", 10, "iv", None),
        ("labetalol", 25, "iv", "25 mg is above the largest single dose of Labetalol (20 mg)"),
        ("clonidine", 0.1, "po", None),
        ("clonidine", 0.3, "po", "0.3 mg is above the largest single dose of Clonidine (0.2 mg)"),
        ("clonidine", 0.1, "rectal", "Clonidine is not given rectal here; routes: by mouth"),
    ],
)
def test_it_checks_a_rescue_dose_and_route(
    key: str, dose: Decimal | float, route: str, problem: str | None
) -> None:
    assert dose_problem(VOCABULARY.medication(key), dose, route) == problem


def _file(tmp_path: Path, change: dict[str, object]) -> Path:
    packaged = Path(__file__).parents[2] / "src/ketaclinic/clinical/chairside/vocabulary.yaml"
    data = yaml.safe_load(packaged.read_text()) | change
    path = tmp_path / "vocabulary.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_it_loads_a_clinic_vocabulary(tmp_path: Path) -> None:
    assert isinstance(load_vocabulary(_file(tmp_path, {})), Vocabulary)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"side_effects": [{"key": "nausea", "label": "Nausea"}] * 2}, "repeated keys nausea"),
        ({"grades": [{"grade": 1, "label": "Mild"}]}, "grades must be 1 to 5"),
        (
            {"side_effects": [{"key": "other", "label": "Other"}]},
            "ondansetron: unknown side effects",
        ),
        ({"grades_source": ""}, r"vocabulary\.yaml:\d+: grades_source"),
        ({"medications": []}, r"vocabulary\.yaml:\d+: medications: needs at least one entry"),
    ],
)
def test_it_refuses_an_inconsistent_vocabulary(
    tmp_path: Path, change: dict[str, object], problem: str
) -> None:
    with pytest.raises(VocabularyError, match=problem):
        load_vocabulary(_file(tmp_path, change))


def test_it_names_the_line_of_a_bad_medication(tmp_path: Path) -> None:
    path = _file(tmp_path, {})
    lines = path.read_text().splitlines()
    index = next(
        i for i, line in enumerate(lines) if line.strip() == "- iv" and "routes" in lines[i - 1]
    )
    lines[index] = lines[index].replace("iv", "intrathecal")
    path.write_text("\n".join(lines))
    with pytest.raises(
        VocabularyError, match=rf"vocabulary\.yaml:{index + 1}: medications\.0\.routes"
    ):
        load_vocabulary(path)
