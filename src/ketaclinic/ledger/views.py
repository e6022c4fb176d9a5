"""Staff pages for the controlled-substance ledger: the custodian's stock, receipts,
counts and cases; the nurse's draw, dose, waste (witnessed) and return; reports."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from ketaclinic.audit import service as audit
from ketaclinic.auth.clinic import requested_clinic_id, resolve_clinic
from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.auth.principal import Principal
from ketaclinic.auth.roles import Permission
from ketaclinic.auth.service import user_names
from ketaclinic.clinical.controlled import to_mg
from ketaclinic.clinics.models import Clinic
from ketaclinic.clinics.service import today_at
from ketaclinic.kit import forms
from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.kit.fields import Id
from ketaclinic.kit.time import today_in
from ketaclinic.kit.web import DbSession, Form, form_errors, render
from ketaclinic.ledger import counts, reports, service, verify
from ketaclinic.ledger import errors as ledger_errors
from ketaclinic.ledger import repository as repo
from ketaclinic.ledger.deps import download, policy_of, witnesses_for
from ketaclinic.ledger.models import CsEntry
from ketaclinic.ledger.schemas import (
    AmountIn,
    CountIn,
    DestroyIn,
    DrawIn,
    FilingIn,
    LocationIn,
    LossIn,
    ProductIn,
    ReceiptIn,
    ResolutionIn,
    ReverseIn,
    WitnessIn,
)
from ketaclinic.patients.service import get_patient

router = APIRouter(include_in_schema=False)
M = TypeVar("M", bound=BaseModel)
KIND_LABELS = {
    "receive": "received",
    "transfer_out": "moved out",
    "transfer_in": "moved in",
    "draw": "drawn",
    "administer": "administered",
    "waste": "wasted",
    "return": "returned",
    "reverse": "correction",
    "destroy": "destroyed",
    "loss": "lost",
    "adjust": "count adjustment",
}
COMMON: dict[str, Any] = {"mg": to_mg, "kinds": KIND_LABELS}


class Refused(Exception):
    def __init__(self, errors: dict[str, str], status_code: int = 422) -> None:
        self.errors, self.status_code = errors, status_code


def _values(form: FormData) -> dict[str, str]:
    return forms.values(form)


def _parse(model: type[M], data: dict[str, Any]) -> M:
    parsed, errors = forms.parse(model, data)
    if parsed is None:
        raise Refused(errors)
    return parsed


def _witness(values: dict[str, str], prefix: str = "witness") -> dict[str, str]:
    return {
        "email": values.get(f"{prefix}_email", ""),
        "password": values.get(f"{prefix}_password", ""),
        "code": values.get(f"{prefix}_code", ""),
    }


def _flat(errors: dict[str, str]) -> dict[str, str]:
    """API-shaped field names (witnesses.0.email) as the form's (witness_email)."""
    out = {}
    for name, message in errors.items():
        if name.startswith(("witnesses.", "second_signer")):
            parts = name.split(".")
            index = int(parts[1]) if parts[0] == "witnesses" else 0
            prefix = "witness" if index == 0 else f"witness{index + 1}"
            name = f"{prefix}_{parts[-1]}"
        out[name] = message
    return out


def _attempt(action: Callable[[], Any]) -> Any:
    try:
        return action()
    except KetaClinicError as exc:
        if exc.status_code not in (409, 422):
            raise
        raise Refused(form_errors(exc), exc.status_code) from exc


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return render(request, f"ledger/{name}.html", {**COMMON, **context}, status_code)


def _clinic(
    request: Request,
    db: Session,
    principal: Principal,
    permission: Permission = Permission.LEDGER_READ,
) -> Clinic:
    return resolve_clinic(db, principal, permission, requested_clinic_id(request))


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


def _patient_labels(
    db: Session, principal: Principal, clinic: Clinic, entries: list[CsEntry]
) -> dict[int, str]:
    ids = sorted({e.patient_id for e in entries if e.patient_id})
    rows = repo.patients_by_id(db, [clinic.id], ids)
    if principal.can(Permission.PATIENT_READ, clinic.id):
        return {p.id: f"{p.family_name}, {p.given_name}" for p in rows}
    return {p.id: f"record {p.mrn}" for p in rows}


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


