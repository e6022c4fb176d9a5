from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ketaclinic.kit.db import Base, UTCDateTime
from ketaclinic.kit.time import utcnow


class Clinic(Base):
    __tablename__ = "clinics"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(400), default="")
    timezone: Mapped[str] = mapped_column(String(64))
    # Where the public-holiday closures come from (appointments.holidays): an
    # ISO 3166-1 alpha-2 country and, optionally, its state or province code.
    country: Mapped[str] = mapped_column(String(2), default="US", server_default="US")
    subdivision: Mapped[str | None] = mapped_column(String(10), default=None)
    # How messages to patients name the clinic when its name would reveal why they
    # are seen there (notifications; clinical.messaging.sender_name). None: the name.
    message_name: Mapped[str | None] = mapped_column(String(120), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClinicSetting(Base):
    """A clinic's own value for one clinical threshold (``clinics.thresholds`` says
    which keys exist and what each accepts); no row: the environment's default."""

    __tablename__ = "clinic_settings"
    __table_args__ = (UniqueConstraint("clinic_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    value: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
