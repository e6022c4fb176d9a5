"""Random sequences of ledger requests, valid and not, through the real write path:
no balance ever goes negative, every refused request writes nothing, and ``verify``
agrees with balances recomputed independently from what was accepted."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.kit.time import utcnow
from ketaclinic.ledger import service, verify
from ketaclinic.ledger.models import CsContainer, CsEntry
from ketaclinic.ledger.schemas import DrawIn, LossIn, ReverseIn
from tests.conftest import Persona
from tests.ledger.conftest import Stock, me, witness

amounts = st.decimals("0.5", "600", places=1)
requests = st.lists(
    st.one_of(
        st.tuples(st.just("draw"), st.integers(0, 1), amounts),
        st.tuples(st.just("administer"), st.integers(0, 3), amounts),
        st.tuples(st.just("waste"), st.integers(0, 3), amounts),
        st.tuples(st.just("return"), st.integers(0, 3), amounts),
        st.tuples(st.just("reverse"), st.integers(0, 3), amounts),
        st.tuples(st.just("loss"), st.integers(0, 1), amounts),
        st.tuples(st.just("transfer"), st.integers(0, 1), st.just(Decimal(0))),
    ),
    max_size=12,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=requests)
def test_it_keeps_every_balance_whatever_is_asked(
    db: Session,
    stock: Stock,
    nurse: Persona,
    custodian: Persona,
    prescriber: Persona,
    steps: list[tuple[str, int, Decimal]],
) -> None:
    nested = db.begin_nested()
    try:
        _run(db, stock, nurse, custodian, prescriber, steps)
    finally:
        nested.rollback()


def _run(
    db: Session,
    stock: Stock,
    nurse: Persona,
    custodian: Persona,
    prescriber: Persona,
    steps: list[tuple[str, int, Decimal]],
) -> None:
    n, c = me(db, nurse), me(db, custodian)
    vials = [v.id for v in stock.vials]
    expected = {v: 500_000 for v in vials}  # recomputed here, independently
    draws: list[tuple[int, int]] = []  # (draw entry id, vial)
    accounted: list[tuple[int, int, str]] = []  # (entry id, vial, kind)
    for kind, index, amount in steps:
        before = db.scalar(select(func.count()).select_from(CsEntry))
        ug = int(amount * 1000)
        try:
            with db.begin_nested():
                if kind == "draw":
                    data = DrawIn(
                        container_id=vials[index], patient_id=stock.patient_id, amount_mg=amount
                    )
                    draws.append((service.draw(db, n, data).id, vials[index]))
                    expected[vials[index]] -= ug
                elif kind in ("administer", "waste", "return") and index < len(draws):
                    draw_id, vial = draws[index]
                    if kind == "administer":
                        entry = service.administer(db, n, draw_id, amount)
                    elif kind == "waste":
                        entry = service.waste(
                            db, n, draw_id, amount, [witness(prescriber)], service.LedgerPolicy()
                        )
                    else:
                        entry = service.return_to_stock(db, n, draw_id, amount)
                        expected[vial] += ug
                    accounted.append((entry.id, vial, kind))
                elif kind == "reverse" and index < len(accounted):
                    entry_id, vial, was = accounted[index]
                    wrong = db.get(CsEntry, entry_id)
                    assert wrong is not None and wrong.draw_entry_id is not None
                    fix = ReverseIn(
                        entry_id=entry_id, amount_mg=amount, reason="Keyed in error at the cart."
                    )
                    service.reverse(db, n, wrong.draw_entry_id, fix)
                    if was == "return":
                        expected[vial] -= ug
                elif kind == "loss":
                    service.record_loss(
                        db,
                        c,
                        vials[index],
                        LossIn(
                            amount_mg=amount,
                            loss_kind="breakage",
                            discovered=(utcnow() - timedelta(days=1)).date(),
                            circumstances="Vial cracked in the safe.",
                        ),
                    )
                    expected[vials[index]] -= ug
                elif kind == "transfer":
                    service.transfer(db, c, vials[index], stock.other.id)
        except KetaClinicError:
            event(f"{kind} refused")
            # Refused: nothing was written.
            assert db.scalar(select(func.count()).select_from(CsEntry)) == before
            continue
        event(f"{kind} accepted")
        for vial in vials:
            container = db.get(CsContainer, vial)
            assert container is not None and container.on_hand_ug >= 0
    db.expire_all()
    on_hand = {
        v: db.scalar(select(CsContainer.on_hand_ug).where(CsContainer.id == v)) for v in vials
    }
    assert on_hand == expected
    assert verify.verify(db, [stock.location.clinic_id])[1] is None
