"""Errors raised while loading instrument definitions or scoring answers."""

from __future__ import annotations

from collections.abc import Mapping


class InstrumentDefinitionError(ValueError):
    """An instrument YAML file is malformed; the message names the file."""

    code = "instrument_definition_invalid"

    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}")


class UnknownInstrumentError(LookupError):
    """No instrument with the requested id is defined."""

    code = "instrument_unknown"

    def __init__(self, instrument_id: str, known: tuple[str, ...]) -> None:
        self.instrument_id = instrument_id
        super().__init__(f"unknown instrument {instrument_id!r}; known: {', '.join(known)}")


class ScoringError(ValueError):
    """Answers cannot be scored; ``fields`` maps each offending item id to why.

    Every problem is collected before raising, so a form can show all of them
    next to their questions at once. ``code`` and ``status_code`` let the web
    layer render it like any other business error.
    """

    code = "answers_invalid"
    status_code = 422

    def __init__(self, instrument_id: str, fields: Mapping[str, str]) -> None:
        self.instrument_id = instrument_id
        self.fields: dict[str, str] = dict(fields)
        details = "; ".join(f"{item}: {why}" for item, why in self.fields.items())
        super().__init__(f"{instrument_id}: cannot score answers ({details})")
