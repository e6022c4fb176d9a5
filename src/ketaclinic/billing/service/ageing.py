"""A clinic's ageing report on a date: every patient whose account has a balance,
what they owe by age (credits paying the oldest debits first) or the credit the
clinic holds, and the totals. The database sums each patient's entries by age
bucket; the pure core (``clinical.billing.statements``) applies the credits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.billing import report_repository as repo
from ketaclinic.clinical.billing.statements import (
    BUCKET_DAYS,
    Ageing,
    age_debits,
    bucket_starts,
    total_ageing,
)
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Origin, Principal
from ketaclinic.identity.roles import Permission


@dataclass(frozen=True)
class Row:
    patient: repo.Named
    ageing: Ageing


@dataclass(frozen=True)
class AgeingReport:
    clinic: Clinic
    as_of: date
    rows: list[Row]
    totals: Ageing


def _aged(sums: list[repo.BucketSums], as_of: date) -> Ageing:
    # One date a bucket stands for its debits: FIFO pays a bucket's debits together.
    ages = (0, *(bound + 1 for bound in BUCKET_DAYS))
    debits = [(as_of - timedelta(days=ages[s.bucket]), s.debit_cents) for s in sums]
    return age_debits(debits, sum(s.credit_cents for s in sums), as_of)


def ageing(
    db: Session,
    principal: Principal | None,
    clinic: Clinic,
    as_of: date,
    *,
    actor: str | None = None,
    origin: Origin | None = None,
) -> AgeingReport:
    """The ageing of ``clinic``'s accounts on ``as_of`` (entries posted after it are
    left out). Staff need the billing permission in the clinic."""
    if principal is not None:
        principal.require(Permission.BILLING, clinic.id)
    rows: list[Row] = []
    current: list[repo.BucketSums] = []
    for sums in repo.ageing_sums(db, [clinic.id], clinic.id, as_of, bucket_starts(as_of)):
        if current and current[0].patient.id != sums.patient.id:
            rows.append(Row(current[0].patient, _aged(current, as_of)))
            current = []
        current.append(sums)
    if current:
        rows.append(Row(current[0].patient, _aged(current, as_of)))
    rows = [row for row in rows if row.ageing.balance_cents != 0]
    audit.record(
        db,
        principal,
        "billing.ageing.read",
        clinic_id=clinic.id,
        resource_type="clinic",
        resource_id=clinic.id,
        detail={"as_of": as_of.isoformat(), "patients": len(rows)},
        actor=actor,
        origin=origin,
    )
    return AgeingReport(clinic, as_of, rows, total_ageing(row.ageing for row in rows))
