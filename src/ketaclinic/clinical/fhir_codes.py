"""The codes KetaClinic's FHIR server speaks: pure data, no database, no web.

Every code here is cited in docs/clinical-references.md#fhir-codes. A code we could
not verify is never guessed: it is written in our own code system
(``KETACLINIC_SYSTEM`` + a path), with its words in ``display``/``text``.
"""

from __future__ import annotations

from dataclasses import dataclass

FHIR_VERSION = "4.0.1"
US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/"
US_CORE_VERSION = "6.1.0"

LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CARE_PLAN_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/careplan-category"
US_CORE_BIRTH_SEX = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"

# Our own code systems, for what has no verified standard code.
KETACLINIC_SYSTEM = "https://ketaclinic.org/fhir/CodeSystem/"
INSTRUMENT_SCORE_SYSTEM = KETACLINIC_SYSTEM + "instrument-score"
INSTRUMENT_ITEM_SYSTEM = KETACLINIC_SYSTEM + "instrument-item"
VISIT_TYPE_SYSTEM = KETACLINIC_SYSTEM + "visit-type"
ROUTE_SYSTEM = KETACLINIC_SYSTEM + "route"
STAFF_ROLE_SYSTEM = KETACLINIC_SYSTEM + "staff-role"
MRN_SYSTEM = "https://ketaclinic.org/fhir/NamingSystem/mrn"
STAFF_ID_SYSTEM = "https://ketaclinic.org/fhir/NamingSystem/staff"
CLINIC_ID_SYSTEM = "https://ketaclinic.org/fhir/NamingSystem/clinic"
QUESTIONNAIRE_BASE = "https://ketaclinic.org/fhir/Questionnaire/"


def profile(name: str) -> str:
    """The canonical URL of a US Core 6.1.0 profile, pinned to its version."""
    return f"{US_CORE}{name}|{US_CORE_VERSION}"


@dataclass(frozen=True)
class Code:
    system: str
    code: str
    display: str

    def coding(self) -> dict[str, str]:
        return {"system": self.system, "code": self.code, "display": self.display}


@dataclass(frozen=True)
class Vital:
    """One US Core vital sign: its LOINC code, its profile and its UCUM unit."""

    key: str
    code: Code
    profile: str
    unit: str  # UCUM code
    unit_display: str


# LOINC codes of the US Core vital-signs profiles (docs/clinical-references.md#fhir-codes).
BP_PANEL = Code(LOINC, "85354-9", "Blood pressure panel with all children optional")
SYSTOLIC = Code(LOINC, "8480-6", "Systolic blood pressure")
DIASTOLIC = Code(LOINC, "8462-4", "Diastolic blood pressure")
SPO2_PULSE_OX = Code(LOINC, "59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry")
SPO2 = Code(LOINC, "2708-6", "Oxygen saturation in Arterial blood")

VITALS: dict[str, Vital] = {
    v.key: v
    for v in (
        Vital("bp", BP_PANEL, profile("us-core-blood-pressure"), "mm[Hg]", "mmHg"),
        Vital(
            "hr", Code(LOINC, "8867-4", "Heart rate"), profile("us-core-heart-rate"), "/min", "/min"
        ),
        Vital(
            "rr",
            Code(LOINC, "9279-1", "Respiratory rate"),
            profile("us-core-respiratory-rate"),
            "/min",
            "/min",
        ),
        Vital("spo2", SPO2_PULSE_OX, profile("us-core-pulse-oximetry"), "%", "%"),
        Vital(
            "weight",
            Code(LOINC, "29463-7", "Body weight"),
            profile("us-core-body-weight"),
            "kg",
            "kg",
        ),
        Vital(
            "height",
            Code(LOINC, "8302-2", "Body height"),
            profile("us-core-body-height"),
            "cm",
            "cm",
        ),
    )
}

