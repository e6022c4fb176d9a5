"""What the FHIR routes will ask: the caller behind a bearer token with its SMART
scopes (an API token's chosen scopes, or user/*.rs when none; a backend client's
granted ones) and the 403 ``scope_not_granted`` a missing scope answers. Shown on a
placeholder route made here (the FHIR routes are issue 22's other points)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.audit.service import record
from ketaclinic.auth.service import create_api_token
from ketaclinic.identity.routes import ROUTE_RULES, Access
from ketaclinic.kit.web import DbSession
from ketaclinic.smart.deps import SmartCaller, require_scope
from tests.conftest import Persona
from tests.smart.conftest import Register, assertion, rsa_keys, token_form

PLACEHOLDER = "/fhir/Placeholder/{resource_type}"


@pytest.fixture
def fhir_app(app: FastAPI) -> FastAPI:
    """The app with one placeholder FHIR read: the scope it needs, then an audit event
    naming whoever read (a staff member or ``fhir-client:<id>``)."""

    @app.get(PLACEHOLDER)
    def placeholder(resource_type: str, caller: SmartCaller, db: DbSession) -> dict[str, Any]:
        require_scope(caller.scopes, resource_type, "read")
        clinic = sorted(caller.principal.roles)[0]
        record(db, caller.principal, "fhir.placeholder.read", clinic_id=clinic)
        return {"actor": caller.principal.email}

    ROUTE_RULES[f"GET {PLACEHOLDER}"] = Access.SMART
    return app


@pytest.fixture(autouse=True)
def _forget_placeholder_rule() -> Any:
    yield
    ROUTE_RULES.pop(f"GET {PLACEHOLDER}", None)


def _token(db: Session, persona: Persona, scopes: str | None) -> dict[str, str]:
    token = create_api_token(db, persona.user, label="fhir", scopes=scopes)
    db.commit()
    return {"Authorization": f"Bearer {token}"}


def test_it_reads_an_api_token_without_scopes_as_user_star_rs(
    fhir_app: FastAPI, db: Session, nurse: Persona
) -> None:
    with TestClient(fhir_app) as c:
        bearer = {"Authorization": f"Bearer {nurse.token}"}
        assert c.get("/fhir/Placeholder/Observation", headers=bearer).status_code == 200
        seen = c.get("/fhir/auth/introspect", headers=bearer).json()
    assert seen["scope"] == "user/*.rs" and seen["roles"] == ["nurse"]


def test_it_holds_an_api_token_to_its_scopes(
    fhir_app: FastAPI, db: Session, nurse: Persona
) -> None:
    bearer = _token(db, nurse, "user/Patient.rs")
    with TestClient(fhir_app) as c:
        assert c.get("/fhir/Placeholder/Patient", headers=bearer).status_code == 200
        refused = c.get("/fhir/Placeholder/Observation", headers=bearer)
    assert refused.status_code == 403
    [issue] = refused.json()["issue"]  # an OperationOutcome, as on every /fhir address
    assert issue["details"]["text"] == "scope_not_granted"
    assert "read of Observation" in issue["diagnostics"]


def test_it_holds_a_backend_client_to_its_granted_scopes_and_names_it_in_the_trail(
    fhir_app: FastAPI, db: Session, register: Register
) -> None:
    keys = rsa_keys()
    client = register(keys, scopes="system/Observation.rs")
    with TestClient(fhir_app) as c:
        token = c.post("/fhir/auth/token", data=token_form(assertion(client, keys))).json()
        bearer = {"Authorization": f"Bearer {token['access_token']}"}
        read = c.get("/fhir/Placeholder/Observation", headers=bearer)
        refused = c.get("/fhir/Placeholder/Patient", headers=bearer)
    assert read.status_code == 200 and read.json() == {"actor": f"fhir-client:{client.id}"}
    assert refused.status_code == 403
    assert refused.json()["issue"][0]["details"]["text"] == "scope_not_granted"
    db.expire_all()
    event = db.execute(
        select(AuditEvent.actor, AuditEvent.user_id, AuditEvent.clinic_id)
        .where(AuditEvent.action == "fhir.placeholder.read")
        .where(AuditEvent.actor == f"fhir-client:{client.id}")
        .order_by(AuditEvent.id)
    ).one()
    assert tuple(event) == (f"fhir-client:{client.id}", None, client.clinic_id)


@pytest.mark.parametrize(
    "header", ["", "Bearer ", "Basic abc", "Bearer kc_unknown", "Bearer kcs_unknown"]
)
def test_it_answers_401_without_a_live_bearer_token(fhir_app: FastAPI, header: str) -> None:
    with TestClient(fhir_app) as c:
        headers = {"Authorization": header} if header else {}
        answer = c.get("/fhir/Placeholder/Patient", headers=headers)
    assert answer.status_code == 401
    assert answer.json()["issue"][0]["details"]["text"] == "not_authenticated"
