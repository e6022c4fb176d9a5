"""The scheduling benchmark runs, checks every schedule and prints its figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KEYS = {
    "bench",
    "instance",
    "method",
    "sessions_requested",
    "sessions_booked",
    "series_fully_booked",
    "mean_days_to_first",
    "p90_days_to_first",
    "window_violations",
    "capacity_violations",
    "chair_utilization",
    "overtime_min",
    "objective",
    "best_bound",
    "gap",
    "wall_s",
}


def test_it_prints_one_json_line_per_instance_and_method_then_a_table() -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "schedule",
            "--sizes",
            "small",
            "--time-limit",
            "2",
            "--online-size",
            "small",
            "--arrivals",
            "5",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    assert [(f["instance"], f["method"]) for f in lines] == [
        ("small", "greedy"),
        ("small", "optimizer"),
        ("small_tight", "greedy"),
        ("small_tight", "optimizer"),
        ("small", "greedy_online"),
        ("small", "optimizer_online"),
    ]
    for figures in lines:
        assert set(figures) >= KEYS
        assert figures["window_violations"] == figures["capacity_violations"] == 0
        if figures["method"].endswith("online"):
            assert {"p50_ms", "p95_ms", "max_ms"} <= set(figures)
    assert "schedule: first fit (greedy) vs CP-SAT (optimizer)" in run.stdout
