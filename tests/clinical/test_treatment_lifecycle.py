"""The plan lifecycle: one table of allowed transitions, everything else refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical.treatment.lifecycle import (
    FINAL,
    PLAN_STATUSES,
    TRANSITIONS,
    Action,
    TransitionError,
    actions_from,
    next_status,
)

ACTIONS: tuple[Action, ...] = ("sign", "start", "pause", "resume", "complete", "stop", "supersede")


def test_it_walks_a_plan_from_draft_to_completed() -> None:
    status = next_status("draft", "sign")
    status = next_status(status, "start")
    status = next_status(status, "pause", "patient travelling for two weeks")
    status = next_status(status, "resume")
    assert next_status(status, "complete") == "completed"


def test_it_needs_a_reason_to_stop_or_pause() -> None:
    with pytest.raises(TransitionError, match="give a reason"):
        next_status("active", "stop", "  ")
    assert next_status("active", "stop", "adverse event: sustained hypertension") == "stopped"


def test_it_says_what_is_possible_when_refusing() -> None:
    with pytest.raises(TransitionError, match="cannot start a draft plan; from draft you can"):
        next_status("draft", "start")


@given(st.sampled_from(PLAN_STATUSES), st.sampled_from(ACTIONS))
def test_it_allows_exactly_the_table_and_nothing_leaves_a_final_status(
    status: str, action: Action
) -> None:
    allowed = (status, action) in TRANSITIONS
    try:
        next_status(status, action, "a reason given")  # type: ignore[arg-type]
    except TransitionError:
        assert not allowed
    else:
        assert allowed and status not in FINAL
    assert (action in actions_from(status)) == allowed  # type: ignore[arg-type]
