"""A treatment plan's status: one transition table. Pure.

draft -> signed (a prescriber signs; needs a current screening) -> active (first
session given) <-> paused -> completed; any status but completed or stopped may be
stopped, with a reason. A signed plan is never edited: a change is a new version
that starts as a draft; signing it supersedes the version before.
"""

from __future__ import annotations

from typing import Literal

PlanStatus = Literal["draft", "signed", "active", "paused", "completed", "stopped", "superseded"]
PLAN_STATUSES: tuple[PlanStatus, ...] = (
    "draft",
    "signed",
    "active",
    "paused",
    "completed",
    "stopped",
    "superseded",
)
Action = Literal["sign", "start", "pause", "resume", "complete", "stop", "supersede"]

TRANSITIONS: dict[tuple[PlanStatus, Action], PlanStatus] = {
    ("draft", "sign"): "signed",
    ("signed", "start"): "active",
    ("active", "pause"): "paused",
    ("paused", "resume"): "active",
    ("active", "complete"): "completed",
    ("draft", "stop"): "stopped",
    ("signed", "stop"): "stopped",
    ("active", "stop"): "stopped",
    ("paused", "stop"): "stopped",
    # A newer version was signed: this one is history.
    ("draft", "supersede"): "superseded",
    ("signed", "supersede"): "superseded",
    ("active", "supersede"): "superseded",
    ("paused", "supersede"): "superseded",
}
NEEDS_REASON: frozenset[Action] = frozenset({"stop", "pause"})
FINAL: frozenset[PlanStatus] = frozenset({"completed", "stopped", "superseded"})


class TransitionError(ValueError):
    code = "plan_transition_refused"
    status_code = 409


def next_status(status: PlanStatus, action: Action, reason: str | None = None) -> PlanStatus:
    """The status after ``action``, or ``TransitionError`` saying why not."""
    target = TRANSITIONS.get((status, action))
    if target is None:
        allowed = sorted(a for (s, a) in TRANSITIONS if s == status)
        can = f"; from {status} you can {', '.join(allowed)}" if allowed else ""
        raise TransitionError(f"cannot {action} a {status} plan{can}")
    if action in NEEDS_REASON and not (reason or "").strip():
        raise TransitionError(f"to {action} a plan, give a reason")
    return target


def actions_from(status: PlanStatus) -> list[Action]:
    return [action for (source, action) in TRANSITIONS if source == status]
