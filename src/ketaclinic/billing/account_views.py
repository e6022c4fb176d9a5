"""Self-pay accounts' pages: the patient's account (balance at the top, charges,
payments, packages; take a payment or deposit, refund, sell a package, adjust) and the
clinic's package catalogue under /admin/packages. A refused form re-renders (422)
with the message beside its field."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from ketaclinic.auth.clinic import requested_clinic_id, resolve_clinic_id
from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.billing.account_errors import AmountInvalid, PackagePriceInvalid
from ketaclinic.billing.account_models import PAYMENT_METHODS
from ketaclinic.billing.service import accounts, packages
from ketaclinic.clinical.billing import dollars, parse_cents
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit import forms
from ketaclinic.kit.errors import ValidationFailed
from ketaclinic.kit.fields import Id, in_id_range
from ketaclinic.kit.web import DbSession, Form, render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
PageNumber = Annotated[int, Query(ge=1, le=100_000)]
FIELD_NAMES = {"amount_cents": "amount", "price_cents": "price"}


def _shown(prefix: str, exc: ValidationFailed) -> dict[str, str]:
    return {f"{prefix}-{FIELD_NAMES.get(k, k)}": v for k, v in exc.fields.items()}


def _amount(text: str, *, signed: bool = False) -> int:
    """Dollars and cents as typed (``1,250.00``, ``$40``; ``-25.00`` when ``signed``)."""
    text = text.strip()
    negative = signed and text.startswith("-")
    cents = parse_cents(text[1:] if negative else text)
    if cents is None:
        raise AmountInvalid()
    return -cents if negative else cents


def _account_page(
    request: Request,
    db: Session,
    principal: Principal,
    patient_id: int,
    *,
    page: int = 1,
    errors_shown: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    found = accounts.account(
        db, principal, patient_id, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    offered = packages.catalogue(db, principal, found.patient.clinic_id, retired=False)
    return render(
        request,
        "billing/account.html",
        {
            "a": found,
            "p": found.patient,
            "offered": offered,
            "dollars": dollars,
            "methods": [(m, accounts.METHOD_WORDS[m]) for m in PAYMENT_METHODS],
            "method_words": accounts.METHOD_WORDS,
            "kind_words": accounts.KIND_WORDS,
            "errors": errors_shown or {},
            "typed": typed or {},
            "done": request.query_params.get("done", ""),
            "page": page,
            "pages": max(1, -(-found.total_entries // PAGE_SIZE)),
        },
        status_code=status_code,
    )


@router.get("/patients/{patient_id}/account")
def account_page(
    request: Request,
    patient_id: Id,
    principal: CurrentPrincipal,
    db: DbSession,
    page: PageNumber = 1,
) -> Response:
    return _account_page(request, db, principal, patient_id, page=page)


def _refused(
    request: Request,
    db: Session,
    principal: Principal,
    patient_id: int,
    prefix: str,
    exc: ValidationFailed,
    typed: dict[str, str],
) -> Response:
    """The account page again, nothing written, the refusal beside the form's fields."""
    db.rollback()
    return _account_page(
        request,
        db,
        principal,
        patient_id,
        errors_shown=_shown(prefix, exc),
        typed=typed,
        status_code=422,
    )


def _done(patient_id: int, what: str) -> Response:
    return RedirectResponse(f"/patients/{patient_id}/account?done={what}", status_code=303)


@router.post("/patients/{patient_id}/account/payments")
def take_payment(
    request: Request, patient_id: Id, principal: CurrentPrincipal, db: DbSession, form: Form
) -> Response:
    typed = {f"pay-{k}": forms.text(form, k) for k in ("amount", "method", "reference", "purpose")}
    try:
        accounts.record_payment(
            db,
            principal,
            patient_id,
            amount_cents=_amount(typed["pay-amount"]),
            method=typed["pay-method"],
            reference=typed["pay-reference"],
            purpose=typed["pay-purpose"] or "payment",
        )
    except ValidationFailed as exc:
        return _refused(request, db, principal, patient_id, "pay", exc, typed)
    return _done(patient_id, "payment")