# LOINC codes of single questionnaire items (docs/clinical-references.md#fhir-codes);
# the totals' codes are the instruments' own ``loinc_total`` (clinical/scales).
ITEM_LOINC: dict[str, Code] = {
    "phq9_9": Code(
        LOINC, "44260-8", "Thoughts that you would be better off dead, or of hurting yourself"
    ),
}


def score_code(instrument_id: str, name: str, loinc_total: str | None) -> Code:
    """The code of an instrument's total: its verified LOINC code, or ours."""
    if loinc_total:
        return Code(LOINC, loinc_total, f"{name} total score")
    return Code(INSTRUMENT_SCORE_SYSTEM, instrument_id, f"{name} total score")


def item_code(item_id: str, text: str) -> Code:
    return ITEM_LOINC.get(item_id) or Code(INSTRUMENT_ITEM_SYSTEM, item_id, text)


@dataclass(frozen=True)
class Drug:
    code: Code


# RxNorm (docs/clinical-references.md#fhir-codes): ketamine is the ingredient 6130;
# esketamine is coded by the clinical drug form "esketamine Nasal Spray" (2201623),
# the only esketamine concept we verified — its ingredient code is not guessed.
DRUGS: dict[str, Drug] = {
    "ketamine": Drug(Code(RXNORM, "6130", "ketamine")),
    "esketamine": Drug(Code(RXNORM, "2201623", "esketamine Nasal Spray")),
}

# Routes in words (our own code system: no SNOMED CT route code was verified).
ROUTES: dict[str, Code] = {
    key: Code(ROUTE_SYSTEM, key, words)
    for key, words in (
        ("iv", "Intravenous"),
        ("im", "Intramuscular"),
        ("sublingual", "Sublingual"),
        ("intranasal", "Nasal"),
    )
}

STAFF_ROLES: dict[str, str] = {
    "admin": "Clinic administrator",
    "prescriber": "Prescriber",
    "nurse": "Nurse",
    "front_desk": "Front desk",
    "custodian": "Controlled-substance custodian",
    "network_operator": "Network operator",
}

# Administrative gender (FHIR) from the chart's sex at birth; the birth-sex
# extension of US Core 6.1.0 takes F, M or UNK.
GENDER = {"female": "female", "male": "male", "intersex": "other", "unknown": "unknown"}
BIRTH_SEX = {"female": "F", "male": "M"}


def birth_sex(sex_at_birth: str) -> str:
    return BIRTH_SEX.get(sex_at_birth, "UNK")


# Encounter status of a chairside session's state (clinical.chairside.lifecycle).
def encounter_status(state: str) -> str:
    if state == "scheduled":
        return "planned"
    if state in ("discharged", "note_signed", "stopped_early"):
        return "finished"
    if state == "no_show":
        return "cancelled"
    return "in-progress"


APPOINTMENT_STATUS = {
    "booked": "booked",
    "cancelled": "cancelled",
    "no_show": "noshow",
    "completed": "fulfilled",
}

CARE_PLAN_STATUS = {
    "draft": "draft",
    "signed": "active",
    "active": "active",
    "paused": "on-hold",
    "completed": "completed",
    "stopped": "revoked",
    "superseded": "revoked",
}

MEDICATION_REQUEST_STATUS = {
    "draft": "draft",
    "signed": "active",
    "active": "active",
    "paused": "on-hold",
    "completed": "completed",
    "stopped": "stopped",
    "superseded": "cancelled",
}

# The drug and route of a treatment's modality (treatments.MODALITIES).
MODALITY: dict[str, tuple[str, str]] = {
    "iv_ketamine": ("ketamine", "iv"),
    "im_ketamine": ("ketamine", "im"),
    "sl_ketamine": ("ketamine", "sublingual"),
    "esketamine_nasal": ("esketamine", "intranasal"),
}

# A plan's dose unit (clinical.treatment) in UCUM; a unit not listed is given in words.
DOSE_UNITS: dict[str, str] = {
    "mg": "mg",
    "mg_per_kg": "mg/kg",
    "mg_per_kg_per_hour": "mg/kg/h",
    "mg_per_hour": "mg/h",
}
