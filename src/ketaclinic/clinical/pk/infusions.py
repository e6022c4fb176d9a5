"""Doses as zero-order infusions, and their validation.

An infusion delivers its amount at a constant rate from ``start_min`` for
``duration_min``. A bolus is an infusion of a few seconds (e.g. ``1 / 6`` min):
the solver is exact for any positive duration, so there is no separate kind.

Plain ``(start_min, duration_min, amount)`` tuples are accepted wherever an
infusion is; the named tuples exist so the unit of the amount is in the name.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

MIN_PER_DAY = 24 * 60


class Infusion(NamedTuple):
    """``amount_mg`` given evenly over ``duration_min`` from ``start_min``."""

    start_min: float
    duration_min: float
    amount_mg: float


class InfusionPerKg(NamedTuple):
    """A weight-based infusion: each patient gets ``dose_mg_per_kg`` x their weight."""

    start_min: float
    duration_min: float
    dose_mg_per_kg: float


def infusion_series(
    start_days: Iterable[float], duration_min: float, dose_mg_per_kg: float
) -> list[InfusionPerKg]:
    """The same weight-based infusion on each of ``start_days`` (day 0 = minute 0),
    the shape of an induction course such as 0.5 mg/kg over 40 min on days
    0, 3, 7, 10, 14, 17."""
    return [InfusionPerKg(day * MIN_PER_DAY, duration_min, dose_mg_per_kg) for day in start_days]


@dataclass(frozen=True)
class Schedule:
    """Validated infusions as arrays, one entry per infusion; ``amount`` is in
    whatever unit the caller's tuples carried (mg, or mg/kg)."""

    start_min: NDArray[np.float64]
    duration_min: NDArray[np.float64]
    amount: NDArray[np.float64]


def schedule(infusions: Sequence[tuple[float, float, float]], amount_field: str) -> Schedule:
    """Check every infusion and return them as arrays; errors name the infusion and field."""
    if len(infusions) == 0:
        raise ValueError("infusions must contain at least one infusion")
    for index, infusion in enumerate(infusions):
        if len(infusion) != 3:
            raise ValueError(
                f"infusions[{index}] must be (start_min, duration_min, {amount_field})"
            )
        start, duration, amount = (float(value) for value in infusion)
        where = f"infusions[{index}]"
        if not math.isfinite(start):
            raise ValueError(f"{where}.start_min must be a finite number, got {start}")
        if not (math.isfinite(duration) and duration > 0):
            raise ValueError(f"{where}.duration_min must be > 0, got {duration}")
        if not (math.isfinite(amount) and amount >= 0):
            raise ValueError(f"{where}.{amount_field} must be >= 0, got {amount}")
    table = np.array(infusions, dtype=np.float64).reshape(len(infusions), 3)
    return Schedule(table[:, 0].copy(), table[:, 1].copy(), table[:, 2].copy())


def sample_times(times_min: Iterable[float] | NDArray[np.float64]) -> NDArray[np.float64]:
    """``times_min`` as a 1-D float array, finite and in ascending order."""
    times = np.asarray(times_min, dtype=np.float64)
    if times.ndim != 1:
        raise ValueError(f"times_min must be one-dimensional, got shape {times.shape}")
    if not np.all(np.isfinite(times)):
        raise ValueError("times_min must be finite numbers")
    if np.any(np.diff(times) < 0):
        raise ValueError("times_min must be sorted in ascending order")
    return times


def positive_weights(
    weights_kg: float | Iterable[float] | NDArray[np.float64],
) -> NDArray[np.float64]:
    """Body weights as a 1-D float array; each must be a positive finite number."""
    weights = np.atleast_1d(np.asarray(weights_kg, dtype=np.float64))
    if weights.ndim != 1 or weights.size == 0:
        raise ValueError(f"weights_kg must be a non-empty 1-D array, got shape {weights.shape}")
    if not np.all(np.isfinite(weights) & (weights > 0)):
        raise ValueError("weights_kg must be > 0 (kg) for every patient")
    return weights
