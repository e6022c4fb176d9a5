"""A self-pay account's reports, pure: the statement of a period, the ageing of what
is owed and a day's close of the money taken. Amounts are integer cents, signed as
the account ledger signs them: positive, the patient owes the clinic (a charge, a
package sold, a refund); negative, a credit (a payment, a visit a package covers, a
correction or write-off).

Ageing follows accounts-receivable practice
(docs/clinical-references.md#accounts-receivable-ageing): credits pay the oldest
debits first (first in, first out), and what stays unpaid is aged by its posting
date into current (0-30 days), 31-60, 61-90 and over 90 days. A patient whose
credits exceed the debits has a credit balance: shown as a credit, in no bucket.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

# The buckets' upper bounds in days since posting, oldest last (the last is open).
BUCKET_DAYS = (30, 60, 90)
BUCKET_LABELS = ("Current (0-30 days)", "31-60 days", "61-90 days", "Over 90 days")


@dataclass(frozen=True)
class Entry:
    """One ledger line as the reports read it."""

    posted_on: date
    amount_cents: int
    kind: str = "charge"
    id: int = 0


# ---- the statement -------------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    first: date
    last: date
    opening_cents: int
    entries: tuple[Entry, ...]

    @property
    def period_cents(self) -> int:
        return sum(e.amount_cents for e in self.entries)

    @property
    def closing_cents(self) -> int:
        return self.opening_cents + self.period_cents

    def running(self) -> list[tuple[Entry, int]]:
        """Each entry with the balance after it."""
        balance, out = self.opening_cents, []
        for entry in self.entries:
            balance += entry.amount_cents
            out.append((entry, balance))
        return out


def statement(
    entries: Iterable[Entry], first: date, last: date, brought_forward_cents: int = 0
) -> Statement:
    """The statement of ``first``..``last`` (inclusive): what was owed before it (the
    entries before ``first`` plus ``brought_forward_cents``, a balance summed
    elsewhere), the period's entries in posting order, and the balance after (opening
    + their sum). Entries after ``last`` are not on it."""
    if last < first:
        raise ValueError("the period ends before it starts")
    opening = brought_forward_cents
    inside = []
    for entry in entries:
        if entry.posted_on < first:
            opening += entry.amount_cents
        elif entry.posted_on <= last:
            inside.append(entry)
    inside.sort(key=lambda e: (e.posted_on, e.id))
    return Statement(first, last, opening, tuple(inside))


# ---- ageing ----------------------------------------------------------------------------


def bucket_of(posted_on: date, as_of: date) -> int:
    """0 current (0-30 days old), 1 for 31-60, 2 for 61-90, 3 over 90. An entry
    posted after ``as_of`` is not aged (the caller leaves it out)."""
    days = (as_of - posted_on).days
    if days < 0:
        raise ValueError("posted after the as-of date")
    for index, bound in enumerate(BUCKET_DAYS):
        if days <= bound:
            return index
    return len(BUCKET_DAYS)


def bucket_starts(as_of: date) -> tuple[date, date, date]:
    """The first posting date of buckets 0, 1 and 2 (a query sorts rows by them)."""
    first, second, third = (as_of - timedelta(days=bound) for bound in BUCKET_DAYS)
    return first, second, third


@dataclass(frozen=True)
class Ageing:
    """What one patient owes by age; ``credit_cents`` is a credit balance (>= 0)."""

    buckets: tuple[int, int, int, int]
    credit_cents: int

    @property
    def owed_cents(self) -> int:
        return sum(self.buckets)

    @property
    def balance_cents(self) -> int:
        """The account's balance: what is owed, or minus the credit."""
        return self.owed_cents - self.credit_cents


def age_debits(debits: Iterable[tuple[date, int]], credit_cents: int, as_of: date) -> Ageing:
    """Age debits (posting date, positive cents) after paying the oldest first with
    ``credit_cents`` (the sum of the credits, as a positive number). Debits of one
    day may come summed: FIFO pays them in the same bucket either way."""
    if credit_cents < 0:
        raise ValueError("the credits are given as a positive sum")
    left = credit_cents
    buckets = [0, 0, 0, 0]
    for posted_on, cents in sorted(debits, key=lambda d: d[0]):
        if cents < 0:
            raise ValueError("a debit is positive")
        paid = min(left, cents)
        left -= paid
        buckets[bucket_of(posted_on, as_of)] += cents - paid
    return Ageing((buckets[0], buckets[1], buckets[2], buckets[3]), left)


def age(entries: Iterable[Entry], as_of: date) -> Ageing:
    """One account's ageing on ``as_of`` from its entries posted on or before it."""
    debits: list[tuple[date, int]] = []
    credits = 0
    for entry in entries:
        if entry.posted_on > as_of:
            continue
        if entry.amount_cents > 0:
            debits.append((entry.posted_on, entry.amount_cents))
        else:
            credits -= entry.amount_cents
    return age_debits(debits, credits, as_of)


def total_ageing(rows: Iterable[Ageing]) -> Ageing:
    buckets = [0, 0, 0, 0]
    credit = 0
    for row in rows:
        for index, cents in enumerate(row.buckets):
            buckets[index] += cents
        credit += row.credit_cents
    return Ageing((buckets[0], buckets[1], buckets[2], buckets[3]), credit)


# ---- the daily close ---------------------------------------------------------------------


@dataclass(frozen=True)
class Money:
    """Payments or refunds of one day summed by method and by who took them: one
    ledger entry, or a group of them (``count`` entries), signed as in the ledger."""

    kind: str  # "payment" or "refund"
    method: str
    staff: str
    amount_cents: int
    count: int = 1


@dataclass(frozen=True)
class Close:
    """The day's money: received (payments, positive here), paid back (refunds,
    positive here) and the net taken in. ``net_cents`` is minus the sum of the day's
    payment and refund entries as the ledger signs them."""

    received_by_method: dict[str, int] = field(default_factory=dict)
    received_by_staff: dict[str, int] = field(default_factory=dict)
    refunded_by_method: dict[str, int] = field(default_factory=dict)
    refunded_by_staff: dict[str, int] = field(default_factory=dict)
    payments: int = 0
    refunds: int = 0

    @property
    def received_cents(self) -> int:
        return sum(self.received_by_method.values())

    @property
    def refunded_cents(self) -> int:
        return sum(self.refunded_by_method.values())

    @property
    def net_cents(self) -> int:
        return self.received_cents - self.refunded_cents


def _add(into: dict[str, int], key: str, cents: int) -> None:
    into[key] = into.get(key, 0) + cents


def close(money: Sequence[Money] | Iterable[Money]) -> Close:
    """Sum a day's payments and refunds by method and by staff member."""
    out = Close()
    payments = refunds = 0
    for item in money:
        if item.kind == "payment":
            _add(out.received_by_method, item.method, -item.amount_cents)
            _add(out.received_by_staff, item.staff, -item.amount_cents)
            payments += item.count
        elif item.kind == "refund":
            _add(out.refunded_by_method, item.method, item.amount_cents)
            _add(out.refunded_by_staff, item.staff, item.amount_cents)
            refunds += item.count
        else:
            raise ValueError(f"not money taken or given back: {item.kind}")
    return Close(
        dict(sorted(out.received_by_method.items())),
        dict(sorted(out.received_by_staff.items())),
        dict(sorted(out.refunded_by_method.items())),
        dict(sorted(out.refunded_by_staff.items())),
        payments,
        refunds,
    )
