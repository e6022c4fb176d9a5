"""Consultation requests from the public pre-screen, waiting for the front desk."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ketaclinic.kit.db import Base, UTCDateTime
from ketaclinic.kit.time import utcnow

INQUIRY_STATUSES = ("new", "contacted", "converted", "closed")


class Inquiry(Base):
    """Exactly what the public form asks, nothing more (no IP, no user agent)."""

    __tablename__ = "inquiries"
    __table_args__ = (
        Index("ix_inquiries_clinic_status_created", "clinic_id", "status", "created_at"),
        CheckConstraint("status IN ('new', 'contacted', 'converted', 'closed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    preferred_times: Mapped[str] = mapped_column(String(300), default="")
    # The self-screen answers as given (JSON); shown to staff, never scored for the public.
    answers: Mapped[str] = mapped_column(Text, default="{}")
    consent_to_contact: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(12), default="new")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), nullable=True)
