"""Which of a patient's chart medications fall in an interacting class. Pure.

The classes and their drug names are data (``interacting.yaml``, each class with
its source). Screening reads the chart's list as well as the intake's answer, so a
lamotrigine on the chart is not screened "eligible" because the intake said "none".
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from importlib.resources import files

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ketaclinic.clinical import datafiles
from ketaclinic.clinical.screening.facts import MEDICATION_CLASSES


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MedicationClass(_Frozen):
    code: str
    label: str
    why: str
    source: str = Field(min_length=1)
    names: tuple[str, ...] = Field(min_length=1)


class InteractingMedications(_Frozen):
    id: str
    version: str
    source: str = Field(min_length=1)
    classes: tuple[MedicationClass, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _known_codes(self) -> InteractingMedications:
        for entry in self.classes:
            if entry.code not in MEDICATION_CLASSES:
                raise ValueError(f"unknown class {entry.code!r}; known: {MEDICATION_CLASSES}")
            if any(name != name.lower() or " " in name for name in entry.names):
                raise ValueError(f"{entry.code}: names are single lower-case words")
        return self


@lru_cache(maxsize=1)
def interacting_medications() -> InteractingMedications:
    path = files("ketaclinic.clinical.screening.medications") / "interacting.yaml"
    return datafiles.load_file(path, InteractingMedications)


def _words(medicine: str) -> set[str]:
    return {word.strip(".,;:()/[]-").lower() for word in medicine.replace("/", " ").split()}


def classes_on_chart(
    medicines: Iterable[str], table: InteractingMedications | None = None
) -> dict[str, list[str]]:
    """Class code -> the chart medicines (as written) in it; classes without one left out."""
    table = table or interacting_medications()
    found: dict[str, list[str]] = {}
    for medicine in medicines:
        words = _words(medicine)
        for entry in table.classes:
            if words & set(entry.names):
                found.setdefault(entry.code, []).append(medicine)
    return found
