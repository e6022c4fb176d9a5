"""JSON API for the clinic's account reports: the daily close and the ageing report.
Money is integer cents (``*_cents``); staff are named, methods in words."""

from __future__ import annotations

import datetime
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.billing import deps
from ketaclinic.billing.service import ageing as ageing_service
from ketaclinic.billing.service import close as close_service
from ketaclinic.clinical.billing.statements import Ageing
from ketaclinic.clinics.service import today_at
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.fields import Id, IsoDate
from ketaclinic.kit.pagination import Page, Paging
from ketaclinic.kit.web import DbSession

router = APIRouter(prefix="/api/v1/billing", tags=["billing"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No credentials"},
    403: {"description": "Your role may not do this"},
    404: {"description": "No such clinic in your clinics"},
    422: {"description": "A field is invalid; `error.fields` names it"},
}


class AmountOut(BaseModel):
    name: str = Field(description="The method, or the staff member's name")
    amount_cents: int


class CloseOut(BaseModel):
    clinic_id: int
    date: datetime.date = Field(description="The clinic's local date")
    payments: int = Field(description="How many payments were recorded")
    refunds: int
    received_cents: int = Field(description="Payments received (positive)")
    refunded_cents: int = Field(description="Refunds given back (positive)")
    net_cents: int = Field(description="received_cents - refunded_cents")
    received_by_method: list[AmountOut]
    received_by_staff: list[AmountOut]
    refunded_by_method: list[AmountOut]
    refunded_by_staff: list[AmountOut]


class AgeingOut(BaseModel):
    current_cents: int = Field(description="Owed, posted 0-30 days before as_of")
    days_31_60_cents: int
    days_61_90_cents: int
    over_90_cents: int
    credit_cents: int = Field(description="A credit balance the clinic holds (not in buckets)")
    balance_cents: int = Field(description="The buckets' sum minus the credit")


class AgeingRowOut(AgeingOut):
    patient_id: int
    patient_name: str
    mrn: str


class AgeingPage(Page[AgeingRowOut]):
    clinic_id: int
    as_of: date
    totals: AgeingOut


def _amounts(values: dict[str, int]) -> list[dict[str, Any]]:
    return [{"name": name, "amount_cents": cents} for name, cents in values.items()]


def _ageing(a: Ageing) -> dict[str, int]:
    return {
        "current_cents": a.buckets[0],
        "days_31_60_cents": a.buckets[1],
        "days_61_90_cents": a.buckets[2],
        "over_90_cents": a.buckets[3],
        "credit_cents": a.credit_cents,
        "balance_cents": a.balance_cents,
    }


@router.get("/close", response_model=CloseOut, responses=ERRORS)
def daily_close(
    principal: CurrentPrincipal,
    db: DbSession,
    day: Annotated[IsoDate | None, Query(alias="date")] = None,
    clinic_id: Id | None = None,
) -> Any:
    """The clinic's payments and refunds of one local date (today by default), by
    method and by staff member; the totals add up to the day's entries."""
    clinic = deps.clinic_for(db, principal, Permission.BILLING, clinic_id)
    found = close_service.daily_close(db, principal, clinic, day or today_at(db, clinic.id))
    t = found.totals
    return {
        "clinic_id": clinic.id,
        "date": found.day,
        "payments": t.payments,
        "refunds": t.refunds,
        "received_cents": t.received_cents,
        "refunded_cents": t.refunded_cents,
        "net_cents": t.net_cents,
        "received_by_method": _amounts(t.received_by_method),
        "received_by_staff": _amounts(t.received_by_staff),
        "refunded_by_method": _amounts(t.refunded_by_method),
        "refunded_by_staff": _amounts(t.refunded_by_staff),
    }


@router.get("/ageing", response_model=AgeingPage, responses=ERRORS)
def ageing(
    principal: CurrentPrincipal,
    db: DbSession,
    paging: Paging,
    as_of: IsoDate | None = None,
    clinic_id: Id | None = None,
) -> Any:
    """Every patient of the clinic with a balance on ``as_of`` (today by default), what
    they owe by age (credits pay the oldest charges first) or their credit, and the
    clinic's totals."""
    clinic = deps.clinic_for(db, principal, Permission.BILLING, clinic_id)
    report = ageing_service.ageing(db, principal, clinic, as_of or today_at(db, clinic.id))
    rows = (
        {
            "patient_id": row.patient.id,
            "patient_name": f"{row.patient.given_name} {row.patient.family_name}",
            "mrn": row.patient.mrn,
            **_ageing(row.ageing),
        }
        for row in report.rows
    )
    return {
        **paging.of(rows),
        "clinic_id": clinic.id,
        "as_of": report.as_of,
        "totals": _ageing(report.totals),
    }
