"""Reading and searching FHIR resources: the query's parameters checked, the
resources of the caller's clinics built, filtered and paged into a searchset
Bundle, and every patient whose record is read put on the audit trail.

A search that names the patient (or the ids) builds that patient's resources and
pages them by position (``_offset``). Any other search pages in SQL by the table's
row id (keyset: the next link carries ``_after``, the last row id of the page), so
memory and time follow ``_count``, not the clinic's size: the rows are read
``_count`` + 1 at a time (the extra one tells whether a next page exists), or in
chunks until ``_count`` + 1 match when a parameter is matched on the built resource.
``Bundle.total`` is given when it is known without reading further (the whole
result fitted on a first page), and on ``_total=accurate`` or ``_count=0`` (a
count read chunk by chunk, in constant memory).

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
from ketaclinic.fhir.repository import Window
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
    after: int | None = None  # keyset paging: the rows after this row id
    total: str = "estimate"


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
        elif name == "_after":
            query.after = _whole(name, value, 0, 2**31 - 1)
        elif name == "_total":
            if value not in ("none", "estimate", "accurate"):
                raise FhirInvalidParameter("_total is none, estimate or accurate", name)
            query.total = value
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
    # The patient and the ids are asked of the database; the rest is matched here.
    rest = [(p, w) for p, w in query.filters if p.name not in ("patient", "_id")]
    links: list[tuple[str, list[tuple[str, str]]]]
    if query.patient_ids is None and query.ids is None and resource_type in catalog.PAGED_BY_ROW:
        page, total, after = _scan(db, resource_type, scope, query, rest)
        links = [("self", _paging(query, query.after, query.offset))]
        if after is not None:
            links.append(("next", _paging(query, after, 0)))
    else:
        if query.after is not None:
            raise FhirInvalidParameter("_after pages a search that names no patient", "_after")
        built = catalog.build(db, resource_type, scope, query.patient_ids, query.ids)
        kept = [f for f in built if all(matches(f.resource, p, w) for p, w in rest)]
        page, total = kept[query.offset : query.offset + query.count], len(kept)
        links = [("self", _paging(query, None, query.offset))]
        if query.count and query.offset + query.count < total:
            links.append(("next", _paging(query, None, query.offset + query.count)))
        if query.offset > 0:
            links.append(("previous", _paging(query, None, max(0, query.offset - query.count))))
    _audit(db, principal, "fhir.search", resource_type, page, query=urlencode(list(items)))
    if query.total == "none":
        total = None
    return _bundle(resource_type, items, links, page, total, base_url)


# Rows read at a time when a parameter is matched on the built resource.
_CHUNK = 200


def _scan(
    db: Session,
    resource_type: str,
    scope: Scope,
    query: Query,
    rest: list[tuple[Param, list[str | DateBound]]],
) -> tuple[list[Found], int | None, int | None]:
    """One page of a search by row id: the page, the total when it is known, and the
    row id the next page starts after (None on the last page)."""
    wanted = query.count + 1
    size = wanted if not rest else max(wanted, _CHUNK)
    page: list[Found] = []
    matched = 0
    window = Window(query.after, size, full=True)
    while len(page) < wanted and window.full:
        window = Window(window.last if window.last is not None else query.after, size)
        for found in catalog.build(db, resource_type, scope, None, None, window):
            if not all(matches(found.resource, p, w) for p, w in rest):
                continue
            matched += 1
            if matched > query.offset:
                page.append(found)
                if len(page) == wanted:
                    break
    more = len(page) == wanted
    page = page[: query.count]
    after = page[-1].key if more and page else None
    total: int | None = None
    if query.after is None and not more:
        total = matched
    elif query.total == "accurate" or query.count == 0:
        total = _count_all(db, resource_type, scope, rest)
    return page, total, after


def _count_all(
    db: Session, resource_type: str, scope: Scope, rest: list[tuple[Param, list[str | DateBound]]]
) -> int:
    """Every match of the search, counted a chunk of rows at a time."""
    counted = 0
    window = Window(None, _CHUNK, full=True)
    while window.full:
        window = Window(window.last, _CHUNK)
        found = catalog.build(db, resource_type, scope, None, None, window)
        counted += sum(1 for f in found if all(matches(f.resource, p, w) for p, w in rest))
    return counted


def _paging(query: Query, after: int | None, offset: int) -> list[tuple[str, str]]:
    params = [("_count", str(query.count))]
    if after is not None:
        params.append(("_after", str(after)))
    if offset:
        params.append(("_offset", str(offset)))
    return params


def _bundle(
    resource_type: str,
    items: Sequence[tuple[str, str]],
    links: list[tuple[str, list[tuple[str, str]]]],
    page: list[Found],
    total: int | None,
    base_url: str,
) -> dict[str, Any]:
    kept = [(n, v) for n, v in items if n not in RESULT_PARAMS]
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset"}
    if total is not None:
        bundle["total"] = total
    return {
        **bundle,
        "link": [
            {"relation": r, "url": f"{base_url}/{resource_type}?{urlencode([*kept, *paging])}"}
            for r, paging in links
        ],
        "entry": [
            {
                "fullUrl": f"{base_url}/{resource_type}/{f.resource['id']}",
                "resource": f.resource,
                "search": {"mode": "match"},
            }
            for f in page
        ],
    }
