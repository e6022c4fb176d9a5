"""The outbox (``Message``), every status a message passed through (``MessageEvent``,
append-only) and the patient's contact preference (channel, SMS consent, STOP)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ketaclinic.kit.db import Base, UTCDateTime
from ketaclinic.kit.time import utcnow

# queued: waiting for its time (or its next attempt); sending: claimed by one worker;
# sent; failed: every attempt failed; no_transport: nothing configured to send it by;
# no_contact: no address on file for any channel the patient accepts (or SMS opted out);
# cancelled: its visit was moved or cancelled before it went.
STATUSES = ("queued", "sending", "sent", "failed", "no_transport", "no_contact", "cancelled")
CHANNELS = ("email", "sms")


class Message(Base):
    """One message to one patient, or to one staff member (``user_id``: a staff digest,
    by email only), for one event (``event_key`` is unique: the same event never sends
    twice). The body is rendered from the template when sent."""

    __tablename__ = "notification_messages"
    __table_args__ = (
        CheckConstraint(f"status IN {STATUSES!r}", name="status"),
        CheckConstraint("channel IS NULL OR channel IN ('email', 'sms')", name="channel"),
        CheckConstraint("(patient_id IS NULL) <> (user_id IS NULL)", name="one_recipient"),
        Index("ix_notification_messages_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    patient_id: Mapped[int | None] = mapped_column(
        ForeignKey("patients.id"), index=True, nullable=True
    )
    # A staff recipient instead of a patient (a digest such as REMS forms due).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True, nullable=True)
    # Numbers a staff template may name (JSON: {"due_count": 3, ...}); never patient data.
    counts: Mapped[str | None] = mapped_column(String(200), nullable=True)
    template: Mapped[str] = mapped_column(String(40))
    event_key: Mapped[str] = mapped_column(String(200), unique=True)
    # A path ('/portal/sign-in/TOKEN'); made absolute with the public URL when sent.
    link_path: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # The visit whose date, time and address the template may name.
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"), nullable=True)
    # The visit's start when queued (a moved visit cancels the message and queues anew).
    visit_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    # When it may be tried (again): not_before, moved out of quiet hours, or backed off.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    channel: Mapped[str | None] = mapped_column(String(8), nullable=True)
    recipient: Mapped[str | None] = mapped_column(String(254), nullable=True)
    subject: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # The worker's claim: set with status='sending' by one UPDATE, so one worker sends.
    claim: Mapped[str | None] = mapped_column(String(32), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MessageEvent(Base):
    """A status a message entered, when, and why (append-only)."""

    __tablename__ = "notification_message_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("notification_messages.id"), index=True)
    # None for a staff message (row-level security then goes through the message's clinic).
    patient_id: Mapped[int | None] = mapped_column(
        ForeignKey("patients.id"), index=True, nullable=True
    )
    status: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContactPreference(Base):
    """How the patient wants to be reached. SMS needs a recorded opt-in (when, by whom);
    a STOP texted back sets ``sms_opted_out_at`` and no SMS goes after it."""

    __tablename__ = "contact_preferences"
    __table_args__ = (CheckConstraint("channel IN ('email', 'sms')", name="channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), unique=True)
    channel: Mapped[str] = mapped_column(String(8), default="email")
    sms_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sms_consent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    sms_opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
