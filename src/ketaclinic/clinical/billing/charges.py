"""The charge lines a completed visit earns, from what was charted. Pure.

``charges_for(visit)`` reads the route, the charted infusion time, the dose given,
the product's NDC, a prescriber's separately documented evaluation and the
patient's ICD-10-CM codes, and answers the lines of a claim with the codes in
effect on the date of service (codes.yaml; docs/clinical-references.md#billing-codes).
It never prices: the clinic's fee schedule does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal, Protocol

from ketaclinic.clinical.billing.codes import CodeBook, code_book
from ketaclinic.clinical.billing.time_rules import iv_codes

Route = Literal["iv", "im", "intranasal", "sublingual"]
EVALUATION_CODES = ("99212", "99213", "99214", "99215")
# ICD-10-CM: a letter (not U), a digit, a digit or letter, then up to four after a dot.
_ICD10CM = re.compile(r"^[A-TV-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")
POINTER_LETTERS = "ABCDEFGHIJKL"


@dataclass(frozen=True)
class Visit:
    """What the chart says about one completed visit."""

    date_of_service: date
    route: Route
    drug: Literal["ketamine", "esketamine"]
    given_mg: Decimal | None  # None: the chart does not record the amount
    infused_min: Decimal = Decimal(0)  # IV only: the charted infusion clock
    ndc: str | None = None  # the product given (ketamine is billed by NDC)
    evaluation: str | None = None  # 99212-99215 when the prescriber documented one
    diagnoses: tuple[str, ...] = ()  # ICD-10-CM, primary first


@dataclass(frozen=True)
class Line:
    code: str
    description: str
    units: int
    modifiers: tuple[str, ...] = ()
    ndc: str | None = None
    ndc_quantity: Decimal | None = None
    ndc_unit: str | None = None  # ME = milligram (NUCC 24A shaded)
    pointers: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class Charges:
    date_of_service: date
    place_of_service: str
    diagnoses: tuple[str, ...]
    lines: tuple[Line, ...]
    problems: dict[str, str] = field(default_factory=dict)


class _MakeLine(Protocol):
    def __call__(self, code: str, units: int, **extra: Any) -> Line: ...


def is_icd10cm(code: str) -> bool:
    return bool(_ICD10CM.match(code))


def charges_for(visit: Visit, book: CodeBook | None = None) -> Charges:
    b = book or code_book()
    day = visit.date_of_service
    problems: dict[str, str] = {}
    diagnoses = tuple(d for d in visit.diagnoses if is_icd10cm(d))[: b.diagnosis_codes_per_claim]
    if not diagnoses:
        problems["diagnoses"] = "the patient has no ICD-10-CM diagnosis to point the lines to"
    pointers = tuple(POINTER_LETTERS[i] for i in range(len(diagnoses)))[
        : b.diagnosis_pointers_per_line
    ]

    def line(code: str, units: int, **extra: Any) -> Line:
        entry = b.get(code, day)
        return Line(
            code=code,
            description=entry.description,
            units=units,
            pointers=pointers,
            source=entry.source,
            **extra,
        )

    lines: list[Line] = []
    if visit.evaluation is not None:
        if visit.evaluation not in EVALUATION_CODES:
            problems["evaluation"] = "choose one of " + ", ".join(EVALUATION_CODES)
        else:
            modifier = (b.evaluation_modifier,)
            lines.append(line(visit.evaluation, 1, modifiers=modifier))
    given = visit.given_mg
    if given is not None and given <= 0:
        pass  # nothing was given: no administration, no drug
    elif visit.drug == "esketamine":
        if given is None:
            problems["given_mg"] = "the chart does not record the dose: G2082/G2083 depend on it"
        else:
            lines.extend(_esketamine(b, day, given, line))
    else:
        lines.extend(_ketamine(visit, line))
        if any(x.code == "J3490" and not x.ndc for x in lines):
            problems["ndc"] = "ketamine is billed as J3490 with the product's NDC"
        if given is None and visit.route in ("iv", "im"):
            problems["given_mg"] = "the chart does not record the amount given: no J3490 line"
    return Charges(day, b.place_of_service, diagnoses, tuple(lines), problems)


def _esketamine(b: CodeBook, day: date, given: Decimal, make: _MakeLine) -> list[Line]:
    visit_code = next(
        c.code
        for c in b.of_kind("esketamine_visit", day)
        if (c.max_mg is not None and given <= c.max_mg)
        or (c.min_mg_exclusive is not None and given > c.min_mg_exclusive)
    )
    (drug,) = b.of_kind("esketamine_drug", day)
    units = int(given.to_integral_value()) // (drug.per_mg or 1)
    return [make(visit_code, 1), make(drug.code, units)]


def _ketamine(visit: Visit, make: _MakeLine) -> list[Line]:
    out: list[Line] = []
    if visit.route == "iv":
        out.extend(make(code, units) for code, units in iv_codes(visit.infused_min))
    elif visit.route == "im":
        out.append(make("96372", 1))
    else:
        # Sublingual ketamine is taken by the patient: no administration or drug
        # code is billed by the clinic (a pharmacy dispenses it).
        return out
    if visit.given_mg is not None:
        out.append(make("J3490", 1, ndc=visit.ndc, ndc_quantity=visit.given_mg, ndc_unit="ME"))
    return out
