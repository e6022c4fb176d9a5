"""Dosing: unit-typed quantities, weight bases and the dose calculator with
dose-error reduction (limits, rounding, a second clinician's independent check).

Typical use::

    from ketaclinic.clinical.dosing import calculate, DoseRequest, PerKg, Infusion, ...

    dose = calculate(DoseRequest(rule=PerKg(MgPerKg("0.5"), ...), preparation=Infusion(...),
                                 duration=Minutes(40), weighing=Weighing(Kg("70"), today)))
    dose.dose, dose.volume, dose.rate
"""

from ketaclinic.clinical.dosing.calculator import (
    DEFAULT_MAX_WEIGHT_AGE_DAYS,
    DEFAULT_ROUNDING_TOLERANCE,
    WEIGHT_RANGE_KG,
    Devices,
    Dose,
    DoseRequest,
    DoseRule,
    Fixed,
    FixedRate,
    Infusion,
    Injection,
    PerKg,
    PerKgPerHour,
    Preparation,
    Weighing,
    calculate,
    second_check,
)
from ketaclinic.clinical.dosing.errors import DoseError
from ketaclinic.clinical.dosing.units import (
    Cm,
    Kg,
    Mcg,
    Mg,
    MgPerHour,
    MgPerKg,
    MgPerKgPerHour,
    MgPerMl,
    Minutes,
    Ml,
    MlPerHour,
    Quantity,
    amount_in,
    volume_of,
)
from ketaclinic.clinical.dosing.weight import (
    WEIGHT_BASES,
    WeightBasis,
    adjusted_body_weight,
    dosing_weight,
    ideal_body_weight,
)

__all__ = [
    "DEFAULT_MAX_WEIGHT_AGE_DAYS",
    "DEFAULT_ROUNDING_TOLERANCE",
    "WEIGHT_BASES",
    "WEIGHT_RANGE_KG",
    "Cm",
    "Devices",
    "Dose",
    "DoseError",
    "DoseRequest",
    "DoseRule",
    "Fixed",
    "FixedRate",
    "Infusion",
    "Injection",
    "Kg",
    "Mcg",
    "Mg",
    "MgPerHour",
    "MgPerKg",
    "MgPerKgPerHour",
    "MgPerMl",
    "Minutes",
    "Ml",
    "MlPerHour",
    "PerKg",
    "PerKgPerHour",
    "Preparation",
    "Quantity",
    "Weighing",
    "WeightBasis",
    "adjusted_body_weight",
    "amount_in",
    "calculate",
    "dosing_weight",
    "ideal_body_weight",
    "second_check",
    "volume_of",
]
