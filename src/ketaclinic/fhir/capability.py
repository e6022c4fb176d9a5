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
    ("_count", "number", "Entries per page (default 50); more than 200 is refused (400)"),
    ("_offset", "number", "Matches to skip"),
    (
        "_total",
        "token",
        "none leaves Bundle.total out; accurate counts every match. Otherwise the total "
        "is given when known without reading further (always when the patient is named)",
    ),
    ("_format", "token", "json or application/fhir+json (the only format served)"),
)

# FHIR Bulk Data Access IG (v2): the operations and the CapabilityStatement this
# server instantiates (served by fhir.bulk_endpoints).
BULK_DATA = "http://hl7.org/fhir/uv/bulkdata"
_EXPORT_DOC = (
    "_type, _since and _outputFormat=application/fhir+ndjson; kick-off 202 with "
    "Content-Location, polled (202 with X-Progress, then 200 with the manifest), "
    "cancelled with DELETE. Needs records.export in the caller's role."
)


def _export(definition: str) -> dict[str, str]:
    return {
        "name": "export",
        "definition": f"{BULK_DATA}/OperationDefinition/{definition}",
        "documentation": _EXPORT_DOC,
    }


def _security(token_url: str) -> dict[str, Any]:
    return {
        "cors": False,
        "service": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                        "code": "SMART-on-FHIR",
                    }
                ],
                "text": "SMART Backend Services (client credentials, signed JWT assertion)",
            }
        ],
        "extension": [
            {
                "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                "extension": [{"url": "token", "valueUri": token_url}],
            }
        ],
        "description": "A bearer token: a backend client's SMART access token (from the "
        "token endpoint, scopes system/*.rs) or a staff member's API token, with the "
        "roles of the JSON API: patient.read in the clinic. Another clinic's records "
        "are not found (404).",
    }


def capability_statement(base_url: str, software_date: str, token_url: str) -> dict[str, Any]:
    resources: list[dict[str, Any]] = []
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
        if name == "Patient":
            entry["operation"] = [_export("patient-export")]
        resources.append(entry)
    resources.append(
        {
            "type": "Group",
            "documentation": "A group is one of the caller's clinics (its id the clinic's "
            "slug); only its $export is served, no read or search.",
            "operation": [_export("group-export")],
        }
    )
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
        "instantiates": [f"{BULK_DATA}/CapabilityStatement/bulk-data"],
        "fhirVersion": fc.FHIR_VERSION,
        "format": ["application/fhir+json", "json"],
        "implementationGuide": [
            f"http://hl7.org/fhir/us/core/ImplementationGuide/hl7.fhir.us.core|{fc.US_CORE_VERSION}"
        ],
        "rest": [
            {
                "mode": "server",
                "documentation": "Read, search and bulk export only; no writes, history, "
                "_include or _sort. A search parameter not listed is refused (400, an "
                "OperationOutcome naming it). Page through Bundle.link next (its address "
                "is opaque: a search naming no patient pages by a cursor, _after).",
                "security": _security(token_url),
                "resource": resources,
                "operation": [_export("export")],
            }
        ],
    }
