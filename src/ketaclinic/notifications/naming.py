"""How messages to patients name each clinic: an administrator gives a clinic whose
name reveals its care ("Lakeside Ketamine & Wellness") a name for its messages that
does not ("Lakeside Wellness"); without one, such a clinic's messages say "your
clinic" (``clinical.messaging.sender_name``). Changes are audited."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.clinical.messaging import revealing_words, sender_name
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.notifications.errors import MessageNameInvalid

MAX_LENGTH = 120


@dataclass(frozen=True)
class Naming:
    clinic: Clinic
    chosen: str | None  # the name set for messages, None when none is
    shown: str  # what messages say
    revealing: list[str]  # what the clinic's own name gives away


def namings(db: Session, principal: Principal) -> list[Naming]:
    """Each clinic the caller manages, with how its messages name it."""
    ids = principal.clinics_with(Permission.SETTINGS_MANAGE)
    clinics = db.scalars(select(Clinic).where(Clinic.id.in_(ids)).order_by(Clinic.name))
    return [
        Naming(c, c.message_name, sender_name(c.name, c.message_name), revealing_words(c.name))
        for c in clinics
    ]


def set_message_name(db: Session, principal: Principal, clinic_id: int, text: str) -> str:
    """Set (or, with blank ``text``, clear) the clinic's name for messages; returns
    what its messages now say. A name that itself reveals the care is refused."""
    principal.require(Permission.SETTINGS_MANAGE, clinic_id)
    clinic = db.get(Clinic, clinic_id)
    if clinic is None:
        raise MessageNameInvalid.on("clinic_id", "not a clinic you manage")
    value = " ".join(text.split()) or None
    if value is not None:
        if len(value) > MAX_LENGTH:
            raise MessageNameInvalid(f"at most {MAX_LENGTH} characters")
        found = revealing_words(value)
        if found:
            raise MessageNameInvalid(
                f'would tell whoever reads the message about the care ("{found[0]}"): '
                "choose a name without it"
            )
    old = clinic.message_name
    if old != value:
        clinic.message_name = value
        audit.record(
            db,
            principal,
            "clinic.message_name_changed",
            clinic_id=clinic.id,
            resource_type="clinic",
            resource_id=clinic.id,
            detail={"old": old, "new": value},
        )
    return sender_name(clinic.name, value)
