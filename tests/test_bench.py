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


def test_it_runs_the_board_benchmark_over_the_demo_day() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bench", "board", "--repeats", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(run.stdout.splitlines()[0])
    assert set(figures) == {
        "bench",
        "database",
        "visits",
        "in_chairs",
        "repeats",
        "queries_per_poll",
        "median_ms",
        "p95_ms",
        "max_ms",
    }
    assert (figures["bench"], figures["database"]) == ("board_poll", "sqlite")
    # How many of the demo's visits are on today's board depends on the hour it loads.
    assert figures["visits"] >= figures["in_chairs"] >= 0 and figures["repeats"] == 2
    # The day's charts are read in a fixed number of queries (27 when written), not a
    # set per visit (177 for the demo day before): a count, not a timing.
    assert figures["queries_per_poll"] <= 40


def test_it_runs_the_outcomes_benchmark_on_a_small_clinic() -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "outcomes",
            "--patients",
            "60",
            "--repeats",
            "1",
            "--databases",
            "sqlite",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(run.stdout.splitlines()[0])
    assert {"bench", "db", "responses", "wall_s", "baseline_s", "ratio"} <= set(figures)
    assert (figures["bench"], figures["db"], figures["responses"]) == ("outcomes", "sqlite", 1200)
    assert 0 < figures["cohort"] <= 60 and figures["wall_s"] > 0
