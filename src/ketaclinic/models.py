"""Imports every domain's models so metadata (and Alembic) sees all tables."""

from ketaclinic.appointments.models import (
    Appointment,
    AppointmentEvent,
    Chair,
    ClinicClosure,
    ClinicHours,
    StaffShift,
    WaitlistEntry,
)
from ketaclinic.audit.models import AuditChainHead, AuditEvent
from ketaclinic.auth.models import (
    ApiToken,
    LoginFailure,
    Membership,
    RecoveryCode,
    StaffLink,
    StaffSession,
    User,
)
from ketaclinic.billing.account_models import AccountEntry, Package, PackageDraw, PatientPackage
from ketaclinic.billing.models import (
    BillingIdentifier,
    ChargeLine,
    Coverage,
    Evaluation,
    FeeScheduleEntry,
)
from ketaclinic.chairside.displays import DisplayToken
from ketaclinic.chairside.models import (
    AdverseEvent,
    AldreteScore,
    AlertAction,
    ChairsideSession,
    NoteAddendum,
    NoteSignature,
    RemsForm,
    RemsSubmission,
    RescueMedication,
    SessionAlert,
    SessionCheck,
    SessionEvent,
    SessionNote,
    VitalReading,
)
from ketaclinic.clinics.models import Clinic, ClinicSetting
from ketaclinic.consents.models import ConsentRequest, ConsentSignature
from ketaclinic.fhir.export_models import FhirExport
from ketaclinic.intake.models import Inquiry
from ketaclinic.kit.clock_store import ClockShift
from ketaclinic.kit.db import Base
from ketaclinic.kit.ratelimit import RateLimitCounter
from ketaclinic.ledger.models import (
    CsContainer,
    CsCount,
    CsCountLine,
    CsDiscrepancy,
    CsEntry,
    CsLocation,
    CsLossFiling,
    CsLot,
    CsProduct,
    CsResolution,
)
from ketaclinic.measures.models import QuestionnaireLink, QuestionnaireResponse, SafetyAlert
from ketaclinic.notifications.models import ContactPreference, Message, MessageEvent
from ketaclinic.outcomes.models import BoosterDecision, BoosterSuggestion
from ketaclinic.patients.models import (
    Allergy,
    BodyMeasurement,
    Contact,
    Diagnosis,
    Medication,
    Patient,
)
from ketaclinic.plans.models import DoseCheck, DoseVerification, PlanEvent, TreatmentPlan
from ketaclinic.portal.models import (
    EscortConfirmation,
    PatientAccount,
    PortalLink,
    PortalRequest,
    PortalSession,
)
from ketaclinic.screenings.models import PatientIntake, Screening, ScreeningSignature
from ketaclinic.smart.models import SmartAccessToken, SmartAssertionUse, SmartClient
from ketaclinic.treatments.models import TreatmentSession

__all__ = [
    "AccountEntry",
    "AdverseEvent",
    "AldreteScore",
    "AlertAction",
    "Allergy",
    "ApiToken",
    "Appointment",
    "AppointmentEvent",
    "AuditChainHead",
    "AuditEvent",
    "Base",
    "BillingIdentifier",
    "BodyMeasurement",
    "BoosterDecision",
    "BoosterSuggestion",
    "Chair",
    "ChairsideSession",
    "ChargeLine",
    "Clinic",
    "ClinicClosure",
    "ClinicHours",
    "ClinicSetting",
    "ClockShift",
    "ConsentRequest",
    "ConsentSignature",
    "Contact",
    "ContactPreference",
    "Coverage",
    "CsContainer",
    "CsCount",
    "CsCountLine",
    "CsDiscrepancy",
    "CsEntry",
    "CsLocation",
    "CsLossFiling",
    "CsLot",
    "CsProduct",
    "CsResolution",
    "Diagnosis",
    "DisplayToken",
    "DoseCheck",
    "DoseVerification",
    "EscortConfirmation",
    "Evaluation",
    "FeeScheduleEntry",
    "FhirExport",
    "Inquiry",
    "LoginFailure",
    "Medication",
    "Membership",
    "Message",
    "MessageEvent",
    "NoteAddendum",
    "NoteSignature",
    "Package",
    "PackageDraw",
    "Patient",
    "PatientAccount",
    "PatientIntake",
    "PatientPackage",
    "PlanEvent",
    "PortalLink",
    "PortalRequest",
    "PortalSession",
    "QuestionnaireLink",
    "QuestionnaireResponse",
    "RateLimitCounter",
    "RecoveryCode",
    "RemsForm",
    "RemsSubmission",
    "RescueMedication",
    "SafetyAlert",
    "Screening",
    "ScreeningSignature",
    "SessionAlert",
    "SessionCheck",
    "SessionEvent",
    "SessionNote",
    "SmartAccessToken",
    "SmartAssertionUse",
    "SmartClient",
    "StaffLink",
    "StaffSession",
    "StaffShift",
    "TreatmentPlan",
    "TreatmentSession",
    "User",
    "VitalReading",
    "WaitlistEntry",
]
