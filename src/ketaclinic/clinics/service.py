"""Creating and finding clinics."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.clinics import errors
from ketaclinic.clinics.models import Clinic
from ketaclinic.kit.time import to_local, utcnow

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")


def region_errors(country: str, subdivision: str | None) -> dict[str, str]:
    """What is wrong with a country and subdivision, by field: both must be ones
    the ``holidays`` package has a calendar for, or closures cannot be filled."""
    supported = holidays.list_supported_countries()
    if country not in supported:
        return {"country": f"unknown country {country!r} (use an ISO 3166-1 code like US)"}
    if subdivision and subdivision not in supported[country]:
        return {
            "subdivision": f"{subdivision!r} is not a state or province of {country} "
            f"(e.g. {', '.join(supported[country][:3])})"
        }
    return {}


def create_clinic(
    db: Session,
    *,
    slug: str,
    name: str,
    timezone: str,
    address: str = "",
    country: str = "US",
    subdivision: str | None = None,
) -> Clinic:
    country = country.strip().upper()
    subdivision = (subdivision or "").strip().upper() or None
    fields: dict[str, str] = region_errors(country, subdivision)
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
        raise errors.ClinicDetailsInvalid(fields=fields)
    if db.scalar(select(Clinic.id).where(Clinic.slug == slug)) is not None:
        raise errors.ClinicSlugTaken(
            f"A clinic with slug {slug!r} already exists.", {"slug": "already exists"}
        )
    clinic = Clinic(
        slug=slug,
        name=name.strip(),
        timezone=timezone,
        address=address.strip(),
        country=country,
        subdivision=subdivision,
    )
    db.add(clinic)
    db.flush()
    return clinic


def get_by_slug(db: Session, slug: str) -> Clinic:
    clinic = db.scalar(select(Clinic).where(Clinic.slug == slug))
    if clinic is None:
        raise errors.ClinicNotFound(f"No clinic with slug {slug!r}.", {"clinic": "not found"})
    return clinic


def list_clinics(db: Session) -> list[Clinic]:
    return list(db.scalars(select(Clinic).order_by(Clinic.name)))


def timezone_of(db: Session, clinic_id: int) -> str:
    """The clinic's IANA time zone (UTC if the clinic is gone)."""
    clinic = db.get(Clinic, clinic_id)
    return clinic.timezone if clinic else "UTC"


def today_at(db: Session, clinic_id: int, now: datetime | None = None) -> date:
    """The calendar date at the clinic (dates on forms and plans are the clinic's)."""
    return to_local(now or utcnow(), timezone_of(db, clinic_id)).date()
