"""Writing messages to the outbox. ``queue`` is the one way any domain asks for a
message: it writes the row in the caller's transaction (never commits), once per
event, and delivery happens after that transaction commits (``kit.jobs``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ketaclinic.audit.service import record
from ketaclinic.kit.time import as_utc, utcnow
from ketaclinic.notifications.models import Message, MessageEvent
from ketaclinic.notifications.templates import template as find_template

# Called with the session after a message is queued (kit.jobs arranges delivery after
# commit); empty until the job runner is set up, so queueing never needs it.
AFTER_QUEUE: list[Callable[[Session], None]] = []


def queue(
    db: Session,
    *,
    clinic_id: int,
    patient_id: int,
    template: str,
    event_key: str,
    link_path: str | None = None,
    not_before: datetime | None = None,
    urgent: bool = False,
    appointment_id: int | None = None,
) -> Message | None:
    """Write one outbox row in the caller's transaction (never commits). event_key is unique:
    a second call with the same key returns None and sends nothing (never twice for the same
    event). urgent=True (sign-in links, invitations the patient just asked for) ignores quiet
    hours. link_path is a path like '/portal/sign-in/TOKEN' made absolute with the configured
    public base URL when sent. The message body NEVER contains health information: only the
    template's fixed words, the clinic's name, date/time/address of a visit where the template
    says so, and the link.

    ``appointment_id`` names the visit a ``visit: true`` template describes."""
    chosen = find_template(template)
    if chosen.visit and appointment_id is None:
        raise ValueError(f"template {template!r} names a visit: give appointment_id")
    if link_path is not None and not link_path.startswith("/"):
        raise ValueError("link_path is a path starting with '/'")
    now = utcnow()
    when = as_utc(not_before) if not_before is not None else now
    values = {
        "clinic_id": clinic_id,
        "patient_id": patient_id,
        "template": template,
        "event_key": event_key[:200],
        "link_path": link_path,
        "appointment_id": appointment_id,
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
        detail={"template": template},
        actor="notifications",
    )
    for hook in AFTER_QUEUE:
        hook(db)
    return db.get(Message, message_id)
