"""Which questionnaires a patient answers before which visit, from the protocol's
``questionnaires`` (docs/clinical-references.md#assigned-questionnaires).

Pure: the visits and the answers already given come in, the assignments go out.

- A rule with ``min_days_apart: 0`` is assigned to every visit; one with ``7`` to the
  first visit, then to the first visit at least 7 days after the last one it was
  assigned to (at most once in 7 days, before a visit).
- A questionnaire opens ``open_hours`` before its visit, but never before the previous
  visit's start (so one answer counts for one visit), and is due at the visit's start
  (check-in).
- An answer of that questionnaire given inside the window is the assignment's answer;
  each answer counts once (the earliest unused answer, assignments taken by due time).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from ketaclinic.clinical.treatment.model import QuestionnaireRule

State = Literal["done", "open", "upcoming", "missed"]


@dataclass(frozen=True)
class Visit:
    """One booked (or given) visit and the questionnaire rules of its plan's protocol."""

    key: int
    starts_at: datetime
    rules: tuple[QuestionnaireRule, ...]


@dataclass(frozen=True)
class Answer:
    """A questionnaire the patient already answered."""

    key: int
    instrument: str
    completed_at: datetime


@dataclass(frozen=True)
class Assignment:
    instrument: str
    visit: Visit
    opens_at: datetime
    due_at: datetime
    done: Answer | None

    def state(self, now: datetime) -> State:
        if self.done is not None:
            return "done"
        if now < self.opens_at:
            return "upcoming"
        if now > self.due_at:
            return "missed"
        return "open"

    def is_open(self, now: datetime) -> bool:
        """The patient may answer it now: inside its window and not yet answered."""
        return self.state(now) == "open"


def assign(
    visits: Sequence[Visit], answers: Sequence[Answer], *, open_hours: int
) -> list[Assignment]:
    """Every visit's questionnaires with their window and answer, by due time."""
    if open_hours < 1:
        raise ValueError("open_hours must be at least 1")
    ordered = sorted(visits, key=lambda v: (v.starts_at, v.key))
    last_assigned: dict[str, datetime] = {}
    slots: list[tuple[str, Visit, datetime]] = []
    previous: datetime | None = None
    for visit in ordered:
        opens = visit.starts_at - timedelta(hours=open_hours)
        if previous is not None and previous > opens:
            opens = previous
        for rule in visit.rules:
            last = last_assigned.get(rule.instrument)
            spacing = timedelta(days=rule.min_days_apart)
            if last is not None and rule.min_days_apart and visit.starts_at - last < spacing:
                continue
            last_assigned[rule.instrument] = visit.starts_at
            slots.append((rule.instrument, visit, opens))
        previous = visit.starts_at
    return _match(slots, answers)


def _match(slots: list[tuple[str, Visit, datetime]], answers: Sequence[Answer]) -> list[Assignment]:
    by_instrument: dict[str, list[Answer]] = {}
    for answer in sorted(answers, key=lambda a: (a.completed_at, a.key)):
        by_instrument.setdefault(answer.instrument, []).append(answer)
    used: set[int] = set()
    found: list[Assignment] = []
    for instrument, visit, opens in sorted(slots, key=lambda s: (s[1].starts_at, s[1].key, s[0])):
        due = visit.starts_at
        done = next(
            (
                a
                for a in by_instrument.get(instrument, [])
                if a.key not in used and opens <= a.completed_at <= due
            ),
            None,
        )
        if done is not None:
            used.add(done.key)
        found.append(Assignment(instrument, visit, opens, due, done))
    return found


def for_visit(assignments: Sequence[Assignment], visit_key: int) -> list[Assignment]:
    return [a for a in assignments if a.visit.key == visit_key]
