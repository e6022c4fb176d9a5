"""Condition, MedicationStatement, AllergyIntolerance, Observation, Questionnaire and
QuestionnaireResponse from the chart, the vital signs and the questionnaires."""

from __future__ import annotations

import json
import re
from typing import Any

from ketaclinic.clinical import fhir_codes as fc
from ketaclinic.clinical.scales import Instrument
from ketaclinic.fhir.models import (
    Allergy,
    BodyMeasurement,
    Diagnosis,
    Medication,
    QuestionnaireResponse,
    VitalReading,
)
from ketaclinic.fhir.shapes import concept, instant, meta, narrative, quantity, ref

VITAL_SIGNS = {"coding": [fc.Code(fc.OBSERVATION_CATEGORY, "vital-signs", "Vital Signs").coding()]}
SURVEY = {"coding": [fc.Code(fc.OBSERVATION_CATEGORY, "survey", "Survey").coding()]}
SCORE_UNIT = "{score}"


# The parts every resource of a kind shares, made once: a bulk export maps thousands
# a second. Shared, so never changed once made.
_CONDITION_PROFILE = fc.profile("us-core-condition-problems-health-concerns")
_CONDITION_STATUS = {
    active: {"coding": [{"system": fc.CONDITION_CLINICAL, "code": code}]}
    for active, code in ((True, "active"), (False, "inactive"))
}
_CONDITION_CONFIRMED = {"coding": [{"system": fc.CONDITION_VERIFICATION, "code": "confirmed"}]}
_PROBLEM_LIST_ITEM = {
    "coding": [fc.Code(fc.CONDITION_CATEGORY, "problem-list-item", "Problem List Item").coding()]
}
_ALLERGY_PROFILE = fc.profile("us-core-allergyintolerance")
_ALLERGY_CONFIRMED = {"coding": [{"system": fc.ALLERGY_VERIFICATION, "code": "confirmed"}]}


def _vital_code(key: str) -> dict[str, Any]:
    spec = fc.VITALS[key]
    codings = [spec.code.coding()]
    if key == "spo2":
        codings.append(fc.SPO2.coding())
    return {"coding": codings, "text": spec.code.display}


_VITAL_CODES = {key: _vital_code(key) for key in fc.VITALS}


def condition(d: Diagnosis) -> dict[str, Any]:
    recorded = instant(d.recorded_at)
    return {
        "resourceType": "Condition",
        "id": str(d.id),
        "meta": {"lastUpdated": recorded, "profile": [_CONDITION_PROFILE]},
        "clinicalStatus": _CONDITION_STATUS[bool(d.active)],
        "verificationStatus": _CONDITION_CONFIRMED,
        "category": [_PROBLEM_LIST_ITEM],
        "code": {
            "coding": [{"system": fc.ICD10CM, "code": d.code, "display": d.label}],
            "text": d.label,
        },
        "subject": {"reference": f"Patient/{d.patient_id}"},
        "recordedDate": recorded,
    }


def medication_statement(m: Medication) -> dict[str, Any]:
    recorded = instant(m.recorded_at)
    found: dict[str, Any] = {
        "resourceType": "MedicationStatement",
        "id": str(m.id),
        "meta": {"lastUpdated": recorded},
        "status": "active" if m.active else "stopped",
        "medicationCodeableConcept": {"text": m.name},
        "subject": {"reference": f"Patient/{m.patient_id}"},
        "dateAsserted": recorded,
    }
    if m.dose:
        found["dosage"] = [{"text": m.dose}]
    return found


def allergy(a: Allergy) -> dict[str, Any]:
    recorded = instant(a.recorded_at)
    found: dict[str, Any] = {
        "resourceType": "AllergyIntolerance",
        "id": str(a.id),
        "meta": {"lastUpdated": recorded, "profile": [_ALLERGY_PROFILE]},
        "clinicalStatus": {
            "coding": [
                {"system": fc.ALLERGY_CLINICAL, "code": "active" if a.active else "inactive"}
            ]
        },
        "verificationStatus": _ALLERGY_CONFIRMED,
        "code": {"text": a.substance},
        "patient": {"reference": f"Patient/{a.patient_id}"},
        "recordedDate": recorded,
    }
    if a.reaction:
        found["reaction"] = [{"manifestation": [{"text": a.reaction}]}]
    return found


def _vital(key: str, row_id: int, patient_id: int, when: str, recorded: str) -> dict[str, Any]:
    """The parts of a vital sign's Observation every one has (``when`` and
    ``recorded``: instants)."""
    return {
        "resourceType": "Observation",
        "id": f"{key}-{row_id}",
        "meta": {"lastUpdated": recorded, "profile": [fc.VITALS[key].profile]},
        "status": "final",
        "category": [VITAL_SIGNS],
        "code": _VITAL_CODES[key],
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": when,
    }


def reading_keys(r: VitalReading) -> list[str]:
    """The vital signs a reading holds (blood pressure: both values), in order."""
    keys = ["bp"] if r.systolic is not None and r.diastolic is not None else []
    values = (("hr", r.heart_rate), ("rr", r.respiratory_rate), ("spo2", r.spo2))
    return keys + [key for key, value in values if value is not None]


def vital_of_reading(r: VitalReading, key: str) -> dict[str, Any]:
    """One Observation of a reading: ``key`` is one of ``reading_keys(r)``."""
    return _of_reading(r, key, instant(r.taken_at), instant(r.at))


