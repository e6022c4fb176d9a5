"""Self-pay accounts' queries, every one limited to the caller's clinics (``in_clinics``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ketaclinic.billing.account_models import AccountEntry, Package, PackageDraw, PatientPackage
from ketaclinic.billing.models import ChargeLine
from ketaclinic.chairside.models import ChairsideSession
from ketaclinic.kit.scoping import in_clinics
from ketaclinic.plans.models import TreatmentPlan

# pg_advisory_xact_lock's first key for a clinic's receipt numbers (any constant
# no other lock in the app uses; the second key is the clinic).
RECEIPT_LOCK = 23_004


def packages(db: Session, clinic_ids: Sequence[int], clinic_id: int) -> list[Package]:
    """Every version of every package of the clinic, oldest first."""
    stmt = select(Package).where(Package.clinic_id == clinic_id).order_by(Package.key, Package.id)
    return list(db.scalars(in_clinics(stmt, Package.clinic_id, clinic_ids)))


def package(db: Session, clinic_ids: Sequence[int], package_id: int) -> Package | None:
    stmt = select(Package).where(Package.id == package_id)
    return db.scalar(in_clinics(stmt, Package.clinic_id, clinic_ids))


def newest_of_key(
    db: Session, clinic_ids: Sequence[int], clinic_id: int, key: str
) -> Package | None:
    stmt = (
        select(Package)
        .where(Package.clinic_id == clinic_id, Package.key == key)
        .order_by(Package.id.desc())
        .limit(1)
    )
    return db.scalar(in_clinics(stmt, Package.clinic_id, clinic_ids))


def patient_packages(
    db: Session, clinic_ids: Sequence[int], patient_id: int, *, lock: bool = False
) -> list[PatientPackage]:
    """The patient's packages, oldest sold first; ``lock`` holds their rows for this
    transaction (FOR UPDATE on PostgreSQL; SQLite's write lock serialises anyway)."""
    stmt = (
        select(PatientPackage)
        .where(PatientPackage.patient_id == patient_id)
        .order_by(PatientPackage.sold_on, PatientPackage.id)
    )
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return list(db.scalars(in_clinics(stmt, PatientPackage.clinic_id, clinic_ids)))


def draws_of_patient(db: Session, clinic_ids: Sequence[int], patient_id: int) -> list[PackageDraw]:
    stmt = select(PackageDraw).where(PackageDraw.patient_id == patient_id).order_by(PackageDraw.id)
    return list(db.scalars(in_clinics(stmt, PackageDraw.clinic_id, clinic_ids)))


def draws_of_session(db: Session, clinic_ids: Sequence[int], session_id: int) -> list[PackageDraw]:
    stmt = select(PackageDraw).where(PackageDraw.session_id == session_id).order_by(PackageDraw.id)
    return list(db.scalars(in_clinics(stmt, PackageDraw.clinic_id, clinic_ids)))


def entries(
    db: Session,
    clinic_ids: Sequence[int],
    patient_id: int,
    *,
    offset: int = 0,
    limit: int | None = None,
) -> list[AccountEntry]:
    """The patient's entries, newest first."""
    stmt = (
        select(AccountEntry)
        .where(AccountEntry.patient_id == patient_id)
        .order_by(AccountEntry.posted_on.desc(), AccountEntry.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(db.scalars(in_clinics(stmt, AccountEntry.clinic_id, clinic_ids)))


def count_entries(db: Session, clinic_ids: Sequence[int], patient_id: int) -> int:
    stmt = select(func.count(AccountEntry.id)).where(AccountEntry.patient_id == patient_id)
    return int(db.scalar(in_clinics(stmt, AccountEntry.clinic_id, clinic_ids)) or 0)


def balance(db: Session, clinic_ids: Sequence[int], patient_id: int) -> int:
    stmt = select(func.coalesce(func.sum(AccountEntry.amount_cents), 0)).where(
        AccountEntry.patient_id == patient_id
    )
    return int(db.scalar(in_clinics(stmt, AccountEntry.clinic_id, clinic_ids)) or 0)


def of_kind(
    db: Session, clinic_ids: Sequence[int], patient_id: int, kinds: Sequence[str]
) -> list[AccountEntry]:
    stmt = (
        select(AccountEntry)
        .where(AccountEntry.patient_id == patient_id, AccountEntry.kind.in_(kinds))
        .order_by(AccountEntry.id)
    )
    return list(db.scalars(in_clinics(stmt, AccountEntry.clinic_id, clinic_ids)))


def entry(
    db: Session, clinic_ids: Sequence[int], entry_id: int, *, lock: bool = False
) -> AccountEntry | None:
    stmt = select(AccountEntry).where(AccountEntry.id == entry_id)
    if lock:
        # The payment's row serialises its refunds: a second refund waits here and
        # then reads the first one's row.
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return db.scalar(in_clinics(stmt, AccountEntry.clinic_id, clinic_ids))


def refunds_of(db: Session, clinic_ids: Sequence[int], payment_id: int) -> list[int]:
    stmt = select(AccountEntry.amount_cents).where(
        AccountEntry.refund_of_id == payment_id, AccountEntry.kind == "refund"
    )
    return list(db.scalars(in_clinics(stmt, AccountEntry.clinic_id, clinic_ids)))


def charge_entry_of_line(
    db: Session, clinic_ids: Sequence[int], line_id: int
) -> AccountEntry | None:
    stmt = select(AccountEntry).where(
        AccountEntry.charge_line_id == line_id, AccountEntry.kind == "charge"
    )
    return db.scalar(in_clinics(stmt, AccountEntry.clinic_id, clinic_ids).limit(1))


def covers_of_draw(db: Session, clinic_ids: Sequence[int], draw_id: int) -> list[int]:
    stmt = select(AccountEntry.amount_cents).where(
        AccountEntry.package_draw_id == draw_id, AccountEntry.kind == "package_cover"
    )
    return list(db.scalars(in_clinics(stmt, AccountEntry.clinic_id, clinic_ids)))


def final_amounts(db: Session, clinic_ids: Sequence[int], session_id: int) -> tuple[list[int], int]:
    """A visit's final line amounts and how many of its lines are still drafts."""
    stmt = select(ChargeLine.status, ChargeLine.amount_cents).where(
        ChargeLine.session_id == session_id
    )
    rows = db.execute(in_clinics(stmt, ChargeLine.clinic_id, clinic_ids)).all()
    finals = [row.amount_cents or 0 for row in rows if row.status == "final"]
    return finals, sum(1 for row in rows if row.status == "draft")


def plan_block(db: Session, clinic_ids: Sequence[int], session_id: int) -> str | None:
    """The block of the plan the visit was given under ("booster" for a booster)."""
    stmt = (
        select(ChairsideSession.session_number, TreatmentPlan.sessions)
        .join(TreatmentPlan, TreatmentPlan.id == ChairsideSession.plan_id)
        .where(ChairsideSession.id == session_id)
    )
    row = db.execute(in_clinics(stmt, ChairsideSession.clinic_id, clinic_ids)).first()
    if row is None:
        return None

    try:
        planned = json.loads(row.sessions or "[]")
    except ValueError:
        return None
    for item in planned if isinstance(planned, list) else []:
        if isinstance(item, dict) and item.get("number") == row.session_number:
            block = item.get("block")
            return block if isinstance(block, str) else None
    return None


def lock_receipts(db: Session, clinic_id: int) -> None:
    """Serialise the clinic's receipt numbering for this transaction (PostgreSQL; on
    SQLite the database's one writer already does)."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(
            text("SELECT pg_advisory_xact_lock(:key, :clinic)"),
            {"key": RECEIPT_LOCK, "clinic": clinic_id},
        )


def last_receipt(db: Session, clinic_ids: Sequence[int], clinic_id: int, prefix: str) -> str | None:
    stmt = select(func.max(AccountEntry.receipt_no)).where(
        AccountEntry.clinic_id == clinic_id, AccountEntry.receipt_no.like(f"{prefix}%")
    )
    found: str | None = db.scalar(in_clinics(stmt, AccountEntry.clinic_id, clinic_ids))
    return found


def money_in_period(
    db: Session, clinic_ids: Sequence[int], patient_id: int, first: date, last: date
) -> dict[str, int]:
    """Sums by kind of the patient's entries posted between two days (inclusive)."""
    stmt = (
        select(AccountEntry.kind, func.sum(AccountEntry.amount_cents))
        .where(
            AccountEntry.patient_id == patient_id,
            AccountEntry.posted_on >= first,
            AccountEntry.posted_on <= last,
        )
        .group_by(AccountEntry.kind)
    )
    rows = db.execute(in_clinics(stmt, AccountEntry.clinic_id, clinic_ids)).all()
    return {row[0]: int(row[1] or 0) for row in rows}
