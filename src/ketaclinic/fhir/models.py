"""The FHIR server keeps no tables of its own: these are the other domains' tables
it reads (read models, like the front desk's), named in one place."""

from __future__ import annotations

from ketaclinic.appointments.models import Appointment
from ketaclinic.auth.models import Membership, User
from ketaclinic.chairside.models import ChairsideSession, SessionEvent, VitalReading
from ketaclinic.clinics.models import Clinic
from ketaclinic.measures.models import QuestionnaireResponse
from ketaclinic.patients.models import Allergy, BodyMeasurement, Diagnosis, Medication, Patient
from ketaclinic.plans.models import DoseCheck, PlanEvent, TreatmentPlan
from ketaclinic.treatments.models import TreatmentSession

__all__ = [
    "Allergy",
    "Appointment",
    "BodyMeasurement",
    "ChairsideSession",
    "Clinic",
    "Diagnosis",
    "DoseCheck",
    "Medication",
    "Membership",
    "Patient",
    "PlanEvent",
    "QuestionnaireResponse",
    "SessionEvent",
    "TreatmentPlan",
    "TreatmentSession",
    "User",
    "VitalReading",
]
