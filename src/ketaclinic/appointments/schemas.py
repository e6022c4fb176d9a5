"""Shapes of the calendar's requests and answers."""

from __future__ import annotations

from datetime import date, datetime, time

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ketaclinic.kit.fields import ClinicTime, Id, Weekday


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


class BookIn(_In):
    option: int = Field(default=0, ge=0, le=9, description="0 = the best proposal")
    availability: AvailabilityIn | None = None


class RescheduleIn(_In):
    starts_at: datetime
    chair_id: Id


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


class ShiftIn(_In):
    user_id: Id
    starts: ClinicTime
    ends: ClinicTime


class RosterIn(_In):
    day: date
    shifts: list[ShiftIn] = Field(max_length=100)


class ShiftOut(BaseModel):
    user_id: int
    name: str
    role: str
    starts: time
    ends: time


class RosterOut(BaseModel):
    day: date
    default: bool = Field(description="No roster: every nurse and prescriber, opening hours")
    shifts: list[ShiftOut]
