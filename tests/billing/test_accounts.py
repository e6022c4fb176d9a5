"""A self-pay account (issue 23, point 4): packages sold and drawn down by visits,
payments and deposits with receipts, refunds never beyond the payment, adjustments,
the balance; every step audited, every entry append-only."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.auth.service import principal_for
from ketaclinic.billing.account_errors import (
    PackageRetired,
    PaymentNotFound,
    RefundReasonRequired,
    RefundTooLarge,
)
from ketaclinic.billing.account_models import AccountEntry, PackageDraw
from ketaclinic.billing.service import accounts, charges, packages
from ketaclinic.identity.errors import RoleNotAllowed
from tests.billing.accounts_world import (
    INDUCTION_CENTS,
    VISIT_CENTS,
    SelfPay,
    completed_visit,
    days_ago,
    self_pay,
)
from tests.chairside.conftest import Api
from tests.conftest import Persona


@pytest.fixture
def w(
    db: Session,
    api: Api,
    nurse: Persona,
    prescriber: Persona,
    front_desk: Persona,
    admin: Persona,
) -> SelfPay:
    return self_pay(db, api, nurse, prescriber, front_desk, admin)


def kinds(db: Session, w: SelfPay) -> list[tuple[str, int]]:
    stmt = select(AccountEntry.kind, AccountEntry.amount_cents).where(
        AccountEntry.patient_id == w.patient_id
    )
    return [(k, a) for k, a in db.execute(stmt.order_by(AccountEntry.id))]


def audited(db: Session, w: SelfPay) -> list[str]:
    db.commit()  # the audit trail is written as the transaction commits
    stmt = select(AuditEvent.action).where(
        AuditEvent.patient_id == w.patient_id, AuditEvent.action.like("patient.billing.%")
    )
    return list(db.scalars(stmt.order_by(AuditEvent.id)))


def test_it_shows_a_zero_balance_for_a_package_drawn_down_by_six_infusions(
    db: Session, w: SelfPay
) -> None:
    packages.sell(db, w.desk, w.patient_id, w.induction.id)
    accounts.record_payment(
        db, w.desk, w.patient_id, amount_cents=INDUCTION_CENTS, method="card", reference="ch_1"
    )
    for n in range(1, 7):
        sid = completed_visit(db, w, n, days_ago(20 - 3 * n))
        charges.finalise_visit(db, w.desk, sid)
    db.commit()
    account = accounts.account(db, w.desk, w.patient_id)
    assert account.balance_cents == 0
    [state] = account.packages
    assert (state.used, state.left) == (6, 0)
    covers = [a for k, a in kinds(db, w) if k == "package_cover"]
    assert covers == [-VISIT_CENTS] * 6
    assert audited(db, w).count("patient.billing.package_drawn") == 6


def test_it_charges_a_seventh_visit_once_the_package_is_used_up(db: Session, w: SelfPay) -> None:
    packages.sell(db, w.desk, w.patient_id, w.induction.id)
    accounts.record_payment(db, w.desk, w.patient_id, amount_cents=INDUCTION_CENTS, method="cash")
    for n in range(1, 8):
        charges.finalise_visit(db, w.desk, completed_visit(db, w, n, days_ago(30 - n)))
    assert accounts.account(db, w.desk, w.patient_id).balance_cents == VISIT_CENTS


def test_it_never_charges_nor_draws_twice_when_a_visit_is_finalised_again(
    db: Session, w: SelfPay
) -> None:
    packages.sell(db, w.desk, w.patient_id, w.induction.id)
    sid = completed_visit(db, w, 1, days_ago(3))
    charges.finalise_visit(db, w.desk, sid)
    assert charges.finalise_visit(db, w.desk, sid) == []  # nothing left to finalise
    draws = db.scalars(select(PackageDraw).where(PackageDraw.session_id == sid)).all()
    assert len(draws) == 1
    assert [k for k, _ in kinds(db, w)].count("charge") == 2
    assert [k for k, _ in kinds(db, w)].count("package_cover") == 1


def test_it_covers_a_correction_of_a_drawn_visit_so_the_balance_stays(
    db: Session, w: SelfPay
) -> None:
    packages.sell(db, w.desk, w.patient_id, w.induction.id)
    accounts.record_payment(db, w.desk, w.patient_id, amount_cents=INDUCTION_CENTS, method="card")
    sid = completed_visit(db, w, 1, days_ago(3))
    first = charges.finalise_visit(db, w.desk, sid)[0]
    made = charges.correct(db, w.desk, first.id, "an IV push, not an infusion", "96374", 1)
    for line in made:
        line.amount_cents = line.amount_cents if line.corrects_id else 18000
        charges.finalise(db, w.desk, line.id)
    assert [a for k, a in kinds(db, w) if k == "charge"] == [45000, 3500, -45000, 18000]
    assert accounts.account(db, w.desk, w.patient_id).balance_cents == 0


def test_it_draws_a_booster_only_from_a_booster_pack(db: Session, w: SelfPay) -> None:
    packages.sell(db, w.desk, w.patient_id, w.boosters.id)
    sid = completed_visit(db, w, 1, days_ago(2))  # a series visit: the pack does not fit
    charges.finalise_visit(db, w.desk, sid)
    assert db.scalars(select(PackageDraw)).all() == []
    assert accounts.account(db, w.desk, w.patient_id).balance_cents == 120000 + VISIT_CENTS


def test_it_records_payments_with_receipt_numbers_of_the_clinic(db: Session, w: SelfPay) -> None:
    one = accounts.record_payment(
        db,
        w.desk,
        w.patient_id,
        amount_cents=50000,
        method="card",
        reference="pi_3Nx",
        purpose="deposit",
    )
    two = accounts.record_payment(db, w.desk, w.patient_id, amount_cents=2500, method="cash")
    year = one.posted_on.year
    assert (one.receipt_no, two.receipt_no) == (f"R-{year}-00001", f"R-{year}-00002")
    assert (one.amount_cents, one.purpose, one.reference) == (-50000, "deposit", "pi_3Nx")
    assert accounts.account(db, w.desk, w.patient_id).balance_cents == -52500
    assert audited(db, w).count("patient.billing.payment_recorded") == 2


def test_it_refunds_a_payment_up_to_what_is_left_of_it(db: Session, w: SelfPay) -> None:
    paid = accounts.record_payment(db, w.desk, w.patient_id, amount_cents=50000, method="card")
    back = accounts.refund(
        db, w.desk, w.patient_id, paid.id, amount_cents=30000, reason="visit cancelled"
    )
    assert (back.kind, back.amount_cents, back.method, back.refund_of_id) == (
        "refund",
        30000,
        "card",
        paid.id,
    )
    with pytest.raises(RefundTooLarge) as refused:
        accounts.refund(db, w.desk, w.patient_id, paid.id, amount_cents=20001, reason="again")
    assert refused.value.fields == {
        "amount_cents": "more than is left to refund of this payment ($200.00)"
    }
    with pytest.raises(RefundReasonRequired):
        accounts.refund(db, w.desk, w.patient_id, paid.id, amount_cents=100, reason=" ")
    [state] = accounts.account(db, w.desk, w.patient_id).payments
    assert (state.refunded_cents, state.refundable_cents) == (30000, 20000)
    with pytest.raises(PaymentNotFound):
        accounts.refund(db, w.desk, w.patient_id, back.id, amount_cents=1, reason="a refund")


def test_it_adjusts_the_balance_with_a_note(db: Session, w: SelfPay) -> None:
    accounts.adjust(db, w.desk, w.patient_id, amount_cents=-2500, note="courtesy write-off")
    assert accounts.account(db, w.desk, w.patient_id).balance_cents == -2500
    assert "patient.billing.adjustment_recorded" in audited(db, w)


def test_it_keeps_package_versions_and_sells_only_the_current_one(db: Session, w: SelfPay) -> None:
    newer = packages.save_package(
        db,
        w.boss,
        w.clinic_id,
        name="Six-infusion induction",
        kind="induction",
        visits=6,
        price_cents=250000,
        key=w.induction.key,
    )
    with pytest.raises(PackageRetired):
        packages.sell(db, w.desk, w.patient_id, w.induction.id)
    sold = packages.sell(db, w.desk, w.patient_id, newer.id)
    assert sold.price_cents == 250000
    packages.retire(db, w.boss, w.clinic_id, w.induction.key)
    rows = {r.current.key: r for r in packages.catalogue(db, w.desk, w.clinic_id)}
    assert len(rows[w.induction.key].history) == 3 and not rows[w.induction.key].current.active
    with pytest.raises(PackageRetired):
        packages.sell(db, w.desk, w.patient_id, rows[w.induction.key].current.id)


def test_it_refuses_any_change_to_an_account_entry(db: Session, w: SelfPay) -> None:
    paid = accounts.record_payment(db, w.desk, w.patient_id, amount_cents=100, method="cash")
    db.commit()
    for statement in (
        "UPDATE account_entries SET amount_cents = -1 WHERE id = :id",
        "DELETE FROM account_entries WHERE id = :id",
    ):
        with pytest.raises(DBAPIError), db.begin_nested():
            db.execute(text(statement), {"id": paid.id})


def test_it_lets_only_billing_staff_take_money(
    db: Session, w: SelfPay, nurse: Persona, outsider: Persona
) -> None:
    with pytest.raises(RoleNotAllowed):
        accounts.record_payment(
            db, principal_for(db, nurse.user), w.patient_id, amount_cents=100, method="cash"
        )
    with pytest.raises(Exception) as hidden:
        accounts.account(db, principal_for(db, outsider.user), w.patient_id)
    assert getattr(hidden.value, "status_code", None) == 404


def test_it_puts_what_the_package_paid_on_the_superbill(db: Session, w: SelfPay) -> None:
    from ketaclinic.billing.service import superbill
    from ketaclinic.clinics.models import Clinic

    packages.sell(db, w.desk, w.patient_id, w.induction.id)
    accounts.record_payment(db, w.desk, w.patient_id, amount_cents=INDUCTION_CENTS, method="card")
    for n in range(1, 4):
        charges.finalise_visit(db, w.desk, completed_visit(db, w, n, days_ago(10 - n)))
    patient = superbill.patient_for_staff(db, w.desk, w.patient_id)
    clinic = db.get(Clinic, w.clinic_id)
    assert clinic is not None
    bill = superbill.build(db, w.desk, patient, clinic, days_ago(30), days_ago(0))
    assert bill.total_cents == 3 * VISIT_CENTS
    assert bill.paid_cents == 3 * (INDUCTION_CENTS // 6)  # three sixths of the price
