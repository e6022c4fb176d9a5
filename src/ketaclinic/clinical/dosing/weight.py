"""Which weight a dose is calculated on. Pure.

source: docs/clinical-references.md#weight-basis: the weight basis (actual, ideal, adjusted) is a
protocol setting, not fixed by any guideline. Ideal body weight (Devine): men
50 kg + 2.3 kg per inch over 5 ft, women 45.5 kg + 2.3 kg per inch over 5 ft;
adjusted = IBW + 0.4 x (actual - IBW).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from ketaclinic.clinical.dosing.errors import DoseError
from ketaclinic.clinical.dosing.units import Cm, Kg

WeightBasis = Literal["actual", "ideal", "adjusted"]
WEIGHT_BASES: tuple[WeightBasis, ...] = ("actual", "ideal", "adjusted")

CM_PER_INCH = Decimal("2.54")
FIVE_FEET_IN_INCHES = Decimal(60)
DEVINE_BASE = {"male": Decimal(50), "female": Decimal("45.5")}
DEVINE_PER_INCH = Decimal("2.3")
ADJUSTED_FRACTION = Decimal("0.4")


def ideal_body_weight(height: Cm, sex_at_birth: str) -> Kg:
    """Devine ideal body weight. Defined for male and female only, and for
    heights of 5 ft or more (the formula counts inches *over* 5 ft)."""
    base = DEVINE_BASE.get(sex_at_birth)
    if base is None:
        raise DoseError({"sex_at_birth": "ideal body weight (Devine) needs male or female"})
    inches = height.value / CM_PER_INCH
    if inches < FIVE_FEET_IN_INCHES:
        raise DoseError(
            {
                "height_cm": "Devine ideal body weight is defined from 5 ft (152.4 cm); "
                "use actual weight"
            }
        )
    return Kg(base + DEVINE_PER_INCH * (inches - FIVE_FEET_IN_INCHES))


def adjusted_body_weight(actual: Kg, ideal: Kg) -> Kg:
    return Kg(ideal.value + ADJUSTED_FRACTION * (actual.value - ideal.value))


def dosing_weight(basis: WeightBasis, actual: Kg, height: Cm | None, sex_at_birth: str) -> Kg:
    """The weight the protocol's basis asks for."""
    if basis == "actual":
        return actual
    if height is None:
        raise DoseError({"height_cm": f"the {basis} weight basis needs a measured height"})
    ideal = ideal_body_weight(height, sex_at_birth)
    return ideal if basis == "ideal" else adjusted_body_weight(actual, ideal)
