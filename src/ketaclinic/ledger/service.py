"""Ledger use cases: receive, move, draw, administer, waste, return, correct,
destroy, record a loss. Never commits; audits every write.

Every write follows one path (``_Write``): lock the location row (the head of
its hash chain; on PostgreSQL ``FOR UPDATE``, on SQLite the write transaction
is already serialised by ``BEGIN IMMEDIATE``), lock the container, build the pure
core's state for what the operation touches, ``apply`` the operation (a refusal
raises before anything is written), then append the entry to the chain and move
the container's balance, in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.auth import throttle
from ketaclinic.auth.principal import Principal
from ketaclinic.auth.roles import Permission
from ketaclinic.auth.service import user_names
from ketaclinic.clinical.controlled import (
    DEFAULT_WASTE_WITNESSES,
    Administer,
    Container,
    Destroy,
    Draw,
    DrawForSession,
    Ledger,
    LedgerError,
    Loss,
    Operation,
    Receive,
    Return,
    Reverse,
    Transfer,
    Waste,
    apply,
    loss_deadlines,
    to_mg,
    to_ug,
)
from ketaclinic.clinics.service import today_at
from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.kit.hashchain import GENESIS_HASH, link_hash
from ketaclinic.kit.time import recorded_at as recorded_at  # historical stamping, re-exported
from ketaclinic.kit.time import recorded_now
from ketaclinic.ledger import errors
from ketaclinic.ledger import repository as repo
from ketaclinic.ledger.models import (
    CsContainer,
    CsEntry,
    CsLocation,
    CsLossFiling,
    CsLot,
    CsProduct,
)
from ketaclinic.ledger.schemas import (
    DestroyIn,
    DrawIn,
    FilingIn,
    LocationIn,
    LossIn,
    ProductIn,
    ReceiptIn,
    ReverseIn,
)
from ketaclinic.ledger.witnesses import Witness
from ketaclinic.patients import service as patients
from ketaclinic.patients.models import Patient

# The fields an entry's hash covers, in order. Adding one changes every hash.
HASHED_FIELDS = (
    "clinic_id",
    "location_id",
    "seq",
    "occurred_at",
    "kind",
    "container_id",
    "draw_entry_id",
    "amount_ug",
    "balance_ug",
    "patient_id",
    "session_id",
    "by_id",
    "witness_ids",
    "corrects_id",
    "reason",
    "detail",
)


def now() -> datetime:
    """In UTC, as both databases hand it back (the hash covers it)."""
    return recorded_now()


PARTS = {"administer": "administered_mg", "waste": "wasted_mg", "return": "returned_mg"}


@dataclass(frozen=True)
class LedgerPolicy:
    """The clinic's settings the ledger follows."""

    waste_witnesses: int = DEFAULT_WASTE_WITNESSES
    limits: throttle.Limits | None = None

    @classmethod
    def from_settings(cls, settings: Any) -> LedgerPolicy:
        return cls(settings.waste_witnesses, throttle.Limits.from_settings(settings))


def entry_fields(entry: CsEntry) -> dict[str, Any]:
    fields = {name: getattr(entry, name) for name in HASHED_FIELDS}
    fields["occurred_at"] = entry.occurred_at.isoformat(timespec="microseconds")
    return fields


def detail_of(entry: CsEntry) -> dict[str, Any]:
    return dict(json.loads(entry.detail)) if entry.detail else {}


def witness_ids_of(entry: CsEntry) -> tuple[int, ...]:
    return tuple(int(w) for w in entry.witness_ids.split(",") if w)


def people_of(db: Session, entries: Sequence[CsEntry]) -> dict[int, str]:
    """Names of everyone who acted on or witnessed these entries."""
    return user_names(
        db, [e.by_id for e in entries], [w for e in entries for w in witness_ids_of(e)]
    )


def _refused(exc: LedgerError) -> errors.LedgerRuleRefused:
    return errors.LedgerRuleRefused(str(exc), exc.fields)


def _status(container: CsContainer, full_ug: int) -> str:
    if container.on_hand_ug == 0:
        return "empty"
    if container.status == "sealed" and container.on_hand_ug == full_ug:
        return "sealed"
    return "opened"


# ---- the one write path ----------------------------------------------------------


