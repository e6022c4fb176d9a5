"""A chairside session's states: one table, checked pair by pair against an
expectation written out separately, and random walks that never escape it."""

from __future__ import annotations

from itertools import product
from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical import chairside
from ketaclinic.clinical.chairside.lifecycle import (
    ACTION_LABELS,
    ACTIONS,
    IN_CHAIR,
    STATE_LABELS,
    STATES,
    TERMINAL,
    TRANSITIONS,
    Action,
    State,
    TransitionRefused,
    actions_from,
    next_state,
)

# Written from the brief, not from the module: state -> {action: next state}.
EXPECTED: dict[str, dict[str, str]] = {
    "scheduled": {"check_in": "checked_in", "no_show": "no_show"},
    "checked_in": {"complete_checks": "prechecked", "stop": "stopped_early"},
    "prechecked": {"release_dose": "dose_released", "stop": "stopped_early"},
    "dose_released": {"start": "administering", "stop": "stopped_early"},
    "administering": {
        "pause": "paused",
        "change_rate": "administering",
        "end_administration": "observing",
        "stop": "stopped_early",
    },
    "paused": {"resume": "administering", "change_rate": "paused", "stop": "stopped_early"},
    "observing": {"mark_ready": "ready_for_discharge"},
    "ready_for_discharge": {"discharge": "discharged"},
    "discharged": {"sign_note": "note_signed"},
    "stopped_early": {"observe": "observing", "sign_note": "note_signed"},
    "note_signed": {},
    "no_show": {},
}


def expected(state: str, action: str, drug_given: bool) -> str | None:
    if state == "stopped_early" and action == "observe" and not drug_given:
        return None
    if state == "stopped_early" and action == "sign_note" and drug_given:
        return None
    return EXPECTED[state].get(action)


@pytest.mark.parametrize(
    ("state", "action", "drug_given"), list(product(STATES, ACTIONS, (False, True)))
)
def test_it_allows_exactly_the_expected_transitions(
    state: State, action: Action, drug_given: bool
) -> None:
    target = expected(state, action, drug_given)
    if target is None:
        with pytest.raises(TransitionRefused) as refused:
            next_state(state, action, drug_given=drug_given)
        assert (refused.value.state, refused.value.action) == (state, action)
        assert refused.value.message == str(refused.value)
        assert action not in actions_from(state, drug_given=drug_given)
    else:
        assert next_state(state, action, drug_given=drug_given) == target
        assert action in actions_from(state, drug_given=drug_given)


def test_it_knows_every_state_and_action_from_the_brief() -> None:
    assert set(STATES) == set(EXPECTED)
    assert set(ACTIONS) == {a for row in EXPECTED.values() for a in row} | {"no_show"}
    assert set(STATE_LABELS) == set(STATES) and set(ACTION_LABELS) == set(ACTIONS)
    assert STATE_LABELS["prechecked"] == "Pre-checks done"
    assert STATE_LABELS["no_show"] == "No-show"


def test_it_keeps_one_read_only_table() -> None:
    assert isinstance(TRANSITIONS, MappingProxyType)
    with pytest.raises(TypeError):
        TRANSITIONS[("observing", "pause")] = "paused"  # type: ignore[index]


def test_it_names_the_terminal_and_in_chair_states() -> None:
    assert {"note_signed", "no_show"} == TERMINAL
    assert {
        "checked_in",
        "prechecked",
        "dose_released",
        "administering",
        "paused",
        "observing",
        "ready_for_discharge",
        "stopped_early",
    } == IN_CHAIR


def test_it_walks_a_session_from_scheduled_to_a_signed_note() -> None:
    state: State = "scheduled"
    for action in (
        "check_in",
        "complete_checks",
        "release_dose",
        "start",
        "change_rate",
        "pause",
        "change_rate",
        "resume",
        "end_administration",
        "mark_ready",
        "discharge",
        "sign_note",
    ):
        state = next_state(state, action)  # type: ignore[arg-type]
    assert state == "note_signed"


def test_it_observes_a_patient_stopped_early_after_drug_was_given() -> None:
    state = next_state("administering", "stop")
    assert actions_from(state, drug_given=True) == ("observe",)
    assert next_state(state, "observe", drug_given=True) == "observing"


def test_it_lets_staff_sign_at_once_when_stopped_before_any_drug() -> None:
    state = next_state("checked_in", "stop")
    assert actions_from(state, drug_given=False) == ("sign_note",)
    assert next_state(state, "sign_note") == "note_signed"


def test_it_says_why_it_refuses_the_guarded_actions() -> None:
    with pytest.raises(TransitionRefused, match="no drug was given: nothing to observe"):
        next_state("stopped_early", "observe", drug_given=False)
    with pytest.raises(TransitionRefused, match="observe and discharge the patient first"):
        next_state("stopped_early", "sign_note", drug_given=True)


def test_it_says_what_the_session_can_do_instead() -> None:
    with pytest.raises(TransitionRefused) as refused:
        next_state("observing", "pause")
    assert refused.value.message == (
        "Cannot pause a session that is observing: it can mark ready for discharge"
    )
    with pytest.raises(TransitionRefused, match="scheduled: it can check in, mark no-show"):
        next_state("scheduled", "start")
    with pytest.raises(TransitionRefused, match="no-show: it is finished"):
        next_state("no_show", "check_in")


def test_it_refuses_unknown_states_and_actions() -> None:
    with pytest.raises(TransitionRefused, match="Unknown session state 'asleep'"):
        next_state("asleep", "start")  # type: ignore[arg-type]
    with pytest.raises(TransitionRefused, match="Unknown session action 'dance'") as refused:
        next_state("scheduled", "dance")  # type: ignore[arg-type]
    assert (refused.value.state, refused.value.action) == ("scheduled", "dance")
    with pytest.raises(TransitionRefused):
        actions_from("asleep")  # type: ignore[arg-type]


def test_it_lists_actions_in_table_order() -> None:
    assert actions_from("administering") == ("pause", "change_rate", "end_administration", "stop")
    for state, drug_given in product(STATES, (False, True)):
        listed = actions_from(state, drug_given=drug_given)
        assert listed == tuple(a for a in ACTIONS if a in listed)


def test_it_exports_the_session_action_labels_from_the_package() -> None:
    assert chairside.ACTION_LABELS is ACTION_LABELS
    assert chairside.next_state is next_state


@given(st.booleans(), st.lists(st.sampled_from(ACTIONS), max_size=40))
def test_it_never_leaves_the_states_and_terminal_states_accept_nothing(
    drug_given: bool, actions: list[Action]
) -> None:
    state: State = "scheduled"
    for action in actions:
        try:
            state = next_state(state, action, drug_given=drug_given)
        except TransitionRefused:
            assert expected(state, action, drug_given) is None
        assert state in STATES
        if state in TERMINAL:
            assert actions_from(state, drug_given=drug_given) == ()
            for refused in ACTIONS:
                with pytest.raises(TransitionRefused):
                    next_state(state, refused, drug_given=drug_given)
