"""Per-patient model parameters as arrays, and the decay modes they imply.

A ``Kinetics`` holds the micro-constants of ``N`` patients, one entry per
patient, so everything downstream is vectorised over patients.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ketaclinic.clinical.pk.models import PkModel

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Kinetics:
    """Micro-constants of ``N`` patients. Column ``i`` of ``k1i_per_min`` and
    ``ki1_per_min`` is the exchange with peripheral compartment ``i + 2``."""

    v1_l: FloatArray  # (N,)
    k10_per_min: FloatArray  # (N,)
    k1i_per_min: FloatArray  # (N, peripheral compartments)
    ki1_per_min: FloatArray  # (N, peripheral compartments)

    @property
    def patients(self) -> int:
        return int(self.v1_l.shape[0])

    def rows(self, which: slice) -> Kinetics:
        return Kinetics(
            self.v1_l[which],
            self.k10_per_min[which],
            self.k1i_per_min[which],
            self.ki1_per_min[which],
        )


def typical_kinetics(model: PkModel, weights_kg: FloatArray) -> Kinetics:
    """The model's typical patient at each weight: only V1 scales with weight."""
    patients = weights_kg.shape[0]
    k1i, ki1 = np.array(model.exchange_per_min).T
    return Kinetics(
        v1_l=model.v1_l_per_kg * weights_kg,
        k10_per_min=np.full(patients, model.k10_per_min),
        k1i_per_min=np.tile(k1i, (patients, 1)),
        ki1_per_min=np.tile(ki1, (patients, 1)),
    )


def vary(kinetics: Kinetics, cv: float, rng: np.random.Generator) -> Kinetics:
    """Multiply each parameter by ``exp(eta)``, ``eta ~ N(0, ln(1 + cv^2))``: the
    log-normal whose coefficient of variation is ``cv`` and whose median is the
    typical value, so parameters stay positive.

    Draws one ``(N, parameters)`` block in the order V1, k10, k1i..., ki1..., so a
    seed always maps to the same patients.
    """
    patients, peripheral = kinetics.k1i_per_min.shape
    omega = math.sqrt(math.log1p(cv**2))
    factor = np.exp(omega * rng.standard_normal((patients, 2 + 2 * peripheral)))
    return Kinetics(
        v1_l=kinetics.v1_l * factor[:, 0],
        k10_per_min=kinetics.k10_per_min * factor[:, 1],
        k1i_per_min=kinetics.k1i_per_min * factor[:, 2 : 2 + peripheral],
        ki1_per_min=kinetics.ki1_per_min * factor[:, 2 + peripheral :],
    )


def decay_modes(kinetics: Kinetics) -> tuple[FloatArray, FloatArray]:
    """``(alpha, share)``, each ``(N, compartments)``: the decay rates (per minute,
    all > 0) and the fraction of a central dose following each (summing to 1).
    After a bolus the central amount is ``dose * sum_j share_j exp(-alpha_j t)``.

    The compartment matrix K (amounts) turns symmetric when scaled by the square
    roots of the volumes (V_i = V1 k1i / ki1), because the flow between two
    compartments is one clearance times a difference of concentrations. So one
    stacked ``eigh`` call serves every patient, with real eigenvalues guaranteed,
    and ``expm(K t)[0, 0] = sum_j U[0, j]^2 exp(lambda_j t)``.
    """
    k1i, ki1 = kinetics.k1i_per_min, kinetics.ki1_per_min
    patients, peripheral = k1i.shape
    symmetric = np.zeros((patients, peripheral + 1, peripheral + 1))
    symmetric[:, 0, 0] = -(kinetics.k10_per_min + k1i.sum(axis=1))
    diagonal = np.arange(1, peripheral + 1)
    symmetric[:, diagonal, diagonal] = -ki1
    symmetric[:, 0, 1:] = symmetric[:, 1:, 0] = np.sqrt(k1i * ki1)
    eigenvalues, eigenvectors = np.linalg.eigh(symmetric)
    return -eigenvalues, eigenvectors[:, 0, :] ** 2
