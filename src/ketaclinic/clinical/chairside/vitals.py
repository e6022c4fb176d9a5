"""One set of vital signs and the values that cannot be right. Pure.

The measures a chairside reading may carry, their labels, and the physically
possible range of each: a value outside it is a typing error, not a patient.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Literal, get_args

Measure = Literal[
    "systolic", "diastolic", "heart_rate", "spo2", "respiratory_rate", "sedation", "cadss"
]
MEASURES: tuple[Measure, ...] = get_args(Measure)

# Inclusive, physically possible values: anything outside is a typing error, not
# a patient. Sources: physiology (practice); sedation is the Richmond
# Agitation-Sedation Scale, -5..+4 (Sessler 2002; not in the clinical references, practice);
# CADSS is 23 items x 0-4 = 0-92 (docs/clinical-references.md#scales).
PLAUSIBLE: Mapping[Measure, tuple[int, int]] = MappingProxyType(
    {
        "systolic": (40, 300),
        "diastolic": (20, 200),
        "heart_rate": (20, 250),
        "spo2": (50, 100),
        "respiratory_rate": (2, 80),
        "sedation": (-5, 4),
        "cadss": (0, 92),
    }
)
MEASURE_LABELS: Mapping[Measure, str] = MappingProxyType(
    {
        "systolic": "Systolic BP (mmHg)",
        "diastolic": "Diastolic BP (mmHg)",
        "heart_rate": "Heart rate (/min)",
        "spo2": "SpO2 (%)",
        "respiratory_rate": "Respiratory rate (/min)",
        "sedation": "Sedation (RASS)",
        "cadss": "Dissociation (CADSS)",
    }
)
# How a value is named in a sentence: (noun, unit).
MEASURE_NOUNS: Mapping[Measure, tuple[str, str]] = MappingProxyType(
    {
        "systolic": ("systolic BP", " mmHg"),
        "diastolic": ("diastolic BP", " mmHg"),
        "heart_rate": ("heart rate", "/min"),
        "spo2": ("SpO2", "%"),
        "respiratory_rate": ("respiratory rate", "/min"),
        "sedation": ("RASS score", ""),
        "cadss": ("CADSS total", ""),
    }
)


@dataclass(frozen=True)
class Reading:
    """One set of vital signs taken at ``at``; any value may be missing."""

    at: datetime
    systolic: int | None = None
    diastolic: int | None = None
    heart_rate: int | None = None
    spo2: int | None = None
    respiratory_rate: int | None = None
    sedation: int | None = None
    cadss: int | None = None
    on_oxygen: bool = False

    def value(self, measure: Measure) -> int | None:
        if measure not in MEASURES:
            raise KeyError(measure)
        value: int | None = getattr(self, measure)
        return value


def reading_problems(reading: Reading) -> dict[str, str]:
    """Field -> message for values that cannot be right; empty when plausible."""
    problems: dict[str, str] = {}
    for measure in MEASURES:
        value = reading.value(measure)
        if value is None:
            continue
        noun, unit = MEASURE_NOUNS[measure]
        low, high = PLAUSIBLE[measure]
        span = f"{low}-{high}" if low >= 0 else f"{low} to {high}"
        if isinstance(value, bool) or not isinstance(value, int):
            problems[measure] = f"{noun} must be a whole number"
        elif not low <= value <= high:
            problems[measure] = f"{value} is not a possible {noun} ({span}{unit})"
    systolic, diastolic = reading.systolic, reading.diastolic
    if (
        "systolic" not in problems
        and "diastolic" not in problems
        and systolic is not None
        and diastolic is not None
        and diastolic >= systolic
    ):
        problems["diastolic"] = f"diastolic BP {diastolic} must be below systolic BP {systolic}"
    if all(reading.value(measure) is None for measure in MEASURES):
        problems["reading"] = "enter at least one value"
    return problems


def same_values(a: Reading, b: Reading) -> bool:
    """Every measure (and oxygen) the same: the two readings say the same thing."""
    return a.on_oxygen == b.on_oxygen and all(a.value(m) == b.value(m) for m in MEASURES)


def repeat_of(new: Reading, history: Sequence[Reading], window_min: int) -> Reading | None:
    """The recent reading ``new`` repeats value for value, if any: a manual reading
    identical to one taken less than ``window_min`` minutes before (or after) it is
    more likely the last one sent again than a new look at the patient."""
    window = timedelta(minutes=window_min)
    for old in reversed(history):
        if abs(new.at - old.at) < window and same_values(new, old):
            return old
    return None
