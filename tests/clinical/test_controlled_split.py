"""One dose from two containers: the amounts add up to the dose, none exceeds its
container's balance, none is zero or negative; refusals name the field and the lot."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical.controlled import LedgerError, Source, split_dose

mg = st.decimals("0.001", "1000", places=3)


def vial(cid: str, lot: str, on_hand: str | Decimal, **overrides: object) -> Source:
    fields: dict[str, object] = {
        "container_id": cid,
        "lot": lot,
        "drug": "ketamine",
        "mg_per_ml": Decimal(50),
        "location": "1",
        "on_hand_mg": Decimal(on_hand),
        **overrides,
    }
    return Source(**fields)  # type: ignore[arg-type]


@given(first=mg, rest=mg, spare=st.decimals("0", "500", places=3))
def test_it_takes_the_first_containers_balance_then_the_rest_from_the_second(
    first: Decimal, rest: Decimal, spare: Decimal
) -> None:
    """Built so the first vial is short and the two together hold the dose (a filter
    on random ones tripped hypothesis's health check)."""
    dose, second = first + rest, rest + spare
    a, b = split_dose(dose, vial("1", "K1", first), vial("2", "K2", second))
    assert a + b == dose
    assert 0 < a <= first and 0 < b <= second
    assert a == first


headroom = st.decimals("0", "500", places=3)


@given(a=mg, b=mg, spare_first=headroom, spare_second=headroom)
def test_it_accepts_entered_amounts_that_make_the_dose_within_each_balance(
    a: Decimal, b: Decimal, spare_first: Decimal, spare_second: Decimal
) -> None:
    """Built to hold, not filtered: two shares of a dose, each within its vial."""
    dose, first, second = a + b, a + spare_first, b + spare_second
    assert split_dose(dose, vial("1", "K1", first), vial("2", "K2", second), (a, b)) == (a, b)


@given(dose=mg, first=mg, second=mg, a=mg, b=mg)
def test_it_never_returns_amounts_that_break_a_rule(
    dose: Decimal, first: Decimal, second: Decimal, a: Decimal, b: Decimal
) -> None:
    for entered in (None, (a, b)):
        try:
            x, y = split_dose(dose, vial("1", "K1", first), vial("2", "K2", second), entered)
        except LedgerError as exc:
            assert exc.field in ("container_id", "second_container_id", "first_mg", "second_mg")
            continue
        assert x + y == dose and 0 < x <= first and 0 < y <= second


def test_it_refuses_two_containers_that_together_hold_less_than_the_dose() -> None:
    with pytest.raises(LedgerError) as refused:
        split_dose(Decimal("45.2"), vial("1", "K1", "14.5"), vial("2", "K2", "20"))
    assert refused.value.field == "second_container_id"
    assert "lot K1 (14.5 mg) and lot K2 (20 mg) together hold 34.5 mg" in str(refused.value)


def test_it_refuses_amounts_that_do_not_add_up_to_the_dose_exactly() -> None:
    with pytest.raises(LedgerError) as refused:
        split_dose(
            Decimal("45.2"),
            vial("1", "K1", "14.5"),
            vial("2", "K2", "500"),
            (Decimal("14.5"), Decimal("30.699")),
        )
    assert refused.value.field == "second_mg"
    assert "45.199 mg" in str(refused.value)


def test_it_refuses_an_amount_above_its_containers_balance_naming_the_lot() -> None:
    with pytest.raises(LedgerError) as refused:
        split_dose(
            Decimal("45.2"),
            vial("1", "K1", "14.5"),
            vial("2", "K2", "500"),
            (Decimal("15"), Decimal("30.2")),
        )
    assert refused.value.field == "first_mg"
    assert "lot K1 holds 14.5 mg" in str(refused.value)


@pytest.mark.parametrize(
    ("second", "words"),
    [
        (vial("2", "K2", "500", mg_per_ml=Decimal(10)), "same product and strength"),
        (vial("2", "K2", "500", drug="esketamine"), "same product and strength"),
        (vial("2", "K2", "500", location="9"), "another safe"),
        (vial("1", "K1", "500"), "other than the first"),
    ],
)
def test_it_refuses_a_second_container_of_another_kind_or_place(second: Source, words: str) -> None:
    with pytest.raises(LedgerError) as refused:
        split_dose(Decimal("45.2"), vial("1", "K1", "14.5"), second)
    assert refused.value.field == "second_container_id"
    assert "lot K2" in str(refused.value) or "lot K1" in str(refused.value)
    assert words in str(refused.value)


def test_it_asks_for_amounts_when_the_first_container_alone_holds_the_dose() -> None:
    with pytest.raises(LedgerError) as refused:
        split_dose(Decimal("45.2"), vial("1", "K1", "500"), vial("2", "K2", "14.5"))
    assert "lot K1 alone holds the 45.2 mg dose" in str(refused.value)
    entered = (Decimal("30.7"), Decimal("14.5"))
    assert (
        split_dose(Decimal("45.2"), vial("1", "K1", "500"), vial("2", "K2", "14.5"), entered)
        == entered
    )
