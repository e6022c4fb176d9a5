"""The words of a session note, as data (``vocabulary.yaml``). Pure.

Side effects staff record, the rescue medications they may give with their usual
doses (docs/clinical-references.md#rescue-medications, practice), and adverse-event
grades (CTCAE v5.0; practice, not in the clinical references).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Literal

from pydantic import Field, model_validator

from ketaclinic.clinical import datafiles
from ketaclinic.clinical.chairside._models import Frozen, Key, NonEmpty, Text

Route = Literal["iv", "im", "po", "odt", "sl"]
ROUTE_LABELS: Mapping[str, str] = MappingProxyType(
    {"iv": "IV", "im": "IM", "po": "by mouth", "odt": "as a dissolving tablet", "sl": "sublingual"}
)


class VocabularyError(datafiles.DataFileError):
    code = "vocabulary_invalid"


class SideEffect(Frozen):
    key: Key
    label: Text


class RescueMedication(Frozen):
    key: Key
    label: Text
    usual_dose: Text  # "4" or "1-2", in ``unit``
    unit: Literal["mg"]
    routes: Annotated[tuple[Route, ...], NonEmpty]
    max_single_dose: Annotated[Decimal, Field(gt=0)]
    for_effects: Annotated[tuple[Key, ...], NonEmpty]
    source: Text


class Grade(Frozen):
    grade: Annotated[int, Field(ge=1, le=5)]
    label: Text


class Vocabulary(Frozen):
    side_effects: Annotated[tuple[SideEffect, ...], NonEmpty]
    side_effects_source: Text
    medications: Annotated[tuple[RescueMedication, ...], NonEmpty]
    grades: tuple[Grade, ...]
    grades_source: Text

    @model_validator(mode="after")
    def _consistent(self) -> Vocabulary:
        for name, keys in (
            ("side_effects", [e.key for e in self.side_effects]),
            ("medications", [m.key for m in self.medications]),
        ):
            repeated = sorted({key for key in keys if keys.count(key) > 1})
            if repeated:
                raise ValueError(f"{name}: repeated keys {', '.join(repeated)}")
        effects = {e.key for e in self.side_effects}
        for med in self.medications:
            unknown = [key for key in med.for_effects if key not in effects]
            if unknown:
                raise ValueError(f"{med.key}: unknown side effects {', '.join(unknown)}")
        if [g.grade for g in self.grades] != [1, 2, 3, 4, 5]:
            raise ValueError("grades must be 1 to 5, in order")
        return self

    def effect(self, key: str) -> SideEffect:
        for effect in self.side_effects:
            if effect.key == key:
                return effect
        raise KeyError(f"unknown side effect {key!r}")

    def medication(self, key: str) -> RescueMedication:
        for med in self.medications:
            if med.key == key:
                return med
        raise KeyError(f"unknown rescue medication {key!r}")

    def grade(self, grade: int) -> Grade:
        for known in self.grades:
            if known.grade == grade:
                return known
        raise KeyError(f"unknown grade {grade!r}")


def load_vocabulary(path: Path | None = None) -> Vocabulary:
    """The vocabulary in ``path`` (default: the packaged ``vocabulary.yaml``)."""
    if path is None:
        return _packaged()
    return datafiles.parse(path.read_text(encoding="utf-8"), path.name, Vocabulary, VocabularyError)


@lru_cache(maxsize=1)
def _packaged() -> Vocabulary:
    resource = files("ketaclinic.clinical.chairside") / "vocabulary.yaml"
    text = resource.read_text(encoding="utf-8")
    return datafiles.parse(text, resource.name, Vocabulary, VocabularyError)


def dose_problem(med: RescueMedication, dose: Decimal | int | float, route: str) -> str | None:
    """Why this dose (in ``med.unit``) by this route is not a usual one; None when fine."""
    if route not in med.routes:
        given = ", ".join(ROUTE_LABELS[r] for r in med.routes)
        return f"{med.label} is not given {ROUTE_LABELS.get(route, route)} here; routes: {given}"
    amount = Decimal(str(dose))
    if amount <= 0:
        return f"the dose must be above 0 {med.unit}"
    if amount > med.max_single_dose:
        return (
            f"{amount} {med.unit} is above the largest single dose of {med.label} "
            f"({med.max_single_dose} {med.unit})"
        )
    return None
