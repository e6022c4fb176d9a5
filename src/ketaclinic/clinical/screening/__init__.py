"""Eligibility screening: rule sets as data, a pure three-valued engine.

Typical use::

    from ketaclinic.clinical.screening import get_rule_set, screen

    result = screen(get_rule_set("iv_ketamine_mood"), {"age_years": 42, ...})
    result.decision            # "eligible" | "needs_review" | "not_eligible"
    result.fired, result.missing, result.rule_set_version

The engine advises; a prescriber decides. A missing fact never reads as "no":
a rule it could change makes the result ``needs_review``.
"""

from ketaclinic.clinical.screening.clearance import (
    DEFAULT_VALID_DAYS,
    Clearance,
    ClearanceState,
    Signed,
    changed_facts,
    clearance,
)
from ketaclinic.clinical.screening.conditions import (
    AllOf,
    AnyOf,
    Condition,
    FactTest,
    Not,
    Truth,
    evaluate,
    facts_in,
    parse_condition,
)
from ketaclinic.clinical.screening.engine import (
    DECISIONS,
    Decision,
    FiredRule,
    MissingFact,
    ScreeningResult,
    UndecidedRule,
    screen,
)
from ketaclinic.clinical.screening.errors import FactError, RuleSetError, UnknownRuleSetError
from ketaclinic.clinical.screening.facts import (
    FACTS,
    INDICATIONS,
    MEDICATION_CLASSES,
    Fact,
    Indication,
    facts_to_json,
    validate_facts,
)
from ketaclinic.clinical.screening.loader import (
    get_rule_set,
    load_rule_set_file,
    load_rule_sets,
    parse_rule_set,
)
from ketaclinic.clinical.screening.model import SEVERITIES, Rule, RuleSet, Severity

__all__ = [
    "DECISIONS",
    "DEFAULT_VALID_DAYS",
    "FACTS",
    "INDICATIONS",
    "MEDICATION_CLASSES",
    "SEVERITIES",
    "AllOf",
    "AnyOf",
    "Clearance",
    "ClearanceState",
    "Condition",
    "Decision",
    "Fact",
    "FactError",
    "FactTest",
    "FiredRule",
    "Indication",
    "MissingFact",
    "Not",
    "Rule",
    "RuleSet",
    "RuleSetError",
    "ScreeningResult",
    "Severity",
    "Signed",
    "Truth",
    "UndecidedRule",
    "UnknownRuleSetError",
    "changed_facts",
    "clearance",
    "evaluate",
    "facts_in",
    "facts_to_json",
    "get_rule_set",
    "load_rule_set_file",
    "load_rule_sets",
    "parse_condition",
    "parse_rule_set",
    "screen",
    "validate_facts",
]