@router.post("/ledger/draws/{draw_id}/{draw_action}")
def draw_action(
    request: Request,
    form: Form,
    draw_id: Id,
    draw_action: str,
    principal: CurrentPrincipal,
    db: DbSession,
) -> Response:
    """administer, waste (with witnesses), return, or correct an entry of the draw."""
    values = _values(form)
    source = _draw_entry(db, principal, draw_id)
    try:
        if draw_action == "waste":
            needed = policy_of(request).waste_witnesses
            given = [
                _witness(values, "witness" if i == 0 else f"witness{i + 1}") for i in range(needed)
            ]
            parsed = [_parse(WitnessIn, w) for w in given]
            amount = _parse(AmountIn, {"amount_mg": values.get("amount_mg", "")}).amount_mg
            people = _attempt(
                lambda: witnesses_for(request, db, principal, source.clinic_id, parsed)
            )
            _attempt(
                lambda: service.waste(db, principal, draw_id, amount, people, policy_of(request))
            )
        elif draw_action in ("administer", "return"):
            amount = _parse(AmountIn, {"amount_mg": values.get("amount_mg", "")}).amount_mg
            act = service.administer if draw_action == "administer" else service.return_to_stock
            _attempt(lambda: act(db, principal, draw_id, amount))
        elif draw_action == "correct":
            data = _parse(ReverseIn, values)
            _attempt(lambda: service.reverse(db, principal, draw_id, data))
        else:
            raise ledger_errors.LedgerActionNotFound(f"No action {draw_action!r}.")
    except Refused as refused:
        errors = _flat(refused.errors)
        return _draw_detail(
            request,
            db,
            principal,
            draw_id,
            {**values, "form": draw_action},
            errors,
            refused.status_code,
        )
    return RedirectResponse(f"/ledger/draws/{draw_id}", status_code=303)


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


@router.post("/ledger/containers/{container_id}/{stock_action}")
def container_action(
    request: Request,
    form: Form,
    container_id: Id,
    stock_action: str,
    principal: CurrentPrincipal,
    db: DbSession,
) -> Response:
    """transfer, destroy (two witnesses) or loss."""
    values = _values(form)
    found = repo.container(db, principal.require_any(Permission.LEDGER_READ), container_id)
    if found is None:
        raise ledger_errors.ContainerNotFound(f"No container {container_id} in your clinics.")
    try:
        if stock_action == "transfer":
            target = _parse(_Target, values).to_location_id
            _attempt(lambda: service.transfer(db, principal, container_id, target))
        elif stock_action == "destroy":
            given = [_witness(values), _witness(values, "witness2")]
            data = _parse(
                DestroyIn,
                {
                    **{
                        k: values.get(k, "")
                        for k in ("amount_mg", "method", "reason", "destroyed_on")
                    },
                    "witnesses": given,
                },
            )
            people = _attempt(
                lambda: witnesses_for(request, db, principal, found.clinic_id, data.witnesses)
            )
            _attempt(lambda: service.destroy(db, principal, container_id, data, people))
        elif stock_action == "loss":
            loss = _parse(LossIn, values)
            _attempt(lambda: service.record_loss(db, principal, container_id, loss))
        else:
            raise ledger_errors.LedgerActionNotFound(f"No action {stock_action!r}.")
    except Refused as refused:
        return _container_page(
            request,
            db,
            principal,
            container_id,
            {**values, "form": stock_action},
            _flat(refused.errors),
            refused.status_code,
        )
    return RedirectResponse(f"/ledger/containers/{container_id}", status_code=303)


class _Target(BaseModel):
    to_location_id: Id


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


@router.post("/ledger/setup/{setup_kind}")
def setup_add(
    request: Request, form: Form, setup_kind: str, principal: CurrentPrincipal, db: DbSession
) -> Response:
    values = _values(form)
    try:
        if setup_kind == "product":
            product = _parse(ProductIn, {k: v for k, v in values.items() if v != ""})
            _attempt(lambda: service.add_product(db, principal, product))
        elif setup_kind == "location":
            clinic = _clinic(request, db, principal, Permission.LEDGER_STOCK)
            location = _parse(LocationIn, values)
            _attempt(lambda: service.add_location(db, principal, clinic.id, location))
        else:
            raise ledger_errors.LedgerActionNotFound(f"Nothing to set up called {setup_kind!r}.")
    except Refused as refused:
        return _setup_page(
            request,
            db,
            principal,
            {**values, "form": setup_kind},
            refused.errors,
            refused.status_code,
        )
    return RedirectResponse("/ledger/setup", status_code=303)
