"""The demo's network operator: one account in every demo clinic that reads the
outcome reports across them and nothing else (no chart, no patient's name)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.auth.models import Membership
from ketaclinic.auth.service import create_user
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.roles import Role

EMAIL = "network@lakeside.example.org"
NAME = "Noor Haddad"


def add_network_operator(
    db: Session, slugs: list[str], password: str
) -> list[tuple[str, str, str]]:
    """The operator, a member of each clinic named; the logins to list."""
    clinics = {c.slug: c for c in db.scalars(select(Clinic).where(Clinic.slug.in_(slugs)))}
    first, *others = [clinics[s] for s in slugs]
    user = create_user(
        db,
        email=EMAIL,
        name=NAME,
        password=password,
        role=Role.NETWORK_OPERATOR.value,
        clinic=first,
    )
    for clinic in others:
        db.add(Membership(user_id=user.id, clinic_id=clinic.id, role=Role.NETWORK_OPERATOR.value))
    db.flush()
    return [(Role.NETWORK_OPERATOR.value, EMAIL, slug) for slug in slugs]
