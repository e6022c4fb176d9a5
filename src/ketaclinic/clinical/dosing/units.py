"""Quantities that cannot be mixed up: each unit is its own type.

A tenfold or thousandfold error usually starts as a number in the wrong unit
(mcg read as mg, mg/kg read as mg). Here ``Mg`` and ``Mcg`` are different types,
adding them is a type error (mypy) and a ``TypeError`` at run time, and the only
way between them is an explicit conversion. The products that mean something are
defined (``MgPerKg * Kg -> Mg``, ``Mg / MgPerMl -> Ml``, ``Ml / Minutes -> MlPerHour``);
nothing else is.

Amounts are exact ``Decimal``s, never floats: 0.1 + 0.2 must be 0.3 in a dose.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Self, overload


def _decimal(value: Any, unit: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        # Floats are refused: their binary error would leak into doses.
        raise TypeError(
            f"a {unit} amount must be an int, str or Decimal, not {type(value).__name__}"
        )
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number of {unit}") from None
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number of {unit}")
    return number


@dataclass(frozen=True, order=True, init=False)
class Quantity:
    """A non-negative exact amount in one unit; subclasses name the unit."""

    value: Decimal
    unit: ClassVar[str] = ""

    def __init__(self, value: int | str | Decimal) -> None:
        number = _decimal(value, self.unit)
        if number < 0:
            raise ValueError(f"{self.unit} must not be negative; got {number}")
        object.__setattr__(self, "value", number)

    def __add__(self, other: Self) -> Self:
        if type(other) is not type(self):
            return NotImplemented
        return type(self)(self.value + other.value)

    def __sub__(self, other: Self) -> Self:
        if type(other) is not type(self):
            return NotImplemented
        return type(self)(self.value - other.value)

    def scaled(self, factor: Decimal | int) -> Self:
        """This amount times a plain number (a ratio, a count)."""
        return type(self)(self.value * _decimal(factor, "factor"))

    def ratio(self, other: Self) -> Decimal:
        """How many times ``other`` fits in this amount (same unit only)."""
        if type(other) is not type(self):
            raise TypeError(f"cannot compare {self.unit} with {other.unit}")
        return self.value / other.value

    def __str__(self) -> str:
        return f"{self.value.normalize():f} {self.unit}"

    def __format__(self, spec: str) -> str:
        return f"{format(self.value, spec)} {self.unit}" if spec else str(self)


class Kg(Quantity):
    unit = "kg"


class Cm(Quantity):
    unit = "cm"


class Mg(Quantity):
    unit = "mg"

    def to_mcg(self) -> Mcg:
        return Mcg(self.value * 1000)


class Mcg(Quantity):
    unit = "mcg"

    def to_mg(self) -> Mg:
        return Mg(self.value / 1000)


class Ml(Quantity):
    unit = "mL"

    def __truediv__(self, other: Minutes) -> MlPerHour:
        if not isinstance(other, Minutes):
            return NotImplemented
        return MlPerHour(self.value * 60 / other.value)


class Minutes(Quantity):
    unit = "min"

    @property
    def hours(self) -> Decimal:
        return self.value / 60


class MgPerMl(Quantity):
    unit = "mg/mL"


class MlPerHour(Quantity):
    unit = "mL/h"

    def __mul__(self, other: Minutes) -> Ml:
        if not isinstance(other, Minutes):
            return NotImplemented
        return Ml(self.value * other.value / 60)


class MgPerKg(Quantity):
    unit = "mg/kg"

    def __mul__(self, other: Kg) -> Mg:
        if not isinstance(other, Kg):
            return NotImplemented
        return Mg(self.value * other.value)


class MgPerKgPerHour(Quantity):
    unit = "mg/kg/h"

    def over(self, weight: Kg, duration: Minutes) -> Mg:
        return Mg(self.value * weight.value * duration.value / 60)


class MgPerHour(Quantity):
    unit = "mg/h"

    def over(self, duration: Minutes) -> Mg:
        return Mg(self.value * duration.value / 60)


@overload
def volume_of(dose: Mg, concentration: MgPerMl) -> Ml: ...
@overload
def volume_of(dose: Mcg, concentration: MgPerMl) -> Ml: ...
def volume_of(dose: Mg | Mcg, concentration: MgPerMl) -> Ml:
    """The volume holding ``dose`` at ``concentration``."""
    if not isinstance(concentration, MgPerMl):
        raise TypeError("concentration must be MgPerMl")
    mg = dose.to_mg() if isinstance(dose, Mcg) else dose
    if concentration.value == 0:
        raise ValueError("concentration must be above 0 mg/mL")
    return Ml(mg.value / concentration.value)


def amount_in(volume: Ml, concentration: MgPerMl) -> Mg:
    """The drug in ``volume`` at ``concentration``."""
    if not isinstance(volume, Ml) or not isinstance(concentration, MgPerMl):
        raise TypeError("amount_in needs Ml and MgPerMl")
    return Mg(volume.value * concentration.value)
