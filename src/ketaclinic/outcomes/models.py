"""Booster suggestions and the prescriber's decision on each, both append-only
(database triggers refuse UPDATE and DELETE). A suggestion is unique per patient, rule
and episode (``evidence_key``: the instrument and the time of the first near-baseline
score), so evaluating the course again, from any process at once, stores it once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ketaclinic.kit.db import Base, UTCDateTime
from ketaclinic.kit.time import utcnow


class BoosterSuggestion(Base):
    __tablename__ = "booster_suggestions"
    __table_args__ = (UniqueConstraint("patient_id", "rule_id", "evidence_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    rule_id: Mapped[str] = mapped_column(String(40))
    instrument_id: Mapped[str] = mapped_column(String(40))
    evidence_key: Mapped[str] = mapped_column(String(120))
    evidence: Mapped[str] = mapped_column(Text)  # JSON: baseline, response, the scores
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BoosterDecision(Base):
    """Accepted (a plan revision follows) or dismissed with a reason; one per suggestion."""

    __tablename__ = "booster_decisions"
    __table_args__ = (
        CheckConstraint("decision IN ('accepted', 'dismissed')", name="decision"),
        CheckConstraint("decision = 'accepted' OR reason IS NOT NULL", name="dismiss_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("booster_suggestions.id"), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    decision: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BoosterEvaluation(Base):
    """How far a patient's booster rules have been evaluated: the newest response and
    treatment the last evaluation saw. The sweep evaluates a patient again when a newer
    one is recorded (a lost enqueue, a treatment entered after its scores). Bookkeeping,
    updated in place; the suggestions it stores are the record."""

    __tablename__ = "booster_evaluations"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), primary_key=True)
    response_id: Mapped[int] = mapped_column(Integer, default=0)
    treatment_id: Mapped[int] = mapped_column(Integer, default=0)
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
