"""The ledger under pressure, on a database of its own (real commits): many nurses
drawing from one vial at once, and a writer killed mid-write."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ketaclinic.auth.service import create_user, principal_for
from ketaclinic.clinics.service import create_clinic
from ketaclinic.identity.principal import Principal
from ketaclinic.kit.db import make_engine, make_sessionmaker
from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.ledger import service, verify
from ketaclinic.ledger.models import CsContainer, CsEntry
from ketaclinic.ledger.schemas import DrawIn, LocationIn, ProductIn, ReceiptIn
from ketaclinic.patients import service as patients
from ketaclinic.patients.schemas import PatientCreate
from tests.conftest import PASSWORD
from tests.ledger.conftest import receipt
from tests.patients.test_api import valid_patient


@dataclass
class Clinic:
    factory: sessionmaker[Session]
    nurse_id: int
    patient_id: int
    vials: list[int]


@pytest.fixture(scope="module")
def stocked(fresh_url: str) -> Iterator[Clinic]:
    engine = (
        make_engine(fresh_url, pool_size=20)
        if "postgresql" in fresh_url
        else make_engine(fresh_url)
    )
    factory = make_sessionmaker(engine)
    with factory() as db:
        clinic = create_clinic(db, slug="durable", name="Durable", timezone="America/Chicago")
        keeper = create_user(
            db,
            email="keeper@durable.example.org",
            name="Kee Per",
            password=PASSWORD,
            role="custodian",
            clinic=clinic,
        )
        nurse = create_user(
            db,
            email="nurse@durable.example.org",
            name="Nur Se",
            password=PASSWORD,
            role="nurse",
            clinic=clinic,
        )
        db.flush()
        who = principal_for(db, keeper)
        patient = patients.create_patient(
            db, principal_for(db, nurse), PatientCreate(**valid_patient())
        )
        product = service.add_product(
            db,
            who,
            ProductIn(
                ndc="0143-9508-10",
                drug="ketamine",
                name="Ketamine HCl",
                strength="50 mg/mL",
                form="vial",
                container_mg=Decimal(500),
            ),
        )
        safe = service.add_location(db, who, clinic.id, LocationIn(name="Safe"))
        entries = service.receive(db, who, ReceiptIn(**receipt(safe.id, product.id, containers=3)))
        db.commit()
        ids = [e.container_id for e in entries]
        yield Clinic(factory, nurse.id, patient.id, ids)
    engine.dispose()


def _principal(db: Session, user_id: int) -> Principal:
    from ketaclinic.auth.models import User

    user = db.get(User, user_id)
    assert user is not None
    return principal_for(db, user)


def test_it_never_overdraws_one_vial_under_concurrent_draws(stocked: Clinic) -> None:
    vial, results = stocked.vials[0], []
    lock = threading.Lock()

    def nurse_draws() -> None:
        with stocked.factory() as db:
            try:
                data = DrawIn(
                    container_id=vial, patient_id=stocked.patient_id, amount_mg=Decimal(70)
                )
                service.draw(db, _principal(db, stocked.nurse_id), data)
                db.commit()
                outcome = "drawn"
            except KetaClinicError as exc:
                db.rollback()
                outcome = exc.message
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=nurse_draws) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 500 mg holds seven 70 mg draws; the other five are refused for want of stock.
    assert results.count("drawn") == 7, results
    assert all("on hand" in r for r in results if r != "drawn")
    with stocked.factory() as db:
        container = db.get(CsContainer, vial)
        assert container is not None and container.on_hand_ug == 10_000
        draws = db.scalar(
            select(func.count())
            .select_from(CsEntry)
            .where(CsEntry.container_id == vial, CsEntry.kind == "draw")
        )
        assert draws == 7
        assert verify.verify(db)[1] is None


def test_it_leaves_no_half_entry_when_a_writer_is_killed_mid_write(
    stocked: Clinic, fresh_url: str
) -> None:
    vial = stocked.vials[1]
    child = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("crash_writer.py")),
            fresh_url,
            str(vial),
            str(stocked.patient_id),
            str(stocked.nurse_id),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "INSERTED"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    with stocked.factory() as db:
        container = db.get(CsContainer, vial)
        assert container is not None and container.on_hand_ug == 500_000
        assert (
            db.scalar(
                select(func.count())
                .select_from(CsEntry)
                .where(CsEntry.container_id == vial, CsEntry.kind == "draw")
            )
            == 0
        )
        assert verify.verify(db)[1] is None
        # The killed writer's lock is gone: the next draw goes through and chains on.
        entry = service.draw(
            db,
            _principal(db, stocked.nurse_id),
            DrawIn(container_id=vial, patient_id=stocked.patient_id, amount_mg=Decimal(35)),
        )
        db.commit()
        assert entry.balance_ug == 465_000
        assert verify.verify(db)[1] is None
