"""Reading another system's FHIR Bundle: what is taken, what is refused and why."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketaclinic.onboarding.bundle import BundleError, parse
from tests.onboarding import bundles


def test_it_takes_patients_with_their_conditions_medications_and_allergies() -> None:
    parsed = bundles.onboarding()
    result = parse(parsed)
    holt, brandt = result.patients
    assert (holt.body.given_name, holt.body.family_name) == ("Maren", "Holt")
    assert holt.body.birth_date == date(1979, 4, 2) and holt.body.sex_at_birth == "female"
    assert holt.body.email == "maren@example.org" and holt.body.city == "Austin"
    kinds = [(i.kind, i.active) for i in holt.items]
    assert kinds == [
        ("diagnoses", True),
        ("diagnoses", False),  # resolved: kept, inactive
        ("medications", True),
        ("medications", False),  # stopped
        ("allergies", True),
    ]
    assert holt.items[0].body.model_dump() == {
        "code": "F33.2",
        "label": "Major depressive disorder, recurrent severe",
    }
    assert holt.items[4].body.model_dump() == {"substance": "Penicillin", "reaction": "Hives"}
    # FHIR's gender is not sex at birth: without the US Core extension it is unknown.
    assert brandt.body.sex_at_birth == "unknown" and "not sex at birth" in brandt.notes[0]
    assert [i.body.model_dump()["code"] for i in brandt.items] == ["F43.10"]
    assert result.ignored == {"Observation": 1}


def test_it_refuses_what_it_cannot_take_with_the_reason() -> None:
    refused = {r.source_id: r for r in parse(bundles.onboarding()).refusals}
    assert "ICD-10-CM" in refused["c4"].reason
    assert "nobody" in refused["c5"].reason
    assert refused["p3"].resource_type == "Patient" and "birthDate" in refused["p3"].reason
    assert refused["c4"].entry == 6


def test_it_refuses_an_entry_marked_entered_in_error() -> None:
    entry = bundles.condition("c9", "p1", "F33.1", "MDD")
    entry["resource"]["verificationStatus"] = {"coding": [{"code": "entered-in-error"}]}
    result = parse(bundles.bundle(bundles.patient("p1", "Ada", "Lind", "1970-01-01"), entry))
    assert result.patients[0].items == []
    assert result.refusals[0].reason == "entered in error"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\xff\xfe", "not JSON"),
        (b"[]", "not a FHIR Bundle"),
        (json.dumps({"resourceType": "Patient"}).encode(), "not a FHIR Bundle"),
        (json.dumps({"resourceType": "Bundle", "entry": {}}).encode(), "must be a list"),
    ],
)
def test_it_refuses_a_file_that_is_not_a_bundle(raw: bytes, message: str) -> None:
    with pytest.raises(BundleError, match=message):
        parse(raw)


names = st.text(alphabet=st.characters(categories=("Lu", "Ll")), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(
    given_name=names,
    family=names,
    born=st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)),
    sex=st.sampled_from(["F", "M", "UNK"]),
)
def test_it_keeps_a_patients_name_birth_date_and_sex_at_birth(
    given_name: str, family: str, born: date, sex: str
) -> None:
    entry = bundles.patient("p", given_name, family, born.isoformat(), sex=sex)
    (taken,) = parse(bundles.bundle(entry)).patients
    assert (taken.body.given_name, taken.body.family_name) == (given_name, family)
    assert taken.body.birth_date == born
    assert taken.body.sex_at_birth == {"F": "female", "M": "male", "UNK": "unknown"}[sex]
