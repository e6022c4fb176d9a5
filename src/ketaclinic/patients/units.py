"""Weight and height as entered (kg or lb, cm or in) and as stored (kg, cm).

Pure: no database, no web. The factors are exact by definition (the international
pound is 0.45359237 kg, the inch 2.54 cm), so the conversion is exact in ``Decimal``
and only the stored value is rounded, to the 0.1 kg / 0.1 cm the chart keeps.
A range is checked in the unit entered, so the message names what was typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Literal

WeightUnit = Literal["kg", "lb"]
HeightUnit = Literal["cm", "in"]
WEIGHT_UNITS: tuple[WeightUnit, ...] = ("kg", "lb")
HEIGHT_UNITS: tuple[HeightUnit, ...] = ("cm", "in")

KG_PER_LB = Decimal("0.45359237")
CM_PER_IN = Decimal("2.54")
TENTH = Decimal("0.1")

# The stored ranges (the body_measurements check constraints; dosing refuses a
# weight outside 2-400 kg too).
WEIGHT_KG_RANGE = (Decimal(2), Decimal(400))
HEIGHT_CM_RANGE = (Decimal(40), Decimal(250))

_TO_BASE: dict[str, Decimal] = {
    "kg": Decimal(1),
    "lb": KG_PER_LB,
    "cm": Decimal(1),
    "in": CM_PER_IN,
}


class UnitError(ValueError):
    """An entered value that cannot be stored; ``field`` names the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Entered:
    """What was typed (rounded to 0.1 of its unit) and what is stored (0.1 kg or cm)."""

    value: Decimal
    unit: str
    stored: Decimal


def range_in(unit: str) -> tuple[Decimal, Decimal]:
    """The stored range expressed in ``unit``, to 0.1, narrowed inward so every
    value inside it converts to a value inside the stored range."""
    low, high = WEIGHT_KG_RANGE if unit in WEIGHT_UNITS else HEIGHT_CM_RANGE
    factor = _TO_BASE[unit]
    return (
        (low / factor).quantize(TENTH, rounding=ROUND_CEILING),
        (high / factor).quantize(TENTH, rounding=ROUND_FLOOR),
    )


def to_base(value: Decimal, unit: str) -> Decimal:
    """``value`` in kg (from kg or lb) or cm (from cm or in), exact."""
    return value * _TO_BASE[unit]


def from_base(value: Decimal, unit: str) -> Decimal:
    """A stored kg or cm shown in ``unit``, to 0.1."""
    return (value / _TO_BASE[unit]).quantize(TENTH, rounding=ROUND_HALF_EVEN)


def _plain(number: Decimal) -> str:
    """400.0 as "400", 4.5 as "4.5"."""
    return f"{number.normalize():f}"


def enter(field: str, raw: object, unit: str) -> Entered:
    """Read one entered value in ``unit``: a number inside the range in that unit,
    kept to 0.1 of it, and its stored kg or cm (rounded half-even to 0.1)."""
    if unit not in _TO_BASE:
        raise UnitError(f"{field}_unit", f"must be one of {', '.join(_TO_BASE)}")
    low, high = range_in(unit)
    if isinstance(raw, bool):
        raise UnitError(field, f"must be a number between {_plain(low)} and {_plain(high)} {unit}")
    try:
        number = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise UnitError(
            field, f"must be a number between {_plain(low)} and {_plain(high)} {unit}"
        ) from None
    if not number.is_finite() or not low <= number <= high:
        raise UnitError(field, f"must be between {_plain(low)} and {_plain(high)} {unit}")
    value = number.quantize(TENTH, rounding=ROUND_HALF_EVEN)
    stored = to_base(value, unit).quantize(TENTH, rounding=ROUND_HALF_EVEN)
    return Entered(value=value, unit=unit, stored=stored)


def hint(field: str) -> str:
    """The accepted range in each unit, for a form: "2-400 kg or 4.5-881.8 lb"."""
    names = WEIGHT_UNITS if field == "weight" else HEIGHT_UNITS
    return " or ".join(
        "\N{EN DASH}".join(_plain(bound) for bound in range_in(unit)) + f" {unit}" for unit in names
    )
