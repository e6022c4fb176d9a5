"""On PostgreSQL billing's tables stand behind row-level security by their own
clinic: a transaction sees charge lines and fees only in the clinics it may see."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ketaclinic.auth.service import principal_for
from ketaclinic.billing.account_models import AccountEntry, Package
from ketaclinic.billing.models import ChargeLine, FeeScheduleEntry
from ketaclinic.billing.service import accounts, packages
from ketaclinic.clinics.models import Clinic
from ketaclinic.kit.db import set_visible_clinics
from tests.billing.conftest import Billed
from tests.conftest import Persona


@pytest.fixture
def plain_role(db: Session) -> None:
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("row-level security is a PostgreSQL feature")
    db.execute(text("CREATE ROLE ketaclinic_billing_probe NOLOGIN"))
    db.execute(text("GRANT SELECT ON ALL TABLES IN SCHEMA public TO ketaclinic_billing_probe"))


def test_it_hides_another_clinics_charges_and_fees(
    db: Session, billed: Billed, clinic: Clinic, other_clinic: Clinic, plain_role: None
) -> None:
    mine = select(ChargeLine.id).where(ChargeLine.session_id == billed.session_id)
    fees = select(FeeScheduleEntry.id).where(FeeScheduleEntry.clinic_id == clinic.id)
    db.execute(text("SET LOCAL ROLE ketaclinic_billing_probe"))
    set_visible_clinics(db, [other_clinic.id])
    assert db.scalars(mine).all() == [] and db.scalars(fees).all() == []
    set_visible_clinics(db, [clinic.id])
    assert len(db.scalars(mine).all()) == 2 and db.scalars(fees).all() != []


def test_it_hides_another_clinics_account_entries_and_packages(
    db: Session,
    billed: Billed,
    clinic: Clinic,
    other_clinic: Clinic,
    admin: Persona,
    front_desk: Persona,
    plain_role: None,
) -> None:
    boss = principal_for(db, admin.user)
    packages.save_package(
        db,
        boss,
        clinic.id,
        name="Six-infusion induction",
        kind="induction",
        visits=6,
        price_cents=240000,
    )
    desk = principal_for(db, front_desk.user)
    accounts.record_payment(db, desk, billed.patient_id, amount_cents=100, method="cash")
    db.flush()
    offered = select(Package.id).where(Package.clinic_id == clinic.id)
    entries = select(AccountEntry.id).where(AccountEntry.patient_id == billed.patient_id)
    db.execute(text("SET LOCAL ROLE ketaclinic_billing_probe"))
    set_visible_clinics(db, [other_clinic.id])
    assert db.scalars(offered).all() == [] and db.scalars(entries).all() == []
    set_visible_clinics(db, [clinic.id])
    assert len(db.scalars(offered).all()) == 1 and len(db.scalars(entries).all()) == 1
