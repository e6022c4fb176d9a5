"""Staff accounts as an administrator sees them: only the clinics they administer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.auth.models import Membership, User
from ketaclinic.clinics.models import Clinic
from ketaclinic.kit.errors import NotFound


@dataclass
class StaffMember:
    user: User
    # (clinic name, role) in the administrator's clinics only; other clinics are
    # none of this administrator's business.
    roles: list[tuple[str, str]] = field(default_factory=list)

    @property
    def mfa_on(self) -> bool:
        return self.user.totp_enabled_at is not None

    @property
    def locked(self) -> bool:
        return self.user.locked_at is not None


def list_staff(db: Session, clinic_ids: Sequence[int]) -> list[StaffMember]:
    if not clinic_ids:
        return []
    rows = db.execute(
        select(User, Clinic.name, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .join(Clinic, Clinic.id == Membership.clinic_id)
        .where(Membership.clinic_id.in_(list(clinic_ids)))
        .order_by(User.name, User.id, Clinic.name)
    ).all()
    members: dict[int, StaffMember] = {}
    for user, clinic_name, role in rows:
        members.setdefault(user.id, StaffMember(user)).roles.append((clinic_name, role))
    return list(members.values())


def staff_member(db: Session, user_id: int, clinic_ids: Sequence[int]) -> User:
    """A user who works in one of these clinics; NotFound otherwise, so an
    administrator learns nothing about other clinics' staff."""
    user = (
        db.scalar(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(User.id == user_id, Membership.clinic_id.in_(list(clinic_ids)))
            .limit(1)
        )
        if clinic_ids
        else None
    )
    if user is None:
        raise NotFound("No such staff member in your clinics.")
    return user
