"""A clinic's daily close: the money taken and given back on one of the clinic's local
dates, by method and by the staff member who recorded it (names, not ids). Summed in
the database; the pure core (``clinical.billing.statements.close``) adds up the groups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.billing import report_repository as repo
from ketaclinic.billing.repository import users_named
from ketaclinic.billing.service.statements import method_words
from ketaclinic.clinical.billing.statements import Close, Money, close
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Origin, Principal
from ketaclinic.identity.roles import Permission

NOBODY = "Not recorded"


@dataclass(frozen=True)
class DailyClose:
    clinic: Clinic
    day: date
    totals: Close


def daily_close(
    db: Session,
    principal: Principal | None,
    clinic: Clinic,
    day: date,
    *,
    actor: str | None = None,
    origin: Origin | None = None,
) -> DailyClose:
    """The close of ``clinic`` for ``day``. Staff need the billing permission in the
    clinic; a command run on the server passes no principal."""
    if principal is not None:
        principal.require(Permission.BILLING, clinic.id)
    groups = repo.day_money(db, [clinic.id], clinic.id, day)
    names = users_named(db, {g.by_id for g in groups if g.by_id})
    totals = close(
        Money(
            g.kind,
            method_words(g.method),
            names.get(g.by_id or 0) or NOBODY,
            g.amount_cents,
            g.count,
        )
        for g in groups
    )
    audit.record(
        db,
        principal,
        "billing.close.read",
        clinic_id=clinic.id,
        resource_type="clinic",
        resource_id=clinic.id,
        detail={"date": day.isoformat(), "payments": totals.payments, "refunds": totals.refunds},
        actor=actor,
        origin=origin,
    )
    return DailyClose(clinic, day, totals)
