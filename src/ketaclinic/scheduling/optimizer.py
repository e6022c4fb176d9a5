"""The batch optimizer's entry point: one CP-SAT model, or the decomposition.

``solve`` starts from first fit (the warm start and the fallback), then either
solves the whole horizon as one model (``cpsat.Builder``) or, when the model
would weigh more (session, day) pairs than ``Settings.monolithic_max_pairs``,
hands over to ``decompose``. Either way it reports the proven bound.
"""

from __future__ import annotations

import time

from ortools.sat.python import cp_model

from ketaclinic.scheduling import greedy, relaxation
from ketaclinic.scheduling.cpsat import Builder, Settings
from ketaclinic.scheduling.model import Instance, Schedule, Solution, Weights
from ketaclinic.scheduling.objective import objective


def prepared(
    instance: Instance,
    weights: Weights,
    settings: Settings,
    incumbent: Schedule | None,
    days: range | None = None,
    timed: bool = True,
    peak_floor: int = 0,
) -> Builder:
    """The model with its relaxation, warm-started from ``incumbent`` when given."""
    builder = Builder(instance, weights, days, timed, peak_floor).build()
    stride = settings.relaxation_stride
    counts = relaxation.add(builder, stride) if stride else None
    if incumbent is not None:
        builder.hint(incumbent)
        if counts is not None:
            requests = instance.series_by_id()
            locked = set(instance.locked)
            counts.hint(
                builder.model,
                [
                    (a.day, a.start, requests[a.series_id].sessions[a.session])
                    for a in incumbent.assignments
                    if a not in locked and (days is None or a.day in days)
                ],
            )
    return builder


def run(
    builder: Builder, settings: Settings, seconds: float
) -> tuple[cp_model.CpSolver, cp_model.CpSolverStatus]:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = settings.workers
    solver.parameters.random_seed = settings.seed
    if settings.deterministic:
        solver.parameters.interleave_search = True
        solver.parameters.max_deterministic_time = max(0.1, seconds)
    else:
        solver.parameters.max_time_in_seconds = max(0.1, seconds)
    return solver, solver.solve(builder.model)


def candidate_pairs(instance: Instance) -> int:
    """(session, day) pairs the model would weigh: its size, roughly."""
    builder = Builder(instance, Weights())
    builder._candidates()
    return sum(len(visit.days) for visit in builder.visits.values())


def solve(
    instance: Instance, weights: Weights | None = None, settings: Settings | None = None
) -> Solution:
    """Plan the horizon: maximise the objective, keep locked appointments, report the
    proven bound. Small instances get one model; larger ones are decomposed
    (``decompose.py``). Falls back to the greedy schedule when nothing better is
    found in time (the notes say so)."""
    from ketaclinic.scheduling import decompose

    weights, settings = weights or Weights(), settings or Settings()
    started = time.perf_counter()
    baseline = greedy.solve(instance, weights)
    method = settings.method
    pairs = candidate_pairs(instance) if method != "monolithic" else 0
    if method == "auto":
        method = "monolithic" if pairs <= settings.monolithic_max_pairs else "decomposed"
    if method == "decomposed":
        return decompose.solve(instance, weights, settings, baseline, started, pairs)
    builder = prepared(
        instance, weights, settings, baseline.schedule if settings.hint_greedy else None
    )
    seconds = settings.time_limit_s
    if not settings.deterministic:
        seconds -= time.perf_counter() - started
    solver, status = run(builder, settings, seconds)
    notes = ["monolithic", f"status {solver.status_name(status)}"]
    bound = None
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        bound = int(solver.best_objective_bound + 1e-6)
        schedule, unplaced = builder.decode(solver)
        notes.append(f"solver objective {int(solver.objective_value)}")
        if unplaced:
            notes.append(f"{unplaced} visits found no chair when chairs were given out")
        value = objective(instance, schedule, weights)
        if value < baseline.objective:
            notes.append("kept the greedy schedule: the solver found nothing better")
            schedule, value = baseline.schedule, baseline.objective
    else:
        if status == cp_model.INFEASIBLE:
            raise ValueError("the locked appointments alone break the model's rules")
        schedule, value = baseline.schedule, baseline.objective
        notes.append("no solution in time: the greedy schedule")
    return Solution(
        schedule,
        value,
        best_bound=bound,
        status=solver.status_name(status),
        wall_s=time.perf_counter() - started,
        notes=tuple(notes),
    )
