"""Administration codes from the charted infusion time (issue 23, point 1).
Source of every rule: docs/clinical-references.md#billing-codes (AMA CPT 96360-96379
infusion-time guidelines; CMS NCCI Policy Manual chapter XI)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical.billing import additional_hours, charted_minutes, iv_codes

T0 = datetime(2026, 12, 9, 15, 0, tzinfo=UTC)
minutes = st.decimals(min_value=0, max_value=24 * 60, places=1)


@pytest.mark.parametrize(
    ("ran_min", "codes"),
    [
        (Decimal(40), [("96365", 1)]),  # the 40-minute infusion
        (Decimal(100), [("96365", 1), ("96366", 1)]),  # 1 h 40 min
        (Decimal(240), [("96365", 1), ("96366", 3)]),  # a 4-hour CRPS infusion
        (Decimal(90), [("96365", 1)]),  # 30 min beyond the hour is not more than 30
        (Decimal("90.1"), [("96365", 1), ("96366", 1)]),
        (Decimal(15), [("96374", 1)]),  # 15 minutes or less: IV push
        (Decimal("15.1"), [("96365", 1)]),
        (Decimal(0), []),  # never ran: no administration
    ],
)
def test_it_codes_the_examples_of_the_cpt_time_rules(ran_min: Decimal, codes: list[object]) -> None:
    assert iv_codes(ran_min) == codes


@given(minutes)
def test_it_bills_a_push_only_at_fifteen_minutes_or_less(ran: Decimal) -> None:
    codes = dict(iv_codes(ran))
    assert ("96374" in codes) == (0 < ran <= 15)
    assert ("96365" in codes) == (ran > 15)
    assert "96374" not in codes or "96365" not in codes


@given(minutes)
def test_it_bills_each_additional_hour_only_past_thirty_minutes(ran: Decimal) -> None:
    extra = additional_hours(ran)
    # Each counted hour after the first ran more than 30 minutes ...
    assert ran > 60 + 60 * (extra - 1) + 30 or extra == 0
    # ... and one more would need more than 30 minutes beyond the hours counted.
    assert ran <= 60 + 60 * extra + 30


@given(minutes, minutes)
def test_it_never_bills_fewer_hours_for_a_longer_infusion(a: Decimal, b: Decimal) -> None:
    short, long = sorted((a, b))
    assert additional_hours(short) <= additional_hours(long)


@given(st.integers(min_value=1, max_value=180), st.integers(min_value=1, max_value=120))
def test_it_counts_the_charted_time_without_the_pauses(ran: int, paused: int) -> None:
    """The codes come from start, pauses and stop as charted, not the plan: a pause
    of any length adds nothing to the time billed."""
    half = T0 + timedelta(minutes=ran / 2)
    steps = [
        ("pause", half),
        ("resume", half + timedelta(minutes=paused)),
        ("end_administration", T0 + timedelta(minutes=ran + paused)),
    ]
    charted = charted_minutes(T0, steps, T0 + timedelta(minutes=ran + paused))
    assert charted == Decimal(ran).quantize(Decimal("0.1"))
    assert iv_codes(charted) == iv_codes(Decimal(ran))


def test_it_bills_a_40_minute_plan_paused_into_a_long_visit_as_its_40_minutes() -> None:
    steps = [
        ("pause", T0 + timedelta(minutes=20)),
        ("resume", T0 + timedelta(minutes=80)),
        ("end_administration", T0 + timedelta(minutes=100)),
    ]
    assert iv_codes(charted_minutes(T0, steps, T0 + timedelta(minutes=100))) == [("96365", 1)]
