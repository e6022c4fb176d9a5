"""The account reports' queries (statements, receipts, the daily close, ageing), every
one limited to the caller's clinics (``in_clinics``). The clinic-wide reports sum in
the database: a day's money by kind, method and staff member; a clinic's balances
by patient and age bucket."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased

from ketaclinic.billing.account_models import AccountEntry, PackageDraw, PatientPackage
from ketaclinic.billing.models import ChargeLine
from ketaclinic.kit.scoping import in_clinics
from ketaclinic.patients.models import Patient


@dataclass(frozen=True)
class Described:
    """An entry with what the statement says about it."""

    entry: AccountEntry
    code: str | None
    charge_description: str | None
    package_name: str | None
    refunded_receipt_no: str | None


def balance_before(db: Session, clinic_ids: Sequence[int], patient_id: int, day: date) -> int:
    stmt = select(func.coalesce(func.sum(AccountEntry.amount_cents), 0)).where(
        AccountEntry.patient_id == patient_id, AccountEntry.posted_on < day
    )
    return int(db.scalar(in_clinics(stmt, AccountEntry.clinic_id, clinic_ids)) or 0)


def entries_between(
    db: Session, clinic_ids: Sequence[int], patient_id: int, first: date, last: date
) -> list[Described]:
    """The patient's entries posted from ``first`` to ``last``, in posting order, with
    the charge's code, the package's name and a refunded payment's receipt number."""
    sold = aliased(PatientPackage)
    drawn = aliased(PatientPackage)
    refunded = aliased(AccountEntry)
    stmt = (
        select(
            AccountEntry,
            ChargeLine.code,
            ChargeLine.description,
            func.coalesce(sold.name, drawn.name),
            refunded.receipt_no,
        )
        .outerjoin(ChargeLine, ChargeLine.id == AccountEntry.charge_line_id)
        .outerjoin(sold, sold.id == AccountEntry.patient_package_id)
        .outerjoin(PackageDraw, PackageDraw.id == AccountEntry.package_draw_id)
        .outerjoin(drawn, drawn.id == PackageDraw.patient_package_id)
        .outerjoin(refunded, refunded.id == AccountEntry.refund_of_id)
        .where(
            AccountEntry.patient_id == patient_id,
            AccountEntry.posted_on >= first,
            AccountEntry.posted_on <= last,
        )
        .order_by(AccountEntry.posted_on, AccountEntry.id)
    )
    rows = db.execute(in_clinics(stmt, AccountEntry.clinic_id, clinic_ids)).all()
    return [Described(r[0], r[1], r[2], r[3], r[4]) for r in rows]


def payment(
    db: Session, clinic_ids: Sequence[int], patient_id: int, entry_id: int
) -> AccountEntry | None:
    stmt = select(AccountEntry).where(
        AccountEntry.id == entry_id,
        AccountEntry.patient_id == patient_id,
        AccountEntry.kind == "payment",
    )
    return db.scalar(in_clinics(stmt, AccountEntry.clinic_id, clinic_ids))


def refunded_cents(db: Session, clinic_ids: Sequence[int], payment_id: int) -> int:
    stmt = select(func.coalesce(func.sum(AccountEntry.amount_cents), 0)).where(
        AccountEntry.refund_of_id == payment_id, AccountEntry.kind == "refund"
    )
    return int(db.scalar(in_clinics(stmt, AccountEntry.clinic_id, clinic_ids)) or 0)


def payments_of(
    db: Session, clinic_ids: Sequence[int], patient_id: int, limit: int = 200
) -> list[AccountEntry]:
    """The patient's payments, newest first (the portal lists their receipts)."""
    stmt = (
        select(AccountEntry)
        .where(AccountEntry.patient_id == patient_id, AccountEntry.kind == "payment")
        .order_by(AccountEntry.posted_on.desc(), AccountEntry.id.desc())
        .limit(limit)
    )
    return list(db.scalars(in_clinics(stmt, AccountEntry.clinic_id, clinic_ids)))


@dataclass(frozen=True)
class DayMoney:
    kind: str
    method: str
    by_id: int | None
    amount_cents: int
    count: int


def day_money(db: Session, clinic_ids: Sequence[int], clinic_id: int, day: date) -> list[DayMoney]:
    """The clinic's payments and refunds posted on ``day``, summed by kind, method and
    the staff member who recorded them."""
    stmt = (
        select(
            AccountEntry.kind,
            AccountEntry.method,
            AccountEntry.by_id,
            func.sum(AccountEntry.amount_cents),
            func.count(AccountEntry.id),
        )
        .where(
            AccountEntry.clinic_id == clinic_id,
            AccountEntry.posted_on == day,
            AccountEntry.kind.in_(("payment", "refund")),
        )
        .group_by(AccountEntry.kind, AccountEntry.method, AccountEntry.by_id)
        .order_by(AccountEntry.kind, AccountEntry.method, AccountEntry.by_id)
    )
    rows = db.execute(in_clinics(stmt, AccountEntry.clinic_id, clinic_ids)).all()
    return [DayMoney(r[0], r[1] or "other", r[2], int(r[3]), int(r[4])) for r in rows]


@dataclass(frozen=True)
class Named:
    """A patient as the ageing report names them (not the whole chart row)."""

    id: int
    given_name: str
    family_name: str
    mrn: str


@dataclass(frozen=True)
class BucketSums:
    patient: Named
    bucket: int
    debit_cents: int
    credit_cents: int


def ageing_sums(
    db: Session,
    clinic_ids: Sequence[int],
    clinic_id: int,
    as_of: date,
    starts: tuple[date, date, date],
) -> list[BucketSums]:
    """Per patient and age bucket (0 current .. 3 over 90 days, by ``starts``, each
    bucket's first posting date): the debits and the credits (positive) posted on or
    before ``as_of``. The entries are summed first, then the sums named: at most four
    rows a patient, ordered by name."""
    bucket = case(
        (AccountEntry.posted_on >= starts[0], 0),
        (AccountEntry.posted_on >= starts[1], 1),
        (AccountEntry.posted_on >= starts[2], 2),
        else_=3,
    )
    aged = in_clinics(
        select(
            AccountEntry.patient_id.label("patient_id"),
            bucket.label("bucket"),
            AccountEntry.amount_cents.label("cents"),
        ).where(AccountEntry.clinic_id == clinic_id, AccountEntry.posted_on <= as_of),
        AccountEntry.clinic_id,
        clinic_ids,
    ).subquery()
    sums = (
        select(
            aged.c.patient_id,
            aged.c.bucket,
            func.sum(case((aged.c.cents > 0, aged.c.cents), else_=0)).label("debit"),
            func.sum(case((aged.c.cents < 0, -aged.c.cents), else_=0)).label("credit"),
        )
        .group_by(aged.c.patient_id, aged.c.bucket)
        .cte("ageing_sums")
        # Summed once, then named: a planner misled by stale statistics (a bulk load
        # not analysed yet) would otherwise sum every patient's entries per patient.
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    stmt = (
        select(
            Patient.id,
            Patient.given_name,
            Patient.family_name,
            Patient.mrn,
            sums.c.bucket,
            sums.c.debit,
            sums.c.credit,
        )
        .join(sums, sums.c.patient_id == Patient.id)
        .order_by(Patient.family_name, Patient.given_name, Patient.id, sums.c.bucket)
    )
    rows = db.execute(in_clinics(stmt, Patient.clinic_id, clinic_ids))
    return [
        BucketSums(Named(r[0], r[1], r[2], r[3]), int(r[4]), int(r[5] or 0), int(r[6] or 0))
        for r in rows
    ]
