"""Appending to, reading and verifying the audit trail.

Events are written in the caller's transaction, when it commits, so a change that
rolls back takes its audit row with it and a chain's head is locked only briefly.
Denials are written after the rollback (see app.py), so a refused attempt is always
on record.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    Update,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy import event as sa_event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, SessionTransaction

from ketaclinic.audit.chain import GENESIS_HASH, ChainProblem, event_hash, verify_chain
from ketaclinic.audit.models import AuditChainHead, AuditEvent
from ketaclinic.identity.principal import Origin, Principal
from ketaclinic.kit.db import core_execute
from ketaclinic.kit.scoping import in_clinics
from ketaclinic.kit.time import utcnow

SYSTEM_CHAIN = 0
ALLOWED = "allowed"
DENIED = "denied"


_PENDING = "ketaclinic.audit_pending"


_HEADS = cast(Table, AuditChainHead.__table__)
_EVENTS = cast(Table, AuditEvent.__table__)


# Built once with the chain as a bound parameter: building the select on every
# commit cost a sixth of the audit write's CPU (issue 17, point 14).
_LOCK_HEAD = (
    select(_HEADS.c.last_seq, _HEADS.c.last_hash)
    .where(_HEADS.c.chain_key == bindparam("chain_key"))
    .with_for_update()
)


def _head(db: Session, chain_key: int) -> tuple[int, str]:
    """The chain's newest seq and hash, its head row locked for this transaction (FOR
    UPDATE: a row lock on PostgreSQL, the write lock on SQLite). Read and written
    as rows, not entities: the head is locked for the last moment of a transaction,
    and the unit of work's bookkeeping would only lengthen it."""
    params = {"chain_key": chain_key}
    head = core_execute(db, _LOCK_HEAD, params).first()
    if head is None:
        try:
            with db.begin_nested():
                db.execute(
                    insert(_HEADS).values(chain_key=chain_key, last_seq=0, last_hash=GENESIS_HASH)
                )
        except IntegrityError:
            pass  # another transaction created it first
        head = db.execute(_LOCK_HEAD, params).first()
    assert head is not None
    return head[0], head[1]


def record(
    db: Session,
    principal: Principal | None,
    action: str,
    *,
    outcome: str = ALLOWED,
    clinic_id: int | None = None,
    patient_id: int | None = None,
    resource_type: str = "",
    resource_id: str | int = "",
    detail: dict[str, Any] | None = None,
    origin: Origin | None = None,
    actor: str | None = None,
) -> None:
    """Add an event to the transaction. It is chained and written when the
    transaction commits (``write_pending``), so it rolls back with the change, and
    the chain head is locked only for the last moment of the transaction."""
    origin = origin or (principal.origin if principal else Origin())
    fields: dict[str, Any] = {
        "chain_key": clinic_id if clinic_id is not None else SYSTEM_CHAIN,
        "clinic_id": clinic_id,
        # A backend client (smart/) acts with no staff account: user id 0, kept as none.
        "user_id": (principal.user_id or None) if principal else None,
        "actor": actor if actor is not None else (principal.email if principal else ""),
        "action": action,
        "resource_type": resource_type,
        "resource_id": str(resource_id),
        "patient_id": patient_id,
        "outcome": outcome,
        "ip": origin.ip[:64],
        "user_agent": origin.user_agent[:300],
        "channel": origin.channel,
        "request_id": origin.request_id,
        "detail": json.dumps(detail, sort_keys=True, default=str) if detail else "",
    }
    # Kept with the innermost transaction, so rolling back a savepoint drops it.
    innermost = db.get_nested_transaction() or db.get_transaction()
    db.info.setdefault(_PENDING, []).append((innermost, fields))


def _event_with_head() -> Update:
    """UPDATE of a chain's head WITH the INSERT of its one new event, both bound
    parameters: built once, so SQLAlchemy caches its compiled form (a statement
    holding its values is compiled again on every execution)."""
    columns = [c for c in _EVENTS.c if c.name != "id"]
    event = (
        insert(_EVENTS)
        .values({c.name: bindparam(f"event_{c.name}", type_=c.type) for c in columns})
        .cte("written_event")
    )
    return (
        update(_HEADS)
        .where(_HEADS.c.chain_key == bindparam("head_key"))
        .values(last_seq=bindparam("head_seq"), last_hash=bindparam("head_hash"))
        .add_cte(event)
    )


