"""Queries over the ledger, each limited to the caller's clinics (``in_clinics``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ketaclinic.kit.scoping import in_clinics
from ketaclinic.ledger.models import (
    CsContainer,
    CsCount,
    CsCountLine,
    CsDiscrepancy,
    CsEntry,
    CsLocation,
    CsLossFiling,
    CsLot,
    CsProduct,
    CsResolution,
)
from ketaclinic.patients.models import Patient
from ketaclinic.treatments.models import TreatmentSession

StockRow = tuple[CsContainer, CsLot, CsProduct, CsLocation]


def products(db: Session) -> list[CsProduct]:
    return list(db.scalars(select(CsProduct).order_by(CsProduct.name, CsProduct.ndc)))


def locations(db: Session, clinic_ids: Sequence[int]) -> list[CsLocation]:
    stmt = in_clinics(select(CsLocation), CsLocation.clinic_id, clinic_ids)
    return list(db.scalars(stmt.order_by(CsLocation.clinic_id, CsLocation.name)))


def location(
    db: Session, clinic_ids: Sequence[int], location_id: int, *, lock: bool = False
) -> CsLocation | None:
    stmt = in_clinics(select(CsLocation), CsLocation.clinic_id, clinic_ids).where(
        CsLocation.id == location_id
    )
    if lock:
        # The location row is its chain's head: holding it serialises appends.
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return db.scalar(stmt)


def _stock() -> Select[CsContainer, CsLot, CsProduct, CsLocation]:
    return (
        select(CsContainer, CsLot, CsProduct, CsLocation)
        .join(CsLot, CsLot.id == CsContainer.lot_id)
        .join(CsProduct, CsProduct.id == CsLot.product_id)
        .join(CsLocation, CsLocation.id == CsContainer.location_id)
    )


def stock(
    db: Session,
    clinic_ids: Sequence[int],
    *,
    location_id: int | None = None,
    include_empty: bool = False,
) -> list[StockRow]:
    stmt = in_clinics(_stock(), CsContainer.clinic_id, clinic_ids)
    if location_id is not None:
        stmt = stmt.where(CsContainer.location_id == location_id)
    if not include_empty:
        stmt = stmt.where(CsContainer.status != "empty")
    rows = db.execute(stmt.order_by(CsLocation.name, CsLot.expires, CsContainer.label))
    return [(c, lot, p, loc) for c, lot, p, loc in rows]


def stock_row(db: Session, clinic_ids: Sequence[int], container_id: int) -> StockRow | None:
    stmt = in_clinics(_stock(), CsContainer.clinic_id, clinic_ids).where(
        CsContainer.id == container_id
    )
    row = db.execute(stmt).first()
    return None if row is None else (row[0], row[1], row[2], row[3])


def lot_numbers(
    db: Session, clinic_ids: Sequence[int], container_ids: Sequence[int]
) -> dict[int, str]:
    """Each container's lot number (a chart names the lots a dose was drawn from)."""
    stmt = in_clinics(
        select(CsContainer.id, CsLot.lot_number).join(CsLot, CsLot.id == CsContainer.lot_id),
        CsContainer.clinic_id,
        clinic_ids,
    ).where(CsContainer.id.in_(list(container_ids)))
    return {cid: number for cid, number in db.execute(stmt)}


def container(
    db: Session, clinic_ids: Sequence[int], container_id: int, *, lock: bool = False
) -> CsContainer | None:
    stmt = in_clinics(select(CsContainer), CsContainer.clinic_id, clinic_ids).where(
        CsContainer.id == container_id
    )
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return db.scalar(stmt)


def lot(db: Session, clinic_id: int, product_id: int, lot_number: str) -> CsLot | None:
    stmt = in_clinics(select(CsLot), CsLot.clinic_id, [clinic_id]).where(
        CsLot.product_id == product_id, CsLot.lot_number == lot_number
    )
    return db.scalar(stmt)


def containers_in_lot(db: Session, lot_id: int) -> int:
    return len(list(db.scalars(select(CsContainer.id).where(CsContainer.lot_id == lot_id))))


def entry(db: Session, clinic_ids: Sequence[int], entry_id: int) -> CsEntry | None:
    stmt = in_clinics(select(CsEntry), CsEntry.clinic_id, clinic_ids).where(CsEntry.id == entry_id)
    return db.scalar(stmt)


def entries_by_id(
    db: Session, clinic_ids: Sequence[int], entry_ids: Sequence[int]
) -> dict[int, CsEntry]:
    if not entry_ids:
        return {}
    stmt = in_clinics(select(CsEntry), CsEntry.clinic_id, clinic_ids)
    return {e.id: e for e in db.scalars(stmt.where(CsEntry.id.in_(list(entry_ids))))}


def draw_entries(db: Session, clinic_ids: Sequence[int], draw_id: int) -> list[CsEntry]:
    """The entries that account for a draw, oldest first."""
    return accounting_entries(db, clinic_ids, [draw_id])


def accounting_entries(
    db: Session, clinic_ids: Sequence[int], draw_ids: Sequence[int]
) -> list[CsEntry]:
    """The entries that account for any of these draws, oldest first (one query)."""
    if not draw_ids:
        return []
    stmt = in_clinics(select(CsEntry), CsEntry.clinic_id, clinic_ids).where(
        CsEntry.draw_entry_id.in_(list(draw_ids))
    )
    return list(db.scalars(stmt.order_by(CsEntry.id)))


