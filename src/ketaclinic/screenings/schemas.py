"""API shapes for intake, screenings and signatures."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ketaclinic.kit.fields import Bool, IsoDateTime
from ketaclinic.kit.pagination import Page


class FactOut(BaseModel):
    name: str
    kind: Literal["bool", "int", "enum", "codes"]
    description: str
    unit: str | None
    minimum: int | None
    maximum: int | None
    values: list[str]
    derived: Bool = Field(description="Worked out by the system (age), never entered")


class RuleOut(BaseModel):
    id: str
    severity: Literal["exclude", "review", "inform"]
    message: str
    source: str
    facts: list[str]


class RuleSetOut(BaseModel):
    id: str
    version: str
    name: str
    applies_to: str
    facts: list[str]
    rules: list[RuleOut]


class IntakeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    facts: dict[str, Any] = Field(
        description="Fact name -> value (see /api/v1/screening/facts); null or absent = "
        "not asked yet. The whole intake: facts left out are missing, not kept."
    )
    notes: str = Field(default="", max_length=4000)


class IntakeOut(BaseModel):
    id: int | None
    patient_id: int
    facts: dict[str, Any]
    notes: str
    recorded_at: IsoDateTime | None
    recorded_by_id: int | None
    changed: list[str] = Field(default_factory=list, description="Facts changed by this save")


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule_set_id: str = Field(min_length=1, max_length=40)


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["eligible", "not_eligible"]
    reason: str | None = Field(
        default=None,
        max_length=4000,
        description="Required (10+ characters) when the decision differs from the screening's",
    )


class SignatureOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    decision: str
    override: Bool
    reason: str | None
    signed_by_id: int
    signed_at: IsoDateTime


class FiredOut(BaseModel):
    rule_id: str
    severity: str
    message: str
    source: str


class UndecidedOut(FiredOut):
    missing: list[str]


class MissingOut(BaseModel):
    fact: str
    rule_ids: list[str]


class ScreeningOut(BaseModel):
    id: int
    patient_id: int
    intake_id: int | None
    rule_set_id: str
    rule_set_version: str
    decision: Literal["eligible", "needs_review", "not_eligible"]
    facts: dict[str, Any]
    fired: list[FiredOut]
    undecided: list[UndecidedOut]
    missing: list[MissingOut]
    run_at: IsoDateTime
    run_by_id: int | None
    signature: SignatureOut | None


class StatusOut(BaseModel):
    state: Literal[
        "not_screened", "facts_changed", "awaiting_signature", "not_eligible", "expired", "cleared"
    ]
    message: str
    cleared: Bool
    rescreen_offered: Bool
    valid_until: IsoDateTime | None
    screening_id: int | None


class ScreeningsOut(Page[ScreeningOut]):
    """The list envelope of a patient's screenings, with the clearance beside it."""

    status: StatusOut


class QueueRowOut(BaseModel):
    screening_id: int
    patient_id: int
    mrn: str
    name: str
    rule_set_id: str
    decision: str
    run_at: IsoDateTime
