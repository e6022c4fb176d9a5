"""The demo's self-pay accounts (issue 23): packages in each clinic's catalogue, a
patient whose six induction infusions were drawn from a paid package with a zero
balance, card and cash payments with references, a deposit and exactly one refund."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.auth.service import get_user_by_email, principal_for
from ketaclinic.billing.account_models import AccountEntry, PackageDraw
from ketaclinic.billing.service import accounts, packages
from ketaclinic.clinics.models import Clinic
from ketaclinic.demo.loader import load_demo


def test_it_draws_a_demo_patients_induction_from_a_paid_package(db: Session) -> None:
    load_demo(db, solve_seconds=1)
    db.flush()
    for slug in ("lakeside", "mesa"):
        clinic = db.scalars(select(Clinic).where(Clinic.slug == slug)).one()
        desk_user = get_user_by_email(db, f"frontdesk@{slug}.example.org")
        assert desk_user is not None
        desk = principal_for(db, desk_user)
        offered = {r.current.name: r for r in packages.catalogue(db, desk, clinic.id)}
        induction = offered["Six-infusion induction"]
        assert induction.current.price_cents == 240000 and len(induction.history) == 2
        assert "Booster pack of 3" in offered
        draws = db.scalars(select(PackageDraw).where(PackageDraw.clinic_id == clinic.id)).all()
        [patient_id] = {d.patient_id for d in draws}
        account = accounts.account(db, desk, patient_id)
        assert account.balance_cents == 0, slug
        [state] = account.packages
        assert (state.used, state.left) == (6, 0)
        entries = db.scalars(select(AccountEntry).where(AccountEntry.clinic_id == clinic.id)).all()
        money = [e for e in entries if e.kind == "payment"]
        assert {e.method for e in money} >= {"card", "cash"}
        assert any(e.reference for e in money if e.method == "card")
        assert any(e.purpose == "deposit" for e in money)
        assert len({e.receipt_no for e in money}) == len(money)
        assert [e.kind for e in entries].count("refund") == 1, slug