def entries(
    db: Session,
    clinic_ids: Sequence[int],
    *,
    newest_first: bool = False,
    limit: int | None = None,
    offset: int = 0,
    **filters: Any,
) -> list[CsEntry]:
    """Entries matching ``filters`` (see ``_entries``), in id order."""
    stmt = _entries(clinic_ids, **filters)
    stmt = stmt.order_by(CsEntry.id.desc() if newest_first else CsEntry.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(db.scalars(stmt.offset(offset or None)))


def count_entries(db: Session, clinic_ids: Sequence[int], **filters: Any) -> int:
    """How many entries match ``filters`` (see ``_entries``)."""
    found = _entries(clinic_ids, **filters).order_by(None).subquery()
    return db.scalar(select(func.count()).select_from(found)) or 0


def _entries(
    clinic_ids: Sequence[int],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    kinds: Sequence[str] | None = None,
    location_id: int | None = None,
    container_id: int | None = None,
    patient_id: int | None = None,
) -> Select[CsEntry]:
    stmt = in_clinics(select(CsEntry), CsEntry.clinic_id, clinic_ids)
    if since is not None:
        stmt = stmt.where(CsEntry.occurred_at >= since)
    if until is not None:
        stmt = stmt.where(CsEntry.occurred_at < until)
    if kinds:
        stmt = stmt.where(CsEntry.kind.in_(list(kinds)))
    if location_id is not None:
        stmt = stmt.where(CsEntry.location_id == location_id)
    if container_id is not None:
        stmt = stmt.where(CsEntry.container_id == container_id)
    if patient_id is not None:
        stmt = stmt.where(CsEntry.patient_id == patient_id)
    return stmt


def chain(location_id: int, batch_size: int = 2000) -> Select[CsEntry]:
    """A location's entries in chain order (system work: ``ledger verify``)."""
    return (
        select(CsEntry)
        .where(CsEntry.location_id == location_id)
        .order_by(CsEntry.seq)
        .execution_options(yield_per=batch_size)
    )


def counts(
    db: Session, clinic_ids: Sequence[int], *, location_id: int | None = None, limit: int = 50
) -> list[CsCount]:
    stmt = in_clinics(select(CsCount), CsCount.clinic_id, clinic_ids)
    if location_id is not None:
        stmt = stmt.where(CsCount.location_id == location_id)
    return list(db.scalars(stmt.order_by(CsCount.id.desc()).limit(limit)))


def count(db: Session, clinic_ids: Sequence[int], count_id: int) -> CsCount | None:
    stmt = in_clinics(select(CsCount), CsCount.clinic_id, clinic_ids).where(CsCount.id == count_id)
    return db.scalar(stmt)


def count_lines(db: Session, count_ids: Sequence[int]) -> list[CsCountLine]:
    if not count_ids:
        return []
    stmt = select(CsCountLine).where(CsCountLine.count_id.in_(list(count_ids)))
    return list(db.scalars(stmt.order_by(CsCountLine.id)))


def discrepancies(
    db: Session, clinic_ids: Sequence[int], *, count_id: int | None = None
) -> list[tuple[CsDiscrepancy, CsResolution | None]]:
    stmt = in_clinics(
        select(CsDiscrepancy, CsResolution).outerjoin(
            CsResolution, CsResolution.discrepancy_id == CsDiscrepancy.id
        ),
        CsDiscrepancy.clinic_id,
        clinic_ids,
    )
    if count_id is not None:
        stmt = stmt.where(CsDiscrepancy.count_id == count_id)
    return [(d, r) for d, r in db.execute(stmt.order_by(CsDiscrepancy.id.desc()))]


def discrepancy(
    db: Session, clinic_ids: Sequence[int], discrepancy_id: int
) -> tuple[CsDiscrepancy, CsResolution | None] | None:
    stmt = in_clinics(
        select(CsDiscrepancy, CsResolution).outerjoin(
            CsResolution, CsResolution.discrepancy_id == CsDiscrepancy.id
        ),
        CsDiscrepancy.clinic_id,
        clinic_ids,
    ).where(CsDiscrepancy.id == discrepancy_id)
    row = db.execute(stmt).first()
    return None if row is None else (row[0], row[1])


def filings(db: Session, entry_ids: Sequence[int]) -> list[CsLossFiling]:
    if not entry_ids:
        return []
    stmt = select(CsLossFiling).where(CsLossFiling.entry_id.in_(list(entry_ids)))
    return list(db.scalars(stmt.order_by(CsLossFiling.id)))


def patients_by_id(db: Session, clinic_ids: Sequence[int], ids: Sequence[int]) -> list[Patient]:
    if not ids:
        return []
    stmt = in_clinics(select(Patient), Patient.clinic_id, clinic_ids).where(
        Patient.id.in_(list(ids))
    )
    return list(db.scalars(stmt))


def active_patients(db: Session, clinic_ids: Sequence[int]) -> list[Patient]:
    stmt = in_clinics(select(Patient), Patient.clinic_id, clinic_ids).where(
        Patient.status == "active"
    )
    return list(db.scalars(stmt.order_by(Patient.family_name, Patient.given_name)))


def patient(db: Session, clinic_ids: Sequence[int], patient_id: int | None) -> Patient | None:
    found = patients_by_id(db, clinic_ids, [patient_id]) if patient_id else []
    return found[0] if found else None


def treatment_session(
    db: Session, clinic_ids: Sequence[int], session_id: int
) -> TreatmentSession | None:
    stmt = in_clinics(
        select(TreatmentSession).join(Patient, Patient.id == TreatmentSession.patient_id),
        Patient.clinic_id,
        clinic_ids,
    ).where(TreatmentSession.id == session_id)
    return db.scalar(stmt)
