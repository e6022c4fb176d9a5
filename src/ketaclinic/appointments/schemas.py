"""Shapes of the calendar's requests and answers."""

from __future__ import annotations

from datetime import time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ketaclinic.kit.fields import Bool, ClinicTime, Id, IsoDate, IsoDateTime, Weekday


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AvailabilityIn(_In):
    """When the patient can come: weekdays (Monday = 0) and a time range; the whole
    visit lies inside it."""

    weekdays: list[Weekday] = Field(
        default_factory=lambda: list(range(7)), min_length=1, max_length=7
    )
    from_time: ClinicTime = time(0, 0)
    until_time: ClinicTime = time(23, 55)

    @field_validator("weekdays")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        return sorted(set(value))

    @model_validator(mode="after")
    def _range(self) -> AvailabilityIn:
        if self.until_time <= self.from_time:
            raise ValueError("until_time must be after from_time")
        return self


OverrideReason = Field(
    default=None,
    min_length=3,
    max_length=500,
    description="A prescriber's reason to book a session outside its window (recorded)",
)


class BookIn(_In):
    option: int = Field(default=0, ge=0, le=9, description="0 = the best proposal")
    availability: AvailabilityIn | None = None
    rest: Literal["waitlist"] | None = Field(
        default=None,
        description="When the proposal leaves sessions out: book what fits and put the "
        "rest on the waitlist (without it, such a proposal is refused with 409)",
    )
    override_reason: str | None = OverrideReason


class RescheduleIn(_In):
    starts_at: IsoDateTime
    chair_id: Id
    override_reason: str | None = OverrideReason


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
    starts_at: IsoDateTime
    setup_ends_at: IsoDateTime
    administration_ends_at: IsoDateTime
    ends_at: IsoDateTime


class UnplacedOut(BaseModel):
    session_number: int
    earliest: IsoDate | None = Field(description="First day of the session's window")
    latest: IsoDate | None = Field(description="Last day of the session's window")
    reason: str = Field(
        description="window_past, beyond_horizon, patient_days, clinic_closed, "
        "patient_times, prescriber, nurses, chairs or after_unplaced"
    )
    message: str


class ProposalOut(BaseModel):
    option: int
    score: int
    visits: list[VisitOut]
    unplaced: list[UnplacedOut] = Field(
        default_factory=list, description="Sessions this proposal cannot place, and why"
    )


class AppointmentOut(BaseModel):
    id: int
    patient_id: int
    plan_id: int | None
    session_number: int
    chair_id: int
    starts_at: IsoDateTime
    setup_ends_at: IsoDateTime
    administration_ends_at: IsoDateTime
    ends_at: IsoDateTime
    status: str
    escort_confirmed: Bool
    needs_prescriber: Bool


class ShiftIn(_In):
    user_id: Id
    starts: ClinicTime
    ends: ClinicTime


class RosterIn(_In):
    day: IsoDate
    shifts: list[ShiftIn] = Field(max_length=100)


class ShiftOut(BaseModel):
    user_id: int
    name: str
    role: str
    starts: ClinicTime
    ends: ClinicTime


class RosterOut(BaseModel):
    day: IsoDate
    default: Bool = Field(description="No roster: every nurse and prescriber, opening hours")
    shifts: list[ShiftOut]
