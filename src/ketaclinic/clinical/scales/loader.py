"""Load instrument definitions from YAML files shipped with the package."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

import yaml
from pydantic import ValidationError

from ketaclinic.clinical.scales.errors import (
    InstrumentDefinitionError,
    UnknownInstrumentError,
)
from ketaclinic.clinical.scales.model import Instrument


def parse_instrument(text: str, source: str) -> Instrument:
    """Parse one instrument from YAML text; ``source`` names it in errors."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InstrumentDefinitionError(source, f"invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise InstrumentDefinitionError(source, "expected a mapping at the top level")
    try:
        return Instrument.model_validate(data)
    except ValidationError as exc:
        raise InstrumentDefinitionError(source, _describe(exc)) from exc


def load_instrument_file(path: Path | Traversable) -> Instrument:
    """Load one YAML file; its name (without ``.yaml``) must be the id."""
    instrument = parse_instrument(path.read_text(encoding="utf-8"), path.name)
    expected_id = path.name.removesuffix(".yaml")
    if instrument.id != expected_id:
        raise InstrumentDefinitionError(
            path.name, f"id {instrument.id!r} does not match the file name"
        )
    return instrument


def load_instruments(directory: Path | None = None) -> dict[str, Instrument]:
    """All instruments in ``directory`` (default: the packaged ones), by id."""
    if directory is None:
        return dict(_packaged_instruments())
    return _load_directory(directory)


def get_instrument(instrument_id: str) -> Instrument:
    """One packaged instrument by id (``phq9``, ``gad7``, ...)."""
    instruments = _packaged_instruments()
    try:
        return instruments[instrument_id]
    except KeyError:
        raise UnknownInstrumentError(instrument_id, tuple(instruments)) from None


@lru_cache(maxsize=1)
def _packaged_instruments() -> dict[str, Instrument]:
    return _load_directory(files("ketaclinic.clinical.scales") / "instruments")


def _load_directory(directory: Path | Traversable) -> dict[str, Instrument]:
    found: dict[str, Instrument] = {}
    paths = sorted(
        (path for path in directory.iterdir() if path.name.endswith(".yaml")),
        key=lambda path: path.name,
    )
    # File names equal ids (checked on load), so ids cannot repeat.
    for path in paths:
        instrument = load_instrument_file(path)
        found[instrument.id] = instrument
    return found


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        problems.append(f"{where}: {message}" if where else message)
    return "; ".join(problems)
