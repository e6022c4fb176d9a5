"""JSON API for self-pay accounts: the patient's account (balance, entries, packages,
payments), payments and deposits, refunds, adjustments, selling a package, and the
clinic's package catalogue."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.billing import deps
from ketaclinic.billing.account_models import AccountEntry
from ketaclinic.billing.account_schemas import (
    AccountOut,
    AdjustmentIn,
    EntryOut,
    PackageIn,
    PackageOut,
    PatientPackageOut,
    PaymentIn,
    RefundIn,
    SaleIn,
)
from ketaclinic.billing.service import accounts, packages
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.fields import Id
from ketaclinic.kit.pagination import Page, Paging
from ketaclinic.kit.web import DbSession

router = APIRouter(prefix="/api/v1", tags=["billing"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No credentials"},
    403: {"description": "Your role may not do this"},
    404: {"description": "No such patient, payment or package in your clinics"},
    409: {"description": "The package is no longer sold"},
    422: {"description": "A field is invalid; `error.fields` names it"},
}


def entry_out(row: AccountEntry) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "amount_cents": row.amount_cents,
        "posted_on": row.posted_on,
        "method": row.method,
        "reference": row.reference,
        "purpose": row.purpose,
        "receipt_no": row.receipt_no,
        "charge_line_id": row.charge_line_id,
        "patient_package_id": row.patient_package_id,
        "package_draw_id": row.package_draw_id,
        "refund_of_id": row.refund_of_id,
        "note": row.note,
        "at": row.at,
    }


def _package_state_out(state: accounts.PackageState) -> dict[str, Any]:
    p = state.package
    return {
        "id": p.id,
        "package_id": p.package_id,
        "name": p.name,
        "visits": p.visits,
        "price_cents": p.price_cents,
        "sold_on": p.sold_on,
        "visits_used": state.used,
        "visits_left": state.left,
    }


@router.get("/patients/{patient_id}/account", response_model=AccountOut, responses=ERRORS)
def account(patient_id: Id, principal: CurrentPrincipal, db: DbSession, paging: Paging) -> Any:
    """The patient's account: balance, packages with visits left, payments with what is
    left to refund, and a page of its entries, newest first."""
    found = accounts.account(
        db, principal, patient_id, offset=paging.offset, limit=paging.page_size
    )
    return {
        "patient_id": found.patient.id,
        "balance_cents": found.balance_cents,
        "packages": [_package_state_out(s) for s in found.packages],
        "payments": [
            {
                "id": s.entry.id,
                "receipt_no": s.entry.receipt_no,
                "amount_cents": -s.entry.amount_cents,
                "method": s.entry.method,
                "purpose": s.entry.purpose,
                "posted_on": s.entry.posted_on,
                "refunded_cents": s.refunded_cents,
                "refundable_cents": s.refundable_cents,
            }
            for s in found.payments
        ],
        "entries": paging.envelope([entry_out(row) for row in found.entries], found.total_entries),
    }


@router.post(
    "/patients/{patient_id}/account/payments",
    response_model=EntryOut,
    status_code=201,
    responses=ERRORS,
)
def payment(patient_id: Id, data: PaymentIn, principal: CurrentPrincipal, db: DbSession) -> Any:
    """Record money received (a payment or a deposit) with its receipt number."""
    row = accounts.record_payment(
        db,
        principal,
        patient_id,
        amount_cents=data.amount_cents,
        method=data.method,
        reference=data.reference,
        purpose=data.purpose,
        note=data.note,
    )
    return entry_out(row)


@router.post(
    "/patients/{patient_id}/account/refunds",
    response_model=EntryOut,
    status_code=201,
    responses=ERRORS,
)
def refund(patient_id: Id, data: RefundIn, principal: CurrentPrincipal, db: DbSession) -> Any:
    """Give back part or all of a payment (never more than is left of it)."""
    row = accounts.refund(
        db,
        principal,
        patient_id,
        data.payment_id,
        amount_cents=data.amount_cents,
        reason=data.reason,
        method=data.method,
        reference=data.reference,
    )
    return entry_out(row)


@router.post(
    "/patients/{patient_id}/account/adjustments",
    response_model=EntryOut,
    status_code=201,
    responses=ERRORS,
)
def adjustment(
    patient_id: Id, data: AdjustmentIn, principal: CurrentPrincipal, db: DbSession
) -> Any:
    """A write-off (negative) or a correction by hand, with a note."""
    row = accounts.adjust(db, principal, patient_id, amount_cents=data.amount_cents, note=data.note)
    return entry_out(row)


@router.post(
    "/patients/{patient_id}/account/packages",
    response_model=PatientPackageOut,
    status_code=201,
    responses=ERRORS,
)
def sell(patient_id: Id, data: SaleIn, principal: CurrentPrincipal, db: DbSession) -> Any:
    """Sell the patient a package of the catalogue: its price goes on the account."""
    sold = packages.sell(db, principal, patient_id, data.package_id)
    return _package_state_out(accounts.PackageState(sold, 0, sold.visits))


def _catalogue(db: DbSession, principal: CurrentPrincipal, clinic_id: int) -> list[Any]:
    return [
        {
            "id": row.current.id,
            "key": row.current.key,
            "name": row.current.name,
            "kind": row.current.kind,
            "visits": row.current.visits,
            "price_cents": row.current.price_cents,
            "active": row.current.active,
            "at": row.current.at,
            "versions": len(row.history),
        }
        for row in packages.catalogue(db, principal, clinic_id)
    ]


@router.get("/billing/packages", response_model=Page[PackageOut], responses=ERRORS)
def catalogue(
    principal: CurrentPrincipal, db: DbSession, paging: Paging, clinic_id: Id | None = None
) -> Any:
    """The clinic's packages by their newest version (retired ones too), by name."""
    clinic = deps.clinic_for(db, principal, Permission.BILLING, clinic_id)
    return paging.of(_catalogue(db, principal, clinic.id))


@router.post("/billing/packages", response_model=PackageOut, status_code=201, responses=ERRORS)
def save_package(data: PackageIn, principal: CurrentPrincipal, db: DbSession) -> Any:
    """A new package, or (with ``key``) a new version of one; earlier versions stay."""
    clinic = deps.clinic_for(db, principal, Permission.SETTINGS_MANAGE, data.clinic_id)
    row = packages.save_package(
        db,
        principal,
        clinic.id,
        name=data.name,
        kind=data.kind,
        visits=data.visits,
        price_cents=data.price_cents,
        key=data.key,
        active=data.active,
    )
    return next(item for item in _catalogue(db, principal, clinic.id) if item["id"] == row.id)
