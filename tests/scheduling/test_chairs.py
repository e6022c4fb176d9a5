"""Giving out chairs after the optimizer chose pools, days and start times."""

from __future__ import annotations

from ketaclinic.scheduling.chairs import _colour


def test_it_gives_chairs_in_start_order_when_nothing_is_locked() -> None:
    spans = [(0, 10), (2, 6), (6, 12), (10, 20)]
    given = _colour(spans, {"A": [], "B": []}, search=False)
    assert given is not None and len(given) == 4
    for i, chair in enumerate(given):
        for j in range(i + 1, len(spans)):
            if given[j] == chair:
                assert spans[j][0] >= spans[i][1] or spans[i][0] >= spans[j][1]


def test_it_searches_when_a_locked_chair_traps_first_fit() -> None:
    # A is locked from 5 to 10. First fit puts [0, 4) on A and [0, 5) on B, and then
    # [4, 30) fits nowhere; the other way round everything fits.
    spans = [(0, 4), (0, 5), (4, 30)]
    busy = {"A": [(5, 10)], "B": []}
    assert _colour(spans, busy, search=False) is None
    assert _colour(spans, busy, search=True) == ["B", "A", "B"]


def test_it_leaves_out_what_cannot_fit_when_asked_for_a_partial_answer() -> None:
    assert _colour([(0, 5), (1, 6)], {"A": []}, search=False, partial=True) == ["A", None]
