"""Load rule sets from YAML, naming the file and line of any problem."""

from __future__ import annotations

from collections.abc import Hashable
from functools import lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ketaclinic.clinical.screening.errors import (
    LocatedProblem,
    RuleSetError,
    UnknownRuleSetError,
)
from ketaclinic.clinical.screening.model import RuleSet


class _Mapping(dict[Any, Any]):
    """A YAML mapping that remembers its line and the line of each key."""

    line: int | None = None
    key_lines: dict[Any, int]


class _Sequence(list[Any]):
    line: int | None = None
    item_lines: list[int]


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that records 1-based lines and refuses duplicate keys."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> _Mapping:
    loader.flatten_mapping(node)
    mapping = _Mapping()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            raise yaml.constructor.ConstructorError(
                None, None, "found an unhashable key", key_node.start_mark
            )
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


def _construct_sequence(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> _Sequence:
    sequence = _Sequence(loader.construct_object(child, deep=True) for child in node.value)
    sequence.line = node.start_mark.line + 1
    sequence.item_lines = [child.start_mark.line + 1 for child in node.value]
    return sequence


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def parse_rule_set(text: str, source: str) -> RuleSet:
    """Parse one rule set from YAML text; ``source`` names it in errors."""
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise RuleSetError(source, line, f"invalid YAML: {exc.problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise RuleSetError(source, None, f"invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise RuleSetError(source, 1, "expected a mapping at the top level")
    try:
        return RuleSet.model_validate(data)
    except ValidationError as exc:
        line, problem = _describe(exc, data)
        raise RuleSetError(source, line, problem) from exc


def load_rule_set_file(path: Path | Traversable) -> RuleSet:
    """Load one YAML file; its name (without ``.yaml``) must be the rule set's id."""
    rule_set = parse_rule_set(path.read_text(encoding="utf-8"), path.name)
    expected_id = path.name.removesuffix(".yaml")
    if rule_set.id != expected_id:
        raise RuleSetError(path.name, 1, f"id {rule_set.id!r} does not match the file name")
    return rule_set


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
    paths = sorted(
        (path for path in directory.iterdir() if path.name.endswith(".yaml")),
        key=lambda path: path.name,
    )
    # File names equal ids (checked on load), so ids cannot repeat.
    return {rule_set.id: rule_set for rule_set in map(load_rule_set_file, paths)}


def _describe(exc: ValidationError, data: Any) -> tuple[int | None, str]:
    """The line of the first problem, and every problem in words."""
    lines: list[int | None] = []
    problems: list[str] = []
    for error in exc.errors():
        cause = error.get("ctx", {}).get("error")
        line = cause.line if isinstance(cause, LocatedProblem) else None
        lines.append(line if line is not None else _line_at(data, error["loc"]))
        where = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        problems.append(f"{where}: {message}" if where else message)
    first = lines[0]
    described = [
        problem if line in {first, None} else f"{problem} (line {line})"
        for line, problem in zip(lines, problems, strict=True)
    ]
    return first, "; ".join(described)


def _line_at(data: Any, loc: tuple[int | str, ...]) -> int | None:
    """Follow a pydantic error location through the loaded YAML to a line."""
    node, line = data, getattr(data, "line", None)
    for part in loc:
        if isinstance(node, _Mapping) and part in node:
            line = node.key_lines.get(part, line)
            node = node[part]
        elif isinstance(node, _Sequence) and isinstance(part, int) and part < len(node):
            line = node.item_lines[part]
            node = node[part]
        else:
            break
    return line
