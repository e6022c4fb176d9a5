"""Population pharmacokinetics: how fast can we draw a course for many patients?

Workload: ``--patients`` virtual adults (10,000 by default) each given the usual
induction course, 0.5 mg/kg over 40 min on days 0, 3, 7, 10, 14 and 17, with
30% log-normal between-patient variability (``population``'s default). Plasma
concentration is sampled every minute for the 4 hours from the start of each
infusion (minutes 0-239: the infusion, recovery and discharge window), so
1,440 time points per patient.

Weights are log-normal with median 78 kg and geometric SD 1.2 (about 90% of
patients between 58 and 105 kg), cut to 40-180 kg: a plausible adult clinic.

Prints one JSON line (``bench``, ``model``, ``patients``, ``infusions``,
``points``, ``wall_s``, ``points_per_s``), then a table. ``wall_s`` is the best
of ``--repeats`` timed runs after one warm-up, measured with
``time.perf_counter``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from rich.console import Console
from rich.table import Table

from ketaclinic.clinical.pk import MODELS, InfusionPerKg, infusion_series, population

COURSE_DAYS = (0, 3, 7, 10, 14, 17)
DOSE_MG_PER_KG = 0.5
INFUSION_MIN = 40
WINDOW_MIN = 240  # sampled every minute from each infusion's start
WEIGHT_MEDIAN_KG = 78.0
WEIGHT_LOG_SD = 0.18  # geometric SD 1.2
WEIGHT_RANGE_KG = (40.0, 180.0)


def adult_weights_kg(patients: int, seed: int) -> NDArray[np.float64]:
    # A stream of its own: default_rng(seed) would replay the population's draws.
    rng = np.random.default_rng([seed, 1])
    weights = rng.lognormal(np.log(WEIGHT_MEDIAN_KG), WEIGHT_LOG_SD, patients)
    return np.clip(weights, *WEIGHT_RANGE_KG)


def sample_times_min(course: Sequence[InfusionPerKg]) -> NDArray[np.float64]:
    return np.concatenate([infusion.start_min + np.arange(WINDOW_MIN) for infusion in course])


@dataclass(frozen=True)
class Measurement:
    model: str
    patients: int
    infusions: int
    walls_s: list[float]
    concentrations_ng_per_ml: NDArray[np.float64]  # the last run's result

    @property
    def wall_s(self) -> float:
        return min(self.walls_s)

    def figures(self) -> dict[str, object]:
        points = self.concentrations_ng_per_ml.size
        return {
            "bench": "pk_population",
            "model": self.model,
            "patients": self.patients,
            "infusions": self.infusions,
            "points": points,
            "wall_s": round(self.wall_s, 6),
            "points_per_s": round(points / self.wall_s),
        }


def run(model_key: str, patients: int, repeats: int, seed: int) -> Measurement:
    """Time ``population`` on the course: one warm-up, then ``repeats`` timed runs."""
    model = MODELS[model_key]
    course = infusion_series(COURSE_DAYS, INFUSION_MIN, DOSE_MG_PER_KG)
    weights = adult_weights_kg(patients, seed)
    times = sample_times_min(course)

    def once() -> NDArray[np.float64]:
        return population(model, weights, course, times, seed=seed)

    once()  # first-touch memory, thread start-up
    walls_s: list[float] = []
    for _ in range(repeats):
        started = time.perf_counter()
        concentrations = once()
        walls_s.append(time.perf_counter() - started)
    return Measurement(model.key, patients, len(course), walls_s, concentrations)


def table(measured: Measurement) -> Table:
    """Exposure per infusion across the population, and the timing in the caption."""
    figures = measured.figures()
    result = Table(title=f"pk_population: {measured.model}, {measured.patients:,} patients")
    result.add_column("infusion", justify="right")
    result.add_column("day", justify="right")
    result.add_column("end of infusion, ng/mL\nmedian [5th, 95th pct]", justify="right")
    result.add_column("4 h after start, ng/mL\nmedian", justify="right")
    concentrations = measured.concentrations_ng_per_ml
    windows = concentrations.reshape(measured.patients, len(COURSE_DAYS), WINDOW_MIN)
    for index, day in enumerate(COURSE_DAYS):
        low, median, high = np.percentile(windows[:, index, INFUSION_MIN], [5, 50, 95])
        late = np.median(windows[:, index, -1])
        result.add_row(
            str(index + 1), str(day), f"{median:.0f} [{low:.0f}, {high:.0f}]", f"{late:.1f}"
        )
    result.caption = (
        f"{figures['points']:,} points in {measured.wall_s:.4f} s "
        f"(best of {len(measured.walls_s)}, median {statistics.median(measured.walls_s):.4f} s)"
        f" = {figures['points_per_s']:,} points/s; {os.cpu_count()} CPUs, "
        f"{platform.machine()}, Python {platform.python_version()}, numpy {np.__version__}"
    )
    return result


def main(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench pk",
        description="Time population pharmacokinetics for a 6-infusion course.",
    )
    parser.add_argument("--model", choices=sorted(MODELS), default="domino")
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    if args.patients < 1 or args.repeats < 1:
        parser.error("--patients and --repeats must be at least 1")
    measured = run(args.model, args.patients, args.repeats, args.seed)
    print(json.dumps(measured.figures()), flush=True)
    Console().print(table(measured))
