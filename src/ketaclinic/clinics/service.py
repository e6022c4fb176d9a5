"""Creating and finding clinics."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.clinics.models import Clinic
from ketaclinic.kit.errors import Conflict, NotFound, ValidationFailed

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")


def create_clinic(db: Session, *, slug: str, name: str, timezone: str, address: str = "") -> Clinic:
    fields: dict[str, str] = {}
    if not SLUG_RE.match(slug):
        fields["slug"] = "use 1 to 40 lowercase letters, digits and inner hyphens"
    if not name.strip() or len(name) > 200:
        fields["name"] = "must be 1 to 200 characters"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        fields["timezone"] = (
            f"unknown time zone {timezone!r} (use an IANA name like America/Chicago)"
        )
    if fields:
        raise ValidationFailed("Please correct the clinic details.", fields)
    if db.scalar(select(Clinic.id).where(Clinic.slug == slug)) is not None:
        raise Conflict(f"A clinic with slug {slug!r} already exists.", {"slug": "already exists"})
    clinic = Clinic(slug=slug, name=name.strip(), timezone=timezone, address=address.strip())
    db.add(clinic)
    db.flush()
    return clinic


def get_by_slug(db: Session, slug: str) -> Clinic:
    clinic = db.scalar(select(Clinic).where(Clinic.slug == slug))
    if clinic is None:
        raise NotFound(f"No clinic with slug {slug!r}.", {"clinic": "not found"})
    return clinic


def list_clinics(db: Session) -> list[Clinic]:
    return list(db.scalars(select(Clinic).order_by(Clinic.name)))
