"""The clinic's calendar: chairs, opening hours, closures, appointments (one visit:
set-up, administration, observation, all in one chair), their history, and the
waitlist.

No chair is ever double-booked, even under concurrent requests: on PostgreSQL an
exclusion constraint over (chair, time range) of booked visits; on SQLite a
trigger refuses the overlapping insert or update inside the serialised write
transaction (migration 0009).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ketaclinic.kit.db import Base, UTCDateTime
from ketaclinic.kit.time import utcnow

STATUSES = ("booked", "cancelled", "no_show", "completed")


class Chair(Base):
    __tablename__ = "chairs"
    __table_args__ = (UniqueConstraint("clinic_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    # Equipped for the 4-hour pain infusions (recliner, pump stand, privacy).
    long_infusion: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ClinicHours(Base):
    """A weekday's opening, in minutes from midnight (clinic time). Visits lie
    inside [opens, closes); after ``regular_close`` is overtime."""

    __tablename__ = "clinic_hours"
    __table_args__ = (
        UniqueConstraint("clinic_id", "weekday"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint(
            "0 <= opens AND opens < regular_close AND regular_close <= closes AND closes <= 1440",
            name="order",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    weekday: Mapped[int] = mapped_column(Integer)  # Monday = 0
    opens: Mapped[int] = mapped_column(Integer)
    regular_close: Mapped[int] = mapped_column(Integer)
    closes: Mapped[int] = mapped_column(Integer)


class ClinicClosure(Base):
    __tablename__ = "clinic_closures"
    __table_args__ = (UniqueConstraint("clinic_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200), default="")


class StaffShift(Base):
    """Who is on site on a day, and when. A day with no rows falls back to every
    nurse and prescriber of the clinic for the opening hours; a day with rows uses
    exactly those (so an absence is a roster without that person)."""

    __tablename__ = "staff_shifts"
    __table_args__ = (
        UniqueConstraint("clinic_id", "day", "user_id"),
        CheckConstraint("0 <= starts AND starts < ends AND ends <= 1440", name="order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    day: Mapped[date] = mapped_column(Date, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(20))  # nurse or prescriber
    starts: Mapped[int] = mapped_column(Integer)  # minutes from midnight, clinic time
    ends: Mapped[int] = mapped_column(Integer)


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint("status IN ('booked', 'cancelled', 'no_show', 'completed')", name="status"),
        CheckConstraint(
            "starts_at < setup_ends_at AND setup_ends_at < administration_ends_at "
            "AND administration_ends_at < ends_at",
            name="phases_in_order",
        ),
        Index("ix_appointments_clinic_time", "clinic_id", "starts_at"),
        Index("ix_appointments_chair_time", "chair_id", "starts_at"),
        Index("ix_appointments_patient", "patient_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("treatment_plans.id"), nullable=True)
    session_number: Mapped[int] = mapped_column(Integer)
    chair_id: Mapped[int] = mapped_column(ForeignKey("chairs.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    setup_ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    administration_ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    needs_long_chair: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_prescriber: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(12), default="booked")
    escort_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AppointmentEvent(Base):
    """What happened to an appointment, and why. Never updated or deleted."""

    __tablename__ = "appointment_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # booked, rescheduled, cancelled, ...
    reason: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WaitlistEntry(Base):
    """A patient waiting for an earlier slot; offered one when a slot frees."""

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        CheckConstraint("status IN ('waiting', 'offered', 'booked', 'withdrawn')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    plan_id: Mapped[int] = mapped_column(ForeignKey("treatment_plans.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="waiting")
    offer: Mapped[str] = mapped_column(Text, default="")  # JSON: the freed slot offered
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
