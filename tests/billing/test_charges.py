"""A completed visit's charges (issue 23, point 2): made from the chart when the
visit completes, priced from the clinic's fee schedule, reviewed and finalised by
staff with the billing permission; a final line never changes, a correction is a
new line; every step audited."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.auth.service import principal_for
from ketaclinic.billing.errors import (
    ChargeAlreadyFinal,
    ChargeNotReady,
    CorrectionReasonRequired,
    EvaluationCodeInvalid,
    NpiInvalid,
    UnknownCode,
)
from ketaclinic.billing.models import ChargeLine
from ketaclinic.billing.service import charges, fees
from ketaclinic.identity.errors import RoleNotAllowed
from tests.billing.conftest import Billed
from tests.conftest import Persona


def lines(db: Session, billed: Billed) -> list[ChargeLine]:
    stmt = select(ChargeLine).where(ChargeLine.session_id == billed.session_id)
    return list(db.scalars(stmt.order_by(ChargeLine.id)))


def actions(db: Session, billed: Billed) -> list[str]:
    stmt = select(AuditEvent.action).where(
        AuditEvent.patient_id == billed.patient_id, AuditEvent.action.like("patient.billing.%")
    )
    return list(db.scalars(stmt.order_by(AuditEvent.id)))


def test_it_makes_the_charges_when_the_visit_completes(db: Session, billed: Billed) -> None:
    made = lines(db, billed)
    assert [(line.code, line.units, line.status) for line in made] == [
        ("96365", 1, "draft"),
        ("J3490", 1, "draft"),
    ]
    drug = made[1]
    assert (drug.ndc_quantity, drug.ndc_unit, drug.ndc is not None) == (Decimal("34.2"), "ME", True)
    assert {(line.place_of_service, line.diagnoses, line.pointers) for line in made} == {
        ("11", "F33.2", "A")
    }
    assert [line.amount_cents for line in made] == [45000, 1000]
    assert actions(db, billed) == ["patient.billing.charges_made"]


def test_it_finalises_a_line_and_never_changes_it_after(
    db: Session, billed: Billed, front_desk: Persona
) -> None:
    desk = principal_for(db, front_desk.user)
    first = lines(db, billed)[0]
    charges.finalise(db, desk, first.id)
    db.commit()
    with pytest.raises(ChargeAlreadyFinal):
        charges.finalise(db, desk, first.id)
    for statement in (
        "UPDATE charge_lines SET units = 9 WHERE id = :id",
        "DELETE FROM charge_lines WHERE id = :id",
    ):
        with pytest.raises(DBAPIError), db.begin_nested():
            db.execute(text(statement), {"id": first.id})
    assert "patient.billing.charge_finalised" in actions(db, billed)


def test_it_corrects_a_final_line_by_new_lines(
    db: Session, billed: Billed, front_desk: Persona
) -> None:
    desk = principal_for(db, front_desk.user)
    first = lines(db, billed)[0]
    charges.finalise(db, desk, first.id)
    with pytest.raises(CorrectionReasonRequired):
        charges.correct(db, desk, first.id, "")
    with pytest.raises(UnknownCode):
        charges.correct(db, desk, first.id, "wrong code", code="99999", units=1)
    made = charges.correct(db, desk, first.id, "ran 1 h 40 min", code="96366", units=1)
    assert [(n.code, n.units, n.amount_cents, n.corrects_id) for n in made] == [
        ("96365", -1, -45000, first.id),
        ("96366", 1, 15000, None),
    ]
    assert sum(line.amount_cents or 0 for line in lines(db, billed)) == 45000 + 1000 + 15000 - 45000


def test_it_refuses_to_finalise_a_line_without_a_price(
    db: Session, billed: Billed, front_desk: Persona, admin: Persona
) -> None:
    desk = principal_for(db, front_desk.user)
    fees.set_fee(db, principal_for(db, admin.user), admin.clinic.id, "96365", 0, date(2026, 1, 1))
    drug = lines(db, billed)[1]
    drug.amount_cents = None
    with pytest.raises(ChargeNotReady, match="no price for J3490"):
        charges.finalise(db, desk, drug.id)


def test_it_lets_only_billing_staff_review_and_finalise(
    db: Session, billed: Billed, nurse: Persona, prescriber: Persona, admin: Persona
) -> None:
    for persona in (nurse, prescriber):
        with pytest.raises(RoleNotAllowed):
            charges.visit_charges(db, principal_for(db, persona.user), billed.session_id)
    seen = charges.visit_charges(db, principal_for(db, admin.user), billed.session_id)
    assert seen.total_cents == 46000


def test_it_adds_an_evaluation_with_modifier_25_only_when_a_prescriber_documents_it(
    db: Session, billed: Billed, prescriber: Persona, nurse: Persona
) -> None:
    with pytest.raises(RoleNotAllowed):
        charges.document_evaluation(
            db, principal_for(db, nurse.user), billed.session_id, "99213", "a long enough note"
        )
    doctor = principal_for(db, prescriber.user)
    with pytest.raises(EvaluationCodeInvalid):
        charges.document_evaluation(db, doctor, billed.session_id, "99205", "new problem seen")
    charges.document_evaluation(
        db, doctor, billed.session_id, "99213", "Worsening insomnia assessed, plan changed"
    )
    db.commit()
    made = lines(db, billed)
    assert [(line.code, line.modifiers) for line in made] == [
        ("99213", "25"),
        ("96365", ""),
        ("J3490", ""),
    ]
    assert made[0].rendering_user_id == prescriber.user.id
    assert "patient.billing.evaluation_documented" in actions(db, billed)


def test_it_keeps_a_price_history_and_bills_by_the_date_of_service(
    db: Session, admin: Persona
) -> None:
    principal = principal_for(db, admin.user)
    clinic = admin.clinic.id
    fees.set_fee(db, principal, clinic, "G2082", 80000, date(2025, 1, 1))
    fees.set_fee(db, principal, clinic, "G2082", 90600, date(2026, 1, 1))
    rows = {row.code: row for row in fees.fee_schedule(db, principal, clinic)}
    assert rows["G2082"].current is not None
    assert rows["G2082"].current.price_cents == 90600
    assert [e.price_cents for e in rows["G2082"].history] == [80000, 90600]
    with pytest.raises(UnknownCode):
        fees.set_fee(db, principal, clinic, "12345", 100, date(2026, 1, 1))


def test_it_checks_the_npi_and_tin_it_keeps(db: Session, admin: Persona) -> None:
    principal = principal_for(db, admin.user)
    with pytest.raises(NpiInvalid, match="check digit"):
        fees.set_identifier(db, principal, admin.clinic.id, "1234567890", "74-1234567")
    row = fees.set_identifier(db, principal, admin.clinic.id, "1234567893", "741234567")
    assert row.tin == "74-1234567"
