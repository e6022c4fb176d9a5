"""Treatment plans, their status history, and dose checks. All append-only
(triggers refuse UPDATE and DELETE): a changed plan is a new version, a status
change is a new event, a second clinician's check is a new row.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ketaclinic.kit.db import Base, UTCDateTime
from ketaclinic.kit.time import utcnow


class TreatmentPlan(Base):
    """One version of a patient's plan: a protocol with the prescriber's
    adjustments, and the sessions it plans with their windows (JSON)."""

    __tablename__ = "treatment_plans"
    __table_args__ = (
        UniqueConstraint("lineage_id", "version"),
        Index("ix_treatment_plans_patient", "patient_id", "lineage_id", "version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    # Every version of one plan shares the lineage id (the first version's id is not
    # known before insert, so the lineage is a random key).
    lineage_id: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    supersedes_id: Mapped[int | None] = mapped_column(
        ForeignKey("treatment_plans.id"), nullable=True
    )
    protocol_id: Mapped[str] = mapped_column(String(40))
    protocol_version: Mapped[str] = mapped_column(String(20))
    dose_amount: Mapped[Decimal] = mapped_column(Numeric(8, 3))
    dose_unit: Mapped[str] = mapped_column(String(24))
    preparation: Mapped[str] = mapped_column(String(100))
    weight_basis: Mapped[str] = mapped_column(String(10))
    start_date: Mapped[date] = mapped_column(Date)
    sessions: Mapped[str] = mapped_column(Text)  # JSON: number, block, dates, optional
    note: Mapped[str] = mapped_column(Text, default="")
    # Why the dose is above the protocol's soft limit (required then).
    over_soft_limit_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PlanEvent(Base):
    """A status change of one plan version; the newest is its current status.

    ``seq`` numbers a version's events 1, 2, 3...; the unique key makes two
    concurrent actions on one version collide instead of both landing.
    """

    __tablename__ = "plan_events"
    __table_args__ = (
        Index("ix_plan_events_plan", "plan_id", "id"),
        UniqueConstraint("plan_id", "seq"),
        CheckConstraint(
            "status IN ('draft', 'signed', 'active', 'paused', 'completed', 'stopped', "
            "'superseded')",
            name="status",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("treatment_plans.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The screening that cleared the patient when the plan was signed.
    screening_id: Mapped[int | None] = mapped_column(ForeignKey("screenings.id"), nullable=True)
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DoseCheck(Base):
    """A session's dose as the first clinician worked it out, from the weight and
    the concentration they entered; released only by a matching second check."""

    __tablename__ = "dose_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("treatment_plans.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    session_number: Mapped[int] = mapped_column(Integer)
    # The weighing dosed by (None for a fixed dose such as esketamine).
    weight_kg: Mapped[Decimal | None] = mapped_column(Numeric(5, 1), nullable=True)
    weighed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    concentration_mg_per_ml: Mapped[Decimal | None] = mapped_column(Numeric(8, 3), nullable=True)
    dose_mg: Mapped[Decimal] = mapped_column(Numeric(10, 3))
    volume_ml: Mapped[Decimal | None] = mapped_column(Numeric(10, 3), nullable=True)
    rate_ml_per_h: Mapped[Decimal | None] = mapped_column(Numeric(10, 3), nullable=True)
    duration_min: Mapped[int | None] = mapped_column(Integer, nullable=True)
    devices: Mapped[int | None] = mapped_column(Integer, nullable=True)
    over_soft_limit_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    calculated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    calculated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DoseVerification(Base):
    """A second clinician's blind re-entry; ``matched`` releases the dose."""

    __tablename__ = "dose_verifications"
    __table_args__ = (Index("ix_dose_verifications_check", "check_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("dose_checks.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    matched: Mapped[bool] = mapped_column(Boolean)
    mismatched_fields: Mapped[str] = mapped_column(String(100), default="")
    verified_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
