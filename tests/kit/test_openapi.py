"""The API's description tells the truth (issue 17, point 9): who may call, what each
error looks like, the constraints the server enforces; and /api/docs shows it from
files we serve ourselves."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ketaclinic.identity.routes import Access, rule_for
from ketaclinic.kit.fields import MAX_ID
from ketaclinic.kit.pagination import MAX_PAGE_SIZE
from ketaclinic.kit.security import CSP
from tests.conftest import Persona

ENVELOPE = {"$ref": "#/components/schemas/Error{status}"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    from ketaclinic.app import create_app
    from ketaclinic.settings import Settings

    app = create_app(Settings(database_url="sqlite://", secret_key="openapi-test"))
    return app.openapi()


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, op in item.items():
            yield method.upper(), path, op


def error_schema(spec: dict[str, Any], op: dict[str, Any], status: int) -> dict[str, Any]:
    content = op["responses"][str(status)]["content"]["application/json"]
    assert content["schema"] == {"$ref": f"#/components/schemas/Error{status}"}
    return spec["components"]["schemas"][f"Error{status}"]


def codes(schema: dict[str, Any]) -> list[str]:
    return schema["properties"]["error"]["properties"]["code"]["enum"]


def test_it_declares_the_bearer_scheme(spec: dict[str, Any]) -> None:
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")


def test_it_requires_the_token_and_documents_401_and_403_on_every_protected_operation(
    spec: dict[str, Any],
) -> None:
    protected = 0
    for method, path, op in operations(spec):
        if rule_for(method, path) is Access.PUBLIC:
            assert "security" not in op, path
            assert "401" not in op["responses"], path
            continue
        protected += 1
        assert op["security"] == [{"bearerAuth": []}], (method, path)
        assert codes(error_schema(spec, op, 401)) == ["not_authenticated"]
        assert "forbidden" in codes(error_schema(spec, op, 403))
        assert "mfa_enrolment_required" in codes(error_schema(spec, op, 403))
    assert protected >= 90


def test_it_documents_404_on_every_operation_with_a_path_parameter(spec: dict[str, Any]) -> None:
    with_ids = [(m, p, op) for m, p, op in operations(spec) if "{" in p]
    assert len(with_ids) >= 60
    for _method, _path, op in with_ids:
        not_found = codes(error_schema(spec, op, 404))
        assert "not_found" in not_found and "plan_not_found" in not_found
        assert all(code.endswith("not_found") for code in not_found)


def test_it_documents_validation_and_internal_errors_on_every_operation(
    spec: dict[str, Any],
) -> None:
    for method, _path, op in operations(spec):
        refused = codes(error_schema(spec, op, 422))
        assert {"validation_error", "dose_above_hard_limit", "location_unknown"} <= set(refused)
        internal = error_schema(spec, op, 500)
        assert "request_id" in internal["properties"]["error"]["required"]
        if "requestBody" in op:
            assert codes(error_schema(spec, op, 413)) == ["body_too_large"]
            assert codes(error_schema(spec, op, 400)) == ["http_error"]  # not JSON
        if method in ("POST", "PUT", "PATCH"):
            conflicts = codes(error_schema(spec, op, 409))
            assert {"conflict", "calendar_changed", "dose_already_released"} <= set(conflicts)
            assert "likely_duplicate" in conflicts
    # FastAPI's own 422 shape is never answered, so it is not described either.
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_it_answers_errors_in_the_shape_it_documents(
    spec: dict[str, Any], app: FastAPI, api: Any, nurse: Persona
) -> None:
    op = spec["paths"]["/api/v1/patients/{patient_id}"]["get"]
    client = api(nurse)
    for url, status in [
        (f"/api/v1/patients/{MAX_ID}", 404),
        ("/api/v1/patients?page_size=0", 422),
    ]:
        response = client.get(url)
        assert response.status_code == status
        documented = spec["components"]["schemas"][f"Error{status}"]["properties"]["error"]
        error = response.json()["error"]
        assert set(documented["required"]) <= set(error) <= set(documented["properties"])
        assert error["code"] in documented["properties"]["code"]["enum"]
    with TestClient(app) as anonymous:
        response = anonymous.get("/api/v1/patients/1")
    assert response.status_code == 401
    assert response.json()["error"]["code"] in codes(error_schema(spec, op, 401))


def test_it_states_the_id_range_the_server_enforces(spec: dict[str, Any]) -> None:
    seen = 0
    for _method, path, op in operations(spec):
        for param in op.get("parameters", []):
            if not param["name"].endswith("_id"):
                continue
            schema = next(iter(param["schema"].get("anyOf", [param["schema"]])))
            if schema.get("type") != "integer":
                continue
            seen += 1
            assert (schema["minimum"], schema["maximum"]) == (1, MAX_ID), (path, param["name"])
    assert seen >= 90


def test_it_states_the_bounds_of_pages_weekdays_and_text(spec: dict[str, Any]) -> None:
    params = {
        p["name"]: p["schema"] for p in spec["paths"]["/api/v1/patients"]["get"]["parameters"]
    }
    assert (params["page_size"]["minimum"], params["page_size"]["maximum"]) == (1, MAX_PAGE_SIZE)
    assert params["page"]["minimum"] == 1
    availability = spec["paths"]["/api/v1/patients/{patient_id}/plans/{plan_id}/availability"]
    params = {p["name"]: p["schema"] for p in availability["get"]["parameters"]}
    weekday = params["weekdays"]["anyOf"][0]["items"]
    assert (weekday["minimum"], weekday["maximum"]) == (0, 6)
    # A clinic time has no offset: not JSON Schema's "time" format, which requires one.
    assert "format" not in params["from_time"]["anyOf"][0]
    assert re.match(params["from_time"]["anyOf"][0]["pattern"], "08:30")
    assert not re.match(params["from_time"]["anyOf"][0]["pattern"], "08:30:00Z")
    patient = spec["components"]["schemas"]["PatientCreate"]["properties"]
    assert (patient["given_name"]["minLength"], patient["given_name"]["maxLength"]) == (1, 100)
    weight = patient["weight_kg"]["anyOf"][0]
    assert (weight["minimum"], weight["maximum"]) == (2, 400)
    # Control characters are refused in any text (kit.limits); tab and line feed are not.
    no_control = re.compile(patient["given_name"]["pattern"])
    assert no_control.match("Ann\tMarie\n") and not no_control.match("Ann\x00")
    assert params["from_time"]["anyOf"][0]["pattern"] != patient["given_name"]["pattern"]


# --- /api/docs ----------------------------------------------------------------


def test_it_serves_the_docs_page_from_local_assets_only(client: TestClient) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == CSP
    page = response.text
    urls = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert len(urls) >= 3
    assert all(url.startswith("/") and not url.startswith("//") for url in urls), urls
    # No inline script: every <script> has a src and nothing inside.
    assert re.findall(r"<script[^>]*>([^<]*)</script>", page) == ["", ""]
    assert 'data-openapi-url="/api/openapi.json"' in page
    kinds = {".js": "javascript", ".css": "text/css", ".svg": "image/svg+xml"}
    for url in urls:
        served = client.get(url)
        assert served.status_code == 200, url
        path = url.split("?")[0]
        assert kinds[path[path.rindex(".") :]] in served.headers["content-type"], url
        assert "no-store" not in served.headers.get("cache-control", "")


def test_it_serves_swagger_ui_with_its_licence(client: TestClient) -> None:
    assert "Apache License" in client.get("/static/swagger-ui/LICENSE").text


def test_it_opens_the_docs_page_to_anyone_like_the_description(app: FastAPI) -> None:
    # The description itself is public (/api/openapi.json); the page that shows it too.
    assert rule_for("GET", "/api/docs") is Access.PUBLIC
    with TestClient(app) as anonymous:
        assert anonymous.get("/api/docs").status_code == 200
        assert anonymous.get("/api/openapi.json").status_code == 200
