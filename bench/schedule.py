"""Scheduling: the optimizer against first-fit booking, batch and online.

Instances come from ``ketaclinic.scheduling.instances`` (seeded): for each size
asked, the instance and its capacity-tight variant, planned by ``greedy``
(first fit in arrival order) and ``optimizer`` (CP-SAT, warm-started from the
greedy schedule, ``--time-limit`` seconds, 2 workers, fixed seed). Online: the
``--online-size`` instance's series in arrival order; the first ones form the
calendar as a front desk booked them (first fit), the last ``--arrivals`` are
then booked one at a time, never moving anything, by ``greedy_online`` and by
``optimizer_online`` (CP-SAT per request, best of 3 options offered). Latency is
each booking call's wall time, options included.

Every schedule goes through the independent checker; the violation counts
printed are the checker's. Quality figures are over the whole instance.

Prints one JSON line per (instance, method), then a table.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from importlib.metadata import version

from rich.console import Console
from rich.table import Table

from ketaclinic.scheduling import checker, cpsat, greedy, instances, online, optimizer
from ketaclinic.scheduling.model import (
    SLOT_MIN,
    Instance,
    Schedule,
    SeriesRequest,
    Solution,
    Weights,
)
from ketaclinic.scheduling.objective import objective, terms

WEIGHTS = Weights()


@dataclass(frozen=True)
class Row:
    figures: dict[str, object]
    notes: tuple[str, ...] = ()


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (the value below which ``fraction`` of them lie)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def chair_utilization(instance: Instance, schedule: Schedule) -> float:
    clinic = instance.clinic
    requests = instance.series_by_id()
    open_slots = 0
    for day in range(clinic.days):
        hours = clinic.hours_on(day)
        if hours is not None:
            open_slots += (hours.close - hours.open) * len(clinic.chairs)
    used = sum(
        requests[a.series_id].sessions[a.session].duration_slots for a in schedule.assignments
    )
    return used / open_slots if open_slots else 0.0


def figures(
    instance: Instance,
    schedule: Schedule,
    method: str,
    wall_s: float,
    solution: Solution | None = None,
    latencies_ms: Sequence[float] = (),
    checked_against: Instance | None = None,
) -> Row:
    violations = checker.check(checked_against or instance, schedule)
    window_violations, capacity_violations = checker.count(violations)
    requests = instance.series_by_id()
    booked_by_series: dict[str, int] = {}
    waits: list[int] = []
    for a in schedule.assignments:
        booked_by_series[a.series_id] = booked_by_series.get(a.series_id, 0) + 1
        if a.session == 0:
            waits.append(a.day - requests[a.series_id].requested_day)
    scored = terms(instance, schedule)
    result: dict[str, object] = {
        "bench": "schedule",
        "instance": instance.name,
        "method": method,
        "sessions_requested": instance.sessions_requested,
        "sessions_booked": len(schedule.assignments),
        "series_fully_booked": sum(
            1 for r in instance.series if booked_by_series.get(r.id, 0) == len(r.sessions)
        ),
        "mean_days_to_first": round(statistics.fmean(waits), 2) if waits else None,
        "p90_days_to_first": percentile(waits, 0.9) if waits else None,
        "window_violations": window_violations,
        "capacity_violations": capacity_violations,
        "chair_utilization": round(chair_utilization(instance, schedule), 4),
        "overtime_min": scored.overtime_slots * SLOT_MIN,
        "objective": objective(instance, schedule, WEIGHTS),
        "best_bound": solution.best_bound if solution else None,
        "gap": round(solution.gap, 4) if solution and solution.gap is not None else None,
        "wall_s": round(wall_s, 3),
    }
    if latencies_ms:
        result |= {
            "p50_ms": round(statistics.median(latencies_ms), 2),
            "p95_ms": round(percentile(latencies_ms, 0.95), 2),
            "max_ms": round(max(latencies_ms), 2),
        }
    kinds = sorted({v.kind for v in violations})
    return Row(result, (f"violations: {', '.join(kinds)}",) if kinds else ())


def batch(instance: Instance, settings: cpsat.Settings) -> list[Row]:
    first_fit = greedy.solve(instance, WEIGHTS)
    optimized = optimizer.solve(instance, WEIGHTS, settings)
    planned = figures(instance, optimized.schedule, "optimizer", optimized.wall_s, optimized)
    return [
        figures(instance, first_fit.schedule, "greedy", first_fit.wall_s),
        Row(planned.figures, planned.notes + optimized.notes),
    ]


def split_for_online(instance: Instance, arrivals: int) -> tuple[Instance, list[SeriesRequest]]:
    """The calendar's series (booked before) and the last ``arrivals`` to book online.
    Series with locked sessions always belong to the calendar."""
    locked = {a.series_id for a in instance.locked}
    ordered = greedy.arrival_order(instance)
    arriving = [r for r in ordered if r.id not in locked][-arrivals:]
    ids = {r.id for r in arriving}
    before = tuple(r for r in instance.series if r.id not in ids)
    return replace(instance, series=before), arriving


def online_rows(instance: Instance, arrivals: int, seed: int) -> list[Row]:
    before, arriving = split_for_online(instance, arrivals)
    calendar_schedule = greedy.solve(before, WEIGHTS).schedule
    base = greedy.calendar_with(before, calendar_schedule)
    # Checked with the calendar locked: booking online must not move any of it.
    frozen = replace(instance, locked=calendar_schedule.assignments)
    settings = online.OnlineSettings(seed=seed)
    rows: list[Row] = []
    for method in ("greedy_online", "optimizer_online"):
        calendar = base.copy()
        latencies_ms: list[float] = []
        started = time.perf_counter()
        for request in arriving:
            began = time.perf_counter()
            if method == "greedy_online":
                greedy.book_series(calendar, request)
            else:
                online.book(calendar, request, WEIGHTS, settings)
            latencies_ms.append((time.perf_counter() - began) * 1000)
        wall_s = time.perf_counter() - started
        schedule = Schedule(tuple(sorted(calendar.booked)))
        rows.append(
            figures(instance, schedule, method, wall_s, None, latencies_ms, checked_against=frozen)
        )
    return rows


def _or_dash(value: object, spec: str = "") -> str:
    return "-" if value is None else format(value, spec)


def table(rows: list[Row], time_limit_s: float) -> Table:
    result = Table(title="schedule: first fit (greedy) vs CP-SAT (optimizer)")
    for name in (
        "instance",
        "method",
        "booked /\nrequested",
        "series\nfull",
        "days to first\nmean / p90",
        "violations\nwindow / cap.",
        "chair\nutil.",
        "overtime\nmin",
        "objective",
        "vs\ngreedy",
        "best bound\n(gap)",
        "wall s",
        "latency ms\np50 / p95 / max",
    ):
        result.add_column(name, justify="left" if name in ("instance", "method") else "right")
    greedy_objective: dict[str, int] = {}
    for row in rows:
        f = row.figures
        if f["method"] in ("greedy", "greedy_online"):
            greedy_objective[f"{f['instance']}{f['method']}"] = int(f["objective"])  # type: ignore[call-overload]
    for row in rows:
        f = row.figures
        baseline_key = f"{f['instance']}{str(f['method']).replace('optimizer', 'greedy')}"
        baseline = greedy_objective.get(baseline_key)
        versus = (
            f"{100 * (int(f['objective']) - baseline) / abs(baseline):+.1f}%"  # type: ignore[call-overload]
            if baseline and f["method"] in ("optimizer", "optimizer_online")
            else ""
        )
        bound = (
            f"{f['best_bound']} ({100 * float(f['gap']):.1f}%)"  # type: ignore[arg-type]
            if f["best_bound"] is not None
            else "-"
        )
        latency = f"{f['p50_ms']} / {f['p95_ms']} / {f['max_ms']}" if "p50_ms" in f else ""
        result.add_row(
            str(f["instance"]),
            str(f["method"]),
            f"{f['sessions_booked']} / {f['sessions_requested']}",
            str(f["series_fully_booked"]),
            f"{_or_dash(f['mean_days_to_first'])} / {_or_dash(f['p90_days_to_first'])}",
            f"{f['window_violations']} / {f['capacity_violations']}",
            f"{100 * float(f['chair_utilization']):.1f}%",  # type: ignore[arg-type]
            str(f["overtime_min"]),
            str(f["objective"]),
            versus,
            bound,
            f"{f['wall_s']}",
            latency,
        )
    result.caption = (
        f"optimizer: CP-SAT {version('ortools')}, {time_limit_s:g} s limit, 2 workers; "
        f"{os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}. "
        "Violations are counted by the independent checker."
    )
    return result


def main(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench schedule",
        description="Greedy first fit against the CP-SAT optimizer, batch and online.",
    )
    parser.add_argument("--sizes", default="small,medium,large")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per batch solve")
    parser.add_argument("--online-size", default="medium")
    parser.add_argument("--arrivals", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    sizes = [s for s in args.sizes.split(",") if s]
    unknown = [s for s in sizes if s not in instances.SIZES]
    if unknown or not sizes:
        parser.error(f"--sizes takes {','.join(instances.SIZES)}; not {unknown}")
    settings = cpsat.Settings(time_limit_s=args.time_limit, seed=args.seed)
    rows: list[Row] = []
    for size in sizes:
        for tight in (False, True):
            instance = instances.generate(size, args.seed, tight=tight)
            for row in batch(instance, settings):
                print(json.dumps(row.figures), flush=True)
                rows.append(row)
        if size == args.online_size:
            instance = instances.generate(size, args.seed)
            for row in online_rows(instance, args.arrivals, args.seed):
                print(json.dumps(row.figures), flush=True)
                rows.append(row)
    console = Console(width=200)
    console.print(table(rows, args.time_limit))
    for row in rows:
        for note in row.notes:
            console.print(f"{row.figures['instance']} {row.figures['method']}: {note}")
