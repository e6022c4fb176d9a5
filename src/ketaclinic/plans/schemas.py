"""API shapes for protocols, treatment plans and dose checks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ketaclinic.kit.fields import Bool, IsoDate, IsoDateTime, Number

PlanAction = Literal["sign", "start", "pause", "resume", "complete", "stop"]


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    protocol_id: str = Field(min_length=1, max_length=40)
    dose_amount: Decimal | None = Field(
        default=None,
        gt=0,
        max_digits=8,
        decimal_places=3,
        json_schema_extra={"multipleOf": 0.001, "exclusiveMaximum": 100000},
        description="In the protocol's dose unit (mg/kg, mg/kg/h or mg); default: the protocol's",
    )
    preparation: str | None = Field(default=None, max_length=100)
    start_date: IsoDate
    note: str = Field(default="", max_length=2000)
    over_soft_limit_reason: str | None = Field(default=None, max_length=2000)


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: PlanAction
    reason: str | None = Field(default=None, max_length=2000)


class DoseCheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_number: int = Field(ge=1, le=200)
    over_soft_limit_reason: str | None = Field(default=None, max_length=2000)


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weight_kg: Decimal = Field(
        gt=0, le=400, max_digits=5, decimal_places=1, json_schema_extra={"multipleOf": 0.1}
    )
    concentration_mg_per_ml: Decimal | None = Field(
        default=None,
        gt=0,
        le=1000,
        max_digits=8,
        decimal_places=3,
        json_schema_extra={"multipleOf": 0.001},
    )


class SessionOut(BaseModel):
    number: int
    block: str
    optional: Bool
    target: IsoDate
    earliest: IsoDate
    latest: IsoDate


class PlanOut(BaseModel):
    id: int
    patient_id: int
    lineage_id: str
    version: int
    supersedes_id: int | None
    status: str
    protocol_id: str
    protocol_version: str
    dose_amount: Number
    dose_unit: str
    preparation: str
    weight_basis: str
    start_date: IsoDate
    sessions: list[SessionOut]
    note: str
    over_soft_limit_reason: str | None
    created_by_id: int | None
    created_at: IsoDateTime
    events: list[dict[str, Any]]


class DoseCheckOut(BaseModel):
    id: int
    plan_id: int
    session_number: int
    dose_mg: Number | None = Field(description="Hidden from others until released")
    volume_ml: Number | None
    rate_ml_per_h: Number | None
    duration_min: int | None
    devices: int | None
    calculated_by_id: int
    calculated_at: IsoDateTime
    released: Bool
    verifications: list[dict[str, Any]]
