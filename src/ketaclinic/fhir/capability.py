"""The CapabilityStatement: exactly what this server does, read from the same
tables the search uses (so the two cannot disagree)."""

from __future__ import annotations

from typing import Any

from ketaclinic import __version__
from ketaclinic.clinical import fhir_codes as fc
from ketaclinic.fhir.search import RESOURCE_TYPES, params_of

# The US Core 6.1.0 profiles each type's resources claim (where one exists).
PROFILES: dict[str, tuple[str, ...]] = {
    "Patient": ("us-core-patient",),
    "Practitioner": ("us-core-practitioner",),
    "PractitionerRole": ("us-core-practitionerrole",),
    "Organization": ("us-core-organization",),
    "Location": ("us-core-location",),
    "Encounter": ("us-core-encounter",),
    "Observation": (
        "us-core-blood-pressure",
        "us-core-heart-rate",
        "us-core-respiratory-rate",
        "us-core-pulse-oximetry",
        "us-core-body-weight",
        "us-core-body-height",
        "us-core-observation-screening-assessment",
    ),
    "QuestionnaireResponse": ("us-core-questionnaireresponse",),
    "Condition": ("us-core-condition-problems-health-concerns",),
    "AllergyIntolerance": ("us-core-allergyintolerance",),
    "MedicationRequest": ("us-core-medicationrequest",),
    "CarePlan": ("us-core-careplan",),
}

_RESULT_PARAMS = (
    ("_count", "number", "Entries per page (default 50, at most 200)"),
    ("_offset", "number", "Entries to skip (the next link carries it)"),
    ("_total", "token", "Accepted; Bundle.total is always the accurate count"),
    ("_format", "token", "json or application/fhir+json (the only format served)"),
)


def capability_statement(base_url: str, software_date: str) -> dict[str, Any]:
    resources = []
    for name in RESOURCE_TYPES:
        entry: dict[str, Any] = {
            "type": name,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "versioning": "no-version",
            "readHistory": False,
            "searchParam": [
                {"name": p.name, "type": p.type, "documentation": p.doc}
                for p in params_of(name).values()
            ]
            + [{"name": n, "type": t, "documentation": d} for n, t, d in _RESULT_PARAMS],
        }
        if name in PROFILES:
            entry["supportedProfile"] = [fc.profile(p) for p in PROFILES[name]]
        if name == "Observation":
            entry["documentation"] = "A search names the patient (patient=...) or the _id."
        resources.append(entry)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": software_date,
        "publisher": "KetaClinic",
        "kind": "instance",
        "software": {"name": "KetaClinic", "version": __version__},
        "implementation": {
            "description": "KetaClinic FHIR R4 read and search server. The JSON API's "
            "OpenAPI document (/api/openapi.json) does not describe these routes.",
            "url": base_url,
        },
        "fhirVersion": fc.FHIR_VERSION,
        "format": ["application/fhir+json", "json"],
        "implementationGuide": [
            f"http://hl7.org/fhir/us/core/ImplementationGuide/hl7.fhir.us.core|{fc.US_CORE_VERSION}"
        ],
        "rest": [
            {
                "mode": "server",
                "documentation": "Read and search only; no writes, history or _include.",
                "security": {
                    "cors": False,
                    "description": "An API token (Authorization: Bearer ...) or a signed-in "
                    "staff session, with the roles of the JSON API: patient.read in the "
                    "clinic. Another clinic's records are not found (404).",
                },
                "resource": resources,
            }
        ],
    }
