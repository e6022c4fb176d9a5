"""Search parameter values against resources (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.fhir.search import SEARCH, matches, params_of, parse_date

OBS = {
    "resourceType": "Observation",
    "id": "score-7",
    "meta": {"lastUpdated": "2026-03-02T10:00:00Z"},
    "category": [{"coding": [{"system": "http://x/cat", "code": "survey"}]}],
    "code": {"coding": [{"system": "http://loinc.org", "code": "44261-6"}]},
    "subject": {"reference": "Patient/12"},
    "effectiveDateTime": "2026-03-02T09:30:00Z",
}


def _m(name: str, *values: str) -> bool:
    param = params_of("Observation")[name]
    wanted = [parse_date(v) if param.type == "date" else v for v in values]
    return matches(OBS, param, wanted)


def test_it_matches_a_token_with_or_without_its_system() -> None:
    assert _m("code", "44261-6")
    assert _m("code", "http://loinc.org|44261-6")
    assert not _m("code", "http://other|44261-6")
    assert _m("code", "70274-6", "44261-6")  # a comma is OR
    assert _m("category", "survey") and not _m("category", "vital-signs")


def test_it_matches_a_reference_by_type_and_id() -> None:
    assert _m("patient", "Patient/12") and not _m("patient", "Patient/1")


def test_it_compares_dates_at_the_precision_given() -> None:
    assert _m("date", "2026-03-02") and _m("date", "2026-03") and _m("date", "2026")
    assert _m("date", "ge2026-03-02") and _m("date", "le2026-03-02")
    assert not _m("date", "gt2026-03-02") and not _m("date", "lt2026-03-02")
    assert _m("date", "gt2026-03-02T09:00:00Z") and _m("_lastUpdated", "ge2026-03-01")


def test_it_refuses_what_is_not_a_date() -> None:
    for text in ("yesterday", "2026-13-01", "ge2026-03-02T10:00"):
        with pytest.raises(ValueError):
            parse_date(text)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_it_puts_every_moment_inside_its_own_day_and_nowhere_else(moment: datetime) -> None:
    moment = moment.replace(tzinfo=UTC, microsecond=0)
    day = parse_date(moment.date().isoformat())
    assert day.low <= moment < day.high
    before = parse_date("lt" + moment.date().isoformat())
    assert before.low == day.low and day.high - day.low == timedelta(days=1)


def test_it_gives_every_resource_type_its_us_core_patient_parameter() -> None:
    with_patient = {
        name for name, params in SEARCH.items() if any(p.name == "patient" for p in params)
    }
    assert with_patient >= {
        "Encounter",
        "Observation",
        "Condition",
        "AllergyIntolerance",
        "MedicationRequest",
        "CarePlan",
        "QuestionnaireResponse",
    }
