"""Reading and searching FHIR resources: the query's parameters checked, the
resources of the caller's clinics built, filtered and paged into a searchset
Bundle, and every patient whose record is read put on the audit trail.

The clinics come from ``deps.require_fhir`` (the one permission check of the FHIR
server); this layer never widens them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.fhir import catalog
from ketaclinic.fhir.catalog import Found, Scope
from ketaclinic.fhir.errors import (
    FhirInvalidParameter,
    FhirResourceNotFound,
    FhirSearchNeedsPatient,
    FhirUnknownParameter,
)
from ketaclinic.fhir.mapping_care import ProtocolFacts
from ketaclinic.fhir.search import (
    DEFAULT_COUNT,
    MAX_COUNT,
    RESULT_PARAMS,
    DateBound,
    Param,
    matches,
    params_of,
    parse_date,
)
from ketaclinic.identity.principal import Principal

T = TypeVar("T", int, str)

# Reference parameters name one resource type: a bare id is read as that type's.
_TARGETS = {
    "patient": "Patient",
    "practitioner": "Practitioner",
    "organization": "Organization",
    "context": "Encounter",
}
# Searching these without naming the patient would build every clinic's rows.
_NEEDS_PATIENT = frozenset({"Observation"})
_FORMATS = frozenset({"json", "application/json", "application/fhir+json"})


@dataclass
class Query:
    filters: list[tuple[Param, list[str | DateBound]]] = field(default_factory=list)
    patient_ids: list[int] | None = None
    ids: list[str] | None = None
    count: int = DEFAULT_COUNT
    offset: int = 0


def _whole(name: str, value: str, low: int, high: int) -> int:
    if not value.isdigit() or not low <= int(value) <= high:
        raise FhirInvalidParameter(f"{name} must be a whole number from {low} to {high}", name)
    return int(value)


def _id_of(value: str, resource_type: str) -> int | None:
    tail = value.removeprefix(f"{resource_type}/")
    return int(tail) if tail.isdigit() and len(tail) < 10 else None


def parse_query(resource_type: str, items: Sequence[tuple[str, str]]) -> Query:
    """The search's parameters, checked: 400 naming an unknown parameter, a modifier
    we do not support, or a value that cannot be one."""
    known = params_of(resource_type)
    unknown = sorted(
        {n for n, _ in items if n not in known and n not in RESULT_PARAMS and n != "_format"}
    )
    if unknown:
        taken = ", ".join(sorted([*known, *RESULT_PARAMS]))
        message = f"Unknown search parameter: {', '.join(unknown)} ({resource_type} takes {taken})"
        raise FhirUnknownParameter(message, unknown[0])
    query = Query()
    for name, value in items:
        if name == "_count":
            query.count = _whole(name, value, 0, MAX_COUNT)
        elif name == "_offset":
            query.offset = _whole(name, value, 0, 10**6)
        elif name == "_total":
            if value not in ("none", "estimate", "accurate"):
                raise FhirInvalidParameter("_total is none, estimate or accurate", name)
        elif name == "_format":
            if value not in _FORMATS:
                raise FhirInvalidParameter("only JSON is served (application/fhir+json)", name)
        else:
            _add_filter(query, resource_type, known[name], value)
    return query


def _add_filter(query: Query, resource_type: str, param: Param, value: str) -> None:
    values = [v.strip() for v in value.split(",")]
    if not value or any(not v for v in values):
        raise FhirInvalidParameter(f"{param.name} needs a value", param.name)
    wanted: list[str | DateBound] = []
    for one in values:
        if param.type == "date":
            try:
                wanted.append(parse_date(one))
            except ValueError:
                raise FhirInvalidParameter(
                    f"{param.name}: {one!r} is not a FHIR date (e.g. ge2026-01-31)", param.name
                ) from None
        elif param.name in _TARGETS:
            target = _TARGETS[param.name]
            wanted.append(one if "/" in one else f"{target}/{one}")
        else:
            wanted.append(one)
    query.filters.append((param, wanted))
    if param.name == "patient" or (param.name == "_id" and resource_type == "Patient"):
        named = {i for i in (_id_of(str(v), "Patient") for v in wanted) if i is not None}
        query.patient_ids = _narrowed(query.patient_ids, named)
    if param.name == "_id":
        query.ids = _narrowed(query.ids, {str(v) for v in wanted})


def _narrowed(before: list[T] | None, named: set[T]) -> list[T]:
    """Repeated parameters are AND: only what every one of them names."""
    return sorted(named if before is None else named & set(before))


def _audit(
    db: Session,
    principal: Principal,
    action: str,
    resource_type: str,
    found: list[Found],
    **detail: Any,
) -> None:
    """The records read, on the audit trail: one patient's, as an event on their
    chart; several patients' (a search across the clinic), one event per clinic
    naming them, as the patient list's search is recorded."""
    by_clinic: dict[int | None, dict[int, list[str]]] = {}
    for f in found:
        if f.patient_id is not None:
            patients = by_clinic.setdefault(f.clinic_id, {})
            patients.setdefault(f.patient_id, []).append(f.resource["id"])
    for clinic_id, patients in by_clinic.items():
        [(only, ids)] = patients.items() if len(patients) == 1 else [(None, [])]
        audit.record(
            db,
            principal,
            action,
            clinic_id=clinic_id,
            patient_id=only,
            resource_type=resource_type,
            resource_id=ids[0] if len(ids) == 1 else "",
            detail={
                **detail,
                "patient_ids": sorted(patients),
                "count": sum(len(v) for v in patients.values()),
            },
        )


