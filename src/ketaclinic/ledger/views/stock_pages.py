"""The ledger's overview, receipts and one container's history, move, destruction and loss."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.responses import Response

from ketaclinic.audit import service as audit
from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.auth.service import user_names
from ketaclinic.clinics.models import Clinic
from ketaclinic.clinics.service import today_at
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.fields import Id
from ketaclinic.kit.time import today_in
from ketaclinic.kit.web import DbSession, Form
from ketaclinic.ledger import counts, service
from ketaclinic.ledger import errors as ledger_errors
from ketaclinic.ledger import repository as repo
from ketaclinic.ledger.deps import witnesses_for
from ketaclinic.ledger.schemas import (
    DestroyIn,
    LossIn,
    ReceiptIn,
)
from ketaclinic.ledger.views.common import (
    Refused,
    _attempt,
    _clinic,
    _flat,
    _page,
    _parse,
    _patient_labels,
    _values,
    _witness,
)

router = APIRouter(include_in_schema=False)


# ---- the overview -----------------------------------------------------------------


@router.get("/ledger")
def overview(request: Request, principal: CurrentPrincipal, db: DbSession) -> Response:
    clinic = _clinic(request, db, principal)
    ids = [clinic.id]
    open_draws = service.open_draws(db, principal, ids)
    recent = repo.entries(db, ids, newest_first=True, limit=25)
    people = _patient_labels(db, principal, clinic, [*recent, *(d for d, _s in open_draws)])
    names = user_names(db, [e.by_id for e in recent])
    today = today_at(db, clinic.id)
    cases = counts.open_cases(db, principal, ids)
    stock = repo.stock(db, ids)
    labels = {c.id: c.label for c, *_ in repo.stock(db, ids, include_empty=True)}
    audit.record(
        db,
        principal,
        "ledger.viewed",
        clinic_id=clinic.id,
        resource_type="cs_ledger",
        detail={"open_draws": len(open_draws)},
    )
    return _page(
        request,
        "index",
        {
            "clinic": clinic,
            "locations": repo.locations(db, ids),
            "stock": stock,
            "open_draws": open_draws,
            "recent": recent,
            "people": people,
            "names": names,
            "cases": cases,
            "labels": labels,
            "losses": service.losses(db, principal),
            "today": today,
            "can_stock": principal.can(Permission.LEDGER_STOCK, clinic.id),
            "can_draw": principal.can(Permission.LEDGER_ADMINISTER, clinic.id),
        },
    )


# ---- receive ----------------------------------------------------------------------


def _receive_page(
    request: Request,
    db: Session,
    principal: Principal,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    clinic = _clinic(request, db, principal, Permission.LEDGER_STOCK)
    return _page(
        request,
        "receive",
        {
            "clinic": clinic,
            "products": repo.products(db),
            "locations": repo.locations(db, [clinic.id]),
            "values": values,
            "errors": errors,
        },
        status_code,
    )


@router.get("/ledger/receive")
def receive_form(request: Request, principal: CurrentPrincipal, db: DbSession) -> Response:
    today = today_in(_clinic(request, db, principal, Permission.LEDGER_STOCK).timezone).isoformat()
    return _receive_page(request, db, principal, {"received_on": today, "containers": "1"}, {})


@router.post("/ledger/receive")
def receive(request: Request, form: Form, principal: CurrentPrincipal, db: DbSession) -> Response:
    values = _values(form)
    try:
        data = _parse(ReceiptIn, values)
        entries = _attempt(lambda: service.receive(db, principal, data))
    except Refused as refused:
        return _receive_page(request, db, principal, values, refused.errors, refused.status_code)
    return RedirectResponse(f"/ledger/containers/{entries[0].container_id}", status_code=303)


# ---- a container: history, move, destroy, loss ------------------------------------


def _container_page(
    request: Request,
    db: Session,
    principal: Principal,
    container_id: Id,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    found = repo.stock_row(db, principal.require_any(Permission.LEDGER_READ), container_id)
    if found is None:
        raise ledger_errors.ContainerNotFound(f"No container {container_id} in your clinics.")
    container = found[0]
    clinic = db.get(Clinic, container.clinic_id)
    assert clinic is not None
    rows = repo.entries(db, [clinic.id], container_id=container.id)
    names = service.people_of(db, rows)
    return _page(
        request,
        "container",
        {
            "stock": found,
            "rows": rows,
            "names": names,
            "clinic": clinic,
            "people": _patient_labels(db, principal, clinic, rows),
            "locations": repo.locations(db, [clinic.id]),
            "witness_ids": service.witness_ids_of,
            "can_stock": principal.can(Permission.LEDGER_STOCK, clinic.id),
            "today": today_at(db, clinic.id),
            "values": values or {},
            "errors": errors or {},
        },
        status_code,
    )


@router.get("/ledger/containers/{container_id}")
def container_detail(
    request: Request, container_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    return _container_page(request, db, principal, container_id)


def _on_container(
    request: Request,
    form: Form,
    container_id: int,
    principal: Principal,
    db: Session,
    name: str,
    act: Callable[[dict[str, str], int], object],
) -> Response:
    """Run one of the container's actions (``act`` gets the form and the container's
    clinic); a refusal shows the container again with its form."""
    values = _values(form)
    found = repo.container(db, principal.require_any(Permission.LEDGER_READ), container_id)
    if found is None:
        raise ledger_errors.ContainerNotFound(f"No container {container_id} in your clinics.")
    try:
        act(values, found.clinic_id)
    except Refused as refused:
        return _container_page(
            request,
            db,
            principal,
            container_id,
            {**values, "form": name},
            _flat(refused.errors),
            refused.status_code,
        )
    return RedirectResponse(f"/ledger/containers/{container_id}", status_code=303)


@router.post("/ledger/containers/{container_id}/transfer")
def container_transfer(
    request: Request, form: Form, container_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    def act(values: dict[str, str], _clinic_id: int) -> object:
        target = _parse(_Target, values).to_location_id
        return _attempt(lambda: service.transfer(db, principal, container_id, target))

    return _on_container(request, form, container_id, principal, db, "transfer", act)


@router.post("/ledger/containers/{container_id}/destroy")
def container_destroy(
    request: Request, form: Form, container_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    """Destruction, before two witnesses."""

    def act(values: dict[str, str], clinic_id: int) -> object:
        given = [_witness(values), _witness(values, "witness2")]
        fields = ("amount_mg", "method", "reason", "destroyed_on")
        data = _parse(DestroyIn, {**{k: values.get(k, "") for k in fields}, "witnesses": given})
        people = _attempt(lambda: witnesses_for(request, db, principal, clinic_id, data.witnesses))
        return _attempt(lambda: service.destroy(db, principal, container_id, data, people))

    return _on_container(request, form, container_id, principal, db, "destroy", act)


@router.post("/ledger/containers/{container_id}/loss")
def container_loss(
    request: Request, form: Form, container_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    def act(values: dict[str, str], _clinic_id: int) -> object:
        loss = _parse(LossIn, values)
        return _attempt(lambda: service.record_loss(db, principal, container_id, loss))

    return _on_container(request, form, container_id, principal, db, "loss", act)


class _Target(BaseModel):
    to_location_id: Id
