"""The ledger's one write path and what every use case shares.

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
from ketaclinic.auth.service import user_names
from ketaclinic.clinical.controlled import (
    DEFAULT_WASTE_WITNESSES,
    Container,
    Draw,
    Ledger,
    LedgerError,
    Operation,
    apply,
    to_mg,
    to_ug,
)
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.hashchain import link_hash
from ketaclinic.kit.time import recorded_now
from ketaclinic.ledger import errors
from ketaclinic.ledger import repository as repo
from ketaclinic.ledger.models import (
    CsContainer,
    CsEntry,
    CsLocation,
    CsLot,
    CsProduct,
)
from ketaclinic.ledger.witnesses import Witness
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


def lot_numbers(
    db: Session, clinic_ids: Sequence[int], container_ids: Sequence[int]
) -> dict[int, str]:
    """Each container's lot number, in these clinics."""
    return repo.lot_numbers(db, clinic_ids, container_ids) if container_ids else {}


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


def as_ug(mg: Decimal, field_name: str) -> int:
    try:
        return to_ug(mg, field_name)
    except LedgerError as exc:
        raise _refused(exc) from exc
