"""Ketamine pharmacokinetics: published compartment models, exact plasma curves.

Typical use::

    from ketaclinic.clinical.pk import DOMINO, Infusion, simulate

    ng_per_ml = simulate(DOMINO, 70, [Infusion(0, 40, 35)], times_min=range(241))

``population`` does the same for many virtual patients with weight-based doses
(``InfusionPerKg``, ``infusion_series``) and between-patient variability.

Pure: numpy only, no database or web imports. The curves are a model's
expectation for a typical patient, not a measurement; they support teaching and
planning, never a dosing decision on their own.
"""

from ketaclinic.clinical.pk.concentration import population, simulate
from ketaclinic.clinical.pk.infusions import (
    MIN_PER_DAY,
    Infusion,
    InfusionPerKg,
    infusion_series,
)
from ketaclinic.clinical.pk.kinetics import Kinetics, decay_modes, typical_kinetics, vary
from ketaclinic.clinical.pk.models import (
    CLEMENTS_NIMMO,
    DOMINO,
    HIJAZI,
    META_ANALYSIS,
    META_ANALYSIS_CLEARANCE_ML_PER_KG_PER_MIN,
    MODELS,
    PkModel,
    closest_to_meta_analysis,
)
from ketaclinic.clinical.pk.solver import plasma_ng_per_ml

__all__ = [
    "CLEMENTS_NIMMO",
    "DOMINO",
    "HIJAZI",
    "META_ANALYSIS",
    "META_ANALYSIS_CLEARANCE_ML_PER_KG_PER_MIN",
    "MIN_PER_DAY",
    "MODELS",
    "Infusion",
    "InfusionPerKg",
    "Kinetics",
    "PkModel",
    "closest_to_meta_analysis",
    "decay_modes",
    "infusion_series",
    "plasma_ng_per_ml",
    "population",
    "simulate",
    "typical_kinetics",
    "vary",
]
