"""Load rule sets from YAML, naming the file and line of any problem."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from ketaclinic.clinical import datafiles
from ketaclinic.clinical.screening.errors import RuleSetError, UnknownRuleSetError
from ketaclinic.clinical.screening.model import RuleSet


def parse_rule_set(text: str, source: str) -> RuleSet:
    """Parse one rule set from YAML text; ``source`` names it in errors."""
    return datafiles.parse(text, source, RuleSet, RuleSetError)


def load_rule_set_file(path: Path | Traversable) -> RuleSet:
    """Load one YAML file; its name (without ``.yaml``) must be the rule set's id."""
    return datafiles.load_file(path, RuleSet, RuleSetError)


def load_rule_sets(directory: Path | None = None) -> dict[str, RuleSet]:
    """All rule sets in ``directory`` (default: the packaged ones), by id.

    Call it at start-up: every file is validated, and the first bad one raises
    ``RuleSetError`` naming file, line and reason.
    """
    if directory is None:
        return dict(_packaged_rule_sets())
    return _load_directory(directory)


def get_rule_set(rule_set_id: str) -> RuleSet:
    """One packaged rule set by id (``iv_ketamine_mood``, ``esketamine_nasal``, ...)."""
    rule_sets = _packaged_rule_sets()
    try:
        return rule_sets[rule_set_id]
    except KeyError:
        raise UnknownRuleSetError(rule_set_id, tuple(rule_sets)) from None


@lru_cache(maxsize=1)
def _packaged_rule_sets() -> dict[str, RuleSet]:
    return _load_directory(files("ketaclinic.clinical.screening") / "rules")


def _load_directory(directory: Path | Traversable) -> dict[str, RuleSet]:
    return datafiles.load_directory(directory, RuleSet, RuleSetError)
