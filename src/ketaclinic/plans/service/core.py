"""What every plan use case shares: the policy, the view of a plan version."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy.orm import Session

from ketaclinic.clinical.dosing import (
    DoseError,
)
from ketaclinic.clinical.treatment import (
    PlanStatus,
    Protocol,
    load_protocols,
)
from ketaclinic.identity.principal import Principal
from ketaclinic.kit.time import utcnow
from ketaclinic.patients.models import Patient
from ketaclinic.plans import errors
from ketaclinic.plans.models import PlanEvent, TreatmentPlan
from ketaclinic.screenings import service as screenings

REASON_MIN_LENGTH = 10


@dataclass(frozen=True)
class PlanPolicy:
    protocols: Mapping[str, Protocol] = field(default_factory=load_protocols)
    screening: screenings.ScreeningPolicy = field(default_factory=screenings.ScreeningPolicy)
    volume_step: Decimal = Decimal("0.1")
    # How recent a weight must be and how far rounding may move the dose are the
    # clinic's (clinics.settings.for_clinic).

    def protocol(self, protocol_id: str, field_name: str = "protocol_id") -> Protocol:
        found = self.protocols.get(protocol_id)
        if found is None:
            known = ", ".join(sorted(self.protocols))
            raise errors.UnknownProtocol(f"unknown protocol; known: {known}", field=field_name)
        return found


@dataclass(frozen=True)
class PlanView:
    plan: TreatmentPlan
    status: PlanStatus
    events: list[PlanEvent]


def _dose_error(exc: DoseError) -> errors.DoseRefused:
    return errors.DoseRefused(fields=exc.fields)


def save_draft(db: Session, principal: Principal, patient: Patient, row: TreatmentPlan) -> None:
    """Store a new plan version as a draft with its first event (a new plan and a
    revision, such as a booster's, alike)."""
    db.add(row)
    db.flush()
    db.add(
        PlanEvent(
            plan_id=row.id,
            patient_id=patient.id,
            seq=1,
            action="draft",
            status="draft",
            by_id=principal.user_id,
            at=utcnow(),
        )
    )
    db.flush()
