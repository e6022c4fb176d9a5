"""YAML data files (rule sets, protocols) loaded into pydantic models, naming the
file and line of the first problem. Pure: a bad clinical data file must stop
start-up with a message a person can act on ("protocols/x.yaml:12: ...").
"""

from __future__ import annotations

from collections.abc import Hashable
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class LocatedProblem(ValueError):
    """A problem found by a model validator; ``line`` (1-based) says where, when known."""

    def __init__(self, problem: str, line: int | None) -> None:
        self.line = line
        super().__init__(problem)


class DataFileError(ValueError):
    """A data file is malformed; the message reads ``file:line: reason``."""

    code = "data_file_invalid"

    def __init__(self, source: str, line: int | None, problem: str) -> None:
        self.source = source
        self.line = line
        self.problem = problem
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {problem}")


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


def parse(text: str, source: str, model: type[M], error: type[DataFileError] = DataFileError) -> M:
    """Parse one ``model`` from YAML text; ``source`` names it in errors."""
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise error(source, line, f"invalid YAML: {exc.problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise error(source, None, f"invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise error(source, 1, "expected a mapping at the top level")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        line, problem = _describe(exc, data)
        raise error(source, line, problem) from exc


def load_file(
    path: Path | Traversable, model: type[M], error: type[DataFileError] = DataFileError
) -> M:
    """Load one YAML file; its name (without ``.yaml``) must be the model's ``id``."""
    loaded = parse(path.read_text(encoding="utf-8"), path.name, model, error)
    found_id = getattr(loaded, "id", None)
    if found_id != path.name.removesuffix(".yaml"):
        raise error(path.name, 1, f"id {found_id!r} does not match the file name")
    return loaded


def load_directory(
    directory: Path | Traversable, model: type[M], error: type[DataFileError] = DataFileError
) -> dict[str, M]:
    """Every ``*.yaml`` in ``directory`` by id (file names equal ids, so none repeat)."""
    paths = sorted(
        (path for path in directory.iterdir() if path.name.endswith(".yaml")),
        key=lambda path: path.name,
    )
    # load_file checked that each id is its file name.
    return {p.name.removesuffix(".yaml"): load_file(p, model, error) for p in paths}


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
