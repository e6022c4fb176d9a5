"""Self-pay account rules (issue 23, point 4): a signed ledger's balance, what is left
to refund of a payment, a package's visits left, the package a visit draws from and
what it covers. Source: docs/clinical-references.md#self-pay-accounts (the clinic's
own pricing and prepayment practice; double-entry sign conventions)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical.billing.accounts import (
    OpenPackage,
    RefundRefused,
    balance_cents,
    check_refund,
    cover_due_cents,
    fits,
    package_share_cents,
    package_to_draw,
    refundable_cents,
    superbill_paid_cents,
    visit_kind,
    visits_left,
)

cents = st.integers(min_value=1, max_value=10_000_000)
visit_charges = st.lists(st.integers(min_value=0, max_value=300_000), min_size=1, max_size=4)


def test_it_adds_signed_entries_into_the_balance() -> None:
    # a charge, a deposit, a refund of part of it: owes 450 - 500 + 100
    assert balance_cents([45000, -50000, 10000]) == 5000
    assert balance_cents([]) == 0


def test_it_leaves_to_refund_a_payment_less_its_refunds() -> None:
    assert refundable_cents(-50000, []) == 50000
    assert refundable_cents(-50000, [20000, 10000]) == 20000
    assert refundable_cents(-50000, [50000]) == 0
    with pytest.raises(ValueError, match="negative"):
        refundable_cents(50000, [])


def test_it_refuses_a_refund_over_what_is_left_naming_it() -> None:
    assert check_refund(-50000, [20000], 30000) == 30000
    with pytest.raises(RefundRefused) as refused:
        check_refund(-50000, [20000], 30001)
    assert refused.value.refundable_cents == 30000
    with pytest.raises(RefundRefused):
        check_refund(-50000, [], 0)


@given(cents, st.lists(cents, max_size=8), cents)
def test_it_never_lets_refunds_add_up_to_more_than_the_payment(
    paid: int, asked: list[int], last: int
) -> None:
    given_back: list[int] = []
    for amount in [*asked, last]:
        try:
            given_back.append(check_refund(-paid, given_back, amount))
        except RefundRefused as exc:
            assert amount > exc.refundable_cents
    assert sum(given_back) <= paid
    assert refundable_cents(-paid, given_back) == paid - sum(given_back)


def test_it_counts_a_packages_visits_left() -> None:
    assert visits_left(6, 0) == 6
    assert visits_left(6, 4) == 2
    assert visits_left(6, 6) == 0
    assert visits_left(6, 6, given_back=1) == 1


def test_it_tells_boosters_from_series_visits_by_the_plan_block() -> None:
    assert visit_kind("booster") == "booster"
    assert visit_kind("induction") == visit_kind(None) == "induction"
    assert fits("induction", "induction") and not fits("induction", "booster")
    assert fits("booster", "booster") and not fits("booster", "induction")
    assert fits("other", "booster") and fits("other", "induction")


def test_it_draws_from_the_oldest_open_package_that_fits() -> None:
    day = date(2026, 11, 1)
    older_used_up = OpenPackage(1, "induction", 0, day)
    older = OpenPackage(2, "induction", 3, day + timedelta(1))
    newer = OpenPackage(3, "induction", 6, day + timedelta(9))
    boosters = OpenPackage(4, "booster", 3, day)
    packs = [newer, boosters, older_used_up, older]
    assert package_to_draw(packs, "induction") == 2
    assert package_to_draw(packs, "booster") == 4
    assert package_to_draw([older_used_up], "induction") is None


def test_it_covers_a_drawn_visit_by_minus_its_final_charges_once() -> None:
    assert cover_due_cents([45000, 3500], []) == -48500
    assert cover_due_cents([45000, 3500], [-48500]) == 0  # written again: nothing more
    # a correction lowered the charges by 27,000: the cover gives that back
    assert cover_due_cents([45000, 3500, -45000, 18000], [-48500]) == 27000


@given(st.lists(visit_charges, min_size=1, max_size=12), cents)
def test_it_leaves_a_zero_balance_when_a_paid_package_pays_every_visit(
    visits: list[list[int]], price: int
) -> None:
    entries = [price, -price]  # the package sold and paid in full
    for charges in visits:
        entries += charges  # each final line's charge
        entries.append(cover_due_cents(charges, []))  # the visit drawn from the package
        entries.append(cover_due_cents(charges, [entries[-1]]))  # finalised again: 0
    assert balance_cents(entries) == 0


@given(st.integers(min_value=0, max_value=10_000_000), st.integers(min_value=1, max_value=52))
def test_it_shares_a_package_price_over_its_visits_to_the_cent(price: int, visits: int) -> None:
    shares = [package_share_cents(price, visits, n) for n in range(1, visits + 1)]
    assert sum(shares) == price
    assert max(shares) - min(shares) <= visits  # the last takes the leftover cents


def test_it_pays_a_superbill_the_package_shares_and_money_not_spent_on_a_package() -> None:
    # six visits of $475 from a $2,400 package bought in the period
    assert superbill_paid_cents(285000, [40000] * 6, 240000, 240000) == 240000
    # a visit paid at the desk, no package
    assert superbill_paid_cents(48500, [], 48500, 0) == 48500
    # never above the bill
    assert superbill_paid_cents(48500, [], 100000, 0) == 48500
