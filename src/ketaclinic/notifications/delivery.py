"""Sending what is due: the job's side of the outbox. This module is a job boundary
(like a CLI command): it commits, one message at a time, so a crash loses at most the
message in hand and never sends one twice: a message whose worker stopped mid-send
is marked failed ("delivery uncertain") for staff to see, never sent again.

A message is due when its next attempt time has come and, unless urgent, the patient's
clock (their own zone when the chart records one, else the clinic's) is inside the
sending hours; outside them it waits until the
morning. Each message is claimed by one UPDATE that only one worker can win. A failed
send is tried again after a growing wait, and given up after ``message_max_attempts``.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ketaclinic.auth.models import User
from ketaclinic.clinical.messaging import (
    backoff,
    message_zone,
    send_time,
    sender_name,
    visit_time_words,
)
from ketaclinic.clinics.settings import for_clinic
from ketaclinic.kit.time import to_local, utcnow
from ketaclinic.notifications import repository as repo
from ketaclinic.notifications.models import ContactPreference, Message
from ketaclinic.notifications.service import change_status
from ketaclinic.notifications.templates import render
from ketaclinic.notifications.transports import Outgoing, Transport, TransportError, configured
from ketaclinic.patients.models import Patient
from ketaclinic.settings import Settings, get_settings

# A claim older than this belongs to a worker that died mid-send.
STALE_CLAIM = timedelta(minutes=10)
UNCERTAIN = (
    "delivery uncertain: the sender stopped while sending this message; it is not sent "
    "again, so that it never arrives twice"
)


@dataclass(frozen=True)
class Outcome:
    message_id: int
    template: str
    status: str  # sent, retry, failed, no_transport, no_contact, deferred
    channel: str | None = None
    detail: str = ""


def choose_channel(
    patient: Patient, preference: ContactPreference | None
) -> tuple[str, str] | tuple[None, str]:
    """(channel, address) by the patient's preference and consent, or (None, why not).
    SMS only with a recorded opt-in and no STOP since; otherwise email."""
    sms_ok = (
        preference is not None
        and preference.sms_consent_at is not None
        and preference.sms_opted_out_at is None
        and bool(patient.phone)
    )
    wants_sms = preference is not None and preference.channel == "sms"
    if wants_sms and sms_ok and patient.phone:
        return "sms", patient.phone
    if patient.email:
        return "email", patient.email
    if sms_ok and patient.phone:
        return "sms", patient.phone
    if wants_sms and preference is not None and preference.sms_opted_out_at is not None:
        return None, "SMS stopped by the patient and no email on file"
    return None, "no email on file and no SMS consent"


def staff_address(user: User | None) -> tuple[str, str] | tuple[None, str]:
    """A staff message goes by email to the staff member's address (never SMS)."""
    if user is None or not user.is_active:
        return None, "the staff member's account is not active"
    if not user.email:
        return None, "no email on file for the staff member"
    return "email", user.email


def link_for(message: Message, settings: Settings) -> str:
    base = settings.public_url.rstrip("/")
    return base + (message.link_path or "/portal")


def name_for(message: Message, clinic_name: str, message_name: str | None) -> str:
    """How the message names the clinic: to a patient, never by a name that reveals the
    care (``sender_name``); to staff (a digest), by its own name."""
    return clinic_name if message.user_id is not None else sender_name(clinic_name, message_name)


def fields_for(
    message: Message,
    clinic_name: str,
    address: str,
    timezone: str,
    link: str,
    *,
    patient_zone: str | None = None,
) -> dict[str, str]:
    """The template's fields. A visit's date and time are the clinic's (``timezone``,
    where the visit happens), naming the zone for a patient who lives in another."""
    fields = {"clinic_name": clinic_name, "link": link}
    if message.counts:
        fields |= {k: str(int(v)) for k, v in json.loads(message.counts).items()}
    if message.visit_starts_at is not None:
        local = to_local(message.visit_starts_at, timezone)
        fields["visit_date"] = f"{local:%A} {local.day} {local:%B}"
        fields["visit_time"] = visit_time_words(
            message.visit_starts_at, clinic_zone=timezone, patient_zone=patient_zone
        )
        fields["visit_address"] = address or clinic_name
    return fields


