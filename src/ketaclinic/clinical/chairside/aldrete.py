"""The modified Aldrete score: five items, each 0-2, total 0-10. Pure.

Source: Aldrete 1995 (the modified score, with SpO2 in place of colour);
docs/clinical-references.md#discharge: discharge at a score of 9 or more; circulation within
+/-20% of baseline BP and SpO2 > 92% on room air score 2.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType

ITEMS: tuple[str, ...] = (
    "activity",
    "respiration",
    "circulation",
    "consciousness",
    "oxygen_saturation",
)
# What scores 0, 1 and 2 on each item (Aldrete 1995).
ITEM_OPTIONS: Mapping[str, tuple[str, str, str]] = MappingProxyType(
    {
        "activity": (
            "Unable to move extremities",
            "Moves 2 extremities voluntarily or on command",
            "Moves 4 extremities voluntarily or on command",
        ),
        "respiration": (
            "Apnoeic",
            "Dyspnoea or limited breathing",
            "Breathes deeply and coughs freely",
        ),
        "circulation": (
            "Systolic BP 50% or more from baseline",
            "Systolic BP more than 20% and less than 50% from baseline",
            "Systolic BP within 20% of baseline",
        ),
        "consciousness": ("Not responding", "Arousable on calling", "Fully awake"),
        "oxygen_saturation": (
            "SpO2 90% or less, even with oxygen",
            "SpO2 above 90% (with oxygen, or 91-92% on room air)",
            "SpO2 above 92% on room air",
        ),
    }
)
DEFAULT_MIN_SCORE = 9  # docs/clinical-references.md#discharge: discharge at modified Aldrete >= 9


@dataclass(frozen=True)
class Aldrete:
    activity: int
    respiration: int
    circulation: int
    consciousness: int
    oxygen_saturation: int

    def __post_init__(self) -> None:
        for item in fields(self):
            score = getattr(self, item.name)
            if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 2:
                raise ValueError(f"{item.name} must be 0, 1 or 2, not {score!r}")

    @property
    def total(self) -> int:
        return sum(getattr(self, item) for item in ITEMS)

    def passes(self, min_score: int = DEFAULT_MIN_SCORE) -> bool:
        return self.total >= min_score


def circulation_score(baseline_systolic: int, systolic: int) -> int:
    """2 within 20% of the baseline systolic BP, 1 up to 49%, else 0 (Aldrete bands)."""
    if baseline_systolic <= 0:
        raise ValueError("baseline systolic BP must be above 0")
    # Whole-number arithmetic: 20% of 125 is exactly 25, with no float rounding.
    change = 100 * abs(systolic - baseline_systolic)
    if change <= 20 * baseline_systolic:
        return 2
    return 1 if change <= 49 * baseline_systolic else 0


def oxygen_score(spo2: int, on_oxygen: bool) -> int:
    """2 above 92% on room air; 1 above 90% with or without oxygen; else 0."""
    if spo2 > 92 and not on_oxygen:
        return 2
    return 1 if spo2 > 90 else 0
