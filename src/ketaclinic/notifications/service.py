"""Writing messages to the outbox. ``queue`` is the one way any domain asks for a
message: it writes the row in the caller's transaction (never commits), once per
event, and delivery happens after that transaction commits (``kit.jobs``)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ketaclinic.audit.service import record
from ketaclinic.kit.jobs import enqueue_after_commit
from ketaclinic.kit.time import as_utc, utcnow
from ketaclinic.notifications import repository as repo
from ketaclinic.notifications.links import mask
from ketaclinic.notifications.models import Message, MessageEvent
from ketaclinic.notifications.templates import template as find_template

# A message in one of these is done with: its link's token is no longer kept.
DONE = frozenset({"sent", "failed", "no_transport", "no_contact", "cancelled"})
# The job that sends what is due (registered by the worker's jobs, ketaclinic.cli_notify).
DELIVER_JOB = "notifications.deliver"


def queue(
    db: Session,
    *,
    clinic_id: int,
    patient_id: int | None = None,
    user_id: int | None = None,
    template: str,
    event_key: str,
    link_path: str | None = None,
    not_before: datetime | None = None,
    urgent: bool = False,
    appointment_id: int | None = None,
    visit_starts_at: datetime | None = None,
    counts: dict[str, int] | None = None,
) -> Message | None:
    """Write one outbox row in the caller's transaction (never commits). event_key is unique:
    a second call with the same key returns None and sends nothing (never twice for the same
    event). urgent=True (sign-in links, invitations the patient just asked for) ignores quiet
    hours. link_path is a path like '/portal/sign-in/TOKEN' made absolute with the configured
    public base URL when sent. The message body NEVER contains health information: only the
    template's fixed words, the clinic's name, date/time/address of a visit where the template
    says so, and the link.

    ``appointment_id`` names the visit a ``visit: true`` template describes (its date,
    time and the clinic's address are rendered when sent); ``visit_starts_at`` is its
    start, read from the appointment when not given.

    A ``staff: true`` template goes to a staff member (``user_id``, by email only) with
    the ``counts`` it names (numbers only); every other template to ``patient_id``."""
    chosen = find_template(template)
    if chosen.staff and (user_id is None or patient_id is not None):
        raise ValueError(f"template {template!r} is to staff: give user_id, not patient_id")
    if not chosen.staff and (patient_id is None or user_id is not None):
        raise ValueError(f"template {template!r} is to a patient: give patient_id")
    if counts is not None and not all(isinstance(v, int) for v in counts.values()):
        raise ValueError("counts are numbers only")
    if chosen.visit and appointment_id is None:
        raise ValueError(f"template {template!r} names a visit: give appointment_id")
    if chosen.visit and visit_starts_at is None and appointment_id is not None:
        visit_starts_at = repo.appointment_start(db, clinic_id, appointment_id)
        if visit_starts_at is None:
            raise ValueError(f"no appointment {appointment_id} in clinic {clinic_id}")
    if link_path is not None and not link_path.startswith("/"):
        raise ValueError("link_path is a path starting with '/'")
    now = utcnow()
    when = as_utc(not_before) if not_before is not None else now
    values = {
        "clinic_id": clinic_id,
        "patient_id": patient_id,
        "user_id": user_id,
        "counts": json.dumps(counts, sort_keys=True) if counts else None,
        "template": template,
        "event_key": event_key[:200],
        "link_path": link_path,
        "appointment_id": appointment_id,
        "visit_starts_at": as_utc(visit_starts_at) if visit_starts_at is not None else None,
        "urgent": urgent,
        "not_before": when,
        "next_attempt_at": when,
        "status": "queued",
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(Message)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["event_key"])
        .returning(Message.id)
    )
    message_id = db.scalar(stmt)
    if message_id is None:
        return None
    db.add(MessageEvent(message_id=message_id, patient_id=patient_id, status="queued", at=now))
    record(
        db,
        None,
        "notification.queued",
        clinic_id=clinic_id,
        patient_id=patient_id,
        resource_type="notification_message",
        resource_id=message_id,
        detail={"template": template} | ({"to_user": user_id} if user_id else {}),
        actor="notifications",
    )
    # Delivery is asked for only if this transaction commits.
    enqueue_after_commit(db, DELIVER_JOB)
    return repo.message(db, [clinic_id], message_id)


def change_status(
    db: Session, message: Message, status: str, detail: str = "", *, audit_action: str = ""
) -> None:
    """Move a message to ``status``, keeping the change (and auditing it when asked)."""
    now = utcnow()
    message.status = status
    message.updated_at = now
    if status in DONE and message.link_path:
        message.link_path = mask(message.link_path)  # the token is needed no longer
    db.add(
        MessageEvent(
            message_id=message.id,
            patient_id=message.patient_id,
            status=status,
            detail=detail[:500],
            at=now,
        )
    )
    if audit_action:
        record(
            db,
            None,
            audit_action,
            clinic_id=message.clinic_id,
            patient_id=message.patient_id,
            resource_type="notification_message",
            resource_id=message.id,
            detail={"template": message.template, "channel": message.channel, "status": status},
            actor="notifications",
        )


def cancel_pending(
    db: Session,
    *,
    clinic_id: int,
    appointment_id: int,
    templates: tuple[str, ...] = ("visit_reminder", "escort_request"),
    reason: str,
) -> int:
    """Cancel the visit's messages not sent yet (it moved or was cancelled): how many."""
    pending = repo.pending_for_appointment(db, [clinic_id], appointment_id, templates)
    for message in pending:
        change_status(db, message, "cancelled", reason, audit_action="notification.cancelled")
    return len(pending)
