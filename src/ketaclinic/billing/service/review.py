"""The clinic's visits with charges, for review: what each billed, its total, and
whether lines still wait to be finalised."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.billing import repository as repo
from ketaclinic.billing.models import ChargeLine
from ketaclinic.billing.service.charges import clinics_of
from ketaclinic.clinics.service import today_at
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.patients.models import Patient

REVIEW_DAYS = 45


@dataclass
class VisitSummary:
    session_id: int
    patient: Patient
    date_of_service: date
    lines: list[ChargeLine] = field(default_factory=list)

    @property
    def codes(self) -> list[str]:
        return [f"{x.code}{' x ' + str(x.units) if x.units != 1 else ''}" for x in self.lines]

    @property
    def total_cents(self) -> int:
        return sum(x.amount_cents or 0 for x in self.lines)

    @property
    def drafts(self) -> int:
        return sum(1 for x in self.lines if x.status == "draft")

    @property
    def finals(self) -> int:
        return sum(1 for x in self.lines if x.status == "final")


def visits(db: Session, principal: Principal, clinic_id: int) -> list[VisitSummary]:
    """The clinic's visits with charge lines in the last ``REVIEW_DAYS`` days, newest
    first; audited as a read of the clinic's billing list."""
    principal.require(Permission.BILLING, clinic_id)
    since = today_at(db, clinic_id) - timedelta(days=REVIEW_DAYS)
    found: dict[int, VisitSummary] = {}
    for line, patient in repo.lines_since(db, clinics_of(principal), clinic_id, since):
        summary = found.setdefault(
            line.session_id, VisitSummary(line.session_id, patient, line.date_of_service)
        )
        summary.lines.append(line)
    audit.record(
        db,
        principal,
        "billing.visits_read",
        clinic_id=clinic_id,
        resource_type="charge_lines",
        detail={"since": since.isoformat(), "visits": len(found)},
    )
    return list(found.values())
