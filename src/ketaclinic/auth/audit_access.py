"""Who may read which part of the audit trail (an access question, so auth's), the
staff whose sign-ins go with a clinic's trail, and reading the trail recorded on it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit import errors
from ketaclinic.audit import service as audit
from ketaclinic.auth.models import Membership, User
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission


def readable_clinics(principal: Principal, clinic_id: int | None) -> list[int]:
    """The clinics whose trail the caller may read, narrowed to one if asked."""
    clinics = principal.require_any(Permission.AUDIT_READ)
    if clinic_id is None:
        return clinics
    principal.require(Permission.AUDIT_READ, clinic_id)
    return [clinic_id]


def staff_of(db: Session, clinic_ids: Sequence[int]) -> list[int]:
    """Users with a role in these clinics: their sign-ins are on the system chain."""
    stmt = select(Membership.user_id).where(Membership.clinic_id.in_(list(clinic_ids)))
    return sorted(set(db.scalars(stmt)))


def user_by_email(db: Session, email: str) -> int:
    found = db.scalar(select(User.id).where(User.email == email.strip().lower()))
    if found is None:
        raise errors.AuditStaffUnknown(f"no staff member with email {email.strip()!r}")
    return found


def day_bounds(
    since: date | None, until: date | None, timezone: str
) -> tuple[datetime | None, datetime | None]:
    """Clinic-local dates to an instant range: ``until`` is inclusive of its whole day."""
    tz = ZoneInfo(timezone)
    if since and until and until < since:
        raise errors.AuditRangeReversed()
    start = datetime.combine(since, time.min, tz) if since else None
    end = datetime.combine(until + timedelta(days=1), time.min, tz) if until else None
    return start, end


def record_reading(
    db: Session, principal: Principal, clinic_ids: Sequence[int], f: audit.AuditFilter
) -> None:
    """Reading the trail is itself on the trail of each clinic read."""
    detail = {
        "patient_id": f.patient_id,
        "user_id": f.user_id,
        "action": f.action or "",
        "outcome": f.outcome or "",
        "since": f.since,
        "until": f.until,
    }
    for clinic_id in clinic_ids:
        audit.record(
            db,
            principal,
            "audit.read",
            clinic_id=clinic_id,
            patient_id=f.patient_id,
            resource_type="audit",
            detail=detail,
        )
