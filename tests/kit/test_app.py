"""Health check, OpenAPI, headers and the request boundary."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from ketaclinic.app import create_app
from ketaclinic.clinical.screening import RuleSetError
from ketaclinic.clinics.models import Clinic
from ketaclinic.clinics.service import create_clinic
from ketaclinic.identity.routes import ROUTE_RULES, Access
from ketaclinic.kit.errors import ValidationFailed
from ketaclinic.kit.web import DbSession
from ketaclinic.settings import Settings


def test_it_reports_healthy_when_the_database_answers(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_it_publishes_openapi_with_the_patient_api(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    assert "/api/v1/patients" in spec["paths"]
    assert "/api/v1/patients/{patient_id}" in spec["paths"]
    props = spec["components"]["schemas"]["PatientCreate"]["properties"]
    for name in (
        "given_name",
        "family_name",
        "birth_date",
        "sex_at_birth",
        "phone",
        "email",
        "weight_kg",
        "height_cm",
    ):
        assert name in props


def test_it_serves_no_cdn_docs_page(client: TestClient) -> None:
    assert client.get("/docs").status_code == 404


def test_it_sends_security_headers(client: TestClient) -> None:
    headers = client.get("/login").headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "'unsafe-inline'" not in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store"
    assert headers["x-request-id"]


def test_it_serves_the_vendored_htmx_with_its_licence(client: TestClient) -> None:
    assert client.get("/static/vendor/htmx-2.0.11/htmx.min.js").status_code == 200
    assert "Zero-Clause BSD" in client.get("/static/vendor/htmx-2.0.11/LICENSE").text


def test_it_refuses_a_route_that_has_no_access_rule(app: FastAPI, client: TestClient) -> None:
    @app.get("/api/_test/unlisted")
    def unlisted() -> dict[str, str]:
        return {"leaked": "yes"}

    assert client.get("/api/_test/unlisted").status_code == 403


def test_it_refuses_to_start_with_a_route_missing_from_the_rules(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(ROUTE_RULES, "GET /api/v1/me")
    with pytest.raises(RuntimeError, match="GET /api/v1/me"):
        create_app(settings, engine=engine)


def test_it_writes_nothing_when_a_request_fails_halfway(
    app: FastAPI, client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(ROUTE_RULES, "POST /api/_test/half-write", Access.PUBLIC)

    @app.post("/api/_test/half-write")
    def half_write(session: DbSession) -> None:
        create_clinic(session, slug="halfway", name="Halfway", timezone="UTC")
        raise ValidationFailed.on("name", "fails after the first write")

    before = db.scalar(select(func.count()).select_from(Clinic))
    response = client.post("/api/_test/half-write")
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"name": "fails after the first write"}
    assert db.scalar(select(func.count()).select_from(Clinic)) == before


def test_it_refuses_to_start_with_a_malformed_rule_file(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "clinic_mood.yaml").write_text(
        "id: clinic_mood\nversion: '1'\nname: Clinic mood\napplies_to: IV ketamine\nrules:\n"
        "  - id: bp\n    when: {fact: systolic_pressure, at_least: 180}\n"
        "    severity: exclude\n    message: BP too high\n    source: clinic policy\n"
    )
    settings.rules_dir = rules
    with pytest.raises(RuleSetError) as refused:
        create_app(settings, engine=engine)
    message = str(refused.value)
    assert "clinic_mood.yaml" in message and ":7" in message and "systolic_pressure" in message


def test_it_offers_a_clinics_own_rule_set_beside_the_packaged_ones(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "clinic_mood.yaml").write_text(
        "id: clinic_mood\nversion: '2026.1'\nname: Clinic mood\napplies_to: IV ketamine\n"
        "rules:\n  - id: bp\n    when: {fact: systolic_bp_mmhg, at_least: 160}\n"
        "    severity: exclude\n    message: BP too high\n    source: clinic policy 12\n"
    )
    settings.rules_dir = rules
    app = create_app(settings, engine=engine)
    assert app.state.rule_sets["clinic_mood"].version == "2026.1"
    assert "iv_ketamine_mood" in app.state.rule_sets


def test_it_refuses_to_start_with_a_malformed_protocol_file(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    from ketaclinic.clinical.treatment import ProtocolError

    protocols = tmp_path / "protocols"
    protocols.mkdir()
    (protocols / "clinic_iv.yaml").write_text("id: clinic_iv\nversion: '1'\nroute: oral\n")
    settings.protocols_dir = protocols
    with pytest.raises(ProtocolError) as refused:
        create_app(settings, engine=engine)
    assert str(refused.value).startswith("clinic_iv.yaml:")
