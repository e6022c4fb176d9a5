"""The chart's message log, the contact preference form, the administrator's outbox
(page and API), and Twilio's STOP webhook."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.clinics.models import Clinic
from ketaclinic.notifications.delivery import deliver_due
from ketaclinic.notifications.models import ContactPreference
from ketaclinic.notifications.service import queue
from ketaclinic.notifications.transports import twilio_signature
from ketaclinic.patients.models import Patient
from ketaclinic.settings import Settings
from tests.auth.test_login import login, page_csrf
from tests.conftest import Persona

Api = Callable[[Persona], TestClient]
TOKEN = "s3cr3tT0kenThatMustNeverShow"


def _sign_in_link(db: Session, clinic: Clinic, patient: Patient) -> None:
    queue(
        db,
        clinic_id=clinic.id,
        patient_id=patient.id,
        template="sign_in_link",
        event_key="sign_in:page",
        link_path=f"/portal/sign-in/{TOKEN}",
        urgent=True,
    )
    db.commit()


def test_it_shows_the_admin_what_would_have_been_sent_without_the_token(
    db: Session,
    api: Api,
    admin: Persona,
    clinic: Clinic,
    patient: Patient,
    settings: Settings,
    morning: datetime,
) -> None:
    _sign_in_link(db, clinic, patient)
    deliver_due(db, settings=settings, now=morning)
    page = api(admin).get("/admin/outbox")
    assert page.status_code == 200
    assert "Sign-in link" in page.text and "not sent: no transport" in page.text
    assert "Reyes, Ana" in page.text and "ana.reyes@example.org" in page.text
    assert "/portal/sign-in/s3cr…" in page.text
    assert TOKEN not in page.text
    listed = api(admin).get("/api/v1/admin/outbox", params={"status": "no_transport"}).json()
    assert listed["total"] == 1 and listed["page"] == 1
    item = listed["items"][0]
    assert item["template_title"] == "Sign-in link" and item["channel"] == "email"
    assert TOKEN not in str(listed)


def test_it_shows_outbox_times_in_the_clinics_zone(
    db: Session,
    api: Api,
    admin: Persona,
    clinic: Clinic,
    patient: Patient,
    settings: Settings,
    morning: datetime,
) -> None:
    clinic.timezone = "America/Los_Angeles"  # not the deployment's zone
    db.commit()
    _sign_in_link(db, clinic, patient)
    page = api(admin).get("/admin/outbox")
    assert "(America/Los_Angeles)" in page.text
    assert f"({settings.timezone})" not in page.text


def test_it_keeps_the_outbox_from_a_nurse(api: Api, nurse: Persona) -> None:
    assert api(nurse).get("/admin/outbox").status_code == 403
    assert api(nurse).get("/api/v1/admin/outbox").status_code == 403


def test_it_refuses_an_unknown_status_by_name(api: Api, admin: Persona) -> None:
    refused = api(admin).get("/api/v1/admin/outbox", params={"status": "lost"})
    assert refused.status_code == 422 and "status" in refused.json()["error"]["fields"]


def test_it_shows_the_chart_its_messages_in_words(
    db: Session, api: Api, nurse: Persona, clinic: Clinic, patient: Patient
) -> None:
    _sign_in_link(db, clinic, patient)
    chart = api(nurse).get(f"/patients/{patient.id}")
    assert f'href="/patients/{patient.id}/messages"' in chart.text
    page = api(nurse).get(f"/patients/{patient.id}/messages")
    assert page.status_code == 200
    assert "Sign-in link" in page.text and "waiting to be sent" in page.text
    assert "sign_in_link" not in page.text and TOKEN not in page.text
    fragment = api(nurse).get(f"/patients/{patient.id}/messages", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<section class="card" id="message-log">')


def test_it_needs_consent_before_sms_and_records_who_gave_it(
    db: Session, api: Api, front_desk: Persona, patient: Patient
) -> None:
    url = f"/patients/{patient.id}/contact-preferences"
    client = api(front_desk)
    assert client.get(url).status_code == 200
    refused = client.post(url, data={"channel": "sms"}, follow_redirects=False)
    assert refused.status_code == 422 and 'id="f-sms_consent"' in refused.text
    done = client.post(url, data={"channel": "sms", "sms_consent": "yes"}, follow_redirects=False)
    assert done.status_code == 303
    found = db.scalar(select(ContactPreference).where(ContactPreference.patient_id == patient.id))
    assert found is not None and found.channel == "sms"
    assert found.sms_consent_by_id == front_desk.user.id and found.sms_consent_at is not None
    assert "Fran Desk" in client.get(f"/patients/{patient.id}/messages").text


def _stop(client: TestClient, token: str, phone: str, body: str = "STOP") -> int:
    url = "http://127.0.0.1:8000/notifications/sms/inbound"
    params = {"From": phone, "Body": body, "MessageSid": "SM123"}
    signature = twilio_signature(token, url, params)
    answer = client.post(
        "/notifications/sms/inbound", data=params, headers={"X-Twilio-Signature": signature}
    )
    return answer.status_code


def test_it_stops_sms_when_the_patient_texts_stop(
    db: Session, app: FastAPI, api: Api, front_desk: Persona, patient: Patient
) -> None:
    api(front_desk).post(
        f"/patients/{patient.id}/contact-preferences",
        data={"channel": "sms", "sms_consent": "yes"},
    )
    app.state.settings = app.state.settings.model_copy(
        update={
            "twilio_auth_token": SecretStr("twilio-token"),
            "public_url": "http://127.0.0.1:8000",
        }
    )
    with TestClient(app) as anyone:
        assert _stop(anyone, "wrong-token", patient.phone or "") == 403
        assert _stop(anyone, "twilio-token", patient.phone or "") == 200
    db.expire_all()
    found = db.scalar(select(ContactPreference).where(ContactPreference.patient_id == patient.id))
    assert found is not None and found.sms_opted_out_at is not None


def test_it_cuts_every_token_short() -> None:
    from ketaclinic.notifications.links import mask

    assert (
        mask("https://c.example/portal/sign-in/abcdEFGH1234")
        == "https://c.example/portal/sign-in/abcd…"
    )
    assert mask("/portal/q?token=Zy12ab34cd56") == "/portal/q?token=Zy12…"
    assert mask("/portal") == "/portal"
    assert mask("https://ketaclinic-lakeside.example.org/portal") == (
        "https://ketaclinic-lakeside.example.org/portal"
    )


def test_it_lets_the_admin_name_the_clinic_for_messages_and_refuses_a_revealing_name(
    db: Session,
    client: TestClient,
    admin: Persona,
    clinic: Clinic,
    patient: Patient,
    settings: Settings,
) -> None:
    login(client, admin.email)
    page = client.get("/admin/outbox")
    # "Lakeside Ketamine" says ketamine: until a name is chosen, messages say "your clinic".
    assert "messages say <strong>your clinic</strong>" in page.text
    token = page_csrf(client, "/admin/outbox")
    url = f"/admin/outbox/clinics/{clinic.id}/message-name"
    refused = client.post(url, data={"message_name": "Lakeside Infusions", "csrf_token": token})
    assert refused.status_code == 422
    assert 'about the care ("infusion")' in html.unescape(refused.text)
    assert 'value="Lakeside Infusions"' in refused.text
    saved = client.post(
        url,
        data={"message_name": " Lakeside  Wellness ", "csrf_token": token},
        follow_redirects=False,
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/admin/outbox"
    db.expire_all()
    assert db.get(Clinic, clinic.id).message_name == "Lakeside Wellness"  # type: ignore[union-attr]
    assert "messages say <strong>Lakeside Wellness</strong>" in client.get("/admin/outbox").text
    changed = db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "clinic.message_name_changed", AuditEvent.clinic_id == clinic.id
        )
    ).all()
    assert '"new": "Lakeside Wellness"' in changed[-1].detail
