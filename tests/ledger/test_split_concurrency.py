"""Two nurses each drawing a dose from two containers, both reaching for the same
vial's last millilitres at once, on a database of its own (real commits): one draws,
the other is refused naming the lot, and the ledger still verifies."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ketaclinic.auth.models import User
from ketaclinic.auth.service import create_user, principal_for
from ketaclinic.clinics.service import create_clinic
from ketaclinic.kit.db import make_engine, make_sessionmaker
from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.ledger import service, verify
from ketaclinic.ledger.models import CsContainer, CsEntry
from ketaclinic.ledger.schemas import DrawIn, LocationIn, ProductIn, ReceiptIn
from ketaclinic.ledger.witnesses import Witness
from ketaclinic.patients import service as patients
from ketaclinic.patients.schemas import PatientCreate
from tests.conftest import PASSWORD
from tests.ledger.conftest import receipt
from tests.patients.test_api import valid_patient


@dataclass
class Safe:
    factory: sessionmaker[Session]
    nurses: list[int]
    witness: Witness
    patients: list[int]
    vials: list[int]


@pytest.fixture(scope="module")
def safe(fresh_url: str) -> Iterator[Safe]:
    engine = (
        make_engine(fresh_url, pool_size=10)
        if "postgresql" in fresh_url
        else make_engine(fresh_url)
    )
    factory = make_sessionmaker(engine)
    with factory() as db:
        clinic = create_clinic(db, slug="split", name="Split", timezone="America/Chicago")
        people = {
            role: create_user(
                db,
                email=f"{role}@split.example.org",
                name=f"{role.title()} Person",
                password=PASSWORD,
                role=role.rstrip("12"),
                clinic=clinic,
            )
            for role in ("custodian", "nurse1", "nurse2", "prescriber")
        }
        db.flush()
        keeper = principal_for(db, people["custodian"])
        nurse = principal_for(db, people["nurse1"])
        patient_ids = [
            patients.create_patient(
                db, nurse, PatientCreate(**valid_patient(given_name=name, family_name="Split"))
            ).id
            for name in ("Ana", "Bo")
        ]
        product = service.add_product(
            db,
            keeper,
            ProductIn(
                ndc="0143-9508-10",
                drug="ketamine",
                name="Ketamine HCl",
                strength="50 mg/mL",
                form="vial",
                container_mg=Decimal(500),
                container_ml=Decimal(10),
            ),
        )
        location = service.add_location(db, keeper, clinic.id, LocationIn(name="Safe"))
        entries = service.receive(
            db, keeper, ReceiptIn(**receipt(location.id, product.id, containers=3))
        )
        vials = [e.container_id for e in entries]
        # The first vial is opened: 14.5 mg is left in it.
        opened = DrawIn(
            container_id=vials[0], patient_id=patient_ids[0], amount_mg=Decimal("485.5")
        )
        service.draw(db, nurse, opened)
        db.commit()
        witness = Witness(people["prescriber"].id, people["prescriber"].name)
        nurses = [people["nurse1"].id, people["nurse2"].id]
        yield Safe(factory, nurses, witness, patient_ids, vials)
    engine.dispose()


def test_it_lets_only_one_of_two_nurses_draw_the_same_vials_last_millilitres(
    safe: Safe,
) -> None:
    start, lock, results = threading.Barrier(2), threading.Lock(), []

    def nurse_draws(n: int) -> None:
        with safe.factory() as db:
            user = db.get(User, safe.nurses[n])
            assert user is not None
            who = principal_for(db, user)
            start.wait()
            try:
                service.draw_split(
                    db,
                    who,
                    (safe.vials[0], safe.vials[n + 1]),
                    safe.patients[n],
                    Decimal(30),
                    session_id=None,
                    witnesses=[safe.witness],
                )
                db.commit()
                outcome = "drawn"
            except KetaClinicError as exc:
                db.rollback()
                outcome = str(exc.fields)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=nurse_draws, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results)[0] == "drawn" and results.count("drawn") == 1, results
    [refused] = [r for r in results if r != "drawn"]
    assert "lot KX2611" in refused and "container_id" in refused, refused
    with safe.factory() as db:
        balances = [
            c.on_hand_ug
            for c in db.scalars(
                select(CsContainer).where(CsContainer.id.in_(safe.vials)).order_by(CsContainer.id)
            )
        ]
        assert balances[0] == 0 and sorted(balances[1:]) == [484_500, 500_000], balances
        draws = db.scalar(
            select(func.count())
            .select_from(CsEntry)
            .where(CsEntry.kind == "draw", CsEntry.patient_id.in_(safe.patients))
        )
        assert draws == 3  # the opening draw and the one nurse's two
        assert verify.verify(db)[1] is None
