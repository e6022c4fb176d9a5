"""Staff's side of the portal: the invitation on the chart, the request queue."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.appointments.models import Chair
from ketaclinic.audit.models import AuditEvent
from ketaclinic.kit.time import utcnow
from ketaclinic.notifications.models import Message
from ketaclinic.patients.models import Patient
from ketaclinic.portal.models import PatientAccount, PortalRequest
from tests.conftest import Persona
from tests.portal.conftest import make_visit

Api = Callable[[Persona], TestClient]


def test_it_offers_the_invitation_on_the_chart_and_sends_it(
    api: Api, db: Session, front_desk: Persona, maya: Patient
) -> None:
    desk = api(front_desk)
    chart = desk.get(f"/patients/{maya.id}")
    assert "Invite to the portal" in chart.text
    sent = desk.post(f"/patients/{maya.id}/portal-invitation", follow_redirects=False)
    assert sent.status_code == 303
    assert db.scalars(select(Message.template)).all() == ["portal_invitation"]
    assert "Invited" in desk.get(f"/patients/{maya.id}").text


def test_it_switches_portal_access_off(
    api: Api, db: Session, front_desk: Persona, maya_account: PatientAccount
) -> None:
    off = api(front_desk).post(
        f"/patients/{maya_account.patient_id}/portal-account/disable", follow_redirects=False
    )
    assert off.status_code == 303
    db.refresh(maya_account)
    assert maya_account.status == "disabled"


def test_it_does_not_let_the_custodian_invite(api: Api, custodian: Persona, maya: Patient) -> None:
    assert api(custodian).post(f"/patients/{maya.id}/portal-invitation").status_code == 403


def test_it_shows_and_closes_requests_in_the_queue(
    api: Api, db: Session, front_desk: Persona, maya: Patient, chair: Chair
) -> None:
    visit = make_visit(db, maya, chair, utcnow() + timedelta(hours=6))
    db.add(
        PortalRequest(
            clinic_id=maya.clinic_id,
            patient_id=maya.id,
            appointment_id=visit.id,
            kind="cancel",
            note="Fever",
        )
    )
    db.commit()
    desk = api(front_desk)
    page = desk.get("/schedule/requests")
    assert page.status_code == 200 and "Rivera, Maya" in page.text and "Fever" in page.text
    request_id = db.scalars(select(PortalRequest.id)).one()
    refused = desk.post(f"/schedule/requests/{request_id}/close", data={"outcome": ""})
    assert refused.status_code == 422
    closed = desk.post(
        f"/schedule/requests/{request_id}/close",
        data={"outcome": "Cancelled; called her back"},
        follow_redirects=False,
    )
    assert closed.status_code == 303
    assert db.scalars(select(PortalRequest.status)).one() == "closed"
    assert (
        db.scalars(select(AuditEvent).where(AuditEvent.action == "portal.request_closed"))
        .one()
        .user_id
        == front_desk.user.id
    )


def test_it_hides_another_clinics_requests(
    api: Api, db: Session, outsider: Persona, maya: Patient, chair: Chair
) -> None:
    visit = make_visit(db, maya, chair, utcnow() + timedelta(hours=6))
    made = PortalRequest(
        clinic_id=maya.clinic_id, patient_id=maya.id, appointment_id=visit.id, kind="reschedule"
    )
    db.add(made)
    db.commit()
    other = api(outsider)
    assert "Rivera" not in other.get("/schedule/requests").text
    assert (
        other.post(f"/schedule/requests/{made.id}/close", data={"outcome": "x y"}).status_code
        == 404
    )
