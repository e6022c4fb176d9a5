"""Patient, Practitioner, PractitionerRole, Organization and Location from the
registry, the staff accounts and the clinics (US Core 6.1.0)."""

from __future__ import annotations

from typing import Any

from ketaclinic.clinical import fhir_codes as fc
from ketaclinic.fhir.models import Clinic, Membership, Patient, User
from ketaclinic.fhir.shapes import instant, meta, ref, split_name

PATIENT_PROFILE = fc.profile("us-core-patient")


def patient(p: Patient) -> dict[str, Any]:
    found: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(p.id),
        "meta": {"lastUpdated": instant(p.updated_at), "profile": [PATIENT_PROFILE]},
        "extension": [{"url": fc.US_CORE_BIRTH_SEX, "valueCode": fc.birth_sex(p.sex_at_birth)}],
        "identifier": [
            {
                "use": "usual",
                "type": {"text": "Medical record number"},
                "system": f"{fc.MRN_SYSTEM}/{p.clinic_id}",
                "value": p.mrn,
            }
        ],
        "active": p.status == "active",
        "name": [
            {
                "use": "official",
                "text": f"{p.given_name} {p.family_name}",
                "family": p.family_name,
                "given": [p.given_name],
            }
        ],
        "gender": fc.GENDER.get(p.sex_at_birth, "unknown"),
        "birthDate": p.birth_date.isoformat(),
        "managingOrganization": {"reference": f"Organization/{p.clinic_id}"},
    }
    telecom = []
    if p.phone:
        telecom.append({"system": "phone", "value": p.phone, "use": "mobile"})
    if p.email:
        telecom.append({"system": "email", "value": p.email})
    if telecom:
        found["telecom"] = telecom
    address: dict[str, Any] = {}
    if p.address_line:
        address["line"] = [p.address_line]
    if p.city:
        address["city"] = p.city
    if p.region:
        address["state"] = p.region
    if p.postal_code:
        address["postalCode"] = p.postal_code
    if p.country:
        address["country"] = p.country
    if address:
        found["address"] = [{"use": "home", **address}]
    return found


def practitioner(u: User) -> dict[str, Any]:
    return {
        "resourceType": "Practitioner",
        "id": str(u.id),
        "meta": meta(u.created_at, fc.profile("us-core-practitioner")),
        "identifier": [{"system": fc.STAFF_ID_SYSTEM, "value": str(u.id)}],
        "active": u.is_active,
        "name": [split_name(u.name)],
        "telecom": [{"system": "email", "value": u.email, "use": "work"}],
    }


def practitioner_role(m: Membership, u: User) -> dict[str, Any]:
    role = fc.STAFF_ROLES.get(m.role, m.role)
    return {
        "resourceType": "PractitionerRole",
        "id": str(m.id),
        "meta": meta(u.created_at, fc.profile("us-core-practitionerrole")),
        "active": u.is_active,
        "practitioner": ref("Practitioner", u.id, u.name),
        "organization": ref("Organization", m.clinic_id),
        "code": [{"coding": [{"system": fc.STAFF_ROLE_SYSTEM, "code": m.role, "display": role}]}],
        "location": [ref("Location", m.clinic_id)],
        "telecom": [{"system": "email", "value": u.email, "use": "work"}],
    }


def organization(c: Clinic) -> dict[str, Any]:
    found: dict[str, Any] = {
        "resourceType": "Organization",
        "id": str(c.id),
        "meta": meta(c.created_at, fc.profile("us-core-organization")),
        "identifier": [{"system": fc.CLINIC_ID_SYSTEM, "value": c.slug}],
        "active": True,
        "name": c.name,
    }
    if c.address:
        found["address"] = [_address(c)]
    return found


def location(c: Clinic) -> dict[str, Any]:
    """The clinic's site (its chairs are inside it)."""
    found: dict[str, Any] = {
        "resourceType": "Location",
        "id": str(c.id),
        "meta": meta(c.created_at, fc.profile("us-core-location")),
        "identifier": [{"system": fc.CLINIC_ID_SYSTEM, "value": c.slug}],
        "status": "active",
        "name": c.name,
        "mode": "instance",
        "managingOrganization": ref("Organization", c.id, c.name),
    }
    if c.address:
        found["address"] = _address(c)
    return found


def _address(c: Clinic) -> dict[str, Any]:
    found: dict[str, Any] = {"use": "work", "text": c.address, "country": c.country}
    if c.subdivision:
        found["state"] = c.subdivision
    return found
