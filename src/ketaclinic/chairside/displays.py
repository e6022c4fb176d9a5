"""Wall screens: the clinic board on a screen left on, without a staff session.

An administrator makes a display link (``/display/<token>``) for a screen and can
switch it off at any time. The link is the key: only its SHA-256 is kept, the link
is shown once. The screen shows the chairs with each patient's initials only, read
only; making, switching off and every opening of a display are in the audit trail.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ketaclinic.audit import service as audit
from ketaclinic.chairside.errors import DisplayLabelRequired, DisplayLabelTooLong, DisplayNotFound
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Origin, Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.db import Base, UTCDateTime
from ketaclinic.kit.time import utcnow

TOUCH_EVERY = timedelta(minutes=1)  # last_used_at to the minute, like API tokens
LABEL_MAX = 80


class DisplayToken(Base):
    """One wall screen's link; revoked, never deleted (the audit trail names it)."""

    __tablename__ = "display_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    label: Mapped[str] = mapped_column(String(LABEL_MAX))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    @property
    def actor(self) -> str:
        """Who the audit trail says acted when the screen reads the board."""
        return f"wall screen {self.id} ({self.label})"


@dataclass(frozen=True)
class Listed:
    display: DisplayToken
    clinic: Clinic


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(
    db: Session, principal: Principal, clinic_id: int, label: str
) -> tuple[DisplayToken, str]:
    """A new display for ``clinic_id``; the token (shown once) and its row."""
    principal.require(Permission.DISPLAY_MANAGE, clinic_id)
    label = " ".join(label.split())
    if not label:
        raise DisplayLabelRequired("name the screen, e.g. Waiting room")
    if len(label) > LABEL_MAX:
        raise DisplayLabelTooLong(f"at most {LABEL_MAX} characters")
    token = secrets.token_urlsafe(32)
    row = DisplayToken(
        clinic_id=clinic_id, label=label, token_hash=_hash(token), created_by=principal.user_id
    )
    db.add(row)
    db.flush()
    audit.record(
        db,
        principal,
        "display.created",
        clinic_id=clinic_id,
        resource_type="display",
        resource_id=row.id,
        detail={"label": label},
    )
    return row, token


def listed(db: Session, principal: Principal) -> list[Listed]:
    clinics = principal.clinics_with(Permission.DISPLAY_MANAGE)
    rows = db.execute(
        select(DisplayToken, Clinic)
        .join(Clinic, Clinic.id == DisplayToken.clinic_id)
        .where(DisplayToken.clinic_id.in_(clinics))
        .order_by(DisplayToken.revoked_at.is_not(None), DisplayToken.id.desc())
    )
    return [Listed(d, c) for d, c in rows]


def revoke(db: Session, principal: Principal, display_id: int) -> DisplayToken:
    row = db.get(DisplayToken, display_id, with_for_update=True)
    if row is None or not principal.can(Permission.DISPLAY_MANAGE, row.clinic_id):
        raise DisplayNotFound("No wall screen with that id.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        row.revoked_by = principal.user_id
        audit.record(
            db,
            principal,
            "display.revoked",
            clinic_id=row.clinic_id,
            resource_type="display",
            resource_id=row.id,
            detail={"label": row.label},
        )
    return row


def by_token(db: Session, token: str) -> DisplayToken | None:
    """The display behind a link, switched off or not (None: no such link)."""
    if not token or len(token) > 100:
        return None
    return db.scalar(select(DisplayToken).where(DisplayToken.token_hash == _hash(token)))


def used(db: Session, row: DisplayToken) -> None:
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        row.last_used_at = now


def record(
    db: Session, row: DisplayToken, action: str, origin: Origin, detail: dict[str, object]
) -> None:
    """An event of the screen's, on its clinic's chain (``display.opened``: the page
    loaded; ``display.viewed``: other patients came on screen; ``display.refused``:
    the link was used after it was switched off)."""
    audit.record(
        db,
        None,
        action,
        clinic_id=row.clinic_id,
        resource_type="display",
        resource_id=row.id,
        detail=detail,
        origin=origin,
        actor=row.actor,
    )
