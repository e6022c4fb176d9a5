"""The objective, term by term, on a schedule written by hand."""

from __future__ import annotations

from ketaclinic.scheduling.model import Assignment, Instance, Schedule, Weights, clock
from ketaclinic.scheduling.objective import terms

from .conftest import CLINIC, series


def test_it_counts_each_term_of_the_objective() -> None:
    a = series("A", requested_day=0, earliest_day=1, preferred_start=clock(10))
    b = series("B", requested_day=1, earliest_day=1)
    instance = Instance("x", CLINIC, (a, b))
    schedule = Schedule(
        (
            Assignment("A", 0, 1, clock(9), "REG"),
            Assignment("A", 1, 3, clock(16, 30), "REG"),  # ends 18:00: 60 min overtime
            Assignment("B", 0, 2, clock(9), "LONG"),
        )
    )
    got = terms(instance, schedule)
    assert got.booked_sessions == 3
    assert got.series_completed == 1  # A whole; B has one of two
    assert got.wait_days == 1 + 1
    # A: 09:00, 16:30 and the preferred 10:00 -> 90 slots; B: a single start.
    assert got.spread_slots == clock(16, 30) - clock(9)
    assert got.overtime_slots == 12
    # The busiest day holds one 90-minute visit: 3 x 4 + 14 = 26 units over 2 x 3 x 120.
    assert got.peak_load_percent == 4
    w = Weights()
    assert got.value(w) == (
        3 * w.booked_session
        + w.series_completed
        - 2 * w.day_to_first
        - 90 * w.spread_slot
        - 12 * w.overtime_slot
        - 4 * w.peak_load_percent
    )
