"""The signed-in patient, and the audit trail's record of what they read and change.

No web imports: services of other packages (questionnaires, consent documents) take a
``PortalPatient`` and audit through ``record`` with the patient's account as actor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.identity.principal import Origin

ACTOR_PREFIX = "patient-account:"


@dataclass(frozen=True)
class PortalPatient:
    """Who is signed in to the portal: their account, their own record, its clinic."""

    account_id: int
    patient_id: int
    clinic_id: int
    csrf_token: str = ""
    origin: Origin = field(default_factory=Origin)

    @property
    def actor(self) -> str:
        """How the audit trail names the patient (``patient-account:<id>``)."""
        return f"{ACTOR_PREFIX}{self.account_id}"


def record(
    db: Session,
    patient: PortalPatient,
    action: str,
    *,
    resource_type: str = "",
    resource_id: str | int = "",
    detail: dict[str, Any] | None = None,
    outcome: str = audit.ALLOWED,
) -> None:
    """An audit event for the patient's own record, with their account as actor."""
    audit.record(
        db,
        None,
        action,
        outcome=outcome,
        clinic_id=patient.clinic_id,
        patient_id=patient.patient_id,
        resource_type=resource_type,
        resource_id=resource_id,
        detail=detail,
        origin=patient.origin,
        actor=patient.actor,
    )
