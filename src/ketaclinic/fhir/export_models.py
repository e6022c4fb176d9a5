"""A bulk export (FHIR Bulk Data Access): asked for by one staff member or client,
run by the job runner, its NDJSON files kept under the data directory until it is
deleted. Holds no patient data itself (the files do)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ketaclinic.kit.db import Base, UTCDateTime
from ketaclinic.kit.time import utcnow

# queued → running → done | failed; cancelled (DELETE) at any point before or after.
EXPORT_STATUSES = ("queued", "running", "done", "failed", "cancelled")


class FhirExport(Base):
    __tablename__ = "fhir_exports"
    __table_args__ = (CheckConstraint(f"status IN {EXPORT_STATUSES!r}", name="status"),)

    # A random id: the status address names it, and must not be guessable.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # Who asked: a staff member, or a registered backend client (SMART Backend Services).
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), index=True, nullable=True
    )
    requested_by_client_id: Mapped[int | None] = mapped_column(
        ForeignKey("smart_clients.id"), index=True, nullable=True
    )
    # The clinics it covers, as "1,2" (the caller's clinics when asked, or the group's).
    clinic_ids: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(10))  # system, patient, group
    types: Mapped[str] = mapped_column(String(600))  # "Patient,Observation"
    since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    request_url: Mapped[str] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(10), default="queued")
    progress: Mapped[str] = mapped_column(String(200), default="")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # JSON list of {"type", "name", "count"} once done.
    files: Mapped[str] = mapped_column(Text, default="[]")
    resources: Mapped[int] = mapped_column(Integer, default=0)
    transaction_time: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
