"""Two front-desk staff refunding the same payment at once, together more than it
(on a database of its own, real commits): the payment's row is held while the
refunds are added up, so one refund is recorded and the other refused naming the
amount; two payments at once take two receipt numbers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ketaclinic.auth.models import User
from ketaclinic.auth.service import create_user, principal_for
from ketaclinic.billing.account_models import AccountEntry
from ketaclinic.billing.service import accounts
from ketaclinic.clinics.service import create_clinic
from ketaclinic.identity.principal import Principal
from ketaclinic.kit.db import make_engine, make_sessionmaker
from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.patients import service as patients
from ketaclinic.patients.schemas import PatientCreate
from tests.conftest import PASSWORD
from tests.patients.test_api import valid_patient


@dataclass
class Desk:
    factory: sessionmaker[Session]
    staff: list[int]
    patient_id: int


@pytest.fixture(scope="module")
def desk(fresh_url: str) -> Iterator[Desk]:
    if "postgresql" not in fresh_url:
        pytest.skip("row locks are PostgreSQL's; SQLite has one writer at a time")
    engine = make_engine(fresh_url, pool_size=10)
    factory = make_sessionmaker(engine)
    with factory() as db:
        clinic = create_clinic(db, slug="till", name="Till", timezone="America/Chicago")
        people = [
            create_user(
                db,
                email=f"desk{n}@till.example.org",
                name=f"Desk {n}",
                password=PASSWORD,
                role="front_desk",
                clinic=clinic,
            )
            for n in (1, 2)
        ]
        db.flush()
        first = principal_for(db, people[0])
        patient = patients.create_patient(db, first, PatientCreate(**valid_patient()))
        db.commit()
        yield Desk(factory, [p.id for p in people], patient.id)
    engine.dispose()


def _at_once(d: Desk, act: Callable[[Session, int], str]) -> list[str]:
    start, lock, results = threading.Barrier(2), threading.Lock(), []

    def one(n: int) -> None:
        with d.factory() as db:
            start.wait()
            try:
                outcome = act(db, n)
                db.commit()
            except KetaClinicError as exc:
                db.rollback()
                outcome = str(exc.fields)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=one, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _who(db: Session, d: Desk, n: int) -> Principal:
    user = db.get(User, d.staff[n])
    assert user is not None
    return principal_for(db, user)


def test_it_lets_only_one_of_two_racing_refunds_through(desk: Desk) -> None:
    with desk.factory() as db:
        paid = accounts.record_payment(
            db,
            _who(db, desk, 0),
            desk.patient_id,
            amount_cents=10000,
            method="card",
        )
        db.commit()
        payment_id = paid.id

    def refund(db: Session, n: int) -> str:
        who = _who(db, desk, n)
        accounts.refund(
            db,
            who,
            desk.patient_id,
            payment_id,
            amount_cents=6000,
            reason="cancelled visit",
        )
        return "refunded"

    results = _at_once(desk, refund)
    assert results.count("refunded") == 1, results
    [refused] = [r for r in results if r != "refunded"]
    assert "amount_cents" in refused and "$40.00" in refused, refused
    with desk.factory() as db:
        back = db.scalars(
            select(AccountEntry.amount_cents).where(AccountEntry.refund_of_id == payment_id)
        ).all()
        assert back == [6000]


def test_it_gives_two_payments_at_once_two_receipt_numbers(desk: Desk) -> None:
    def pay(db: Session, n: int) -> str:
        who = _who(db, desk, n)
        row = accounts.record_payment(
            db,
            who,
            desk.patient_id,
            amount_cents=500 + n,
            method="cash",
        )
        return str(row.receipt_no)

    results = _at_once(desk, pay)
    assert len(set(results)) == 2 and all(r.startswith("R-") for r in results), results
