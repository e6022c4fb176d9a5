"""Which search parameters each resource type takes, and how a parameter's value
matches a resource (pure: plain dicts in, booleans out; no database, no web).

Matching follows FHIR's search rules for the types we use: ``token``
(``[system]|[code]``, a bare code matches any system), ``reference`` (``Type/id`` or
``id``), ``date`` (``eq``, ``ne``, ``lt``, ``le``, ``gt``, ``ge`` on the value's start,
at the precision given), ``string`` (case-insensitive "starts with") and ``uri``
(exact, the canonical's ``|version`` ignored). Commas are OR, repeated parameters AND.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

DEFAULT_COUNT = 50
MAX_COUNT = 200
RESULT_PARAMS = ("_count", "_offset", "_after", "_total")


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # token | reference | date | string | uri
    path: str  # dotted path into the resource
    doc: str


def _p(name: str, type_: str, path: str, doc: str) -> Param:
    return Param(name, type_, path, doc)


_ID = _p("_id", "token", "id", "The resource's id")
_UPDATED = _p("_lastUpdated", "date", "meta.lastUpdated", "When the resource last changed")
_PATIENT = _p("patient", "reference", "subject", "The patient (Patient/id or id)")
_STATUS = _p("status", "token", "status", "The status code")

SEARCH: dict[str, tuple[Param, ...]] = {
    "Patient": (
        _p("identifier", "token", "identifier", "The medical record number"),
        _p("name", "string", "name", "Any part of the name"),
        _p("family", "string", "name.family", "The family name"),
        _p("given", "string", "name.given", "A given name"),
        _p("birthdate", "date", "birthDate", "The date of birth"),
        _p("gender", "token", "gender", "Administrative gender"),
    ),
    "Practitioner": (
        _p("identifier", "token", "identifier", "The staff identifier"),
        _p("name", "string", "name", "Any part of the name"),
    ),
    "PractitionerRole": (
        _p("practitioner", "reference", "practitioner", "The practitioner"),
        _p("organization", "reference", "organization", "The clinic"),
    ),
    "Organization": (
        _p("name", "string", "name", "The clinic's name"),
        _p("identifier", "token", "identifier", "The clinic's identifier"),
    ),
    "Location": (
        _p("name", "string", "name", "The site's name"),
        _p("organization", "reference", "managingOrganization", "The clinic"),
    ),
    "Encounter": (
        _PATIENT,
        _p("date", "date", "period", "When the visit took place"),
        _STATUS,
        _p("class", "token", "class", "The encounter class (AMB)"),
        _p("type", "token", "type", "The visit type"),
    ),
    "Appointment": (
        _p("patient", "reference", "participant.actor", "The patient"),
        _p("date", "date", "start", "When the visit starts"),
        _STATUS,
    ),
    "Observation": (
        _PATIENT,
        _p("category", "token", "category", "vital-signs or survey"),
        _p("code", "token", "code", "The LOINC (or KetaClinic) code"),
        _p("date", "date", "effectiveDateTime", "When it was taken"),
        _STATUS,
    ),
    "Questionnaire": (
        _p("url", "uri", "url", "The questionnaire's canonical URL"),
        _p("name", "string", "name", "The computable name"),
        _STATUS,
    ),
    "QuestionnaireResponse": (
        _PATIENT,
        _p("authored", "date", "authored", "When it was answered"),
        _p("questionnaire", "uri", "questionnaire", "The questionnaire answered"),
        _STATUS,
    ),
    "Condition": (
        _PATIENT,
        _p("category", "token", "category", "problem-list-item"),
        _p("clinical-status", "token", "clinicalStatus", "active or inactive"),
        _p("code", "token", "code", "The ICD-10-CM code"),
    ),
    "MedicationStatement": (_PATIENT, _STATUS),
    "AllergyIntolerance": (
        _p("patient", "reference", "patient", "The patient"),
        _p("clinical-status", "token", "clinicalStatus", "active or inactive"),
    ),
    "MedicationAdministration": (
        _PATIENT,
        _p("effective-time", "date", "effective", "When the dose was given"),
        _p("context", "reference", "context", "The visit (Encounter)"),
        _STATUS,
    ),
    "MedicationRequest": (
        _PATIENT,
        _STATUS,
        _p("intent", "token", "intent", "order"),
        _p("authoredon", "date", "authoredOn", "When the plan was written"),
    ),
    "CarePlan": (
        _PATIENT,
        _p("category", "token", "category", "assess-plan"),
        _STATUS,
        _p("date", "date", "period", "The plan's period"),
    ),
}

RESOURCE_TYPES = tuple(SEARCH)


def params_of(resource_type: str) -> dict[str, Param]:
    return {p.name: p for p in (_ID, _UPDATED, *SEARCH[resource_type])}


# ---- reading values out of a resource ------------------------------------------------


def values_at(resource: Any, path: str) -> Iterator[Any]:
    """Every value at a dotted path, lists flattened; ``effective`` reads
    ``effectiveDateTime`` or ``effectivePeriod``."""
    current: list[Any] = [resource]
    for part in path.split("."):
        found: list[Any] = []
        for value in current:
            if not isinstance(value, dict):
                continue
            keys = [k for k in value if k.startswith(part)] if part == "effective" else [part]
            for key in keys:
                item = value.get(key)
                if isinstance(item, list):
                    found.extend(item)
                elif item is not None:
                    found.append(item)
        current = found
    yield from current


def _tokens(value: Any) -> Iterator[tuple[str | None, str]]:
    if isinstance(value, str | bool | int):
        yield None, str(value).lower() if isinstance(value, bool) else str(value)
    elif isinstance(value, dict):
        if "coding" in value:
            for coding in value["coding"]:
                yield from _tokens(coding)
        elif "code" in value:
            yield value.get("system"), str(value["code"])
        elif "value" in value:  # an Identifier
            yield value.get("system"), str(value["value"])


def _matches_token(value: Any, wanted: str) -> bool:
    system, bar, code = wanted.rpartition("|")
    for got_system, got_code in _tokens(value):
        if got_code != code:
            continue
        if not bar or (system == "" and got_system is None) or system == got_system:
            return True
    return False


def _matches_reference(value: Any, wanted: str) -> bool:
    reference = value.get("reference", "") if isinstance(value, dict) else ""
    if "/" in wanted:
        return bool(reference == wanted)
    return bool(reference.rsplit("/", 1)[-1] == wanted)


def _matches_string(value: Any, wanted: str) -> bool:
    wanted = wanted.lower()
    if isinstance(value, str):
        return value.lower().startswith(wanted)
    if isinstance(value, dict):  # HumanName: any part
        parts = [value.get("text", ""), value.get("family", ""), *value.get("given", [])]
        return any(p.lower().startswith(wanted) for p in parts if p)
    return False


def _matches_uri(value: Any, wanted: str) -> bool:
    return isinstance(value, str) and value.split("|", 1)[0] == wanted.split("|", 1)[0]


# ---- dates ---------------------------------------------------------------------------

PREFIXES = ("eq", "ne", "lt", "le", "gt", "ge")


@dataclass(frozen=True)
class DateBound:
    prefix: str
    low: datetime  # the value's range at its precision: [low, high)
    high: datetime


def parse_date(text: str) -> DateBound:
    """``[prefix]YYYY[-MM[-DD[Thh:mm[:ss][zone]]]]``; ValueError when it is not one."""
    prefix = text[:2] if text[:2] in PREFIXES else "eq"
    value = text[2:] if text[:2] in PREFIXES else text
    if len(value) == 4:
        low = datetime(int(value), 1, 1, tzinfo=UTC)
        return DateBound(prefix, low, low.replace(year=low.year + 1))
    if len(value) == 7:
        year, month = int(value[:4]), int(value[5:7])
        low = datetime(year, month, 1, tzinfo=UTC)
        high = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
        return DateBound(prefix, low, high)
    if len(value) == 10:
        found = date.fromisoformat(value)
        low = datetime(found.year, found.month, found.day, tzinfo=UTC)
        return DateBound(prefix, low, low + timedelta(days=1))
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("a time needs its zone")
    step = timedelta(seconds=1) if value.count(":") >= 2 else timedelta(minutes=1)
    return DateBound(prefix, moment.astimezone(UTC), moment.astimezone(UTC) + step)


def _start(value: Any) -> datetime | None:
    if isinstance(value, dict):
        value = value.get("start")
    if not isinstance(value, str):
        return None
    if len(value) == 10:
        found = date.fromisoformat(value)
        return datetime(found.year, found.month, found.day, tzinfo=UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _matches_date(value: Any, bound: DateBound) -> bool:
    start = _start(value)
    if start is None:
        return False
    inside = bound.low <= start < bound.high
    return {
        "eq": inside,
        "ne": not inside,
        "lt": start < bound.low,
        "le": start < bound.high,
        "gt": start >= bound.high,
        "ge": start >= bound.low,
    }[bound.prefix]


def matches(resource: dict[str, Any], param: Param, wanted: list[str | DateBound]) -> bool:
    """Whether any value at the parameter's path matches any of the wanted values."""
    for value in values_at(resource, param.path):
        for one in wanted:
            if isinstance(one, DateBound):
                if _matches_date(value, one):
                    return True
            elif (
                (param.type == "token" and _matches_token(value, one))
                or (param.type == "reference" and _matches_reference(value, one))
                or (param.type == "string" and _matches_string(value, one))
                or (param.type == "uri" and _matches_uri(value, one))
            ):
                return True
    return False
