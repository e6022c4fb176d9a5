"""Plasma concentration for one patient, or for a virtual population.

``simulate`` answers "what does the typical patient of this weight reach?";
``population`` adds the spread between patients, so a clinic can see how far
individual exposure may stray from the typical curve over a course.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import NDArray

from ketaclinic.clinical.pk.infusions import (
    Infusion,
    InfusionPerKg,
    positive_weights,
    sample_times,
    schedule,
)
from ketaclinic.clinical.pk.kinetics import FloatArray, typical_kinetics, vary
from ketaclinic.clinical.pk.models import PkModel
from ketaclinic.clinical.pk.solver import plasma_ng_per_ml

Times = Iterable[float] | NDArray[np.float64]


def simulate(
    model: PkModel, weight_kg: float, infusions: Sequence[Infusion], times_min: Times
) -> FloatArray:
    """Plasma concentration (ng/mL) of the model's typical patient at each of ``times_min``.

    ``infusions`` are ``(start_min, duration_min, amount_mg)``; they may overlap.
    Raises ``ValueError`` naming the argument that is out of range.
    """
    weight = float(weight_kg)
    if not (math.isfinite(weight) and weight > 0):
        raise ValueError(f"weight_kg must be > 0, got {weight_kg}")
    plan = schedule(infusions, "amount_mg")
    times = sample_times(times_min)
    kinetics = typical_kinetics(model, np.array([weight]))
    (curve,) = plasma_ng_per_ml(kinetics, plan, plan.amount[None, :], times)
    return np.asarray(curve, dtype=np.float64)


def population(
    model: PkModel,
    weights_kg: Iterable[float] | NDArray[np.float64],
    infusions: Sequence[InfusionPerKg],
    times_min: Times,
    *,
    cv: float = 0.3,
    seed: int,
) -> FloatArray:
    """Plasma concentration (ng/mL), one row per patient and one column per time.

    Each patient gets each infusion's ``dose_mg_per_kg`` times their own weight.
    Between-patient variability is log-normal on V1 and every rate constant,
    independently, with coefficient of variation ``cv`` (0 gives the typical
    patient on every row). The same ``seed`` gives the same population.
    """
    weights = positive_weights(weights_kg)
    if not (math.isfinite(cv) and cv >= 0):
        raise ValueError(f"cv must be >= 0, got {cv}")
    plan = schedule(infusions, "dose_mg_per_kg")
    times = sample_times(times_min)
    kinetics = vary(typical_kinetics(model, weights), cv, np.random.default_rng(seed))
    amounts_mg = weights[:, None] * plan.amount[None, :]
    return plasma_ng_per_ml(kinetics, plan, amounts_mg, times, workers=_usable_cpus())


def _usable_cpus() -> int:
    # The CPUs this process may run on, which a container can set below os.cpu_count().
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
