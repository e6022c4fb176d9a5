"""The demo's self-pay accounts (issue 23, point 4), after the month of charges
(demo/billing.py): each clinic's package catalogue (a six-infusion induction at
$2,400, its earlier $2,250 price in the history, and a booster pack of three); one
patient whose whole induction series, six infusions, was drawn from a package sold
and paid by card on the first day, so the account shows a zero balance; card, cash
and HSA payments with the processor's references and a deposit; exactly one refund.
Every day is counted from the clinic's today, so any clock works. Prices are the
demo's own *(practice: docs/clinical-references.md#self-pay-accounts)*."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketaclinic.billing.account_models import AccountEntry
from ketaclinic.billing.service import accounts, charges, packages
from ketaclinic.chairside.models import ChairsideSession
from ketaclinic.clinics.service import today_at
from ketaclinic.demo.billing import KETAMINE_NDC
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Role
from ketaclinic.kit.scoping import in_clinics

INDUCTION = "depression_iv_twice_weekly"
SERIES = 6


def load_accounts(db: Session, slug: str, staff: dict[Role, Principal]) -> int | None:
    """The clinic's packages, payments and one refund; the id of the patient whose
    package paid for their six infusions (``None`` when the clinic has no such series)."""
    admin, desk = staff[Role.ADMIN], staff[Role.FRONT_DESK]
    clinic_id = next(iter(admin.roles))
    today = today_at(db, clinic_id)
    induction = packages.save_package(
        db,
        admin,
        clinic_id,
        name="Six-infusion induction",
        kind="induction",
        visits=6,
        price_cents=225000,
    )
    induction = packages.save_package(
        db,
        admin,
        clinic_id,
        name="Six-infusion induction",
        kind="induction",
        visits=6,
        price_cents=240000,
        key=induction.key,
    )
    boosters = packages.save_package(
        db,
        admin,
        clinic_id,
        name="Booster pack of 3",
        kind="booster",
        visits=3,
        price_cents=127500,
    )
    paid_up = _package_series(db, desk, clinic_id, induction.id, slug)
    _payments(db, desk, clinic_id, today, boosters.id, skip=paid_up)
    return paid_up


def _package_series(
    db: Session, desk: Principal, clinic_id: int, package_id: int, slug: str
) -> int | None:
    """The most recent complete induction series of a patient with nothing on their
    account yet: the package sold and paid on its first day, its visits charged from
    the chart and finalised, each drawn from the package."""
    charged = select(AccountEntry.patient_id).where(AccountEntry.clinic_id == clinic_id)
    stmt = select(ChairsideSession).where(
        ChairsideSession.clinic_id == clinic_id,
        ChairsideSession.protocol_id == INDUCTION,
        ChairsideSession.state.in_(charges.COMPLETED),
        ChairsideSession.administration_started_at.is_not(None),
        ChairsideSession.patient_id.not_in(charged),
    )
    by_plan: dict[tuple[int, int], list[ChairsideSession]] = defaultdict(list)
    for s in db.scalars(in_clinics(stmt, ChairsideSession.clinic_id, [clinic_id])):
        by_plan[(s.patient_id, s.plan_id)].append(s)
    series = [
        sorted(v, key=lambda s: s.session_number)
        for v in by_plan.values()
        if sorted(s.session_number for s in v) == list(range(1, SERIES + 1))
    ]
    if not series:
        return None
    visits = max(series, key=lambda v: (v[0].administration_started_at, v[0].patient_id))
    patient_id = visits[0].patient_id
    lines = []
    for s in visits:
        charges.generate(db, desk, s.id)
        found = charges.visit_charges(db, desk, s.id, audited=False).lines
        for line in found:
            if line.code == "J3490" and not line.ndc:
                charges.set_ndc(db, desk, line.id, KETAMINE_NDC)
        lines.append(found)
    first_day = min(line.date_of_service for found in lines for line in found)
    packages.sell(db, desk, patient_id, package_id, on=first_day)
    accounts.record_payment(
        db,
        desk,
        patient_id,
        amount_cents=240000,
        method="card",
        reference=f"ch_{slug[:4]}_3PkQx7Ld",
        on=first_day,
    )
    for s in visits:
        charges.finalise_visit(db, desk, s.id)
    return patient_id


def _payments(
    db: Session, desk: Principal, clinic_id: int, today: date, boosters_id: int, skip: int | None
) -> None:
    """Money for the month's charges: card with a processor's reference, cash, an HSA
    card, a deposit ahead of the next visit, a booster pack bought, one refund."""
    stmt = (
        select(AccountEntry.patient_id, func.sum(AccountEntry.amount_cents))
        .where(AccountEntry.clinic_id == clinic_id)
        .group_by(AccountEntry.patient_id)
        .order_by(AccountEntry.patient_id)
    )
    owing = [
        (pid, int(total))
        for pid, total in db.execute(in_clinics(stmt, AccountEntry.clinic_id, [clinic_id]))
        if pid != skip and total and total > 0
    ]
    week_ago = today - timedelta(days=7)
    methods = ("card", "cash", "hsa_fsa", "card")
    for n, (pid, total) in enumerate(owing[:4]):
        method = methods[n]
        accounts.record_payment(
            db,
            desk,
            pid,
            amount_cents=total,
            method=method,
            reference=f"pi_{pid:04d}{n}Xq" if method == "card" else "",
            on=week_ago + timedelta(days=n),
        )
    if len(owing) > 4:
        pid, _total = owing[4]
        deposit = accounts.record_payment(
            db,
            desk,
            pid,
            amount_cents=50000,
            method="card",
            reference=f"pi_{pid:04d}Dep",
            purpose="deposit",
            on=today - timedelta(days=3),
        )
        accounts.refund(
            db,
            desk,
            pid,
            deposit.id,
            amount_cents=15000,
            method="card",
            reason="the deposit was more than the visit it held",
            reference=f"re_{pid:04d}",
            on=today - timedelta(days=1),
        )
    if len(owing) > 5:
        pid, _total = owing[5]
        packages.sell(db, desk, pid, boosters_id, on=today - timedelta(days=2))
        accounts.record_payment(
            db, desk, pid, amount_cents=127500, method="hsa_fsa", on=today - timedelta(days=2)
        )
