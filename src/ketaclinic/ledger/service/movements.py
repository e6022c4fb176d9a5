"""Stock movements: receive, transfer, draw, and account for a draw (administer,
waste, return, correct)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.clinical.controlled import (
    Administer,
    Draw,
    DrawForSession,
    Ledger,
    Operation,
    Receive,
    Return,
    Reverse,
    Transfer,
    Waste,
    to_mg,
)
from ketaclinic.clinics.service import today_at
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.ledger import errors
from ketaclinic.ledger import repository as repo
from ketaclinic.ledger.models import (
    CsContainer,
    CsEntry,
    CsLot,
    CsProduct,
)
from ketaclinic.ledger.schemas import (
    DrawIn,
    ReceiptIn,
    ReverseIn,
)
from ketaclinic.ledger.service.write import (
    PARTS,
    LedgerPolicy,
    _audit,
    _clinic_ids,
    _draw_of,
    _lock_location,
    _Write,
    _write,
    as_ug,
    locked_container,
    now,
)
from ketaclinic.ledger.witnesses import Witness
from ketaclinic.patients import service as patients
from ketaclinic.patients.models import Patient

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


def draw(
    db: Session, principal: Principal, data: DrawIn, *, witnesses: Sequence[Witness] = ()
) -> CsEntry:
    """Stock drawn for a patient's session: the amount leaves the container and must
    then be accounted for as administered, wasted or returned. ``witnesses`` (already
    confirmed) are recorded on the entry: who saw a dose drawn from two containers."""
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
        witnesses=witnesses,
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
