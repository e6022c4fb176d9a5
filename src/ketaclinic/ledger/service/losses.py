"""Destruction, losses and their filings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.clinical.controlled import (
    Destroy,
    Loss,
    loss_deadlines,
    to_mg,
)
from ketaclinic.clinics.service import today_at
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.ledger import errors
from ketaclinic.ledger import repository as repo
from ketaclinic.ledger.models import (
    CsEntry,
    CsLossFiling,
)
from ketaclinic.ledger.schemas import (
    DestroyIn,
    FilingIn,
    LossIn,
)
from ketaclinic.ledger.service.write import (
    _audit,
    _clinic_ids,
    as_ug,
    detail_of,
    locked_container,
    now,
)
from ketaclinic.ledger.witnesses import Witness

# ---- destruction and loss ---------------------------------------------------------


def destroy(
    db: Session,
    principal: Principal,
    container_id: int,
    data: DestroyIn,
    witnesses: Sequence[Witness],
) -> CsEntry:
    """Destruction of stock, witnessed by two employees (DEA Form 41 fields)."""
    write = locked_container(db, principal, Permission.LEDGER_STOCK, container_id)
    amount = as_ug(data.amount_mg, "amount_mg")
    op = Destroy(
        str(write.container.id),
        to_mg(amount),
        principal.user_id,
        tuple(w.user_id for w in witnesses),
    )
    after = write.apply(write.state(witnesses=witnesses), op)
    form41 = {
        "destroyed_on": data.destroyed_on.isoformat(),
        "method": data.method,
        "reason": data.reason,
        "witness_names": [w.name for w in witnesses],
    }
    entry = write.append("destroy", after, amount_ug=amount, witnesses=witnesses, detail=form41)
    _audit(db, write, entry, detail=form41)
    return entry


def record_loss(db: Session, principal: Principal, container_id: int, data: LossIn) -> CsEntry:
    """A theft or loss: the stock leaves the ledger and the DEA deadlines start
    (notice within 1 business day, Form 106 within 45 days: 21 CFR 1301.76(b))."""
    write = locked_container(db, principal, Permission.LEDGER_STOCK, container_id)
    if data.discovered > today_at(db, write.clinic_id, now()):
        raise errors.LossDiscoveredInFuture()
    amount = as_ug(data.amount_mg, "amount_mg")
    op = Loss(str(write.container.id), to_mg(amount), data.discovered, principal.user_id)
    after = write.apply(write.state(), op)
    due = loss_deadlines(data.discovered)
    detail = {
        "loss_kind": data.loss_kind,
        "discovered": data.discovered.isoformat(),
        "circumstances": data.circumstances,
        "notice_due": due.notice_due.isoformat(),
        "form_106_due": due.form_106_due.isoformat(),
    }
    entry = write.append("loss", after, amount_ug=amount, detail=detail)
    _audit(db, write, entry, detail={"loss_kind": data.loss_kind})
    return entry


def record_filing(db: Session, principal: Principal, loss_id: int, data: FilingIn) -> CsLossFiling:
    clinic_ids = _clinic_ids(principal, Permission.LEDGER_STOCK)
    loss = repo.entry(db, clinic_ids, loss_id)
    if loss is None or loss.kind != "loss":
        raise errors.LossUnknown()
    if any(f.kind == data.kind for f in repo.filings(db, [loss.id])):
        raise errors.FilingAlreadyRecorded()
    if data.filed_on > today_at(db, loss.clinic_id, now()):
        raise errors.FilingInFuture()
    filing = CsLossFiling(
        entry_id=loss.id,
        kind=data.kind,
        filed_on=data.filed_on,
        reference=data.reference,
        by_id=principal.user_id,
        recorded_at=now(),
    )
    db.add(filing)
    db.flush()
    audit.record(
        db,
        principal,
        f"ledger.loss_{data.kind}_filed",
        clinic_id=loss.clinic_id,
        resource_type="cs_entry",
        resource_id=loss.id,
        detail={"filed_on": data.filed_on.isoformat()},
    )
    return filing


@dataclass(frozen=True)
class LossView:
    entry: CsEntry
    notice_due: date
    form_106_due: date
    notice_filed: CsLossFiling | None
    form_106_filed: CsLossFiling | None

    def overdue(self, today: date) -> list[str]:
        late = []
        if self.notice_filed is None and today > self.notice_due:
            late.append("notice")
        if self.form_106_filed is None and today > self.form_106_due:
            late.append("form_106")
        return late


def losses(db: Session, principal: Principal) -> list[LossView]:
    clinic_ids = _clinic_ids(principal, Permission.LEDGER_READ)
    rows = repo.entries(db, clinic_ids, kinds=["loss"], newest_first=True)
    filed = repo.filings(db, [r.id for r in rows])
    views = []
    for row in rows:
        detail = detail_of(row)
        mine = {f.kind: f for f in filed if f.entry_id == row.id}
        views.append(
            LossView(
                row,
                date.fromisoformat(detail["notice_due"]),
                date.fromisoformat(detail["form_106_due"]),
                mine.get("notice"),
                mine.get("form_106"),
            )
        )
    return views
