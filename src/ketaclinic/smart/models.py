"""Registered backend clients, the access tokens they were given and the assertion
ids (``jti``) they used. Clinic-owned: row-level security by ``clinic_id`` on
PostgreSQL (migration 0028)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ketaclinic.kit.db import Base, UTCDateTime
from ketaclinic.kit.time import utcnow

NAME_MAX = 120


class SmartClient(Base):
    """A system that reads the clinic's FHIR data with SMART Backend Services: it signs
    a short JWT with a private key whose public half is in ``jwks``. It acts as one
    role in one clinic, with at most ``scopes``. Revoked, never deleted."""

    __tablename__ = "smart_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    role: Mapped[str] = mapped_column(String(20))
    scopes: Mapped[str] = mapped_column(String(2000))  # space-separated, canonical
    jwks: Mapped[str] = mapped_column(Text)  # the public keys, a JWKS document (JSON)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    @property
    def actor(self) -> str:
        """How the audit trail names the client."""
        return f"fhir-client:{self.id}"


class SmartAccessToken(Base):
    """An access token given at the token endpoint: only its SHA-256 is kept."""

    __tablename__ = "smart_access_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(
        ForeignKey("smart_clients.id", ondelete="CASCADE"), index=True
    )
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(2000))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SmartAssertionUse(Base):
    """A client assertion's ``jti``, kept until the assertion expires, so the same
    assertion is never accepted twice (by any process: the unique constraint)."""

    __tablename__ = "smart_assertion_uses"
    __table_args__ = (UniqueConstraint("client_id", "jti"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(
        ForeignKey("smart_clients.id", ondelete="CASCADE"), index=True
    )
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    jti: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
