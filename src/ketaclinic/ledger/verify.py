"""``ketaclinic ledger verify``: recompute every balance from the entries with the
pure core, and every location's hash chain; report the first problem.

System work (the CLI runs it with every clinic visible): it reads every clinic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketaclinic.clinical.controlled import (
    DESTRUCTION_WITNESSES,
    Adjust,
    Administer,
    Destroy,
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
    to_mg,
    to_ug,
)
from ketaclinic.kit.hashchain import GENESIS_HASH, link_hash
from ketaclinic.ledger import repository as repo
from ketaclinic.ledger.models import CsContainer, CsEntry, CsLocation, CsLot
from ketaclinic.ledger.service import HASHED_FIELDS, detail_of, entry_fields, witness_ids_of


@dataclass(frozen=True)
class Problem:
    location_id: int | None
    entry_id: int | None
    reason: str

    def __str__(self) -> str:
        where = f"location {self.location_id}" if self.location_id else "ledger"
        entry = f", entry {self.entry_id}" if self.entry_id else ""
        return f"{where}{entry}: {self.reason}"


def operation_of(entry: CsEntry, lots: dict[int, tuple[str, date]]) -> Operation | None:
    """The pure operation an entry records (None for the outgoing half of a transfer)."""
    cid, by = str(entry.container_id), entry.by_id
    amount = to_mg(entry.amount_ug)
    detail = detail_of(entry)
    draw = str(entry.draw_entry_id)
    witnesses = witness_ids_of(entry)
    match entry.kind:
        case "receive":
            lot, expires = lots[entry.container_id]
            return Receive(cid, lot, expires, str(entry.location_id), amount, by)
        case "transfer_out":
            return None
        case "transfer_in":
            return Transfer(cid, str(entry.location_id), by)
        case "draw":
            on = date.fromisoformat(detail["on"])
            return DrawForSession(str(entry.id), cid, amount, on, by)
        case "administer":
            return Administer(draw, amount, by)
        case "waste":
            return Waste(draw, amount, by, witnesses)
        case "return":
            return Return(draw, amount, by)
        case "reverse":
            return Reverse(draw, detail["part"], amount, entry.reason, by)
        case "destroy":
            return Destroy(cid, amount, by, witnesses)
        case "loss":
            return Loss(cid, amount, date.fromisoformat(detail["discovered"]), by)
        case "adjust":
            return Adjust(cid, to_mg(entry.balance_ug), entry.reason, by)
    raise LedgerError("kind", f"unknown entry kind {entry.kind!r}")


def _chains(
    db: Session, clinic_ids: Sequence[int] | None, progress: Callable[[int], None] | None
) -> tuple[int, Problem | None]:
    checked = 0
    locations = select(CsLocation).order_by(CsLocation.id)
    if clinic_ids is not None:
        locations = locations.where(CsLocation.clinic_id.in_(list(clinic_ids)))
    for location in db.scalars(locations):
        expected_seq, prev = 1, GENESIS_HASH
        for entry in db.scalars(repo.chain(location.id)):
            checked += 1
            if progress is not None:
                progress(1)
            if entry.seq != expected_seq:
                return checked, Problem(
                    location.id, None, f"entry {expected_seq} of the chain is missing (deleted?)"
                )
            if entry.prev_hash != prev:
                return checked, Problem(
                    location.id, entry.id, "link to the previous entry is broken"
                )
            if link_hash(entry_fields(entry), HASHED_FIELDS, prev) != entry.hash:
                return checked, Problem(
                    location.id, entry.id, "content does not match its hash (modified?)"
                )
            prev, expected_seq = entry.hash, expected_seq + 1
        if (location.last_seq, location.last_hash) != (expected_seq - 1, prev):
            return checked, Problem(
                location.id,
                None,
                f"the location's head says "
                f"{location.last_seq} entries but {expected_seq - 1} "
                "remain (newest deleted?)",
            )
    return checked, None


def _balances(db: Session, clinic_ids: Sequence[int] | None) -> Problem | None:
    lots = {
        cid: (number, expires)
        for cid, number, expires in db.execute(
            select(CsContainer.id, CsLot.lot_number, CsLot.expires).join(
                CsLot, CsLot.id == CsContainer.lot_id
            )
        )
    }
    stmt, containers = select(CsEntry).order_by(CsEntry.id), select(CsContainer)
    if clinic_ids is not None:
        stmt = stmt.where(CsEntry.clinic_id.in_(list(clinic_ids)))
        containers = containers.where(CsContainer.clinic_id.in_(list(clinic_ids)))
    entries = list(db.scalars(stmt))
    witnesses = frozenset(w for e in entries for w in witness_ids_of(e))
    states: dict[int, Ledger] = {}
    for entry in entries:
        state = states.get(entry.clinic_id, Ledger(authorised=witnesses))
        op = operation_of(entry, lots)
        if op is None:
            continue
        if entry.kind == "waste":
            state = replace(state, waste_witnesses=detail_of(entry).get("witnesses_required", 1))
        try:
            state = apply(state, op)
        except LedgerError as exc:
            return Problem(entry.location_id, entry.id, f"the rules refuse this entry: {exc}")
        if entry.kind == "destroy" and len(witness_ids_of(entry)) < DESTRUCTION_WITNESSES:
            return Problem(entry.location_id, entry.id, "destruction without two witnesses")
        recomputed = to_ug(state.containers[str(entry.container_id)].on_hand_mg)
        if recomputed != entry.balance_ug:
            return Problem(
                entry.location_id,
                entry.id,
                f"balance says {entry.balance_ug} µg, the entries add up to {recomputed} µg",
            )
        states[entry.clinic_id] = state
    for container in db.scalars(containers.order_by(CsContainer.id)):
        final = states.get(container.clinic_id)
        pure = final.containers.get(str(container.id)) if final else None
        if pure is None:
            return Problem(
                container.location_id, None, f"container {container.label} has no receipt entry"
            )
        if to_ug(pure.on_hand_mg) != container.on_hand_ug:
            return Problem(
                container.location_id,
                None,
                f"container {container.label} shows "
                f"{to_mg(container.on_hand_ug)} mg on hand, the entries "
                f"{pure.on_hand_mg} mg",
            )
        if pure.location != str(container.location_id):
            return Problem(
                container.location_id,
                None,
                f"container {container.label} is filed in a location its entries do not put it in",
            )
    return None


def total_entries(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(CsEntry)) or 0


def verify(
    db: Session,
    clinic_ids: Sequence[int] | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, Problem | None]:
    """(entries checked, the first problem or None), for the clinics given (every
    clinic when None)."""
    checked, problem = _chains(db, clinic_ids, progress)
    return checked, problem or _balances(db, clinic_ids)
