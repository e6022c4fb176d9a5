"""What was sent, or would have been: the chart's message log and the administrator's
outbox. Both show words (the template's title, the status in words) and mask any token
in a link, so no page ever holds a usable sign-in link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.auth.models import User
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.notifications import repository as repo
from ketaclinic.notifications.delivery import fields_for, link_for, name_for
from ketaclinic.notifications.links import mask
from ketaclinic.notifications.models import Message, MessageEvent
from ketaclinic.notifications.templates import render, title
from ketaclinic.patients.models import Patient
from ketaclinic.settings import Settings

STATUS_WORDS = {
    "queued": "waiting to be sent",
    "sending": "being sent",
    "sent": "sent",
    "failed": "failed",
    "no_transport": "not sent: no transport",
    "no_contact": "not sent: no way to reach the patient",
    "cancelled": "cancelled",
}
CHANNEL_WORDS = {"email": "Email", "sms": "SMS"}


@dataclass(frozen=True)
class Line:
    """One message as a page or the API shows it."""

    id: int
    patient_id: int | None  # None: a message to staff
    patient_name: str  # or "to staff: NAME"
    template: str
    template_title: str
    status: str
    status_words: str
    channel: str | None
    recipient: str | None
    subject: str | None
    link: str
    not_before: datetime
    next_attempt_at: datetime
    sent_at: datetime | None
    attempts: int
    last_error: str | None
    created_at: datetime
    history: tuple[MessageEvent, ...] = ()
    preview: str = ""
    timezone: str = "UTC"  # the clinic's: its times are shown in it


def _line(
    message: Message,
    patient: Patient | None,
    settings: Settings,
    history: tuple[MessageEvent, ...] = (),
    preview: str = "",
    staff: User | None = None,
    timezone: str = "UTC",
) -> Line:
    if patient is not None:
        to = f"{patient.family_name}, {patient.given_name}"
    else:
        to = f"to staff: {staff.name if staff is not None else 'a former account'}"
    return Line(
        id=message.id,
        patient_id=patient.id if patient is not None else None,
        patient_name=to,
        template=message.template,
        template_title=title(message.template),
        status=message.status,
        status_words=STATUS_WORDS.get(message.status, message.status),
        channel=message.channel,
        recipient=message.recipient,
        subject=message.subject,
        link=mask(link_for(message, settings)),
        not_before=message.not_before,
        next_attempt_at=message.next_attempt_at,
        sent_at=message.sent_at,
        attempts=message.attempts,
        last_error=mask(message.last_error) if message.last_error else None,
        created_at=message.created_at,
        history=history,
        preview=preview,
        timezone=timezone,
    )


def _preview(
    db: Session, message: Message, settings: Settings, patient: Patient | None = None
) -> str:
    """The body that was (or would be) sent, link masked."""
    clinic = repo.clinic(db, message.clinic_id)
    if clinic is None:
        return ""
    link = mask(link_for(message, settings))
    text = render(
        message.template,
        fields_for(
            message,
            name_for(message, clinic.name, clinic.message_name),
            clinic.address,
            clinic.timezone,
            link,
            patient_zone=patient.timezone if patient is not None else None,
        ),
    )
    return text.sms if message.channel == "sms" else text.email


def patient_log(
    db: Session, principal: Principal, patient: Patient, settings: Settings
) -> list[Line]:
    """The chart's message log, newest first, each with its status history (audited)."""
    principal.require(Permission.PATIENT_READ, patient.clinic_id)
    messages = repo.messages_of(db, [patient.clinic_id], patient.id)
    events = repo.events_of(db, [patient.clinic_id], [m.id for m in messages])
    by_message: dict[int, list[MessageEvent]] = {}
    for event in events:
        by_message.setdefault(event.message_id, []).append(event)
    audit.on_patient(
        db, principal, "patient.messages_read", patient, detail={"messages": len(messages)}
    )
    return [_line(m, patient, settings, tuple(by_message.get(m.id, ()))) for m in messages]


def outbox(
    db: Session,
    principal: Principal,
    settings: Settings,
    *,
    status: str | None,
    offset: int,
    limit: int,
) -> tuple[list[Line], int]:
    """The administrator's outbox across their clinics (audited once per clinic shown)."""
    clinic_ids = principal.require_any(Permission.SETTINGS_MANAGE)
    rows, total = repo.outbox(db, clinic_ids, status=status, offset=offset, limit=limit)
    for clinic_id in clinic_ids:
        audit.record(
            db,
            principal,
            "notification.outbox_read",
            clinic_id=clinic_id,
            resource_type="notification_outbox",
            detail={
                "status": status,
                "shown": sum(1 for m, _, _ in rows if m.clinic_id == clinic_id),
            },
        )
    zones = {cid: c.timezone for cid in clinic_ids if (c := repo.clinic(db, cid)) is not None}
    return [
        _line(
            m,
            p,
            settings,
            preview=_preview(db, m, settings, p),
            staff=u,
            timezone=zones.get(m.clinic_id, settings.timezone),
        )
        for m, p, u in rows
    ], total
