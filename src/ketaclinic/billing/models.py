"""Billing: the clinic's fee schedule, a visit's charge lines, the prescriber's
separately identifiable evaluation, and the identifiers a claim carries.

Money is integer cents. Fees, evaluations, identifiers and coverage are append-only
(a change is a new row; the newest in effect counts). A charge line is a draft
until staff with the billing permission finalise it; a finalised line is never
updated or deleted (a trigger refuses it): a correction is a new line that reverses
it (``corrects_id``), like the ledger.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ketaclinic.kit.db import Base, UTCDateTime
from ketaclinic.kit.time import utcnow


class FeeScheduleEntry(Base):
    """The clinic's price of one unit of a code from ``effective_from`` on."""

    __tablename__ = "billing_fees"
    __table_args__ = (
        CheckConstraint("price_cents >= 0", name="price"),
        Index("ix_billing_fees_clinic_code", "clinic_id", "code", "effective_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    code: Mapped[str] = mapped_column(String(5))
    price_cents: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[date] = mapped_column(Date)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BillingIdentifier(Base):
    """The clinic's billing NPI and TIN (``user_id`` empty) or a clinician's NPI."""

    __tablename__ = "billing_identifiers"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    npi: Mapped[str] = mapped_column(String(10))
    tin: Mapped[str] = mapped_column(String(10), default="")
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Evaluation(Base):
    """A prescriber's separately identifiable evaluation on the day of a session."""

    __tablename__ = "billing_evaluations"
    __table_args__ = (CheckConstraint("code IN ('99212','99213','99214','99215')", name="code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    session_id: Mapped[int] = mapped_column(ForeignKey("chairside_sessions.id"), index=True)
    code: Mapped[str] = mapped_column(String(5))
    note: Mapped[str] = mapped_column(Text)
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Coverage(Base):
    """The patient's insurer and member id, for the superbill (newest counts)."""

    __tablename__ = "billing_coverage"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    payer: Mapped[str] = mapped_column(String(120), default="")
    member_id: Mapped[str] = mapped_column(String(40), default="")
    # The insured's plan (0033): None = the type the payer's name suggests.
    plan_type: Mapped[str | None] = mapped_column(String(10), nullable=True)
    group_number: Mapped[str] = mapped_column(String(30), default="", server_default="")
    plan_name: Mapped[str] = mapped_column(String(120), default="", server_default="")
    relationship: Mapped[str] = mapped_column(String(6), default="self", server_default="self")
    insured_family_name: Mapped[str] = mapped_column(String(80), default="", server_default="")
    insured_given_name: Mapped[str] = mapped_column(String(80), default="", server_default="")
    insured_birth_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    insured_sex: Mapped[str] = mapped_column(String(1), default="", server_default="")
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChargeLine(Base):
    """One line of a visit's claim, priced from the fee schedule on its date."""

    __tablename__ = "charge_lines"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'final')", name="status"),
        Index("ix_charge_lines_patient_day", "patient_id", "date_of_service"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    session_id: Mapped[int] = mapped_column(ForeignKey("chairside_sessions.id"), index=True)
    date_of_service: Mapped[date] = mapped_column(Date)
    place_of_service: Mapped[str] = mapped_column(String(2))
    code: Mapped[str] = mapped_column(String(5))
    description: Mapped[str] = mapped_column(String(200))
    modifiers: Mapped[str] = mapped_column(String(11), default="")  # "25" or "25 59"
    units: Mapped[int] = mapped_column(Integer)  # negative on a reversal
    ndc: Mapped[str | None] = mapped_column(String(13), nullable=True)
    ndc_quantity: Mapped[Decimal | None] = mapped_column(Numeric(10, 3), nullable=True)
    ndc_unit: Mapped[str | None] = mapped_column(String(2), nullable=True)
    diagnoses: Mapped[str] = mapped_column(String(120), default="")  # "F33.2 F41.1"
    pointers: Mapped[str] = mapped_column(String(4), default="")  # "AB"
    unit_price_cents: Mapped[int | None] = mapped_column(Integer, nullable=True)
    amount_cents: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rendering_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    source: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(5), default="draft")
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("charge_lines.id"), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finalised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    finalised_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


APPEND_ONLY = ("billing_fees", "billing_identifiers", "billing_evaluations", "billing_coverage")
