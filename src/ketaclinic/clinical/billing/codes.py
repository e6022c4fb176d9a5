"""The billing code book (``codes.yaml``): every code a visit may produce, with the
dates it applies to and its source. Pure.

A code is picked by the date of service, so a replaced code (S0013 by J0013 on
1 January 2026) is a new entry with its own dates and the past is billed as it was.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from importlib.resources import files
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ketaclinic.clinical.datafiles import DataFileError, load_file

Kind = Literal[
    "administration", "evaluation", "esketamine_visit", "esketamine_drug", "unlisted_drug"
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Timing(_Frozen):
    push_max_min: int = Field(gt=0)
    first_hour_min: int = Field(gt=0)
    additional_hour_min: int = Field(gt=0)
    additional_part_over_min: int = Field(ge=0)
    source: str = Field(min_length=10)


class Code(_Frozen):
    code: str = Field(pattern=r"^[0-9A-Z]{5}$")
    kind: Kind
    description: str
    effective_from: date
    effective_to: date | None = None
    max_mg: int | None = None
    min_mg_exclusive: int | None = None
    per_mg: int | None = None
    source: str = Field(min_length=10)

    @model_validator(mode="after")
    def _dates_in_order(self) -> Code:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError(f"{self.code}: effective_to is before effective_from")
        return self

    def applies_on(self, day: date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )


class CodeBook(_Frozen):
    id: str
    timing: Timing
    codes: tuple[Code, ...]
    place_of_service: str = Field(pattern=r"^[0-9]{2}$")
    place_of_service_source: str
    evaluation_modifier: str = Field(pattern=r"^[0-9A-Z]{2}$")
    evaluation_modifier_source: str
    diagnosis_pointers_per_line: int = Field(ge=1, le=4)
    diagnosis_codes_per_claim: int = Field(ge=1, le=12)
    diagnosis_source: str

    @model_validator(mode="after")
    def _no_overlapping_dates(self) -> CodeBook:
        seen: dict[str, list[Code]] = {}
        for code in self.codes:
            for other in seen.get(code.code, []):
                if code.applies_on(other.effective_from) or other.applies_on(code.effective_from):
                    raise ValueError(f"{code.code} has two entries for the same dates")
            seen.setdefault(code.code, []).append(code)
        return self

    def get(self, code: str, day: date) -> Code:
        """The entry of ``code`` that applies on ``day``; ``CodeNotInEffect`` otherwise."""
        for entry in self.codes:
            if entry.code == code and entry.applies_on(day):
                return entry
        raise CodeNotInEffect(code, day)

    def of_kind(self, kind: Kind, day: date) -> tuple[Code, ...]:
        return tuple(c for c in self.codes if c.kind == kind and c.applies_on(day))

    def known(self, code: str) -> bool:
        return any(entry.code == code for entry in self.codes)


class CodeNotInEffect(LookupError):
    def __init__(self, code: str, day: date) -> None:
        self.code = code
        self.day = day
        super().__init__(f"{code} is not in effect on {day.isoformat()}")


@cache
def code_book() -> CodeBook:
    """The packaged code book, loaded and checked once."""
    return load_file(files(__package__) / "codes.yaml", CodeBook, DataFileError)
