"""/admin/fhir-clients: an administrator registers a backend client with its public
keys, sees it by name, and revokes it; each change audited; other clinics' clients
and other roles kept out (issue 22 point 3)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.clinics.models import Clinic
from ketaclinic.smart.models import SmartClient
from tests.conftest import Persona, _persona
from tests.smart.conftest import Register, ec_keys, jwks_of

Api = Callable[[Persona], TestClient]


def _form(**changes: str) -> dict[str, str]:
    return {
        "name": "State ketamine registry",
        "role": "nurse",
        "scopes": "system/Patient.rs system/Observation.rs",
        "jwks": jwks_of(ec_keys()),
    } | changes


def test_it_registers_a_client_and_shows_its_client_id_and_token_address(
    api: Api, db: Session, admin: Persona
) -> None:
    page = api(admin).post("/admin/fhir-clients", data=_form())
    assert page.status_code == 200, page.text
    row = db.scalars(select(SmartClient).where(SmartClient.clinic_id == admin.clinic.id)).one()
    assert row.name == "State ketamine registry" and row.role == "nurse"
    assert f'value="{row.client_id}"' in page.text
    assert 'value="http://127.0.0.1:8000/fhir/auth/token"' in page.text
    listed = api(admin).get("/admin/fhir-clients").text
    assert "State ketamine registry" in listed and "Nurse" in listed
    assert "by Ada Admin" in listed
    db.expire_all()
    event = db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "fhir_client.registered",
            AuditEvent.resource_id == str(row.id),
        )
    ).one()
    assert event.clinic_id == admin.clinic.id and event.actor == admin.email


def test_it_names_each_field_to_correct(api: Api, db: Session, admin: Persona) -> None:
    page = api(admin).post(
        "/admin/fhir-clients",
        data=_form(
            name="",
            role="admin",
            scopes="user/*.rs",
            jwks='{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}',
        ),
    )
    assert page.status_code == 422
    for words in ("name the system", "must be one of", "only system scopes", "private or secret"):
        assert words in page.text
    assert 'value="user/*.rs"' in page.text  # what was typed is kept
    assert (
        db.scalars(select(SmartClient).where(SmartClient.clinic_id == admin.clinic.id)).all() == []
    )


def test_it_revokes_a_client_and_records_who(
    api: Api, db: Session, admin: Persona, register: Register
) -> None:
    client = register()
    answer = api(admin).post(f"/admin/fhir-clients/{client.id}/revoke", follow_redirects=False)
    assert answer.status_code == 303
    db.expire_all()
    assert db.get(SmartClient, client.id).revoked_at is not None  # type: ignore[union-attr]
    page = api(admin).get("/admin/fhir-clients").text
    assert "revoked" in page and f"/admin/fhir-clients/{client.id}/revoke" not in page
    actions = db.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.resource_type == "fhir_client", AuditEvent.resource_id == str(client.id))
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["fhir_client.registered", "fhir_client.revoked"]


def test_it_keeps_other_clinics_and_other_roles_out(
    api: Api, db: Session, register: Register, nurse: Persona, other_clinic: Clinic
) -> None:
    client = register(name="Lakeside registry")
    assert api(nurse).get("/admin/fhir-clients").status_code == 403
    assert api(nurse).post("/admin/fhir-clients", data=_form()).status_code == 403
    other_admin = _persona(db, "admin", other_clinic, "Olga Other")
    assert "Lakeside registry" not in api(other_admin).get("/admin/fhir-clients").text
    refused = api(other_admin).post(f"/admin/fhir-clients/{client.id}/revoke")
    assert refused.status_code == 404
    db.expire_all()
    assert db.get(SmartClient, client.id).revoked_at is None  # type: ignore[union-attr]
