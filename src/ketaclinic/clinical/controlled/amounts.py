"""Exact amounts: the ledger stores whole micrograms, people read and write mg."""

from __future__ import annotations

from decimal import Decimal

from ketaclinic.clinical.controlled.ledger import LedgerError

UG_PER_MG = 1000


def to_ug(mg: Decimal, field_name: str = "amount_mg") -> int:
    """``mg`` as whole micrograms; refused when it is not exact to 1 µg."""
    if not isinstance(mg, Decimal) or not mg.is_finite():
        raise LedgerError(field_name, "must be an exact decimal amount in mg")
    ug = mg * UG_PER_MG
    if ug != ug.to_integral_value():
        raise LedgerError(field_name, "give at most 3 decimal places (1 µg)")
    return int(ug)


def to_mg(ug: int) -> Decimal:
    return Decimal(ug) / UG_PER_MG
