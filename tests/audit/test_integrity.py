"""The database itself refuses to change or remove audit rows, and ``verify`` finds
rows changed or removed behind its back (triggers disabled by a superuser)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.audit.models import AuditEvent
from tests.conftest import Persona
from tests.patients.test_api import valid_patient

Api = Callable[[Persona], TestClient]


@pytest.fixture
def trail(api: Api, front_desk: Persona, nurse: Persona, db: Session) -> list[AuditEvent]:
    """A few events on one clinic's chain."""
    patient = api(front_desk).post("/api/v1/patients", json=valid_patient()).json()
    for _ in range(3):
        api(nurse).get(f"/api/v1/patients/{patient['id']}")
    stmt = select(AuditEvent).where(AuditEvent.chain_key == nurse.clinic.id)
    events = list(db.scalars(stmt.order_by(AuditEvent.seq)))
    assert len(events) >= 4
    return events


def _is_postgresql(db: Session) -> bool:
    return db.get_bind().dialect.name == "postgresql"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET actor = 'someone else' WHERE id = :id",
        "DELETE FROM audit_events WHERE id = :id",
    ],
)
def test_it_refuses_update_and_delete_in_the_database(
    db: Session, trail: list[AuditEvent], statement: str
) -> None:
    with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
        db.execute(text(statement), {"id": trail[1].id})
    assert db.get(AuditEvent, trail[1].id) is not None


def test_it_refuses_emptying_the_whole_table(db: Session, trail: list[AuditEvent]) -> None:
    """TRUNCATE on PostgreSQL; on SQLite, an unqualified DELETE (its truncate)."""
    statement = "TRUNCATE audit_events" if _is_postgresql(db) else "DELETE FROM audit_events"
    with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
        db.execute(text(statement))
    assert db.get(AuditEvent, trail[0].id) is not None


@contextmanager
def _triggers_off(db: Session) -> Iterator[None]:
    """What an attacker with database access would do first. Undone by the test's
    rollback (DDL is transactional on both databases)."""
    if _is_postgresql(db):
        db.execute(text("SET LOCAL session_replication_role = replica"))
        yield
        db.execute(text("SET LOCAL session_replication_role = origin"))
    else:
        db.execute(text("DROP TRIGGER audit_events_no_update"))
        db.execute(text("DROP TRIGGER audit_events_no_delete"))
        yield


def test_it_verifies_an_untouched_trail(db: Session, trail: list[AuditEvent]) -> None:
    checked, problem = audit.verify(db)
    assert problem is None and checked >= len(trail)


def test_it_finds_a_modified_row(db: Session, trail: list[AuditEvent]) -> None:
    target = trail[2]
    where = (target.chain_key, target.seq, target.id)
    with _triggers_off(db):
        db.execute(
            text("UPDATE audit_events SET actor = 'someone else' WHERE id = :id"),
            {"id": target.id},
        )
    db.expire_all()
    _, problem = audit.verify(db)
    assert problem is not None
    assert (problem.chain_key, problem.seq, problem.event_id) == where
    assert "modified" in problem.reason


def test_it_finds_a_deleted_row(db: Session, trail: list[AuditEvent]) -> None:
    target = trail[1]
    where = (target.chain_key, target.seq)
    with _triggers_off(db):
        db.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": target.id})
    db.expire_all()
    _, problem = audit.verify(db)
    assert problem is not None
    assert (problem.chain_key, problem.seq) == where
    assert "missing" in problem.reason


def test_it_finds_the_newest_row_deleted(db: Session, trail: list[AuditEvent]) -> None:
    newest = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.chain_key == trail[0].chain_key)
        .order_by(AuditEvent.seq.desc())
    ).first()
    assert newest is not None
    with _triggers_off(db):
        db.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": newest.id})
    db.expire_all()
    _, problem = audit.verify(db)
    assert problem is not None and "newest deleted" in problem.reason
