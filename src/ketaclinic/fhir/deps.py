"""Request helpers of the FHIR server, and its one permission check.

Every FHIR interaction asks ``require_fhir`` which clinics the caller may read
``resource_type`` in: the place where SMART scopes (``user/Patient.rs``,
``system/*.rs``) narrow it further when they arrive. Today it applies the roles of
the JSON API: reading any of these resources is ``patient.read`` in the clinic.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from fastapi import Request

from ketaclinic.clinical.treatment import Protocol
from ketaclinic.fhir.mapping_care import ProtocolFacts
from ketaclinic.identity.roles import Permission
from ketaclinic.smart.deps import Caller, require_scope

Interaction = Literal["read", "search-type"]
# FHIR's interaction names as SMART scopes spell them (the "r" and "s" of ".rs").
SCOPE_INTERACTION = {"read": "read", "search-type": "search"}

# The permission each resource type needs (the JSON API's for the same records).
PERMISSION: Mapping[str, Permission] = {
    name: Permission.PATIENT_READ
    for name in (
        "Patient",
        "Practitioner",
        "PractitionerRole",
        "Organization",
        "Location",
        "Encounter",
        "Appointment",
        "Observation",
        "Questionnaire",
        "QuestionnaireResponse",
        "Condition",
        "MedicationStatement",
        "AllergyIntolerance",
        "MedicationAdministration",
        "MedicationRequest",
        "CarePlan",
    )
}


def require_fhir(caller: Caller, resource_type: str, interaction: Interaction) -> list[int]:
    """The clinics whose ``resource_type`` the caller may read or search: the role's
    permission (403 ``role_not_allowed`` when none) and a SMART scope that allows the
    interaction (403 ``scope_not_granted``). The one check of the FHIR server's reads."""
    clinic_ids = caller.principal.require_any(PERMISSION[resource_type])
    require_scope(caller.scopes, resource_type, SCOPE_INTERACTION[interaction])
    return clinic_ids


def protocol_facts(request: Request) -> dict[str, ProtocolFacts]:
    """The drug, route and name of each protocol the app serves (clinic_data)."""
    return facts_of(request.app.state.protocols)


def facts_of(protocols: Mapping[str, Protocol]) -> dict[str, ProtocolFacts]:
    return {
        pid: ProtocolFacts(name=str(p.name), drug=p.drug, route=str(p.route))
        for pid, p in protocols.items()
    }
