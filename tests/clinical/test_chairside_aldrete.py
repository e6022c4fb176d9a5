"""The modified Aldrete score: items, totals, the discharge boundary, and the
circulation and oxygen bands."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from fractions import Fraction
from itertools import product

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical.chairside.aldrete import (
    DEFAULT_MIN_SCORE,
    ITEM_OPTIONS,
    ITEMS,
    Aldrete,
    circulation_score,
    oxygen_score,
)

ALL_SCORES = list(product((0, 1, 2), repeat=5))


def full(**scores: object) -> Aldrete:
    return Aldrete(**{item: 2 for item in ITEMS} | scores)  # type: ignore[arg-type]


def test_it_names_five_items_each_with_three_described_scores() -> None:
    assert ITEMS == ("activity", "respiration", "circulation", "consciousness", "oxygen_saturation")
    assert tuple(ITEM_OPTIONS) == ITEMS
    assert all(len(options) == 3 and all(options) for options in ITEM_OPTIONS.values())
    assert "20%" in ITEM_OPTIONS["circulation"][2]
    assert ITEM_OPTIONS["oxygen_saturation"][2] == "SpO2 above 92% on room air"


def test_it_needs_9_by_default() -> None:
    assert DEFAULT_MIN_SCORE == 9


@pytest.mark.parametrize("item", ITEMS)
@pytest.mark.parametrize("score", [0, 1, 2])
def test_it_accepts_0_1_and_2_on_every_item(item: str, score: int) -> None:
    aldrete = full(**{item: score})
    assert getattr(aldrete, item) == score and aldrete.total == 8 + score


@pytest.mark.parametrize("item", ITEMS)
@pytest.mark.parametrize("score", [-1, 3, True, 1.0, "2", None])
def test_it_refuses_anything_else_naming_the_item(item: str, score: object) -> None:
    with pytest.raises(ValueError, match=f"^{item} must be 0, 1 or 2"):
        full(**{item: score})


@pytest.mark.parametrize("scores", ALL_SCORES)
def test_it_totals_and_passes_every_combination_at_the_boundary(
    scores: tuple[int, ...],
) -> None:
    aldrete = Aldrete(*scores)
    assert aldrete.total == sum(scores)
    assert aldrete.passes() == (sum(scores) >= 9)
    for min_score in (8, 9, 10):
        assert aldrete.passes(min_score) == (sum(scores) >= min_score)


def test_it_passes_at_9_and_10_and_fails_at_8() -> None:
    assert not full(activity=1, oxygen_saturation=1).passes()
    assert full(activity=1).passes() and full().passes()


def test_it_cannot_be_changed_once_scored() -> None:
    with pytest.raises(FrozenInstanceError):
        full().activity = 0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("baseline", "systolic", "score"),
    [
        (100, 100, 2),
        (100, 120, 2),
        (100, 80, 2),
        (100, 121, 1),
        (100, 79, 1),
        (100, 149, 1),
        (100, 51, 1),
        (100, 150, 0),
        (100, 50, 0),
        (100, 200, 0),
        (125, 150, 2),
        (125, 151, 1),
        (125, 100, 2),
        (125, 99, 1),
    ],
)
def test_it_scores_circulation_by_the_change_from_baseline(
    baseline: int, systolic: int, score: int
) -> None:
    assert circulation_score(baseline, systolic) == score


def test_it_needs_a_baseline_above_zero() -> None:
    with pytest.raises(ValueError, match="baseline"):
        circulation_score(0, 120)


@given(st.integers(60, 250), st.integers(30, 300))
def test_it_matches_the_bands_in_exact_fractions(baseline: int, systolic: int) -> None:
    change = Fraction(abs(systolic - baseline), baseline)
    expected = 2 if change <= Fraction(20, 100) else 1 if change <= Fraction(49, 100) else 0
    assert circulation_score(baseline, systolic) == expected


@pytest.mark.parametrize(
    ("spo2", "on_oxygen", "score"),
    [
        (100, False, 2),
        (93, False, 2),
        (92, False, 1),
        (91, False, 1),
        (90, False, 0),
        (100, True, 1),
        (93, True, 1),
        (91, True, 1),
        (90, True, 0),
        (70, False, 0),
    ],
)
def test_it_scores_oxygen_saturation_on_room_air_or_oxygen(
    spo2: int, on_oxygen: bool, score: int
) -> None:
    assert oxygen_score(spo2, on_oxygen) == score
