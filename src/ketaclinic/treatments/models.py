"""Treatments given: the dates outcomes are measured against.

A minimal record for now (when, which modality, who recorded it); chairside
charting of the session itself builds on this table.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ketaclinic.kit.db import Base, UTCDateTime
from ketaclinic.kit.time import utcnow

MODALITIES = ("iv_ketamine", "im_ketamine", "sl_ketamine", "esketamine_nasal")


class TreatmentSession(Base):
    __tablename__ = "treatment_sessions"
    __table_args__ = (
        CheckConstraint(
            "modality IN ('iv_ketamine', 'im_ketamine', 'sl_ketamine', 'esketamine_nasal')",
            name="modality",
        ),
        # The outcome report numbers each patient's treatments in time order (0019).
        Index("ix_treatment_sessions_patient_given", "patient_id", "given_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    given_at: Mapped[datetime] = mapped_column(UTCDateTime)
    modality: Mapped[str] = mapped_column(String(20))
    # The plan it was given under (chairside dose release); None when recorded by hand.
    plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("treatment_plans.id"), nullable=True, index=True
    )
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
