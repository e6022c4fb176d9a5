"""The Spravato REMS patient monitoring form: every field, what is missing, when
it is due, and the BPs taken from the session's readings."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from ketaclinic.clinical.chairside.rems import (
    DUE_DAYS,
    MIN_MONITORING_MIN,
    REMS_FIELDS,
    bp_near,
    due_on,
    missing,
)
from ketaclinic.clinical.chairside.vitals import Reading

# The fields of CLINICAL.md "Spravato REMS patient monitoring form", in order.
KEYS = [
    "patient_name",
    "date_of_birth",
    "sex",
    "benzodiazepines",
    "non_benzodiazepine_hypnotics",
    "psychostimulants",
    "maois",
    "monitoring_professional",
    "setting",
    "treatment_date",
    "dose",
    "dose_other_mg",
    "lot_number",
    "minutes_monitored",
    "ready_to_leave_at",
    "vitals_acceptable_pre_dose",
    "vitals_acceptable_before_completion",
    "bp_pre_dose",
    "bp_40_min",
    "bp_pre_completion",
    "sedation",
    "dissociation",
    "respiratory_depression",
    "pulse_oximetry_checked",
    "serious_adverse_events",
    "sae_description",
]
CONDITIONAL = {"dose_other_mg", "sae_description"}
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FORM: dict[str, Any] = {
    "patient_name": "Alex Rivera",
    "date_of_birth": date(1980, 5, 17),
    "sex": "female",
    "benzodiazepines": False,
    "non_benzodiazepine_hypnotics": False,
    "psychostimulants": True,
    "maois": False,
    "monitoring_professional": "Nurse Nadia Patel, RN",
    "setting": "KetaClinic Downtown",
    "treatment_date": date(2026, 3, 2),
    "dose": "84",
    "lot_number": "LOT-4471",
    "minutes_monitored": 120,
    "ready_to_leave_at": time(11, 5),
    "vitals_acceptable_pre_dose": True,
    "vitals_acceptable_before_completion": True,
    "bp_pre_dose": "128/82",
    "bp_40_min": "141/90",
    "bp_pre_completion": "124/80",
    "sedation": True,
    "dissociation": True,
    "respiratory_depression": False,
    "pulse_oximetry_checked": True,
    "serious_adverse_events": False,
}


def test_it_has_every_field_of_the_form() -> None:
    assert [field.key for field in REMS_FIELDS] == KEYS
    assert all(field.label for field in REMS_FIELDS)
    kinds = {field.key: field.kind for field in REMS_FIELDS}
    assert kinds["dose"] == "choice" and kinds["ready_to_leave_at"] == "time"
    assert kinds["bp_40_min"] == "text" and kinds["minutes_monitored"] == "int"
    dose = next(field for field in REMS_FIELDS if field.key == "dose")
    assert dose.choices == ("56", "84", "other")


def test_it_names_every_required_field_of_an_empty_form() -> None:
    assert missing({}) == {key: "required" for key in KEYS if key not in CONDITIONAL}
    assert {f.key for f in REMS_FIELDS if not f.required} == CONDITIONAL


def test_it_accepts_a_complete_form() -> None:
    assert missing(FORM) == {}


def test_it_treats_blank_text_as_missing_but_no_as_an_answer() -> None:
    assert missing({**FORM, "lot_number": "  "}) == {"lot_number": "required"}
    assert missing({**FORM, "maois": None}) == {"maois": "required"}


def test_it_needs_the_other_dose_only_when_the_dose_is_other() -> None:
    assert missing({**FORM, "dose": "other"}) == {"dose_other_mg": "required"}
    assert missing({**FORM, "dose": "other", "dose_other_mg": 28}) == {}
    assert missing({**FORM, "dose": "other", "dose_other_mg": 0}) == {
        "dose_other_mg": "the dose must be above 0 mg"
    }


def test_it_needs_a_description_only_for_serious_adverse_events() -> None:
    assert missing({**FORM, "serious_adverse_events": True}) == {"sae_description": "required"}
    described = {**FORM, "serious_adverse_events": True, "sae_description": "syncope"}
    assert missing(described) == {}


@pytest.mark.parametrize(("minutes", "ok"), [(119, False), (120, True), (180, True)])
def test_it_needs_at_least_120_minutes_of_monitoring(minutes: int, ok: bool) -> None:
    assert MIN_MONITORING_MIN == 120
    problems = missing({**FORM, "minutes_monitored": minutes})
    assert problems == (
        {} if ok else {"minutes_monitored": "monitoring must last at least 120 minutes"}
    )


@pytest.mark.parametrize(
    ("bp", "ok"),
    [
        ("120/80", True),
        ("95/60", True),
        (" 200/110 ", True),
        ("120-80", False),
        ("120/8", False),
        ("1200/80", False),
        ("high", False),
        ("120/80 mmHg", False),
    ],
)
def test_it_needs_each_bp_as_systolic_over_diastolic(bp: str, ok: bool) -> None:
    for key in ("bp_pre_dose", "bp_40_min", "bp_pre_completion"):
        problems = missing({**FORM, key: bp})
        assert problems == ({} if ok else {key: "enter BP as systolic/diastolic, e.g. 120/80"})


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("date_of_birth", "1980-05-17", "expected a date"),
        ("treatment_date", T0, "expected a date"),
        ("maois", "no", "expected yes or no"),
        ("minutes_monitored", True, "expected a whole number"),
        ("minutes_monitored", "120", "expected a whole number"),
        ("dose", "112", "expected one of 56, 84, other"),
        ("dose", 56, "expected one of 56, 84, other"),
        ("sex", "f", "expected one of female, male, intersex, unknown"),
        ("ready_to_leave_at", "11:05", "expected a time"),
        ("patient_name", 42, "expected text"),
    ],
)
def test_it_names_a_value_of_the_wrong_kind(key: str, value: object, message: str) -> None:
    assert missing({**FORM, key: value}) == {key: message}


def test_it_accepts_a_date_and_time_for_when_the_patient_was_ready() -> None:
    assert missing({**FORM, "ready_to_leave_at": T0 + timedelta(minutes=125)}) == {}


def test_it_is_due_within_7_days() -> None:
    assert DUE_DAYS == 7
    assert due_on(date(2026, 3, 2)) == date(2026, 3, 9)
    assert due_on(date(2026, 12, 28)) == date(2027, 1, 4)


def reading(minutes: int, systolic: int | None = 120, diastolic: int | None = 80) -> Reading:
    return Reading(at=T0 + timedelta(minutes=minutes), systolic=systolic, diastolic=diastolic)


def test_it_takes_the_bp_closest_to_a_time() -> None:
    readings = [reading(0, 130, 85), reading(35, 142, 91), reading(50, 150, 95)]
    assert bp_near(readings, T0 + timedelta(minutes=40)) == "142/91"
    assert bp_near(readings, T0) == "130/85"


def test_it_takes_a_bp_within_the_tolerance_only() -> None:
    readings = [reading(0, 130, 85)]
    assert bp_near(readings, T0 + timedelta(minutes=10)) == "130/85"
    assert bp_near(readings, T0 - timedelta(minutes=10)) == "130/85"
    assert bp_near(readings, T0 + timedelta(minutes=11)) is None
    assert bp_near(readings, T0 + timedelta(minutes=11), tolerance_min=15) == "130/85"
    assert bp_near([], T0) is None


def test_it_skips_readings_without_a_full_bp_and_prefers_the_earlier_on_a_tie() -> None:
    readings = [reading(38, 140, None), reading(42, None, 90), reading(45, 150, 95)]
    assert bp_near(readings, T0 + timedelta(minutes=40)) == "150/95"
    tied = [reading(45, 150, 95), reading(35, 140, 90)]
    assert bp_near(tied, T0 + timedelta(minutes=40)) == "140/90"
