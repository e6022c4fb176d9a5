"""Intake facts, stored screenings and prescriber signatures. All three are
append-only (database triggers refuse UPDATE and DELETE): a changed intake is a
new version, a re-screen is a new screening, and a signature is never edited.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ketaclinic.kit.db import Base, UTCDateTime
from ketaclinic.kit.time import utcnow


class PatientIntake(Base):
    """One version of a patient's intake answers (the screening facts, as JSON in
    canonical form). The newest row is the current intake."""

    __tablename__ = "patient_intakes"
    __table_args__ = (Index("ix_patient_intakes_patient_recorded", "patient_id", "recorded_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    facts: Mapped[str] = mapped_column(Text)
    # Clinician's free-text context (which antidepressants, which medications).
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Screening(Base):
    """A rule set run over the facts of one moment: the rule-set version, the
    facts used (age derived from the birth date) and the engine's explained
    result are kept as they were, so the decision can be re-read years later."""

    __tablename__ = "screenings"
    __table_args__ = (
        Index("ix_screenings_patient_run", "patient_id", "run_at"),
        CheckConstraint(
            "decision IN ('eligible', 'needs_review', 'not_eligible')", name="decision"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    intake_id: Mapped[int | None] = mapped_column(ForeignKey("patient_intakes.id"), nullable=True)
    rule_set_id: Mapped[str] = mapped_column(String(40))
    rule_set_version: Mapped[str] = mapped_column(String(20))
    facts: Mapped[str] = mapped_column(Text)  # JSON, canonical (facts_to_json)
    decision: Mapped[str] = mapped_column(String(16))
    result: Mapped[str] = mapped_column(Text)  # JSON: fired, undecided, missing
    run_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    run_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class ScreeningSignature(Base):
    """A prescriber's decision on a screening. One per screening (unique), so two
    prescribers signing at once cannot both succeed. ``override`` marks a decision
    that differs from the engine's; it must carry a written reason."""

    __tablename__ = "screening_signatures"
    __table_args__ = (
        CheckConstraint("decision IN ('eligible', 'not_eligible')", name="decision"),
        CheckConstraint("NOT override OR reason IS NOT NULL", name="override_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    screening_id: Mapped[int] = mapped_column(ForeignKey("screenings.id"), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    decision: Mapped[str] = mapped_column(String(16))
    override: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
