"""Counts, the discrepancies they open and their resolution, and a loss's filings."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.auth.service import user_names
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.fields import Id
from ketaclinic.kit.web import DbSession, Form
from ketaclinic.ledger import counts, service
from ketaclinic.ledger import errors as ledger_errors
from ketaclinic.ledger import repository as repo
from ketaclinic.ledger.deps import witnesses_for
from ketaclinic.ledger.schemas import (
    CountIn,
    FilingIn,
    ResolutionIn,
)
from ketaclinic.ledger.views.common import (
    Refused,
    _attempt,
    _flat,
    _page,
    _parse,
    _values,
    _witness,
)
from ketaclinic.ledger.views.stock_pages import _container_page

router = APIRouter(include_in_schema=False)


# ---- counts and discrepancies -----------------------------------------------------


def _count_page(
    request: Request,
    db: Session,
    principal: Principal,
    location_id: Id,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    clinic_ids = principal.require_any(Permission.LEDGER_STOCK)
    location = repo.location(db, clinic_ids, location_id)
    if location is None:
        raise ledger_errors.LocationNotFound(f"No location {location_id} in your clinics.")
    history = repo.counts(db, [location.clinic_id], location_id=location.id, limit=10)
    return _page(
        request,
        "count",
        {
            "location": location,
            "stock": repo.stock(db, [location.clinic_id], location_id=location.id),
            "history": history,
            "names": user_names(db, [c.counted_by_id for c in history]),
            "cases": repo.discrepancies(db, [location.clinic_id]),
            "values": values or {"kind": "shift", "business": "close"},
            "errors": errors or {},
        },
        status_code,
    )


@router.get("/ledger/locations/{location_id}/count")
def count_form(
    request: Request, location_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    return _count_page(request, db, principal, location_id)


@router.post("/ledger/locations/{location_id}/count")
def count(
    request: Request, form: Form, location_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    values = _values(form)
    ids = sorted(
        int(k.removeprefix("counted_"))
        for k in values
        if k.startswith("counted_") and k.removeprefix("counted_").isdigit()
    )
    lines = [
        {
            "container_id": cid,
            "counted_mg": values[f"counted_{cid}"] or None,
            "estimated": values.get(f"estimated_{cid}") == "on",
        }
        for cid in ids
    ]
    try:
        data = _parse(
            CountIn,
            {
                "location_id": location_id,
                "kind": values.get("kind", "shift"),
                "business": values.get("business", "close"),
                "lines": lines,
                "note": values.get("note", ""),
            },
        )
        result = _attempt(lambda: counts.record_count(db, principal, data))
    except Refused as refused:
        errors = {}
        for name, message in refused.errors.items():
            if name.startswith("lines."):
                index = int(name.split(".")[1])
                name = f"counted_{ids[index]}"
            errors[name] = message
        return _count_page(request, db, principal, location_id, values, errors, refused.status_code)
    if result.discrepancies:
        return RedirectResponse(
            f"/ledger/discrepancies/{result.discrepancies[0].id}", status_code=303
        )
    return RedirectResponse(f"/ledger/locations/{location_id}/count?counted=1", status_code=303)


def _case_page(
    request: Request,
    db: Session,
    principal: Principal,
    discrepancy_id: Id,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    found = repo.discrepancy(db, principal.require_any(Permission.LEDGER_READ), discrepancy_id)
    if found is None:
        raise ledger_errors.DiscrepancyNotFound(f"No discrepancy {discrepancy_id} in your clinics.")
    case, resolution = found
    stock = repo.stock_row(db, [case.clinic_id], case.container_id)
    counted = repo.count(db, [case.clinic_id], case.count_id)
    people = [counted.counted_by_id] if counted else []
    if resolution:
        people += [resolution.resolved_by_id, resolution.second_signer_id]
    return _page(
        request,
        "discrepancy",
        {
            "case": case,
            "resolution": resolution,
            "stock": stock,
            "counted": counted,
            "names": user_names(db, people),
            "can_stock": principal.can(Permission.LEDGER_STOCK, case.clinic_id),
            "values": values or {},
            "errors": errors or {},
        },
        status_code,
    )


@router.get("/ledger/discrepancies/{discrepancy_id}")
def discrepancy(
    request: Request, discrepancy_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    return _case_page(request, db, principal, discrepancy_id)


@router.post("/ledger/discrepancies/{discrepancy_id}")
def resolve(
    request: Request, form: Form, discrepancy_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    values = _values(form)
    found = repo.discrepancy(db, principal.require_any(Permission.LEDGER_READ), discrepancy_id)
    if found is None:
        raise ledger_errors.DiscrepancyNotFound(f"No discrepancy {discrepancy_id} in your clinics.")
    try:
        data = _parse(
            ResolutionIn,
            {
                "outcome": values.get("outcome", ""),
                "explanation": values.get("explanation", ""),
                "second_signer": _witness(values),
            },
        )
        [second] = _attempt(
            lambda: witnesses_for(request, db, principal, found[0].clinic_id, [data.second_signer])
        )
        _attempt(lambda: counts.resolve(db, principal, discrepancy_id, data, second))
    except Refused as refused:
        return _case_page(
            request,
            db,
            principal,
            discrepancy_id,
            values,
            _flat(refused.errors),
            refused.status_code,
        )
    return RedirectResponse(f"/ledger/discrepancies/{discrepancy_id}", status_code=303)


@router.post("/ledger/losses/{loss_id}/filings")
def file_loss(
    request: Request, form: Form, loss_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    values = _values(form)
    try:
        data = _parse(FilingIn, values)
        _attempt(lambda: service.record_filing(db, principal, loss_id, data))
    except Refused as refused:
        found = repo.entry(db, principal.require_any(Permission.LEDGER_READ), loss_id)
        if found is None:
            raise ledger_errors.LossNotFound(f"No loss {loss_id} in your clinics.") from None
        return _container_page(
            request,
            db,
            principal,
            found.container_id,
            {**values, "form": "filing"},
            refused.errors,
            refused.status_code,
        )
    return RedirectResponse("/ledger#losses", status_code=303)
