"""Clearance for treatment: a signed eligible screening, young enough, on today's facts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical.screening import Signed, changed_facts, clearance

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
FACTS: dict[str, Any] = {"age_years": 41, "indications": ["trd"], "pregnant": False}


def _signed(decision: str = "eligible", days_ago: float = 1, override: bool = False) -> Signed:
    return Signed(decision, NOW - timedelta(days=days_ago), override)  # type: ignore[arg-type]


def _clear(**overrides: Any) -> Any:
    arguments: dict[str, Any] = {
        "screened_facts": FACTS,
        "signed": _signed(),
        "current_facts": FACTS,
        "now": NOW,
        "valid_days": 90,
    }
    arguments.update(overrides)
    return clearance(**arguments)


def test_it_clears_a_signed_eligible_screening_on_unchanged_facts() -> None:
    found = _clear()
    assert found.cleared and found.state == "cleared"
    assert found.valid_until == NOW - timedelta(days=1) + timedelta(days=90)
    assert not found.rescreen_offered


def test_it_says_when_clearance_rests_on_an_override() -> None:
    assert "override" in _clear(signed=_signed(override=True)).message


@pytest.mark.parametrize(
    ("overrides", "state", "rescreen"),
    [
        ({"screened_facts": None, "signed": None}, "not_screened", True),
        ({"current_facts": {**FACTS, "pregnant": True}}, "facts_changed", True),
        ({"signed": None}, "awaiting_signature", False),
        ({"signed": _signed("not_eligible")}, "not_eligible", False),
        ({"signed": _signed(days_ago=90)}, "expired", True),
    ],
)
def test_it_names_what_is_needed_when_not_cleared(
    overrides: dict[str, Any], state: str, rescreen: bool
) -> None:
    found = _clear(**overrides)
    assert (found.state, found.cleared, found.rescreen_offered) == (state, False, rescreen)
    assert found.message


def test_it_names_the_facts_that_changed() -> None:
    found = _clear(current_facts={**FACTS, "pregnant": True, "breastfeeding": True})
    assert "breastfeeding, pregnant" in found.message


def test_it_counts_validity_to_the_minute() -> None:
    just_inside = _signed(days_ago=90 - 1 / (24 * 60))
    assert _clear(signed=just_inside).cleared
    assert not _clear(signed=_signed(days_ago=90)).cleared


def test_it_refuses_a_validity_period_under_one_day() -> None:
    with pytest.raises(ValueError, match="valid_days"):
        _clear(valid_days=0)


values = st.one_of(st.booleans(), st.integers(0, 200), st.sampled_from(["none", "mild"]))
fact_maps = st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), values, max_size=4)


@given(screened=fact_maps, current=fact_maps, days=st.integers(0, 400))
def test_it_clears_only_when_nothing_changed_and_the_signature_is_young(
    screened: dict[str, Any], current: dict[str, Any], days: int
) -> None:
    found = _clear(screened_facts=screened, current_facts=current, signed=_signed(days_ago=days))
    assert found.cleared == (screened == current and days < 90)
    assert (found.state == "facts_changed") == (screened != current)
    assert (changed_facts(screened, current) == []) == (screened == current)
