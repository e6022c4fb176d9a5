"""A nurse's draw and what becomes of it: administered, wasted (witnessed), returned, corrected."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.clinics.models import Clinic
from ketaclinic.clinics.service import today_at
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.kit.fields import Id
from ketaclinic.kit.web import DbSession, Form
from ketaclinic.ledger import errors as ledger_errors
from ketaclinic.ledger import repository as repo
from ketaclinic.ledger import service
from ketaclinic.ledger.deps import policy_of, witnesses_for
from ketaclinic.ledger.models import CsEntry
from ketaclinic.ledger.schemas import (
    AmountIn,
    DrawIn,
    ReverseIn,
    WitnessIn,
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


# ---- draw -------------------------------------------------------------------------


def _draw_page(
    request: Request,
    db: Session,
    principal: Principal,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    clinic = _clinic(request, db, principal, Permission.LEDGER_ADMINISTER)
    today = today_at(db, clinic.id)
    usable = service.drawable(db, [clinic.id], today)
    return _page(
        request,
        "draw_new",
        {
            "clinic": clinic,
            "stock": usable,
            "patients": _active_patients(db, principal, clinic),
            "values": values,
            "errors": errors,
        },
        status_code,
    )


def _active_patients(db: Session, principal: Principal, clinic: Clinic) -> list[tuple[int, str]]:
    principal.require(Permission.PATIENT_READ, clinic.id)
    rows = repo.active_patients(db, [clinic.id])
    return [(p.id, f"{p.family_name}, {p.given_name} ({p.mrn})") for p in rows]


@router.get("/ledger/draw")
def draw_form(
    request: Request, principal: CurrentPrincipal, db: DbSession, patient_id: Id | None = None
) -> Response:
    return _draw_page(request, db, principal, {"patient_id": patient_id}, {})


@router.post("/ledger/draw")
def draw(request: Request, form: Form, principal: CurrentPrincipal, db: DbSession) -> Response:
    values = _values(form)
    try:
        data = _parse(DrawIn, {k: v for k, v in values.items() if v != ""})
        entry = _attempt(lambda: service.draw(db, principal, data))
    except Refused as refused:
        return _draw_page(request, db, principal, values, refused.errors, refused.status_code)
    return RedirectResponse(f"/ledger/draws/{entry.id}", status_code=303)


def _draw_entry(db: Session, principal: Principal, draw_id: Id) -> CsEntry:
    try:
        return service.get_draw(db, principal, draw_id)
    except KetaClinicError as exc:
        raise ledger_errors.DrawNotFound(f"No draw {draw_id} in your clinics.") from exc


def _draw_detail(
    request: Request,
    db: Session,
    principal: Principal,
    draw_id: Id,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    entry = _draw_entry(db, principal, draw_id)
    clinic = db.get(Clinic, entry.clinic_id)
    assert clinic is not None
    rows = [entry, *repo.draw_entries(db, [clinic.id], entry.id)]
    found = repo.stock_row(db, [clinic.id], entry.container_id)
    assert found is not None
    names = service.people_of(db, rows)
    return _page(
        request,
        "draw",
        {
            "draw": entry,
            "state": service.draw_state(db, principal, entry),
            "rows": rows,
            "stock": found,
            "names": names,
            "patient": _patient_labels(db, principal, clinic, [entry]),
            "witness_ids": service.witness_ids_of,
            "needed": policy_of(request).waste_witnesses,
            "can_draw": principal.can(Permission.LEDGER_ADMINISTER, clinic.id),
            "values": values or {},
            "errors": errors or {},
        },
        status_code,
    )


@router.get("/ledger/draws/{draw_id}")
def draw_detail(
    request: Request, draw_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    return _draw_detail(request, db, principal, draw_id)


def _on_draw(
    request: Request,
    form: Form,
    draw_id: int,
    principal: Principal,
    db: Session,
    name: str,
    act: Callable[[dict[str, str], CsEntry], object],
) -> Response:
    """Run one of the draw's actions; a refusal shows the draw again with its form."""
    values = _values(form)
    source = _draw_entry(db, principal, draw_id)
    try:
        act(values, source)
    except Refused as refused:
        return _draw_detail(
            request,
            db,
            principal,
            draw_id,
            {**values, "form": name},
            _flat(refused.errors),
            refused.status_code,
        )
    return RedirectResponse(f"/ledger/draws/{draw_id}", status_code=303)


def _amount(values: dict[str, str]) -> Decimal:
    return _parse(AmountIn, {"amount_mg": values.get("amount_mg", "")}).amount_mg


@router.post("/ledger/draws/{draw_id}/administer")
def draw_administer(
    request: Request, form: Form, draw_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    def act(values: dict[str, str], _source: CsEntry) -> object:
        amount = _amount(values)
        return _attempt(lambda: service.administer(db, principal, draw_id, amount))

    return _on_draw(request, form, draw_id, principal, db, "administer", act)


@router.post("/ledger/draws/{draw_id}/return")
def draw_return(
    request: Request, form: Form, draw_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    def act(values: dict[str, str], _source: CsEntry) -> object:
        amount = _amount(values)
        return _attempt(lambda: service.return_to_stock(db, principal, draw_id, amount))

    return _on_draw(request, form, draw_id, principal, db, "return", act)


@router.post("/ledger/draws/{draw_id}/waste")
def draw_waste(
    request: Request, form: Form, draw_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    """Waste with as many witnesses as the clinic's policy asks."""

    def act(values: dict[str, str], source: CsEntry) -> object:
        needed = policy_of(request).waste_witnesses
        given = [
            _witness(values, "witness" if i == 0 else f"witness{i + 1}") for i in range(needed)
        ]
        parsed = [_parse(WitnessIn, w) for w in given]
        amount = _amount(values)
        people = _attempt(lambda: witnesses_for(request, db, principal, source.clinic_id, parsed))
        return _attempt(
            lambda: service.waste(db, principal, draw_id, amount, people, policy_of(request))
        )

    return _on_draw(request, form, draw_id, principal, db, "waste", act)


@router.post("/ledger/draws/{draw_id}/correct")
def draw_correct(
    request: Request, form: Form, draw_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    def act(values: dict[str, str], _source: CsEntry) -> object:
        data = _parse(ReverseIn, values)
        return _attempt(lambda: service.reverse(db, principal, draw_id, data))

    return _on_draw(request, form, draw_id, principal, db, "correct", act)
