"""A self-pay account's statement, its ageing (credits pay the oldest debits first)
and the daily close (issue 23, point 4). Source of the ageing practice:
docs/clinical-references.md#accounts-receivable-ageing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical.billing.statements import (
    Ageing,
    Entry,
    Money,
    age,
    age_debits,
    bucket_of,
    bucket_starts,
    close,
    statement,
    total_ageing,
)

AS_OF = date(2026, 12, 9)
KINDS_BY_SIGN = {1: ("charge", "package_sale", "refund", "adjustment"), -1: ("payment",)}

cents = st.integers(min_value=1, max_value=500_000)
days_back = st.integers(min_value=0, max_value=400)


@st.composite
def entries(draw: st.DrawFn, max_size: int = 30) -> list[Entry]:
    """A ledger's lines: debits and credits on days up to 400 days before AS_OF."""
    out = []
    for index in range(draw(st.integers(min_value=0, max_value=max_size))):
        sign = draw(st.sampled_from((1, -1)))
        kind = draw(st.sampled_from(KINDS_BY_SIGN[sign]))
        day = AS_OF - timedelta(days=draw(days_back))
        out.append(Entry(day, sign * draw(cents), kind, index + 1))
    return out


@given(entries(), days_back, st.integers(min_value=0, max_value=120))
def test_it_closes_a_statement_at_the_opening_plus_the_periods_entries(
    lines: list[Entry], back: int, length: int
) -> None:
    first = AS_OF - timedelta(days=back)
    last = first + timedelta(days=length)
    found = statement(lines, first, last)
    assert found.opening_cents == sum(e.amount_cents for e in lines if e.posted_on < first)
    assert found.closing_cents == found.opening_cents + sum(e.amount_cents for e in found.entries)
    assert found.closing_cents == sum(e.amount_cents for e in lines if e.posted_on <= last)
    assert all(first <= e.posted_on <= last for e in found.entries)
    running = found.running()
    assert (running[-1][1] if running else found.opening_cents) == found.closing_cents


@given(entries(), st.integers(min_value=-500_000, max_value=500_000))
def test_it_adds_a_balance_summed_elsewhere_to_the_opening(
    lines: list[Entry], forward: int
) -> None:
    first, last = AS_OF - timedelta(days=30), AS_OF
    inside = [e for e in lines if e.posted_on >= first]
    summed = statement(inside, first, last, forward)
    assert summed.opening_cents == forward
    assert summed.closing_cents == forward + sum(e.amount_cents for e in inside)


def test_it_refuses_a_period_that_ends_before_it_starts() -> None:
    with pytest.raises(ValueError):
        statement([], AS_OF, AS_OF - timedelta(days=1))


@pytest.mark.parametrize(
    ("days", "bucket"),
    [(0, 0), (30, 0), (31, 1), (60, 1), (61, 2), (90, 2), (91, 3), (400, 3)],
)
def test_it_ages_by_days_since_posting(days: int, bucket: int) -> None:
    assert bucket_of(AS_OF - timedelta(days=days), AS_OF) == bucket


def test_it_starts_each_bucket_where_the_days_say() -> None:
    for start, bucket in zip(bucket_starts(AS_OF), (0, 1, 2), strict=True):
        assert bucket_of(start, AS_OF) == bucket
        assert bucket_of(start - timedelta(days=1), AS_OF) == bucket + 1


def test_it_pays_the_oldest_debit_first() -> None:
    lines = [
        Entry(AS_OF - timedelta(days=100), 45_000),  # over 90
        Entry(AS_OF - timedelta(days=45), 45_000),  # 31-60
        Entry(AS_OF - timedelta(days=5), 45_000),  # current
        Entry(AS_OF - timedelta(days=2), -60_000, "payment"),  # pays the oldest, then half
    ]
    assert age(lines, AS_OF) == Ageing((45_000, 30_000, 0, 0), 0)


def test_it_shows_a_net_credit_as_credit_not_in_buckets() -> None:
    lines = [
        Entry(AS_OF - timedelta(days=70), 45_000),
        Entry(AS_OF - timedelta(days=80), -100_000, "payment"),  # a deposit
    ]
    found = age(lines, AS_OF)
    assert found.buckets == (0, 0, 0, 0) and found.credit_cents == 55_000
    assert found.balance_cents == -55_000


@given(entries())
def test_it_ages_into_buckets_that_add_up_to_the_balance(lines: list[Entry]) -> None:
    found = age(lines, AS_OF)
    balance = sum(e.amount_cents for e in lines)
    assert found.balance_cents == balance
    assert found.owed_cents == max(balance, 0) and found.credit_cents == max(-balance, 0)
    assert all(b >= 0 for b in found.buckets)


