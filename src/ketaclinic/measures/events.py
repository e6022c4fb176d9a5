"""Who else wants to know that a patient's measures changed: a questionnaire response
or a treatment was recorded (any path: staff, API, the portal, the patient's link).

Measures imports no domain that reacts (outcomes evaluates the booster rules on it):
those register a listener here at start-up (``on_recorded``), and ``recorded`` calls
each inside the caller's transaction. A listener only asks for work after commit
(``kit.jobs.enqueue_after_commit``); a process where none registered loses nothing,
since the work's periodic sweep finds what changed."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

Listener = Callable[[Session, int], None]  # (the caller's session, the patient's id)
_LISTENERS: list[Listener] = []


def on_recorded(listener: Listener) -> Listener:
    """Call ``listener`` whenever a response or a treatment is recorded (once each)."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


def recorded(db: Session, patient_id: int) -> None:
    for listener in tuple(_LISTENERS):
        listener(db, patient_id)
