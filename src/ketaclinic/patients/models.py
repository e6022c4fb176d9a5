from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ketaclinic.kit.db import Base, UTCDateTime
from ketaclinic.kit.time import utcnow


class Patient(Base):
    __tablename__ = "patients"
    __table_args__ = (
        Index("ix_patients_clinic_family_given", "clinic_id", "family_name", "given_name"),
        Index("ix_patients_clinic_birth_date", "clinic_id", "birth_date"),
        CheckConstraint("status IN ('active', 'inactive')", name="status"),
        UniqueConstraint("clinic_id", "mrn"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    mrn: Mapped[str] = mapped_column(String(16))
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    # Lower-cased copies for case-insensitive search that works the same on both databases.
    search_name: Mapped[str] = mapped_column(String(210), index=True)
    birth_date: Mapped[date] = mapped_column(Date)
    sex_at_birth: Mapped[str] = mapped_column(String(16))
    gender_identity: Mapped[str | None] = mapped_column(String(64), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    address_line: Mapped[str | None] = mapped_column(String(200), nullable=True)
    city: Mapped[str | None] = mapped_column(String(100), nullable=True)
    region: Mapped[str | None] = mapped_column(String(100), nullable=True)
    postal_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    # The patient's own IANA time zone when it is not the clinic's: messages keep the
    # quiet hours in it (visit times stay in the clinic's zone, where the visit is).
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(10), default="active")
    # Registered although it looked like a chart already on file: the front desk's
    # reason (also in the audit trail, with the charts it resembled).
    duplicate_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class _PatientChild:
    """Columns shared by everything hanging off a patient."""

    id: Mapped[int] = mapped_column(primary_key=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BodyMeasurement(_PatientChild, Base):
    """Weight and height as measured at a time: dosing needs today's weight,
    so the history is kept, never overwritten."""

    __tablename__ = "body_measurements"
    __table_args__ = (
        CheckConstraint(
            "weight_kg IS NULL OR (weight_kg >= 2 AND weight_kg <= 400)", name="weight_kg"
        ),
        CheckConstraint(
            "height_cm IS NULL OR (height_cm >= 40 AND height_cm <= 250)", name="height_cm"
        ),
        CheckConstraint("weight_kg IS NOT NULL OR height_cm IS NOT NULL", name="something"),
        CheckConstraint("weight_unit IS NULL OR weight_unit IN ('kg', 'lb')", name="weight_unit"),
        CheckConstraint("height_unit IS NULL OR height_unit IN ('cm', 'in')", name="height_unit"),
    )

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime)
    weight_kg: Mapped[Decimal | None] = mapped_column(Numeric(5, 1), nullable=True)
    height_cm: Mapped[Decimal | None] = mapped_column(Numeric(4, 1), nullable=True)
    # What was typed and in which unit (kg or lb, cm or in): the stored kg and cm are
    # converted from it (patients.units), and the chart shows both.
    weight_entered: Mapped[Decimal | None] = mapped_column(Numeric(5, 1), nullable=True)
    weight_unit: Mapped[str | None] = mapped_column(String(2), nullable=True)
    height_entered: Mapped[Decimal | None] = mapped_column(Numeric(4, 1), nullable=True)
    height_unit: Mapped[str | None] = mapped_column(String(2), nullable=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class Diagnosis(_PatientChild, Base):
    __tablename__ = "diagnoses"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    code: Mapped[str] = mapped_column(String(8))
    label: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Medication(_PatientChild, Base):
    __tablename__ = "medications"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    dose: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Allergy(_PatientChild, Base):
    __tablename__ = "allergies"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    substance: Mapped[str] = mapped_column(String(200))
    reaction: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Contact(_PatientChild, Base):
    """An escort (drives the patient home) and/or emergency contact."""

    __tablename__ = "patient_contacts"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    relationship: Mapped[str] = mapped_column(String(60), default="")
    phone: Mapped[str] = mapped_column(String(32))
    is_escort: Mapped[bool] = mapped_column(Boolean, default=False)
    is_emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