@dataclass
class _Write:
    db: Session
    principal: Principal
    clinic_id: int
    location: CsLocation
    container: CsContainer
    lot: CsLot
    product: CsProduct

    def pure_container(self) -> Container:
        return Container(
            str(self.container.id),
            self.lot.lot_number,
            self.lot.expires,
            str(self.container.location_id),
            to_mg(self.container.on_hand_ug),
        )

    def state(
        self, draws: Sequence[Draw] = (), witnesses: Sequence[Witness] = (), *, waste: int = 1
    ) -> Ledger:
        return Ledger(
            containers={str(self.container.id): self.pure_container()},
            draws={d.draw_id: d for d in draws},
            authorised=frozenset(w.user_id for w in witnesses),
            waste_witnesses=waste,
        )

    def apply(self, state: Ledger, op: Operation) -> Ledger:
        try:
            return apply(state, op)
        except LedgerError as exc:
            raise _refused(exc) from exc

    def append(
        self,
        kind: str,
        after: Ledger | None,
        *,
        location: CsLocation | None = None,
        amount_ug: int = 0,
        draw_entry_id: int | None = None,
        patient_id: int | None = None,
        session_id: int | None = None,
        witnesses: Sequence[Witness] = (),
        corrects_id: int | None = None,
        reason: str = "",
        detail: dict[str, Any] | None = None,
    ) -> CsEntry:
        """Move the container to the state ``after`` and chain an entry saying so."""
        if after is not None:
            moved = after.containers[str(self.container.id)]
            self.container.on_hand_ug = to_ug(moved.on_hand_mg)
            self.container.status = _status(self.container, self.product.container_ug)
        head = location or self.location
        entry = CsEntry(
            clinic_id=self.clinic_id,
            location_id=head.id,
            seq=head.last_seq + 1,
            occurred_at=now(),
            kind=kind,
            container_id=self.container.id,
            draw_entry_id=draw_entry_id,
            amount_ug=amount_ug,
            balance_ug=self.container.on_hand_ug,
            patient_id=patient_id,
            session_id=session_id,
            by_id=self.principal.user_id,
            witness_ids=",".join(str(w.user_id) for w in witnesses),
            corrects_id=corrects_id,
            reason=reason,
            detail=json.dumps(detail, sort_keys=True, default=str) if detail else "",
            prev_hash=head.last_hash,
        )
        entry.hash = link_hash(entry_fields(entry), HASHED_FIELDS, head.last_hash)
        self.db.add(entry)
        head.last_seq, head.last_hash = entry.seq, entry.hash
        self.db.flush()
        return entry


def _clinic_ids(principal: Principal, permission: Permission) -> list[int]:
    return principal.require_any(permission)


def _lock_location(db: Session, clinic_ids: Sequence[int], location_id: int) -> CsLocation:
    location = repo.location(db, clinic_ids, location_id, lock=True)
    if location is None:
        raise errors.LocationUnknown()
    return location


def _write(
    db: Session,
    principal: Principal,
    permission: Permission,
    container_id: int,
    also_location_id: int | None = None,
) -> tuple[_Write, dict[int, CsLocation]]:
    """Lock the locations (by id, lowest first) and then the container: always in
    that order, so two writers can never deadlock."""
    clinic_ids = _clinic_ids(principal, permission)
    found = repo.stock_row(db, clinic_ids, container_id)
    if found is None:
        raise errors.ContainerUnknown()
    container, lot, product, _location = found
    wanted = {container.location_id}
    if also_location_id is not None:
        wanted.add(also_location_id)
    locked = {}
    for location_id in sorted(wanted):
        name = "location_id" if location_id == container.location_id else "to_location_id"
        try:
            locked[location_id] = _lock_location(db, [container.clinic_id], location_id)
        except errors.LocationUnknown as exc:
            raise errors.LocationUnknown(field=name) from exc
    fresh = repo.container(db, [container.clinic_id], container_id, lock=True)
    assert fresh is not None  # containers are never deleted
    if fresh.location_id != container.location_id:
        raise errors.ContainerMoved(fields={"container_id": "moved to another location just now"})
    write = _Write(
        db, principal, container.clinic_id, locked[fresh.location_id], fresh, lot, product
    )
    return write, locked


def locked_container(
    db: Session, principal: Principal, permission: Permission, container_id: int
) -> _Write:
    return _write(db, principal, permission, container_id)[0]


def drawable(
    db: Session, clinic_ids: Sequence[int], today: date, *, drug: str | None = None
) -> list[repo.StockRow]:
    """Containers a dose may be drawn from: stock on hand in a lot not yet expired (the
    ledger refuses a draw from an expired lot), only of ``drug`` when given."""
    return [
        (c, lot, p, loc)
        for c, lot, p, loc in repo.stock(db, clinic_ids)
        if lot.expires >= today and c.on_hand_ug > 0 and (drug is None or p.drug == drug)
    ]


