"""What a chairside record may say about time and amounts. Pure.

- The infusion clock runs while the drug runs: from the start or a resume to a
  pause or the end. A pause stops it.
- An administration ended well before its planned duration (under a fraction of
  it, a clinic setting) is an early stop: it needs a reason, and the amount given
  is asked, never assumed to be the full dose.
- What was given is at most the dose released.
- A step is never dated in the future, nor before the step it follows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Literal, get_args

StopReason = Literal["adverse_event", "patient_request", "pump_or_line", "other"]
STOP_REASONS: tuple[StopReason, ...] = get_args(StopReason)
STOP_REASON_LABELS: Mapping[StopReason, str] = MappingProxyType(
    {
        "adverse_event": "Adverse event",
        "patient_request": "Patient's request",
        "pump_or_line": "Pump or line problem",
        "other": "Other",
    }
)
# The steps that restart and stop the infusion clock (after its start).
RUNS = frozenset({"resume"})
HALTS = frozenset({"pause", "end_administration", "stop"})
# A device's or tablet's clock may run a little ahead of ours.
CLOCK_TOLERANCE = timedelta(minutes=2)


def infused_minutes(
    started_at: datetime | None, steps: Sequence[tuple[str, datetime]], until: datetime
) -> Decimal:
    """Minutes the drug ran: from ``started_at`` through ``steps`` (action, when; in
    order, after the start), counting a still-running clock up to ``until``; paused
    time does not count. Never started: zero."""
    if started_at is None:
        return Decimal(0)
    running_since: datetime | None = started_at
    seconds = 0.0
    for action, at in steps:
        if at < started_at:
            continue
        if action in RUNS and running_since is None:
            running_since = at
        elif action in HALTS and running_since is not None:
            seconds += max((at - running_since).total_seconds(), 0.0)
            running_since = None
    if running_since is not None:
        seconds += max((until - running_since).total_seconds(), 0.0)
    return (Decimal(str(seconds)) / 60).quantize(Decimal("0.1"))


def ends_early(infused_min: Decimal, planned_min: int | None, fraction: Decimal) -> bool:
    """Ended before ``fraction`` of the planned duration (a bolus has none: never early)."""
    if not planned_min:
        return False
    return infused_min < fraction * planned_min


def stop_reason_problems(reason: str | None, note: str) -> dict[str, str]:
    """Why an early stop's reason is not enough; empty when it is."""
    if reason is None or reason == "":
        choices = ", ".join(STOP_REASON_LABELS[r].lower() for r in STOP_REASONS)
        return {"early_reason": f"say why it ends early: {choices}"}
    if reason not in STOP_REASONS:
        return {"early_reason": "choose one of: " + ", ".join(STOP_REASONS)}
    if reason == "other" and len(note.strip()) < 3:
        return {"early_note": "say what happened"}
    return {}


def given_problem(given_mg: Decimal, released_mg: Decimal | None) -> str | None:
    """Why ``given_mg`` cannot have been given; ``None`` when it can."""
    if given_mg < 0:
        return "cannot be negative"
    if released_mg is None:
        return "no dose was released for this session" if given_mg > 0 else None
    if given_mg > released_mg:
        return f"at most the released dose of {released_mg} mg"
    return None


def step_time_problem(at: datetime, previous_at: datetime | None, now: datetime) -> str | None:
    """Why a step cannot be dated ``at``; ``None`` when it can."""
    if at > now + CLOCK_TOLERANCE:
        return "in the future"
    if previous_at is not None and at < previous_at:
        return f"before the step it follows ({previous_at:%H:%M} UTC)"
    return None
