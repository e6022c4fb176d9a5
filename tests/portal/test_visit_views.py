"""The patient's visit pages: only their own visits, preparing, cancelling within the
clinic's notice (a request to the front desk inside it), confirming the escort."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.appointments.models import Appointment, AppointmentEvent, Chair
from ketaclinic.audit.models import AuditEvent
from ketaclinic.clinics.models import ClinicSetting
from ketaclinic.kit.time import utcnow
from ketaclinic.patients.models import Patient
from ketaclinic.portal.models import EscortConfirmation, PatientAccount, PortalRequest
from tests.portal.conftest import SignIn, csrf_of, make_visit


def _post(db: Session, browser: TestClient, url: str, **data: str):  # type: ignore[no-untyped-def]
    return browser.post(url, data={"csrf_token": csrf_of(db, browser), **data})


def test_it_lists_the_patients_own_upcoming_visits_with_how_to_prepare(
    db: Session,
    sign_in: SignIn,
    maya: Patient,
    noor: Patient,
    chair: Chair,
    maya_account: PatientAccount,
) -> None:
    mine = make_visit(db, maya, chair, utcnow() + timedelta(days=3))
    make_visit(db, noor, chair, utcnow() + timedelta(days=4))
    browser = sign_in(maya_account)
    home = browser.get("/portal")
    assert home.status_code == 200
    assert home.text.count('class="card visit"') == 1
    page = browser.get(f"/portal/visits/{mine.id}")
    assert page.status_code == 200
    assert "until the next day, after a night" in page.text  # no driving
    assert "Someone to take you home" in page.text
    assert "Confirm my escort" in page.text


def test_it_hides_another_patients_visit_and_request(
    db: Session,
    sign_in: SignIn,
    maya: Patient,
    noor: Patient,
    chair: Chair,
    maya_account: PatientAccount,
    noor_account: PatientAccount,
) -> None:
    theirs = make_visit(db, noor, chair, utcnow() + timedelta(hours=5))
    noor_browser = sign_in(noor_account)
    asked = _post(db, noor_browser, f"/portal/visits/{theirs.id}/reschedule", note="Mornings")
    assert asked.status_code == 303
    request_id = db.scalars(select(PortalRequest.id)).one()
    maya_browser = sign_in(maya_account)
    assert maya_browser.get(f"/portal/visits/{theirs.id}").status_code == 404
    assert maya_browser.get(f"/portal/requests/{request_id}").status_code == 404
    assert _post(db, maya_browser, f"/portal/visits/{theirs.id}/cancel").status_code == 404
    escort = _post(
        db,
        maya_browser,
        f"/portal/visits/{theirs.id}/escort",
        escort_name="Sam Rivera",
        escort_phone="+1 512 555 0147",
    )
    assert escort.status_code == 404
    assert db.get(Appointment, theirs.id).status == "booked"  # type: ignore[union-attr]
    assert noor_browser.get(f"/portal/requests/{request_id}").status_code == 200


def test_it_cancels_a_visit_outside_the_notice(
    db: Session, sign_in: SignIn, maya: Patient, chair: Chair, maya_account: PatientAccount
) -> None:
    visit = make_visit(db, maya, chair, utcnow() + timedelta(hours=30))
    browser = sign_in(maya_account)
    done = _post(db, browser, f"/portal/visits/{visit.id}/cancel", note="Travelling")
    assert done.status_code == 303 and done.headers["location"] == "/portal?done=cancelled"
    db.refresh(visit)
    assert visit.status == "cancelled"
    event = db.scalars(
        select(AppointmentEvent).where(AppointmentEvent.appointment_id == visit.id)
    ).one()
    assert event.kind == "cancelled" and event.by_id is None
    audit = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "portal.visit_cancelled")
    ).one()
    assert audit.actor == f"patient-account:{maya_account.id}"


def test_it_turns_a_late_cancellation_into_a_request(
    db: Session, sign_in: SignIn, maya: Patient, chair: Chair, maya_account: PatientAccount
) -> None:
    visit = make_visit(db, maya, chair, utcnow() + timedelta(hours=20))
    browser = sign_in(maya_account)
    assert "Ask to cancel this visit" in browser.get(f"/portal/visits/{visit.id}").text
    asked = _post(db, browser, f"/portal/visits/{visit.id}/cancel", note="Fever")
    assert asked.status_code == 303 and "done=sent" in asked.headers["location"]
    again = _post(db, browser, f"/portal/visits/{visit.id}/cancel")
    assert again.headers["location"] == asked.headers["location"]  # one open request
    db.refresh(visit)
    assert visit.status == "booked"
    request = db.scalars(select(PortalRequest)).one()
    assert (request.kind, request.status, request.note) == ("cancel", "open", "Fever")
    assert "With the front desk" in browser.get(asked.headers["location"]).text


def test_it_follows_the_clinics_notice_setting(
    db: Session, sign_in: SignIn, maya: Patient, chair: Chair, maya_account: PatientAccount
) -> None:
    db.add(ClinicSetting(clinic_id=maya.clinic_id, key="portal_cancel_notice_hours", value="48"))
    visit = make_visit(db, maya, chair, utcnow() + timedelta(hours=30))
    browser = sign_in(maya_account)
    _post(db, browser, f"/portal/visits/{visit.id}/cancel")
    db.refresh(visit)
    assert visit.status == "booked"


def test_it_confirms_the_escort_with_a_phone_number(
    db: Session, sign_in: SignIn, maya: Patient, chair: Chair, maya_account: PatientAccount
) -> None:
    visit = make_visit(db, maya, chair, utcnow() + timedelta(days=2))
    browser = sign_in(maya_account)
    done = _post(
        db,
        browser,
        f"/portal/visits/{visit.id}/escort",
        escort_name="Sam Rivera",
        escort_phone="(512) 555-0147",
    )
    assert done.status_code == 303
    db.refresh(visit)
    assert visit.escort_confirmed
    confirmation = db.scalars(select(EscortConfirmation)).one()
    assert (confirmation.name, confirmation.phone) == ("Sam Rivera", "+15125550147")
    assert confirmation.account_id == maya_account.id
    page = browser.get(done.headers["location"])
    assert "your escort is confirmed" in page.text and "+1 512-555-0147" in page.text


def test_it_names_the_escort_fields_it_refuses(
    db: Session, sign_in: SignIn, maya: Patient, chair: Chair, maya_account: PatientAccount
) -> None:
    visit = make_visit(db, maya, chair, utcnow() + timedelta(days=2))
    browser = sign_in(maya_account)
    refused = _post(
        db, browser, f"/portal/visits/{visit.id}/escort", escort_name="", escort_phone="12"
    )
    assert refused.status_code == 422
    assert "Name: enter the name" in refused.text
    assert 'id="escort_phone-error"' in refused.text
    db.refresh(visit)
    assert not visit.escort_confirmed


def test_it_shows_scores_only_when_the_clinic_does(
    db: Session, sign_in: SignIn, maya: Patient, maya_account: PatientAccount
) -> None:
    browser = sign_in(maya_account)
    assert "does not show questionnaire scores" in browser.get("/portal/scores").text
    assert browser.get("/portal/scores/phq9/plot").status_code == 404
    db.add(ClinicSetting(clinic_id=maya.clinic_id, key="portal_show_scores", value="1"))
    db.commit()
    assert "No questionnaires answered yet" in browser.get("/portal/scores").text
