"""Self-pay accounts' API shapes. Money is integer cents (``*_cents``): a payment is
sent as a positive amount and shown as the signed entry the account keeps (negative)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ketaclinic.kit.fields import Id, OptionalText, ShortText
from ketaclinic.kit.pagination import Page

Method = Literal["card", "cash", "check", "hsa_fsa", "bank_transfer", "other"]
Kind = Literal["induction", "booster", "other"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PackageIn(_In):
    clinic_id: Id | None = None
    key: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9-]{1,40}$",
        description="A package's key to save a new version of it; none for a new package",
    )
    name: str = Field(min_length=3, max_length=120)
    kind: Kind = Field(description="induction: series visits; booster: boosters; other: any")
    visits: int = Field(ge=1, le=52)
    price_cents: int = Field(ge=0, le=99_999_999)
    active: bool = Field(default=True, description="false retires the package (no new sales)")


class PackageOut(BaseModel):
    id: int = Field(description="This version's id: sell a package by it")
    key: str
    name: str
    kind: str
    visits: int
    price_cents: int
    active: bool
    at: datetime
    versions: int = Field(description="How many versions the package has had")


class PaymentIn(_In):
    amount_cents: int = Field(ge=1, le=99_999_999, description="Received, positive")
    method: Method
    reference: str = Field(default="", max_length=80, description="The card processor's reference")
    purpose: Literal["payment", "deposit"] = "payment"
    note: OptionalText = ""


class RefundIn(_In):
    payment_id: Id = Field(description="The payment entry given back")
    amount_cents: int = Field(ge=1, le=99_999_999)
    reason: ShortText
    method: Method | None = Field(default=None, description="The payment's method when none")
    reference: str = Field(default="", max_length=80)


class AdjustmentIn(_In):
    amount_cents: int = Field(ge=-99_999_999, le=99_999_999, description="Negative lowers it")
    note: ShortText


class SaleIn(_In):
    package_id: Id = Field(description="The catalogue version sold (its price today)")


class EntryOut(BaseModel):
    id: int
    kind: Literal["charge", "package_sale", "package_cover", "payment", "refund", "adjustment"]
    amount_cents: int = Field(description="Signed: positive owed, negative credit")
    posted_on: date
    method: str | None
    reference: str
    purpose: str | None
    receipt_no: str | None
    charge_line_id: int | None
    patient_package_id: int | None
    package_draw_id: int | None
    refund_of_id: int | None
    note: str
    at: datetime


class PatientPackageOut(BaseModel):
    id: int
    package_id: int
    name: str
    visits: int
    price_cents: int
    sold_on: date
    visits_used: int
    visits_left: int


class PaymentStateOut(BaseModel):
    id: int
    receipt_no: str | None
    amount_cents: int = Field(description="Received, positive")
    method: str | None
    purpose: str | None
    posted_on: date
    refunded_cents: int
    refundable_cents: int


class AccountOut(BaseModel):
    patient_id: int
    balance_cents: int = Field(description="Positive: the patient owes; negative: credit")
    packages: list[PatientPackageOut]
    payments: list[PaymentStateOut]
    entries: Page[EntryOut] = Field(description="The account's entries, newest first")
