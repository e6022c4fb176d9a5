"""Score a completed questionnaire exactly as published: no prorating.

Answers are checked first and every problem is reported at once in a
``ScoringError``; only complete, in-range answers are scored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ketaclinic.clinical.scales.errors import ScoringError
from ketaclinic.clinical.scales.loader import get_instrument
from ketaclinic.clinical.scales.model import (
    Band,
    Instrument,
    ItemAboveFlag,
    ItemAtLeastFlag,
    RiskAtLeastFlag,
    TotalAtLeastFlag,
)

Answer = int | bool


@dataclass(frozen=True)
class ScoreResult:
    instrument_id: str
    instrument_version: str
    total: int
    max_total: int
    # For instruments without severity bands (the C-SSRS screener) the band
    # is the risk level.
    band: str
    # Domain scores (QIDS-SR16) and subscale sums (PCL-5 clusters), by id.
    subscores: dict[str, int]
    flags: tuple[str, ...]
    risk_level: str | None
    answers: dict[str, Answer]


def score(
    instrument: Instrument | str,
    answers: Mapping[str, Answer],
    *,
    thresholds: Mapping[str, int] | None = None,
) -> ScoreResult:
    """Score ``answers`` (item id -> value) for ``instrument``.

    ``thresholds`` overrides threshold flags by flag id, for clinics that
    choose a different cut-point, e.g. ``{"probable_ptsd": 31}`` for PCL-5
    (the YAML default is 33; docs/clinical-references.md gives 31-33).
    """
    if isinstance(instrument, str):
        instrument = get_instrument(instrument)
    values = validate_answers(instrument, answers)
    subscores = _domain_scores(instrument, values)
    total = _total(instrument, values, subscores)
    subscores.update(
        (subscale.id, sum(values.get(item_id, 0) for item_id in subscale.items))
        for subscale in instrument.subscales
    )
    risk_level = _risk_level(instrument, values)
    band = band_for_total(instrument, total).label if instrument.bands else None
    return ScoreResult(
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        total=total,
        max_total=instrument.max_total,
        band=band if band is not None else str(risk_level),
        subscores=subscores,
        flags=_flags(instrument, values, total, risk_level, thresholds or {}),
        risk_level=risk_level,
        answers=dict(answers),
    )


def band_for_total(instrument: Instrument, total: int) -> Band:
    """The band whose range holds ``total`` (lower bounds are inclusive)."""
    if not instrument.bands:
        raise ValueError(f"{instrument.id} has no severity bands")
    if not 0 <= total <= instrument.max_total:
        raise ValueError(f"{instrument.id} total {total} is outside 0..{instrument.max_total}")
    return [band for band in instrument.bands if band.min_total <= total][-1]


def validate_answers(instrument: Instrument, answers: Mapping[str, Answer]) -> dict[str, int]:
    """Check answers and return them as integers (yes = 1, no = 0).

    Raises ``ScoringError`` naming every missing, unknown, skipped-but-answered,
    wrongly typed or out-of-range item.
    """
    problems: dict[str, str] = {}
    skipped = _skipped_items(instrument, answers)
    undetermined = _items_behind_unanswered_gates(instrument, answers)
    values: dict[str, int] = {}
    for item in instrument.items:
        if item.id not in answers:
            if item.required and item.id not in skipped and item.id not in undetermined:
                problems[item.id] = "missing answer"
            continue
        if item.id in skipped:
            problems[item.id] = f"must be left blank: {skipped[item.id]}"
            continue
        value = answers[item.id]
        problem = _value_problem(instrument.answer_type, value, item.max_value)
        if problem:
            problems[item.id] = problem
        else:
            values[item.id] = int(value)
    for item_id in answers:
        if item_id not in instrument.item_ids:
            problems[item_id] = f"not an item of {instrument.id}"
    if problems:
        raise ScoringError(instrument.id, problems)
    return values


def _value_problem(answer_type: str, value: object, max_value: int) -> str | None:
    # bool is a subclass of int, so the type checks must look at bool first.
    if answer_type == "yes_no":
        if not isinstance(value, bool):
            return f"expected yes or no (true/false), got {value!r}"
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        return f"expected a whole number 0-{max_value}, got {value!r}"
    if not 0 <= value <= max_value:
        return f"must be between 0 and {max_value}, got {value}"
    return None


def _skipped_items(instrument: Instrument, answers: Mapping[str, Answer]) -> dict[str, str]:
    """Items that the answers say must be skipped, with the reason."""
    skipped: dict[str, str] = {}
    for rule in instrument.skip_rules:
        gate = _valid_gate_answer(instrument, rule.if_item, answers)
        if gate == rule.equals:
            label = instrument.item(rule.if_item).options[rule.equals].label
            for item_id in rule.skip:
                skipped[item_id] = f"{rule.if_item} was answered {label!r}"
    return skipped


def _items_behind_unanswered_gates(
    instrument: Instrument, answers: Mapping[str, Answer]
) -> set[str]:
    # Without a valid gate answer we cannot tell whether these are required;
    # the gate's own problem is reported instead of a cascade of follow-ups.
    return {
        item_id
        for rule in instrument.skip_rules
        if _valid_gate_answer(instrument, rule.if_item, answers) is None
        for item_id in rule.skip
    }


def _valid_gate_answer(
    instrument: Instrument, item_id: str, answers: Mapping[str, Answer]
) -> int | None:
    if item_id not in answers:
        return None
    value = answers[item_id]
    max_value = instrument.item(item_id).max_value
    if _value_problem(instrument.answer_type, value, max_value):
        return None
    return int(value)


def _domain_scores(instrument: Instrument, values: Mapping[str, int]) -> dict[str, int]:
    return {
        domain.id: max(values.get(item_id, 0) for item_id in domain.items)
        for domain in instrument.domains
    }


def _total(
    instrument: Instrument, values: Mapping[str, int], domain_scores: Mapping[str, int]
) -> int:
    in_domain = {item_id for domain in instrument.domains for item_id in domain.items}
    singles = sum(
        values.get(item.id, 0)  # skipped items count as "no" (0)
        for item in instrument.scored_items
        if item.id not in in_domain
    )
    return singles + sum(domain_scores.values())


def _risk_level(instrument: Instrument, values: Mapping[str, int]) -> str | None:
    risk = instrument.risk
    if risk is None:
        return None
    matched = [
        rule.level for rule in risk.rules if any(values.get(item_id, 0) for item_id in rule.any_yes)
    ]
    return max(matched, key=risk.levels.index, default=risk.default)


def adjustable_flags(instrument: Instrument | str) -> set[str]:
    """The flag ids whose threshold a clinic may set (``score(thresholds=...)``)."""
    if isinstance(instrument, str):
        instrument = get_instrument(instrument)
    return {flag.id for flag in instrument.flags if not isinstance(flag, RiskAtLeastFlag)}


def _flags(
    instrument: Instrument,
    values: Mapping[str, int],
    total: int,
    risk_level: str | None,
    thresholds: Mapping[str, int],
) -> tuple[str, ...]:
    adjustable = adjustable_flags(instrument)
    unknown = set(thresholds) - adjustable
    if unknown:
        raise ValueError(
            f"{instrument.id} has no adjustable flag {sorted(unknown)}; "
            f"adjustable: {sorted(adjustable)}"
        )
    raised: list[str] = []
    for flag in instrument.flags:
        if isinstance(flag, ItemAboveFlag):
            hit = values.get(flag.item, 0) > thresholds.get(flag.id, flag.threshold)
        elif isinstance(flag, ItemAtLeastFlag):
            hit = values.get(flag.item, 0) >= thresholds.get(flag.id, flag.threshold)
        elif isinstance(flag, TotalAtLeastFlag):
            hit = total >= thresholds.get(flag.id, flag.threshold)
        else:
            levels = instrument.risk.levels if instrument.risk else ()
            hit = risk_level is not None and (levels.index(risk_level) >= levels.index(flag.level))
        if hit and flag.id not in raised:
            raised.append(flag.id)
    return tuple(raised)
