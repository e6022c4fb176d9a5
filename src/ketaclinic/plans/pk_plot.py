"""The pharmacokinetic preview of a plan's session: predicted plasma
concentration for each published model, the spread of a virtual population, and
the 100-250 ng/mL band where dissociation appears (docs/clinical-references.md#pharmacokinetics,
Krystal 1994). An SVG from plain inputs, tested alone.

The models disagree: their parameters imply clearances of 36 (Hijazi), 27.6
(Domino) and 19.1 (Clements & Nimmo) mL/kg/min against 18.8 in the Kamp 2020
meta-analysis (docs/clinical-references.md#pharmacokinetics). So the preview names the model it
draws, gives each model's clearance, draws the one closest to the meta-analysis by
default (with the virtual population on that model), and shows the others and the
spread of their peaks rather than hiding it.

The models are for intravenous racemic ketamine; other routes get no preview.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from ketaclinic.clinical.pk import (
    META_ANALYSIS,
    META_ANALYSIS_CLEARANCE_ML_PER_KG_PER_MIN,
    MODELS,
    Infusion,
    InfusionPerKg,
    closest_to_meta_analysis,
    population,
    simulate,
)

matplotlib.use("Agg")
matplotlib.rcParams["svg.fonttype"] = "none"
matplotlib.rcParams["svg.hashsalt"] = "ketaclinic"

# source: docs/clinical-references.md#pharmacokinetics - dissociation around 100-250 ng/mL
# (Krystal 1994).
DISSOCIATIVE_BAND = (100.0, 250.0)
POPULATION_SIZE = 500
_COLOURS = ("#1f6feb", "#8250df", "#bf3989")


DEFAULT_MODEL = closest_to_meta_analysis().key


@dataclass(frozen=True)
class Curve:
    model: str
    key: str
    clearance_ml_per_kg_per_min: float
    peak_ng_per_ml: float
    at_end_ng_per_ml: float
    drawn: bool  # the model the preview is drawn with (and its population band)


@dataclass(frozen=True)
class Preview:
    model: str  # the key of the model drawn
    minutes: list[float]
    curves: dict[str, list[float]]  # model name -> ng/mL at each minute
    p05: list[float]
    p95: list[float]
    summary: list[Curve]
    reference: str  # the meta-analysis the clearances are compared with
    reference_clearance_ml_per_kg_per_min: float

    @property
    def drawn(self) -> Curve:
        return next(curve for curve in self.summary if curve.drawn)

    @property
    def peak_spread_ng_per_ml(self) -> tuple[float, float]:
        """The lowest and highest peak across the models: how much they disagree."""
        peaks = [curve.peak_ng_per_ml for curve in self.summary]
        return min(peaks), max(peaks)


def model_choices() -> list[dict[str, object]]:
    """Each model with its clearance, for the page: the default one first."""
    ordered = sorted(MODELS.values(), key=lambda m: m.key != DEFAULT_MODEL)
    return [
        {
            "key": m.key,
            "name": m.name,
            "clearance_ml_per_kg_per_min": round(m.clearance_ml_per_kg_per_min, 1),
            "default": m.key == DEFAULT_MODEL,
        }
        for m in ordered
    ]


def preview(
    weight_kg: float,
    dose_mg: float,
    duration_min: float,
    *,
    model: str = DEFAULT_MODEL,
    seed: int = 2026,
) -> Preview:
    """One session: ``dose_mg`` over ``duration_min`` at ``weight_kg``, for twice
    the infusion time plus two hours, by every model; ``model`` (default: the one
    closest to the meta-analysis) carries the population band, 30% between-patient
    variability with weights within +-15%."""
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; known: {', '.join(MODELS)}")
    end = duration_min * 2 + 120
    minutes = np.linspace(0.0, end, int(end) + 1)
    # The drawn model first, so it leads the legend and the summary.
    ordered = sorted(MODELS.values(), key=lambda m: m.key != model)
    curves = {
        m.name: simulate(m, weight_kg, [Infusion(0.0, duration_min, dose_mg)], minutes)
        for m in ordered
    }
    rng = np.random.default_rng(seed)
    weights = weight_kg * rng.uniform(0.85, 1.15, POPULATION_SIZE)
    spread = population(
        MODELS[model],
        weights,
        [InfusionPerKg(0.0, duration_min, dose_mg / weight_kg)],
        minutes,
        seed=seed,
    )
    p05, p95 = np.percentile(spread, [5, 95], axis=0)
    at_end = round(duration_min)
    return Preview(
        model=model,
        minutes=minutes.tolist(),
        curves={name: curve.tolist() for name, curve in curves.items()},
        p05=p05.tolist(),
        p95=p95.tolist(),
        summary=[
            Curve(
                m.name,
                m.key,
                round(m.clearance_ml_per_kg_per_min, 1),
                float(curves[m.name].max()),
                float(curves[m.name][at_end]),
                m.key == model,
            )
            for m in ordered
        ],
        reference=META_ANALYSIS,
        reference_clearance_ml_per_kg_per_min=round(META_ANALYSIS_CLEARANCE_ML_PER_KG_PER_MIN, 1),
    )


def preview_svg(found: Preview, title: str) -> bytes:
    figure = Figure(figsize=(7.5, 3.6), dpi=100)
    axes = figure.add_subplot()
    low, high = DISSOCIATIVE_BAND
    axes.axhspan(low, high, color="#fff4d6", zorder=0, label="dissociative range 100-250 ng/mL")
    hours = np.asarray(found.minutes) / 60
    drawn = found.drawn
    band = f"5-95% of virtual patients ({drawn.model.split(' (')[0]})"
    axes.fill_between(hours, found.p05, found.p95, color="#dbe9ff", zorder=1, label=band)
    for colour, curve in zip(_COLOURS, found.summary, strict=False):
        label = f"{curve.model}: CL {curve.clearance_ml_per_kg_per_min:g} mL/kg/min"
        if curve.drawn:
            label += " (drawn: closest to the meta-analysis)" if curve.key == DEFAULT_MODEL else ""
        axes.plot(
            hours,
            found.curves[curve.model],
            color=colour,
            linewidth=2.4 if curve.drawn else 1.2,
            linestyle="-" if curve.drawn else "--",
            label=label,
            zorder=3 if curve.drawn else 2,
        )
    low_peak, high_peak = found.peak_spread_ng_per_ml
    axes.set_xlabel("hours from the start of the infusion")
    axes.set_ylabel("plasma ketamine (ng/mL)")
    axes.set_title(
        f"{title}\nModel drawn: {drawn.model}. Peaks {low_peak:.0f}-{high_peak:.0f} ng/mL "
        f"across models; {found.reference}: CL {found.reference_clearance_ml_per_kg_per_min:g} "
        "mL/kg/min",
        fontsize=8,
    )
    axes.set_xlim(0, hours[-1])
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7, loc="upper right")
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()
