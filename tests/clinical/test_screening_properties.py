"""Properties: a missing fact can only add doubt, never take it away."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical.screening import (
    FACTS,
    Condition,
    Fact,
    RuleSet,
    ScreeningResult,
    evaluate,
    load_rule_sets,
    screen,
    validate_facts,
)
from ketaclinic.clinical.screening.conditions import AllOf, AnyOf, Not

RULE_SETS = list(load_rule_sets().values())


def value_of(fact: Fact) -> st.SearchStrategy[Any]:
    if fact.kind == "bool":
        return st.booleans()
    if fact.kind == "int":
        assert fact.minimum is not None and fact.maximum is not None
        return st.integers(fact.minimum, fact.maximum)
    if fact.kind == "enum":
        return st.sampled_from(fact.values)
    return st.lists(st.sampled_from(fact.values), unique=True)


complete_facts = st.fixed_dictionaries({name: value_of(fact) for name, fact in FACTS.items()})


def subset(facts: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    names = sorted(facts)
    keep = st.lists(st.booleans(), min_size=len(names), max_size=len(names))
    return keep.map(lambda mask: {n: facts[n] for n, kept in zip(names, mask, strict=True) if kept})


def outcome(result: ScreeningResult, rule_id: str) -> str:
    if rule_id in result.fired_ids:
        return "fired"
    if rule_id in {rule.rule_id for rule in result.undecided}:
        return "undecided"
    return "quiet"


@given(st.sampled_from(RULE_SETS), complete_facts, st.data())
def test_it_never_turns_doubt_into_eligible_when_one_fact_is_removed(
    rule_set: RuleSet, facts: dict[str, Any], data: st.DataObject
) -> None:
    removed = data.draw(st.sampled_from(sorted(facts)))
    before = screen(rule_set, facts)
    after = screen(rule_set, {k: v for k, v in facts.items() if k != removed})
    if before.decision != "eligible":
        assert after.decision != "eligible"


@given(st.sampled_from(RULE_SETS), complete_facts.flatmap(subset), st.data())
def test_it_never_turns_doubt_into_eligible_when_facts_are_removed_from_any_intake(
    rule_set: RuleSet, facts: dict[str, Any], data: st.DataObject
) -> None:
    fewer = data.draw(subset(facts))
    before = screen(rule_set, facts)
    after = screen(rule_set, fewer)
    if before.decision != "eligible":
        assert after.decision != "eligible"
    # Rule by rule: a decided rule keeps its answer or becomes undecided.
    for rule in rule_set.rules:
        if outcome(after, rule.id) != "undecided":
            assert outcome(after, rule.id) == outcome(before, rule.id)


@given(st.sampled_from(RULE_SETS), complete_facts)
def test_it_decides_every_rule_when_every_fact_is_given(
    rule_set: RuleSet, facts: dict[str, Any]
) -> None:
    result = screen(rule_set, facts)
    assert result.undecided == () and result.missing == ()
    severities = {rule.severity for rule in result.fired}
    expected = (
        "not_eligible"
        if "exclude" in severities
        else "needs_review"
        if "review" in severities
        else "eligible"
    )
    assert result.decision == expected


LEAVES = [rule.when for rule_set in RULE_SETS for rule in rule_set.rules]
conditions: st.SearchStrategy[Condition] = st.recursive(
    st.sampled_from(LEAVES),
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda cs: AllOf(conditions=tuple(cs))),
        st.lists(inner, min_size=1, max_size=3).map(lambda cs: AnyOf(conditions=tuple(cs))),
        inner.map(lambda c: Not(condition=c)),
    ),
    max_leaves=8,
)


@given(conditions, complete_facts.flatmap(subset), st.data())
def test_it_only_ever_loses_certainty_when_a_fact_goes_missing(
    condition: Condition, facts: dict[str, Any], data: st.DataObject
) -> None:
    fewer = data.draw(subset(facts))
    before = evaluate(condition, validate_facts(facts))
    after = evaluate(condition, validate_facts(fewer))
    assert after is None or after is before
