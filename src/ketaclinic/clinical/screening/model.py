"""Rule sets: frozen pydantic models validated on load.

A rule set is data (see ``rules/*.yaml``): one per route or protocol family.
Each rule has a condition over intake facts (``conditions``), a severity, the
message staff read, and the source it rests on - a rule without a source is
refused, because a prescriber must be able to check why it exists.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from ketaclinic.clinical.screening.conditions import Condition, facts_in, parse_condition
from ketaclinic.clinical.screening.errors import LocatedProblem

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Severity = Literal["exclude", "review", "inform"]
# A message may name a fact's value: "{chart_medication_classes}" (facts the rule reads).
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
SEVERITIES: tuple[Severity, ...] = ("exclude", "review", "inform")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Rule(_Frozen):
    id: Identifier
    when: Annotated[Condition, BeforeValidator(parse_condition)]
    severity: Severity
    message: Text
    source: Text
    # Where the rule starts in its file (1-based), when it was loaded from one.
    line: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _remember_line(cls, data: Any) -> Any:
        line = getattr(data, "line", None)
        if isinstance(data, dict) and line is not None and "line" not in data:
            return {**data, "line": line}
        return data

    @model_validator(mode="after")
    def _placeholders_name_read_facts(self) -> Rule:
        unknown = sorted(set(PLACEHOLDER.findall(self.message)) - set(self.facts))
        if unknown:
            raise LocatedProblem(
                f"message names facts the rule does not read: {unknown}", self.line
            )
        return self

    @property
    def facts(self) -> tuple[str, ...]:
        """The facts this rule reads, in order of first mention."""
        return facts_in(self.when)


class RuleSet(_Frozen):
    id: Identifier
    version: Text
    name: Text
    applies_to: Text
    notes: str | None = None
    rules: tuple[Rule, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_rule_ids(self) -> RuleSet:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise LocatedProblem(f"duplicate rule id {rule.id!r}", rule.line)
            seen.add(rule.id)
        return self

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(rule.id for rule in self.rules)

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    @property
    def facts(self) -> tuple[str, ...]:
        """Every fact some rule reads: what an intake must ask for this route."""
        return tuple(dict.fromkeys(fact for rule in self.rules for fact in rule.facts))
