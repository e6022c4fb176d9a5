"""Weight and height entered in kg or lb, cm or in: exact factors, stored to 0.1,
ranges checked in the unit entered."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.patients import units


def test_it_converts_pounds_and_inches_with_the_exact_factors() -> None:
    assert units.to_base(Decimal(1), "lb") == Decimal("0.45359237")
    assert units.to_base(Decimal(1), "in") == Decimal("2.54")
    assert units.enter("weight", "150", "lb") == units.Entered(
        Decimal("150.0"), "lb", Decimal("68.0")
    )
    assert units.enter("height", "65.5", "in").stored == Decimal("166.4")  # 166.37 cm
    assert units.enter("weight", "68.44", "kg").stored == Decimal("68.4")


def test_it_checks_the_range_in_the_unit_entered_and_names_the_field() -> None:
    assert units.range_in("lb") == (Decimal("4.5"), Decimal("881.8"))
    assert units.range_in("in") == (Decimal("15.8"), Decimal("98.4"))
    with pytest.raises(units.UnitError) as too_heavy:
        units.enter("weight", "900", "lb")
    assert (too_heavy.value.field, too_heavy.value.message) == (
        "weight",
        "must be between 4.5 and 881.8 lb",
    )
    with pytest.raises(units.UnitError) as not_a_number:
        units.enter("height", "tall", "in")
    assert not_a_number.value.message == "must be a number between 15.8 and 98.4 in"
    with pytest.raises(units.UnitError) as unknown:
        units.enter("weight", "70", "stone")
    assert unknown.value.field == "weight_unit"
    assert units.hint("weight") == "2\N{EN DASH}400 kg or 4.5\N{EN DASH}881.8 lb"


@given(st.decimals(min_value="4.5", max_value="881.8", places=1), st.sampled_from(["lb"]))
def test_it_stores_every_weight_in_range_inside_the_stored_range(
    pounds: Decimal, unit: str
) -> None:
    entered = units.enter("weight", pounds, unit)
    low, high = units.WEIGHT_KG_RANGE
    assert low <= entered.stored <= high
    # The stored kg is within 0.05 kg of the exact conversion.
    assert abs(entered.stored - pounds * units.KG_PER_LB) <= Decimal("0.05")


@given(st.decimals(min_value="15.8", max_value="98.4", places=1))
def test_it_stores_every_height_in_range_inside_the_stored_range(inches: Decimal) -> None:
    entered = units.enter("height", inches, "in")
    low, high = units.HEIGHT_CM_RANGE
    assert low <= entered.stored <= high
    assert abs(entered.stored - inches * units.CM_PER_IN) <= Decimal("0.05")
    assert units.from_base(entered.stored, "in") == inches.quantize(Decimal("0.1"))
