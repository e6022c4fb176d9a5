"""On PostgreSQL the portal's tables stand behind row-level security like every
table of patient rows: a transaction sees a portal account, request or escort only
in the clinics it may see (sign-in looks accounts up as system work)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ketaclinic.appointments.models import Chair
from ketaclinic.auth.service import principal_for
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Origin
from ketaclinic.kit.db import set_visible_clinics
from ketaclinic.kit.time import utcnow
from ketaclinic.patients.models import Patient
from ketaclinic.portal import service, visits
from ketaclinic.portal.actor import PortalPatient
from ketaclinic.portal.errors import PortalEmailTaken
from ketaclinic.portal.models import EscortConfirmation, PatientAccount
from tests.conftest import Persona
from tests.portal.conftest import make_account, make_patient, make_visit


@pytest.fixture
def plain_role(db: Session) -> None:
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("row-level security is a PostgreSQL feature")
    db.execute(text("CREATE ROLE ketaclinic_portal_probe NOLOGIN"))
    db.execute(
        text(
            "GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO ketaclinic_portal_probe"
        )
    )
    db.execute(text("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ketaclinic_portal_probe"))


def test_it_shows_a_patient_their_visit_and_hides_the_rows_from_another_clinic(
    db: Session,
    plain_role: None,
    clinic: Clinic,
    other_clinic: Clinic,
    maya: Patient,
    chair: Chair,
    maya_account: PatientAccount,
) -> None:
    visit = make_visit(db, maya, chair, utcnow() + timedelta(days=2))
    me = PortalPatient(maya_account.id, maya.id, clinic.id, origin=Origin(channel="portal"))
    db.execute(text("SET LOCAL ROLE ketaclinic_portal_probe"))
    set_visible_clinics(db, [clinic.id])
    assert [v.id for v in visits.upcoming(db, me, {})] == [visit.id]
    visits.confirm_escort(db, me, visit.id, "Sam Rivera", "+1 512 555 0147")
    db.flush()
    set_visible_clinics(db, [other_clinic.id])
    mine = PatientAccount.patient_id == maya.id
    assert db.scalars(select(PatientAccount.id).where(mine)).all() == []
    assert (
        db.scalars(
            select(EscortConfirmation.id).where(EscortConfirmation.patient_id == maya.id)
        ).all()
        == []
    )
    set_visible_clinics(db, "*")
    assert db.scalars(select(PatientAccount.id).where(mine)).all() == [maya_account.id]


def test_it_refuses_an_address_an_account_in_another_clinic_uses(
    db: Session, plain_role: None, other_clinic: Clinic, maya: Patient, front_desk: Persona
) -> None:
    elsewhere = make_patient(db, other_clinic, "Maya", email="maya@example.net")
    make_account(db, elsewhere)
    desk = principal_for(db, front_desk.user)
    db.execute(text("SET LOCAL ROLE ketaclinic_portal_probe"))
    set_visible_clinics(db, [maya.clinic_id])
    with pytest.raises(PortalEmailTaken):
        service.invite(db, desk, maya.id)
