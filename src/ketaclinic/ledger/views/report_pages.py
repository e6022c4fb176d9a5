"""Reports (CSV and PDF), a patient's administrations, and set-up: products and locations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.responses import Response

from ketaclinic.audit import service as audit
from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.clinics.models import Clinic
from ketaclinic.clinics.service import today_at
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.fields import Id
from ketaclinic.kit.web import DbSession, Form
from ketaclinic.ledger import reports, service, verify
from ketaclinic.ledger import repository as repo
from ketaclinic.ledger.deps import download
from ketaclinic.ledger.schemas import (
    LocationIn,
    ProductIn,
)
from ketaclinic.ledger.views.common import (
    Refused,
    _attempt,
    _clinic,
    _page,
    _parse,
    _values,
)
from ketaclinic.patients.service import get_patient

router = APIRouter(include_in_schema=False)


# ---- reports ----------------------------------------------------------------------


@router.get("/ledger/reports")
def report_page(
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    kind: str = "dispensing",
    since: str = "",
    until: str = "",
    format: str = "html",
    patient_id: str = "",
) -> Response:
    clinic = _clinic(request, db, principal)
    today = today_at(db, clinic.id)
    values = {
        "kind": kind,
        "since": since or (today - timedelta(days=30)).isoformat(),
        "until": until or today.isoformat(),
        "patient_id": patient_id,
    }
    built, errors = None, {}
    try:
        start, end = _parse(_Period, values).since, _parse(_Period, values).until
        pid = int(patient_id) if patient_id.isdigit() else None
        built = _attempt(lambda: reports.build(db, principal, clinic, kind, start, end, pid))
    except Refused as refused:
        errors = refused.errors
    if built is not None and format in ("csv", "pdf"):
        return download(built, format)
    people = (
        repo.active_patients(db, [clinic.id])
        if principal.can(Permission.PATIENT_READ, clinic.id)
        else []
    )
    return _page(
        request,
        "reports",
        {
            "clinic": clinic,
            "report": built,
            "values": values,
            "errors": errors,
            "kinds": reports.KINDS,
            "patients": people,
        },
        422 if errors else 200,
    )


class _Period(BaseModel):
    since: date
    until: date


@router.get("/patients/{patient_id}/administrations")
def patient_history(
    request: Request, patient_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    """Every draw, dose, waste and return for one patient (from the ledger)."""
    patient = get_patient(db, principal, patient_id)
    rows = repo.entries(
        db, [patient.clinic_id], patient_id=patient.id, kinds=list(reports.DISPENSING)
    )
    labels = {
        c.id: (c.label, lot.lot_number, p.name)
        for c, lot, p, _l in repo.stock(db, [patient.clinic_id], include_empty=True)
    }
    names = service.people_of(db, rows)
    audit.on_patient(
        db, principal, "patient.administrations_viewed", patient, detail={"entries": len(rows)}
    )
    clinic = db.get(Clinic, patient.clinic_id)
    return _page(
        request,
        "patient",
        {
            "patient": patient,
            "rows": rows,
            "labels": labels,
            "names": names,
            "clinic": clinic,
            "witness_ids": service.witness_ids_of,
            "can_draw": principal.can(Permission.LEDGER_ADMINISTER, patient.clinic_id),
        },
    )


# ---- set-up -----------------------------------------------------------------------


def _setup_page(
    request: Request,
    db: Session,
    principal: Principal,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    clinic = _clinic(request, db, principal, Permission.LEDGER_STOCK)
    checked, problem = verify.verify(db, [clinic.id])
    return _page(
        request,
        "setup",
        {
            "clinic": clinic,
            "products": repo.products(db),
            "locations": repo.locations(db, [clinic.id]),
            "checked": checked,
            "problem": problem,
            "values": values or {},
            "errors": errors or {},
        },
        status_code,
    )


@router.get("/ledger/setup")
def setup(request: Request, principal: CurrentPrincipal, db: DbSession) -> Response:
    return _setup_page(request, db, principal)


def _on_setup(
    request: Request,
    form: Form,
    principal: Principal,
    db: Session,
    name: str,
    act: Callable[[dict[str, str]], object],
) -> Response:
    values = _values(form)
    try:
        act(values)
    except Refused as refused:
        return _setup_page(
            request,
            db,
            principal,
            {**values, "form": name},
            refused.errors,
            refused.status_code,
        )
    return RedirectResponse("/ledger/setup", status_code=303)


@router.post("/ledger/setup/product")
def setup_product(
    request: Request, form: Form, principal: CurrentPrincipal, db: DbSession
) -> Response:
    def act(values: dict[str, str]) -> object:
        product = _parse(ProductIn, {k: v for k, v in values.items() if v != ""})
        return _attempt(lambda: service.add_product(db, principal, product))

    return _on_setup(request, form, principal, db, "product", act)


@router.post("/ledger/setup/location")
def setup_location(
    request: Request, form: Form, principal: CurrentPrincipal, db: DbSession
) -> Response:
    def act(values: dict[str, str]) -> object:
        clinic = _clinic(request, db, principal, Permission.LEDGER_STOCK)
        location = _parse(LocationIn, values)
        return _attempt(lambda: service.add_location(db, principal, clinic.id, location))

    return _on_setup(request, form, principal, db, "location", act)
