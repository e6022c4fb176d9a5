"""The small condition language of rule files, and its three-valued evaluation.

A condition is one of::

    {fact: pregnant, is: true}                     yes/no facts
    {fact: hepatic_impairment, is: severe}         choice facts: is, in
    {fact: substance_use_disorder, in: [remote, recent]}
    {fact: systolic_bp_mmhg, above: 140}           numbers: above, at_least, below, at_most
    {fact: medication_classes, contains: maoi}     code lists: contains, contains_any
    {fact: indications, contains_any: [trd, mdd]}
    {all: [...]}  {any: [...]}  {not: {...}}

A test on a missing fact is *unknown* (None). ``all``, ``any`` and ``not`` follow
Kleene's three-valued logic, so an unknown only disappears when the known facts
decide the answer anyway (``any`` with one true branch is true). That is what
keeps a missing fact from ever reading as "no".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ketaclinic.clinical.screening.errors import LocatedProblem
from ketaclinic.clinical.screening.facts import ALL_OPERATORS, FACTS

Truth = bool | None  # None = unknown: a fact the answer depends on is missing
Operator = Literal["is", "in", "above", "at_least", "below", "at_most", "contains", "contains_any"]
COMBINATORS = ("all", "any", "not")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FactTest(_Frozen):
    fact: str
    operator: Operator
    value: bool | int | str | tuple[str, ...]


class AllOf(_Frozen):
    conditions: tuple[Condition, ...]


class AnyOf(_Frozen):
    conditions: tuple[Condition, ...]


class Not(_Frozen):
    condition: Condition


Condition = FactTest | AllOf | AnyOf | Not
AllOf.model_rebuild()
AnyOf.model_rebuild()
Not.model_rebuild()


class ConditionError(LocatedProblem):
    """A rule's ``when`` is malformed; ``line`` is where (1-based), when known."""


def parse_condition(raw: Any) -> Condition:
    """Build a condition from rule-file data, checking facts and operand types.

    ``raw`` may come from the line-tracking YAML loader, whose mappings carry
    ``line`` and ``key_lines``; errors then say where they are.
    """
    if isinstance(raw, FactTest | AllOf | AnyOf | Not):
        return raw
    line = getattr(raw, "line", None)
    if not isinstance(raw, Mapping):
        raise ConditionError(f"a condition must be a mapping, got {raw!r}", line)
    keys = list(raw)
    combinators = [key for key in keys if key in COMBINATORS]
    if combinators:
        if len(keys) != 1:
            raise ConditionError(f"'{combinators[0]}' must stand alone; got keys {keys}", line)
        return _parse_combinator(combinators[0], raw[combinators[0]], line)
    if "fact" not in raw:
        raise ConditionError(
            f"unknown condition {keys}: expected 'fact' with an operator, or all/any/not", line
        )
    return _parse_fact_test(raw, line)


def _parse_combinator(key: str, body: Any, line: int | None) -> Condition:
    if key == "not":
        return Not(condition=parse_condition(body))
    if not isinstance(body, list) or not body:
        raise ConditionError(f"'{key}' needs a non-empty list of conditions", line)
    parts = tuple(parse_condition(item) for item in body)
    return AllOf(conditions=parts) if key == "all" else AnyOf(conditions=parts)


def _parse_fact_test(raw: Mapping[str, Any], line: int | None) -> FactTest:
    name = raw["fact"]
    fact = FACTS.get(name) if isinstance(name, str) else None
    if fact is None:
        raise ConditionError(f"unknown fact {name!r}", line)
    operators = [key for key in raw if key != "fact"]
    if len(operators) != 1:
        raise ConditionError(
            f"fact {name!r} needs exactly one operator ({', '.join(fact.operators)}); "
            f"got {operators}",
            line,
        )
    operator = operators[0]
    if operator not in ALL_OPERATORS:
        raise ConditionError(
            f"unknown operator {operator!r}; expected one of {', '.join(ALL_OPERATORS)}", line
        )
    if operator not in fact.operators:
        raise ConditionError(
            f"operator {operator!r} does not apply to {fact.kind} fact {name!r} "
            f"(use {', '.join(fact.operators)})",
            line,
        )
    operand_line = getattr(raw, "key_lines", {}).get(operator, line)
    try:
        value = fact.check_operand(operator, raw[operator])
    except ValueError as exc:
        raise ConditionError(f"fact {name!r}: {exc}", operand_line) from None
    return FactTest(fact=name, operator=operator, value=value)


def evaluate(condition: Condition, facts: Mapping[str, Any]) -> Truth:
    """True, False, or None (unknown) over validated facts (see ``validate_facts``)."""
    if isinstance(condition, FactTest):
        actual = facts.get(condition.fact)
        return None if actual is None else _test(condition, actual)
    if isinstance(condition, Not):
        inner = evaluate(condition.condition, facts)
        return None if inner is None else not inner
    results = [evaluate(part, facts) for part in condition.conditions]
    if isinstance(condition, AllOf):
        if any(result is False for result in results):
            return False
        return None if any(result is None for result in results) else True
    if any(result is True for result in results):
        return True
    return None if any(result is None for result in results) else False


def _test(condition: FactTest, actual: Any) -> bool:
    operator, value = condition.operator, condition.value
    if operator == "is":
        return bool(actual == value)
    if isinstance(value, tuple):
        if operator == "in":
            return actual in value
        return any(code in actual for code in value)  # contains_any
    if operator == "contains":
        return bool(value in actual)
    assert isinstance(value, int)
    if operator == "above":
        return bool(actual > value)
    if operator == "at_least":
        return bool(actual >= value)
    if operator == "below":
        return bool(actual < value)
    return bool(actual <= value)  # at_most


def facts_in(condition: Condition) -> tuple[str, ...]:
    """The facts a condition reads, in order of first mention."""
    return tuple(dict.fromkeys(_walk(condition)))


def _walk(condition: Condition) -> Iterator[str]:
    if isinstance(condition, FactTest):
        yield condition.fact
    elif isinstance(condition, Not):
        yield from _walk(condition.condition)
    else:
        for part in condition.conditions:
            yield from _walk(part)
