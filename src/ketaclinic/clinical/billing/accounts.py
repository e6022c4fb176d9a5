"""Self-pay account rules: the balance of a signed ledger, what is left to refund of
a payment, a package's visits left, which package a visit draws from and what the
package covers of it. Pure: integer cents, no database, no web.

Signs (docs/clinical-references.md#self-pay-accounts): a positive amount is owed by
the patient (a charge, a package sold, a refund given back), a negative one is
credit (a payment or deposit, a visit the package already paid for). The balance
is their sum: positive the patient owes the clinic, negative the clinic holds
credit (a deposit not yet used).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

PACKAGE_KINDS = ("induction", "booster", "other")
VISIT_KINDS = ("induction", "booster")


class RefundRefused(ValueError):
    """A refund this payment cannot take: not positive, or more than is left of it."""

    def __init__(self, message: str, refundable_cents: int) -> None:
        super().__init__(message)
        self.refundable_cents = refundable_cents


def balance_cents(amounts: Iterable[int]) -> int:
    """The account's balance: the sum of its signed entries."""
    return sum(amounts)


def refundable_cents(payment_cents: int, refunds_cents: Iterable[int]) -> int:
    """What is left to give back of a payment (stored negative) after its refunds
    (stored positive): never below zero."""
    if payment_cents >= 0:
        raise ValueError("a payment is a negative amount")
    return max(0, -payment_cents - sum(refunds_cents))


def check_refund(payment_cents: int, refunds_cents: Sequence[int], asked_cents: int) -> int:
    """The refund asked for when the payment can take it; ``RefundRefused`` when it is
    not positive or more than is left of the payment (so a payment is refunded at
    most its own amount, in one refund or several)."""
    left = refundable_cents(payment_cents, refunds_cents)
    if asked_cents <= 0:
        raise RefundRefused("a refund is more than zero", left)
    if asked_cents > left:
        raise RefundRefused("more than is left to refund of this payment", left)
    return asked_cents


def visits_left(visits: int, drawn: int, given_back: int = 0) -> int:
    """A package's visits not yet used: its visits less those drawn, plus draws given
    back (a voided visit)."""
    return max(0, visits - drawn + given_back)


def visit_kind(block: str | None) -> str:
    """A visit's kind from its plan block: the booster block's sessions are boosters,
    every other session belongs to the series (induction)."""
    return "booster" if (block or "").strip().lower() == "booster" else "induction"


def fits(package_kind: str, kind_of_visit: str) -> bool:
    """Whether a visit of this kind may be drawn from a package of that kind: an
    induction package pays for series visits, a booster pack for boosters, an
    ``other`` package for any visit."""
    return package_kind == "other" or package_kind == kind_of_visit


@dataclass(frozen=True)
class OpenPackage:
    """A patient's package as the draw rule needs it."""

    id: int
    kind: str
    visits_left: int
    sold_on: date


def package_to_draw(packages: Iterable[OpenPackage], kind_of_visit: str) -> int | None:
    """The package a visit draws from: the oldest sold that still has a visit left and
    whose kind fits the visit; ``None`` when none does (the visit is charged)."""
    open_ones = [p for p in packages if p.visits_left > 0 and fits(p.kind, kind_of_visit)]
    if not open_ones:
        return None
    return min(open_ones, key=lambda p: (p.sold_on, p.id)).id


def cover_due_cents(final_charges_cents: Iterable[int], covered_cents: Iterable[int]) -> int:
    """What a drawn visit's package must still cover: the visit's cover is minus its
    final charges; ``covered_cents`` are the cover entries already written (negative).
    Zero when nothing is due, so writing it again never covers twice; positive when a
    correction lowered the charges."""
    return -sum(final_charges_cents) - sum(covered_cents)


def package_share_cents(price_cents: int, visits: int, nth: int) -> int:
    """What the patient paid, through the package's price, for its ``nth`` visit (from
    1): the price shared evenly, the last visit taking the cents left over, so the
    shares add up to the price."""
    if not 1 <= nth <= visits:
        raise ValueError("nth is one of the package's visits")
    even = price_cents // visits
    return price_cents - even * (visits - 1) if nth == visits else even


def superbill_paid_cents(
    total_cents: int,
    package_shares_cents: Iterable[int],
    payments_in_period_cents: int,
    package_sales_in_period_cents: int,
) -> int:
    """The amount paid a superbill shows: what the package price paid for its visits
    on the bill, plus the money received in the period (payments less refunds, as a
    positive amount) that did not buy a package sold in the period; never more than the
    bill's total nor below zero."""
    loose = max(0, payments_in_period_cents - package_sales_in_period_cents)
    return max(0, min(total_cents, sum(package_shares_cents) + loose))
