"""Delivery: SMS through a local server speaking Twilio's API, the patient's channel
and consent, quiet hours, back-off, and one claim per message."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr
from pytest_httpserver import HTTPServer
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug import Request, Response

from ketaclinic.clinics.models import Clinic
from ketaclinic.notifications import repository as repo
from ketaclinic.notifications.delivery import deliver_due
from ketaclinic.notifications.models import ContactPreference, Message, MessageEvent
from ketaclinic.notifications.service import queue
from ketaclinic.patients.models import Patient
from ketaclinic.settings import Settings
from tests.notifications.test_templates import HEALTH_WORDS

SID = "AC0123456789abcdef"


@pytest.fixture
def sms_settings(settings: Settings, httpserver: HTTPServer) -> Settings:
    return settings.model_copy(
        update={
            "twilio_account_sid": SID,
            "twilio_auth_token": SecretStr("twilio-token"),
            "twilio_from": "+13125550100",
            "twilio_base_url": httpserver.url_for("/"),
            "public_url": "https://clinic.example.org",
        }
    )


@pytest.fixture
def sms_patient(db: Session, patient: Patient) -> Patient:
    db.add(
        ContactPreference(
            patient_id=patient.id,
            channel="sms",
            sms_consent_at=datetime(2026, 1, 5, tzinfo=ZoneInfo("UTC")),
        )
    )
    db.commit()
    return patient


def _twilio_answers(httpserver: HTTPServer, status: int = 201) -> list[dict[str, list[str]]]:
    received: list[dict[str, list[str]]] = []

    def handler(request: Request) -> Response:
        received.append(parse_qs(request.get_data(as_text=True)))
        if status >= 400:
            body = {"code": 21211, "message": "Invalid 'To' Phone Number", "status": status}
        else:
            body = {"sid": "SM" + "0" * 32, "status": "queued"}
        return Response(json.dumps(body), status=status, content_type="application/json")

    httpserver.expect_request(
        f"/2010-04-01/Accounts/{SID}/Messages.json", method="POST"
    ).respond_with_handler(handler)
    return received


def _reminder(db: Session, clinic: Clinic, patient: Patient, key: str = "r:1") -> Message:
    message = queue(
        db,
        clinic_id=clinic.id,
        patient_id=patient.id,
        template="questionnaire_due",
        event_key=key,
        link_path="/portal",
    )
    assert message is not None
    db.commit()
    return message


def test_it_texts_through_twilio_when_the_patient_chose_sms(
    db: Session,
    clinic: Clinic,
    sms_patient: Patient,
    sms_settings: Settings,
    httpserver: HTTPServer,
    morning: datetime,
) -> None:
    received = _twilio_answers(httpserver)
    message = _reminder(db, clinic, sms_patient)
    outcomes = deliver_due(db, settings=sms_settings, now=morning)
    assert [(o.status, o.channel) for o in outcomes] == [("sent", "sms")]
    assert len(received) == 1
    sent = received[0]
    assert sent["To"] == ["+13125550142"] and sent["From"] == ["+13125550100"]
    body = sent["Body"][0]
    assert "https://clinic.example.org/portal" in body and "STOP" in body
    assert not any(w in body.lower() for w in HEALTH_WORDS)
    db.refresh(message)
    assert message.status == "sent" and message.recipient == "+13125550142"


def test_it_sends_no_sms_after_stop(
    db: Session,
    clinic: Clinic,
    sms_patient: Patient,
    sms_settings: Settings,
    httpserver: HTTPServer,
    morning: datetime,
) -> None:
    from ketaclinic.notifications.contacts import inbound_sms

    received = _twilio_answers(httpserver)
    assert inbound_sms(db, "+13125550142", " stop ") == 1
    db.commit()
    _reminder(db, clinic, sms_patient)
    outcomes = deliver_due(db, settings=sms_settings, now=morning)
    # Email instead (the patient has an address), which is not configured here.
    assert [(o.status, o.channel) for o in outcomes] == [("no_transport", "email")]
    assert received == []


def test_it_retries_with_back_off_then_gives_up(
    db: Session,
    clinic: Clinic,
    sms_patient: Patient,
    sms_settings: Settings,
    httpserver: HTTPServer,
    morning: datetime,
) -> None:
    received = _twilio_answers(httpserver, status=503)
    settings = sms_settings.model_copy(update={"message_max_attempts": 3})
    message = _reminder(db, clinic, sms_patient)
    now = morning
    statuses = []
    for _ in range(3):
        (outcome,) = deliver_due(db, settings=settings, now=now)
        statuses.append(outcome.status)
        db.refresh(message)
        if message.status == "queued":
            wait = message.next_attempt_at - now
            assert deliver_due(db, settings=settings, now=now + wait / 2) == []
            now = message.next_attempt_at
    assert statuses == ["retry", "retry", "failed"]
    assert len(received) == 3 and message.attempts == 3
    assert message.last_error is not None and "503" in message.last_error
    history = db.scalars(
        select(MessageEvent.status)
        .where(MessageEvent.message_id == message.id)
        .order_by(MessageEvent.id)
    )
    sending = ["sending", "queued"]
    assert list(history) == ["queued", *sending, *sending, "sending", "failed"]


def test_it_gives_up_at_once_on_a_number_twilio_refuses(
    db: Session,
    clinic: Clinic,
    sms_patient: Patient,
    sms_settings: Settings,
    httpserver: HTTPServer,
    morning: datetime,
) -> None:
    _twilio_answers(httpserver, status=400)
    _reminder(db, clinic, sms_patient)
    (outcome,) = deliver_due(db, settings=sms_settings, now=morning)
    assert outcome.status == "failed" and "21211" in outcome.detail


def test_it_holds_a_message_for_quiet_hours_but_not_a_sign_in_link(
    db: Session, clinic: Clinic, patient: Patient, settings: Settings, morning: datetime
) -> None:
    late = morning + timedelta(hours=12)  # 22:00 at the clinic
    reminder = queue(
        db,
        clinic_id=clinic.id,
        patient_id=patient.id,
        template="questionnaire_due",
        event_key="q:late",
        not_before=late,
    )
    link = queue(
        db,
        clinic_id=clinic.id,
        patient_id=patient.id,
        template="sign_in_link",
        event_key="s:late",
        not_before=late,
        urgent=True,
        link_path="/portal/sign-in/x",
    )
    db.commit()
    assert reminder is not None and link is not None
    outcomes = {o.message_id: o for o in deliver_due(db, settings=settings, now=late)}
    assert outcomes[reminder.id].status == "deferred"
    assert outcomes[link.id].status == "no_transport"  # tried at once
    db.refresh(reminder)
    local = reminder.next_attempt_at.astimezone(ZoneInfo(clinic.timezone))
    assert (local.hour, local.minute) == (8, 0)
    assert reminder.next_attempt_at - late < timedelta(hours=11)
    assert deliver_due(db, settings=settings, now=late + timedelta(hours=1)) == []


def test_it_lets_only_one_worker_claim_a_message(
    db: Session, clinic: Clinic, patient: Patient, morning: datetime
) -> None:
    message = _reminder(db, clinic, patient)
    assert repo.claim(db, message.id, "worker-a", morning)
    assert not repo.claim(db, message.id, "worker-b", morning)
    db.commit()
    db.refresh(message)
    assert message.status == "sending" and message.claim == "worker-a"


def test_it_never_resends_a_message_whose_worker_stopped_mid_send(
    db: Session, clinic: Clinic, patient: Patient, sms_settings: Settings, morning: datetime
) -> None:
    """A claim left behind by a worker that died may have gone out: after the stale
    limit it is marked failed (delivery uncertain) and no later run sends it."""
    message = _reminder(db, clinic, patient, key="r:stale")
    assert repo.claim(db, message.id, "worker-that-died", morning)
    db.commit()

    soon = deliver_due(db, settings=sms_settings, now=morning + timedelta(minutes=5))
    assert message.id not in {o.message_id for o in soon}
    db.refresh(message)
    assert message.status == "sending"  # its worker may still be at it

    later = morning + timedelta(minutes=11)
    outcomes = deliver_due(db, settings=sms_settings, now=later)
    assert message.id not in {o.message_id for o in outcomes}
    db.refresh(message)
    assert (message.status, message.claim) == ("failed", None)
    events = db.scalars(
        select(MessageEvent).where(MessageEvent.message_id == message.id).order_by(MessageEvent.id)
    ).all()
    assert events[-1].status == "failed" and "uncertain" in events[-1].detail
    again = deliver_due(db, settings=sms_settings, now=later + timedelta(hours=1))
    assert message.id not in {o.message_id for o in again}
    db.refresh(message)
    assert message.status == "failed"