_EVENT_WITH_HEAD = _event_with_head()


def write_pending(db: Session) -> int:
    """Chain and write the transaction's events; returns how many. Heads are locked
    in chain order, so two transactions never wait for each other in a circle."""
    pending = [fields for _, fields in db.info.pop(_PENDING, None) or []]
    if not pending:
        return 0
    # The transaction's own changes first: the heads are locked after them.
    db.flush()
    heads = {key: _head(db, key) for key in sorted({f["chain_key"] for f in pending})}
    rows = []
    for item in pending:
        last_seq, last_hash = heads[item["chain_key"]]
        # Stamped now, in chain order; truncated to whole microseconds as stored.
        fields = {**item, "seq": last_seq + 1, "occurred_at": utcnow()}
        digest = event_hash(_hashable(fields), last_hash)
        rows.append({**fields, "prev_hash": last_hash, "hash": digest})
        heads[item["chain_key"]] = (fields["seq"], digest)
    if len(rows) == 1 and db.get_bind().dialect.name == "postgresql":
        # A request's one event and its chain's head in one statement (one round trip
        # less while the head is locked): PostgreSQL runs a data-modifying WITH
        # exactly once, whether or not the statement reads it. (Several events keep
        # one INSERT, so their ids follow their order.)
        ((key, (seq, digest)),) = heads.items()
        params = {f"event_{name}": value for name, value in rows[0].items()}
        core_execute(
            db, _EVENT_WITH_HEAD, {**params, "head_key": key, "head_seq": seq, "head_hash": digest}
        )
        return 1
    db.execute(insert(_EVENTS), rows)
    for key, (last_seq, last_hash) in heads.items():
        db.execute(
            update(_HEADS)
            .where(_HEADS.c.chain_key == key)
            .values(last_seq=last_seq, last_hash=last_hash)
        )
    return len(pending)


def pending(db: Session, *, patient_id: int | None = None) -> list[AuditEvent]:
    """This transaction's events not written yet, newest first, as they will read
    (unsaved; a page that shows the trail shows its own reading too)."""
    items = [fields for _, fields in db.info.get(_PENDING, [])]
    chosen = [f for f in items if patient_id is None or f["patient_id"] == patient_id]
    return [AuditEvent(**f, occurred_at=utcnow()) for f in reversed(chosen)]


@sa_event.listens_for(Session, "before_commit")
def _write_on_commit(db: Session) -> None:
    if not db.in_nested_transaction():
        write_pending(db)


@sa_event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(db: Session, rolled_back: SessionTransaction) -> None:
    """Events added inside the transaction (or savepoint) that rolled back go with it."""

    def inside(transaction: SessionTransaction | None) -> bool:
        while transaction is not None:
            if transaction is rolled_back:
                return True
            transaction = transaction.parent
        return False

    kept = [item for item in db.info.get(_PENDING, []) if not inside(item[0])]
    if kept:
        db.info[_PENDING] = kept
    else:
        db.info.pop(_PENDING, None)


class PatientLike(Protocol):
    id: int
    clinic_id: int


def on_patient(
    db: Session,
    principal: Principal | None,
    action: str,
    patient: PatientLike,
    *,
    resource_type: str = "patient",
    resource_id: str | int | None = None,
    detail: dict[str, Any] | None = None,
    outcome: str = ALLOWED,
    origin: Origin | None = None,
    actor: str | None = None,
) -> None:
    """An event about one patient's record, on the patient's clinic's chain."""
    record(
        db,
        principal,
        action,
        outcome=outcome,
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        resource_type=resource_type,
        resource_id=resource_id if resource_id is not None else patient.id,
        detail=detail,
        origin=origin,
        actor=actor,
    )


def _hashable(fields: dict[str, Any]) -> dict[str, Any]:
    out = dict(fields)
    when = out["occurred_at"]
    if isinstance(when, datetime):
        out["occurred_at"] = when.isoformat(timespec="microseconds")
    return out


def _fields_of(event: AuditEvent) -> dict[str, Any]:
    from ketaclinic.audit.chain import HASHED_FIELDS

    return _hashable({name: getattr(event, name) for name in HASHED_FIELDS})


