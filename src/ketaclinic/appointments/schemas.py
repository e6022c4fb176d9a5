"""Shapes of the calendar's requests and answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class BookIn(_In):
    option: int = Field(default=0, ge=0, le=9, description="0 = the best proposal")


class RescheduleIn(_In):
    starts_at: datetime
    chair_id: int


class CancelIn(_In):
    reason: str = Field(min_length=3, max_length=500)


class EscortIn(_In):
    escort: str = Field(min_length=2, max_length=120, description="Who takes the patient home")


class WaitlistIn(_In):
    note: str = Field(default="", max_length=500)


class VisitOut(BaseModel):
    session_number: int
    chair_id: int
    chair: str
    starts_at: datetime
    setup_ends_at: datetime
    administration_ends_at: datetime
    ends_at: datetime


class ProposalOut(BaseModel):
    option: int
    score: int
    visits: list[VisitOut]


class AppointmentOut(BaseModel):
    id: int
    patient_id: int
    plan_id: int | None
    session_number: int
    chair_id: int
    starts_at: datetime
    setup_ends_at: datetime
    administration_ends_at: datetime
    ends_at: datetime
    status: str
    escort_confirmed: bool
    needs_prescriber: bool
