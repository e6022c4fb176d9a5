"""Which values a clinic may set for each clinical threshold: pure rules, checked
with generated input."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinics import thresholds
from ketaclinic.clinics.thresholds import SettingError, Spec, all_specs, parse, stored
from ketaclinic.settings import Settings

SPECS = list(all_specs().values())


def _accepts(spec: Spec, number: Decimal) -> bool:
    low_ok = number > spec.low if spec.low_open else number >= spec.low
    high_ok = number < spec.high if spec.high_open else number <= spec.high
    whole = spec.decimal or number == number.to_integral_value()
    return low_ok and high_ok and whole


@given(
    spec=st.sampled_from(SPECS),
    number=st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False),
)
def test_it_accepts_exactly_the_numbers_in_range(spec: Spec, number: Decimal) -> None:
    try:
        value = parse(spec.key, str(number))
    except SettingError as exc:
        assert not _accepts(spec, number)
        assert exc.key == spec.key and exc.message
    else:
        assert _accepts(spec, number)
        assert Decimal(value) == number
        assert parse(spec.key, stored(value)) == value  # stored text reads back the same


@given(spec=st.sampled_from(SPECS), text=st.text(max_size=12))
def test_it_never_fails_other_than_by_naming_the_setting(spec: Spec, text: str) -> None:
    try:
        parse(spec.key, text)
    except SettingError as exc:
        assert exc.key == spec.key


def test_it_explains_a_refusal_with_the_range_and_the_unit() -> None:
    with pytest.raises(SettingError, match="must be 7 to 10 points"):
        parse("aldrete_min_score", "11")
    with pytest.raises(SettingError, match="whole number"):
        parse("aldrete_min_score", "9.5")
    with pytest.raises(SettingError, match="above 0 to below 1"):
        parse("response_fall_fraction", "1")
    with pytest.raises(SettingError, match="not a clinic setting"):
        parse("database_url", "1")


def test_it_cites_a_section_of_the_clinical_references_for_every_setting() -> None:
    text = Path(thresholds.REFERENCES).read_text().lower()
    for spec in SPECS:
        assert spec.reference.startswith("docs/clinical-references.md#")
        assert f"## {spec.section.lower()}" in text, spec.key


def test_it_accepts_every_environment_default() -> None:
    """A clinic may always go back to the default: each is inside its own range."""
    base = Settings()
    for spec in thresholds.SCALARS:
        assert parse(spec.key, str(getattr(base, spec.key))) is not None
    for key, value in thresholds.scale_defaults().items():
        assert parse(key, str(value)) == value


PAIRS = [(low, high, strict) for low, high, strict in thresholds.ORDERED]


@given(
    pair=st.sampled_from(PAIRS),
    a=st.integers(min_value=0, max_value=300),
    b=st.integers(min_value=0, max_value=300),
    changing_low=st.booleans(),
)
def test_it_refuses_exactly_the_values_that_put_a_pair_out_of_order(
    pair: tuple[str, str, bool], a: int, b: int, changing_low: bool
) -> None:
    low, high, strict = pair
    key = low if changing_low else high
    problem = thresholds.order_problem(key, {low: a, high: b})
    in_order = a < b if strict else a <= b
    assert (problem is None) == in_order
    if problem is not None:
        other = high if changing_low else low
        assert all_specs()[other].label in problem


def test_it_names_the_other_setting_and_its_value() -> None:
    problem = thresholds.order_problem(
        "induction_min_sessions", {"induction_min_sessions": 10, "induction_max_sessions": 8}
    )
    assert problem == 'must be at most "Induction: at most" (8 treatments)'
    unknown = {"vital.systolic_above": 170, "vital.systolic_urgent_above": None}
    assert thresholds.order_problem("vital.systolic_above", unknown) is None


def test_it_accepts_the_defaults_in_order() -> None:
    from ketaclinic.clinics.settings import defaults

    values = defaults(Settings())
    for low, _high, _strict in thresholds.ORDERED:
        assert thresholds.order_problem(low, values) is None