def verify(
    db: Session,
    *,
    batch_size: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, ChainProblem | None]:
    """Recompute every chain. Returns (events checked, first problem or None).
    ``progress`` is called with the number of events checked since its last call."""
    checked = 0
    heads = {
        key: (seq, digest)
        for key, seq, digest in db.execute(
            select(_HEADS.c.chain_key, _HEADS.c.last_seq, _HEADS.c.last_hash)
        )
    }
    keys = set(heads) | set(db.scalars(select(AuditEvent.chain_key).distinct()))
    for chain_key in sorted(keys):
        counter = [0]

        def events(
            key: int = chain_key, seen: list[int] = counter
        ) -> Iterator[tuple[int, dict[str, Any], str, str]]:
            stmt = (
                select(AuditEvent)
                .where(AuditEvent.chain_key == key)
                .order_by(AuditEvent.seq)
                .execution_options(yield_per=batch_size)
            )
            for event in db.scalars(stmt):
                seen[0] += 1
                if progress is not None and seen[0] % batch_size == 0:
                    progress(batch_size)
                yield event.id, _fields_of(event), event.prev_hash, event.hash

        problem = verify_chain(chain_key, events(), heads.get(chain_key))
        checked += counter[0]
        if progress is not None:
            progress(counter[0] % batch_size)
        if problem is not None:
            return checked, problem
    return checked, None


def total_events(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(AuditEvent)) or 0


@dataclass(frozen=True)
class AuditFilter:
    clinic_ids: Sequence[int]
    # Also events outside any clinic (sign-ins, exports): for deployment admins.
    include_system: bool = False
    # ...limited to these users' events when given (a clinic admin sees their staff's).
    system_user_ids: Sequence[int] | None = None
    patient_id: int | None = None
    user_id: int | None = None
    action: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _filtered(f: AuditFilter) -> Select[AuditEvent]:
    if f.include_system:
        system: ColumnElement[bool] = AuditEvent.clinic_id.is_(None)
        if f.system_user_ids is not None:
            system = and_(system, AuditEvent.user_id.in_(list(f.system_user_ids)))
        stmt = select(AuditEvent).where(or_(AuditEvent.clinic_id.in_(list(f.clinic_ids)), system))
    else:
        stmt = in_clinics(select(AuditEvent), AuditEvent.clinic_id, f.clinic_ids)  # type: ignore[arg-type]
    if f.patient_id is not None:
        stmt = stmt.where(AuditEvent.patient_id == f.patient_id)
    if f.user_id is not None:
        stmt = stmt.where(AuditEvent.user_id == f.user_id)
    if f.action:
        stmt = stmt.where(AuditEvent.action.startswith(f.action))
    if f.outcome:
        stmt = stmt.where(AuditEvent.outcome == f.outcome)
    if f.since is not None:
        stmt = stmt.where(AuditEvent.occurred_at >= f.since)
    if f.until is not None:
        stmt = stmt.where(AuditEvent.occurred_at < f.until)
    return stmt


def search(
    db: Session, f: AuditFilter, *, offset: int = 0, limit: int = 50
) -> tuple[list[AuditEvent], int]:
    stmt = _filtered(f)
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.scalars(
        stmt.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), total


def iter_events(db: Session, f: AuditFilter, *, batch_size: int = 1000) -> Iterator[AuditEvent]:
    stmt = _filtered(f).order_by(AuditEvent.chain_key, AuditEvent.seq)
    yield from db.scalars(stmt.execution_options(yield_per=batch_size))


def count(db: Session, f: AuditFilter) -> int:
    return db.scalar(select(func.count()).select_from(_filtered(f).subquery())) or 0


EXPORT_FIELDS = [
    "id",
    "occurred_at",
    "clinic_id",
    "chain_key",
    "seq",
    "user_id",
    "actor",
    "action",
    "resource_type",
    "resource_id",
    "patient_id",
    "outcome",
    "channel",
    "ip",
    "user_agent",
    "request_id",
    "detail",
    "prev_hash",
    "hash",
]


def as_row(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "occurred_at": event.occurred_at.isoformat(),
        "clinic_id": event.clinic_id,
        "chain_key": event.chain_key,
        "seq": event.seq,
        "user_id": event.user_id,
        "actor": event.actor,
        "action": event.action,
        "resource_type": event.resource_type,
        "resource_id": event.resource_id,
        "patient_id": event.patient_id,
        "outcome": event.outcome,
        "channel": event.channel,
        "ip": event.ip,
        "user_agent": event.user_agent,
        "request_id": event.request_id,
        "detail": event.detail,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }
