"""The benchmarks run and print their figures; how fast they are is not a test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_it_runs_the_pk_benchmark_and_prints_one_json_line_of_figures() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bench", "pk", "--patients", "100", "--repeats", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(run.stdout.splitlines()[0])
    assert set(figures) == {
        "bench",
        "model",
        "patients",
        "infusions",
        "points",
        "wall_s",
        "points_per_s",
    }
    assert (figures["bench"], figures["patients"], figures["infusions"]) == (
        "pk_population",
        100,
        6,
    )
    assert figures["points"] == 100 * 6 * 240
    assert figures["wall_s"] > 0
