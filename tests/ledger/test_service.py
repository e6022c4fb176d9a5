"""The ledger's write path: each movement checked by the pure rules, chained, and
the container's balance moved with it; ``verify`` agrees."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.kit.errors import ValidationFailed
from ketaclinic.kit.time import now_in, today_in, utcnow
from ketaclinic.ledger import counts, service, verify
from ketaclinic.ledger.models import CsEntry
from ketaclinic.ledger.schemas import (
    CountIn,
    CountLineIn,
    DestroyIn,
    DrawIn,
    LossIn,
    ResolutionIn,
    ReverseIn,
    WitnessIn,
)
from tests.conftest import CLINIC_TZ, Persona
from tests.ledger.conftest import Stock, me, witness


def _draw(db: Session, nurse: Persona, stock: Stock, mg: str = "35") -> CsEntry:
    return service.draw(
        db,
        me(db, nurse),
        DrawIn(container_id=stock.vials[0].id, patient_id=stock.patient_id, amount_mg=Decimal(mg)),
    )


def test_it_receives_containers_with_the_supplier_on_each_entry(db: Session, stock: Stock) -> None:
    entries = list(
        db.scalars(
            select(CsEntry)
            .where(CsEntry.clinic_id == stock.location.clinic_id)
            .order_by(CsEntry.id)
        )
    )
    assert [e.kind for e in entries] == ["receive", "receive"]
    assert [v.label for v in stock.vials] == ["KX2611-001", "KX2611-002"]
    assert all(v.on_hand_ug == 500_000 and v.status == "sealed" for v in stock.vials)
    assert '"supplier_dea": "RG1234563"' in entries[0].detail
    assert [e.seq for e in entries] == [1, 2] and entries[1].prev_hash == entries[0].hash
    assert verify.verify(db, [stock.location.clinic_id]) == (2, None)


def test_it_draws_administers_and_wastes_with_a_witness(
    db: Session, stock: Stock, nurse: Persona, prescriber: Persona
) -> None:
    drawn = _draw(db, nurse, stock)
    assert stock.vials[0].on_hand_ug == 465_000 and stock.vials[0].status == "opened"
    service.administer(db, me(db, nurse), drawn.id, Decimal("32.5"))
    with pytest.raises(ValidationFailed, match="witness"):
        service.waste(db, me(db, nurse), drawn.id, Decimal("2.5"), [], service.LedgerPolicy())
    service.waste(
        db, me(db, nurse), drawn.id, Decimal("2.5"), [witness(prescriber)], service.LedgerPolicy()
    )
    state = service.draw_state(db, me(db, nurse), drawn)
    assert state.closed and state.wasted_mg == Decimal("2.5")
    assert verify.verify(db, [stock.location.clinic_id])[1] is None


def test_it_refuses_an_overdraw_and_writes_nothing(
    db: Session, stock: Stock, nurse: Persona
) -> None:
    before = db.scalar(select(CsEntry.id).order_by(CsEntry.id.desc()))
    with pytest.raises(ValidationFailed) as refused:
        _draw(db, nurse, stock, "500.001")
    assert refused.value.fields == {
        "amount_mg": "500.001 mg is more than the 500 mg on hand in " + str(stock.vials[0].id)
    }
    db.rollback()
    assert db.scalar(select(CsEntry.id).order_by(CsEntry.id.desc())) == before


def test_it_corrects_an_administered_amount_with_a_new_entry(
    db: Session, stock: Stock, nurse: Persona, prescriber: Persona
) -> None:
    drawn = _draw(db, nurse, stock)
    wrong = service.administer(db, me(db, nurse), drawn.id, Decimal(35))
    correction = ReverseIn(
        entry_id=wrong.id, amount_mg=Decimal(5), reason="Pump history shows 30 mg given."
    )
    fix = service.reverse(db, me(db, nurse), drawn.id, correction)
    assert fix.corrects_id == wrong.id
    service.waste(
        db, me(db, nurse), drawn.id, Decimal(5), [witness(prescriber)], service.LedgerPolicy()
    )
    assert service.draw_state(db, me(db, nurse), drawn).administered_mg == Decimal(30)
    assert verify.verify(db, [stock.location.clinic_id])[1] is None


def test_it_moves_destroys_and_loses_stock_on_the_right_chains(
    db: Session, stock: Stock, custodian: Persona, nurse: Persona, prescriber: Persona
) -> None:
    who = me(db, custodian)
    moved = service.transfer(db, who, stock.vials[1].id, stock.other.id)
    assert moved.location_id == stock.other.id and moved.seq == 1
    assert stock.vials[1].location_id == stock.other.id
    with pytest.raises(ValidationFailed, match="needs 2 witnesses"):
        service.destroy(db, who, stock.vials[1].id, _destruction(), [witness(nurse)])
    service.destroy(
        db, who, stock.vials[1].id, _destruction(), [witness(nurse), witness(prescriber)]
    )
    loss = service.record_loss(
        db,
        who,
        stock.vials[0].id,
        LossIn(
            amount_mg=Decimal(50),
            loss_kind="breakage",
            discovered=today_in(CLINIC_TZ),
            circumstances="Vial dropped during the count and broke.",
        ),
    )
    assert '"form_106_due"' in loss.detail
    assert verify.verify(db, [stock.location.clinic_id])[1] is None


def _destruction() -> DestroyIn:
    return DestroyIn(
        amount_mg=Decimal(500),
        method="Rx Destroyer chemical digestion",
        reason="expired",
        destroyed_on=today_in(CLINIC_TZ),
        witnesses=[WitnessIn(email="a@b.c", password="x")] * 2,
    )


def test_it_opens_a_case_for_a_short_count_and_resolves_it_with_two_signatures(
    db: Session, stock: Stock, custodian: Persona, prescriber: Persona
) -> None:
    who = me(db, custodian)
    lines = [
        CountLineIn(container_id=stock.vials[0].id, counted_mg=Decimal(495)),
        CountLineIn(container_id=stock.vials[1].id, counted_mg=Decimal(500)),
    ]
    result = counts.record_count(db, who, CountIn(location_id=stock.location.id, lines=lines))
    [case] = result.discrepancies
    assert (case.expected_ug, case.counted_ug) == (500_000, 495_000)
    resolution = counts.resolve(
        db,
        who,
        case.id,
        ResolutionIn(
            outcome="ledger_follows_count",
            explanation="Spilled 0.1 mL at the last draw; seen.",
            second_signer=WitnessIn(email="x@y.z", password="x"),
        ),
        witness(prescriber),
    )
    assert resolution.adjust_entry_id is not None
    assert stock.vials[0].on_hand_ug == 495_000
    assert counts.open_cases(db, who) == []
    assert verify.verify(db, [stock.location.clinic_id])[1] is None


def test_it_refuses_a_count_that_skips_a_container(
    db: Session, stock: Stock, custodian: Persona
) -> None:
    lines = [CountLineIn(container_id=stock.vials[0].id, counted_mg=Decimal(500))]
    with pytest.raises(ValidationFailed) as refused:
        counts.record_count(
            db, me(db, custodian), CountIn(location_id=stock.location.id, lines=lines)
        )
    assert refused.value.fields == {f"counted_{stock.vials[1].id}": "count this container"}


def test_it_stamps_historical_records_in_utc_so_the_chain_still_verifies(
    db: Session, stock: Stock, nurse: Persona
) -> None:
    from datetime import timedelta

    at = now_in(CLINIC_TZ) - timedelta(days=3)
    with service.recorded_at(at):
        entry = _draw(db, nurse, stock)
    assert entry.occurred_at == at
    db.expire_all()
    assert verify.verify(db, [stock.location.clinic_id])[1] is None


def test_it_refuses_to_draw_from_a_lot_that_has_expired(
    db: Session, stock: Stock, custodian: Persona, nurse: Persona
) -> None:
    from datetime import timedelta

    from ketaclinic.ledger.schemas import ReceiptIn
    from tests.ledger.conftest import receipt

    soon = today_in(CLINIC_TZ) + timedelta(days=10)
    with service.recorded_at(utcnow() - timedelta(days=40)):
        [old] = service.receive(
            db,
            me(db, custodian),
            ReceiptIn(
                **receipt(
                    stock.location.id,
                    stock.product.id,
                    lot_number="OLD1",
                    expires=(soon - timedelta(days=20)).isoformat(),
                    containers=1,
                )
            ),
        )
    expired = soon - timedelta(days=20)
    data = DrawIn(container_id=old.container_id, patient_id=stock.patient_id, amount_mg=Decimal(5))
    with pytest.raises(ValidationFailed) as refused:
        service.draw(db, me(db, nurse), data)
    assert refused.value.fields == {"container_id": f"lot OLD1 expired on {expired}"}
