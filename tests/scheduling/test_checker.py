"""The independent checker on hand-made schedules: one valid, then one per rule broken."""

from __future__ import annotations

from dataclasses import replace

from ketaclinic.scheduling.checker import Violation, check, count
from ketaclinic.scheduling.model import Assignment, Instance, Schedule, Shift, Span, clock

from .conftest import CLINIC, CRPS, series

NINE = clock(9)
A = series("A")
B = series("B", (CRPS,))


def instance(*requests: object, locked: tuple[Assignment, ...] = ()) -> Instance:
    return Instance("hand-made", CLINIC, tuple(requests or (A, B)), locked)  # type: ignore[arg-type]


def valid() -> list[Assignment]:
    # Both set-ups at 09:00 take the two nurses' whole capacity (2 x 3), then 2 units.
    return [
        Assignment("A", 0, 0, NINE, "REG"),
        Assignment("A", 1, 3, NINE, "REG"),
        Assignment("B", 0, 0, NINE, "LONG"),
    ]


def kinds(assignments: list[Assignment], inst: Instance | None = None) -> list[str]:
    return sorted(v.kind for v in check(inst or instance(), Schedule(tuple(assignments))))


def test_it_finds_nothing_wrong_with_a_valid_schedule() -> None:
    assert check(instance(), Schedule(tuple(valid()))) == []


def test_it_finds_nothing_wrong_with_an_empty_schedule() -> None:
    assert check(instance(), Schedule()) == []


def test_it_flags_a_session_outside_its_window() -> None:
    moved = [*valid()[:1], Assignment("A", 1, 1, NINE, "REG"), valid()[2]]
    assert kinds(moved) == ["window"]


def test_it_flags_a_first_session_before_the_earliest_day() -> None:
    late = replace(A, requested_day=1, earliest_day=2)
    assert kinds(valid(), instance(late, B)) == ["window"]


def test_it_flags_a_session_booked_without_the_one_before() -> None:
    assert kinds(valid()[1:]) == ["order"]


def test_it_flags_two_visits_in_one_chair_at_once() -> None:
    shared = [Assignment("A", 0, 0, clock(10), "LONG"), *valid()[1:]]
    assert kinds(shared) == ["chair_overlap"]


def test_it_flags_a_long_infusion_in_a_chair_not_equipped_for_it() -> None:
    swapped = [Assignment("A", 0, 0, NINE, "LONG"), valid()[1], Assignment("B", 0, 0, NINE, "REG")]
    assert kinds(swapped) == ["chair_not_equipped"]


def test_it_flags_a_chair_that_does_not_exist() -> None:
    assert kinds([Assignment("A", 0, 0, NINE, "NOPE")]) == ["unknown_chair"]


def test_it_flags_a_visit_on_a_day_the_clinic_is_closed() -> None:
    saturday = [Assignment("A", 0, 5, NINE, "REG")]
    # Nobody works on a closed day either.
    assert kinds(saturday) == ["closed", "nurse_capacity", "prescriber_absent"]


def test_it_flags_a_visit_running_past_closing_time() -> None:
    # Staff stay late that day, so only the opening hours are broken.
    late = Span(clock(8), clock(20))
    staffed = replace(
        CLINIC,
        nurse_shifts=(Shift(0, late),),
        prescriber_hours=(Shift(0, late),),
    )
    inst = replace(instance(), clinic=staffed)
    assert kinds([Assignment("A", 0, 0, clock(17), "REG")], inst) == ["closed"]


def test_it_flags_a_closure_day() -> None:
    closed = replace(instance(), clinic=replace(CLINIC, closures=frozenset({0})))
    assert kinds([valid()[0]], closed) == ["closed"]


def test_it_flags_a_day_and_a_time_the_patient_cannot_come() -> None:
    picky = replace(A, weekdays=frozenset({1, 2}), times=(Span(clock(13), clock(18)),))
    assert kinds([valid()[0]], instance(picky, B)) == ["patient_unavailable"] * 2


def test_it_flags_more_nurse_work_than_the_nurses_on_shift_can_do() -> None:
    third = series("C")
    crowded = [*valid(), Assignment("C", 0, 0, clock(9, 10), "REG")]
    got = check(instance(A, B, third), Schedule(tuple(crowded)))
    assert sorted(v.kind for v in got) == ["chair_overlap", "nurse_capacity"]
    (nurse,) = [v for v in got if v.kind == "nurse_capacity"]
    assert nurse.day == 0 and "demand 9 > 2 nurses x 3" in nurse.detail


def test_it_flags_an_administration_when_no_prescriber_is_on_site() -> None:
    wednesday_afternoon = [Assignment("A", 0, 2, clock(13), "REG")]
    assert kinds(wednesday_afternoon) == ["prescriber_absent"]


def test_it_lets_a_session_that_needs_no_prescriber_run_without_one() -> None:
    relaxed = replace(A, sessions=tuple(replace(s, prescriber=False) for s in A.sessions))
    assert kinds([Assignment("A", 0, 2, clock(13), "REG")], instance(relaxed, B)) == []


def test_it_flags_a_locked_appointment_that_moved() -> None:
    pinned = instance(locked=(Assignment("A", 0, 0, clock(8), "REG"),))
    assert kinds(valid(), pinned) == ["locked_moved"]


def test_it_flags_unknown_sessions_duplicates_and_the_horizon() -> None:
    odd = [
        Assignment("Z", 0, 0, NINE, "REG"),
        Assignment("A", 7, 0, NINE, "REG"),
        Assignment("A", 0, 9, NINE, "REG"),
        Assignment("A", 0, 9, clock(11), "REG"),
    ]
    assert kinds(odd) == ["duplicate", "horizon", "horizon", "unknown_session", "unknown_session"]


def test_it_counts_window_rules_apart_from_capacity_rules() -> None:
    violations = [Violation("window", ""), Violation("order", ""), Violation("nurse_capacity", "")]
    assert count(violations) == (2, 1)
