"""Imports every domain's models so metadata (and Alembic) sees all tables."""

from ketaclinic.auth.models import ApiToken, Membership, StaffSession, User
from ketaclinic.clinics.models import Clinic
from ketaclinic.kit.db import Base
from ketaclinic.patients.models import (
    Allergy,
    BodyMeasurement,
    Contact,
    Diagnosis,
    Medication,
    Patient,
)

__all__ = [
    "Allergy",
    "ApiToken",
    "Base",
    "BodyMeasurement",
    "Clinic",
    "Contact",
    "Diagnosis",
    "Medication",
    "Membership",
    "Patient",
    "StaffSession",
    "User",
]