def entries_by_id(
    db: Session, clinic_ids: Sequence[int], entry_ids: Sequence[int]
) -> dict[int, CsEntry]:
    """Entries by id in these clinics (a chart shows each session's draw)."""
    return repo.entries_by_id(db, clinic_ids, entry_ids)


def _draw_of(db: Session, clinic_ids: Sequence[int], draw: CsEntry) -> Draw:
    """Drawn, administered, wasted and returned so far, from the draw's entries."""
    return draws_of(draw, repo.draw_entries(db, clinic_ids, draw.id))


def draws_of(draw: CsEntry, entries: Sequence[CsEntry]) -> Draw:
    """The draw's state from the entries accounting for it (others are ignored)."""
    parts = {"administered_mg": 0, "wasted_mg": 0, "returned_mg": 0}
    for entry in entries:
        if entry.draw_entry_id != draw.id:
            continue
        if entry.kind in PARTS:
            parts[PARTS[entry.kind]] += entry.amount_ug
        elif entry.kind == "reverse":
            parts[detail_of(entry)["part"]] -= entry.amount_ug
    return Draw(
        str(draw.id),
        str(draw.container_id),
        to_mg(draw.amount_ug),
        to_mg(parts["administered_mg"]),
        to_mg(parts["wasted_mg"]),
        to_mg(parts["returned_mg"]),
    )


def open_draws(
    db: Session, principal: Principal, clinic_ids: Sequence[int]
) -> list[tuple[CsEntry, Draw]]:
    """Draws not yet fully accounted for, newest first."""
    ids = [c for c in clinic_ids if principal.can(Permission.LEDGER_READ, c)]
    draws = repo.entries(db, ids, kinds=["draw"], newest_first=True)
    accounting = repo.accounting_entries(db, ids, [d.id for d in draws])
    by_draw: dict[int, list[CsEntry]] = {}
    for entry in accounting:
        by_draw.setdefault(entry.draw_entry_id or 0, []).append(entry)
    states = [(d, draws_of(d, by_draw.get(d.id, []))) for d in draws]
    return [(d, s) for d, s in states if not s.closed]


