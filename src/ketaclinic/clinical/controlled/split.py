"""One dose drawn from two containers (issue 19): how much comes from each.

Two part-used vials of the same product and strength, in the same safe, can make one
dose. By default the first container gives all it holds and the second the rest (the
nurse finishes the opened vial first); or the nurse enters both amounts, which must add
up to the dose exactly. Either way no amount exceeds its container's balance and none is
zero or negative. A refusal names the field to correct and the lot.

Each of the two amounts becomes its own draw in the ledger (``DrawForSession``), so the
ledger's invariants hold for each as for any draw.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ketaclinic.clinical.controlled.ledger import LedgerError

# The request fields a refusal names: the two containers and the two amounts.
FIRST = "container_id"
SECOND = "second_container_id"
FIRST_MG = "first_mg"
SECOND_MG = "second_mg"


@dataclass(frozen=True)
class Source:
    """A container a share of the dose may come from, as its label and the ledger say."""

    container_id: str
    lot: str
    drug: str
    mg_per_ml: Decimal | None  # None: a container without a volume (a dose kit)
    location: str
    on_hand_mg: Decimal


def _mg(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _strength(source: Source) -> str:
    per_ml = f" {_mg(source.mg_per_ml)} mg/mL" if source.mg_per_ml is not None else ""
    return f"{source.drug}{per_ml}"


def _same_kind(first: Source, second: Source) -> None:
    if first.container_id == second.container_id:
        raise LedgerError(SECOND, f"lot {second.lot}: choose a container other than the first")
    if (first.drug, first.mg_per_ml) != (second.drug, second.mg_per_ml):
        raise LedgerError(
            SECOND,
            f"lot {second.lot} is {_strength(second)}, lot {first.lot} is "
            f"{_strength(first)}: one dose comes from containers of the same product "
            "and strength",
        )
    if first.location != second.location:
        raise LedgerError(
            SECOND,
            f"lot {second.lot} is kept in another safe than lot {first.lot}: draw from "
            "two containers in the same safe",
        )


def _entered(
    dose_mg: Decimal, first: Source, second: Source, amounts: tuple[Decimal, Decimal]
) -> tuple[Decimal, Decimal]:
    for amount, source, name in ((amounts[0], first, FIRST_MG), (amounts[1], second, SECOND_MG)):
        if not isinstance(amount, Decimal) or not amount.is_finite():
            raise LedgerError(name, "must be an exact decimal amount in mg")
        if amount <= 0:
            raise LedgerError(name, f"lot {source.lot}: must be above 0 mg")
        if amount > source.on_hand_mg:
            raise LedgerError(
                name,
                f"lot {source.lot} holds {_mg(source.on_hand_mg)} mg, less than the "
                f"{_mg(amount)} mg entered",
            )
    total = amounts[0] + amounts[1]
    if total != dose_mg:
        raise LedgerError(
            SECOND_MG,
            f"{_mg(amounts[0])} + {_mg(amounts[1])} = {_mg(total)} mg: the two amounts "
            f"must add up to the {_mg(dose_mg)} mg dose exactly",
        )
    return amounts


def split_dose(
    dose_mg: Decimal,
    first: Source,
    second: Source,
    amounts: tuple[Decimal, Decimal] | None = None,
) -> tuple[Decimal, Decimal]:
    """How much of ``dose_mg`` comes from ``first`` and how much from ``second``:
    ``amounts`` when the nurse entered them, else all of the first's balance and the
    rest from the second. ``LedgerError`` naming the field (and the lot) when the two
    cannot make the dose."""
    if not isinstance(dose_mg, Decimal) or not dose_mg.is_finite() or dose_mg <= 0:
        raise LedgerError("dose_mg", "must be an exact amount above 0 mg")
    _same_kind(first, second)
    together = first.on_hand_mg + second.on_hand_mg
    if together < dose_mg:
        raise LedgerError(
            SECOND,
            f"lot {first.lot} ({_mg(first.on_hand_mg)} mg) and lot {second.lot} "
            f"({_mg(second.on_hand_mg)} mg) together hold {_mg(together)} mg, less than "
            f"the {_mg(dose_mg)} mg dose",
        )
    if amounts is not None:
        return _entered(dose_mg, first, second, amounts)
    if first.on_hand_mg <= 0:
        raise LedgerError(FIRST, f"lot {first.lot} is empty")
    if first.on_hand_mg >= dose_mg:
        raise LedgerError(
            SECOND,
            f"lot {first.lot} alone holds the {_mg(dose_mg)} mg dose: draw from it alone, "
            "or enter how much comes from each",
        )
    return first.on_hand_mg, dose_mg - first.on_hand_mg
