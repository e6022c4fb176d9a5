"""The permission each FHIR route needs in the caller's role (issue 22).

The FHIR routes take bearer tokens only, a staff member's API token or a backend
client's SMART access token (``Access.SMART`` in ``identity.routes``: the route
resolves the caller, see smart.deps). Each still needs its permission in the
caller's role, checked by the route (fhir.deps.require_fhir, fhir.bulk.kick_off),
and a scope that allows it. Reading or searching any resource type is reading
charts (fhir.deps.require_fhir narrows it per type).
"""

from __future__ import annotations

from ketaclinic.identity.roles import Permission

P = Permission

FHIR_TYPES = (  # noqa: SIM905 - a list of sixteen, one a line, would crowd the table
    "Patient Practitioner PractitionerRole Organization Location Encounter Appointment "
    "Observation Questionnaire QuestionnaireResponse Condition MedicationStatement "
    "AllergyIntolerance MedicationAdministration MedicationRequest CarePlan"
).split()

SMART_PERMISSIONS: dict[str, Permission] = {
    # Bulk Data export: kick-off, status, delete and the files (fhir.bulk).
    "GET /fhir/$export": P.RECORDS_EXPORT,
    "GET /fhir/Patient/$export": P.RECORDS_EXPORT,
    "GET /fhir/Group/{group_id}/$export": P.RECORDS_EXPORT,
    "GET /fhir/bulk/{export_id}": P.RECORDS_EXPORT,
    "DELETE /fhir/bulk/{export_id}": P.RECORDS_EXPORT,
    "GET /fhir/bulk/{export_id}/{file_name}": P.RECORDS_EXPORT,
}
for _type in FHIR_TYPES:
    SMART_PERMISSIONS[f"GET /fhir/{_type}"] = P.PATIENT_READ
    SMART_PERMISSIONS[f"GET /fhir/{_type}/{{resource_id}}"] = P.PATIENT_READ
