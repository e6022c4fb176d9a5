"""The CP-SAT optimizer: valid, at least as good as first fit, bound above what it found."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from ketaclinic.scheduling import cpsat, greedy, instances, optimizer
from ketaclinic.scheduling.checker import check
from ketaclinic.scheduling.model import Assignment, Instance, Weights, clock
from ketaclinic.scheduling.objective import objective

from .conftest import CLINIC, CRPS, series, small_instances

# Limits in CP-SAT's deterministic time, not the clock: a loaded machine (CI runs
# the SQLite and PostgreSQL suites side by side) then finds the same schedule, only
# later. A 3-second wall limit once ended with no solution at all under that load.
QUICK = cpsat.Settings(time_limit_s=1.0, deterministic=True, workers=1)


def test_it_solves_a_tiny_clinic_to_optimality_and_reports_its_bound() -> None:
    instance = Instance("tiny", CLINIC, (series("A"), series("B", (CRPS,))))
    solved = optimizer.solve(instance, settings=QUICK)
    assert solved.status == "OPTIMAL"
    assert check(instance, solved.schedule) == []
    assert len(solved.schedule.assignments) == 3
    assert solved.best_bound == solved.objective and solved.gap == 0


def test_it_books_sessions_at_the_preferred_time_rather_than_first_thing() -> None:
    instance = Instance("pref", CLINIC, (series("A", preferred_start=clock(14)),))
    solved = optimizer.solve(instance, settings=QUICK)
    assert {a.start for a in solved.schedule.assignments} == {clock(14)}


def test_it_never_moves_a_locked_appointment() -> None:
    locked = (Assignment("A", 0, 1, clock(15), "LONG"),)
    instance = Instance("locked", CLINIC, (series("A"), series("B", (CRPS,))), locked)
    solved = optimizer.solve(instance, settings=QUICK)
    assert set(locked) <= set(solved.schedule.assignments)
    assert check(instance, solved.schedule) == []


def test_it_scores_its_schedule_exactly_as_the_objective_does() -> None:
    instance = instances.generate("small")
    builder = cpsat.Builder(instance, Weights()).build()
    baseline = greedy.solve(instance)
    builder.hint(baseline.schedule)
    from ortools.sat.python import cp_model

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 1
    solver.parameters.interleave_search = True
    solver.parameters.max_deterministic_time = 1
    assert solver.solve(builder.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    schedule, unplaced = builder.decode(solver)
    if unplaced == 0:
        # The spread bounds may sit loose in a feasible solution: never in our favour.
        assert objective(instance, schedule, Weights()) >= solver.objective_value


def test_it_beats_or_matches_first_fit_on_the_small_benchmark_and_passes_the_checker() -> None:
    instance = instances.generate("small")
    solved = optimizer.solve(instance, settings=QUICK)
    assert check(instance, solved.schedule) == []
    assert solved.objective >= greedy.solve(instance).objective
    assert solved.best_bound is not None and solved.best_bound >= solved.objective


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_instances())
def test_it_always_produces_a_schedule_the_checker_accepts(instance: Instance) -> None:
    solved = optimizer.solve(instance, settings=QUICK)
    assert check(instance, solved.schedule) == []
    assert solved.objective >= greedy.solve(instance).objective
    if solved.best_bound is not None:
        assert solved.best_bound >= solved.objective


def test_it_books_the_session_a_locked_one_depends_on_inside_its_window() -> None:
    # The second session is fixed on Thursday: the first must come 2-4 days before.
    locked = (Assignment("A", 1, 3, clock(9), "REG"),)
    instance = Instance("anchor", CLINIC, (series("A"),), locked)
    solved = optimizer.solve(instance, settings=QUICK)
    first = solved.schedule.of_series("A")[0]
    assert first.session == 0 and 3 - 4 <= first.day <= 3 - 2
    assert check(instance, solved.schedule) == []


def test_it_decomposes_into_windows_and_still_passes_the_checker() -> None:
    instance = instances.generate("small")
    decomposed = cpsat.Settings(
        time_limit_s=2.0,
        method="decomposed",
        window_days=5,
        window_step_days=3,
        window_s=0.3,
        deterministic=True,
    )
    solved = optimizer.solve(instance, settings=decomposed)
    assert solved.notes[0] == "decomposed"
    assert check(instance, solved.schedule) == []
    assert solved.objective >= greedy.solve(instance).objective
    assert solved.best_bound is not None and solved.best_bound >= solved.objective


def test_it_bounds_the_objective_from_the_days_only_model_too() -> None:
    instance = Instance("tiny", CLINIC, (series("A"), series("B", (CRPS,))))
    days_only = optimizer.prepared(instance, Weights(), QUICK, None, timed=False)
    solver, _ = optimizer.run(days_only, QUICK, 1.0)
    exact = optimizer.solve(instance, settings=QUICK)
    assert solver.best_objective_bound >= exact.objective


def test_it_finds_the_same_schedule_twice_when_asked_to_be_deterministic() -> None:
    instance = instances.generate("small", tight=True)
    repeatable = cpsat.Settings(time_limit_s=0.5, deterministic=True)
    first = optimizer.solve(instance, settings=repeatable)
    again = optimizer.solve(instance, settings=repeatable)
    assert first.schedule == again.schedule and first.best_bound == again.best_bound