def read(
    db: Session,
    principal: Principal,
    clinic_ids: Sequence[int],
    resource_type: str,
    resource_id: str,
    protocols: Mapping[str, ProtocolFacts],
) -> dict[str, Any]:
    scope = Scope(clinic_ids, protocols)
    found = [
        f
        for f in catalog.build(db, resource_type, scope, None, [resource_id])
        if f.resource["id"] == resource_id
    ]
    if not found:
        raise FhirResourceNotFound(f"No {resource_type} with id {resource_id!r}.")
    _audit(db, principal, "fhir.read", resource_type, found[:1])
    return found[0].resource


def search(
    db: Session,
    principal: Principal,
    clinic_ids: Sequence[int],
    resource_type: str,
    items: Sequence[tuple[str, str]],
    base_url: str,
    protocols: Mapping[str, ProtocolFacts],
) -> dict[str, Any]:
    query = parse_query(resource_type, items)
    if resource_type in _NEEDS_PATIENT and query.patient_ids is None and query.ids is None:
        raise FhirSearchNeedsPatient(
            f"A {resource_type} search names the patient (patient=...) or the _id", "patient"
        )
    scope = Scope(clinic_ids, protocols)
    built = catalog.build(db, resource_type, scope, query.patient_ids, query.ids)
    # The patient and the ids were asked of the database; the rest is matched here.
    rest = [(p, w) for p, w in query.filters if p.name not in ("patient", "_id")]
    kept = [f for f in built if all(matches(f.resource, p, w) for p, w in rest)]
    page = kept[query.offset : query.offset + query.count]
    _audit(db, principal, "fhir.search", resource_type, page, query=urlencode(list(items)))
    return _bundle(resource_type, items, query, page, len(kept), base_url)


def _bundle(
    resource_type: str,
    items: Sequence[tuple[str, str]],
    query: Query,
    page: list[Found],
    total: int,
    base_url: str,
) -> dict[str, Any]:
    kept = [(n, v) for n, v in items if n not in RESULT_PARAMS]

    def link(relation: str, offset: int) -> dict[str, str]:
        params = [*kept, ("_count", str(query.count)), ("_offset", str(offset))]
        return {"relation": relation, "url": f"{base_url}/{resource_type}?{urlencode(params)}"}

    links = [link("self", query.offset)]
    if query.count and query.offset + query.count < total:
        links.append(link("next", query.offset + query.count))
    if query.offset > 0:
        links.append(link("previous", max(0, query.offset - query.count)))
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links,
        "entry": [
            {
                "fullUrl": f"{base_url}/{resource_type}/{f.resource['id']}",
                "resource": f.resource,
                "search": {"mode": "match"},
            }
            for f in page
        ],
    }
