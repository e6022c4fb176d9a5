"""Billing's API shapes. Money is integer cents (``*_cents``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ketaclinic.clinical.billing.coverage import InsuredPlan
from ketaclinic.kit.fields import Id, IsoDate, Number, PastDate, ShortText


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ChargeOut(BaseModel):
    id: int
    session_id: int
    patient_id: int
    date_of_service: date
    place_of_service: str
    code: str
    description: str
    modifiers: list[str]
    units: int
    ndc: str | None
    ndc_quantity: Number | None
    ndc_unit: str | None
    diagnoses: list[str]
    pointers: str
    unit_price_cents: int | None
    amount_cents: int | None
    status: Literal["draft", "final"]
    corrects_id: int | None
    reason: str
    finalised_at: datetime | None


class VisitChargesOut(BaseModel):
    session_id: int
    patient_id: int
    date_of_service: date | None
    codes: list[str]
    total_cents: int
    drafts: int
    finals: int


class CorrectionIn(_In):
    reason: ShortText = Field(description="Why the final line is corrected")
    code: str | None = Field(
        default=None, pattern=r"^[0-9A-Z]{5}$", description="The right code, if any"
    )
    units: int | None = Field(default=None, ge=1, le=999)


class EvaluationIn(_In):
    code: Literal["99212", "99213", "99214", "99215"]
    note: str = Field(min_length=10, max_length=4000)


class EvaluationOut(BaseModel):
    id: int
    session_id: int
    code: str
    note: str
    by_id: int
    at: datetime


class FeeIn(_In):
    clinic_id: Id | None = None
    code: str = Field(pattern=r"^[0-9A-Z]{5}$")
    price_cents: int = Field(ge=0, le=99_999_999)
    effective_from: IsoDate


class FeeOut(BaseModel):
    code: str
    description: str
    price_cents: int | None = Field(description="In effect today; null when none is set")
    effective_from: date | None
    history: list[FeeHistoryOut]


class FeeHistoryOut(BaseModel):
    price_cents: int
    effective_from: date
    at: datetime


FeeOut.model_rebuild()


PlanType = Literal["medicare", "medicaid", "tricare", "champva", "group", "feca", "other"]


class CoverageIn(_In):
    """The insurer and member id; the plan type (CMS-1500 item 1, empty: from the
    payer's name), group number and plan name; the patient's relationship to the
    insured and, when it is not ``self``, the insured's name (required), birth date
    and sex as on the card."""

    payer: str = Field(default="", max_length=120)
    member_id: str = Field(default="", max_length=40)
    plan_type: PlanType | None = None
    group_number: str = Field(default="", max_length=30)
    plan_name: str = Field(default="", max_length=120)
    relationship: Literal["self", "spouse", "child", "other"] = "self"
    insured_family_name: str = Field(default="", max_length=80)
    insured_given_name: str = Field(default="", max_length=80)
    insured_birth_date: PastDate | None = None
    insured_sex: Literal["", "M", "F"] = ""


COVERAGE_FIELDS = tuple(CoverageIn.model_fields)


def plan_of(data: CoverageIn) -> InsuredPlan:
    """The insured's plan as the pure rule reads it."""
    return InsuredPlan(
        plan_type=data.plan_type,
        group_number=data.group_number,
        plan_name=data.plan_name,
        relationship=data.relationship,
        family_name=data.insured_family_name,
        given_name=data.insured_given_name,
        birth_date=data.insured_birth_date,
        sex=data.insured_sex,
    )


class CoverageOut(BaseModel):
    patient_id: int
    payer: str
    member_id: str
    plan_type: str | None
    group_number: str
    plan_name: str
    relationship: str
    insured_family_name: str
    insured_given_name: str
    insured_birth_date: date | None
    insured_sex: str
    at: datetime


class ClaimFormsOut(BaseModel):
    """A visit's CMS-1500 forms, six service lines each, keyed by NUCC item number
    ("1a", "21", "24", "33a"); ``24`` is the form's service lines (24A-24J and the
    shaded supplemental NDC). docs/clinical-references.md#cms-1500."""

    session_id: int
    patient_id: int
    lines: int = Field(description="Service lines on all the forms together")
    forms: list[dict[str, Any]]
