"""Errors raised while loading rule sets or reading intake facts."""

from __future__ import annotations

from collections.abc import Mapping

from ketaclinic.clinical.datafiles import DataFileError, LocatedProblem

__all__ = ["FactError", "LocatedProblem", "RuleSetError", "UnknownRuleSetError"]


class RuleSetError(DataFileError):
    """A rule file is malformed; the message reads ``file:line: reason``.

    Raised at start-up so a bad file stops the clinic from screening with a
    rule set nobody meant to write.
    """

    code = "rule_set_invalid"


class UnknownRuleSetError(LookupError):
    """No rule set with the requested id is defined."""

    code = "rule_set_unknown"

    def __init__(self, rule_set_id: str, known: tuple[str, ...]) -> None:
        self.rule_set_id = rule_set_id
        super().__init__(f"unknown rule set {rule_set_id!r}; known: {', '.join(known)}")


class FactError(ValueError):
    """Intake facts are malformed; ``fields`` maps each offending fact to why.

    Every problem is collected before raising so a form can show them all by
    their fields; ``code`` and ``status_code`` let the web layer render it.
    """

    code = "screening_facts_invalid"
    status_code = 422

    def __init__(self, fields: Mapping[str, str]) -> None:
        self.fields: dict[str, str] = dict(fields)
        details = "; ".join(f"{fact}: {why}" for fact, why in self.fields.items())
        super().__init__(f"invalid screening facts ({details})")