def _audit(
    db: Session,
    write: _Write,
    entry: CsEntry,
    *,
    patient: Patient | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    info = {
        "kind": entry.kind,
        "container": write.container.label,
        "amount_mg": str(to_mg(entry.amount_ug)),
        **(detail or {}),
    }
    if patient is not None:
        audit.on_patient(
            db,
            write.principal,
            f"ledger.{entry.kind}",
            patient,
            resource_type="cs_entry",
            resource_id=entry.id,
            detail=info,
        )
        return
    audit.record(
        db,
        write.principal,
        f"ledger.{entry.kind}",
        clinic_id=write.clinic_id,
        resource_type="cs_entry",
        resource_id=entry.id,
        detail=info,
    )


# ---- set-up: products and locations -----------------------------------------------


def add_product(db: Session, principal: Principal, data: ProductIn) -> CsProduct:
    clinic_ids = _clinic_ids(principal, Permission.LEDGER_STOCK)
    if any(p.ndc == data.ndc for p in repo.products(db)):
        raise errors.ProductNdcOnFile()
    product = CsProduct(
        ndc=data.ndc,
        drug=data.drug,
        name=data.name,
        strength=data.strength,
        form=data.form,
        container_ug=as_ug(data.container_mg, "container_mg"),
        container_ul=None if data.container_ml is None else int(data.container_ml * 1000),
    )
    db.add(product)
    db.flush()
    audit.record(
        db,
        principal,
        "ledger.product_added",
        clinic_id=clinic_ids[0],
        resource_type="cs_product",
        resource_id=product.id,
        detail={"ndc": product.ndc},
    )
    return product


def add_location(db: Session, principal: Principal, clinic_id: int, data: LocationIn) -> CsLocation:
    principal.require(Permission.LEDGER_STOCK, clinic_id)
    if any(loc.name == data.name for loc in repo.locations(db, [clinic_id])):
        raise errors.LocationNameTaken()
    location = CsLocation(
        clinic_id=clinic_id,
        name=data.name,
        description=data.description,
        last_seq=0,
        last_hash=GENESIS_HASH,
    )
    db.add(location)
    db.flush()
    audit.record(
        db,
        principal,
        "ledger.location_added",
        clinic_id=clinic_id,
        resource_type="cs_location",
        resource_id=location.id,
    )
    return location


def as_ug(mg: Decimal, field_name: str) -> int:
    try:
        return to_ug(mg, field_name)
    except LedgerError as exc:
        raise _refused(exc) from exc


# ---- stock movements --------------------------------------------------------------


def receive(db: Session, principal: Principal, data: ReceiptIn) -> list[CsEntry]:
    """Containers arriving from a supplier: one entry each, with the receipt's
    supplier, address, DEA number and invoice (21 CFR 1304.22)."""
    found = repo.location(db, _clinic_ids(principal, Permission.LEDGER_STOCK), data.location_id)
    if found is None:
        raise errors.LocationUnknown()
    clinic_id = found.clinic_id
    product = db.get(CsProduct, data.product_id)
    if product is None:
        raise errors.ProductUnknown()
    if data.expires <= today_at(db, clinic_id, now()):
        raise errors.LotExpired()
    location = _lock_location(db, [clinic_id], data.location_id)
    lot = repo.lot(db, clinic_id, product.id, data.lot_number)
    if lot is None:
        lot = CsLot(
            clinic_id=clinic_id,
            product_id=product.id,
            lot_number=data.lot_number,
            expires=data.expires,
        )
        db.add(lot)
        db.flush()
    elif lot.expires != data.expires:
        raise errors.LotExpiryMismatch(
            f"lot {lot.lot_number} is on file expiring {lot.expires.isoformat()}"
        )
    already = repo.containers_in_lot(db, lot.id)
    receipt = {
        "received_on": data.received_on.isoformat(),
        "supplier_name": data.supplier_name,
        "supplier_address": data.supplier_address,
        "supplier_dea": data.supplier_dea,
        "invoice_number": data.invoice_number,
        "containers": data.containers,
    }
    entries = []
    for number in range(already + 1, already + data.containers + 1):
        container = CsContainer(
            clinic_id=clinic_id,
            lot_id=lot.id,
            label=f"{lot.lot_number}-{number:03d}",
            location_id=location.id,
            status="sealed",
            on_hand_ug=0,
            received_at=now(),
        )
        db.add(container)
        db.flush()
        write = _Write(db, principal, clinic_id, location, container, lot, product)
        op = Receive(
            str(container.id),
            lot.lot_number,
            lot.expires,
            str(location.id),
            to_mg(product.container_ug),
            principal.user_id,
        )
        after = write.apply(Ledger(), op)
        container.status = "sealed"
        entry = write.append("receive", after, amount_ug=product.container_ug, detail=receipt)
        entries.append(entry)
    audit.record(
        db,
        principal,
        "ledger.receive",
        clinic_id=clinic_id,
        resource_type="cs_lot",
        resource_id=lot.id,
        detail={**receipt, "lot": lot.lot_number, "entries": [e.id for e in entries]},
    )
    return entries


def transfer(db: Session, principal: Principal, container_id: int, to_location_id: int) -> CsEntry:
    """Out of one safe's chain and into another's, in one transaction."""
    write, locked = _write(db, principal, Permission.LEDGER_STOCK, container_id, to_location_id)
    if to_location_id == write.location.id:
        raise errors.ContainerAlreadyThere()
    target = locked[to_location_id]
    op = Transfer(str(write.container.id), str(target.id), principal.user_id)
    after = write.apply(write.state(), op)
    moved = {"from_location_id": write.location.id, "to_location_id": target.id}
    write.append("transfer_out", None, detail=moved)
    write.container.location_id = target.id
    entry = write.append("transfer_in", after, location=target, detail=moved)
    _audit(db, write, entry, detail=moved)
    return entry


def _patient(db: Session, principal: Principal, patient_id: int, clinic_id: int) -> Patient:
    try:
        patient = patients.get_patient(db, principal, patient_id)
    except KetaClinicError as exc:
        raise errors.LedgerPatientUnknown() from exc
    if patient.clinic_id != clinic_id:
        raise errors.PatientOfOtherClinic()
    return patient


def draw(db: Session, principal: Principal, data: DrawIn) -> CsEntry:
    """Stock drawn for a patient's session: the amount leaves the container and must
    then be accounted for as administered, wasted or returned."""
    write = locked_container(db, principal, Permission.LEDGER_ADMINISTER, data.container_id)
    patient = _patient(db, principal, data.patient_id, write.clinic_id)
    if data.session_id is not None:
        session = repo.treatment_session(db, [write.clinic_id], data.session_id)
        if session is None or session.patient_id != patient.id:
            raise errors.SessionNotOfPatient()
    on = today_at(db, write.clinic_id, now())
    amount = as_ug(data.amount_mg, "amount_mg")
    op = DrawForSession("new", str(write.container.id), to_mg(amount), on, principal.user_id)
    after = write.apply(write.state(), op)
    entry = write.append(
        "draw",
        after,
        amount_ug=amount,
        patient_id=patient.id,
        session_id=data.session_id,
        detail={"on": on.isoformat()},
    )
    _audit(db, write, entry, patient=patient)
    return entry


def get_draw(db: Session, principal: Principal, draw_id: int) -> CsEntry:
    clinic_ids = _clinic_ids(principal, Permission.LEDGER_READ)
    found = repo.entry(db, clinic_ids, draw_id)
    if found is None or found.kind != "draw":
        raise errors.DrawUnknown()
    return found


def draw_state(db: Session, principal: Principal, draw_entry: CsEntry) -> Draw:
    """Drawn, administered, wasted, returned and still open, for one draw."""
    return _draw_of(db, _clinic_ids(principal, Permission.LEDGER_READ), draw_entry)


def _account(
    db: Session,
    principal: Principal,
    draw_id: int,
    kind: str,
    amount_mg: Decimal,
    witnesses: Sequence[Witness] = (),
    policy: LedgerPolicy | None = None,
) -> CsEntry:
    source = get_draw(db, principal, draw_id)
    write = locked_container(db, principal, Permission.LEDGER_ADMINISTER, source.container_id)
    patient = repo.patient(db, [source.clinic_id], source.patient_id)
    current = _draw_of(db, [write.clinic_id], source)
    amount = as_ug(amount_mg, "amount_mg")
    needed = (policy or LedgerPolicy()).waste_witnesses
    state = write.state([current], witnesses, waste=needed)
    by = principal.user_id
    op: Operation
    if kind == "administer":
        op = Administer(current.draw_id, to_mg(amount), by)
    elif kind == "waste":
        op = Waste(current.draw_id, to_mg(amount), by, tuple(w.user_id for w in witnesses))
    else:
        op = Return(current.draw_id, to_mg(amount), by)
    after = write.apply(state, op)
    detail = {"witnesses_required": needed} if kind == "waste" else None
    entry = write.append(
        kind,
        after,
        amount_ug=amount,
        draw_entry_id=source.id,
        patient_id=source.patient_id,
        session_id=source.session_id,
        witnesses=witnesses,
        detail=detail,
    )
    _audit(db, write, entry, patient=patient, detail={"witnesses": [w.name for w in witnesses]})
    return entry


def administer(db: Session, principal: Principal, draw_id: int, amount_mg: Decimal) -> CsEntry:
    return _account(db, principal, draw_id, "administer", amount_mg)


def waste(
    db: Session,
    principal: Principal,
    draw_id: int,
    amount_mg: Decimal,
    witnesses: Sequence[Witness],
    policy: LedgerPolicy,
) -> CsEntry:
    return _account(db, principal, draw_id, "waste", amount_mg, witnesses, policy)


def return_to_stock(db: Session, principal: Principal, draw_id: int, amount_mg: Decimal) -> CsEntry:
    return _account(db, principal, draw_id, "return", amount_mg)


def reverse(db: Session, principal: Principal, draw_id: int, data: ReverseIn) -> CsEntry:
    """A correction: the amount of an administer, waste or return entry recorded in
    error goes back into the draw, to be recorded again. The wrong entry stays."""
    source = get_draw(db, principal, draw_id)
    wrong = repo.entry(db, [source.clinic_id], data.entry_id)
    if wrong is None or wrong.draw_entry_id != source.id or wrong.kind not in PARTS:
        raise errors.CorrectionEntryInvalid()
    if data.amount_mg > to_mg(wrong.amount_ug):
        raise errors.CorrectionTooLarge()
    write = locked_container(db, principal, Permission.LEDGER_ADMINISTER, source.container_id)
    current = _draw_of(db, [write.clinic_id], source)
    amount = as_ug(data.amount_mg, "amount_mg")
    part = PARTS[wrong.kind]
    op = Reverse(current.draw_id, part, to_mg(amount), data.reason, principal.user_id)  # type: ignore[arg-type]
    after = write.apply(write.state([current]), op)
    entry = write.append(
        "reverse",
        after,
        amount_ug=amount,
        draw_entry_id=source.id,
        patient_id=source.patient_id,
        session_id=source.session_id,
        corrects_id=wrong.id,
        reason=data.reason,
        detail={"part": part},
    )
    patient = repo.patient(db, [source.clinic_id], source.patient_id)
    _audit(db, write, entry, patient=patient, detail={"corrects": wrong.id})
    return entry


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
