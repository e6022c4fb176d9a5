"""Questionnaire responses, the safety alerts they raise, and one-time patient links."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ketaclinic.kit.db import Base, UTCDateTime
from ketaclinic.kit.time import utcnow


class QuestionnaireResponse(Base):
    """A completed questionnaire as scored when it was taken: the instrument version,
    answers, total, band and flags are stored and never recomputed or updated."""

    __tablename__ = "questionnaire_responses"
    __table_args__ = (
        Index(
            "ix_questionnaire_responses_patient_instrument",
            "patient_id",
            "instrument_id",
            "completed_at",
        ),
        CheckConstraint("completed_by IN ('patient', 'staff')", name="completed_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    instrument_id: Mapped[str] = mapped_column(String(30))
    instrument_version: Mapped[str] = mapped_column(String(20))
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # "patient" (self-completed, on a link or handed a tablet) or "staff" (rated or
    # read aloud and entered on the patient's behalf).
    completed_by: Mapped[str] = mapped_column(String(10))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("treatment_sessions.id"), nullable=True
    )
    answers: Mapped[str] = mapped_column(Text)  # JSON: item id -> value
    total: Mapped[int] = mapped_column(Integer)
    max_total: Mapped[int] = mapped_column(Integer)
    band: Mapped[str] = mapped_column(String(60))
    subscores: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    flags: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of flag ids
    risk_level: Mapped[str | None] = mapped_column(String(20), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SafetyAlert(Base):
    """Raised by a response (e.g. PHQ-9 item 9 above 0); open until a prescriber or
    nurse acknowledges it with a note."""

    __tablename__ = "safety_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_responses.id"))
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(String(300))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class QuestionnaireLink(Base):
    """A one-time link a patient opens on a phone to complete one questionnaire.
    Only the token's SHA-256 is kept; expiring and single use."""

    __tablename__ = "questionnaire_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    instrument_id: Mapped[str] = mapped_column(String(30))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    response_id: Mapped[int | None] = mapped_column(
        ForeignKey("questionnaire_responses.id"), nullable=True
    )
