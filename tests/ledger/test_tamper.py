"""Entries cannot be changed or removed; if someone with the database's keys
bypasses the triggers, ``verify`` names the entry."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ketaclinic.ledger import verify
from tests.ledger.conftest import Stock


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE cs_entries SET amount_ug = 1",
        "DELETE FROM cs_entries",
        "UPDATE cs_lots SET lot_number = 'X'",
        "DELETE FROM cs_products",
    ],
)
def test_it_refuses_to_update_or_delete_ledger_rows(
    db: Session, stock: Stock, statement: str
) -> None:
    with pytest.raises(DBAPIError, match=r"append-only|refuse"), db.begin_nested():
        db.execute(text(statement))


def _bypass_triggers(db: Session) -> None:
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("ALTER TABLE cs_entries DISABLE TRIGGER cs_entries_immutable"))
    else:
        db.execute(text("DROP TRIGGER cs_entries_no_update"))
        db.execute(text("DROP TRIGGER cs_entries_no_delete"))


def test_it_names_an_entry_changed_behind_the_triggers(db: Session, stock: Stock) -> None:
    _bypass_triggers(db)
    db.execute(
        text(
            "UPDATE cs_entries SET amount_ug = 400000, balance_ug = 400000 "
            "WHERE id = (SELECT MIN(id) FROM cs_entries WHERE clinic_id = :c)"
        ),
        {"c": stock.location.clinic_id},
    )
    db.expire_all()
    problem = verify.verify(db, [stock.location.clinic_id])[1]
    assert problem is not None and "content does not match its hash" in problem.reason


def test_it_notices_the_newest_entry_deleted(db: Session, stock: Stock) -> None:
    _bypass_triggers(db)
    db.execute(
        text(
            "DELETE FROM cs_entries WHERE id = (SELECT MAX(id) FROM cs_entries "
            "WHERE clinic_id = :c)"
        ),
        {"c": stock.location.clinic_id},
    )
    db.expire_all()
    problem = verify.verify(db, [stock.location.clinic_id])[1]
    assert problem is not None and "newest deleted" in problem.reason


def test_it_notices_a_balance_moved_without_an_entry(db: Session, stock: Stock) -> None:
    db.execute(
        text("UPDATE cs_containers SET on_hand_ug = 450000 WHERE id = :id"),
        {"id": stock.vials[0].id},
    )
    db.expire_all()
    problem = verify.verify(db, [stock.location.clinic_id])[1]
    assert problem is not None and "shows 450 mg on hand, the entries 500 mg" in problem.reason
