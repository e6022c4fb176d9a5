"""On PostgreSQL billing's tables stand behind row-level security by their own
clinic: a transaction sees charge lines and fees only in the clinics it may see."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ketaclinic.billing.models import ChargeLine, FeeScheduleEntry
from ketaclinic.clinics.models import Clinic
from ketaclinic.kit.db import set_visible_clinics
from tests.billing.conftest import Billed


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
