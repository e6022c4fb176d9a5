"""Errors in a clinician's words: every pydantic error type a form can meet comes out
as a sentence naming the field, and summaries name the field of every message."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, Field, ValidationError

from ketaclinic.kit.errors import fields_from_pydantic, validation_from_pydantic
from ketaclinic.kit.messages import error_summary, field_label


class Line(BaseModel):
    container_id: int
    counted_mg: Decimal


class Count(BaseModel):
    lines: list[Line]
    weight_kg: Decimal = Field(gt=0, le=400)
    sex_at_birth: Literal["female", "male", "not_known"]
    note: str = Field(min_length=3, max_length=10)
    on: date
    estimated: bool
    rate_ml_per_h: Decimal = Field(decimal_places=1)


def _fields(data: dict[str, object]) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        Count.model_validate(data)
    return fields_from_pydantic(caught.value.errors())


GOOD: dict[str, object] = {
    "lines": [{"container_id": 1, "counted_mg": "1"}],
    "weight_kg": "70",
    "sex_at_birth": "female",
    "note": "fine",
    "on": "2026-01-05",
    "estimated": False,
    "rate_ml_per_h": "51.3",
}


CHOOSE_SEX = "Choose female, male or not known for Sex at birth"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"lines": [{"container_id": 1, "counted_mg": None}]},
            "lines.0.counted_mg",
            "Enter a number for Counted (mg)",
        ),
        (
            {"lines": [{"container_id": 1, "counted_mg": "lots"}]},
            "lines.0.counted_mg",
            "Enter a number for Counted (mg)",
        ),
        (
            {"lines": [{"container_id": "one", "counted_mg": "1"}]},
            "lines.0.container_id",
            "Enter a whole number for Container",
        ),
        ({"weight_kg": "500"}, "weight_kg", "Weight (kg) must be at most 400"),
        ({"weight_kg": "0"}, "weight_kg", "Weight (kg) must be more than 0"),
        ({"sex_at_birth": "f"}, "sex_at_birth", CHOOSE_SEX),
        ({"note": "ab"}, "note", "Note needs at least 3 characters"),
        ({"note": "a" * 11}, "note", "Note takes at most 10 characters"),
        ({"on": "5/1/2026"}, "on", "Enter a date for On"),
        ({"estimated": "perhaps"}, "estimated", "Choose yes or no for Estimated"),
        ({"rate_ml_per_h": "51.25"}, "rate_ml_per_h", "Rate (mL/h) takes at most 1 decimals"),
        ({"weight_kg": None}, "weight_kg", "Enter a number for Weight (kg)"),
    ],
)
def test_it_says_what_is_wrong_in_plain_words(
    change: dict[str, object], field: str, message: str
) -> None:
    assert _fields({**GOOD, **change})[field] == message


def test_it_says_a_missing_field_is_required_and_the_summary_names_it() -> None:
    data = dict(GOOD)
    del data["note"]
    assert _fields(data)["note"] == "is required"
    assert error_summary({"note": "is required"}) == [("note", "Note is required")]
    assert (
        "Note is required"
        in validation_from_pydantic(
            [{"type": "missing", "loc": ("body", "note"), "msg": "Field required"}]
        ).message
    )


def test_it_names_the_field_of_every_message_in_a_summary() -> None:
    summary = error_summary(
        {
            "request": "The second check does not match.",
            "given_name": "is required",
            "item_fasting": "record yes, no or not applicable",
            "lines.0.counted_mg": "Enter a number for Counted (mg)",
        },
        {"given_name": "First name"},
    )
    assert summary == [
        ("request", "The second check does not match."),
        ("given_name", "First name is required"),
        ("item_fasting", "Item fasting: record yes, no or not applicable"),
        ("lines.0.counted_mg", "Enter a number for Counted (mg)"),
    ]


@given(
    st.from_regex(r"[a-z]{1,8}(_[a-z]{1,8}){0,3}(\.[0-9]{1,2}\.[a-z]{1,8}){0,2}", fullmatch=True)
)
def test_it_never_shows_an_underscore_or_an_index_in_a_label(name: str) -> None:
    label = field_label(name)
    assert "_" not in label and "." not in label and label[:1].isupper()
