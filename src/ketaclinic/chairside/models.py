"""Chairside charting of one treatment session: its state (a projection of its
events), the pre-infusion checks, vital signs, alerts and what was done about
them, side effects, rescue medications, Aldrete scores, the signed note with its
addenda, and the Spravato REMS monitoring form.

Everything but the session row itself is append-only (triggers refuse UPDATE and
DELETE): a correction is a new row. The session row holds the current state and
a ``seq`` that every event must claim, so two concurrent steps collide instead of
both landing.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ketaclinic.kit.db import Base, UTCDateTime
from ketaclinic.kit.time import utcnow


class ChairsideSession(Base):
    __tablename__ = "chairside_sessions"
    __table_args__ = (Index("ix_chairside_sessions_clinic_state", "clinic_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id"), unique=True, nullable=True
    )
    plan_id: Mapped[int] = mapped_column(ForeignKey("treatment_plans.id"))
    session_number: Mapped[int] = mapped_column(Integer)
    protocol_id: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(24), default="scheduled")
    seq: Mapped[int] = mapped_column(Integer, default=0)
    # Set when the dose is released: the released check, the ledger draw, and the
    # treatment record outcomes are measured against.
    dose_check_id: Mapped[int | None] = mapped_column(ForeignKey("dose_checks.id"), nullable=True)
    draw_entry_id: Mapped[int | None] = mapped_column(ForeignKey("cs_entries.id"), nullable=True)
    # A dose drawn from two containers: the second container's draw (issue 19).
    second_draw_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("cs_entries.id"), nullable=True
    )
    treatment_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("treatment_sessions.id"), nullable=True
    )
    rate_ml_per_h: Mapped[Decimal | None] = mapped_column(Numeric(10, 3), nullable=True)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    administration_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    administration_ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    discharged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class _SessionChild:
    """Columns every append-only row of a session carries."""

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("chairside_sessions.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SessionEvent(_SessionChild, Base):
    """One step of the lifecycle (clinical.chairside.lifecycle)."""

    __tablename__ = "session_events"
    __table_args__ = (UniqueConstraint("session_id", "seq"),)

    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(24))
    from_state: Mapped[str] = mapped_column(String(24))
    to_state: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[str] = mapped_column(Text, default="")  # JSON


class SessionCheck(_SessionChild, Base):
    """One pre-infusion checklist item as recorded; the newest per item counts."""

    __tablename__ = "session_checks"
    __table_args__ = (CheckConstraint("result IN ('pass', 'fail', 'na')", name="result"),)

    item: Mapped[str] = mapped_column(String(40))
    result: Mapped[str] = mapped_column(String(4))
    value: Mapped[str] = mapped_column(Text, default="")


class VitalReading(_SessionChild, Base):
    """A set of vital signs taken together, by hand or from a monitor gateway.
    ``reading_key`` makes a gateway's retries land once."""

    __tablename__ = "vital_readings"
    __table_args__ = (
        UniqueConstraint("session_id", "reading_key"),
        # A patient's vital signs over FHIR (Observation?patient=...; 0029_fhir).
        Index("ix_vital_readings_patient_taken", "patient_id", "taken_at"),
    )

    reading_key: Mapped[str] = mapped_column(String(80))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    systolic: Mapped[int | None] = mapped_column(Integer, nullable=True)
    diastolic: Mapped[int | None] = mapped_column(Integer, nullable=True)
    heart_rate: Mapped[int | None] = mapped_column(Integer, nullable=True)
    spo2: Mapped[int | None] = mapped_column(Integer, nullable=True)
    respiratory_rate: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sedation: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cadss: Mapped[int | None] = mapped_column(Integer, nullable=True)
    on_oxygen: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(10), default="manual")  # manual, device
    device: Mapped[str] = mapped_column(String(80), default="")


class SessionAlert(_SessionChild, Base):
    """A vital-sign alert raised by a reading; open until an action answers it."""

    __tablename__ = "session_alerts"

    rule_id: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(10))
    label: Mapped[str] = mapped_column(String(120))
    message: Mapped[str] = mapped_column(Text)
    measure: Mapped[str] = mapped_column(String(20))
    value: Mapped[int] = mapped_column(Integer)
    limit: Mapped[int] = mapped_column(Integer)
    reading_id: Mapped[int] = mapped_column(ForeignKey("vital_readings.id"))


class AlertAction(_SessionChild, Base):
    """What was done about an alert, and who acknowledged it."""

    __tablename__ = "alert_actions"

    alert_id: Mapped[int] = mapped_column(ForeignKey("session_alerts.id"), index=True)
    action: Mapped[str] = mapped_column(String(24))
    note: Mapped[str] = mapped_column(Text, default="")


class AdverseEvent(_SessionChild, Base):
    """A side effect or adverse event, graded; ``serious`` flags an SAE."""

    __tablename__ = "session_adverse_events"
    __table_args__ = (CheckConstraint("grade BETWEEN 1 AND 5", name="grade"),)

    effect: Mapped[str] = mapped_column(String(30))
    grade: Mapped[int] = mapped_column(Integer)
    serious: Mapped[bool] = mapped_column(Boolean, default=False)
    onset_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")


class RescueMedication(_SessionChild, Base):
    __tablename__ = "rescue_medications"

    drug: Mapped[str] = mapped_column(String(30))
    dose: Mapped[Decimal] = mapped_column(Numeric(8, 3))
    unit: Mapped[str] = mapped_column(String(10))
    route: Mapped[str] = mapped_column(String(10))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(30), default="")


class AldreteScore(_SessionChild, Base):
    __tablename__ = "aldrete_scores"

    activity: Mapped[int] = mapped_column(Integer)
    respiration: Mapped[int] = mapped_column(Integer)
    circulation: Mapped[int] = mapped_column(Integer)
    consciousness: Mapped[int] = mapped_column(Integer)
    oxygen_saturation: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)


class SessionNote(_SessionChild, Base):
    """The note as signed: its content frozen (JSON) when the first clinician signs."""

    __tablename__ = "session_notes"
    __table_args__ = (UniqueConstraint("session_id"),)

    body: Mapped[str] = mapped_column(Text)


class NoteSignature(_SessionChild, Base):
    __tablename__ = "note_signatures"
    __table_args__ = (
        UniqueConstraint("note_id", "role"),
        CheckConstraint("role IN ('nurse', 'prescriber')", name="role"),
    )

    note_id: Mapped[int] = mapped_column(ForeignKey("session_notes.id"))
    role: Mapped[str] = mapped_column(String(12))


class NoteAddendum(_SessionChild, Base):
    __tablename__ = "note_addenda"

    note_id: Mapped[int] = mapped_column(ForeignKey("session_notes.id"))
    text: Mapped[str] = mapped_column(Text)


class RemsForm(_SessionChild, Base):
    """One saved version of the session's REMS monitoring form (JSON fields); the
    newest counts."""

    __tablename__ = "rems_forms"

    fields: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date] = mapped_column(Date)


class RemsSubmission(_SessionChild, Base):
    """The form was sent to the REMS (on the date, with the reference received)."""

    __tablename__ = "rems_submissions"

    form_id: Mapped[int] = mapped_column(ForeignKey("rems_forms.id"))
    sent_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(80), default="")


APPEND_ONLY = (
    "session_events",
    "session_checks",
    "vital_readings",
    "session_alerts",
    "alert_actions",
    "session_adverse_events",
    "rescue_medications",
    "aldrete_scores",
    "session_notes",
    "note_signatures",
    "note_addenda",
    "rems_forms",
    "rems_submissions",
)
