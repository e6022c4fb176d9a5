"""Money as integer cents. Pure: never a float."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_AMOUNT = re.compile(r"^\$?\s*([0-9]{1,7})(?:\.([0-9]{1,2}))?$")


def parse_cents(text: str) -> int | None:
    """``"906"``, ``"906.5"``, ``"$1,290.00"`` → cents; ``None`` when it is not an amount."""
    cleaned = text.strip().replace(",", "")
    m = _AMOUNT.match(cleaned)
    if not m:
        return None
    return int(m.group(1)) * 100 + int((m.group(2) or "0").ljust(2, "0"))


def cents_of(amount: Decimal) -> int:
    """An exact decimal amount of dollars in cents (more than two places is refused)."""
    try:
        cents = amount * 100
    except InvalidOperation as exc:  # pragma: no cover - Decimal arithmetic on a finite value
        raise ValueError(str(exc)) from exc
    if cents != cents.to_integral_value():
        raise ValueError("an amount has at most two decimal places")
    return int(cents)


def dollars(cents: int) -> str:
    """12345 → ``$123.45``; a negative amount (a correction) → ``-$123.45``."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}${whole:,}.{part:02d}"
