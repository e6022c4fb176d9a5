"""Ketamine compartment models as data, each with its source.

A model here is the *typical patient*: a central volume that scales with body
weight and first-order micro rate constants per minute. ``k10`` is elimination
from the central compartment; ``k1i`` carries drug out to peripheral compartment
``i`` and ``ki1`` back. Every model is mammillary (peripheral compartments talk
only to the central one), which the solver relies on.

The parameter values are copied from docs/clinical-references.md#pharmacokinetics (racemic
ketamine, units L and 1/min); change them there first, then here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class PkModel:
    """One published compartment model; ``k13``/``k31`` are ``None`` for two compartments."""

    key: str
    name: str
    source: str
    v1_l_per_kg: float
    k10_per_min: float
    k12_per_min: float
    k21_per_min: float
    k13_per_min: float | None = None
    k31_per_min: float | None = None

    def __post_init__(self) -> None:
        if (self.k13_per_min is None) != (self.k31_per_min is None):
            raise ValueError(f"{self.key}: k13_per_min and k31_per_min come as a pair")
        for field, value in self._parameters():
            # A volume or rate <= 0 means nothing, and would break the solver's decay modes.
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{self.key}: {field} must be a positive number, got {value}")

    def _parameters(self) -> list[tuple[str, float]]:
        parameters = [
            ("v1_l_per_kg", self.v1_l_per_kg),
            ("k10_per_min", self.k10_per_min),
            ("k12_per_min", self.k12_per_min),
            ("k21_per_min", self.k21_per_min),
        ]
        if self.k13_per_min is not None and self.k31_per_min is not None:
            parameters += [("k13_per_min", self.k13_per_min), ("k31_per_min", self.k31_per_min)]
        return parameters

    @property
    def clearance_ml_per_kg_per_min(self) -> float:
        """Elimination clearance implied by the parameters: V1 x k10."""
        return self.v1_l_per_kg * self.k10_per_min * 1000

    @property
    def compartments(self) -> int:
        return 2 if self.k13_per_min is None else 3

    @property
    def exchange_per_min(self) -> tuple[tuple[float, float], ...]:
        """``(k1i, ki1)`` for each peripheral compartment, in order."""
        pairs = [(self.k12_per_min, self.k21_per_min)]
        if self.k13_per_min is not None and self.k31_per_min is not None:
            pairs.append((self.k13_per_min, self.k31_per_min))
        return tuple(pairs)


_CITES = "docs/clinical-references.md#pharmacokinetics"

DOMINO = PkModel(
    key="domino",
    name="Domino (1984), 3 compartments",
    source=f"Domino et al. 1984; parameters as listed in {_CITES}",
    v1_l_per_kg=0.063,
    k10_per_min=0.4381,
    k12_per_min=0.5921,
    k21_per_min=0.2470,
    k13_per_min=0.5900,
    k31_per_min=0.0146,
)

CLEMENTS_NIMMO = PkModel(
    key="clements_nimmo",
    name="Clements & Nimmo (1981), 2 compartments",
    source=(
        "Clements & Nimmo, Br J Anaesth 1981;53:27 (doi:10.1093/bja/53.1.27); "
        f"parameters as listed in {_CITES}: V1 as coded in opentiva (Clements250), "
        "not verified against the paper"
    ),
    v1_l_per_kg=1.7522,
    k10_per_min=0.0109,
    k12_per_min=0.0186,
    k21_per_min=0.0137,
)

HIJAZI = PkModel(
    key="hijazi",
    name="Hijazi (2003), 2 compartments, ICU adults",
    source=(
        "Hijazi et al., Br J Anaesth 2003;90:155 (doi:10.1093/bja/aeg028); "
        f"parameters as listed in {_CITES}"
    ),
    v1_l_per_kg=1.08,
    k10_per_min=0.0333,
    k12_per_min=0.0088,
    k21_per_min=0.0030,
)

MODELS: Mapping[str, PkModel] = MappingProxyType(
    {model.key: model for model in (DOMINO, CLEMENTS_NIMMO, HIJAZI)}
)

# source: docs/clinical-references.md#pharmacokinetics - Kamp et al. 2020 meta-analysis: clearance
# 79 L/h per 70 kg = 18.8 mL/kg/min, near hepatic blood flow. The models imply 36
# (Hijazi), 27.6 (Domino) and 19.1 (Clements & Nimmo) mL/kg/min.
META_ANALYSIS = "Kamp et al. 2020 meta-analysis"
META_ANALYSIS_CLEARANCE_ML_PER_KG_PER_MIN = 79 * 1000 / 60 / 70


def closest_to_meta_analysis(models: Mapping[str, PkModel] = MODELS) -> PkModel:
    """The model whose clearance is nearest the meta-analysis: the default curve."""
    return min(
        models.values(),
        key=lambda m: abs(
            m.clearance_ml_per_kg_per_min - META_ANALYSIS_CLEARANCE_ML_PER_KG_PER_MIN
        ),
    )
