"""Imports every domain's models so metadata (and Alembic) sees all tables."""

from ketaclinic.audit.models import AuditChainHead, AuditEvent
from ketaclinic.auth.models import (
    ApiToken,
    LoginFailure,
    Membership,
    RecoveryCode,
    StaffSession,
    User,
)
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
    "AuditChainHead",
    "AuditEvent",
    "Base",
    "BodyMeasurement",
    "Clinic",
    "Contact",
    "Diagnosis",
    "LoginFailure",
    "Medication",
    "Membership",
    "Patient",
    "RecoveryCode",
    "StaffSession",
    "User",
]
