"""What every plan use case shares: the policy, the view of a plan version."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from ketaclinic.clinical.dosing import (
    DEFAULT_MAX_WEIGHT_AGE_DAYS,
    DEFAULT_ROUNDING_TOLERANCE,
    DoseError,
)
from ketaclinic.clinical.treatment import (
    PlanStatus,
    Protocol,
    load_protocols,
)
from ketaclinic.plans import errors
from ketaclinic.plans.models import PlanEvent, TreatmentPlan
from ketaclinic.screenings import service as screenings

REASON_MIN_LENGTH = 10


@dataclass(frozen=True)
class PlanPolicy:
    protocols: Mapping[str, Protocol] = field(default_factory=load_protocols)
    screening: screenings.ScreeningPolicy = field(default_factory=screenings.ScreeningPolicy)
    weight_max_age_days: int = DEFAULT_MAX_WEIGHT_AGE_DAYS
    volume_step: Decimal = Decimal("0.1")
    # The delivered dose stays within this fraction of the ordered one (settings).
    rounding_tolerance: Decimal = DEFAULT_ROUNDING_TOLERANCE

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