@router.post("/patients/{patient_id}/account/refunds")
def give_refund(
    request: Request, patient_id: Id, principal: CurrentPrincipal, db: DbSession, form: Form
) -> Response:
    payment_id = in_id_range(forms.text(form, "payment_id")) or 0
    prefix = f"refund-{payment_id}"
    typed = {f"{prefix}-{k}": forms.text(form, k) for k in ("amount", "reason", "method")}
    try:
        accounts.refund(
            db,
            principal,
            patient_id,
            payment_id,
            amount_cents=_amount(typed[f"{prefix}-amount"]),
            reason=typed[f"{prefix}-reason"],
            method=typed[f"{prefix}-method"] or None,
        )
    except ValidationFailed as exc:
        return _refused(request, db, principal, patient_id, prefix, exc, typed)
    return _done(patient_id, "refund")


@router.post("/patients/{patient_id}/account/adjustments")
def adjust(
    request: Request, patient_id: Id, principal: CurrentPrincipal, db: DbSession, form: Form
) -> Response:
    typed = {f"adjust-{k}": forms.text(form, k) for k in ("amount", "note")}
    try:
        accounts.adjust(
            db,
            principal,
            patient_id,
            amount_cents=_amount(typed["adjust-amount"], signed=True),
            note=typed["adjust-note"],
        )
    except ValidationFailed as exc:
        return _refused(request, db, principal, patient_id, "adjust", exc, typed)
    return _done(patient_id, "adjustment")


@router.post("/patients/{patient_id}/account/packages")
def sell_package(
    request: Request, patient_id: Id, principal: CurrentPrincipal, db: DbSession, form: Form
) -> Response:
    package_id = in_id_range(forms.text(form, "package_id"))
    if package_id is None:
        return _account_page(
            request,
            db,
            principal,
            patient_id,
            errors_shown={"sell-package_id": "choose a package"},
            status_code=422,
        )
    packages.sell(db, principal, patient_id, package_id)
    return _done(patient_id, "package")


# ---- the package catalogue -----------------------------------------------------------


def _clinic(db: Session, principal: Principal, wanted: int | None) -> Clinic:
    clinic = db.get(Clinic, resolve_clinic_id(principal, Permission.SETTINGS_MANAGE, wanted))
    assert clinic is not None
    return clinic


def _packages_page(
    request: Request,
    db: Session,
    principal: Principal,
    clinic: Clinic,
    *,
    errors_shown: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "billing/packages.html",
        {
            "clinic": clinic,
            "rows": packages.catalogue(db, principal, clinic.id),
            "dollars": dollars,
            "errors": errors_shown or {},
            "typed": typed or {},
            "saved": request.query_params.get("saved", ""),
        },
        status_code=status_code,
    )


@router.get("/admin/packages")
def packages_page(request: Request, principal: CurrentPrincipal, db: DbSession) -> Response:
    clinic = _clinic(db, principal, requested_clinic_id(request))
    return _packages_page(request, db, principal, clinic)


@router.post("/admin/packages")
def save_package(
    request: Request, principal: CurrentPrincipal, db: DbSession, form: Form
) -> Response:
    clinic = _clinic(db, principal, in_id_range(forms.text(form, "clinic_id")))
    key = forms.text(form, "key").strip() or None
    prefix = f"pk-{key or 'new'}"
    typed = {f"{prefix}-{k}": forms.text(form, k) for k in ("name", "kind", "visits", "price")}
    try:
        cents = parse_cents(typed[f"{prefix}-price"])
        if cents is None:
            raise PackagePriceInvalid()
        visits_text = typed[f"{prefix}-visits"].strip()
        packages.save_package(
            db,
            principal,
            clinic.id,
            name=typed[f"{prefix}-name"],
            kind=typed[f"{prefix}-kind"],
            visits=int(visits_text) if visits_text.isdigit() else 0,
            price_cents=cents,
            key=key,
        )
    except ValidationFailed as exc:
        db.rollback()
        return _packages_page(
            request,
            db,
            principal,
            clinic,
            errors_shown=_shown(prefix, exc),
            typed=typed,
            status_code=422,
        )
    return RedirectResponse(f"/admin/packages?clinic_id={clinic.id}&saved=1", status_code=303)


@router.post("/admin/packages/retire")
def retire_package(principal: CurrentPrincipal, db: DbSession, form: Form) -> Response:
    clinic = _clinic(db, principal, in_id_range(forms.text(form, "clinic_id")))
    packages.retire(db, principal, clinic.id, forms.text(form, "key").strip())
    return RedirectResponse(f"/admin/packages?clinic_id={clinic.id}&saved=1", status_code=303)
