"""Registering, listing and revoking backend clients (an administrator's work, from
/admin/fhir-clients or ``ketaclinic fhir-client``); every change audited."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission, Role
from ketaclinic.identity.scopes import Context, ScopeInvalid, parse_scopes, render
from ketaclinic.kit.time import utcnow
from ketaclinic.smart import repository
from ketaclinic.smart.assertion import KeysInvalid, load_jwks
from ketaclinic.smart.errors import ClientDetailsInvalid, ClientNotFound
from ketaclinic.smart.models import NAME_MAX, SmartClient

MANAGE = Permission.STAFF_ADMIN
DEFAULT_SCOPES = "system/*.rs"
# A backend client reads the clinical record as one of these roles (what that role may
# read, and no more); none of the others reads charts.
CLIENT_ROLES = (Role.PRESCRIBER, Role.NURSE, Role.FRONT_DESK)


@dataclass(frozen=True)
class Listed:
    client: SmartClient
    clinic: Clinic


def _checked(name: str, role: str, scopes: str, jwks: str) -> tuple[str, Role, str, str]:
    fields: dict[str, str] = {}
    name = " ".join(name.split())
    if not name or len(name) > NAME_MAX:
        fields["name"] = f"name the system, 1 to {NAME_MAX} characters"
    parsed_role = next((r for r in CLIENT_ROLES if r.value == role), None)
    if parsed_role is None:
        fields["role"] = "must be one of " + ", ".join(r.value for r in CLIENT_ROLES)
    try:
        parsed = parse_scopes(scopes, contexts=[Context.SYSTEM])
        if not parsed:
            fields["scopes"] = "give at least one scope, e.g. system/*.rs"
    except ScopeInvalid as exc:
        fields["scopes"] = str(exc)
        parsed = []
    try:
        load_jwks(jwks)
    except KeysInvalid as exc:
        fields["jwks"] = str(exc)
    if fields:
        raise ClientDetailsInvalid("Please correct the client's details.", fields)
    assert parsed_role is not None
    return name, parsed_role, render(parsed), jwks.strip()


def register(
    db: Session,
    principal: Principal,
    clinic_id: int,
    *,
    name: str,
    role: str,
    scopes: str,
    jwks: str,
) -> SmartClient:
    """A new client of ``clinic_id``; its ``client_id`` is what the system's operator
    puts in the assertion's iss and sub."""
    principal.require(MANAGE, clinic_id)
    name, parsed_role, canonical, jwks = _checked(name, role, scopes, jwks)
    row = SmartClient(
        clinic_id=clinic_id,
        client_id=secrets.token_urlsafe(24),
        name=name,
        role=parsed_role.value,
        scopes=canonical,
        jwks=jwks,
        created_by=principal.user_id,
    )
    db.add(row)
    db.flush()
    audit.record(
        db,
        principal,
        "fhir_client.registered",
        clinic_id=clinic_id,
        resource_type="fhir_client",
        resource_id=row.id,
        detail={"name": name, "role": row.role, "scopes": canonical},
    )
    return row


def listed(db: Session, principal: Principal) -> list[Listed]:
    clinics = principal.clinics_with(MANAGE)
    return [Listed(c, k) for c, k in repository.clients_in(db, clinics)]


def revoke(db: Session, principal: Principal, client_pk: int) -> SmartClient:
    """The client can no longer get a token, and the tokens it has stop working."""
    row = repository.client_for_update(db, client_pk)
    if row is None or not principal.can(MANAGE, row.clinic_id):
        raise ClientNotFound("No FHIR client with that id.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        row.revoked_by = principal.user_id
        audit.record(
            db,
            principal,
            "fhir_client.revoked",
            clinic_id=row.clinic_id,
            resource_type="fhir_client",
            resource_id=row.id,
            detail={"name": row.name},
        )
    return row
