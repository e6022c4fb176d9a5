"""The pharmacokinetic preview of a plan's session: predicted plasma
concentration for each published model, the spread of a virtual population, and
the 100-250 ng/mL band where dissociation appears (CLINICAL.md Pharmacokinetics,
Krystal 1994). An SVG from plain inputs, tested alone.

The models are for intravenous racemic ketamine; other routes get no preview.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from ketaclinic.clinical.pk import DOMINO, MODELS, Infusion, InfusionPerKg, population, simulate

matplotlib.use("Agg")
matplotlib.rcParams["svg.fonttype"] = "none"
matplotlib.rcParams["svg.hashsalt"] = "ketaclinic"

# source: CLINICAL.md Pharmacokinetics - dissociation around 100-250 ng/mL (Krystal 1994).
DISSOCIATIVE_BAND = (100.0, 250.0)
POPULATION_SIZE = 500
_COLOURS = ("#1f6feb", "#8250df", "#bf3989")


@dataclass(frozen=True)
class Curve:
    model: str
    peak_ng_per_ml: float
    at_end_ng_per_ml: float


@dataclass(frozen=True)
class Preview:
    minutes: list[float]
    curves: dict[str, list[float]]  # model name -> ng/mL at each minute
    p05: list[float]
    p95: list[float]
    summary: list[Curve]


def preview(weight_kg: float, dose_mg: float, duration_min: float, *, seed: int = 2026) -> Preview:
    """One session: ``dose_mg`` over ``duration_min`` at ``weight_kg``, for twice
    the infusion time plus two hours; the population band uses the first model
    (Domino) with 30% between-patient variability and weights within +-15%."""
    end = duration_min * 2 + 120
    minutes = np.linspace(0.0, end, int(end) + 1)
    curves = {
        model.name: simulate(model, weight_kg, [Infusion(0.0, duration_min, dose_mg)], minutes)
        for model in MODELS.values()
    }
    rng = np.random.default_rng(seed)
    weights = weight_kg * rng.uniform(0.85, 1.15, POPULATION_SIZE)
    spread = population(
        DOMINO,
        weights,
        [InfusionPerKg(0.0, duration_min, dose_mg / weight_kg)],
        minutes,
        seed=seed,
    )
    p05, p95 = np.percentile(spread, [5, 95], axis=0)
    at_end = round(duration_min)
    return Preview(
        minutes=minutes.tolist(),
        curves={name: curve.tolist() for name, curve in curves.items()},
        p05=p05.tolist(),
        p95=p95.tolist(),
        summary=[
            Curve(name, float(curve.max()), float(curve[at_end])) for name, curve in curves.items()
        ],
    )


def preview_svg(found: Preview, title: str) -> bytes:
    figure = Figure(figsize=(7.5, 3.6), dpi=100)
    axes = figure.add_subplot()
    low, high = DISSOCIATIVE_BAND
    axes.axhspan(low, high, color="#fff4d6", zorder=0, label="dissociative range 100-250 ng/mL")
    hours = np.asarray(found.minutes) / 60
    axes.fill_between(hours, found.p05, found.p95, color="#dbe9ff", zorder=1,
                      label="5-95% of virtual patients (Domino)")  # fmt: skip
    for colour, (name, curve) in zip(_COLOURS, found.curves.items(), strict=False):
        axes.plot(hours, curve, color=colour, linewidth=1.8, label=name, zorder=2)
    axes.set_xlabel("hours from the start of the infusion")
    axes.set_ylabel("plasma ketamine (ng/mL)")
    axes.set_title(title, fontsize=10)
    axes.set_xlim(0, hours[-1])
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7, loc="upper right")
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()