def _of_reading(r: VitalReading, key: str, when: str, recorded: str) -> dict[str, Any]:
    obs = _vital(key, r.id, r.patient_id, when, recorded)
    if key == "bp":
        obs["component"] = [
            {"code": concept(code), "valueQuantity": quantity(value or 0, "mm[Hg]", "mmHg")}
            for code, value in ((fc.SYSTOLIC, r.systolic), (fc.DIASTOLIC, r.diastolic))
        ]
    else:
        spec = fc.VITALS[key]
        value = {"hr": r.heart_rate, "rr": r.respiratory_rate, "spo2": r.spo2}[key]
        obs["valueQuantity"] = quantity(value or 0, spec.unit, spec.unit_display)
    obs["encounter"] = ref("Encounter", r.session_id)
    if r.by_id:
        obs["performer"] = [ref("Practitioner", r.by_id)]
    return obs


def vitals_of_reading(r: VitalReading) -> list[dict[str, Any]]:
    when, recorded = instant(r.taken_at), instant(r.at)
    return [_of_reading(r, key, when, recorded) for key in reading_keys(r)]


def vitals_of_measurement(m: BodyMeasurement) -> list[dict[str, Any]]:
    found = []
    when, recorded = instant(m.measured_at), instant(m.recorded_at)
    for key, value in (("weight", m.weight_kg), ("height", m.height_cm)):
        if value is not None:
            spec = fc.VITALS[key]
            obs = _vital(key, m.id, m.patient_id, when, recorded)
            obs["valueQuantity"] = quantity(value, spec.unit, spec.unit_display)
            found.append(obs)
    return found


def fhir_id(instrument_id: str) -> str:
    """FHIR ids take letters, digits, '-' and '.': an instrument's '_' becomes '-'."""
    return instrument_id.replace("_", "-")


def questionnaire_url(instrument: Instrument) -> str:
    return fc.QUESTIONNAIRE_BASE + fhir_id(instrument.id)


def scores_of_response(q: QuestionnaireResponse, instrument: Instrument) -> list[dict[str, Any]]:
    """The total as an Observation (US Core screening assessment), and the items that
    have a LOINC code of their own (PHQ-9 item 9)."""
    code = fc.score_code(instrument.id, instrument.name, instrument.loinc_total)
    base: dict[str, Any] = {
        "resourceType": "Observation",
        "meta": meta(q.recorded_at, fc.profile("us-core-observation-screening-assessment")),
        "status": "final",
        "category": [SURVEY],
        "subject": ref("Patient", q.patient_id),
        "effectiveDateTime": instant(q.completed_at),
        "derivedFrom": [ref("QuestionnaireResponse", q.id)],
    }
    total = {
        **base,
        "id": f"score-{q.id}",
        "code": concept(code),
        "valueQuantity": quantity(q.total, SCORE_UNIT, "score"),
        "interpretation": [{"text": q.band}] if q.band else [],
    }
    if not total["interpretation"]:
        del total["interpretation"]
    found = [total]
    answers = json.loads(q.answers)
    for item_id, item_code in fc.ITEM_LOINC.items():
        if item_id in answers and item_id in instrument.item_ids:
            found.append(
                {
                    **base,
                    "id": f"item-{fhir_id(item_id)}-{q.id}",
                    "code": concept(item_code),
                    "valueQuantity": quantity(int(answers[item_id]), SCORE_UNIT, "score"),
                }
            )
    return found


def questionnaire(instrument: Instrument) -> dict[str, Any]:
    items = []
    for item in instrument.items:
        items.append(
            {
                "linkId": item.id,
                "code": [fc.item_code(item.id, item.text).coding()],
                "text": item.text,
                "type": "choice",
                "required": item.required,
                "answerOption": [
                    {"valueCoding": {"code": str(value), "display": label}}
                    for value, label in instrument.choices(item)
                ],
            }
        )
    code = fc.score_code(instrument.id, instrument.name, instrument.loinc_total)
    return {
        "resourceType": "Questionnaire",
        "id": fhir_id(instrument.id),
        "url": questionnaire_url(instrument),
        "version": instrument.version,
        "name": re.sub(r"[^A-Za-z0-9]", "", instrument.id.title()),
        "title": instrument.name,
        "status": "active",
        "subjectType": ["Patient"],
        "code": [code.coding()],
        "text": narrative(instrument.name),
        "item": items,
    }


_LABELS: dict[tuple[str, str], dict[str, dict[int, str]]] = {}


def _labels(instrument: Instrument) -> dict[str, dict[int, str]]:
    """Each item's answer labels by value (an instrument's version never changes)."""
    key = (instrument.id, instrument.version)
    if key not in _LABELS:
        _LABELS[key] = {item.id: dict(instrument.choices(item)) for item in instrument.items}
    return _LABELS[key]


def questionnaire_response(q: QuestionnaireResponse, instrument: Instrument) -> dict[str, Any]:
    answers = json.loads(q.answers)
    labels = _labels(instrument)
    items = []
    for item in instrument.items:
        if item.id not in answers or answers[item.id] is None:
            continue
        value = int(answers[item.id])
        coding = {"code": str(value)}
        if value in labels[item.id]:
            coding["display"] = labels[item.id][value]
        items.append({"linkId": item.id, "text": item.text, "answer": [{"valueCoding": coding}]})
    author = (
        ref("Practitioner", q.entered_by_id)
        if q.completed_by == "staff" and q.entered_by_id
        else ref("Patient", q.patient_id)
    )
    return {
        "resourceType": "QuestionnaireResponse",
        "id": str(q.id),
        "meta": meta(q.recorded_at, fc.profile("us-core-questionnaireresponse")),
        "identifier": {
            "system": fc.KETACLINIC_SYSTEM + "questionnaire-response",
            "value": str(q.id),
        },
        "questionnaire": f"{questionnaire_url(instrument)}|{q.instrument_version}",
        "status": "completed",
        "subject": ref("Patient", q.patient_id),
        "authored": instant(q.completed_at),
        "author": author,
        "source": ref("Patient", q.patient_id),
        "item": items,
    }
