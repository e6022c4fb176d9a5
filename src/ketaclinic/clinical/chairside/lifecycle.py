"""A chairside session's state: one transition table. Pure.

scheduled -> checked_in -> prechecked -> dose_released -> administering (<->
paused, rate changes) -> observing -> ready_for_discharge -> discharged ->
note_signed. Before the end of administration a session may be stopped early;
whether the patient must then be observed depends on whether any drug was given.
A patient who never came is a no-show.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal, get_args

State = Literal[
    "scheduled",
    "checked_in",
    "prechecked",
    "dose_released",
    "administering",
    "paused",
    "observing",
    "ready_for_discharge",
    "discharged",
    "note_signed",
    "stopped_early",
    "no_show",
]
Action = Literal[
    "check_in",
    "complete_checks",
    "release_dose",
    "start",
    "pause",
    "resume",
    "change_rate",
    "end_administration",
    "mark_ready",
    "discharge",
    "sign_note",
    "stop",
    "no_show",
    "observe",
]
STATES: tuple[State, ...] = get_args(State)
ACTIONS: tuple[Action, ...] = get_args(Action)

STATE_LABELS: Mapping[State, str] = MappingProxyType(
    {
        "scheduled": "Scheduled",
        "checked_in": "Checked in",
        "prechecked": "Pre-checks done",
        "dose_released": "Dose released",
        "administering": "Administering",
        "paused": "Paused",
        "observing": "Observing",
        "ready_for_discharge": "Ready for discharge",
        "discharged": "Discharged",
        "note_signed": "Note signed",
        "stopped_early": "Stopped early",
        "no_show": "No-show",
    }
)
ACTION_LABELS: Mapping[Action, str] = MappingProxyType(
    {
        "check_in": "Check in",
        "complete_checks": "Complete pre-checks",
        "release_dose": "Release dose",
        "start": "Start",
        "pause": "Pause",
        "resume": "Resume",
        "change_rate": "Change rate",
        "end_administration": "End administration",
        "mark_ready": "Mark ready for discharge",
        "discharge": "Discharge",
        "sign_note": "Sign note",
        "stop": "Stop early",
        "no_show": "Mark no-show",
        "observe": "Observe",
    }
)

TRANSITIONS: Mapping[tuple[State, Action], State] = MappingProxyType(
    {
        ("scheduled", "check_in"): "checked_in",
        ("scheduled", "no_show"): "no_show",
        ("checked_in", "complete_checks"): "prechecked",
        ("checked_in", "stop"): "stopped_early",
        ("prechecked", "release_dose"): "dose_released",
        ("prechecked", "stop"): "stopped_early",
        ("dose_released", "start"): "administering",
        ("dose_released", "stop"): "stopped_early",
        ("administering", "pause"): "paused",
        ("administering", "change_rate"): "administering",
        ("administering", "end_administration"): "observing",
        ("administering", "stop"): "stopped_early",
        ("paused", "resume"): "administering",
        ("paused", "change_rate"): "paused",
        ("paused", "stop"): "stopped_early",
        ("observing", "mark_ready"): "ready_for_discharge",
        ("ready_for_discharge", "discharge"): "discharged",
        ("discharged", "sign_note"): "note_signed",
        # Guarded below: observe only if drug was given, sign at once only if not.
        ("stopped_early", "observe"): "observing",
        ("stopped_early", "sign_note"): "note_signed",
    }
)
# (state, action) -> (the drug_given it needs, why it is refused otherwise). A
# patient who received any drug is observed and discharged like any other
# (docs/clinical-references.md#discharge: discharge by Aldrete score, with an escort).
_GUARDS: Mapping[tuple[State, Action], tuple[bool, str]] = MappingProxyType(
    {
        ("stopped_early", "observe"): (
            True,
            "no drug was given: nothing to observe; sign the note",
        ),
        ("stopped_early", "sign_note"): (
            False,
            "drug was given: observe and discharge the patient first",
        ),
    }
)
TERMINAL: frozenset[State] = frozenset(
    state for state in STATES if not any(s == state for s, _ in TRANSITIONS)
)
# The patient is in the clinic (a chair, a bed, the recovery area).
IN_CHAIR: frozenset[State] = frozenset(
    {
        "checked_in",
        "prechecked",
        "dose_released",
        "administering",
        "paused",
        "observing",
        "ready_for_discharge",
        "stopped_early",
    }
)


class TransitionRefused(ValueError):
    """An action this session's state does not allow; ``message`` says why."""

    code = "session_transition_refused"
    status_code = 409

    def __init__(self, state: str, action: str, message: str) -> None:
        self.state = state
        self.action = action
        self.message = message
        super().__init__(message)


def next_state(state: State, action: Action, *, drug_given: bool = False) -> State:
    """The state after ``action``, or ``TransitionRefused`` saying why not."""
    if state not in STATES:
        raise TransitionRefused(state, action, f"Unknown session state {state!r}")
    if action not in ACTIONS:
        raise TransitionRefused(state, action, f"Unknown session action {action!r}")
    target = TRANSITIONS.get((state, action))
    guard = _GUARDS.get((state, action))
    if target is not None and (guard is None or guard[0] == drug_given):
        return target
    verb, label = ACTION_LABELS[action].lower(), STATE_LABELS[state].lower()
    if guard is not None:
        reason = guard[1]
    else:
        allowed = actions_from(state, drug_given=drug_given)
        reason = (
            f"it can {', '.join(ACTION_LABELS[a].lower() for a in allowed)}"
            if allowed
            else "it is finished"
        )
    raise TransitionRefused(state, action, f"Cannot {verb} a session that is {label}: {reason}")


def actions_from(state: State, *, drug_given: bool = False) -> tuple[Action, ...]:
    """What may be done next, in ``ACTIONS`` order."""
    if state not in STATES:
        raise TransitionRefused(state, "", f"Unknown session state {state!r}")
    return tuple(
        action
        for action in ACTIONS
        if (state, action) in TRANSITIONS
        and _GUARDS.get((state, action), (drug_given, ""))[0] == drug_given
    )
