"""Questionnaire answers for the demo's year of history: item answers whose total,
scored by the pure core (``clinical.scales.score``), is the total wanted.

The history writes thousands of responses in bulk, so each instrument's answers are
worked out once per total (a few variants each) and reused; the suicide items are
left at 0, so no history response raises a safety alert that nobody acknowledged."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from functools import cache

from ketaclinic.clinical.alerts import alerts_for
from ketaclinic.clinical.scales import get_instrument, score

# Items about suicide: answered 0 in the history (their alerts need a clinician's note).
QUIET_ITEMS = frozenset({"phq9_9", "madrs_10", "qids_sr16_12"})
VARIANTS = 3


@dataclass(frozen=True)
class Scored:
    """One response as it is stored: answers, total, band, subscores and flags."""

    instrument_id: str
    instrument_version: str
    answers: str
    total: int
    max_total: int
    band: str
    subscores: str
    flags: str
    risk_level: str | None


def _slots(instrument_id: str) -> list[tuple[str, int]]:
    """The items that add to the total independently, with their highest value: every
    scored item but the suicide items and, of a domain whose highest item counts
    (QIDS-SR16), its first item only (the others stay at 0)."""
    inst = get_instrument(instrument_id)
    shadowed = {item for d in inst.domains for item in d.items[1:]}
    return [
        (i.id, i.max_value)
        for i in inst.scored_items
        if i.id not in QUIET_ITEMS and i.id not in shadowed
    ]


def _variant(instrument_id: str, target: int, variant: int) -> Scored | None:
    """Answers adding up to ``target``, checked by scoring them (None if they do not)."""
    inst = get_instrument(instrument_id)
    rng = random.Random(f"{instrument_id}:{target}:{variant}")
    answers: dict[str, int | bool] = {
        i.id: min(v for v, _label in inst.choices(i)) for i in inst.scored_items
    }
    room = {item: top for item, top in _slots(instrument_id)}
    left = target - sum(int(v) for v in answers.values())
    while left > 0 and room:
        item = rng.choice(sorted(room))
        answers[item] = int(answers[item]) + 1
        left -= 1
        if answers[item] >= room[item]:
            del room[item]
    result = score(inst, answers)
    if result.total != target or alerts_for(result.flags):
        return None
    return Scored(
        instrument_id=result.instrument_id,
        instrument_version=result.instrument_version,
        answers=json.dumps(result.answers, sort_keys=True),
        total=result.total,
        max_total=result.max_total,
        band=result.band,
        subscores=json.dumps(result.subscores, sort_keys=True),
        flags=json.dumps(list(result.flags)),
        risk_level=result.risk_level,
    )


@cache
def _variants(instrument_id: str, target: int) -> tuple[Scored, ...]:
    found = [_variant(instrument_id, target, v) for v in range(VARIANTS)]
    return tuple(s for s in found if s is not None)


@cache
def reachable_max(instrument_id: str) -> int:
    """The highest total reachable with the suicide items at 0."""
    inst = get_instrument(instrument_id)
    answers: dict[str, int | bool] = {
        i.id: (0 if i.id in QUIET_ITEMS else i.max_value) for i in inst.scored_items
    }
    return score(inst, answers).total


def answers_for(rng: random.Random, instrument_id: str, total: int) -> Scored:
    """A response totalling ``total`` (clamped to what the instrument can reach)."""
    target = max(0, min(total, reachable_max(instrument_id)))
    while True:
        variants = _variants(instrument_id, target)
        if variants:
            return rng.choice(variants)
        target -= 1  # not reachable exactly (never below 0: all-zero answers are)