def deliver_due(
    db: Session,
    *,
    settings: Settings | None = None,
    now: datetime | None = None,
    limit: int = 200,
    transports: dict[str, Transport] | None = None,
) -> list[Outcome]:
    """Send every message due at ``now`` (the clock's now by default); what happened."""
    settings = settings or get_settings()
    now = now or utcnow()
    transports = configured(settings) if transports is None else transports
    clinic_ids = repo.all_clinic_ids(db)
    for message in repo.stale_claims(db, clinic_ids, now - STALE_CLAIM):
        message.claim = None
        change_status(db, message, "failed", UNCERTAIN, audit_action="notification.failed")
    db.commit()
    outcomes: list[Outcome] = []
    for message_id, clinic_id, urgent, own_zone in repo.due_candidates(db, clinic_ids, now, limit):
        clinic = repo.clinic(db, clinic_id)
        assert clinic is not None
        hours = for_clinic(db, clinic_id)
        zone = message_zone(own_zone, clinic.timezone)
        at = send_time(
            now,
            timezone=zone,
            start_hour=hours.quiet_end_morning_hour,
            end_hour=hours.quiet_start_evening_hour,
            urgent=urgent,
        )
        if at > now:
            outcomes.append(_defer(db, clinic_ids, message_id, at, now, zone))
            db.commit()
            continue
        if not repo.claim(db, message_id, secrets.token_hex(8), now):
            db.rollback()  # another worker has it
            continue
        db.commit()
        outcomes.append(_send(db, clinic_ids, message_id, now, settings, transports))
        db.commit()
    return outcomes


def _defer(
    db: Session, clinic_ids: list[int], message_id: int, at: datetime, now: datetime, zone: str
) -> Outcome:
    message = repo.message(db, clinic_ids, message_id)
    assert message is not None
    repo.defer(db, message_id, at, now)
    local = to_local(at, zone)
    detail = f"held for quiet hours until {local:%Y-%m-%d %H:%M} {zone}"
    change_status(db, message, "queued", detail)
    message.next_attempt_at = at
    return Outcome(message_id, message.template, "deferred", None, detail)


def _send(
    db: Session,
    clinic_ids: list[int],
    message_id: int,
    now: datetime,
    settings: Settings,
    transports: dict[str, Transport],
) -> Outcome:
    message = repo.message(db, clinic_ids, message_id)
    assert message is not None
    change_status(db, message, "sending", f"attempt {message.attempts + 1}")
    clinic = repo.clinic(db, message.clinic_id)
    assert clinic is not None
    channel: str | None
    patient_zone: str | None = None
    if message.user_id is not None:  # to staff: by email only
        channel, address = staff_address(repo.user(db, message.user_id))
    else:
        assert message.patient_id is not None
        patient = repo.patient(db, clinic_ids, message.patient_id)
        assert patient is not None
        patient_zone = patient.timezone
        preference = repo.preference(db, clinic_ids, patient.id)
        channel, address = choose_channel(patient, preference)
    if channel is None:
        message.attempts += 1
        change_status(db, message, "no_contact", address, audit_action="notification.not_sent")
        return Outcome(message.id, message.template, "no_contact", None, address)
    link = link_for(message, settings)
    text = render(
        message.template,
        fields_for(
            message,
            name_for(message, clinic.name, clinic.message_name),
            clinic.address,
            clinic.timezone,
            link,
            patient_zone=patient_zone,
        ),
    )
    message.channel, message.recipient, message.subject = channel, address, text.subject[:200]
    transport = transports.get(channel)
    if transport is None:
        detail = f"not sent: no {channel} transport configured"
        change_status(db, message, "no_transport", detail, audit_action="notification.not_sent")
        return Outcome(message.id, message.template, "no_transport", channel, detail)
    body = text.email if channel == "email" else text.sms
    outgoing = Outgoing(to=address, subject=text.subject, body=body)
    db.commit()  # no transaction held open over the network
    message.attempts += 1
    try:
        provider_id = transport.send(outgoing)
    except TransportError as exc:
        return _failed(db, message, str(exc), exc.permanent, now, settings)
    message.sent_at = utcnow()
    message.last_error = None
    change_status(
        db, message, "sent", f"{channel} {provider_id}".strip(), audit_action="notification.sent"
    )
    return Outcome(message.id, message.template, "sent", channel)


def _failed(
    db: Session, message: Message, error: str, permanent: bool, now: datetime, settings: Settings
) -> Outcome:
    message.last_error = error[:2000]
    if permanent or message.attempts >= settings.message_max_attempts:
        change_status(db, message, "failed", error, audit_action="notification.failed")
        return Outcome(message.id, message.template, "failed", message.channel, error)
    message.next_attempt_at = now + backoff(message.attempts)
    message.claim = None
    change_status(db, message, "queued", f"attempt {message.attempts} failed: {error}")
    return Outcome(message.id, message.template, "retry", message.channel, error)
