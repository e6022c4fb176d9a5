"""FHIR Bundles as another system would export them, for the import tests."""

from __future__ import annotations

import json
from typing import Any

BIRTH_SEX = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"


def patient(pid: str, given: str, family: str, born: str, sex: str | None = "F") -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": pid,
        "name": [{"use": "official", "family": family, "given": [given]}],
        "birthDate": born,
        "gender": "female",
        "telecom": [{"system": "email", "value": f"{given.lower()}@example.org"}],
        "address": [{"line": ["12 Elm St"], "city": "Austin", "state": "TX", "country": "US"}],
    }
    if sex:
        resource["extension"] = [{"url": BIRTH_SEX, "valueCode": sex}]
    return {"fullUrl": f"urn:uuid:{pid}", "resource": resource}


def condition(
    cid: str, pid: str, code: str, display: str, status: str = "active"
) -> dict[str, Any]:
    return {
        "resource": {
            "resourceType": "Condition",
            "id": cid,
            "clinicalStatus": {"coding": [{"code": status}]},
            "code": {"coding": [{"system": ICD, "code": code, "display": display}]},
            "subject": {"reference": f"urn:uuid:{pid}"},
        }
    }


def medication(mid: str, pid: str, name: str, dose: str, status: str = "active") -> dict[str, Any]:
    return {
        "resource": {
            "resourceType": "MedicationStatement",
            "id": mid,
            "status": status,
            "medicationCodeableConcept": {"text": name},
            "subject": {"reference": f"urn:uuid:{pid}"},
            "dosage": [{"text": dose}],
        }
    }


def allergy(aid: str, pid: str, substance: str, reaction: str) -> dict[str, Any]:
    return {
        "resource": {
            "resourceType": "AllergyIntolerance",
            "id": aid,
            "code": {"text": substance},
            "patient": {"reference": f"Patient/{pid}"},
            "reaction": [{"manifestation": [{"text": reaction}]}],
        }
    }


def bundle(*entries: dict[str, Any]) -> bytes:
    return json.dumps(
        {"resourceType": "Bundle", "type": "collection", "entry": list(entries)}
    ).encode()


def onboarding() -> bytes:
    """Two patients with their records, and entries this import refuses or ignores."""
    return bundle(
        patient("p1", "Maren", "Holt", "1979-04-02"),
        patient("p2", "Ilya", "Brandt", "1991-11-30", sex=None),
        condition("c1", "p1", "F33.2", "Major depressive disorder, recurrent severe"),
        condition("c2", "p1", "F41.1", "Generalized anxiety disorder", status="resolved"),
        condition("c3", "p2", "F43.10", "Post-traumatic stress disorder"),
        {  # a SNOMED-only condition: refused
            "resource": {
                "resourceType": "Condition",
                "id": "c4",
                "code": {"coding": [{"system": "http://snomed.info/sct", "code": "35489007"}]},
                "subject": {"reference": "urn:uuid:p2"},
            }
        },
        medication("m1", "p1", "Sertraline 100 mg tablet", "1 tablet daily"),
        medication("m2", "p1", "Bupropion XL 150 mg", "daily", status="stopped"),
        allergy("a1", "p1", "Penicillin", "Hives"),
        condition("c5", "nobody", "F32.9", "Depression"),  # its patient is not here
        {"resource": {"resourceType": "Patient", "id": "p3", "birthDate": "1980-13-40"}},
        {
            "resource": {
                "resourceType": "Observation",
                "id": "o1",
                "status": "final",
                "code": {"text": "weight"},
            }
        },
    )
