"""API shapes for the course and booster suggestions."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ketaclinic.kit.fields import IsoDateTime
from ketaclinic.kit.pagination import Page


class ScoreOut(BaseModel):
    at: IsoDateTime
    total: int


class InductionOut(BaseModel):
    sessions: int
    first_at: IsoDateTime
    last_at: IsoDateTime
    first_day: date
    end_day: date
    span_days: int
    completed: bool
    reason: str


class DurabilityOut(BaseModel):
    start: IsoDateTime
    lost_at: IsoDateTime | None
    end: IsoDateTime
    days: float
    censored: bool


class InstrumentCourseOut(BaseModel):
    instrument_id: str
    instrument_name: str
    baseline: ScoreOut | None
    end_of_induction: ScoreOut | None
    missing: bool
    change: int | None
    percent_change: float | None
    response: bool | None
    remission: bool | None
    durability: DurabilityOut | None


class TreatmentKindOut(BaseModel):
    given_at: IsoDateTime
    kind: Literal["induction", "maintenance", "booster"]
    protocol_id: str | None


class FirstBoosterOut(BaseModel):
    at: IsoDateTime | None
    days: float
    censored: bool


class SuggestionOut(BaseModel):
    id: int
    patient_id: int
    rule_id: str
    instrument_id: str
    created_at: IsoDateTime
    evidence: dict[str, object]
    summary: str = Field(description="The evidence in words")
    decision: Literal["accepted", "dismissed"] | None
    reason: str | None
    decided_at: IsoDateTime | None


class CourseOut(BaseModel):
    patient_id: int
    induction: InductionOut | None
    instruments: list[InstrumentCourseOut]
    treatments: list[TreatmentKindOut]
    first_booster: FirstBoosterOut | None
    suggestions: list[SuggestionOut]


class SuggestionsOut(Page[SuggestionOut]):
    pass


class DismissIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(
        min_length=1, max_length=2000, description="Why no booster (3+ characters, not blank)"
    )


class DecisionOut(BaseModel):
    suggestion_id: int
    patient_id: int
    decision: Literal["accepted", "dismissed"]
    reason: str | None
    decided_at: IsoDateTime
    plan_id: int | None = Field(
        default=None, description="Accepted: the new plan version with the booster sessions"
    )
    plan_version: int | None = None
    plan_status: Literal["draft"] | None = Field(
        default=None, description="Accepted: the revision is a draft until a prescriber signs it"
    )
    protocol_id: str | None = Field(
        default=None, description="Accepted without a plan to revise: a new plan's protocol"
    )
    next: str | None = Field(
        default=None, description="Accepted: the revised plan's booking page (or a new plan)"
    )
