"""Screening: intake facts in, an explained decision out. Pure.

Decision precedence:

1. any ``exclude`` rule fired                     -> ``not_eligible``
2. any ``review`` rule fired, or any rule could
   not be decided because facts were missing      -> ``needs_review``
3. otherwise                                      -> ``eligible``

Rule 2 is the safety net: an ``exclude`` rule over a missing fact is undecided,
so the result can never be ``eligible`` until someone answers the question.
The engine advises; a prescriber decides and signs (issue 5).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ketaclinic.clinical.screening.conditions import evaluate
from ketaclinic.clinical.screening.facts import validate_facts
from ketaclinic.clinical.screening.model import PLACEHOLDER, Rule, RuleSet, Severity

Decision = Literal["eligible", "needs_review", "not_eligible"]
DECISIONS: tuple[Decision, ...] = ("eligible", "needs_review", "not_eligible")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FiredRule(_Frozen):
    rule_id: str
    severity: Severity
    message: str
    source: str


class UndecidedRule(_Frozen):
    """A rule whose condition is unknown: ``missing`` facts would decide it."""

    rule_id: str
    severity: Severity
    message: str
    source: str
    missing: tuple[str, ...]


class MissingFact(_Frozen):
    fact: str
    rule_ids: tuple[str, ...]  # the undecided rules that need it


class ScreeningResult(_Frozen):
    rule_set_id: str
    rule_set_version: str
    decision: Decision
    fired: tuple[FiredRule, ...]  # in file order
    undecided: tuple[UndecidedRule, ...]  # in file order
    missing: tuple[MissingFact, ...]  # in order of first need

    @property
    def fired_ids(self) -> tuple[str, ...]:
        return tuple(rule.rule_id for rule in self.fired)

    @property
    def missing_facts(self) -> tuple[str, ...]:
        return tuple(entry.fact for entry in self.missing)


def screen(rule_set: RuleSet, facts: Mapping[str, Any]) -> ScreeningResult:
    """Run every rule of ``rule_set`` over ``facts``; raises ``FactError`` on bad input.

    A fact that is absent or ``None`` is missing. Every rule runs (no early stop)
    so staff see all reasons at once, not just the first.
    """
    known = validate_facts(facts)
    fired: list[FiredRule] = []
    undecided: list[UndecidedRule] = []
    for rule in rule_set.rules:
        outcome = evaluate(rule.when, known)
        if outcome is True:
            fired.append(FiredRule(**_describe(rule, known)))
        elif outcome is None:
            missing = tuple(fact for fact in rule.facts if fact not in known)
            undecided.append(UndecidedRule(**_describe(rule), missing=missing))
    return ScreeningResult(
        rule_set_id=rule_set.id,
        rule_set_version=rule_set.version,
        decision=_decide(fired, undecided),
        fired=tuple(fired),
        undecided=tuple(undecided),
        missing=_missing_by_fact(undecided),
    )


def _describe(rule: Rule, known: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {
        "rule_id": rule.id,
        "severity": rule.severity,
        "message": _fill(rule.message, known or {}),
        "source": rule.source,
    }


def _fill(message: str, known: Mapping[str, Any]) -> str:
    """A fired rule names what it found: ``{fact}`` becomes the fact's value in words
    (the rule model allows only facts the rule reads)."""

    def value(match: re.Match[str]) -> str:
        found = known.get(match.group(1))
        if isinstance(found, frozenset | list | tuple):
            return ", ".join(sorted(str(v).replace("_", " ") for v in found))
        return match.group(0) if found is None else str(found).replace("_", " ")

    return PLACEHOLDER.sub(value, message)


def _decide(fired: list[FiredRule], undecided: list[UndecidedRule]) -> Decision:
    severities = {rule.severity for rule in fired}
    if "exclude" in severities:
        return "not_eligible"
    if "review" in severities or undecided:
        return "needs_review"
    return "eligible"


def _missing_by_fact(undecided: list[UndecidedRule]) -> tuple[MissingFact, ...]:
    needed_by: dict[str, list[str]] = {}
    for rule in undecided:
        for fact in rule.missing:
            needed_by.setdefault(fact, []).append(rule.rule_id)
    return tuple(MissingFact(fact=f, rule_ids=tuple(ids)) for f, ids in needed_by.items())
