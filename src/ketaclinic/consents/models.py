"""Consent signatures, the documents a clinic shares with a patient to sign, and the
copies of documents it shares to read (``SharedDocumentCopy``).

Both append-only (database triggers refuse UPDATE and DELETE): a signature keeps the
document's id, version, title and the SHA-256 of the exact text signed, the typed
name, time, address and browser, and the PDF copy made when it was signed. The first
two are append-only; a shared copy's read times are set when the patient opens it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ketaclinic.kit.db import Base, UTCDateTime
from ketaclinic.kit.time import utcnow


class ConsentSignature(Base):
    __tablename__ = "consent_signatures"
    __table_args__ = (Index("ix_consent_signatures_patient_document", "patient_id", "document_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    # The portal account that signed (the portal's table; no foreign key across domains).
    account_id: Mapped[int | None] = mapped_column(nullable=True)
    document_id: Mapped[str] = mapped_column(String(60))
    document_version: Mapped[str] = mapped_column(String(20))
    document_title: Mapped[str] = mapped_column(String(200))
    document_sha256: Mapped[str] = mapped_column(String(64))
    typed_name: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ip_address: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(Text)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)


class ConsentRequest(Base):
    """Staff shared a document with the patient to read and sign."""

    __tablename__ = "consent_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    document_id: Mapped[str] = mapped_column(String(60))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SharedDocumentCopy(Base):
    """A document the clinic shared with the patient to read: the version, title, text
    and SHA-256 as shared (a newer version later does not change what was shared), who
    shared it (none when shared on its own, at a session's end) and when the patient
    first opened it in the portal."""

    __tablename__ = "shared_documents"
    __table_args__ = (Index("ix_shared_documents_patient_document", "patient_id", "document_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    document_id: Mapped[str] = mapped_column(String(60))
    document_version: Mapped[str] = mapped_column(String(20))
    document_title: Mapped[str] = mapped_column(String(200))
    document_sha256: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    shared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # What shared it when no one did by hand (e.g. "session_completed").
    shared_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    shared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