@given(entries())
def test_it_leaves_only_the_newest_debits_unpaid(lines: list[Entry]) -> None:
    """FIFO in closed form: with debits in posting order, the credits pay the first
    ones, so a debit is unpaid by what the running total of debits up to it exceeds
    the credits, at most its own amount."""
    debits = sorted((e for e in lines if e.amount_cents > 0), key=lambda e: e.posted_on)
    credit = -sum(e.amount_cents for e in lines if e.amount_cents < 0)
    expected = [0, 0, 0, 0]
    running = 0
    for debit in debits:
        running += debit.amount_cents
        unpaid = min(debit.amount_cents, max(0, running - credit))
        expected[bucket_of(debit.posted_on, AS_OF)] += unpaid
    assert list(age(lines, AS_OF).buckets) == expected


@given(entries())
def test_it_ages_debits_summed_by_day_the_same_as_one_by_one(lines: list[Entry]) -> None:
    """The clinic's report sums debits in the database; FIFO gives the same buckets."""
    by_day: dict[date, int] = {}
    credit = 0
    for e in lines:
        if e.amount_cents > 0:
            by_day[e.posted_on] = by_day.get(e.posted_on, 0) + e.amount_cents
        else:
            credit -= e.amount_cents
    assert age_debits(by_day.items(), credit, AS_OF) == age(lines, AS_OF)


def test_it_leaves_entries_after_the_as_of_date_out() -> None:
    lines = [Entry(AS_OF + timedelta(days=1), 45_000), Entry(AS_OF, 1_000)]
    assert age(lines, AS_OF).owed_cents == 1_000


@given(st.lists(entries(max_size=8), max_size=6))
def test_it_totals_the_patients_ageing(accounts: list[list[Entry]]) -> None:
    rows = [age(lines, AS_OF) for lines in accounts]
    total = total_ageing(rows)
    for bucket in range(4):
        assert total.buckets[bucket] == sum(r.buckets[bucket] for r in rows)
    assert total.balance_cents == sum(e.amount_cents for lines in accounts for e in lines)


methods = st.sampled_from(("card", "cash", "check", "hsa_fsa"))
staff = st.sampled_from(("Fran Desk", "Ada Admin", "Rio Reception"))


@st.composite
def money(draw: st.DrawFn) -> Money:
    kind = draw(st.sampled_from(("payment", "refund")))
    amount = draw(cents) * (-1 if kind == "payment" else 1)
    return Money(kind, draw(methods), draw(staff), amount)


@given(st.lists(money(), max_size=40))
def test_it_closes_the_day_adding_up_to_the_days_entries(day: list[Money]) -> None:
    found = close(day)
    payments = [m for m in day if m.kind == "payment"]
    refunds = [m for m in day if m.kind == "refund"]
    assert found.received_cents == -sum(m.amount_cents for m in payments)
    assert sum(found.received_by_staff.values()) == found.received_cents
    assert found.refunded_cents == sum(m.amount_cents for m in refunds)
    assert sum(found.refunded_by_staff.values()) == found.refunded_cents
    assert found.net_cents == -sum(m.amount_cents for m in day)
    assert (found.payments, found.refunds) == (len(payments), len(refunds))


@given(st.lists(money(), max_size=40))
def test_it_closes_grouped_rows_the_same_as_single_entries(day: list[Money]) -> None:
    groups: dict[tuple[str, str, str], tuple[int, int]] = {}
    for m in day:
        amount, count = groups.get((m.kind, m.method, m.staff), (0, 0))
        groups[(m.kind, m.method, m.staff)] = (amount + m.amount_cents, count + 1)
    grouped = [Money(k, meth, who, a, n) for (k, meth, who), (a, n) in groups.items()]
    assert close(grouped) == close(day)


def test_it_sums_a_day_by_method_and_staff() -> None:
    found = close(
        [
            Money("payment", "card", "Fran Desk", -45_000),
            Money("payment", "cash", "Fran Desk", -5_000),
            Money("payment", "card", "Ada Admin", -120_000),
            Money("refund", "card", "Ada Admin", 20_000),
        ]
    )
    assert found.received_by_method == {"card": 165_000, "cash": 5_000}
    assert found.received_by_staff == {"Ada Admin": 120_000, "Fran Desk": 50_000}
    assert found.refunded_by_method == {"card": 20_000}
    assert found.net_cents == 150_000
    with pytest.raises(ValueError):
        close([Money("charge", "card", "x", 1)])
